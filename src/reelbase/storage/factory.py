"""Build a :class:`~reelbase.storage.base.BlobStore` from a storage URL in the settings.

Accepted forms:

* ``file:///var/lib/reelbase/media`` or a plain path (``/var/lib/reelbase/media``, ``./media``):
  a :class:`LocalBlobStore` rooted there;
* ``s3://bucket`` or ``s3://bucket/some/prefix``: an :class:`S3BlobStore`; the endpoint,
  region and credentials come as arguments (from the settings), never inside the URL, so that
  secrets do not end up in logs that print the URL.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from .base import BlobStore
from .local import LocalBlobStore
from .s3 import S3BlobStore


def open_store(
    url: str,
    *,
    endpoint_url: str | None = None,
    region: str | None = None,
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
    create_bucket: bool = False,
) -> BlobStore:
    """The store named by ``url``; raises ValueError for a URL it cannot use.

    The S3 arguments are ignored for a local store, so the settings can always pass them all.
    """
    if not url:
        raise ValueError("empty storage URL")
    scheme = urlsplit(url).scheme.lower()
    if scheme == "s3":
        return _open_s3(
            url,
            endpoint_url=endpoint_url,
            region=region,
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
            create_bucket=create_bucket,
        )
    if scheme == "file":
        return LocalBlobStore(_file_path(url))
    # One letter before ":" is a Windows drive, not a scheme; anything longer is an unknown one.
    if len(scheme) > 1:
        raise ValueError(f"unsupported storage URL scheme {scheme!r} in {url!r}")
    return LocalBlobStore(Path(url))


def _file_path(url: str) -> Path:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise ValueError(f"file URL with a remote host: {url!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"file URL with a query or fragment: {url!r}")
    path = unquote(parts.path)
    if not path.startswith("/"):
        raise ValueError(f"file URL needs an absolute path: {url!r}")
    return Path(path)


def _open_s3(
    url: str,
    *,
    endpoint_url: str | None,
    region: str | None,
    access_key_id: str | None,
    secret_access_key: str | None,
    create_bucket: bool,
) -> S3BlobStore:
    parts = urlsplit(url)
    if "@" in parts.netloc:
        raise ValueError("put S3 credentials in the settings, not in the storage URL")
    if parts.query or parts.fragment:
        raise ValueError(f"S3 URL with a query or fragment: {url!r}")
    bucket = parts.netloc
    if not bucket:
        raise ValueError(f"S3 URL without a bucket: {url!r}")
    return S3BlobStore(
        bucket,
        prefix=unquote(parts.path).strip("/"),
        endpoint_url=endpoint_url,
        region=region,
        access_key_id=access_key_id,
        secret_access_key=secret_access_key,
        create_bucket=create_bucket,
    )
