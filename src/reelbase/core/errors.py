"""Domain errors with stable codes. Surfaces choose the HTTP status and body shape at the edge.

``status`` is the suggested HTTP status for the native API; dialects map ``code`` to their own.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "error"
    status = 400
    # Raised inside a job, a domain error fails it at once: the rule that refused the work (bad
    # input, a conflict, a row that is gone) refuses it again on every retry.
    permanent = True

    def __init__(self, message: str, *, field: str | None = None, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details


class Unauthenticated(DomainError):
    code = "unauthenticated"
    status = 401


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class Banned(Forbidden):
    code = "user_banned"


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Conflict(DomainError):
    code = "conflict"
    status = 409


class InvalidTransition(Conflict):
    """A video state change that the state table (``core/videos/state.py``) does not allow from
    the video's current state."""

    code = "invalid_state"


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 422


class MalformedBody(DomainError):
    """The request body cannot be read as the format it declares (a broken multipart form, say):
    the client's fault, told apart from a body that parses but holds invalid values (422)."""

    code = "malformed_body"
    status = 400


class PayloadTooLarge(DomainError):
    code = "too_large"
    status = 413


class QuotaExceeded(DomainError):
    """A team limit was reached; ``limit`` names it (quota_bytes, quota_videos, max_upload_bytes)."""

    code = "quota_exceeded"
    status = 413

    def __init__(self, message: str, *, limit: str, value: int) -> None:
        super().__init__(message, limit=limit, value=value)
        self.limit = limit
        self.value = value


class NoMedia(DomainError):
    """The video has no stored file (yet) for what was asked."""

    code = "no_media"
    status = 409


class RangeNotSatisfiable(DomainError):
    code = "range_not_satisfiable"
    status = 416

    def __init__(self, message: str, *, size: int) -> None:
        super().__init__(message, size=size)
        self.size = size


class ServiceUnavailable(DomainError):
    code = "unavailable"
    status = 503


class TooManyAttempts(DomainError):
    """Too many failed sign-ins (or bad API keys, or bad signatures) for one account or from one
    client address: refused without checking anything until ``retry_after`` seconds have passed.
    Not permanent: the same request succeeds once the wait is over."""

    code = "too_many_attempts"
    status = 429
    permanent = False

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after
