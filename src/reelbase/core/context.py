"""Who is asking: the principal every core operation receives from a surface.

A principal holds immutable snapshots of the rows it was made from, not the rows themselves:
it outlives the session that read it (the authentication cache, ``core/auth/principal_cache.py``,
hands the same principal to many requests on many threads), so nothing in it may lazy-load, be
changed or be attached to another session. Code that must change a user, team or key loads the
row by the snapshot's ``id`` in its own session.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from reelbase.db.models import ApiKey, Team, User


class _Snapshot:
    __slots__ = ()

    @classmethod
    def of(cls, row: Any) -> Self:
        """The snapshot of ``row`` (an ORM row, or a snapshot already)."""
        if isinstance(row, cls):
            return row
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class UserSnapshot(_Snapshot):
    """A user as read (never the password hash)."""

    id: int
    uuid: str
    email: str
    name: str
    is_admin: bool
    banned: bool
    banned_at: dt.datetime | None
    banned_reason: str | None
    email_confirmed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class TeamSnapshot(_Snapshot):
    id: int
    uuid: str
    name: str
    quota_bytes: int | None
    quota_videos: int | None
    max_upload_bytes: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class KeySnapshot(_Snapshot):
    """An API key as read (never its digest). ``last_used_at`` is the value when it was read;
    the database's is the truth (``core/auth/key_use.py`` keeps it)."""

    id: int
    public_id: str
    key_type: str
    name: str
    user_id: int
    team_id: int
    derive_salt: str  # with the server secret, re-derives the key's secret for signed requests
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


@dataclass(frozen=True)
class Principal:
    user: UserSnapshot
    team: TeamSnapshot
    api_key: KeySnapshot | None = None

    @classmethod
    def of(cls, user: User | UserSnapshot, team: Team | TeamSnapshot,
           api_key: ApiKey | KeySnapshot | None = None) -> Principal:
        """The principal of these rows, as snapshots."""
        return cls(user=UserSnapshot.of(user), team=TeamSnapshot.of(team),
                   api_key=KeySnapshot.of(api_key) if api_key is not None else None)

    @property
    def team_id(self) -> int:
        return self.team.id

    @property
    def key_type(self) -> str:
        return self.api_key.key_type if self.api_key else "user"

    @property
    def acting_user_id(self) -> int | None:
        """Owner recorded on new videos: none for organization keys (ilos semantics)."""
        if self.api_key is not None and self.api_key.key_type == "organization":
            return None
        return self.user.id
