"""Placeholder router (filled in by the web pages work)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
