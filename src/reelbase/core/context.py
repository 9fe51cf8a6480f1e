"""Who is asking: the principal every core operation receives from a surface."""

from __future__ import annotations

from dataclasses import dataclass

from reelbase.db.models import ApiKey, Team, User


@dataclass(frozen=True)
class Principal:
    user: User
    team: Team
    api_key: ApiKey | None = None

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
