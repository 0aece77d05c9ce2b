"""Timelines and status lists: home (materialised feed), public, hashtag, an account's statuses, bookmarks,
favourites, and who favourited or reblogged a status.

Each returns the page's items and the row keys it paged on (for the Link header). Reads are one range scan
plus a fixed number of `__in` queries, whatever the page size.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import F, Q, RawSQL, Subquery
from tortoise.queryset import QuerySet

from .. import db
from ..activitypub import moderation
from ..models import (
    Account,
    Bookmark,
    Favourite,
    HomeFeedEntry,
    Mention,
    Status,
    StatusPin,
    StatusQuote,
    StatusTag,
    Tag,
)
from . import accounts, hashtags, lists, pins, status_reads, visibility
from .paging import Page


def _with_media(query: QuerySet, status_id: str = '"statuses"."id"') -> QuerySet:
    # EXISTS per row, read newest first, stops after a page; `id IN (SELECT status_id FROM media_attachments)`
    # made SQLite list every attachment on the node before reading the first row.
    media = RawSQL(f'EXISTS (SELECT 1 FROM "media_attachments" m WHERE m."status_id" = {status_id})')
    return query.annotate(_has_media=media).filter(_has_media=True)


def _tagged(query: QuerySet, tag_id: int, *, present: bool = True, status_id: str = '"statuses"."id"') -> QuerySet:
    tag = RawSQL(f'EXISTS (SELECT 1 FROM "status_tags" t WHERE t."status_id" = {status_id} AND t."tag_id" = {int(tag_id)})')
    return query.annotate(**{f"_tag_{tag_id}": tag}).filter(**{f"_tag_{tag_id}": present})


async def _tag_ids(names: Sequence[str]) -> dict[str, int]:
    wanted = [hashtags.normalize(n) for n in names if n]
    return dict(await Tag.filter(name__in=wanted).values_list("name", "id")) if wanted else {}


in_order = status_reads.in_order


async def _hidden(viewer: Account | None) -> set[int]:
    if viewer is None:
        return set()
    return await visibility.hidden_accounts(viewer.id)


async def home(viewer: Account, page: Page) -> tuple[list[Status], list[int]]:
    """The viewer's home feed, read from its materialised rows; now-invisible or muted ones dropped, and those
    by members of the viewer's exclusive lists (they are read in those lists)."""
    if db.is_sqlite(HomeFeedEntry):
        ids, rows, hidden = await db.read(lambda connection: _read_home(connection, viewer.id, page))
        return await visibility.visible(viewer, rows, hide_muted=True, hidden=hidden), ids
    feed = HomeFeedEntry.filter(account_id=viewer.id)
    if await lists.has_exclusive(viewer.id):
        feed = feed.filter(author_id__not_in=lists.exclusive_members(viewer.id))
    rows = await page.filter(feed, key="status_id").values_list(
        "status_id", flat=True)
    ids = page.arrange(rows)
    shown = await visibility.visible(viewer, await in_order(ids), hide_muted=True)
    return shown, ids


_EXCLUSIVE_MEMBERS = ("SELECT la.account_id FROM list_accounts la JOIN lists l ON l.id = la.list_id "
                      "WHERE l.account_id = ? AND l.exclusive")


def _read_home(connection: sqlite3.Connection, viewer_id: int, page: Page
               ) -> tuple[list[int], list[Status], set[int]]:
    """The home page in one trip (SQLite): its feed rows, their statuses (originals and authors in place) and
    the accounts the viewer does not want to see, as the ORM path above reads them in six queries."""
    conditions, values, order = page.sql("status_id")
    sql, params = f"SELECT status_id FROM home_feed WHERE account_id = ?{conditions}", [viewer_id, *values]
    if connection.execute("SELECT 1 FROM lists WHERE account_id = ? AND exclusive LIMIT 1", (viewer_id,)).fetchone():
        sql, params = f"{sql} AND author_id NOT IN ({_EXCLUSIVE_MEMBERS})", [*params, viewer_id]
    ids = page.arrange([row[0] for row in connection.execute(sql + order, params)])
    return ids, status_reads.read_statuses(connection, ids), visibility.hidden_rows(connection, viewer_id)


async def _public_filters(viewer: Account | None, query: QuerySet, hidden: set[int], *, local: bool, remote: bool,
                          only_media: bool, via: str = "") -> QuerySet:
    """What public and tag timelines share, on a Status queryset (`via` ""), or on one reaching statuses
    through a relation (`via` "status__", e.g. a tag's StatusTag rows read in tag order). `hidden` is the
    viewer's `_hidden` set."""
    query = query.filter(**{f"{via}visibility": "public", f"{via}reblog_of_id": None})
    if local:
        query = query.filter(**{f"{via}local": True})
    elif remote:
        query = query.filter(**{f"{via}local": False})
    if only_media:
        query = _with_media(query, '"statuses"."id"' if not via else f'"{query.model._meta.db_table}"."status_id"')
    if hidden:
        query = query.filter(**{f"{via}account_id__not_in": hidden})
    if silenced_accounts := await moderation.silenced_accounts():  # admins' account actions
        query = query.filter(**{f"{via}account_id__not_in": silenced_accounts})
    if not local and (silenced := await moderation.silenced_domains()):  # admins' domain blocks
        query = query.filter(**{f"{via}account_id__not_in": Subquery(Account.filter(domain__in=silenced).values("id"))})
    return query


@dataclass(frozen=True)
class _Where:
    """What public and tag timelines keep out, for a hand-written SQLite read (the ORM path: _public_filters)."""

    local: bool
    remote: bool
    only_media: bool
    silenced_accounts: frozenset[int]
    silenced_domains: tuple[str, ...]

    def sql(self, status: str, status_id: str, hidden: set[int]) -> tuple[str, list[Any]]:
        """Conditions (each starting with AND) on the statuses table as `status` and its id as `status_id`,
        written as the ORM writes them (parameters, not literals), so SQLite plans them the same."""
        sql, values = f" AND {status}.visibility = ? AND {status}.reblog_of_id IS NULL", ["public"]
        if self.local or self.remote:
            sql += f" AND {status}.local = ?"
            values.append(1 if self.local else 0)
        if self.only_media:
            sql += f" AND EXISTS (SELECT 1 FROM media_attachments m WHERE m.status_id = {status_id}) = 1"
        for excluded in (hidden, self.silenced_accounts):
            if excluded:
                sql += f" AND {status}.account_id NOT IN ({','.join('?' * len(excluded))})"
                values += list(excluded)
        if not self.local and self.silenced_domains:
            sql += (f" AND {status}.account_id NOT IN (SELECT id FROM accounts WHERE domain IN "
                    f"({','.join('?' * len(self.silenced_domains))}))")
            values += list(self.silenced_domains)
        return sql, values


async def _where(*, local: bool, remote: bool, only_media: bool) -> _Where:
    return _Where(local, remote, only_media, frozenset(await moderation.silenced_accounts()),
                  tuple(await moderation.silenced_domains()) if not local else ())


def _read_public(connection: sqlite3.Connection, viewer_id: int | None, page: Page, where: _Where
                 ) -> tuple[list[Status], set[int]]:
    """The public page in one trip (SQLite): the viewer's hidden accounts, the page's ids read newest first by
    id as the ORM path reads them, and the statuses with originals and authors in place."""
    hidden = visibility.hidden_rows(connection, viewer_id) if viewer_id is not None else set()
    conditions, values = where.sql("statuses", "statuses.id", hidden)
    window, bounds, order = page.sql("id")
    ids = [row[0] for row in connection.execute(
        "SELECT id FROM statuses WHERE (in_reply_to_id IS NULL OR in_reply_to_account_id = account_id)"
        f"{conditions}{window}{order}", [*values, *bounds])]
    return status_reads.read_statuses(connection, page.arrange(ids)), hidden


async def public(viewer: Account | None, page: Page, *, local: bool = False, remote: bool = False,
                 only_media: bool = False) -> tuple[list[Status], list[int]]:
    """Public statuses, without reblogs and without replies to other people (self-threads stay). Read newest
    first by id, filtering as it goes: a page costs about a page of rows (see SetIndex for why the planner
    takes that plan)."""
    if db.is_sqlite(Status):
        where = await _where(local=local, remote=remote, only_media=only_media)
        rows, hidden = await db.read(lambda connection: _read_public(
            connection, viewer.id if viewer is not None else None, page, where))
        return await visibility.visible(viewer, rows, hide_muted=True, hidden=hidden), [s.id for s in rows]
    query = Status.filter(Q(in_reply_to_id=None) | Q(in_reply_to_account_id=F("account_id")))
    hidden = await _hidden(viewer)
    query = await _public_filters(viewer, query, hidden, local=local, remote=remote, only_media=only_media)
    rows = await in_order(page.arrange(await page.filter(query).values_list("id", flat=True)))
    return await visibility.visible(viewer, rows, hide_muted=True, hidden=hidden), [s.id for s in rows]


async def hashtag(viewer: Account | None, name: str, page: Page, *, any_of: Sequence[str] = (),
                  all_of: Sequence[str] = (), none_of: Sequence[str] = (), local: bool = False,
                  remote: bool = False, only_media: bool = False) -> tuple[list[Status], list[int]]:
    """Public statuses tagged `name` (or any of `any_of`), with every tag of `all_of` and none of `none_of`.

    Each tag's statuses are read in the order of its (tag_id, status_id) index, joined to the statuses to
    filter them, so a page costs a page of rows however many statuses carry the tag; with any[] each tag
    gives its own page and the newest `limit` of their union are kept."""
    if db.is_sqlite(Status):
        where = await _where(local=local, remote=remote, only_media=only_media)
        rows, hidden = await db.read(lambda connection: _read_hashtag(
            connection, viewer.id if viewer is not None else None, page, where, [name, *any_of], all_of, none_of))
        return await visibility.visible(viewer, rows, hide_muted=True, hidden=hidden), [s.id for s in rows]
    tags = await _tag_ids([name, *any_of, *all_of, *none_of])
    wanted = {tags[hashtags.normalize(n)] for n in [name, *any_of] if n and hashtags.normalize(n) in tags}
    if not wanted or any(hashtags.normalize(t) not in tags for t in all_of):
        return [], []
    found: set[int] = set()
    hidden = await _hidden(viewer)
    for tag_id in wanted:
        query = StatusTag.filter(tag_id=tag_id)
        for required in all_of:
            query = _tagged(query, tags[hashtags.normalize(required)], status_id='"status_tags"."status_id"')
        for excluded in none_of:
            if hashtags.normalize(excluded) in tags:
                query = _tagged(query, tags[hashtags.normalize(excluded)], present=False, status_id='"status_tags"."status_id"')
        query = await _public_filters(viewer, query, hidden, local=local, remote=remote, only_media=only_media,
                                      via="status__")
        found.update(await page.filter(query, key="status_id").values_list("status_id", flat=True))
    ids = page.arrange(sorted(found, reverse=page.min_id is None)[:page.limit])
    rows = await in_order(ids)
    return await visibility.visible(viewer, rows, hide_muted=True, hidden=hidden), [s.id for s in rows]


def _read_hashtag(connection: sqlite3.Connection, viewer_id: int | None, page: Page, where: _Where,
                  any_of: Sequence[str], all_of: Sequence[str], none_of: Sequence[str]
                  ) -> tuple[list[Status], set[int]]:
    """The hashtag page in one trip (SQLite), as the ORM path above reads it: the tags' ids, the viewer's
    hidden accounts, each wanted tag's page in the order of its (tag_id, status_id) index, the newest of
    their union, and those statuses with originals and authors in place."""
    names = list(dict.fromkeys(hashtags.normalize(n) for n in [*any_of, *all_of, *none_of] if n))
    tags = dict(connection.execute(f"SELECT name, id FROM tags WHERE name IN ({','.join('?' * len(names))})",
                                   names).fetchall()) if names else {}
    wanted = {tags[hashtags.normalize(n)] for n in any_of if n and hashtags.normalize(n) in tags}
    if not wanted or any(hashtags.normalize(t) not in tags for t in all_of):
        return [], set()
    hidden = visibility.hidden_rows(connection, viewer_id) if viewer_id is not None else set()
    refined = "".join(
        f" AND EXISTS (SELECT 1 FROM status_tags t WHERE t.status_id = st.status_id AND t.tag_id = {int(tag_id)})"
        f" = {int(present)}"
        for tag_id, present in [*((tags[hashtags.normalize(t)], True) for t in all_of),
                                *((tags[hashtags.normalize(t)], False) for t in none_of
                                  if hashtags.normalize(t) in tags)])
    conditions, values = where.sql("s", "st.status_id", hidden)
    window, bounds, order = page.sql("st.status_id")
    found: set[int] = set()
    for tag_id in wanted:
        found.update(row[0] for row in connection.execute(
            f"SELECT st.status_id FROM status_tags st LEFT OUTER JOIN statuses s ON s.id = st.status_id "
            f"WHERE st.tag_id = ?{refined}{conditions}{window}{order}", [tag_id, *values, *bounds]))
    ids = page.arrange(sorted(found, reverse=page.min_id is None)[:page.limit])
    return status_reads.read_statuses(connection, ids), hidden


async def account_statuses(viewer: Account | None, account_id: int | str, page: Page, *, only_media: bool = False,
                           exclude_replies: bool = False, exclude_reblogs: bool = False, pinned: bool = False,
                           tagged: str | None = None) -> tuple[list[Status], list[int]]:
    """An account's profile: what the viewer may see of it (a block in either direction shows nothing)."""
    author = await accounts.get_account(account_id)
    allowed = await visibility.profile_visibilities(viewer, author.id)
    if allowed is None:
        return [], []
    query = Status.filter(account_id=author.id)
    if pinned:  # most recently pinned first, as Mastodon orders them (a handful: not paged)
        query = query.filter(id__in=Subquery(StatusPin.filter(account_id=author.id).values("status_id")))
    if viewer is not None and viewer.id != author.id:
        query = query.filter(Q(visibility__in=allowed)
                             | Q(id__in=Subquery(Mention.filter(account_id=viewer.id).values("status_id"))))
    else:
        query = query.filter(visibility__in=allowed)
    if exclude_replies:
        query = query.filter(Q(in_reply_to_id=None) | Q(in_reply_to_account_id=author.id))
    if exclude_reblogs:
        query = query.filter(reblog_of_id=None)
    if only_media:
        query = _with_media(query)
    if tagged:
        tag_id = (await _tag_ids([tagged])).get(hashtags.normalize(tagged))
        if tag_id is None:
            return [], []
        query = _tagged(query, tag_id)
    if pinned:
        order = {status_id: n for n, status_id in enumerate(await pins.pinned_ids(author.id))}
        rows = sorted(await query, key=lambda s: order.get(s.id, len(order)))
        return await visibility.visible(viewer, rows), []
    rows = await in_order(page.arrange(await page.filter(query).values_list("id", flat=True)))
    return await visibility.visible(viewer, rows), [s.id for s in rows]


async def _saved(model: type[Bookmark] | type[Favourite], viewer: Account, page: Page) -> tuple[list[Status], list[int]]:
    rows = page.arrange(await page.filter(model.filter(account_id=viewer.id)).values_list("id", "status_id"))
    statuses = await visibility.visible(viewer, await in_order([status_id for _, status_id in rows]))
    return statuses, [row_id for row_id, _ in rows]


async def bookmarks(viewer: Account, page: Page) -> tuple[list[Status], list[int]]:
    return await _saved(Bookmark, viewer, page)


async def favourites(viewer: Account, page: Page) -> tuple[list[Status], list[int]]:
    return await _saved(Favourite, viewer, page)


async def _in_account_order(ids: list[int]) -> list[Account]:
    rows = {a.id: a for a in await Account.filter(id__in=ids, suspended_at=None)} if ids else {}
    return [rows[i] for i in ids if i in rows]


async def favourited_by(viewer: Account | None, status_id: int | str, page: Page) -> tuple[list[Account], list[int]]:
    status = await visibility.visible_status(viewer, status_id)
    rows = page.arrange(await page.filter(Favourite.filter(status_id=status.id)).values_list("id", "account_id"))
    return await _in_account_order([a for _, a in rows]), [r for r, _ in rows]


async def quotes_of(viewer: Account | None, status_id: int | str, page: Page) -> tuple[list[Status], list[int]]:
    """Mastodon 4.5's quotes of a status the viewer may see: its accepted quotes by the quote's id, each
    quoting post shown only to a viewer who may see it (blocked and muted authors left out)."""
    status = await visibility.visible_status(viewer, status_id)
    rows = page.arrange(await page.filter(StatusQuote.filter(quoted_status_id=status.id, state="accepted"))
                        .values_list("id", "status_id"))
    found = {s.id: s for s in await Status.filter(id__in=[s for _, s in rows])} if rows else {}
    shown = await visibility.visible(viewer, [found[s] for _, s in rows if s in found], hide_muted=True)
    return list(shown), [r for r, _ in rows]


async def reblogged_by(viewer: Account | None, status_id: int | str, page: Page) -> tuple[list[Account], list[int]]:
    status = await visibility.visible_status(viewer, status_id)
    rows = page.arrange(await page.filter(Status.filter(reblog_of_id=status.id)).values_list("id", "account_id"))
    return await _in_account_order([a for _, a in rows]), [r for r, _ in rows]
