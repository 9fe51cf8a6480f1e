"""Webhooks: team subscriptions and one-off per-video callbacks, delivered as persisted,
retried messages signed per the Standard Webhooks spec (webhook-id, webhook-timestamp,
webhook-signature ``v1,<base64 HMAC-SHA256(secret, id.timestamp.body)>``).

Events: ``upload.completed``, ``video.ready``, ``video.failed``. Per-video callbacks (e.g. the
ilos ``video_endpoint``) live in ``video.options["callbacks"]`` and shape their payload with a
formatter a surface registered by name (the dialect translates; the core delivers).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelbase.core.context import Principal
from reelbase.core.errors import InvalidInput, NotFound
from reelbase.core.job_kinds import WebhookPayload
from reelbase.core.jobs import enqueue_job
from reelbase.db.models import Video, WebhookDelivery, WebhookSubscription, utcnow

EVENTS = ("upload.completed", "video.ready", "video.failed")
MAX_ATTEMPTS = 8
Formatter = Callable[[Video, dict[str, Any], str], dict[str, Any]]
_FORMATTERS: dict[str, Formatter] = {}


def register_payload_format(name: str, formatter: Formatter) -> None:
    """A surface registers how its callbacks look: formatter(video, extras, public_url) -> JSON."""
    _FORMATTERS[name] = formatter


def check_webhook_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("webhook url must be an absolute http(s) URL", field="url")
    if parts.username or parts.password:
        raise InvalidInput("webhook url must not carry credentials", field="url")
    if len(url) > 2000:
        raise InvalidInput("webhook url is too long", field="url")
    return url


def _check_events(events: list[str] | None) -> list[str]:
    events = list(events or EVENTS)
    unknown = [e for e in events if e not in EVENTS and e != "*"]
    if unknown:
        raise InvalidInput(f"unknown events {unknown}; known: {', '.join(EVENTS)}", field="events")
    return events


def subscription_secret(sub: WebhookSubscription, server_secret: str) -> str:
    mac = hmac.new(server_secret.encode(), f"webhook:{sub.uuid}:{sub.secret_salt}".encode(), hashlib.sha256)
    return "whsec_" + base64.b64encode(mac.digest()).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def create_subscription(
    db: Session, principal: Principal, *, url: str, events: list[str] | None, description: str = ""
) -> WebhookSubscription:
    sub = WebhookSubscription(
        team_id=principal.team_id, url=check_webhook_url(url), events=_check_events(events),
        description=description[:500], secret_salt=secrets.token_hex(16),
    )
    db.add(sub)
    db.commit()
    return sub


def list_subscriptions(db: Session, principal: Principal) -> list[WebhookSubscription]:
    query = select(WebhookSubscription).where(WebhookSubscription.team_id == principal.team_id)
    return list(db.scalars(query.order_by(WebhookSubscription.id)))


def get_subscription(db: Session, principal: Principal, ref: str) -> WebhookSubscription:
    sub = db.scalar(
        select(WebhookSubscription).where(WebhookSubscription.uuid == ref, WebhookSubscription.team_id == principal.team_id)
    )
    if sub is None:
        raise NotFound(f"no webhook {ref}")
    return sub


def delete_subscription(db: Session, principal: Principal, ref: str) -> None:
    """Remove one of the team's subscriptions (NotFound for another team's)."""
    db.delete(get_subscription(db, principal, ref))
    db.commit()


def list_deliveries(db: Session, sub: WebhookSubscription, *, limit: int = 100) -> list[WebhookDelivery]:
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == sub.id)
    return list(db.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit)))


def video_event_data(video: Video, public_url: str) -> dict[str, Any]:
    return {
        "id": video.uuid,
        "token": video.token,
        "title": video.title,
        "state": video.state,
        "state_message": video.state_message,
        "duration_ms": video.duration_ms,
        "url": f"{public_url}/api/v1/videos/{video.uuid}",
    }


def _queue(db: Session, **fields: Any) -> WebhookDelivery:
    delivery = WebhookDelivery(message_id="msg_" + secrets.token_hex(12), **fields)
    db.add(delivery)
    db.flush()
    enqueue_job(db, WebhookPayload(delivery_id=delivery.id), max_attempts=MAX_ATTEMPTS)
    return delivery


def emit_video_event(db: Session, video: Video, event: str, *, public_url: str) -> list[WebhookDelivery]:
    """Queue the deliveries of ``event`` for ``video`` in the caller's transaction."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event}")
    out: list[WebhookDelivery] = []
    now = utcnow()
    body = {"type": event, "timestamp": now.isoformat().replace("+00:00", "Z"),
            "data": video_event_data(video, public_url)}
    subs = db.scalars(
        select(WebhookSubscription).where(WebhookSubscription.team_id == video.team_id, WebhookSubscription.active)
    )
    for sub in subs:
        if event in sub.events or "*" in sub.events:
            out.append(_queue(db, subscription_id=sub.id, team_id=video.team_id, video_id=video.id, event=event,
                              url=sub.url, payload=body, signed=True))
    for callback in (video.options or {}).get("callbacks", []):
        if event not in callback.get("events", ["video.ready"]):
            continue
        formatter = _FORMATTERS.get(callback.get("format", ""))
        payload = formatter(video, callback.get("extras") or {}, public_url) if formatter else body
        out.append(_queue(db, subscription_id=None, team_id=video.team_id, video_id=video.id, event=event,
                          url=callback["url"], payload=payload, signed=False))
    return out


def add_video_callback(
    video: Video, *, url: str, format: str = "", events: list[str] | None = None, extras: dict[str, Any] | None = None
) -> None:
    """Ask for a one-off callback to ``url`` when the video reaches an event (default: ready)."""
    callbacks = list((video.options or {}).get("callbacks", []))
    callbacks.append({"url": check_webhook_url(url), "format": format, "events": _check_events(events or ["video.ready"]),
                      "extras": dict(extras or {})})
    video.options = {**(video.options or {}), "callbacks": callbacks}
