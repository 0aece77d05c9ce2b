"""Storing a new status and what its creation implies in one write: the row, its hashtags and mentions, the
counters, its home feed rows (fan-out on write), its notifications and its status.created effect (the
transactional outbox: the outbound Create is queued from it, node/effects.py). On SQLite this is one function run
on the connection's thread through the group commit (node.db.write), so a burst of posts shares one
transaction; elsewhere an ORM transaction. Local posts and inbound ones both come through here; a status
with media, a poll or a place calls `store` inside its own transaction, which the write then joins.
`announce` publishes the events once the caller's transaction has committed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.expressions import F
from tortoise.models import Model
from tortoise.transactions import in_transaction

from .. import db, effects
from ..models import Account, Mention, Notification, PendingEffect, Status, StatusTag, Tag, snowflake
from ..runtime import Node
from . import feeds, notifications

_COUNT_STATUS = "UPDATE accounts SET statuses_count = statuses_count + 1, last_status_at = ? WHERE id = ?"
_COUNT_REPLY = "UPDATE statuses SET replies_count = replies_count + 1 WHERE id = ?"
_ADD_TAG = "INSERT INTO tags (id, name, display_name, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING"
_LINK_TAG = "INSERT INTO status_tags (id, status_id, tag_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
_MENTION = "INSERT INTO mentions (id, status_id, account_id) VALUES (?, ?, ?)"


@dataclass
class Caused:
    """What storing a status caused beyond its rows, for `announce`."""

    notifications: list[Notification]
    effect: PendingEffect | None  # status.created, recorded in the same transaction (node/effects.py)


async def store(node: Node, status: Status, tags: Mapping[str, str], mentioned: Sequence[int], *,
                counts: bool, also: Sequence[Model] = ()) -> Caused:
    """Insert `status` with its hashtags (lower-cased name -> as written) and mentioned account ids; bump
    the author's statuses_count when `counts`, and the parent's replies_count for a reply; fan it out,
    notify, and record its status.created effect (its outbound Create). `also` are new rows that belong to
    the same write (the request's Idempotency-Key). Returns what it caused."""
    effect = effects.wanted(node, "status.created", {"status": status})
    rows = [*also, *([effect] if effect is not None else [])]
    if db.is_sqlite(Status):
        created = await db.write(_writer(status, dict(tags), list(dict.fromkeys(mentioned)), counts, rows))
    else:
        created = await _store_with_orm(status, tags, mentioned, counts=counts, rows=rows)
    status._saved_in_db = True
    for notification in created:
        notification._saved_in_db = True
    return Caused(created, effect)


async def announce(node: Node, status: Status, caused: Caused) -> None:
    """After the commit: status.created, then notification.created for each notification it caused (those
    the recipient's policy filtered wait in a request instead)."""
    await effects.announce(node, "status.created", caused.effect, status=status)
    for notification in caused.notifications:
        if not notification.filtered:
            await node.bus.publish("notification.created", notification=notification)


def _writer(status: Status, tags: dict[str, str], mentioned: list[int], counts: bool,  # type: ignore[no-untyped-def]
            rows: Sequence[Model]):
    insert, values = db.insert_statement(status)
    others = [db.insert_statement(row) for row in rows]
    now = datetime.now(UTC)

    def run(connection: sqlite3.Connection) -> list[Notification]:
        connection.execute(insert, values)
        for statement in others:
            connection.execute(*statement)
        if tags:
            connection.executemany(_ADD_TAG, [(snowflake(), name, shown, now) for name, shown in tags.items()])
            marks = ",".join("?" * len(tags))
            tag_ids = [row[0] for row in connection.execute(f"SELECT id FROM tags WHERE name IN ({marks})",
                                                            list(tags))]
            connection.executemany(_LINK_TAG, [(snowflake(), status.id, tag_id) for tag_id in tag_ids])
        if mentioned:
            connection.executemany(_MENTION, [(snowflake(), status.id, account_id) for account_id in mentioned])
        if counts:
            connection.execute(_COUNT_STATUS, (status.created_at, status.account_id))
        if status.in_reply_to_id is not None:
            connection.execute(_COUNT_REPLY, (status.in_reply_to_id,))
        feeds.fan_out_rows(connection, status, author_is_local=status.local)  # local exactly when its author is
        return notifications.status_notification_rows(connection, status)

    return run


async def _store_with_orm(status: Status, tags: Mapping[str, str], mentioned: Sequence[int], *,
                          counts: bool, rows: Sequence[Model]) -> list[Notification]:
    async with in_transaction():
        await status.save(force_create=True)
        for row in rows:
            await row.save(force_create=True)
        await link_tags(status, tags)
        if mentioned:
            await Mention.bulk_create([Mention(status_id=status.id, account_id=a) for a in dict.fromkeys(mentioned)])
        if counts:
            await Account.filter(id=status.account_id).update(statuses_count=F("statuses_count") + 1,
                                                              last_status_at=status.created_at)
        if status.in_reply_to_id is not None:
            await Status.filter(id=status.in_reply_to_id).update(replies_count=F("replies_count") + 1)
        await feeds.fan_out(status)
        return await notifications.status_notifications(status)


async def link_tags(status: Status, tags: Mapping[str, str]) -> None:
    """Hashtags (lower-cased name -> as written) on a status, creating the ones never seen (ORM path)."""
    if not tags:
        return
    existing = {t.name: t for t in await Tag.filter(name__in=list(tags))}
    missing = [Tag(name=n, display_name=d) for n, d in tags.items() if n not in existing]
    if missing:
        await Tag.bulk_create(missing, ignore_conflicts=True)
        existing.update({t.name: t for t in await Tag.filter(name__in=[t.name for t in missing])})
    await StatusTag.bulk_create([StatusTag(status_id=status.id, tag_id=existing[n].id) for n in tags
                                 if n in existing], ignore_conflicts=True)
