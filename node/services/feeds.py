"""Home feeds: who gets a status in their home timeline, written when it happens (fan-out on write).

Rules, as Mastodon's: a status goes to its author and to local followers (public, unlisted and
followers-only); a direct status to the local accounts it mentions; a reply to someone else only to
followers who also follow the account replied to; a reblog to the reblogger's followers unless they
hid that account's reblogs; a public status also to local accounts following one of its hashtags. Following back-fills recent statuses; unfollowing and blocking take them out.
"""

from __future__ import annotations

import sqlite3

from tortoise.expressions import Subquery

from .. import db
from ..models import Follow, HomeFeedEntry, Mention, Status, StatusTag, TagFollow, snowflake
from ..runtime import Node

BACKFILL = 40  # statuses of a newly followed account copied into the follower's feed


async def _local_followers(account_id: int, *, with_reblogs: bool = False) -> set[int]:
    query = Follow.filter(target_account_id=account_id, account__domain="")
    if with_reblogs:
        query = query.filter(show_reblogs=True)
    return set(await query.values_list("account_id", flat=True))


async def readers_of(status: Status) -> set[int]:
    """The local accounts whose home feed gets this status."""
    author = await status.account
    readers = {author.id} if author.local else set()
    if status.visibility == "direct":
        mentioned = await Mention.filter(status_id=status.id, account__domain="").values_list("account_id", flat=True)
        return readers | set(mentioned)
    if status.reblog_of_id is not None:
        return readers | await _local_followers(author.id, with_reblogs=True)
    followers = await _local_followers(author.id)
    replied_to = status.in_reply_to_account_id
    if replied_to is not None and replied_to != author.id:
        also_following = await Follow.filter(account_id__in=followers, target_account_id=replied_to).values_list(
            "account_id", flat=True)
        followers = set(also_following) | ({replied_to} & followers)
    if status.visibility == "public":
        tags = StatusTag.filter(status_id=status.id).values("tag_id")
        followers |= set(await TagFollow.filter(tag_id__in=Subquery(tags)).values_list("account_id", flat=True))
    return readers | followers


# On SQLite the readers are found and their rows inserted on the connection's thread, with hand-written
# statements, inside a grouped write (node.db.write): a new status's own write (status_rows), or a reblog's.
# Building a query and a model object per reader costs more than the insert itself. The rules are
# readers_of's; other databases take that path. ON CONFLICT DO NOTHING keeps a repeated fan-out harmless.
_INSERT_ENTRY = ("INSERT INTO home_feed (id, account_id, status_id, author_id) VALUES (?, ?, ?, ?) "
                 "ON CONFLICT DO NOTHING")
_LOCAL_FOLLOWERS = ("SELECT f.account_id FROM follows f JOIN accounts a ON a.id = f.account_id "
                    "WHERE f.target_account_id = ? AND a.domain = ''")
_TAG_FOLLOWERS = ("SELECT tf.account_id FROM tag_follows tf JOIN status_tags st ON st.tag_id = tf.tag_id "
                  "WHERE st.status_id = ?")
_LOCAL_MENTIONED = ("SELECT m.account_id FROM mentions m JOIN accounts a ON a.id = m.account_id "
                    "WHERE m.status_id = ? AND a.domain = ''")


def _readers_sql(connection: sqlite3.Connection, status: Status, author_is_local: bool) -> set[int]:
    """readers_of, as statements on the connection's thread."""
    readers = {status.account_id} if author_is_local else set()
    if status.visibility == "direct":
        return readers | {row[0] for row in connection.execute(_LOCAL_MENTIONED, (status.id,))}
    if status.reblog_of_id is not None:
        return readers | {row[0] for row in connection.execute(_LOCAL_FOLLOWERS + " AND f.show_reblogs = 1",
                                                               (status.account_id,))}
    followers = {row[0] for row in connection.execute(_LOCAL_FOLLOWERS, (status.account_id,))}
    replied_to = status.in_reply_to_account_id
    if followers and replied_to is not None and replied_to != status.account_id:
        marks = ",".join("?" * len(followers))
        also_following = {row[0] for row in connection.execute(
            f"SELECT account_id FROM follows WHERE target_account_id = ? AND account_id IN ({marks})",
            [replied_to, *followers])}
        followers = also_following | ({replied_to} & followers)
    if status.visibility == "public":
        followers |= {row[0] for row in connection.execute(_TAG_FOLLOWERS, (status.id,))}
    return readers | followers


def fan_out_rows(connection: sqlite3.Connection, status: Status, author_is_local: bool) -> None:
    """SQLite: the status's home feed rows, written inside the caller's grouped write."""
    connection.executemany(_INSERT_ENTRY, [(snowflake(), reader, status.id, status.account_id)
                                           for reader in _readers_sql(connection, status, author_is_local)])


async def fan_out(status: Status) -> None:
    author = await status.account
    if db.is_sqlite(HomeFeedEntry):
        await db.write(lambda connection: fan_out_rows(connection, status, author.local))
        return
    await HomeFeedEntry.bulk_create([HomeFeedEntry(account_id=reader, status_id=status.id,
                                                   author_id=status.account_id) for reader in await readers_of(status)],
                                    ignore_conflicts=True)


async def backfill(reader_id: int, author_id: int) -> None:
    recent = await Status.filter(account_id=author_id, visibility__in=("public", "unlisted", "private"),
                                 in_reply_to_id=None).order_by("-id").limit(BACKFILL).values_list("id", flat=True)
    have = set(await HomeFeedEntry.filter(account_id=reader_id, status_id__in=recent).values_list("status_id",
                                                                                                  flat=True))
    await HomeFeedEntry.bulk_create([HomeFeedEntry(account_id=reader_id, status_id=sid, author_id=author_id)
                                     for sid in recent if sid not in have])


def _authored_by(author_id: int) -> Subquery:
    """The ids of an author's statuses (the statuses index on account_id): how their feed rows are found."""
    return Subquery(Status.filter(account_id=author_id).values("id"))


async def remove_author(reader_id: int, author_id: int) -> None:
    """Take an author's posts and reblogs out of a reader's home feed (an unfollow, a block)."""
    await HomeFeedEntry.filter(account_id=reader_id, status_id__in=_authored_by(author_id)).delete()


async def remove_author_everywhere(author_id: int) -> None:
    """Take an author's posts and reblogs out of every home feed (a suspension)."""
    await HomeFeedEntry.filter(status_id__in=_authored_by(author_id)).delete()


def subscribe(node: Node) -> None:
    bus = node.bus

    # A new status is fanned out inside its own write (status_rows), a reblog once announced.
    @bus.on("reblog.created")
    async def on_reblog(status: Status) -> None:
        await fan_out(status)

    @bus.on("status.deleted")
    @bus.on("reblog.deleted")
    async def on_delete(status: Status, **_: object) -> None:
        await HomeFeedEntry.filter(status_id=status.id).delete()

    @bus.on("follow.created")
    @bus.on("follow.accepted")
    async def on_follow(follow: Follow) -> None:
        follower = await follow.account
        if follower.local:
            await backfill(follower.id, follow.target_account_id)

    @bus.on("follow.deleted")
    async def on_unfollow(account: object, target: object) -> None:
        await remove_author(account.id, target.id)  # type: ignore[attr-defined]

    @bus.on("block.created")
    async def on_block(block: object) -> None:
        await remove_author(block.account_id, block.target_account_id)  # type: ignore[attr-defined]
        await remove_author(block.target_account_id, block.account_id)  # type: ignore[attr-defined]
