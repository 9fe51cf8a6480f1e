"""Loaded by the schemathesis runs (SCHEMATHESIS_HOOKS): tus chunks are raw bytes under their own
media type, which schemathesis does not know how to send."""

from __future__ import annotations

import schemathesis

schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
