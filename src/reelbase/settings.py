"""One validated Settings object, read from REELBASE_* environment variables at start-up.

Values are passed down as arguments from here; nothing deep in the code reads the environment.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

GiB = 1 << 30


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REELBASE_", extra="ignore")

    data_dir: Path = Field(default=Path("./var"), description="Where the embedded defaults live")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default SQLite file in the data dir"
    )
    storage_url: str | None = Field(
        default=None, description="file:///path or s3://bucket[/prefix]; default data_dir/storage"
    )
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    s3_create_bucket: bool = False
    public_url: str = Field(default="http://127.0.0.1:8000", description="Base URL put into links")
    secret_key: str | None = Field(
        default=None, description="Signs tokens and derives API key secrets; generated if unset"
    )
    max_upload_bytes: int = Field(default=20 * GiB, gt=0)
    default_quota_bytes: int = Field(default=500 * GiB, gt=0)
    default_quota_videos: int = Field(default=100_000, gt=0)
    queue_url: str | None = Field(
        default=None, description="'sqlite' (embedded, default), 'memory', or redis://host:port/db"
    )
    queue_name: str = Field(default="reelbase", description="Queue name (keeps deployments sharing a Redis apart)")
    workers: int = Field(default=2, ge=0, description="Job worker threads inside `reelbase serve`")
    job_lease_seconds: int = Field(
        default=60, ge=2, description="A running job whose heartbeat is older is taken again"
    )
    reaper_interval_seconds: float = Field(default=15.0, gt=0)
    upload_expiry_interval_seconds: float = Field(
        default=300.0, gt=0, description="How often workers remove expired, unfinished upload sessions"
    )
    webhook_retry_base_seconds: float = Field(
        default=10.0, gt=0, description="First webhook retry delay; doubles per attempt (≤ 1 h)"
    )
    webhook_timeout_seconds: float = Field(default=15.0, gt=0)
    ffmpeg: str | None = None
    max_width: int = Field(default=8192, gt=0, description="Largest accepted frame width")
    max_height: int = Field(default=8192, gt=0, description="Largest accepted frame height")
    max_duration_seconds: float = Field(default=6 * 3600, gt=0)
    media_step_timeout_seconds: float = Field(default=3 * 3600, gt=0)
    ffprobe: str | None = None
    fetch_allow_hosts: str = Field(
        default="", description="Comma-separated host[:port] that URL fetches may reach anyway"
    )
    # The brake on guessing (core/auth/throttle.py): counts shared through Redis when the queue is
    # Redis, else kept in each process.
    throttle_free_failures: int = Field(
        default=5, ge=1, description="Wrong passwords an account may have before lockouts start"
    )
    throttle_address_free_failures: int = Field(
        default=20, ge=1, description="Wrong passwords from one client address before lockouts start"
    )
    throttle_secret_free_failures: int = Field(
        default=50, ge=1, description="Bad API keys or signatures from one client address before lockouts start"
    )
    throttle_base_seconds: float = Field(
        default=1.0, gt=0, description="The first lockout; each further failure doubles it"
    )
    throttle_max_seconds: float = Field(default=900.0, gt=0, description="The longest lockout")
    throttle_forget_seconds: float = Field(
        default=3600.0, gt=0, description="Failures are forgotten after this long without a new one"
    )
    # Who is asking, remembered per process (core/auth/principal_cache.py): a revocation, a ban
    # or a password change is seen at once by the process that made it and, with the Redis queue
    # or a shared data directory, by every other; elsewhere within this lifetime.
    auth_cache_seconds: float = Field(
        default=30.0, ge=0,
        description="How long a process trusts what it read about an API key, token or session (0: not at all)",
    )
    auth_cache_entries: int = Field(default=10_000, ge=1, description="Principals one process remembers at most")
    key_last_used_seconds: float = Field(
        default=60.0, gt=0, description="API keys' last_used_at is recorded at most this often per key and process"
    )

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("secret_key")
    @classmethod
    def _refuse_weak_secret(cls, value: str | None) -> str | None:
        if value is not None and len(value) < 32:
            raise ValueError("REELBASE_SECRET_KEY must be at least 32 characters")
        return value

    @model_validator(mode="after")
    def _forget_after_lockouts(self) -> Settings:
        # A count forgotten while its lockout still runs would start the doubling over.
        if self.throttle_forget_seconds < self.throttle_max_seconds:
            raise ValueError("REELBASE_THROTTLE_FORGET_SECONDS must be at least REELBASE_THROTTLE_MAX_SECONDS")
        if self.throttle_base_seconds > self.throttle_max_seconds:
            raise ValueError("REELBASE_THROTTLE_BASE_SECONDS must not exceed REELBASE_THROTTLE_MAX_SECONDS")
        return self

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'reelbase.db').resolve()}"

    def resolved_storage_url(self) -> str:
        return self.storage_url or (self.data_dir / "storage").resolve().as_uri()

    def resolved_queue_url(self) -> str:
        return self.queue_url or "sqlite"

    def resolved_secret_key(self) -> str:
        """The configured secret, or one generated once and kept (mode 0600) in the data dir."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        path.touch(mode=0o600)
        path.write_text(value)
        return value

    def allowed_fetch_hosts(self) -> frozenset[str]:
        return frozenset(h.strip().lower() for h in self.fetch_allow_hosts.split(",") if h.strip())
