"""Favourites, reblogs and bookmarks of statuses, their undoing, and who favourited or reblogged a status.

Each is idempotent, as Mastodon's: doing it twice leaves one row and one count. Each records its event in
its own transaction (node/effects.py), so its outbound activity is never lost.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from .. import db, effects
from ..errors import ValidationFailed
from ..models import Account, Bookmark, Favourite, Status, snowflake
from ..runtime import Node
from . import statuses as status_service
from . import visibility

REBLOG_VISIBILITIES = ("public", "unlisted", "private")


async def _target(viewer: Account, status_id: int | str) -> Status:
    """The status acted on: visible to the viewer; a reblog stands for its original."""
    status = await visibility.visible_status(viewer, status_id)
    if status.reblog_of_id is not None:
        status = await Status.get(id=status.reblog_of_id)
    return status


_FAVOURITE_COUNT = "UPDATE statuses SET favourites_count = favourites_count + 1 WHERE id = ?"


async def favourite(node: Node, account: Account, status_id: int | str) -> Status:
    status = await _target(account, status_id)
    if db.is_sqlite(Favourite):
        return await _favourite_sqlite(node, account, status)
    if await Favourite.filter(account_id=account.id, status_id=status.id).exists():
        return status
    try:
        async with in_transaction():
            row = await Favourite.create(account_id=account.id, status_id=status.id)
            await Status.filter(id=status.id).update(favourites_count=F("favourites_count") + 1)
            effect = await effects.record(node, "favourite.created", favourite=row)
    except IntegrityError:  # a concurrent identical request won
        return await Status.get(id=status.id)
    status.favourites_count += 1
    row.status = status
    await effects.announce(node, "favourite.created", effect, favourite=row)
    return status


async def _favourite_sqlite(node: Node, account: Account, status: Status) -> Status:
    """The favourite, its count and its effect in one write shared with concurrent writers (node.db.write):
    through the ORM it was an existence check and a transaction of three statements, each built anew."""
    row = Favourite(id=snowflake(), account_id=account.id, status_id=status.id, created_at=datetime.now(UTC))
    effect = effects.wanted(node, "favourite.created", {"favourite": row})
    insert, values = db.insert_statement(row)
    # a second favourite of the same status leaves the first (unique account and status): nothing else runs
    insert = insert.replace("INSERT INTO", "INSERT OR IGNORE INTO", 1)
    stored = [db.insert_statement(effect)] if effect is not None else []

    def write(connection: sqlite3.Connection) -> bool:
        if connection.execute(insert, values).rowcount == 0:
            return False
        connection.execute(_FAVOURITE_COUNT, (status.id,))
        for statement in stored:
            connection.execute(*statement)
        return True

    try:
        if not await db.write(write):
            return status
    except IntegrityError:  # the status went meanwhile: answered as the ORM path answers it
        return await Status.get(id=status.id)
    row._saved_in_db = True
    status.favourites_count += 1
    row.status = status
    await effects.announce(node, "favourite.created", effect, favourite=row)
    return status


async def unfavourite(node: Node, account: Account, status_id: int | str) -> Status:
    status = await _target(account, status_id)
    row = await Favourite.filter(account_id=account.id, status_id=status.id).first()
    if row is None:
        return status
    async with in_transaction():
        deleted = await Favourite.filter(id=row.id).delete()
        effect = None
        if deleted:
            await Status.filter(id=status.id, favourites_count__gt=0).update(favourites_count=F("favourites_count") - 1)
            effect = await effects.record(node, "favourite.deleted", favourite=row)
    if deleted:
        status.favourites_count = max(0, status.favourites_count - 1)
        row.status = status
        await effects.announce(node, "favourite.deleted", effect, favourite=row)
    return status


async def reblog(node: Node, account: Account, status_id: int | str, visibility_name: str | None = None) -> Status:
    """Reblog (boost) a status; returns the reblog. Followers-only and direct statuses cannot be reblogged."""
    original = await _target(account, status_id)
    chosen = visibility_name or "public"
    if chosen not in REBLOG_VISIBILITIES:
        raise ValidationFailed(f"Validation failed: Visibility must be one of {', '.join(REBLOG_VISIBILITIES)}")
    if original.visibility not in ("public", "unlisted"):
        raise ValidationFailed("Validation failed: Followers-only and direct posts cannot be boosted")
    existing = await Status.filter(account_id=account.id, reblog_of_id=original.id).first()
    if existing is not None:
        existing.reblog_of = original
        return existing
    now = datetime.now(UTC)
    reblog_id = snowflake()
    uri = node.urls.status_uri(account.username, reblog_id) + "/activity"
    status = Status(id=reblog_id, account=account, local=True, uri=uri, url=uri, visibility=chosen,
                    reblog_of=original, created_at=now)
    async with in_transaction():
        await status.save(force_create=True)
        await Status.filter(id=original.id).update(reblogs_count=F("reblogs_count") + 1)
        await Account.filter(id=account.id).update(statuses_count=F("statuses_count") + 1, last_status_at=now)
        effect = await effects.record(node, "reblog.created", status=status)
    original.reblogs_count += 1
    await effects.announce(node, "reblog.created", effect, status=status)
    return status


async def unreblog(node: Node, account: Account, status_id: int | str) -> Status:
    """Undo the account's reblog of a status; returns the original."""
    original = await _target(account, status_id)
    existing = await Status.filter(account_id=account.id, reblog_of_id=original.id).first()
    if existing is not None:
        await status_service.delete_status(node, existing)
        original = await Status.get(id=original.id)
    return original


async def bookmark(account: Account, status_id: int | str) -> Status:
    status = await _target(account, status_id)
    if not await Bookmark.filter(account_id=account.id, status_id=status.id).exists():
        try:
            await Bookmark.create(account_id=account.id, status_id=status.id)
        except IntegrityError:
            pass
    return status


async def unbookmark(account: Account, status_id: int | str) -> Status:
    status = await _target(account, status_id)
    await Bookmark.filter(account_id=account.id, status_id=status.id).delete()
    return status
