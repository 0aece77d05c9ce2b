"""Taking queued federation work on PostgreSQL, where several processes drain the same queues: a process
claims rows with `FOR UPDATE SKIP LOCKED` and marks them taken in the same statement, so each delivery and
each inbox activity is attempted by one process only. (SQLite nodes are one process: they read the queues
directly.)

A claim is a lease, not a lock held across the network: a process that dies with claimed rows leaves them
to be taken again once the lease runs out (`LEASE`), as a crash in one process always did.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from tortoise import connections
from tortoise.transactions import in_transaction

LEASE = timedelta(minutes=5)  # longer than a whole delivery pass or inbox batch takes
INBOX_CLAIM_LOCK = 0x656E7401  # transaction advisory lock serialising inbox claims (see claim_inbox)

_DELIVERIES = """
UPDATE deliveries SET next_attempt_at = $3
WHERE id IN (SELECT id FROM deliveries WHERE id = ANY($1::bigint[]) AND state = 'pending'
             AND next_attempt_at <= $2 FOR UPDATE SKIP LOCKED)
RETURNING id"""

# One actor's activities are applied in arrival order (a Delete after its Create), so an actor with rows
# being applied elsewhere is left alone until they are done; a stale claim (its process died) is taken again.
_INBOX = """
UPDATE inbox_activities SET state = 'applying', processed_at = $1
WHERE id IN (
    SELECT i.id FROM inbox_activities i
    WHERE (i.state = 'pending' OR (i.state = 'applying' AND i.processed_at < $2))
      AND NOT EXISTS (SELECT 1 FROM inbox_activities j
                      WHERE j.state = 'applying' AND j.processed_at >= $2 AND j.actor_uri = i.actor_uri)
    ORDER BY i.id LIMIT $3 FOR UPDATE SKIP LOCKED)
RETURNING id"""


async def claim_deliveries(ids: Iterable[int], now: datetime) -> set[int]:
    """Of these due deliveries, the ones this process won: their next attempt moves past the lease, so no
    other process takes them while they are in flight (success or failure then sets it properly)."""
    wanted = list(ids)
    if not wanted:
        return set()
    rows = await connections.get("default").execute_query_dict(_DELIVERIES, [wanted, now, now + LEASE])
    return {row["id"] for row in rows}


async def claim_inbox(limit: int, now: datetime) -> list[int]:
    """Up to `limit` stored activities for this process to apply, oldest first, marked `applying`.

    The claims of all processes are serialised by a transaction advisory lock (a claim is one short
    statement): without it two processes could each take a different activity of the same actor at once,
    and apply a Delete before its Create."""
    async with in_transaction() as connection:
        await connection.execute_query("SELECT pg_advisory_xact_lock($1)", [INBOX_CLAIM_LOCK])
        rows = await connection.execute_query_dict(_INBOX, [now, now - LEASE, limit])
    return sorted(row["id"] for row in rows)
