"""Filters (Mastodon's filters v2, and v1 answered from the same rows): what an account does not want to
see, by keyword (whole word or anywhere) or by status, in some contexts, until an optional expiry.

`matcher` compiles a viewer's active filters for one context once per request; the API applies it to every
status it serves there: `hide` drops the status (server-side, in every context), `warn` and `blur` keep it
with a FilterResult in its `filtered` list.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from .. import db
from ..errors import NotFound, ValidationFailed
from ..models import Account, Filter, FilterKeyword, FilterStatus, Status, row_id
from ..models.filter import ACTIONS, CONTEXTS
from ..runtime import Node
from ..search.documents import plain_text

TITLE_LIMIT = 256
KEYWORD_LIMIT = 512
_WORD = re.compile(r"\w")


def _key(value: int | str) -> int:
    return row_id(value)


def _title(title: str | None) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationFailed("Validation failed: Title can't be blank")
    if len(title) > TITLE_LIMIT:
        raise ValidationFailed(f"Validation failed: Title is too long (maximum is {TITLE_LIMIT} characters)")
    return title


def contexts(values: list[Any]) -> list[str]:
    chosen = list(dict.fromkeys(str(v) for v in values))
    if not chosen:
        raise ValidationFailed("Validation failed: Context can't be blank")
    if any(c not in CONTEXTS for c in chosen):
        raise ValidationFailed("Validation failed: Context None or invalid context supplied")
    return chosen


def action(value: str | None, default: str = "warn") -> str:
    chosen = value or default
    if chosen not in ACTIONS:
        raise ValidationFailed(f"Validation failed: Filter action must be one of {', '.join(ACTIONS)}")
    return chosen


def expiry(node: Node, expires_in: object) -> datetime | None:
    """`expires_in` seconds from now; empty means never."""
    if expires_in in (None, ""):
        return None
    try:
        seconds = int(expires_in)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise ValidationFailed("Validation failed: Expires in must be a number of seconds") from None
    if seconds <= 0:
        raise ValidationFailed("Validation failed: Expires in must be greater than 0")
    return node.clock.now() + timedelta(seconds=seconds)


def _keyword(text: object) -> str:
    keyword = str(text or "").strip()
    if not keyword:
        raise ValidationFailed("Validation failed: Keyword can't be blank")
    if len(keyword) > KEYWORD_LIMIT:
        raise ValidationFailed(
            f"Validation failed: Keyword is too long (maximum is {KEYWORD_LIMIT} characters)"
        )
    return keyword


def _flag(value: object, default: bool = True) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "on", "yes")
    return bool(value)


# ---- filters ------------------------------------------------------------------------------------------------


async def owned(account: Account) -> list[Filter]:
    return list(
        await Filter.filter(account_id=account.id).order_by("id").prefetch_related("keywords", "statuses")
    )


async def own(account: Account, filter_id: int | str) -> Filter:
    found = (
        await Filter.filter(id=_key(filter_id), account_id=account.id)
        .prefetch_related("keywords", "statuses")
        .first()
    )
    if found is None:
        raise NotFound()
    return found


async def create(
    node: Node,
    account: Account,
    *,
    title: str | None,
    context: list[Any],
    filter_action: str | None,
    expires_in: object,
    keywords: list[Any],
) -> Filter:
    made = Filter(
        account_id=account.id,
        title=_title(title),
        context=contexts(context),
        action=action(filter_action),
        expires_at=expiry(node, expires_in),
    )
    wanted = [(_keyword(k.get("keyword")), _flag(k.get("whole_word"))) for k in _attributes(keywords)]
    async with in_transaction():
        await made.save()
        for keyword, whole_word in wanted:
            await FilterKeyword.create(custom_filter_id=made.id, keyword=keyword, whole_word=whole_word)
    return await own(account, made.id)


def _attributes(values: list[Any]) -> list[dict[str, Any]]:
    if not all(isinstance(v, dict) for v in values):
        raise ValidationFailed("Validation failed: keywords_attributes must be a list of objects")
    return values


async def update(
    node: Node,
    account: Account,
    filter_id: int | str,
    *,
    title: str | None,
    context: list[Any] | None,
    filter_action: str | None,
    expires: tuple[bool, object],
    keywords: list[Any],
) -> Filter:
    """Change what is given; `expires` is (given, expires_in); keywords_attributes add (no id), change (id)
    or remove (id with _destroy) keywords, as Rails' nested attributes do."""
    found = await own(account, filter_id)
    if title is not None:
        found.title = _title(title)
    if context is not None:
        found.context = contexts(context)
    found.action = action(filter_action, found.action)
    if expires[0]:
        found.expires_at = expiry(node, expires[1])
    existing = {k.id: k for k in found.keywords}
    changes = []
    for attrs in _attributes(keywords):
        if attrs.get("id") in (None, ""):
            changes.append(("add", None, _keyword(attrs.get("keyword")), _flag(attrs.get("whole_word"))))
            continue
        row = existing.get(_key(attrs["id"]))
        if row is None:
            raise NotFound()
        if _flag(attrs.get("_destroy"), default=False):
            changes.append(("drop", row, "", False))
        else:
            keyword = _keyword(attrs["keyword"]) if "keyword" in attrs else row.keyword
            changes.append(("change", row, keyword, _flag(attrs.get("whole_word"), default=row.whole_word)))
    async with in_transaction():
        await found.save(update_fields=["title", "context", "action", "expires_at"])
        for kind, row, keyword, whole_word in changes:
            if kind == "add":
                await FilterKeyword.create(custom_filter_id=found.id, keyword=keyword, whole_word=whole_word)
            elif kind == "drop":
                await row.delete()
            else:
                row.keyword, row.whole_word = keyword, whole_word
                await row.save(update_fields=["keyword", "whole_word"])
    return await own(account, found.id)


async def delete(account: Account, filter_id: int | str) -> None:
    await (await own(account, filter_id)).delete()


# ---- keywords and statuses of a filter ----------------------------------------------------------------------


async def add_keyword(
    account: Account, filter_id: int | str, keyword: object, whole_word: object
) -> FilterKeyword:
    found = await own(account, filter_id)
    return await FilterKeyword.create(
        custom_filter_id=found.id, keyword=_keyword(keyword), whole_word=_flag(whole_word)
    )


async def own_keyword(account: Account, keyword_id: int | str) -> FilterKeyword:
    row = await FilterKeyword.filter(id=_key(keyword_id), custom_filter__account_id=account.id).first()
    if row is None:
        raise NotFound()
    return row


async def update_keyword(
    account: Account, keyword_id: int | str, keyword: object, whole_word: object
) -> FilterKeyword:
    row = await own_keyword(account, keyword_id)
    if keyword is not None:
        row.keyword = _keyword(keyword)
    row.whole_word = _flag(whole_word, default=row.whole_word)
    await row.save(update_fields=["keyword", "whole_word"])
    return row


async def add_status(account: Account, filter_id: int | str, status_id: object) -> FilterStatus:
    found = await own(account, filter_id)
    if status_id in (None, ""):
        raise ValidationFailed("Missing parameter: status_id")
    status = await Status.filter(id=_key(status_id)).first()  # type: ignore[arg-type]
    if status is None:
        raise NotFound()
    if await FilterStatus.filter(custom_filter_id=found.id, status_id=status.id).exists():
        raise ValidationFailed("Validation failed: Status has already been taken")
    return await FilterStatus.create(custom_filter_id=found.id, status_id=status.id)


async def own_status(account: Account, row_id: int | str) -> FilterStatus:
    row = await FilterStatus.filter(id=_key(row_id), custom_filter__account_id=account.id).first()
    if row is None:
        raise NotFound()
    return row


# ---- v1: one keyword each -----------------------------------------------------------------------------------


async def v1_keywords(account: Account) -> list[FilterKeyword]:
    return list(
        await FilterKeyword.filter(custom_filter__account_id=account.id)
        .order_by("id")
        .prefetch_related("custom_filter")
    )


async def v1_keyword(account: Account, keyword_id: int | str) -> FilterKeyword:
    row = await own_keyword(account, keyword_id)
    await row.fetch_related("custom_filter")
    return row


async def v1_create(
    node: Node,
    account: Account,
    *,
    phrase: object,
    context: list[Any],
    irreversible: bool,
    whole_word: object,
    expires_in: object,
) -> FilterKeyword:
    made = await create(
        node,
        account,
        title=_keyword(phrase),
        context=context,
        filter_action="hide" if irreversible else "warn",
        expires_in=expires_in,
        keywords=[{"keyword": phrase, "whole_word": whole_word}],
    )
    return await v1_keyword(account, made.keywords[0].id)


async def v1_update(
    node: Node,
    account: Account,
    keyword_id: int | str,
    *,
    phrase: object,
    context: list[Any] | None,
    irreversible: bool | None,
    whole_word: object,
    expires: tuple[bool, object],
) -> FilterKeyword:
    row = await v1_keyword(account, keyword_id)
    custom = row.custom_filter
    changes_filter = context is not None or irreversible is not None or expires[0]
    if changes_filter and await FilterKeyword.filter(custom_filter_id=custom.id).count() > 1:
        raise ValidationFailed(
            "Validation failed: This filter has several keywords: change it with /api/v2/filters"
        )
    async with in_transaction():
        await update_keyword(account, row.id, phrase, whole_word)
        if changes_filter:
            if context is not None:
                custom.context = contexts(context)
            if irreversible is not None:
                custom.action = "hide" if irreversible else "warn"
            if expires[0]:
                custom.expires_at = expiry(node, expires[1])
            await custom.save(update_fields=["context", "action", "expires_at"])
    return await v1_keyword(account, row.id)


async def v1_delete(account: Account, keyword_id: int | str) -> None:
    """Remove the keyword; a filter left without keywords or statuses goes with it."""
    row = await own_keyword(account, keyword_id)
    async with in_transaction():
        await row.delete()
        left = await FilterKeyword.filter(custom_filter_id=row.custom_filter_id).exists() or (
            await FilterStatus.filter(custom_filter_id=row.custom_filter_id).exists()
        )
        if not left:
            await Filter.filter(id=row.custom_filter_id).delete()


# ---- applying them ------------------------------------------------------------------------------------------


def keyword_source(keyword: str, whole_word: bool) -> str:
    """The regular expression for a keyword, as Mastodon matches (always case-insensitive): a whole word
    needs a word boundary on each side that starts or ends with a word character."""
    if not whole_word:
        return re.escape(keyword)
    start = r"\b" if _WORD.match(keyword[0]) else ""
    end = r"\b" if _WORD.match(keyword[-1]) else ""
    return f"{start}{re.escape(keyword)}{end}"


def keyword_pattern(keyword: str, whole_word: bool) -> re.Pattern[str]:
    return re.compile(keyword_source(keyword, whole_word), re.IGNORECASE | re.MULTILINE)


@dataclass
class _Compiled:
    """One active filter as matching needs it; its Filter row (for the FilterResult entity) is made only
    when a status matches it, since most pages match few filters and the rows cost more than the search."""

    filter_id: int
    action: str
    keywords: list[tuple[str, bool]]  # (keyword, whole_word)
    status_ids: set[int]
    load: Callable[[], Filter]
    _row: Filter | None = None
    _patterns: list[tuple[str, re.Pattern[str]]] | None = None

    @property
    def row(self) -> Filter:
        if self._row is None:
            self._row = self.load()
        return self._row

    def words_in(self, text: str) -> list[str]:
        if self._patterns is None:
            self._patterns = [(k, keyword_pattern(k, whole)) for k, whole in self.keywords]
        return [k for k, pattern in self._patterns if pattern.search(text)]


@dataclass
class Matcher:
    """A viewer's filters active in one context."""

    filters: list[_Compiled] = field(default_factory=list)
    _any: re.Pattern[str] | None = None
    _status_ids: set[int] | None = None

    def _prepare(self) -> None:
        # Every keyword of every filter in one alternation: most statuses match none, and one search tells
        # so (20 filters of 3 keywords were 60 searches per status); only a hit looks keyword by keyword.
        sources = [f"(?:{keyword_source(k, whole)})" for c in self.filters for k, whole in c.keywords]
        self._any = re.compile("|".join(sources), re.IGNORECASE | re.MULTILINE) if sources else None
        self._status_ids = {i for c in self.filters for i in c.status_ids}

    def match(
        self, status_id: int, text: str
    ) -> tuple[bool, list[tuple[Filter, list[str] | None, list[int] | None]]]:
        """(hide it?, [(filter, keyword_matches, status_matches)]) for one status's id and searchable text."""
        if self._status_ids is None:
            self._prepare()
        any_word = self._any is not None and self._any.search(text) is not None
        if not any_word and status_id not in self._status_ids:  # type: ignore[operator]
            return False, []
        results = []
        hide = False
        for compiled in self.filters:
            words = compiled.words_in(text) if any_word else []
            statuses = [status_id] if status_id in compiled.status_ids else []
            if words or statuses:
                results.append((compiled.row, words or None, statuses or None))
                hide = hide or compiled.action == "hide"
        return hide, results


async def matcher(node: Node, viewer: Account | None, context: str) -> Matcher | None:
    """The viewer's unexpired filters for `context`, compiled; None when there are none (the usual case)."""
    if viewer is None:
        return None
    return (await matchers(node, [viewer.id], context)).get(viewer.id)


async def matchers(node: Node, viewer_ids: list[int], context: str) -> dict[int, Matcher]:
    """`matcher` for many viewers in one read (the streaming fan-out): only those with active filters."""
    if not viewer_ids:
        return {}
    now = node.clock.now()
    found: dict[int, Matcher] = {}
    if not db.is_sqlite(Filter):
        rows = await Filter.filter(account_id__in=viewer_ids).order_by("id").prefetch_related("keywords", "statuses")
        for f in rows:
            if context in f.context and (f.expires_at is None or f.expires_at > now):
                found.setdefault(f.account_id, Matcher()).filters.append(_Compiled(
                    f.id, f.action, [(k.keyword, k.whole_word) for k in f.keywords],
                    {s.status_id for s in f.statuses}, lambda f=f: f))
        return found
    filter_rows, keyword_rows, status_rows = await db.read(lambda connection: _read_filters(connection, viewer_ids))
    keywords: dict[int, list[sqlite3.Row]] = {r["id"]: [] for r in filter_rows}
    statuses: dict[int, list[sqlite3.Row]] = {r["id"]: [] for r in filter_rows}
    for r in keyword_rows:
        keywords[r["custom_filter_id"]].append(r)
    for r in status_rows:
        statuses[r["custom_filter_id"]].append(r)
    for r in filter_rows:
        if context not in json.loads(r["context"]) or _expired(r["expires_at"], now):
            continue
        found.setdefault(r["account_id"], Matcher()).filters.append(_Compiled(
            r["id"], r["action"], [(k["keyword"], bool(k["whole_word"])) for k in keywords[r["id"]]],
            {s["status_id"] for s in statuses[r["id"]]},
            lambda r=r: _filter_row(r, keywords[r["id"]], statuses[r["id"]])))
    return found


# Every home, public and notifications page reads a viewer's filters, so on SQLite it is one trip to the
# connection's thread with three plain statements (the ORM's prefetch took three, and hydrating every row
# cost more than filtering the page).
_FILTER_SQL = (
    "SELECT * FROM filters WHERE account_id IN ({marks}) ORDER BY id",
    "SELECT k.* FROM filter_keywords k JOIN filters f ON f.id = k.custom_filter_id "
    "WHERE f.account_id IN ({marks}) ORDER BY k.id",
    "SELECT s.* FROM filter_statuses s JOIN filters f ON f.id = s.custom_filter_id "
    "WHERE f.account_id IN ({marks}) ORDER BY s.id",
)


def _expired(stored: str | None, now: datetime) -> bool:
    if stored is None:
        return False
    moment = datetime.fromisoformat(stored)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)) <= now


def _read_filters(connection: sqlite3.Connection, viewer_ids: list[int]) -> list[list[sqlite3.Row]]:
    marks = ",".join("?" * len(viewer_ids))
    return [connection.execute(sql.format(marks=marks), viewer_ids).fetchall() for sql in _FILTER_SQL]


def _filter_row(row: sqlite3.Row, keywords: list[sqlite3.Row], statuses: list[sqlite3.Row]) -> Filter:
    """A Filter with its keywords and statuses in place, as prefetch_related leaves them."""
    made = db.from_row(Filter, row)
    made.keywords._set_result_for_query([db.from_row(FilterKeyword, k) for k in keywords])  # type: ignore[attr-defined]
    made.statuses._set_result_for_query([db.from_row(FilterStatus, s) for s in statuses])  # type: ignore[attr-defined]
    return made


def searchable_text(entity: dict[str, Any]) -> str:
    """What keywords are looked for in, from a rendered status, as Mastodon's searchable text: the content
    warning, the text, poll options and media descriptions."""
    parts = [entity.get("spoiler_text") or "", plain_text(entity.get("content") or "")]
    poll = entity.get("poll") or {}
    parts += [o.get("title") or "" for o in poll.get("options") or []]
    parts += [m.get("description") or "" for m in entity.get("media_attachments") or []]
    return "\n\n".join(p for p in parts if p)
