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

import contextvars
import inspect
import json
import logging
import random
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tortoise.fields import DatetimeField
from tortoise.models import Model
from tortoise.transactions import in_transaction

from . import db, models
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
    return new(name, payload) if node.bus.durable_handlers(name) else None


async def record(node: Node, name: str, **payload: Any) -> PendingEffect | None:
    """Store the event inside the caller's transaction (call it there), then `announce` it after the commit.
    None when no durable subscriber wants it."""
    effect = wanted(node, name, payload)
    if effect is not None:
        await effect.save(force_create=True)
    return effect


async def announce(node: Node, name: str, effect: PendingEffect | None, **payload: Any) -> None:
    """After the commit: carry out the recorded effect, then tell the in-memory subscribers."""
    if effect is None:
        await node.bus.publish(name, **payload)
        return
    await carry_out(node, effect)
    await node.bus.publish_live(name, **payload)


# ---- carrying effects out -------------------------------------------------------------------------------


def backoff(attempts: int) -> float:
    delay = min(BASE_DELAY * 2 ** max(0, attempts - 1), MAX_DELAY)
    return delay * (1 + random.uniform(-0.25, 0.25))


async def carry_out(node: Node, effect: PendingEffect) -> bool:
    """Run the event's durable subscribers and delete the effect, in one transaction; on failure the effect
    stays for a retry. Returns whether it is done."""
    payload = {k: _load(v) for k, v in json.loads(effect.payload).items()}
    tokens = [
        (var, var.set(value))
        for key, value in json.loads(effect.context).items()
        if (var := _carried.get(key)) is not None
    ]
    try:
        async with in_transaction():
            if not db.is_sqlite(PendingEffect) and not await PendingEffect.filter(id=effect.id).select_for_update(
                    skip_locked=True).values_list("id", flat=True):
                return False  # another process is carrying it out (or did): it deletes the row or keeps it to retry
            if not await PendingEffect.filter(id=effect.id).delete():
                return True  # carried out already (a replay and the request that recorded it raced)
            for handler in node.bus.durable_handlers(effect.name):
                result = handler(**payload)
                if inspect.isawaitable(result):
                    await result
    except Exception as exc:  # noqa: BLE001 - kept and retried; the write itself stands
        log.exception("durable subscriber failed on %s (effect %d kept for a retry)", effect.name, effect.id)
        attempts = effect.attempts + 1
        await PendingEffect.filter(id=effect.id).update(
            attempts=attempts,
            last_error=f"{type(exc).__name__}: {exc}"[:500],
            next_attempt_at=datetime.now(UTC) + timedelta(seconds=backoff(attempts)),
        )
        return False
    finally:
        for var, token in reversed(tokens):
            var.reset(token)
    return True


async def carry_out_unrecorded(node: Node, name: str, payload: Mapping[str, Any]) -> None:
    """For an event published without a recorded effect (after its write committed): run the durable
    subscribers in one transaction, and only if they fail store the effect, so it is retried like any other."""
    try:
        async with in_transaction():
            for handler in node.bus.durable_handlers(name):
                result = handler(**payload)
                if inspect.isawaitable(result):
                    await result
    except Exception as exc:  # noqa: BLE001 - kept and retried; the write itself stands
        effect = new(name, payload)
        log.exception("durable subscriber failed on %s (kept as effect %d for a retry)", name, effect.id)
        effect.attempts = 1
        effect.last_error = f"{type(exc).__name__}: {exc}"[:500]
        effect.next_attempt_at = datetime.now(UTC) + timedelta(seconds=backoff(1))
        await effect.save(force_create=True)


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
