"""A client generated from /openapi.json type-checks and reads the server's real answers.

datamodel-code-generator turns the live document into pydantic models; a small client written
against those models must pass mypy (and a misuse of them must not), then run against the server:
what the server sends must parse into the generated types.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import Account, LiveServer

TOOLS = Path(sys.executable).parent

CLIENT = '''
from __future__ import annotations

import httpx

from models import ErrorResponse, ProjectCreate, ProjectPublic, VideoCreate, VideoPublic, VideosPublic, VideoUpdate


def create_project(client: httpx.Client, name: str) -> ProjectPublic:
    answer = client.post("/api/v1/projects", json=ProjectCreate(name=name).model_dump(mode="json", exclude_none=True))
    answer.raise_for_status()
    return ProjectPublic.model_validate(answer.json())


def create_video(client: httpx.Client, title: str, project: ProjectPublic) -> VideoPublic:
    body = VideoCreate(title=title, project=project.id, public=False)
    answer = client.post("/api/v1/videos", json=body.model_dump(mode="json", exclude_none=True))
    answer.raise_for_status()
    return VideoPublic.model_validate(answer.json())


def rename_video(client: httpx.Client, video: VideoPublic, title: str) -> VideoPublic:
    answer = client.patch(f"/api/v1/videos/{video.id}",
                          json=VideoUpdate(title=title).model_dump(mode="json", exclude_unset=True))
    answer.raise_for_status()
    return VideoPublic.model_validate(answer.json())


def list_videos(client: httpx.Client) -> VideosPublic:
    answer = client.get("/api/v1/videos", params={"per_page": 10})
    answer.raise_for_status()
    return VideosPublic.model_validate(answer.json())


def missing_video(client: httpx.Client) -> ErrorResponse:
    answer = client.get("/api/v1/videos/00000000-0000-4000-8000-000000000000")
    return ErrorResponse.model_validate(answer.json())
'''

MISUSE = '''
from __future__ import annotations

from models import VideoPublic


def title_length(video: VideoPublic) -> int:
    return len(video.titel)
'''


def generate(tmp_path: Path, live: LiveServer) -> Path:
    document = tmp_path / "openapi.json"
    document.write_bytes(httpx.get(f"{live.url}/openapi.json", timeout=30).raise_for_status().content)
    out = tmp_path / "client"
    out.mkdir()
    subprocess.run([str(TOOLS / "datamodel-codegen"), "--input", str(document), "--input-file-type", "openapi",
                    "--output", str(out / "models.py"), "--output-model-type", "pydantic_v2.BaseModel",
                    "--target-python-version", "3.11", "--field-constraints", "--use-annotated",
                    "--set-default-enum-member", "--disable-warnings"],
                   check=True, capture_output=True, text=True, timeout=120)
    (out / "client.py").write_text(CLIENT)
    # pydantic's own mypy plugin reads Field defaults and aliases, as a project using the models would.
    (out / "mypy.ini").write_text("[mypy]\nplugins = pydantic.mypy\n")
    return out


def mypy(folder: Path, *files: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental",
                           "--cache-dir", str(folder / ".mypy_cache"), *files],
                          cwd=folder, capture_output=True, text=True, timeout=300)


# The document is the same on every database: one run is enough.
@pytest.mark.parametrize("runtime", ["sqlite"], indirect=True)
def test_generated_client_type_checks_and_reads_real_answers(
    tmp_path: Path, live: LiveServer, alice: Account
) -> None:
    folder = generate(tmp_path, live)
    checked = mypy(folder, "models.py", "client.py")
    assert checked.returncode == 0, checked.stdout + checked.stderr

    # The check has teeth: a misspelt field of a generated model is an error.
    (folder / "misuse.py").write_text(MISUSE)
    refused = mypy(folder, "models.py", "misuse.py")
    assert refused.returncode == 1 and '"VideoPublic" has no attribute "titel"' in refused.stdout

    sys.path.insert(0, str(folder))
    try:
        client_module = importlib.import_module("client")
        with httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {alice.secret}"},
                          timeout=30) as client:
            project = client_module.create_project(client, "generated")
            video = client_module.create_video(client, "from a generated client", project)
            assert video.project == project.id and video.state.value == "created" and video.public is False
            renamed = client_module.rename_video(client, video, "renamed")
            assert renamed.id == video.id and renamed.title == "renamed"
            listed = client_module.list_videos(client)
            assert [v.id for v in listed.items] == [video.id] and listed.total == 1
            error = client_module.missing_video(client)
            assert error.error.code == "not_found" and error.error.status == 404
    finally:
        sys.path.remove(str(folder))
        for name in ("client", "models"):
            sys.modules.pop(name, None)
