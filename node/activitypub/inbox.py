"""Receiving activities: authenticate the POST (signature, key owner = actor, domain blocks), store the
raw activity (idempotent by its id) before answering 202, and apply stored activities from the queue
with `run_once()`/`drain()` (tests) or the worker task (the server)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from federation.as2 import InvalidActivityError, parse_activity
from federation.client import FetchError
from federation.inbox import DEFAULT_MAX_INBOX_BYTES, InboxRejected, decode_inbox_body
from federation.signatures import SignatureError

from .. import db
from ..errors import DomainError
from ..models import InboxActivity
from . import claims, delivery, forwarding, handlers, moderation, state
from .actors import host_of

if TYPE_CHECKING:
    from ..runtime import Node

log = logging.getLogger(__name__)
BATCH = 500
PARALLEL_ACTORS = 8
MAX_ATTEMPTS = 3  # a handler failing on the network (the author's server is slow) is tried again


class Rejected(DomainError):
    """An inbox POST we refuse; the status says why (401 signature, 403 blocked, 413, 415, 400)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class InboxWriter:
    """Coalesces concurrent inbox inserts into one transaction: each request waits for the batch its row
    went into to commit, so a 202 still means "stored"."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self._pending: list[tuple[InboxActivity, asyncio.Future[None]]] = []
        self._flushing: asyncio.Task | None = None

    async def store(self, row: InboxActivity) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((row, future))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.get_running_loop().create_task(self._flush())
        await future

    async def _flush(self) -> None:
        await asyncio.sleep(0)  # let the requests already in flight join this batch
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                with state.bound(self.node):
                    async with in_transaction():
                        await InboxActivity.bulk_create([row for row, _ in batch], ignore_conflicts=True)
            except Exception as exc:  # noqa: BLE001 - every waiter hears about it
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for _, future in batch:
                if not future.done():
                    future.set_result(None)
        state.of(self.node).wake_inbox.set()


async def _read_body(request: web.Request) -> bytes:
    if request.content_length is not None and request.content_length > DEFAULT_MAX_INBOX_BYTES:
        raise Rejected(413, f"body larger than {DEFAULT_MAX_INBOX_BYTES} bytes")
    chunks, total = [], 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        total += len(chunk)
        if total > DEFAULT_MAX_INBOX_BYTES:
            raise Rejected(413, f"body larger than {DEFAULT_MAX_INBOX_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def receive(node: Node, request: web.Request) -> None:
    """Authenticate and store one inbox POST, or raise Rejected; returning means answer 202."""
    if not node.config.federation.enabled:
        raise Rejected(503, "Federation is disabled on this server")
    fed = state.of(node)
    body = await _read_body(request)
    try:
        doc = decode_inbox_body(body, request.headers.get("Content-Type"))
        activity = parse_activity(doc)
    except InboxRejected as exc:
        raise Rejected(exc.status, exc.reason) from None
    except InvalidActivityError as exc:
        raise Rejected(400, str(exc)) from None
    host = host_of(activity.actor)
    if await moderation.is_suspended(host):
        raise Rejected(403, f"{host} is blocked by this server")
    assert fed.verifier is not None
    try:
        verified = await fed.verifier.verify_request(request, body, scheme=node.config.node.scheme)
        if verified.owner != activity.actor:
            await _check_relayed(node, doc, activity.actor, verified.owner)
    except SignatureError as exc:
        raise Rejected(exc.status, exc.reason) from None
    if host not in fed.healthy_peers or (verified.scheme == "rfc9421" and host not in fed.rfc9421_peers):
        await delivery.revive(host, rfc9421=verified.scheme == "rfc9421")
        fed.healthy_peers.add(host)
        if verified.scheme == "rfc9421":
            fed.rfc9421_peers.add(host)
    row = InboxActivity(activity_uri=(activity.id or None) and activity.id[:1024], actor_uri=activity.actor[:1024],
                        type=activity.type[:64], payload=doc)
    await fed.inbox_writer.store(row)


async def _check_relayed(node: Node, doc: dict[str, Any], actor: str, sender: str) -> None:
    """An activity delivered by someone other than its actor (inbox forwarding, ActivityPub 7.1.2) is
    accepted only when it carries its actor's own Linked Data Signature: the sender's HTTP signature
    proves who relayed it, not who wrote it."""
    if await moderation.is_suspended(host_of(sender)):
        raise SignatureError(f"{host_of(sender)} is blocked by this server", status=403)
    try:
        author = await state.of(node).verifier.verify_document(doc)  # type: ignore[union-attr]
    except SignatureError as exc:
        raise SignatureError(f"activity by {actor} was relayed by {sender} without a valid signature of its "
                             f"own ({exc.reason})") from None
    if author.owner != actor:
        raise SignatureError(f"the activity's signature is by {author.owner}, not by its actor {actor}")


# ---- processing ----------------------------------------------------------------------------------------------


async def apply(node: Node, payload: dict[str, Any]) -> Any:
    """Apply one activity through the registry, as inbound (the outbox ignores what it causes)."""
    with state.inbound():
        return await state.of(node).registry.dispatch(payload, node)


async def _apply_row(node: Node, row: InboxActivity, done: list[int]) -> None:
    try:
        forward = await forwarding.plan(node, row.payload)
        await apply(node, row.payload)
        if forward is not None:
            await forwarding.send(node, row.payload, forward)
    except (FetchError, OSError) as exc:
        attempts = row.attempts + 1
        await InboxActivity.filter(id=row.id).update(
            attempts=attempts, error=str(exc)[:1000], state="pending" if attempts < MAX_ATTEMPTS else "failed")
        return
    except Exception as exc:  # noqa: BLE001 - a bad activity is recorded, never fatal to the queue
        if not isinstance(exc, DomainError | InboxRejected):
            log.warning("inbox activity %s (%s) failed: %r", row.activity_uri, row.type, exc)
        await InboxActivity.filter(id=row.id).update(state="failed", attempts=row.attempts + 1,
                                                     error=str(exc)[:1000], processed_at=datetime.now(UTC))
        return
    done.append(row.id)


async def run_once(node: Node, limit: int = BATCH) -> int:
    """Apply up to `limit` stored activities; returns how many were taken.

    One actor's activities are applied in arrival order (a Delete must follow its Create); different
    actors' run side by side, so the database's round trips overlap instead of adding up."""
    if db.is_sqlite(InboxActivity):
        rows = await InboxActivity.filter(state="pending").order_by("id").limit(limit)
    else:  # several processes may drain this queue: apply only what this one claimed
        ids = await claims.claim_inbox(limit, datetime.now(UTC))
        rows = await InboxActivity.filter(id__in=ids).order_by("id") if ids else []
    by_actor: dict[str, list[InboxActivity]] = {}
    for row in rows:
        by_actor.setdefault(row.actor_uri, []).append(row)
    done: list[int] = []
    lanes = asyncio.Semaphore(PARALLEL_ACTORS)

    async def lane(items: list[InboxActivity]) -> None:
        async with lanes:
            handlers.LANE_ACTORS.set({})  # this lane's own task: its memo of looked-up actors
            for item in items:
                await _apply_row(node, item, done)

    await asyncio.gather(*(lane(items) for items in by_actor.values()))
    if done:
        # attempts counts applications too, so a row applied twice (which claiming prevents) would show it
        await InboxActivity.filter(id__in=done).update(state="done", processed_at=datetime.now(UTC),
                                                       attempts=F("attempts") + 1)
    return len(rows)


async def drain(node: Node) -> int:
    total = 0
    while (taken := await run_once(node)):
        total += taken
        if not await InboxActivity.filter(state="pending").exists():
            break
    return total


async def worker(node: Node) -> None:
    fed = state.of(node)
    while True:
        fed.wake_inbox.clear()
        try:
            with state.bound(node):
                taken = await run_once(node)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("inbox worker pass failed")
            taken = 0
        if taken:
            continue
        try:
            await asyncio.wait_for(fed.wake_inbox.wait(), timeout=30)
        except TimeoutError:
            pass
