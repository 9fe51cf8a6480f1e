"""The response examples of Pixop's document (seed 003) as shape templates, and a checker.

A template mirrors the document's example: every key it shows, with the type its placeholder
describes (``DATE`` is "YYYY-MM-DD hh:mm:ss"; ``Opt(t)`` allows null where Reelbase cannot know
the value or it does not exist yet). Responses may carry more keys than the document shows.
"""

from __future__ import annotations

import re
from typing import Any

DATE = "YYYY-MM-DD hh:mm:ss"
_DATE_RE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


class Opt:
    def __init__(self, inner: Any) -> None:
        self.inner = inner


ANY = object()


def check_shape(value: Any, template: Any, path: str = "$") -> None:
    """Assert that ``value`` has every key of ``template`` with the template's types."""
    if isinstance(template, Opt):
        if value is None:
            return
        template = template.inner
    if template is ANY:
        return
    if template == DATE:
        assert isinstance(value, str) and _DATE_RE.fullmatch(value), f"{path}: {value!r} is not {DATE}"
    elif isinstance(template, dict):
        assert isinstance(value, dict), f"{path}: expected an object, got {value!r}"
        missing = sorted(set(template) - set(value))
        assert not missing, f"{path}: missing keys {missing}"
        for key, inner in template.items():
            check_shape(value[key], inner, f"{path}.{key}")
    elif isinstance(template, list):
        assert isinstance(value, list), f"{path}: expected a list, got {value!r}"
        for i, item in enumerate(value):
            check_shape(item, template[0], f"{path}[{i}]")
    elif template is float:
        assert isinstance(value, int | float) and not isinstance(value, bool), f"{path}: {value!r} is not a number"
    elif template is int:
        assert isinstance(value, int) and not isinstance(value, bool), f"{path}: {value!r} is not an integer"
    else:
        assert isinstance(value, template), f"{path}: {value!r} is not {template.__name__}"


FAILURE = {"exception": str, "errorMessage": str}
TOKEN = {"userId": str, "teamId": str, "jwtToken": str}
USER = {
    "id": str, "name": str, "email": str, "emailConfirmed": bool,
    "authSignatureMethod": Opt(str), "authSignaturePublicKey": Opt(str), "authSignaturePublicKeyId": Opt(str),
    "banned": bool, "bannedReason": Opt(str), "bannedDate": Opt(DATE),
    "apiRequestSignatureSecret": Opt(str), "apiRequestSignatureMethod": Opt(str),
    "dateCreated": DATE, "timeLastUpdated": Opt(DATE),
}
TEAM = {"id": str, "name": str, "dateCreated": DATE, "timeLastUpdated": Opt(DATE)}
TOKEN_VALIDATION = {"user": {**USER, "apiRequestSignatureSethod": Opt(str)}, "team": TEAM, "otherTeams": [TEAM]}
ACCOUNT = {"user": USER, "team": TEAM}
USER_ONLY = {"user": USER}

HREF = {"href": str}
PROJECT = {"project": {"id": str, "name": str, "teamId": str, "dateCreated": DATE, "timeLastUpdated": DATE}}
PROJECTS_PAGE = {
    "pageSize": int, "page": int,
    "_links": {"self": HREF, "next": HREF, "previous": HREF, "first": HREF, "last": HREF},
    "_embedded": {"projects": [{"_links": {"self": HREF}, "id": str, "name": str, "dateCreated": DATE,
                                "timeLastUpdated": DATE}]},
}
VIDEOS_PAGE = {
    "pageSize": int, "page": int,
    "_links": {"self": HREF, "next": HREF, "previous": HREF, "first": HREF, "last": HREF},
    "_embedded": {"videos": [{"_links": {"self": HREF}, "id": str, "parentId": Opt(str), "projectId": Opt(str),
                              "name": str, "filename": Opt(str), "dateCreated": DATE, "timeLastUpdated": DATE}]},
}


def edge_page(template: dict[str, Any]) -> dict[str, Any]:
    """A page template for the first or last page: HAL leaves out the link that does not exist."""
    links = {k: v for k, v in template["_links"].items() if k not in ("next", "previous")}
    return {**template, "_links": links}


CREATE_VIDEO = {"projectId": Opt(str), "videoId": str, "uploadMediaUrl": str, "uploadLightMediaUrl": str,
                "processVideoUrl": str}
UPLOAD = {"projectId": Opt(str), "videoId": str, "checkIngestProgressUrl": str, "processVideoUrl": str}
PROCESS = {"sourceVideoId": str, "processedVideoId": str, "projectId": Opt(str), "checkProgressUrl": str,
           "downloadMediaUrl": str}
PROCESSING_STATE = {"updatedAt": DATE, "processingStatus": str, "processingProgressPercent": float}
CHECK_PROCESS = {"videoId": str, "projectId": Opt(str), "processingState": PROCESSING_STATE}
CHECK_INGEST = {"videoId": str, "projectId": Opt(str),
                "ingestionState": {"updatedAt": DATE, "ingestionStatus": str, "videoMetadataAvailable": bool}}
DELETED = {"deletedVideos": [{"videoId": str}]}

CHROMA = {"yuv": str, "bits": int}
SCANNING = {"scanningType": Opt(str), "interlacedFieldOrder": Opt(str)}
METADATA = {
    "containerName": str, "longContainerName": str, "codecName": str, "longCodecName": str,
    "pixelFormat": {"name": str, "chromaSubsampling": CHROMA},
    "frameWidth": int, "frameHeight": int,
    "scanning": {"metadata": SCANNING, "heuristics": SCANNING},
    "averageFramerate": float, "durationInMillis": int, "totalFrames": int, "size": int,
    "videoStreamSize": Opt(int),  # null where the container states no size or rate for the stream (MXF)
}
QUALITY = {
    # sampleMean is null where it is not a number: the infinite PSNR of an exact (lossless) copy.
    "metrics": [{"name": str, "sampleMean": Opt(float), "subjectiveLabel": Opt(str), "subjectiveScore": Opt(float)}],
    "overallSubjectiveScore": Opt(float),
}
PARAMETERS = {
    "sourceVideo": {"startPositionMilliseconds": int, "endPositionMilliseconds": int},
    "targetVideo": {
        "preset": {"name": Opt(str)},
        "container": {"name": str, "properties": dict},
        "codec": {"name": str, "properties": dict},
        "pixelFormat": {"name": str, "chromaSubsampling": CHROMA},
        "bitrate": Opt(int), "frameWidth": int, "frameHeight": int,
        "videoFilters": [{"name": str, "properties": dict}],
    },
}
VIDEO = {"video": {
    "id": str, "name": str, "description": str, "projectId": Opt(str), "userId": Opt(str), "teamId": str,
    "upload": {
        "uploadState": {"updatedAt": DATE, "uploadStatus": str},
        "hasFinishedUploading": bool, "fileName": Opt(str), "fileSize": Opt(int), "fileType": Opt(str),
        "fileContainerName": Opt(str),
    },
    "ingestion": {
        "ingestionState": {"updatedAt": DATE, "ingestionStatus": str, "videoMetadataAvailable": bool,
                           "videoMetadataCommitted": bool, "processingProgressPercent": float},
        "metadata": Opt(METADATA),
        "qualityAssessment": Opt(QUALITY),
    },
    "processing": {"processingState": PROCESSING_STATE, "processingParameters": Opt(PARAMETERS)},
    "attributes": dict, "dateCreated": DATE, "timeLastUpdated": DATE,
}}
