"""Status, MediaAttachment, Poll and StatusEdit entities, rendered a page at a time.

`status_entities` loads what a page of statuses needs with one `__in` query per kind (accounts, media,
polls and own votes, tags, mentions, places, apps, the viewer's favourites, reblogs and bookmarks), so its
cost does not grow with the page size; on SQLite the parts besides accounts and apps come back from one
trip to the connection's thread.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ... import db
from ...errors import NotFound
from ...models import (
    Account,
    Bookmark,
    CustomEmoji,
    Favourite,
    MediaAttachment,
    Mention,
    OAuthApp,
    Place,
    Poll,
    PollVote,
    PreviewCard,
    Status,
    StatusCard,
    StatusEdit,
    StatusPin,
    StatusQuote,
    StatusTag,
)
from ...runtime import Node
from ...services import emoji as emoji_service
from ...services import media as media_service
from ...services import places as place_service
from ...services import polls as poll_service
from ...services.visibility import attach_originals, visible
from .accounts import account_entity
from .cards import card_entity
from .common import iso, renderings
from .places import place_entity


def media_meta(media: MediaAttachment) -> dict[str, Any]:
    """Mastodon's `meta`: original and small sizes, focus, and length for video."""
    meta: dict[str, Any] = {}
    if media.width and media.height:
        original: dict[str, Any] = {"width": media.width, "height": media.height,
                                    "size": f"{media.width}x{media.height}", "aspect": media.width / media.height}
        if media.duration is not None:
            original["duration"] = media.duration
        meta["original"] = original
        bound_w, bound_h = media_service.SMALL
        scale = min(1.0, bound_w / media.width, bound_h / media.height)
        w, h = max(1, round(media.width * scale)), max(1, round(media.height * scale))
        meta["small"] = {"width": w, "height": h, "size": f"{w}x{h}", "aspect": w / h}
    if media.duration is not None:
        whole = int(media.duration)
        meta["length"] = f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}.{int((media.duration % 1) * 100):02d}"
        meta["duration"] = media.duration
    meta["focus"] = {"x": media.focus_x, "y": media.focus_y}
    return meta


def _media_urls(node: Node, media: MediaAttachment) -> tuple[str, str | None]:
    """(url, preview_url): our file; for a remote file not copied yet (or that cannot be) its remote URL;
    for a pruned copy our media proxy, which copies it again when asked (Mastodon's needs_redownload)."""
    if media.file_path:
        url = node.urls.media(media.file_path)
        return url, node.urls.media(media.preview_path) if media.preview_path else (
            None if media.type == "audio" else url)
    if media.remote_state == "pruned":
        return node.urls.media_proxy(media.id, "original"), node.urls.media_proxy(media.id, "small")
    return media.remote_url, media.remote_url


def media_entity(node: Node, media: MediaAttachment) -> dict[str, Any]:
    url, preview_url = _media_urls(node, media)
    return {
        "id": str(media.id),
        "type": media.type,
        "url": url,
        "preview_url": preview_url,
        "remote_url": media.remote_url or None,
        "preview_remote_url": None,
        "text_url": None,
        "meta": media_meta(media),
        "description": media.description or None,
        "blurhash": media.blurhash,
    }


def poll_entity(poll: Poll, viewer: Account | None, author_id: int, own_votes: Sequence[int] = (),
                emojis: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    ended = poll_service.expired(poll)
    is_author = viewer is not None and viewer.id == author_id
    show_totals = not poll.hide_totals or ended or is_author
    entity: dict[str, Any] = {
        "id": str(poll.id),
        "expires_at": iso(poll.expires_at),
        "expired": ended,
        "multiple": poll.multiple,
        "votes_count": poll.votes_count,
        "voters_count": poll.voters_count,
        "options": [{"title": title, "votes_count": poll.cached_tallies[i] if show_totals else None}
                    for i, title in enumerate(poll.options)],
        "emojis": list(emojis),
    }
    if viewer is not None:
        entity["voted"] = is_author or bool(own_votes)
        entity["own_votes"] = sorted(own_votes)
    return entity


@dataclass
class _Parts:
    """What a page of statuses needs besides the statuses and their authors, keyed by status id."""

    media: dict[int, list[MediaAttachment]] = field(default_factory=lambda: defaultdict(list))
    polls: dict[int, Poll] = field(default_factory=dict)
    votes: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))  # poll id -> own choices
    tags: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    mentions: dict[int, list[tuple[int, str, str, str | None]]] = field(default_factory=lambda: defaultdict(list))
    places: dict[int, Place] = field(default_factory=dict)
    cards: dict[int, PreviewCard] = field(default_factory=dict)
    favourited: set[int] = field(default_factory=set)
    reblogged: set[int] = field(default_factory=set)
    bookmarked: set[int] = field(default_factory=set)
    pinned: set[int] = field(default_factory=set)
    quotes: list[StatusQuote] = field(default_factory=list)


async def _parts_with_orm(ids: list[int], viewer_id: int | None, flags: bool) -> _Parts:
    parts = _Parts()
    for item in await MediaAttachment.filter(status_id__in=ids).order_by("position", "id"):
        parts.media[item.status_id].append(item)  # type: ignore[index]
    parts.polls = {p.status_id: p for p in await Poll.filter(status_id__in=ids)}  # type: ignore[misc]
    if viewer_id is not None and parts.polls:
        for poll_id, choice in await PollVote.filter(poll_id__in=[p.id for p in parts.polls.values()],
                                                     account_id=viewer_id).values_list("poll_id", "choice"):
            parts.votes[poll_id].append(choice)
    for status_id, name in await StatusTag.filter(status_id__in=ids).values_list("status_id", "tag__name"):
        parts.tags[status_id].append(name)
    for status_id, *mention in await Mention.filter(status_id__in=ids).values_list(
            "status_id", "account_id", "account__username", "account__domain", "account__url"):
        parts.mentions[status_id].append(tuple(mention))  # type: ignore[arg-type]
    parts.places = await place_service.places_of(ids)
    parts.quotes = await StatusQuote.filter(status_id__in=ids)
    parts.cards = {row.status_id: row.card for row in await StatusCard.filter(
        status_id__in=ids, card__state="fetched").select_related("card")}  # type: ignore[misc]
    if flags and viewer_id is not None:
        parts.favourited = set(await Favourite.filter(account_id=viewer_id, status_id__in=ids).values_list(
            "status_id", flat=True))
        parts.reblogged = set(await Status.filter(account_id=viewer_id, reblog_of_id__in=ids).values_list(
            "reblog_of_id", flat=True))
        parts.bookmarked = set(await Bookmark.filter(account_id=viewer_id, status_id__in=ids).values_list(
            "status_id", flat=True))
        parts.pinned = set(await StatusPin.filter(account_id=viewer_id, status_id__in=ids).values_list(
            "status_id", flat=True))
    return parts


# On SQLite every part comes from one trip to the connection's thread, with hand-written statements: a page
# (and the answer to every new post) used to pay about a millisecond per ORM query to build it.
_SQL = {
    "media": "SELECT * FROM media_attachments WHERE status_id IN ({marks}) ORDER BY position, id",
    "polls": "SELECT * FROM polls WHERE status_id IN ({marks})",
    "tags": "SELECT st.status_id, t.name FROM status_tags st LEFT JOIN tags t ON t.id = st.tag_id "
            "WHERE st.status_id IN ({marks})",
    "mentions": "SELECT m.status_id, m.account_id, a.username, a.domain, a.url FROM mentions m "
                "LEFT JOIN accounts a ON a.id = m.account_id WHERE m.status_id IN ({marks})",
    "places": "SELECT sp.status_id, sp.place_id FROM status_places sp WHERE sp.status_id IN ({marks})",
    "cards": "SELECT sc.status_id AS card_of, c.* FROM status_cards sc JOIN preview_cards c ON c.id = sc.card_id "
             "WHERE c.state = 'fetched' AND sc.status_id IN ({marks})",
    "quotes": "SELECT * FROM status_quotes WHERE status_id IN ({marks})",
    "flags": "SELECT 'f', status_id FROM favourites WHERE account_id = ? AND status_id IN ({marks}) UNION ALL "
             "SELECT 'r', reblog_of_id FROM statuses WHERE account_id = ? AND reblog_of_id IN ({marks}) UNION ALL "
             "SELECT 'b', status_id FROM bookmarks WHERE account_id = ? AND status_id IN ({marks}) UNION ALL "
             "SELECT 'p', status_id FROM status_pins WHERE account_id = ? AND status_id IN ({marks})",
}


def _read_parts(connection: sqlite3.Connection, ids: list[int], viewer_id: int | None, flags: bool) -> _Parts:
    parts = _Parts()
    marks = ",".join("?" * len(ids))

    def rows(name: str, params: list[Any]) -> list[sqlite3.Row]:
        return connection.execute(_SQL[name].format(marks=marks), params).fetchall()

    def models(model: type[Any], name: str) -> list[Any]:
        return db.hydrate(model, connection.execute(_SQL[name].format(marks=marks), ids))

    for item in models(MediaAttachment, "media"):
        parts.media[item.status_id].append(item)
    parts.polls = {poll.status_id: poll for poll in models(Poll, "polls")}
    if viewer_id is not None and parts.polls:
        poll_ids = [p.id for p in parts.polls.values()]
        for poll_id, choice in connection.execute(
                f"SELECT poll_id, choice FROM poll_votes WHERE account_id = ? AND poll_id IN "
                f"({','.join('?' * len(poll_ids))})", [viewer_id, *poll_ids]):
            parts.votes[poll_id].append(choice)
    for status_id, name in rows("tags", ids):
        parts.tags[status_id].append(name)
    for status_id, *mention in rows("mentions", ids):
        parts.mentions[status_id].append(tuple(mention))  # type: ignore[arg-type]
    if links := {status_id: place_id for status_id, place_id in rows("places", ids)}:
        found = {place.id: place for place in db.hydrate(Place, connection.execute(
            f"SELECT * FROM places WHERE id IN ({','.join('?' * len(links))})", list(links.values())))}
        parts.places = {status_id: found[place_id] for status_id, place_id in links.items() if place_id in found}
    parts.quotes = models(StatusQuote, "quotes")
    for row in rows("cards", ids):
        values = dict(row)
        parts.cards[values.pop("card_of")] = PreviewCard._init_from_db(**values)
    if flags and viewer_id is not None:
        found_flags = {"f": parts.favourited, "r": parts.reblogged, "b": parts.bookmarked, "p": parts.pinned}
        for kind, status_id in rows("flags", [viewer_id, *ids] * 4):
            found_flags[kind].add(status_id)
    return parts


async def _parts(ids: list[int], viewer_id: int | None, *, flags: bool) -> _Parts:
    """`flags`: also which of them the viewer favourited, reblogged and bookmarked."""
    if not db.is_sqlite(Status):
        return await _parts_with_orm(ids, viewer_id, flags)
    return await db.read(lambda connection: _read_parts(connection, ids, viewer_id, flags))


async def _emojis(node: Node, used: dict[int, tuple[str, list[str], list[str]]]
                  ) -> tuple[dict[int, list[dict[str, Any]]], dict[int, list[dict[str, Any]]]]:
    """The custom emoji of each status and of each poll's options, from `used` (status id: the author's
    domain, the shortcodes in its text, warning and poll options, as Mastodon counts them, and those in the
    options), read from the author's server's emoji in one query for the page: an emoji added or disabled
    since counts on the next request."""
    if not used:
        return {}, {}
    rows = await CustomEmoji.filter(domain__in={d for d, _, _ in used.values()},
                                    shortcode__in={c for _, codes, _ in used.values() for c in codes},
                                    disabled=False).exclude(image_path="")
    found = {(row.domain, row.shortcode): emoji_service.entity(node, row) for row in rows}
    for_status, for_poll = {}, {}
    for status_id, (domain, codes, option_codes) in used.items():
        for_status[status_id] = [found[(domain, c)] for c in codes if (domain, c) in found]
        for_poll[status_id] = [found[(domain, c)] for c in option_codes if (domain, c) in found]
    return for_status, for_poll


def quote_approval(status: Status, viewer: Account | None) -> dict[str, Any]:
    """Mastodon 4.5's quote_approval: our public and unlisted posts may be quoted by anyone (we approve at
    once), others' only through a QuoteRequest their author answers; nothing else may be quoted."""
    open_to_all = status.visibility in ("public", "unlisted") and status.reblog_of_id is None
    if viewer is None:
        current = "unknown"
    elif viewer.id == status.account_id:
        current = "automatic"
    elif not open_to_all:
        current = "denied"
    else:
        current = "automatic" if status.local else "manual"
    return {"automatic": ["public"] if open_to_all and status.local else [], "manual": [], "current_user": current}


async def _quotes(node: Node, rows: list[StatusQuote], viewer: Account | None, shallow: bool
                  ) -> dict[int, dict[str, Any]]:
    """Mastodon 4.5's `quote` of each quoting status: its state and the quoted Status (a ShallowQuote, the
    quoted id only, inside a quoted status, as Mastodon nests them one level)."""
    if not rows:
        return {}
    shown: dict[str, dict[str, Any]] = {}
    seen: set[int] = set()
    if not shallow:
        wanted = [r.quoted_status_id for r in rows if r.state == "accepted" and r.quoted_status_id is not None]
        allowed = await visible(viewer, await Status.filter(id__in=wanted)) if wanted else []
        seen = {s.id for s in allowed}
        shown = {e["id"]: e for e in await status_entities(node, allowed, viewer, shallow_quotes=True)}
    result: dict[int, dict[str, Any]] = {}
    for row in rows:
        state = row.state
        if state == "accepted" and row.quoted_status_id is None:
            state = "deleted"
        elif state == "accepted" and not shallow and row.quoted_status_id not in seen:
            state = "unauthorized"
        quoted_id = str(row.quoted_status_id) if state == "accepted" else None
        if shallow:
            result[row.status_id] = {"state": state, "quoted_status_id": quoted_id}  # type: ignore[index]
        else:
            result[row.status_id] = {"state": state, "quoted_status": shown.get(quoted_id or "")}  # type: ignore[index]
    return result


# The part of a status entity that is the same for every viewer (its text, media, mentions, tags, card,
# place), rendered once and kept with what it was made from: the status's columns but its counters, its
# author's username and whether an admin marked the author's media sensitive, and the page's fresh reads of
# its media, mentions, tags, card, place and poll options. Each request checks those against what it has just
# read, so nothing needs invalidating. Counters, the author (node/api/entities/accounts.py keeps its own),
# emoji, poll, quote, application and the viewer's flags are set on each request's copy; who may see the
# status at all is decided before this, and filters after.
STATUSES_KEPT = 4096
_COUNTERS = ("replies_count", "reblogs_count", "favourites_count")


@dataclass
class _Shared:
    entity: dict[str, Any]
    shortcodes: list[str]  # the custom emoji its text, warning and poll options use, first use first
    option_shortcodes: list[str]


def _shared(node: Node, status: Status, username: str, sensitized: bool, media: Sequence[MediaAttachment],
            mentions: Sequence[tuple[int, str, str, str | None]], tags: Sequence[str], options: Sequence[str],
            card: PreviewCard | None, place: Place | None) -> _Shared:
    entity = {
        "id": str(status.id),
        "created_at": iso(status.created_at),
        "in_reply_to_id": str(status.in_reply_to_id) if status.in_reply_to_id else None,
        "in_reply_to_account_id": str(status.in_reply_to_account_id) if status.in_reply_to_account_id else None,
        "sensitive": status.sensitive or (sensitized and bool(media)),
        "spoiler_text": status.spoiler_text,
        "visibility": status.visibility,
        "language": status.language,
        "uri": status.uri or node.urls.status_uri(username, status.id),
        "url": status.url or node.urls.status_page(username, status.id),
        "replies_count": 0,  # this and the other Nones below: set on each copy
        "reblogs_count": 0,
        "favourites_count": 0,
        "edited_at": iso(status.edited_at),
        "content": status.content,
        "filtered": None,
        "reblog": None,
        "application": None,
        "account": None,
        "media_attachments": [media_entity(node, m) for m in media],
        "mentions": [{"id": str(account_id), "username": name, "url": url or node.urls.profile(name),
                      "acct": f"{name}@{domain}" if domain else name} for account_id, name, domain, url in mentions],
        "tags": [{"name": name, "url": node.urls.tag(name)} for name in tags],
        "emojis": None,
        "quote": None,
        "quote_approval": None,
        "card": card_entity(node, card) if card is not None else None,
        "poll": None,
        "place": place_entity(place) if place is not None else None,  # extension
    }
    if status.reblog_of_id is not None:  # a reblog shows its original's emoji, not its own
        return _Shared(entity, [], [])
    return _Shared(entity, emoji_service.shortcodes_in(status.spoiler_text, status.content, *options),
                   emoji_service.shortcodes_in(*options))


def _shared_parts(node: Node, statuses: Sequence[Status], accounts: dict[int, Account], parts: _Parts
                  ) -> dict[int, _Shared]:
    kept = renderings(node, "status", STATUSES_KEPT)
    found = {}
    for status in statuses:
        author = accounts.get(status.account_id)
        if author is None:
            continue
        media = parts.media.get(status.id, ())
        mentions = parts.mentions.get(status.id, ())
        tags = parts.tags.get(status.id, ())
        poll = parts.polls.get(status.id)
        options = poll.options if poll is not None else ()
        card, place = parts.cards.get(status.id), parts.places.get(status.id)
        inputs = (db.column_values(status, _COUNTERS), author.username, author.sensitized_at is not None,
                  [db.column_values(m) for m in media], list(mentions), list(tags), list(options),
                  db.column_values(card) if card is not None else None,
                  db.column_values(place) if place is not None else None)
        shared = kept.get(status.id, inputs)
        if shared is None:
            shared = _shared(node, status, author.username, author.sensitized_at is not None, media, mentions, tags,
                             options, card, place)
            kept.put(status.id, inputs, shared)
        found[status.id] = shared
    return found


async def status_entities(node: Node, statuses: Sequence[Status], viewer: Account | None, *,
                          source: bool = False, fresh: bool = False,
                          shallow_quotes: bool = False) -> list[dict[str, Any]]:
    """Mastodon's Status for each status, in order; `source` adds `text` (delete and redraft); `fresh`
    says the statuses were just made, so nobody has favourited, reblogged or bookmarked them yet."""
    if not statuses:
        return []
    await attach_originals(statuses)
    everything = {s.id: s for s in statuses}
    for status in statuses:
        if status.reblog_of_id is not None and "_reblog_of" in status.__dict__:
            everything.setdefault(status.reblog_of_id, status.reblog_of)  # type: ignore[arg-type]
    ids = list(everything)
    accounts = {s.account_id: s.__dict__["_account"] for s in everything.values() if "_account" in s.__dict__}
    if wanted := {s.account_id for s in everything.values()} - set(accounts):
        accounts.update({a.id: a for a in await Account.filter(id__in=wanted)})
    # a suspended author's statuses are not shown anywhere (nor reblogs of them)
    accounts = {i: a for i, a in accounts.items() if a.suspended_at is None}
    statuses = [s for s in statuses if s.account_id in accounts and (
        s.reblog_of_id is None or getattr(everything.get(s.reblog_of_id), "account_id", None) in accounts)]
    parts = await _parts(ids, viewer.id if viewer is not None else None, flags=not fresh)
    shared = _shared_parts(node, list(everything.values()), accounts, parts)
    emojis, poll_emojis = await _emojis(node, {
        status_id: (accounts[everything[status_id].account_id].domain, made.shortcodes, made.option_shortcodes)
        for status_id, made in shared.items() if made.shortcodes})
    quoting = await _quotes(node, parts.quotes, viewer, shallow_quotes)
    polls = {status_id: poll_entity(poll, viewer, everything[status_id].account_id, parts.votes.get(poll.id, ()),
                                    poll_emojis.get(status_id, ()))
             for status_id, poll in parts.polls.items()}
    favourited, reblogged, bookmarked, pinned = parts.favourited, parts.reblogged, parts.bookmarked, parts.pinned
    app_ids = {s.application_id for s in everything.values() if s.application_id is not None}
    apps = {}
    if app_ids and viewer is not None:
        apps = {a["id"]: a for a in await OAuthApp.filter(id__in=app_ids).values("id", "name", "website")}
    rendered_accounts: dict[int, dict[str, Any]] = {}

    def account_of(account_id: int) -> dict[str, Any]:
        if account_id not in rendered_accounts:
            rendered_accounts[account_id] = account_entity(node, accounts[account_id])
        return rendered_accounts[account_id]

    def render(status: Status) -> dict[str, Any]:
        """A copy of the shared part with what changes by itself or differs per viewer set on it."""
        original = everything.get(status.reblog_of_id) if status.reblog_of_id is not None else None
        app = apps.get(status.application_id) if viewer is not None and viewer.id == status.account_id else None
        entity = dict(shared[status.id].entity)
        entity["replies_count"] = status.replies_count
        entity["reblogs_count"] = status.reblogs_count
        entity["favourites_count"] = status.favourites_count
        entity["filtered"] = []
        entity["reblog"] = render(original) if original is not None else None
        entity["application"] = {"name": app["name"], "website": app["website"]} if app else None
        entity["account"] = account_of(status.account_id)
        entity["emojis"] = emojis.get(status.id, [])
        entity["quote"] = quoting.get(status.id)
        entity["quote_approval"] = quote_approval(status, viewer)
        entity["poll"] = polls.get(status.id)
        if viewer is not None:
            entity["favourited"] = status.id in favourited
            entity["reblogged"] = status.id in reblogged
            entity["muted"] = False
            entity["bookmarked"] = status.id in bookmarked
            entity["pinned"] = status.id in pinned
        if source:
            entity["text"] = status.text
        return entity

    return [render(s) for s in statuses]


async def status_entity(node: Node, status: Status, viewer: Account | None, *, source: bool = False,
                        fresh: bool = False) -> dict[str, Any]:
    rendered = await status_entities(node, [status], viewer, source=source, fresh=fresh)
    if not rendered:
        raise NotFound()  # its author is suspended
    return rendered[0]


async def status_edit_entities(node: Node, status: Status, edits: Sequence[StatusEdit]) -> list[dict[str, Any]]:
    """Mastodon's StatusEdit for each revision, oldest first."""
    author = account_entity(node, await Account.get(id=status.account_id))
    wanted = {i for e in edits for i in e.media_ids or []}
    media = {m.id: m for m in await MediaAttachment.filter(id__in=wanted)} if wanted else {}
    return [{
        "content": edit.content,
        "spoiler_text": edit.spoiler_text,
        "sensitive": edit.sensitive,
        "created_at": iso(edit.created_at),
        "account": author,
        "poll": {"options": [{"title": t} for t in edit.poll_options]} if edit.poll_options else None,
        "media_attachments": [media_entity(node, media[i]) for i in edit.media_ids or [] if i in media],
        "emojis": [],
    } for edit in edits]
