"""Imports every job handler so the registry is complete in any process that runs jobs."""

from reelbase.jobs import fetch, ingest, process, transcode, webhooks  # noqa: F401
