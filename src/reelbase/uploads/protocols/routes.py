"""The upload surfaces' router, mounted under the API prefix by ``app.py``.

Fixed paths come before ``/uploads/{id}`` so that tus's ``POST /uploads/{id}`` (method override)
never swallows ``/uploads/url`` or ``/uploads/signed``.
"""

from __future__ import annotations

from fastapi import APIRouter

from . import resumable, signed, tus, url
from .cors import UploadsCORS

router = APIRouter()
router.include_router(signed.router)
router.include_router(resumable.router)
router.include_router(url.router)
router.include_router(tus.router)

__all__ = ["UploadsCORS", "router"]
