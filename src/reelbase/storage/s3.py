"""A :class:`~reelbase.storage.base.BlobStore` on any S3-protocol server (AWS S3, MinIO, R2, …).

Every key is stored as ``<prefix><key>`` in one bucket, so several stores (or installations) can
share a bucket. Uploads stream: a body smaller than one part goes up in a single PutObject, a
larger one as a multipart upload that buffers at most one part (plus one chunk) in memory and is
aborted on any failure, so no partial object ever becomes visible and no parts are left billed.

Errors: an absent object raises :class:`BlobNotFound`; every other S3 or connection failure
raises :class:`StorageError` with the botocore exception as its cause. Exceptions raised by the
caller's chunk iterator pass through unchanged.
"""

from __future__ import annotations

import builtins
import contextlib
import logging
import threading
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .base import (
    DEFAULT_CONTENT_TYPE,
    BlobInfo,
    BlobNotFound,
    InvalidKey,
    StorageError,
    check_key,
    check_prefix,
    content_disposition,
    exists_by_stat,
)
from .resumable_s3 import S3ResumableWrites

log = logging.getLogger(__name__)

MIN_PART_SIZE = 5 << 20  # S3 refuses smaller parts (except the last one)
_MAX_PARTS = 10_000
_DELETE_BATCH = 1000  # the most keys one DeleteObjects call takes
_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
#: The CORS rule a bucket needs so that players on any origin can fetch presigned segments; set on
#: the buckets this store creates (the README shows it for a bucket made by hand).
PLAYER_CORS_RULE: dict[str, Any] = {
    "AllowedOrigins": ["*"], "AllowedMethods": ["GET", "HEAD"], "AllowedHeaders": ["Range", "If-None-Match"],
    "ExposeHeaders": ["Content-Length", "Content-Range", "ETag"], "MaxAgeSeconds": 86400,
}

# One boto3 session for the process: it caches the parsed service models (a fresh session costs
# ~150 ms per client, a shared one ~10 ms) and the credentials it finds. Creating clients from
# one session is not documented as thread-safe, hence the lock; the clients themselves are.
_session: boto3.session.Session | None = None
_session_lock = threading.Lock()


def _make_client(**kwargs: Any) -> Any:
    global _session
    with _session_lock:
        if _session is None:
            _session = boto3.session.Session()
        return _session.client("s3", **kwargs)


class S3BlobStore:
    """Objects in ``bucket`` under ``prefix`` (a folder-like start, e.g. ``"reelbase/"``).

    ``checksums``: send CRC32 checksums with uploads and check them on downloads. None (the
    default) turns them on for AWS and off with an ``endpoint_url``: many self-hosted servers
    reject the checksums botocore sends by default since 1.36.
    """

    # S3's part rules, for the resumable writes this store hands out as well as for its own puts.
    MIN_PART_SIZE: ClassVar[int] = MIN_PART_SIZE
    MAX_PARTS: ClassVar[int] = _MAX_PARTS

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        create_bucket: bool = False,
        part_size: int = 8 << 20,
        checksums: bool | None = None,
    ) -> None:
        if not bucket:
            raise ValueError("an S3 store needs a bucket name")
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes (S3's minimum)")
        if (access_key_id is None) != (secret_access_key is None):
            raise ValueError("give both access_key_id and secret_access_key, or neither")
        prefix = prefix.strip("/")
        if prefix:
            check_prefix(prefix + "/")
        self.bucket = bucket
        self.prefix = prefix + "/" if prefix else ""
        self.part_size = part_size
        self.region = region or "us-east-1"
        options: dict[str, Any] = {
            "signature_version": "s3v4",
            "retries": {"max_attempts": 5, "mode": "standard"},
            "connect_timeout": 10,
            "read_timeout": 60,
        }
        if endpoint_url:
            # Self-hosted servers rarely have DNS names for bucket subdomains.
            options["s3"] = {"addressing_style": "path"}
        if checksums is None:
            checksums = not endpoint_url
        mode = "when_supported" if checksums else "when_required"
        options["request_checksum_calculation"] = mode
        options["response_checksum_validation"] = mode
        # With checksums on, a multipart upload must declare its algorithm up front, or S3
        # refuses the CRC32 that botocore attaches to each part.
        self._checksum: dict[str, str] = {"ChecksumAlgorithm": "CRC32"} if checksums else {}
        self.client = _make_client(
            endpoint_url=endpoint_url,
            region_name=self.region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=Config(**options),
        )
        if create_bucket:
            self._create_bucket()

    def __repr__(self) -> str:
        return f"S3BlobStore(bucket={self.bucket!r}, prefix={self.prefix!r})"

    def resumable_writes(self) -> S3ResumableWrites:
        """The optional ability of ``storage/resumable.py``: one multipart upload per upload."""
        return S3ResumableWrites(self)

    # -- writing -------------------------------------------------------------------------------

    def put_stream(
        self, key: str, chunks: Iterable[bytes], *, content_type: str | None = None
    ) -> BlobInfo:
        name = self._name(key)
        ctype = content_type or DEFAULT_CONTENT_TYPE
        buf = bytearray()
        size = 0
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []
        try:
            for chunk in chunks:
                buf += chunk
                size += len(chunk)
                while len(buf) >= (limit := self._part_limit(len(parts) + 1)):
                    if upload_id is None:
                        with self._errors(key):
                            upload_id = self.client.create_multipart_upload(
                                Bucket=self.bucket, Key=name, ContentType=ctype, **self._checksum
                            )["UploadId"]
                    # Parts need not be equal: send the whole buffer (< limit + one chunk) as is
                    # rather than copying a slice, unless one huge chunk made it far too big.
                    body: bytes | bytearray
                    if len(buf) < 2 * limit:
                        body, buf = buf, bytearray()
                    else:
                        body = bytes(memoryview(buf)[:limit])
                        del buf[:limit]
                    parts.append(self._upload_part(key, name, upload_id, len(parts) + 1, body))
                    del body
            if upload_id is None:
                with self._errors(key):
                    resp = self.client.put_object(
                        Bucket=self.bucket, Key=name, Body=buf, ContentType=ctype
                    )
            else:
                if buf:
                    parts.append(self._upload_part(key, name, upload_id, len(parts) + 1, buf))
                del buf
                with self._errors(key):
                    resp = self.client.complete_multipart_upload(
                        Bucket=self.bucket, Key=name, UploadId=upload_id,
                        MultipartUpload={"Parts": parts},
                    )
        except BaseException:
            if upload_id is not None:
                self._abort(name, upload_id)
            raise
        return BlobInfo(key=key, size=size, etag=_unquote(resp["ETag"]), content_type=ctype)

    def put_file(self, key: str, path: Path, *, content_type: str | None = None) -> BlobInfo:
        self._name(key)  # validate the key before touching the source file
        with open(path, "rb") as src:
            return self.put_stream(key, iter(lambda: src.read(1 << 20), b""),
                                   content_type=content_type)

    def _part_limit(self, number: int) -> int:
        # S3 allows 10,000 parts: double the part size every 1,000 parts so a stream of unknown
        # length still fits (8 MiB parts: 7.8 GiB at 1,000 parts, about 8 TiB at 10,000).
        return self.part_size << ((number - 1) // 1000)

    def _upload_part(
        self, key: str, name: str, upload_id: str, number: int, body: bytes | bytearray
    ) -> dict[str, Any]:
        if number > _MAX_PARTS:
            raise StorageError(f"{key!r} needs more than {_MAX_PARTS} parts")
        with self._errors(key):
            resp = self.client.upload_part(
                Bucket=self.bucket, Key=name, UploadId=upload_id, PartNumber=number, Body=body,
                **self._checksum,
            )
        part = {"ETag": resp["ETag"], "PartNumber": number}
        # When botocore sent a checksum with the part, CompleteMultipartUpload must repeat it.
        part.update(
            {k: v for k, v in resp.items() if k.startswith("Checksum") and k != "ChecksumType"}
        )
        return part

    def _abort(self, name: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload_id)
        except (BotoCoreError, ClientError):
            # The original failure matters more; a bucket lifecycle rule should reap the rest.
            log.warning("could not abort multipart upload %s of %s", upload_id, name, exc_info=True)

    # -- reading -------------------------------------------------------------------------------

    def open_range(
        self, key: str, start: int = 0, end: int | None = None, *, chunk_size: int = 1 << 20
    ) -> Iterator[bytes]:
        if start < 0 or (end is not None and end < start) or chunk_size <= 0:
            raise ValueError(f"bad range {start}-{end} (chunk_size {chunk_size})")
        params = {"Bucket": self.bucket, "Key": self._name(key)}
        if start or end is not None:
            params["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            with self._errors(key):
                resp = self.client.get_object(**params)
        except StorageError as e:
            if _code(e.__cause__) == "InvalidRange":  # start at or past the end: nothing to send
                return iter(())
            raise
        gen = self._read_body(key, resp["Body"], chunk_size)
        next(gen)  # start it, so that dropping it unread still closes the connection
        return gen  # type: ignore[return-value]

    def _read_body(
        self, key: str, body: Any, chunk_size: int
    ) -> Generator[bytes | None, None, None]:
        try:
            yield None
            with self._errors(key):
                yield from body.iter_chunks(chunk_size)
        finally:
            body.close()

    def get_to_file(self, key: str, path: Path) -> BlobInfo:
        # One GET (not HEAD + ranged GETs) so the bytes and the info are of the same version.
        with self._errors(key):
            resp = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        path = Path(path)
        body = resp["Body"]
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb") as f, self._errors(key):
                for chunk in body.iter_chunks(1 << 20):
                    f.write(chunk)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        finally:
            body.close()
        return self._info(key, resp)

    def stat(self, key: str) -> BlobInfo:
        with self._errors(key):
            resp = self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        return self._info(key, resp)

    exists = exists_by_stat

    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        check_prefix(prefix)
        for obj in self._list_objects(prefix):
            yield BlobInfo(
                key=obj["Key"][len(self.prefix):],
                size=obj["Size"],
                etag=_unquote(obj["ETag"]),
                modified=obj.get("LastModified"),
            )

    def _list_objects(self, prefix: str) -> Iterator[dict[str, Any]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix
        )
        with self._errors(prefix):
            for page in pages:
                yield from page.get("Contents", [])

    def presigned_url(
        self, key: str, *, expires_in: int = 3600, filename: str | None = None,
        cache_control: str | None = None,
    ) -> str | None:
        if not 1 <= expires_in <= 7 * 24 * 3600:
            raise ValueError("expires_in must be between 1 second and 7 days (SigV4 limit)")
        params = {"Bucket": self.bucket, "Key": self._name(key)}
        if filename:
            params["ResponseContentDisposition"] = content_disposition(filename)
        if cache_control:
            params["ResponseCacheControl"] = cache_control
        with self._errors(key):  # signs locally: no request, no check that the key exists
            url = self.client.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=expires_in
            )
        return str(url)

    # -- deleting ------------------------------------------------------------------------------

    def delete(self, key: str) -> None:
        with self._errors(key):
            self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def delete_prefix(self, prefix: str) -> int:
        if not prefix:
            raise InvalidKey("delete_prefix needs a non-empty prefix")
        check_prefix(prefix)
        deleted = 0
        batch: builtins.list[dict[str, str]] = []
        for obj in self._list_objects(prefix):
            batch.append({"Key": obj["Key"]})
            if len(batch) == _DELETE_BATCH:
                deleted += self._delete_batch(prefix, batch)
                batch = []
        if batch:
            deleted += self._delete_batch(prefix, batch)
        return deleted

    def _delete_batch(self, prefix: str, batch: builtins.list[dict[str, str]]) -> int:
        with self._errors(prefix):
            resp = self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
            )
        if errors := resp.get("Errors"):
            first = errors[0]
            raise StorageError(
                f"could not delete {len(errors)} objects, e.g. {first.get('Key')!r}: "
                f"{first.get('Code')} {first.get('Message')}"
            )
        return len(batch)

    # -- helpers -------------------------------------------------------------------------------

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _info(self, key: str, resp: dict[str, Any]) -> BlobInfo:
        return BlobInfo(
            key=key,
            size=resp["ContentLength"],
            etag=_unquote(resp["ETag"]),
            content_type=resp.get("ContentType") or DEFAULT_CONTENT_TYPE,
            modified=resp.get("LastModified"),
        )

    @contextlib.contextmanager
    def _errors(self, key: str) -> Iterator[None]:
        """Turn botocore failures into BlobNotFound / StorageError (the cause stays attached)."""
        try:
            yield
        except ClientError as e:
            if _code(e) in _NOT_FOUND:
                raise BlobNotFound(key) from e
            raise StorageError(f"S3 {self.bucket}/{self.prefix}{key}: {e}") from e
        except BotoCoreError as e:
            raise StorageError(f"S3 {self.bucket}/{self.prefix}{key}: {e}") from e

    def _create_bucket(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
            return
        except ClientError as e:
            if _code(e) not in _NOT_FOUND | {"NoSuchBucket"}:
                raise StorageError(f"S3 bucket {self.bucket}: {e}") from e
        except BotoCoreError as e:
            raise StorageError(f"S3 bucket {self.bucket}: {e}") from e
        params: dict[str, Any] = {"Bucket": self.bucket}
        if self.region != "us-east-1":  # the one region that refuses a LocationConstraint
            params["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        try:
            self.client.create_bucket(**params)
            # Players fetch segments straight from presigned URLs, from pages on other origins
            # (Reelbase's own included): the bucket must answer CORS for GET and HEAD.
            self.client.put_bucket_cors(Bucket=self.bucket, CORSConfiguration={"CORSRules": [PLAYER_CORS_RULE]})
        except ClientError as e:
            if _code(e) not in {"BucketAlreadyOwnedByYou"}:  # a concurrent start made it
                raise StorageError(f"cannot create S3 bucket {self.bucket}: {e}") from e
        except BotoCoreError as e:
            raise StorageError(f"cannot create S3 bucket {self.bucket}: {e}") from e


def _code(e: BaseException | None) -> str | None:
    if isinstance(e, ClientError):
        return str(e.response.get("Error", {}).get("Code"))
    return None


def _unquote(etag: str) -> str:
    return etag.strip('"')
