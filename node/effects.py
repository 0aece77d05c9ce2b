"""The transactional outbox: what a write must cause outside its own rows (outbound activities and their
deliveries first) is stored as a PendingEffect row in the write's own transaction, and carried out by the
event's durable subscribers in a second transaction that also deletes that row.

So an acknowledged write always has its consequences: a crash between the two transactions leaves the row,
and the next start replays it (`replay`); a durable subscriber that fails rolls back with its row, which
stays and is retried with backoff (`run_due`, a periodic job). Because the row is deleted in the same
transaction as the work, a replay never does the work twice. Durable subscribers therefore must only write
to the database (queue deliveries) and never send anything themselves: the delivery queue does that.

Writes that do not record their event themselves are still covered against a failing subscriber: when such
an event is published (after its write committed) the bus runs the durable subscribers in one transaction
and stores the effect for a retry only if they fail.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import json
import logging
import random
import weakref
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tortoise.fields import DatetimeField
from tortoise.models import Model
from tortoise.transactions import in_transaction

from . import models
from .models import PendingEffect, snowflake

if TYPE_CHECKING:
    from .runtime import Node

log = logging.getLogger(__name__)

GRACE = timedelta(seconds=60)  # how long the periodic job leaves a new effect to the request that made it
BASE_DELAY = 30.0
MAX_DELAY = 3600.0
BATCH = 200

# Context variables an event was raised under and its subscribers read (federation's "caused by an inbound
# activity"): stored with the effect and set again when it is replayed.
_carried: dict[str, contextvars.ContextVar[Any]] = {}


def carry(var: contextvars.ContextVar[Any]) -> None:
    """Keep `var`'s value with every recorded effect, so a replay runs under the same value."""
    _carried[var.name] = var


# ---- snapshots of the payload ---------------------------------------------------------------------------


def _dump(value: Any) -> Any:
    if isinstance(value, Model):
        meta = value._meta
        fields = {}
        for name in meta.fields_db_projection:
            item = getattr(value, name)
            fields[name] = item.isoformat() if isinstance(item, datetime) else item
        return {"$model": type(value).__name__, "fields": fields}
    if isinstance(value, list | tuple):
        return [_dump(v) for v in value]
    return value


def _load(value: Any) -> Any:
    if isinstance(value, dict) and "$model" in value:
        cls: type[Model] = getattr(models, value["$model"])
        meta = cls._meta
        values = {}
        for name, item in value["fields"].items():
            field = meta.fields_map[name]
            values[name] = field.to_python_value(item) if isinstance(field, DatetimeField) else item
        instance = cls(**values)
        instance._saved_in_db = True
        return instance
    if isinstance(value, list):
        return [_load(v) for v in value]
    return value


def new(name: str, payload: Mapping[str, Any]) -> PendingEffect:
    """An effect for event `name`, not yet stored: `record` stores it with the ORM, a group-commit writer
    inserts it with `db.insert_statement`."""
    now = datetime.now(UTC)
    context = {key: var.get() for key, var in _carried.items()}
    return PendingEffect(
        id=snowflake(),
        name=name,
        created_at=now,
        next_attempt_at=now + GRACE,
        payload=json.dumps({k: _dump(v) for k, v in payload.items()}, ensure_ascii=False),
        context=json.dumps(context),
    )


def wanted(node: Node, name: str, payload: Mapping[str, Any]) -> PendingEffect | None:
    """An effect for the event if some durable subscriber wants it now, for a group-commit writer to insert
    (with `db.insert_statement`) in the write's own transaction."""
    return new(name, payload) if node.bus.durable_handlers(name, payload) else None


async def record(node: Node, name: str, **payload: Any) -> PendingEffect | None:
    """Store the event inside the caller's transaction (call it there), then `announce` it after the commit.
    None when no durable subscriber wants it."""
    effect = wanted(node, name, payload)
    if effect is not None:
        await effect.save(force_create=True)
    return effect


# Events a durable subscriber raises (a deleted status takes its Take with it): recorded in the subscriber's
# transaction, so they commit or roll back with the work that caused them, and carried out after it.
_follow_ups: contextvars.ContextVar[list[tuple[str, PendingEffect | None, dict[str, Any]]] | None] = (
    contextvars.ContextVar("effect_follow_ups", default=None))


async def follow_up(node: Node, name: str, **payload: Any) -> None:
    """From inside a durable subscriber: raise event `name` as part of its transaction."""
    pending = _follow_ups.get()
    if pending is None:
        raise RuntimeError(f"follow_up({name!r}) outside a durable subscriber")
    pending.append((name, await record(node, name, **payload), payload))


async def _run_durable(node: Node, name: str, payload: Mapping[str, Any]) -> list[tuple[str, PendingEffect | None, dict[str, Any]]]:
    """Run the durable subscribers of `name` (inside the caller's transaction); returns their follow-ups."""
    pending: list[tuple[str, PendingEffect | None, dict[str, Any]]] = []
    token = _follow_ups.set(pending)
    try:
        for handler in node.bus.durable_handlers(name, payload):
            result = handler(**payload)
            if inspect.isawaitable(result):
                await result
    finally:
        _follow_ups.reset(token)
    return pending


async def _announce_all(node: Node, follow_ups: list[tuple[str, PendingEffect | None, dict[str, Any]]]) -> None:
    for name, effect, payload in follow_ups:
        await announce(node, name, effect, **payload)


async def announce(node: Node, name: str, effect: PendingEffect | None, **payload: Any) -> None:
    """After the commit: carry out the recorded effect, then tell the in-memory subscribers."""
    if effect is None:
        await node.bus.publish(name, **payload)
        return
    await _carry_out_soon(node, effect, payload)
    await node.bus.publish_live(name, **payload)


# ---- carrying effects out -------------------------------------------------------------------------------


def backoff(attempts: int) -> float:
    delay = min(BASE_DELAY * 2 ** max(0, attempts - 1), MAX_DELAY)
    return delay * (1 + random.uniform(-0.25, 0.25))


async def carry_out(node: Node, effect: PendingEffect) -> bool:
    """Run the event's durable subscribers and delete the effect, in one transaction; on failure the effect
    stays for a retry. Returns whether it is done."""
    return (await carry_out_together(node, [(effect, None)]))[0]


FollowUps = list[tuple[str, PendingEffect | None, dict[str, Any]]]


async def carry_out_together(node: Node, batch: Sequence[tuple[PendingEffect, Mapping[str, Any] | None]]
                             ) -> list[bool]:
    """`carry_out` for several effects in one transaction (a burst of posts paid one transaction each, a
    third of a post's cost): their rows deleted in one statement, each effect's subscribers in a savepoint of
    their own. A failing one rolls back only its savepoint (its follow-ups too) and is stored again with its
    next attempt, so it stays for a retry as it would alone. `batch` pairs each effect with its payload when
    the caller still holds it (the request that recorded it), else None: read from the stored snapshot.
    The follow-ups of the done ones are announced after the commit."""
    outcomes = await _carry_out_batch(node, batch)
    for _, follow_ups in outcomes:
        await _announce_all(node, follow_ups)
    return [ok for ok, _ in outcomes]


async def _carry_out_batch(node: Node, batch: Sequence[tuple[PendingEffect, Mapping[str, Any] | None]]
                           ) -> list[tuple[bool, FollowUps]]:
    if not batch:
        return []
    outcomes: list[tuple[bool, FollowUps]] = [(True, [])] * len(batch)
    async with in_transaction() as connection:
        # Whoever deletes a row carries it out: a replay racing the request that recorded it finds it gone.
        marks = ",".join("?" if connection.capabilities.dialect == "sqlite" else f"${n}"
                         for n in range(1, len(batch) + 1))
        ours = {row["id"] for row in await connection.execute_query_dict(
            f"DELETE FROM pending_effects WHERE id IN ({marks}) RETURNING id", [e.id for e, _ in batch])}
        for index, (effect, payload) in enumerate(batch):
            if effect.id not in ours:
                continue  # carried out already
            outcomes[index] = await _carry_out_one(node, effect, payload)
    return outcomes


async def _carry_out_one(node: Node, effect: PendingEffect, payload: Mapping[str, Any] | None
                         ) -> tuple[bool, FollowUps]:
    """One effect's subscribers inside `_carry_out_batch`'s transaction (its row already deleted there)."""
    if payload is None:
        payload = {k: _load(v) for k, v in json.loads(effect.payload).items()}
    if not node.bus.durable_handlers(effect.name, payload):
        return True, []
    tokens = [
        (var, var.set(value))
        for key, value in json.loads(effect.context).items()
        if (var := _carried.get(key)) is not None
    ]
    try:
        async with in_transaction():  # a savepoint
            follow_ups = await _run_durable(node, effect.name, payload)
    except Exception as exc:  # noqa: BLE001 - kept and retried; the write itself stands
        log.exception("durable subscriber failed on %s (effect %d kept for a retry)", effect.name, effect.id)
        effect.attempts += 1
        effect.last_error = f"{type(exc).__name__}: {exc}"[:500]
        effect.next_attempt_at = datetime.now(UTC) + timedelta(seconds=backoff(effect.attempts))
        await effect.save(force_create=True)  # back in place of the row deleted for this carry-out
        return False, []
    finally:
        for var, token in reversed(tokens):
            var.reset(token)
    return True, follow_ups


# Effects recorded by concurrent requests wait here a moment and are carried out together (one transaction
# for a burst); at most this many share one, so reads waiting on the connection do not wait long.
TOGETHER = 32


class _Waiting:
    def __init__(self) -> None:
        self.effects: list[tuple[PendingEffect, Mapping[str, Any], asyncio.Future[tuple[bool, FollowUps]]]] = []
        self.running: asyncio.Task | None = None


_waiting: weakref.WeakKeyDictionary[Node, _Waiting] = weakref.WeakKeyDictionary()


async def _carry_out_soon(node: Node, effect: PendingEffect, payload: Mapping[str, Any]) -> bool:
    waiting = _waiting.get(node)
    if waiting is None:
        waiting = _waiting[node] = _Waiting()
    future: asyncio.Future[tuple[bool, FollowUps]] = asyncio.get_running_loop().create_future()
    waiting.effects.append((effect, payload, future))
    if waiting.running is None or waiting.running.done():
        # In a context of its own: not the first caller's (a transaction it may be in, its carried values).
        waiting.running = contextvars.Context().run(node.spawn, _carry_out_waiting(node, waiting))
    ok, follow_ups = await future
    await _announce_all(node, follow_ups)  # here, not in the shared task: they may wait for a batch themselves
    return ok


async def _carry_out_waiting(node: Node, waiting: _Waiting) -> None:
    await asyncio.sleep(0)  # let the effects of requests committed in the same group join this transaction
    while waiting.effects:
        batch, waiting.effects = waiting.effects[:TOGETHER], waiting.effects[TOGETHER:]
        try:
            done = await _carry_out_batch(node, [(effect, payload) for effect, payload, _ in batch])
        except Exception:  # noqa: BLE001 - the transaction itself failed: every row stays for run_due
            log.exception("carrying out %d effects failed; they stay for a retry", len(batch))
            done = [(False, [])] * len(batch)
        for (_, _, future), outcome in zip(batch, done, strict=True):
            if not future.done():
                future.set_result(outcome)


async def carry_out_unrecorded(node: Node, name: str, payload: Mapping[str, Any]) -> None:
    """For an event published without a recorded effect (after its write committed): run the durable
    subscribers in one transaction, and only if they fail store the effect, so it is retried like any other."""
    try:
        async with in_transaction():
            follow_ups = await _run_durable(node, name, payload)
    except Exception as exc:  # noqa: BLE001 - kept and retried; the write itself stands
        effect = new(name, payload)
        log.exception("durable subscriber failed on %s (kept as effect %d for a retry)", name, effect.id)
        effect.attempts = 1
        effect.last_error = f"{type(exc).__name__}: {exc}"[:500]
        effect.next_attempt_at = datetime.now(UTC) + timedelta(seconds=backoff(1))
        await effect.save(force_create=True)
        return
    await _announce_all(node, follow_ups)


async def run_due(node: Node, now: datetime | None = None, *, everything: bool = False) -> int:
    """Carry out the effects due at `now` (all of them with `everything`, as at start); returns how many
    were done."""
    now = now or datetime.now(UTC)
    done = 0
    seen: set[int] = set()
    while True:
        query = PendingEffect.exclude(id__in=list(seen)) if seen else PendingEffect.all()
        if not everything:
            query = query.filter(next_attempt_at__lte=now)
        batch = await query.order_by("id").limit(BATCH)
        if not batch:
            return done
        for effect in batch:
            seen.add(effect.id)
            done += await carry_out(node, effect)


async def replay(node: Node) -> int:
    """At start: carry out every effect a crash or a failure left behind, oldest first."""
    return await run_due(node, everything=True)
