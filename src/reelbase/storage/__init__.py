"""Object storage: the :class:`BlobStore` seam and its local and S3 backends.

Everything outside this package goes through :class:`BlobStore` (usually built by
:func:`open_store` from the settings) and never assumes that a key is a local path.
"""

from .base import (
    DEFAULT_CONTENT_TYPE,
    BlobInfo,
    BlobNotFound,
    BlobStore,
    InvalidKey,
    StorageError,
    check_key,
    check_prefix,
    content_disposition,
)
from .factory import open_store
from .local import LocalBlobStore
from .s3 import S3BlobStore

__all__ = [
    "DEFAULT_CONTENT_TYPE",
    "BlobInfo",
    "BlobNotFound",
    "BlobStore",
    "InvalidKey",
    "LocalBlobStore",
    "S3BlobStore",
    "StorageError",
    "check_key",
    "check_prefix",
    "content_disposition",
    "open_store",
]
