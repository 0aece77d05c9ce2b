"""Retention: the bookkeeping rows that only matter for a while are pruned by a periodic job, so the
database does not grow forever. What is kept, and how long, is `[retention]` in node.toml (docs/operating.md):

- deliveries that are finished (delivered, failed or given up) and then the outbound activities left with
  no delivery; a Delete of an older post goes to its author's followers rather than everywhere its Create
  went;
- inbound activities applied (or failed for good): their activity id no longer dedupes a late replay, which
  the handlers tolerate (they key on object ids);
- revoked OAuth tokens, expired authorization codes and web sessions, and Idempotency-Keys past their hour.

Pending work (deliveries to retry, inbound activities to apply, PendingEffect rows) is never pruned.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise.queryset import QuerySet

from ..models import (
    Delivery,
    IdempotencyKey,
    InboxActivity,
    OAuthCode,
    OAuthToken,
    OutboxActivity,
    SignUpDecoy,
    WebSession,
)
from ..runtime import Node

CHUNK = 2000  # rows deleted per statement, so a large backlog never holds the write lock for long
IDEMPOTENCY = timedelta(hours=1)
DECOY_FOR = timedelta(days=7)  # node/notify/mail.py CONFIRM_FOR


async def _delete_in_chunks(query: QuerySet) -> int:
    removed = 0
    while ids := list(await query.limit(CHUNK).values_list("id", flat=True)):
        removed += await query.model.filter(id__in=ids).delete()
        if len(ids) < CHUNK:
            break
    return removed


async def run_once(node: Node, now: datetime | None = None) -> dict[str, int]:
    """Prune everything past its retention at `now`; returns how many rows went, per kind."""
    now = now or datetime.now(UTC)
    keep = node.config.retention
    finished = now - timedelta(days=keep.deliveries_days)
    applied = now - timedelta(days=keep.inbox_days)
    revoked = now - timedelta(days=keep.revoked_tokens_days)
    removed = {
        "deliveries": await _delete_in_chunks(
            Delivery.filter(state__in=("delivered", "failed", "given_up"), created_at__lt=finished)
        ),
        "outbound activities": await _delete_in_chunks(
            OutboxActivity.filter(created_at__lt=finished, deliveries__id__isnull=True)
        ),
        "inbound activities": await _delete_in_chunks(
            InboxActivity.filter(state__in=("done", "failed"), received_at__lt=applied)
        ),
        "revoked tokens": await _delete_in_chunks(OAuthToken.filter(revoked_at__lt=revoked)),
        "authorization codes": await _delete_in_chunks(OAuthCode.filter(expires_at__lt=now)),
        "web sessions": await _delete_in_chunks(WebSession.filter(expires_at__lt=now)),
        # as long as a real sign-up's confirmation link would have worked
        "sign-up decoys": await _delete_in_chunks(SignUpDecoy.filter(created_at__lt=now - DECOY_FOR)),
        "idempotency keys": await _delete_in_chunks(IdempotencyKey.filter(created_at__lt=now - IDEMPOTENCY)),
    }
    return removed
