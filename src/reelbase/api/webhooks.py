"""Native API: webhook subscriptions and their delivery log."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import Field

from reelbase.api.deps import DbDep, PrincipalDep, RuntimeDep
from reelbase.api.schemas import Strict, iso
from reelbase.core import webhooks as core_webhooks
from reelbase.db.models import WebhookDelivery, WebhookSubscription

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


class WebhookCreate(Strict):
    url: str = Field(max_length=2000)
    events: list[str] | None = Field(default=None, description=f"any of {', '.join(core_webhooks.EVENTS)} or '*'")
    description: str = Field(default="", max_length=500)


def subscription_public(sub: WebhookSubscription, secret: str) -> dict[str, Any]:
    return {"id": sub.uuid, "url": sub.url, "events": sub.events, "description": sub.description,
            "active": sub.active, "secret": secret, "created_at": iso(sub.created_at)}


def delivery_public(d: WebhookDelivery) -> dict[str, Any]:
    return {"id": d.message_id, "event": d.event, "state": d.state, "attempts": d.attempts,
            "last_status": d.last_status, "last_error": d.last_error, "next_attempt_at": iso(d.next_attempt_at),
            "created_at": iso(d.created_at), "delivered_at": iso(d.delivered_at), "payload": d.payload}


@router.post("", status_code=201, summary="Subscribe a URL to events (deliveries signed per Standard Webhooks)")
def create_webhook(body: WebhookCreate, db: DbDep, principal: PrincipalDep, runtime: RuntimeDep) -> dict:
    sub = core_webhooks.create_subscription(db, principal, url=body.url, events=body.events,
                                            description=body.description)
    return subscription_public(sub, core_webhooks.subscription_secret(sub, runtime.secret_key))


@router.get("")
def list_webhooks(db: DbDep, principal: PrincipalDep, runtime: RuntimeDep) -> dict:
    subs = core_webhooks.list_subscriptions(db, principal)
    return {"items": [subscription_public(s, core_webhooks.subscription_secret(s, runtime.secret_key)) for s in subs]}


@router.get("/{webhook_id}")
def get_webhook(webhook_id: str, db: DbDep, principal: PrincipalDep, runtime: RuntimeDep) -> dict:
    sub = core_webhooks.get_subscription(db, principal, webhook_id)
    return subscription_public(sub, core_webhooks.subscription_secret(sub, runtime.secret_key))


@router.delete("/{webhook_id}", status_code=204)
def delete_webhook(webhook_id: str, db: DbDep, principal: PrincipalDep) -> Response:
    core_webhooks.delete_subscription(db, principal, webhook_id)
    return Response(status_code=204)


@router.get("/{webhook_id}/deliveries", summary="The delivery log: status, attempts, last error")
def list_deliveries(webhook_id: str, db: DbDep, principal: PrincipalDep) -> dict:
    sub = core_webhooks.get_subscription(db, principal, webhook_id)
    return {"items": [delivery_public(d) for d in core_webhooks.list_deliveries(db, sub)]}
