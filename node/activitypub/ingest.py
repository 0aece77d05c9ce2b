"""Remote content into our models: a Note/Question/Article/Page/Video/Image becomes a Status (local=False)
with its hashtags, mentions, media (as remote_url attachments) and poll; edits keep a history. Remote
statuses then travel the same events, feeds and notifications as local ones."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from tortoise.transactions import in_transaction

from federation.as2 import ParsedObject, link_of, parse_object, visibility_of
from federation.as2.fields import web_url
from federation.client import FetchError

from ..errors import BadRequest, DomainError, Forbidden, NotFound
from ..models import (
    Account,
    MediaAttachment,
    Mention,
    Peer,
    Poll,
    Status,
    StatusEdit,
    StatusTag,
    Tombstone,
)
from ..services import content, hashtags, status_rows
from ..services import media as media_service
from . import emoji, moderation, quotes, remote_media, state
from .actors import fetch_actor, host_of

if TYPE_CHECKING:
    from ..runtime import Node

# Features that read their own terms off a stored remote object (Takes): called with (node, status, raw)
# after the status is written and before it is announced; they must not raise for a malformed term.
OBJECT_EXTENSIONS: list[Callable[[Node, Status, dict], Awaitable[None]]] = []

CONTENT_TYPES = frozenset({"Note", "Question", "Article", "Page", "Video", "Image", "Audio", "Event"})
MAX_ATTACHMENTS = 8
MAX_TAGS = 32


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _media_kind(kind: str, media_type: str | None) -> str:
    media_type = (media_type or "").lower()
    if kind == "Image" or media_type.startswith("image/"):
        return "gifv" if media_type == "image/gif" else "image"
    if kind == "Video" or media_type.startswith("video/"):
        return "video"
    if kind == "Audio" or media_type.startswith("audio/"):
        return "audio"
    return "unknown"


def _html(obj: ParsedObject) -> str:
    text = obj.content or ""
    if obj.type in ("Article", "Page", "Video", "Event") and obj.name:
        # Mastodon shows a titled object as its title and a link; keep the body when it has one.
        title = f"<p><strong>{html.escape(obj.name)}</strong></p>"
        target = html.escape(obj.url or web_url(obj.id) or "")
        link = f'<p><a href="{target}">{target}</a></p>'
        text = title + (text or "") + link
    return content.sanitise(text)


def _tag_names(obj: ParsedObject) -> dict[str, str]:
    """The object's valid hashtags: folded key -> as written (Mastodon skips names it cannot hold)."""
    return hashtags.names((tag.name for tag in obj.tags.hashtags), limit=MAX_TAGS)


# A thread arrives complete: a reply's missing parents are fetched (at most MAX_ANCESTORS up the chain) and
# mentioned accounts we do not know are looked up (at most MAX_NEW_MENTIONS per object), all through the
# guarded client; one inbound object may cause at most MAX_FETCHES such fetches in all.
MAX_ANCESTORS = 8
MAX_NEW_MENTIONS = 5
MAX_FETCHES = 16
_BUDGET: ContextVar[list[int] | None] = ContextVar("entativa_fetch_budget", default=None)
_DEPTH: ContextVar[int] = ContextVar("entativa_parent_depth", default=0)


@contextmanager
def _fetch_budget() -> Iterator[None]:
    """The budget of the outermost object being stored; nested ones (its parents) share it."""
    if _BUDGET.get() is not None:
        yield
        return
    token = _BUDGET.set([MAX_FETCHES])
    try:
        yield
    finally:
        _BUDGET.reset(token)


async def _spend(uri: str) -> bool:
    """Whether one more fetch for the object being stored may go to `uri` (never to a server our delivery
    queue found down: a thread is not worth a lane stuck on timeouts)."""
    budget = _BUDGET.get()
    if budget is None or budget[0] <= 0 or not uri.startswith(("http://", "https://")):
        return False
    if await Peer.filter(host=host_of(uri), available=False).exists():
        return False
    budget[0] -= 1
    return True


async def _mentioned(node: Node, obj: ParsedObject) -> list[int]:
    hrefs = list(dict.fromkeys(m.href for m in obj.tags.mentions[:MAX_TAGS] if m.href))
    if not hrefs:
        return []
    known = dict(await Account.filter(uri__in=hrefs).values_list("uri", "id"))
    for href in [h for h in hrefs if h not in known][:MAX_NEW_MENTIONS]:
        if not await _spend(href):
            continue
        try:
            known[href] = (await fetch_actor(node, href)).id
        except DomainError:
            continue  # an unreachable or odd account stays a plain link
    return list(set(known.values()))


def _media(node: Node, status: Status, author: Account, obj: ParsedObject, reject_media: bool
           ) -> list[MediaAttachment]:
    """The attachments to store, each pending a copy (remote_media.py); none from a server whose media we
    reject. A Link is no attachment (Mastodon reads only an attachment's `url`, which a Link has not)."""
    if reject_media:
        return []
    items = []
    for position, item in enumerate(obj.attachments[:MAX_ATTACHMENTS]):
        if item.type == "Link" or not item.url or not item.url.startswith(("http://", "https://")):
            continue
        focus = item.focal_point or (0.0, 0.0)
        items.append(MediaAttachment(account_id=author.id, status_id=status.id,
                                     type=_media_kind(item.type, item.media_type),
                                     mime_type=(item.media_type or "")[:64], remote_url=item.url[:1024],
                                     width=item.width, height=item.height,
                                     blurhash=(item.blurhash or None) and item.blurhash[:64],
                                     description=(item.description or "")[:1500], focus_x=focus[0], focus_y=focus[1],
                                     position=position))
    if not items and obj.type in ("Video", "Audio", "Image"):
        # PeerTube and friends put the media in `url`, not in attachments.
        prefer = {"Video": "video/", "Audio": "audio/", "Image": "image/"}[obj.type]
        url, media_type = link_of(obj.raw.get("url"), prefer_media=prefer)
        if url and media_type and media_type.startswith(prefer):
            items.append(MediaAttachment(account_id=author.id, status_id=status.id,
                                         type=_media_kind(obj.type, media_type), mime_type=media_type[:64],
                                         remote_url=url[:1024], position=0))
    return [remote_media.pending(node, item) for item in items]


def _poll(status: Status, obj: ParsedObject) -> Poll | None:
    if obj.poll is None or len(obj.poll.options) < 1:
        return None
    options = [o.name[:200] for o in obj.poll.options][:20]
    tallies = [o.votes or 0 for o in obj.poll.options][:20]
    ends = _parse_time(obj.poll.end_time) or _parse_time(obj.poll.closed)
    return Poll(status_id=status.id, options=options, cached_tallies=tallies, multiple=obj.poll.multiple,
                expires_at=ends, votes_count=sum(tallies), voters_count=obj.poll.voters_count or sum(tallies),
                ended_notified=bool(obj.poll.closed))


async def _parent(node: Node, uri: str | None) -> Status | None:
    """The status replied to: known, or fetched from its server within the depth and fetch budget."""
    if not uri:
        return None
    known = await Status.filter(uri=uri).first()
    if known is not None or _DEPTH.get() >= MAX_ANCESTORS or not await _spend(uri):
        return known
    token = _DEPTH.set(_DEPTH.get() + 1)
    try:
        return await fetch_status(node, uri)
    except DomainError:
        return None  # a parent we cannot read leaves the reply unthreaded, as before
    finally:
        _DEPTH.reset(token)


async def create_status(node: Node, author: Account, raw: dict) -> Status:
    """Store a remote content object by `author` (already authenticated as its attributedTo)."""
    with _fetch_budget():
        return await _create_status(node, author, raw)


async def _create_status(node: Node, author: Account, raw: dict) -> Status:
    obj = parse_object(raw)
    if not obj.id or obj.type not in CONTENT_TYPES:
        raise BadRequest(f"cannot store a {obj.type} object")
    if host_of(obj.id) != host_of(author.uri or ""):
        raise Forbidden("an object must be on its author's server")
    existing = await Status.filter(uri=obj.id).first()
    if existing is not None:
        return existing
    reject_media = await moderation.rejects_media(author.domain)
    await emoji.ingest(node, author.domain, obj.tags.emojis)
    parent = await _parent(node, obj.in_reply_to)
    if (existing := await Status.filter(uri=obj.id).first()) is not None:
        return existing  # stored meanwhile (a parent fetch came back to it)
    visibility = visibility_of(obj.audience, followers=author.followers_url or None, actor=author.uri)
    created = _parse_time(obj.published) or datetime.now(UTC)
    created = min(created, datetime.now(UTC) + timedelta(minutes=5))
    status = Status(account=author, local=False, uri=obj.id[:1024], url=(obj.url or web_url(obj.id) or "")[:1024],
                    content=_html(obj), spoiler_text=(obj.summary or "")[:5000] if obj.type in ("Note", "Question") else "",
                    sensitive=obj.sensitive or bool(obj.summary and obj.type in ("Note", "Question")),
                    visibility=visibility, language=(obj.language or None) and obj.language[:16],
                    in_reply_to_id=parent.id if parent else None,
                    in_reply_to_account_id=parent.account_id if parent else None, created_at=created,
                    edited_at=_parse_time(obj.updated))
    tags, mentioned = _tag_names(obj), await _mentioned(node, obj)
    media, poll = _media(node, status, author, obj, reject_media), _poll(status, obj)
    if media or poll is not None:
        async with in_transaction():
            caused = await status_rows.store(node, status, tags, mentioned, counts=visibility != "direct")
            if media:
                await MediaAttachment.bulk_create(media)
            if poll is not None:
                await poll.save()
    else:  # a plain note: one write shared with the other activities being applied
        caused = await status_rows.store(node, status, tags, mentioned, counts=visibility != "direct")
    for extend in OBJECT_EXTENSIONS:
        await extend(node, status, raw)
    await quotes.record(node, status, raw, _parent)
    await status_rows.announce(node, status, caused)
    return status


_COPY_FIELDS = ("type", "mime_type", "file_path", "preview_path", "file_size", "width", "height", "duration",
                "blurhash", "remote_state", "cached_at", "fetch_after", "fetch_attempts", "fetch_error")


def _keep_copies(old: list[MediaAttachment], new: list[MediaAttachment]) -> set[str]:
    """An edit that keeps a file keeps our copy of it (Mastodon keeps attachments by their URL): the new row
    takes the old one's copy and state. Returns the paths still in use."""
    by_url = {m.remote_url: m for m in old if m.remote_url and m.remote_state in ("cached", "pruned", "failed")}
    kept: set[str] = set()
    for item in new:
        before = by_url.pop(item.remote_url, None)
        if before is None:
            continue
        for name in _COPY_FIELDS:
            setattr(item, name, getattr(before, name))
        kept.update(p for p in (before.file_path, before.preview_path) if p)
    return kept


async def update_status(node: Node, author: Account, raw: dict) -> Status | None:
    """Apply an edit (Update{Note}) by its author; unknown statuses are stored as new."""
    obj = parse_object(raw)
    status = await Status.filter(uri=obj.id).first() if obj.id else None
    if status is None:
        return await create_status(node, author, raw)
    if status.account_id != author.id:
        raise Forbidden("only the author may edit a status")
    poll = await Poll.filter(status_id=status.id).first()
    if obj.poll is not None and poll is not None and [o.name for o in obj.poll.options] == poll.options:
        # Update{Question} with fresh tallies: counts only, not an edit.
        tallies = [o.votes or 0 for o in obj.poll.options]
        await Poll.filter(id=poll.id).update(cached_tallies=tallies, votes_count=sum(tallies),
                                             voters_count=obj.poll.voters_count or sum(tallies),
                                             ended_notified=poll.ended_notified or bool(obj.poll.closed))
        new_html = _html(obj)
        if new_html == status.content:
            return status
    now = datetime.now(UTC)
    old_media = await MediaAttachment.filter(status_id=status.id)
    media_ids = [m.id for m in old_media]
    media = _media(node, status, author, obj, await moderation.rejects_media(author.domain))
    kept = _keep_copies(old_media, media)
    with _fetch_budget():
        mentioned = await _mentioned(node, obj)  # looked up before the write: no network inside it
    await emoji.ingest(node, author.domain, obj.tags.emojis)
    async with in_transaction():
        if not await StatusEdit.filter(status_id=status.id).exists():
            await StatusEdit.create(status_id=status.id, content=status.content, spoiler_text=status.spoiler_text,
                                    sensitive=status.sensitive, media_ids=media_ids, created_at=status.created_at)
        status.content = _html(obj)
        status.spoiler_text = obj.summary or ""
        status.sensitive = obj.sensitive or bool(obj.summary)
        status.edited_at = _parse_time(obj.updated) or now
        await status.save(update_fields=["content", "spoiler_text", "sensitive", "edited_at"])
        await StatusTag.filter(status_id=status.id).delete()
        await Mention.filter(status_id=status.id).delete()
        await status_rows.link_tags(status, _tag_names(obj))
        if mentioned:
            await Mention.bulk_create([Mention(status_id=status.id, account_id=a) for a in mentioned],
                                      ignore_conflicts=True)
        await MediaAttachment.filter(status_id=status.id).delete()
        if media:
            await MediaAttachment.bulk_create(media)
        await StatusEdit.create(status_id=status.id, content=status.content, spoiler_text=status.spoiler_text,
                                sensitive=status.sensitive, media_ids=[], created_at=status.edited_at)
    await media_service.remove_files(node, [path for m in old_media for path in (m.file_path, m.preview_path)
                                            if path and path not in kept])
    for extend in OBJECT_EXTENSIONS:
        await extend(node, status, raw)
    with _fetch_budget():
        await quotes.record(node, status, raw, _parent)  # Mastodon 4.5 adds the approval by an Update
    await node.bus.publish("status.updated", status=status)
    return status


async def fetch_status(node: Node, uri: str) -> Status:
    """A status by its id: ours, one we stored, or fetched from its server (signed) and stored."""
    known = await Status.filter(uri=uri).first()
    if known is not None:
        return known
    if host_of(uri) == node.config.node.domain.lower():
        raise NotFound()
    if await Tombstone.filter(uri=uri).exists():
        raise NotFound(f"{uri} was deleted")
    await moderation.ensure_not_suspended(host_of(uri))
    fed = state.of(node)
    try:
        doc = await fed.client.get_activity(uri, sign_with=fed.instance_key)
    except FetchError as exc:
        raise NotFound(f"Could not fetch {uri}: {exc.reason}") from exc
    obj = parse_object(doc)
    if not obj.id or host_of(obj.id) != host_of(uri) or not obj.attributed_to:
        raise NotFound(f"{uri} is not a usable object")
    if host_of(obj.attributed_to) != host_of(obj.id):
        raise NotFound(f"{uri} names an author on another server")
    author = await fetch_actor(node, obj.attributed_to)
    return await create_status(node, author, doc)
