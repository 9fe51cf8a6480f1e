"""The webhook delivery job: one POST per attempt, through the SSRF guard, retried with
exponential backoff (the delivery row keeps attempts, status and error for the delivery log)."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

from reelbase.core.job_kinds import JobKind, WebhookPayload
from reelbase.core.webhooks import subscription_secret, sign
from reelbase.db.models import Job, WebhookDelivery, WebhookSubscription, utcnow
from reelbase.jobs.registry import JobContext, PermanentJobError, RetryLater, job_handler
from reelbase.net import FetchError, FetchPolicy, UnsafeURLError, post_bytes


def _record(ctx: JobContext, delivery_id: int, **values: Any) -> None:
    with ctx.runtime.session() as db:
        delivery = db.get(WebhookDelivery, delivery_id)
        if delivery is not None:
            for key, value in values.items():
                setattr(delivery, key, value)
            db.commit()


@job_handler(JobKind.webhook)
def deliver_webhook(ctx: JobContext, message: WebhookPayload) -> dict[str, Any] | None:
    rt = ctx.runtime
    delivery_id = message.delivery_id
    with rt.session() as db:
        delivery = db.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.state == "succeeded":
            return None
        body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
        headers = {"Content-Type": "application/json", "webhook-id": delivery.message_id}
        timestamp = int(time.time())
        headers["webhook-timestamp"] = str(timestamp)
        if delivery.signed and delivery.subscription_id is not None:
            sub = db.get(WebhookSubscription, delivery.subscription_id)
            if sub is None or not sub.active:
                delivery.state, delivery.last_error = "cancelled", "the subscription was removed or disabled"
                db.commit()
                return None
            headers["webhook-signature"] = sign(subscription_secret(sub, rt.secret_key), delivery.message_id,
                                                timestamp, body)
        url = delivery.url
    settings = rt.settings
    policy = FetchPolicy(allow_hosts=settings.allowed_fetch_hosts(), max_redirects=0,
                         connect_timeout=min(10.0, settings.webhook_timeout_seconds),
                         read_timeout=settings.webhook_timeout_seconds,
                         total_timeout_s=settings.webhook_timeout_seconds, user_agent="Reelbase-Webhooks/1")
    try:
        status, _ = post_bytes(url, body, headers=headers, policy=policy)
        error = None if 200 <= status < 300 else f"the endpoint answered {status}"
    except UnsafeURLError as exc:
        _record(ctx, delivery_id, state="failed", attempts=ctx.attempt, last_error=exc.message)
        raise PermanentJobError(exc.message) from None
    except FetchError as exc:
        status, error = None, exc.message
    if error is None:
        _record(ctx, delivery_id, state="succeeded", attempts=ctx.attempt, last_status=status, last_error=None,
                delivered_at=utcnow(), next_attempt_at=None)
        return {"status": status}
    delay = min(3600.0, settings.webhook_retry_base_seconds * 2 ** (ctx.attempt - 1))
    with rt.session() as db:
        final = ctx.attempt >= db.get_one(Job, ctx.job_id).max_attempts
    _record(ctx, delivery_id, state="failed" if final else "retrying", attempts=ctx.attempt, last_status=status,
            last_error=error, next_attempt_at=None if final else utcnow() + dt.timedelta(seconds=delay))
    raise RetryLater(error or "delivery failed", delay_s=delay)
