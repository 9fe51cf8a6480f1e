"""Numbered chunks in any order, in parallel (the ResumableJS protocol), on the upload engine.

Chunk ``n`` (1-based) of a file of ``length`` bytes cut in ``chunk_size`` pieces starts at
``(n - 1) * chunk_size``; every chunk but the last is exactly ``chunk_size`` long, and the last
one ends the file (ResumableJS lets it absorb the remainder: up to ``2 * chunk_size - 1``).
Where the store can write chunks in place (``storage.resumable.ChunkWrites``: the local store),
each chunk goes straight to its offset in the staged file and a marker records it once its bytes
are on disk; the complete set is then published as it is. Elsewhere (S3) each chunk is stored as
its own object, ``uploads/<upload>/chunks/<n>``, written atomically (``BlobStore.put_stream``),
and when the last missing chunk arrives the chunks are streamed in order into the session's
staged object under the upload's lock (continuing from the staged size after a crash), which is
then committed like any other upload, and the chunk objects are removed. Either way a chunk's
presence proves it arrived whole, no lock is needed to receive chunks, and a crash can lose only
chunks that were never acknowledged.

A chunk session is keyed by the client's identifier (``resumableIdentifier``), sanitized and
namespaced by team and video (or by the signed URL's upload), never used as a storage path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import select

from reelbase.core.errors import Conflict, InvalidInput
from reelbase.core.runtime import Runtime
from reelbase.core.uploads.sources import team_upload_limit
from reelbase.core.uploads.engine import (
    check_writable,
    complete_locked,
    create_upload,
    find_upload,
    set_length,
    unfinished_session,
    write_locked,
)
from reelbase.core.uploads.status import Actor, UploadGrant, UploadState, UploadStatus, status_of
from reelbase.core.uploads.io import staged_of, storage_errors
from reelbase.core.uploads.io import staged_size as read_staged_size
from reelbase.core.uploads.lock import UploadLocked, client_lock, upload_lock
from reelbase.core.videos.catalog import find_video
from reelbase.db.models import Team, UploadSession
from reelbase.storage.resumable import Staged, chunk_writes, staging_prefix

IDENTIFIER = re.compile(r"^[A-Za-z0-9_.\-]{1,200}$")
MAX_CHUNKS = 100_000


@dataclass(frozen=True)
class ChunkPlan:
    """What every chunk request repeats: the file's size, its cutting, and the identifier."""

    identifier: str
    length: int
    chunk_size: int
    total_chunks: int
    filename: str | None = None

    def __post_init__(self) -> None:
        if not IDENTIFIER.match(self.identifier) or ".." in self.identifier:
            raise InvalidInput("resumableIdentifier may only hold letters, digits, '.', '_' and '-' "
                               "(at most 200, no '..')", field="resumableIdentifier")
        if self.length < 1:
            raise InvalidInput("resumableTotalSize must be at least 1", field="resumableTotalSize")
        if self.chunk_size < 1:
            raise InvalidInput("resumableChunkSize must be at least 1", field="resumableChunkSize")
        floor, ceil = max(1, self.length // self.chunk_size), -(-self.length // self.chunk_size)
        if self.total_chunks not in (floor, ceil) or self.total_chunks > MAX_CHUNKS:
            raise InvalidInput(f"resumableTotalChunks {self.total_chunks} does not fit a file of {self.length} "
                               f"bytes in chunks of {self.chunk_size}", field="resumableTotalChunks")

    def span(self, number: int) -> tuple[int, int]:
        """(start, size) of chunk ``number``."""
        if not 1 <= number <= self.total_chunks:
            raise InvalidInput(f"chunk number {number} is outside 1..{self.total_chunks}",
                               field="resumableChunkNumber")
        start = (number - 1) * self.chunk_size
        size = self.length - start if number == self.total_chunks else self.chunk_size
        return start, size


def chunk_key(upload_id: str, number: int) -> str:
    return f"{staging_prefix(upload_id)}chunks/{number:06d}"


def open_chunked_upload(runtime: Runtime, actor: Actor, plan: ChunkPlan, *, video_ref: str | None) -> UploadStatus:
    """The chunk session for ``plan``: the signed URL's own session, or (API key) the video's
    active session with this identifier, created by the first chunk request that comes."""
    if isinstance(actor, UploadGrant):
        with upload_lock(runtime, actor.upload_id):
            with runtime.session() as db:
                sess = find_upload(db, actor, actor.upload_id)
                check_writable(sess)
                if sess.mode != "chunks":
                    if sess.offset or sess.staging:
                        raise Conflict("this upload URL is already used by a byte-stream upload")
                    sess.mode, sess.protocol = "chunks", "resumable"
                    set_length(sess, plan.length, team_upload_limit(db, db.get_one(Team, sess.team_id), runtime))
                    sess.chunk_size, sess.total_chunks = plan.chunk_size, plan.total_chunks
                    sess.client_ref = plan.identifier
                    sess.filename = sess.filename or plan.filename
                    db.commit()
                _check_plan(sess, plan)
                return status_of(sess)
    assert video_ref is not None
    with client_lock(runtime, "rj", actor.team_id, video_ref, plan.identifier):
        with runtime.session() as db:
            video = find_video(db, actor, video_ref)
            sess = db.scalar(select(UploadSession).where(
                UploadSession.video_id == video.id, UploadSession.client_ref == plan.identifier,
                UploadSession.mode == "chunks", UploadSession.state.in_(
                    (UploadState.active.value, UploadState.completed.value)),
            ).order_by(UploadSession.id.desc()))
            if sess is not None:
                _check_plan(sess, plan)
                return status_of(sess)
            video_uuid = video.uuid
        status = create_upload(runtime, actor, video_uuid, protocol="resumable", length=plan.length,
                               filename=plan.filename, mode="chunks")
        with runtime.session() as db:
            sess = find_upload(db, actor, status.id)
            sess.chunk_size, sess.total_chunks, sess.client_ref = plan.chunk_size, plan.total_chunks, plan.identifier
            db.commit()
            return status_of(sess)


def _check_plan(sess: UploadSession, plan: ChunkPlan) -> None:
    for name, have, given in (
        ("resumableTotalSize", sess.length, plan.length),
        ("resumableChunkSize", sess.chunk_size, plan.chunk_size),
        ("resumableTotalChunks", sess.total_chunks, plan.total_chunks),
    ):
        if have != given:
            raise InvalidInput(f"{name} changed between chunks ({have} before, {given} now)", field=name)
    if sess.client_ref != plan.identifier:
        raise Conflict("this upload URL belongs to another file (resumableIdentifier differs)")


def _plan_of(sess: UploadSession) -> ChunkPlan:
    assert sess.length is not None and sess.chunk_size is not None and sess.total_chunks is not None
    return ChunkPlan(identifier=sess.client_ref or "x", length=sess.length, chunk_size=sess.chunk_size,
                     total_chunks=sess.total_chunks)


def has_chunk(runtime: Runtime, actor: Actor, upload_id: str, number: int) -> bool:
    """ResumableJS test request: is chunk ``number`` stored? Asked about the last chunk of a
    session whose chunks are all in but which is not committed (a crash during assembly), it
    assembles first, so a client that finds every chunk present finds the upload complete."""
    with runtime.session() as db:
        sess = find_upload(db, actor, upload_id)
        plan = _plan_of(sess)
        plan.span(number)
        if sess.state == UploadState.completed.value:
            return True
        check_writable(sess)
    with storage_errors("looking for a chunk"):
        in_place = chunk_writes(runtime.store)
        if in_place is not None:
            present = number in in_place.chunks_present(staged_of(sess))
        else:
            present = runtime.store.exists(chunk_key(sess.public_id, number))
    if present and number == plan.total_chunks:
        _assemble_if_complete(runtime, sess.id, sess.public_id, plan)
    return present


def put_chunk(
    runtime: Runtime, actor: Actor, upload_id: str, *, number: int, chunks: Iterable[bytes],
    declared_size: int | None = None,
) -> UploadStatus:
    """Store chunk ``number`` (its body must be exactly the chunk's size, else 400 and nothing is
    kept); when it was the last one missing, assemble and commit the upload."""
    with runtime.session() as db:
        sess = find_upload(db, actor, upload_id)
        plan = _plan_of(sess)
        start, size = plan.span(number)
        if sess.state == UploadState.completed.value:
            return status_of(sess)
        check_writable(sess)
    if declared_size is not None and declared_size != size:
        raise InvalidInput(f"chunk {number} must be {size} bytes, resumableCurrentChunkSize says {declared_size}",
                           field="resumableCurrentChunkSize")
    with storage_errors("storing the chunk"):
        in_place = chunk_writes(runtime.store)
        if in_place is not None:  # straight into the file: nothing to assemble at the end
            in_place.write_chunk(staged_of(sess), number=number, offset=start, size=size,
                                 chunks=_exact(chunks, size, number))
        else:
            runtime.store.put_stream(chunk_key(sess.public_id, number), _exact(chunks, size, number))
    return _assemble_if_complete(runtime, sess.id, sess.public_id, plan)


def _exact(chunks: Iterable[bytes], size: int, number: int) -> Iterator[bytes]:
    seen = 0
    for chunk in chunks:
        seen += len(chunk)
        if seen > size:
            raise InvalidInput(f"chunk {number} is longer than its {size} bytes", field="file")
        yield chunk
    if seen != size:
        raise InvalidInput(f"chunk {number} has {seen} bytes, expected {size}", field="file")


def chunks_received(runtime: Runtime, staged: Staged, plan: ChunkPlan) -> tuple[int, int]:
    """(number of chunks stored, their total size)."""
    with storage_errors("listing chunks"):
        in_place = chunk_writes(runtime.store)
        if in_place is not None:
            present = in_place.chunks_present(staged)
            return len(present), sum(plan.span(n)[1] for n in present if 1 <= n <= plan.total_chunks)
        infos = list(runtime.store.list(staging_prefix(staged.name) + "chunks/"))
    return len(infos), sum(i.size for i in infos)


def _assemble_if_complete(runtime: Runtime, session_id: int, upload_id: str, plan: ChunkPlan) -> UploadStatus:
    with runtime.session() as db:
        staged = staged_of(db.get_one(UploadSession, session_id))
    count, received = chunks_received(runtime, staged, plan)
    if count >= plan.total_chunks:
        try:
            with upload_lock(runtime, upload_id, wait=1.0):
                _assemble_locked(runtime, session_id, plan)
        except UploadLocked:
            pass  # another request is assembling it right now
    with runtime.session() as db:
        sess = db.get_one(UploadSession, session_id)
        if sess.state == UploadState.active.value:
            sess.offset = received
            db.commit()
        return status_of(sess)


def _assemble_locked(runtime: Runtime, session_id: int, plan: ChunkPlan) -> None:
    if (found := unfinished_session(runtime, session_id)) is None:
        return
    sess, staged = found
    upload_id = sess.public_id
    if chunk_writes(runtime.store) is not None:  # the chunks are in place already
        complete_locked(runtime, session_id)
        return
    offset = read_staged_size(runtime, staged)  # a crashed assembly continues where it stopped

    def pieces() -> Iterator[bytes]:
        for number in range(1, plan.total_chunks + 1):
            start, size = plan.span(number)
            if start + size <= offset:
                continue
            skip = max(0, offset - start)
            yield from runtime.store.open_range(chunk_key(upload_id, number), skip)

    if offset < plan.length:
        write_locked(runtime, session_id, offset=offset, chunks=pieces(), content_length=plan.length - offset)
    else:
        complete_locked(runtime, session_id)
