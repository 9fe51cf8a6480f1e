"""Native API: webhook subscriptions and their delivery log."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import Field

from reelbase.api.schemas import DeliveriesPublic, Strict, WebhookPublic, WebhooksPublic
from reelbase.edge.errors import error_responses
from reelbase.core import webhooks as core_webhooks
from reelbase.edge.deps import DbDep, PrincipalDep, RuntimeDep
from reelbase.edge.representations import delivery_public, subscription_public

router = APIRouter(prefix="/webhooks", tags=["webhooks"], responses=error_responses(401, 403, 429))


class WebhookCreate(Strict):
    url: str = Field(max_length=2000)
    events: list[str] | None = Field(default=None, description=f"any of {', '.join(core_webhooks.EVENTS)} or '*'")
    description: str = Field(default="", max_length=500)


@router.post("", status_code=201, summary="Subscribe a URL to events (deliveries signed per Standard Webhooks)",
             response_model=WebhookPublic, responses=error_responses(400, 422))
def create_webhook(body: WebhookCreate, db: DbDep, principal: PrincipalDep, runtime: RuntimeDep) -> dict:
    sub = core_webhooks.create_subscription(db, principal, url=body.url, events=body.events,
                                            description=body.description)
    return subscription_public(sub, core_webhooks.subscription_secret(sub, runtime.secret_key))


@router.get("", response_model=WebhooksPublic)
def list_webhooks(db: DbDep, principal: PrincipalDep, runtime: RuntimeDep) -> dict:
    subs = core_webhooks.list_subscriptions(db, principal)
    return {"items": [subscription_public(s, core_webhooks.subscription_secret(s, runtime.secret_key)) for s in subs]}


@router.get("/{webhook_id}", response_model=WebhookPublic, responses=error_responses(404, 422))
def get_webhook(webhook_id: str, db: DbDep, principal: PrincipalDep, runtime: RuntimeDep) -> dict:
    sub = core_webhooks.get_subscription(db, principal, webhook_id)
    return subscription_public(sub, core_webhooks.subscription_secret(sub, runtime.secret_key))


@router.delete("/{webhook_id}", status_code=204, responses=error_responses(404, 422))
def delete_webhook(webhook_id: str, db: DbDep, principal: PrincipalDep) -> Response:
    core_webhooks.delete_subscription(db, principal, webhook_id)
    return Response(status_code=204)


@router.get("/{webhook_id}/deliveries", summary="The delivery log: status, attempts, last error",
            response_model=DeliveriesPublic, responses=error_responses(404, 422))
def list_deliveries(webhook_id: str, db: DbDep, principal: PrincipalDep) -> dict:
    sub = core_webhooks.get_subscription(db, principal, webhook_id)
    return {"items": [delivery_public(d) for d in core_webhooks.list_deliveries(db, sub)]}
