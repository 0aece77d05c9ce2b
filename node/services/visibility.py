"""Who may see which status, in one place: every single-status read, timeline, context and list asks here.

Rules (Mastodon's): public and unlisted statuses are for anyone; followers-only for the author's followers
and the accounts it mentions; direct only for the accounts it mentions. The author always sees their own.
A block in either direction hides everything. A mute hides from home, public and tag timelines only, not
from the profile page or the status itself. A reblog is visible when both it and its original are.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from tortoise.expressions import Q

from .. import db
from ..errors import NotFound
from ..models import Account, AccountDomainBlock, Block, Follow, Mention, Mute, Status, row_id
from . import status_reads

OPEN = ("public", "unlisted")


async def blocked_either_way(viewer_id: int, others: Iterable[int] | None = None) -> set[int]:
    """Accounts the viewer blocks or is blocked by (among `others` when given)."""
    sql = "SELECT account_id, target_account_id FROM blocks WHERE (account_id = ? OR target_account_id = ?)"
    values: list[int] = [viewer_id, viewer_id]
    if others is not None:
        others = list(set(others))
        if not others:
            return set()
        marks = ",".join("?" * len(others))
        sql += f" AND (account_id IN ({marks}) OR target_account_id IN ({marks}))"
        values += others * 2
    # one plain statement: every single-status read asks this, and the ORM built it for ~0.2 ms each time
    rows = await db.query(sql, values)
    return {row["target_account_id"] if row["account_id"] == viewer_id else row["account_id"] for row in rows}


async def hidden_from(viewers: set[int], about: Sequence[int]) -> set[int]:
    """Which of `viewers` must not be shown something by `about[0]` that mentions `about[1:]`: they block
    or mute one of those accounts, or the author blocks them (Mastodon's streaming filter). The queries ask
    about the few accounts involved, never about the viewers, so their cost does not grow with the audience."""
    if not viewers or not about:
        return set()
    author, involved = about[0], list(set(about))
    blockers = await Block.filter(Q(target_account_id__in=involved) | Q(account_id=author)).values_list(
        "account_id", "target_account_id")
    hidden = {blocker for blocker, blocked in blockers if blocked in involved}  # they block someone involved
    hidden |= {blocked for blocker, blocked in blockers if blocker == author}  # the author blocks them
    hidden |= set(await Mute.filter(target_account_id__in=involved).values_list("account_id", flat=True))
    hidden.discard(author)
    return hidden & viewers


async def muted_by(viewer_id: int) -> set[int]:
    """Accounts kept out of the viewer's timelines: muted ones, and those on servers the viewer blocked."""
    muted = set(await Mute.filter(account_id=viewer_id).values_list("target_account_id", flat=True))
    domains = await AccountDomainBlock.filter(account_id=viewer_id).values_list("domain", flat=True)
    if domains:
        muted |= set(await Account.filter(domain__in=domains).values_list("id", flat=True))
    return muted


def hidden_rows(connection: sqlite3.Connection, viewer_id: int) -> set[int]:
    """`hidden_accounts` on the connection's thread (SQLite), for reads that fetch it in their own trip."""
    hidden = {row[0] for row in connection.execute(
        "SELECT target_account_id FROM blocks WHERE account_id = ? UNION "
        "SELECT account_id FROM blocks WHERE target_account_id = ? UNION "
        "SELECT target_account_id FROM mutes WHERE account_id = ?", (viewer_id, viewer_id, viewer_id))}
    domains = [row[0] for row in connection.execute(
        "SELECT domain FROM account_domain_blocks WHERE account_id = ?", (viewer_id,))]
    if domains:  # asked only then: no index leads from a domain to its accounts
        hidden.update(row[0] for row in connection.execute(
            f"SELECT id FROM accounts WHERE domain IN ({','.join('?' * len(domains))})", domains))
    return hidden


async def hidden_accounts(viewer_id: int) -> set[int]:
    """Every account kept out of the viewer's timelines: blocked either way, muted, or on a server the viewer
    blocked (`blocked_either_way | muted_by`, in one trip to the database on SQLite). Read afresh for each
    request: a block or mute takes effect on the next page."""
    if not db.is_sqlite(Block):
        return await blocked_either_way(viewer_id) | await muted_by(viewer_id)
    return await db.read(lambda connection: hidden_rows(connection, viewer_id))


async def attach_originals(statuses: Sequence[Status]) -> None:
    """Load the originals of reblogs in one query and set them on `reblog_of` (no per-row awaits later)."""
    missing = {s.reblog_of_id for s in statuses if s.reblog_of_id is not None and "_reblog_of" not in s.__dict__}
    if not missing:
        return
    originals = {o.id: o for o in await Status.filter(id__in=missing)}
    for status in statuses:
        if status.reblog_of_id in originals:
            status.reblog_of = originals[status.reblog_of_id]


def _original(status: Status) -> Status | None:
    return status.__dict__.get("_reblog_of") if status.reblog_of_id is not None else None


async def visible(viewer: Account | None, statuses: Sequence[Status], *, hide_muted: bool = False,
                  hidden: set[int] | None = None) -> list[Status]:
    """The statuses the viewer may see, in the order given, in at most four queries for any number.
    `hidden`: every account the viewer blocks, is blocked by or (with `hide_muted`) mutes, when the caller
    has already read them (timelines filter on them), so they are not read again."""
    if not statuses:
        return []
    await attach_originals(statuses)
    if viewer is None:
        return [s for s in statuses if s.visibility in OPEN and (
            s.reblog_of_id is None or ((o := _original(s)) is not None and o.visibility in OPEN))]
    me = viewer.id
    checked: list[Status] = []  # every status whose own rules apply: the rows and their originals
    for status in statuses:
        checked.append(status)
        if (original := _original(status)) is not None:
            checked.append(original)
    authors = {s.account_id for s in checked} - {me}
    if hidden is None:
        if hide_muted:
            hidden = await hidden_accounts(me)
        else:
            hidden = await blocked_either_way(me, authors) if authors else set()
    restricted = [s for s in checked if s.account_id != me and s.visibility not in OPEN]
    following: set[int] = set()
    mentioned: set[int] = set()
    if restricted:
        private_authors = {s.account_id for s in restricted if s.visibility == "private"}
        if private_authors:
            following = set(await Follow.filter(account_id=me, target_account_id__in=private_authors)
                            .values_list("target_account_id", flat=True))
        mentioned = set(await Mention.filter(account_id=me, status_id__in=[s.id for s in restricted])
                        .values_list("status_id", flat=True))

    def allowed(status: Status) -> bool:
        if status.account_id == me:
            return True
        if status.account_id in hidden:
            return False
        if status.visibility in OPEN:
            return True
        if status.visibility == "private" and status.account_id in following:
            return True
        return status.id in mentioned

    result = []
    for status in statuses:
        if not allowed(status):
            continue
        if status.reblog_of_id is not None:
            original = _original(status)
            if original is None or not allowed(original):
                continue
        result.append(status)
    return result


async def can_see(viewer: Account | None, status: Status) -> bool:
    return bool(await visible(viewer, [status]))


async def visible_status(viewer: Account | None, status_id: int | str) -> Status:
    """The status if it exists and the viewer may see it; otherwise 404, as Mastodon answers either way."""
    found = await status_reads.in_order([row_id(status_id)])  # its original and author come with it
    status = found[0] if found else None
    if status is None or not await can_see(viewer, status):
        raise NotFound()
    return status


async def profile_visibilities(viewer: Account | None, author_id: int) -> tuple[str, ...] | None:
    """Which visibilities of an author's statuses the viewer sees on their profile (direct ones are
    checked per status); None when a block hides the author entirely."""
    if viewer is None:
        return OPEN
    if viewer.id == author_id:
        return ("public", "unlisted", "private", "direct")
    if await blocked_either_way(viewer.id, [author_id]):
        return None
    if await Follow.filter(account_id=viewer.id, target_account_id=author_id).exists():
        return ("public", "unlisted", "private")
    return OPEN
