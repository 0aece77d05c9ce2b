"""The persisted delivery queue: one Delivery row per activity and inbox (shared inboxes preferred),
sent by worker tasks with a concurrency limit per destination, retried with exponential backoff and
jitter, given up after `federation.delivery_give_up_hours`; peers that keep failing are marked
unavailable (probed with one delivery at a time) and revived as soon as they answer."""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from federation.client import BlockedDestinationError, FetchError, HttpStatusError
from federation.signatures import SigningKey

from .. import db
from ..models import Account, Delivery, OutboxActivity, Peer
from . import claims, moderation, state
from .actors import host_of, key_id

if TYPE_CHECKING:
    from ..runtime import Node

log = logging.getLogger(__name__)

BATCH = 2000
BASE_DELAY = 30.0  # seconds before the first retry; doubles with each failure
MAX_DELAY = 6 * 3600.0
JITTER = 0.25  # +-25 %, so retries to a peer that came back do not arrive in one burst
UNAVAILABLE_AFTER = 8  # consecutive failures before a peer is marked unavailable
IDLE_WAIT = 30.0


def backoff(attempts: int, rng: random.Random = random._inst) -> float:  # type: ignore[attr-defined]
    """Seconds to wait after the `attempts`-th failure: 30 s, 60 s, 2 min ... capped at 6 h, with jitter."""
    delay = min(BASE_DELAY * 2 ** max(0, attempts - 1), MAX_DELAY)
    return delay * (1 + rng.uniform(-JITTER, JITTER))


def _permanent(exc: Exception) -> bool:
    """4xx answers other than 408 and 429, and destinations we may not contact, will not get better."""
    if isinstance(exc, BlockedDestinationError):
        return True
    return isinstance(exc, HttpStatusError) and exc.status is not None and 400 <= exc.status < 500 \
        and exc.status not in (408, 429)


async def enqueue(node: Node, signer: Account | None, doc: dict[str, Any], inboxes: Iterable[str]) -> int:
    """Persist `doc` and one delivery per distinct inbox (our own and suspended servers left out);
    returns how many deliveries were queued. Nothing is queued when federation is off."""
    if not node.config.federation.enabled or not doc.get("id"):
        return 0
    base = node.urls.base
    targets = []
    for inbox in dict.fromkeys(i for i in inboxes if i):
        if inbox.startswith(base + "/") or not inbox.startswith(("http://", "https://")):
            continue
        if await moderation.is_suspended(host_of(inbox)):
            continue
        targets.append(inbox)
    if not targets:
        return 0
    now = datetime.now(UTC)
    try:
        async with in_transaction():
            outbox = await OutboxActivity.create(uri=doc["id"], actor_id=signer.id if signer else 0,
                                                 type=str(doc.get("type", "")), body=json.dumps(doc, ensure_ascii=False))
            await Delivery.bulk_create([Delivery(activity_id=outbox.id, inbox_url=inbox, host=host_of(inbox),
                                                 next_attempt_at=now, created_at=now) for inbox in targets])
    except IntegrityError:  # the same activity was queued already (e.g. a repeated Delete)
        return 0
    fed = getattr(node, "federation", None)
    if fed is not None:
        fed.wake_delivery.set()
    return len(targets)


async def signing_keys(node: Node, actor_ids: set[int]) -> dict[int, SigningKey]:
    fed = state.of(node)
    missing = [i for i in actor_ids if i and i not in fed.signing_keys]
    if missing:
        for account in await Account.filter(id__in=missing):
            if account.private_key_pem:
                fed.signing_keys[account.id] = await node.run_blocking(
                    SigningKey.from_pem, key_id(account), account.private_key_pem)
    keys = {i: fed.signing_keys[i] for i in actor_ids if i in fed.signing_keys}
    if 0 in actor_ids:
        keys[0] = fed.instance_key
    return keys


async def _peers(hosts: set[str]) -> dict[str, Peer]:
    known = {p.host: p for p in await Peer.filter(host__in=list(hosts))}
    missing = [h for h in hosts if h not in known]
    if missing:
        await Peer.bulk_create([Peer(host=h) for h in missing], ignore_conflicts=True)
        known.update({p.host: p for p in await Peer.filter(host__in=missing)})
    return known


async def run_once(node: Node, now: datetime | None = None) -> int:
    """Attempt every delivery due at `now` (default: the present); returns how many were attempted."""
    now = now or datetime.now(UTC)
    rows = await Delivery.filter(state="pending", next_attempt_at__lte=now).order_by("next_attempt_at", "id").limit(BATCH)
    if not rows:
        return 0
    peers = await _peers({r.host for r in rows})
    chosen: list[Delivery] = []
    probing: set[str] = set()
    for row in rows:  # an unavailable peer gets one probe per pass, not the whole backlog
        peer = peers.get(row.host)
        if peer is not None and not peer.available:
            if row.host in probing:
                continue
            probing.add(row.host)
        chosen.append(row)
    if not db.is_sqlite(Delivery):  # several processes may drain this queue: attempt only what we won
        won = await claims.claim_deliveries([r.id for r in chosen], now)
        chosen = [r for r in chosen if r.id in won]
        if not chosen:
            return 0
    activities = {a.id: a for a in await OutboxActivity.filter(id__in=list({r.activity_id for r in chosen}))}
    keys = await signing_keys(node, {a.actor_id for a in activities.values()})
    bodies = {i: a.body.encode() for i, a in activities.items()}
    fed = state.of(node)
    limits: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(node.config.federation.delivery_concurrency))

    async def attempt(row: Delivery) -> Exception | None:
        activity = activities.get(row.activity_id)
        key = keys.get(activity.actor_id) if activity else None
        if activity is None or key is None:
            return BlockedDestinationError(row.inbox_url, "the signing account is gone")
        peer = peers.get(row.host)
        scheme = "rfc9421" if peer is not None and peer.rfc9421 else "cavage"
        async with limits[row.host]:
            try:
                await fed.client.post_activity(row.inbox_url, bodies[row.activity_id], sign_with=key, scheme=scheme)
            except FetchError as exc:
                return exc
            except Exception as exc:  # noqa: BLE001 - one odd failure must not stop the batch
                log.exception("delivery to %s failed unexpectedly", row.inbox_url)
                return exc
        # Recorded as soon as the peer accepted it (concurrent ones share a commit), not at the end of the
        # batch: a crash then resends at most the deliveries answered in the last moment, never the batch.
        await _mark_delivered(row.id, now)
        return None

    outcomes = await asyncio.gather(*(attempt(r) for r in chosen))
    await _record(node, chosen, outcomes, peers, now)
    return len(chosen)


_DELIVERED = ("UPDATE deliveries SET state = 'delivered', delivered_at = ?, attempts = attempts + 1, "
              "last_error = '' WHERE id = ?")


async def _mark_delivered(delivery_id: int, now: datetime) -> None:
    if db.is_sqlite(Delivery):
        await db.write(lambda connection: connection.execute(_DELIVERED, (now.isoformat(" "), delivery_id)))
    else:
        await Delivery.filter(id=delivery_id).update(state="delivered", delivered_at=now, attempts=F("attempts") + 1,
                                                    last_error="")


async def _record(node: Node, rows: list[Delivery], outcomes: list[Exception | None], peers: dict[str, Peer],
                  now: datetime) -> None:
    """The failures of a pass (retry, fail or give up) and what it taught about each peer."""
    give_up = timedelta(hours=node.config.federation.delivery_give_up_hours)
    ok_hosts = {r.host for r, exc in zip(rows, outcomes, strict=True) if exc is None}
    failed_hosts: dict[str, int] = defaultdict(int)
    async with in_transaction():
        for row, exc in zip(rows, outcomes, strict=True):
            if exc is None:
                continue
            failed_hosts[row.host] += 1
            attempts = row.attempts + 1
            reason = str(getattr(exc, "reason", None) or exc)[:500]
            if _permanent(exc):
                new_state, next_at = "failed", row.next_attempt_at
            elif now - row.created_at >= give_up:
                new_state, next_at = "given_up", row.next_attempt_at
            else:
                new_state, next_at = "pending", now + timedelta(seconds=backoff(attempts))
            await Delivery.filter(id=row.id).update(state=new_state, attempts=attempts, next_attempt_at=next_at,
                                                    last_error=reason)
        if ok_hosts:
            await Peer.filter(host__in=list(ok_hosts)).update(available=True, failures=0, last_success_at=now,
                                                              unavailable_since=None)
        for host, count in failed_hosts.items():
            if host in ok_hosts:
                continue
            peer = peers.get(host)
            failures = (peer.failures if peer else 0) + count
            values: dict[str, Any] = {"failures": failures, "last_failure_at": now}
            if failures >= UNAVAILABLE_AFTER and (peer is None or peer.available):
                values.update(available=False, unavailable_since=now)
            await Peer.filter(host=host).update(**values)


async def drain(node: Node, now: datetime | None = None) -> int:
    """Attempt deliveries until none is due at `now`; tests call this instead of running the worker."""
    total = 0
    while (attempted := await run_once(node, now)):
        total += attempted
    return total


async def revive(host: str, *, rfc9421: bool | None = None) -> None:
    """A peer that just reached us is up: make it available again (and note its signature scheme)."""
    values: dict[str, Any] = {}
    peer = await Peer.filter(host=host).first()
    if peer is None:
        await Peer.bulk_create([Peer(host=host, rfc9421=bool(rfc9421))], ignore_conflicts=True)
        return
    if not peer.available or peer.failures:
        values.update(available=True, failures=0, unavailable_since=None)
        await Delivery.filter(host=host, state="pending").update(next_attempt_at=datetime.now(UTC))
    if rfc9421 and not peer.rfc9421:
        values["rfc9421"] = True
    if values:
        await Peer.filter(id=peer.id).update(**values)


async def pending_count() -> int:
    return await Delivery.filter(state="pending").count()


async def next_due() -> datetime | None:
    row = await Delivery.filter(state="pending").order_by("next_attempt_at").first()
    return row.next_attempt_at if row else None


async def worker(node: Node) -> None:
    """The delivery loop the app runs: attempt what is due, then sleep until the next is due or more is queued."""
    fed = state.of(node)
    while True:
        try:
            with state.bound(node):
                attempted = await run_once(node)
                due = await next_due() if not attempted else None
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("delivery worker pass failed")
            attempted, due = 0, None
        if attempted:
            continue
        wait = IDLE_WAIT
        if due is not None:
            wait = max(0.05, min(IDLE_WAIT, (due - datetime.now(UTC)).total_seconds()))
        fed.wake_delivery.clear()
        try:
            await asyncio.wait_for(fed.wake_delivery.wait(), timeout=wait)
        except TimeoutError:
            pass
