"""Resumable writes for :class:`~reelbase.storage.s3.S3BlobStore`: one multipart upload per upload.

S3 takes parts of at least 5 MiB (except the last), but clients send chunks of any size. Bytes
that do not yet fill a part wait in a *tail object* named after the offset where it starts,
``uploads/<name>/tail-<start>`` (tusd keeps an "incomplete part" object the same way). The staged
size is then, read from S3 alone::

    sum(sizes of the uploaded parts) + size of tail-<that sum>, if it exists

Every step keeps that sum right at every instant, so a crash never loses an acknowledged byte and
never counts one twice: a part that absorbed an older tail moves the sum past that tail's name, so
the stale tail stops counting the moment the part exists (it is deleted later); a tail is
replaced by one PUT (atomic in S3). Memory: one part buffer (8 MiB by default) per append.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from .base import BlobInfo, BlobNotFound, StorageError
from .resumable import Staged, StagedOffsetMismatch, staging_prefix

if TYPE_CHECKING:  # only the type: s3.py imports this module to hand the object out
    from .s3 import S3BlobStore

log = logging.getLogger(__name__)


class S3ResumableWrites:
    def __init__(self, store: S3BlobStore) -> None:
        self.store = store
        self.client = store.client
        self.bucket = store.bucket

    # -- helpers -------------------------------------------------------------------------------

    def _name(self, key: str) -> str:
        return self.store._name(key)

    @contextlib.contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except ClientError as e:
            code = str(e.response.get("Error", {}).get("Code"))
            if code in {"404", "NoSuchKey", "NotFound"}:
                raise BlobNotFound(what) from e
            raise StorageError(f"S3 {self.bucket}: {what}: {e}") from e
        except BotoCoreError as e:
            raise StorageError(f"S3 {self.bucket}: {what}: {e}") from e

    def _part_limit(self, number: int) -> int:
        # The same growth as the store's own multipart puts, so both stay under S3's part count.
        return self.store._part_limit(number)

    def _tail_key(self, staged: Staged, start: int) -> str:
        return f"{staging_prefix(staged.name)}tail-{start:015d}"

    def _parts(self, staged: Staged) -> list[dict[str, Any]] | None:
        """The uploaded parts in order, or None when the multipart upload no longer exists."""
        upload_id = staged.state.get("upload_id")
        if not upload_id:
            return []
        parts: list[dict[str, Any]] = []
        marker = 0
        while True:
            try:
                resp = self.client.list_parts(
                    Bucket=self.bucket, Key=self._name(staged.key), UploadId=upload_id,
                    PartNumberMarker=marker, MaxParts=1000,
                )
            except ClientError as e:
                if str(e.response.get("Error", {}).get("Code")) == "NoSuchUpload":
                    return None
                raise StorageError(f"S3 {self.bucket}: list parts of {staged.name}: {e}") from e
            except BotoCoreError as e:
                raise StorageError(f"S3 {self.bucket}: list parts of {staged.name}: {e}") from e
            parts.extend(resp.get("Parts", []))
            if not resp.get("IsTruncated"):
                return sorted(parts, key=lambda p: p["PartNumber"])
            marker = int(resp["NextPartNumberMarker"])

    def _tail(self, staged: Staged, start: int) -> bytes:
        try:
            with self._errors(f"tail of {staged.name}"):
                resp = self.client.get_object(Bucket=self.bucket, Key=self._name(self._tail_key(staged, start)))
                return resp["Body"].read()
        except BlobNotFound:
            return b""

    def _upload_part(self, staged: Staged, number: int, body: bytes | bytearray) -> None:
        if number > self.store.MAX_PARTS:
            raise StorageError(f"upload {staged.name} needs more than {self.store.MAX_PARTS} parts")
        with self._errors(f"part {number} of {staged.name}"):
            self.client.upload_part(
                Bucket=self.bucket, Key=self._name(staged.key), UploadId=staged.state["upload_id"],
                PartNumber=number, Body=body,
            )

    def _drop_tails(self, staged: Staged, keep: str | None = None) -> None:
        try:
            for info in list(self.store.list(staging_prefix(staged.name) + "tail-")):
                if info.key != keep:
                    self.store.delete(info.key)
        except StorageError:
            log.warning("could not delete stale tails of upload %s", staged.name, exc_info=True)

    # -- the ability ---------------------------------------------------------------------------

    def begin(self, staged: Staged) -> None:
        if staged.state.get("upload_id"):
            return
        with self._errors(f"begin {staged.name}"):
            resp = self.client.create_multipart_upload(
                Bucket=self.bucket, Key=self._name(staged.key),
                ContentType=staged.content_type or "application/octet-stream",
            )
        staged.state["upload_id"] = resp["UploadId"]

    def staged_size(self, staged: Staged) -> int:
        parts = self._parts(staged)
        if parts is None:  # completed (or aborted): the object, if any, is the answer
            try:
                return self.store.stat(staged.key).size
            except BlobNotFound:
                return 0
        done = sum(int(p["Size"]) for p in parts)
        return done + len(self._tail(staged, done))

    def append(self, staged: Staged, *, offset: int, chunks: Iterable[bytes], final: bool = False) -> int:
        self.begin(staged)
        parts = self._parts(staged)
        if parts is None:
            raise StorageError(f"upload {staged.name} is already complete")
        done = sum(int(p["Size"]) for p in parts)
        number = len(parts) + 1
        buf = bytearray(self._tail(staged, done))
        if done + len(buf) != offset:
            raise StagedOffsetMismatch(done + len(buf), offset)
        tail_start = done  # the tail object that currently holds buf's first bytes
        try:
            for chunk in chunks:
                buf += chunk
                while len(buf) >= self._part_limit(number):
                    limit = self._part_limit(number)
                    self._upload_part(staged, number, buf[:limit])
                    del buf[:limit]
                    done += limit
                    number += 1
        except BaseException as exc:
            # The client went away (or the store failed) mid-stream: keep what arrived, unless
            # the store itself is what failed.
            if not isinstance(exc, StorageError):
                with contextlib.suppress(StorageError):
                    self._save_rest(staged, buf, done, number, tail_start, final=False)
            raise
        return self._save_rest(staged, buf, done, number, tail_start, final=final)

    def _save_rest(
        self, staged: Staged, buf: bytearray, done: int, number: int, tail_start: int, *, final: bool
    ) -> int:
        if buf and (final or len(buf) >= self.store.MIN_PART_SIZE):
            self._upload_part(staged, number, buf)
            done += len(buf)
            self._drop_tails(staged)
            return done
        if not buf:
            if done != tail_start:
                self._drop_tails(staged)
            return done
        tail = self._tail_key(staged, done)
        with self._errors(f"tail of {staged.name}"):
            self.client.put_object(Bucket=self.bucket, Key=self._name(tail), Body=bytes(buf))
        if done != tail_start:
            self._drop_tails(staged, keep=tail)
        return done + len(buf)

    def complete(self, staged: Staged) -> BlobInfo:
        parts = self._parts(staged)
        if parts is None:
            return self.store.stat(staged.key)  # completed by an earlier call, else BlobNotFound
        done = sum(int(p["Size"]) for p in parts)
        tail = self._tail(staged, done)
        if tail:
            self._upload_part(staged, len(parts) + 1, tail)
            parts = self._parts(staged) or []
        if not parts:
            raise StorageError(f"upload {staged.name} has no bytes to publish")
        with self._errors(f"complete {staged.name}"):
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=self._name(staged.key), UploadId=staged.state["upload_id"],
                MultipartUpload={"Parts": [{"ETag": p["ETag"], "PartNumber": p["PartNumber"]} for p in parts]},
            )
        self._drop_tails(staged)
        return self.store.stat(staged.key)

    def abort(self, staged: Staged) -> None:
        upload_id = staged.state.get("upload_id")
        if upload_id:
            try:
                self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=self._name(staged.key), UploadId=upload_id
                )
            except ClientError as e:
                if str(e.response.get("Error", {}).get("Code")) != "NoSuchUpload":
                    raise StorageError(f"S3 {self.bucket}: abort {staged.name}: {e}") from e
            except BotoCoreError as e:
                raise StorageError(f"S3 {self.bucket}: abort {staged.name}: {e}") from e
        self._drop_tails(staged)
