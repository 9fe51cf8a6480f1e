"""What only the local backend promises: plain files, a private corner, tidy directories."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reelbase.storage import (
    DEFAULT_CONTENT_TYPE,
    BlobNotFound,
    InvalidKey,
    LocalBlobStore,
    StorageError,
)


@pytest.fixture
def local(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "store")


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_local_objects_are_plain_files_at_their_key(local: LocalBlobStore) -> None:
    local.put_stream("videos/1/original", [b"abc", b"def"], content_type="video/mp4")
    assert (local.root / "videos" / "1" / "original").read_bytes() == b"abcdef"
    assert [i.key for i in local.list()] == ["videos/1/original"]  # the sidecar is not listed


def test_local_root_is_created_and_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = LocalBlobStore("rel/store")
    assert store.root == tmp_path / "rel" / "store" and store.root.is_dir()


@pytest.mark.parametrize("key", [".reelbase/tmp/x", ".reelbase/meta/y", ".reelbase"])
def test_local_reserved_name_is_refused(local: LocalBlobStore, key: str) -> None:
    with pytest.raises(InvalidKey):
        local.put_stream(key, [b"x"])
    with pytest.raises(InvalidKey):
        local.stat(key)


def test_local_symlink_cannot_lead_a_key_outside(local: LocalBlobStore, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"secret")
    os.symlink(outside, local.root / "link")
    with pytest.raises(InvalidKey):
        local.stat("link/secret")
    with pytest.raises(InvalidKey):
        local.put_stream("link/new", [b"x"])
    with pytest.raises(InvalidKey):
        list(local.list("link/"))
    assert sorted(p.name for p in outside.iterdir()) == ["secret"]


def test_local_failed_put_leaves_no_file_anywhere(local: LocalBlobStore) -> None:
    def broken():
        yield b"x" * 1000
        raise OSError("disk went away")

    with pytest.raises(OSError, match="disk went away"):
        local.put_stream("a/b/c", broken(), content_type="video/mp4")
    assert _files(local.root) == []


def test_local_delete_prunes_empty_directories(local: LocalBlobStore) -> None:
    local.put_stream("a/b/c/d", [b"1"])
    local.put_stream("a/x", [b"2"])
    local.delete("a/b/c/d")
    assert not (local.root / "a" / "b").exists()
    assert (local.root / "a" / "x").exists()
    assert local.delete_prefix("a/") == 1
    assert sorted(p.name for p in local.root.iterdir()) == [".reelbase"]


def test_local_delete_prefix_prunes_nested_directories(local: LocalBlobStore) -> None:
    for key in ["v/1/hls/720/seg1.ts", "v/1/hls/720/seg2.ts", "v/1/hls/master.m3u8", "v/2/o"]:
        local.put_stream(key, [b"s"], content_type="video/mp2t")
    assert local.delete_prefix("v/1/") == 3
    assert not (local.root / "v" / "1").exists()
    assert [i.key for i in local.list()] == ["v/2/o"]
    assert len(_files(local.root / ".reelbase" / "meta")) == 1  # only v/2/o's sidecar is left


def test_local_overwrites_never_repeat_an_etag(local: LocalBlobStore) -> None:
    # Same size, back to back: the inode of an overwritten file is freed and may be reused at
    # once, so only a fine-grained mtime keeps the validators apart.
    etags = {local.put_stream("k", [bytes([i % 2]) * 10]).etag for i in range(50)}
    assert len(etags) == 50


def test_local_sidecar_of_another_version_is_ignored(local: LocalBlobStore, tmp_path: Path) -> None:
    local.put_stream("k", [b"old"], content_type="video/mp4")
    replacement = local.root / "replacement"
    replacement.write_bytes(b"new!")
    os.replace(replacement, local.root / "k")  # as if a crash hit between the two renames
    assert local.stat("k").content_type == DEFAULT_CONTENT_TYPE


def test_local_object_and_prefix_conflict_is_an_error(local: LocalBlobStore) -> None:
    local.put_stream("a", [b"file"])
    with pytest.raises(StorageError):
        local.put_stream("a/b", [b"x"])
    local.put_stream("c/d", [b"x"])
    with pytest.raises(StorageError):
        local.put_stream("c", [b"file"])
    assert [i.key for i in local.list()] == ["a", "c/d"]
    assert list((local.root / ".reelbase" / "tmp").iterdir()) == []


def test_local_directory_is_not_an_object(local: LocalBlobStore, tmp_path: Path) -> None:
    local.put_stream("dir/x", [b"x"])
    with pytest.raises(BlobNotFound):
        local.stat("dir")
    with pytest.raises(BlobNotFound):
        local.open_range("dir")
    with pytest.raises(BlobNotFound):
        local.get_to_file("dir", tmp_path / "out")
    with pytest.raises(BlobNotFound):
        local.stat("dir/x/deeper")  # a path through a file
    local.delete("dir")
    assert local.exists("dir/x")


def test_local_get_to_file_is_a_copy_not_a_link(local: LocalBlobStore, tmp_path: Path) -> None:
    local.put_stream("o", [b"original"])
    dest = tmp_path / "copy"
    local.get_to_file("o", dest)
    assert dest.stat().st_ino != (local.root / "o").stat().st_ino
    assert (local.root / "o").stat().st_nlink == 1


def test_local_unread_range_reader_closes_its_file(local: LocalBlobStore) -> None:
    local.put_stream("o", [b"x" * 100])
    fd_dir = Path("/proc/self/fd")
    before = len(list(fd_dir.iterdir()))
    readers = [local.open_range("o") for _ in range(20)]
    assert len(list(fd_dir.iterdir())) >= before + 20
    del readers
    assert len(list(fd_dir.iterdir())) <= before
