"""Remote content into our models: a Note/Question/Article/Page/Video/Image becomes a Status (local=False)
with its hashtags, mentions, media (as remote_url attachments) and poll; edits keep a history. Remote
statuses then travel the same events, feeds and notifications as local ones."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from tortoise.transactions import in_transaction

from federation.as2 import ParsedObject, link_of, parse_object, visibility_of
from federation.client import FetchError

from ..errors import BadRequest, Forbidden, NotFound
from ..models import (
    Account,
    DomainBlock,
    MediaAttachment,
    Mention,
    Poll,
    Status,
    StatusEdit,
    StatusTag,
    Tombstone,
)
from ..services import content, hashtags, status_rows
from . import moderation, state
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
        link = f'<p><a href="{html.escape(obj.url or obj.id or "")}">{html.escape(obj.url or obj.id or "")}</a></p>'
        text = title + (text or "") + link
    return content.sanitise(text)


def _tag_names(obj: ParsedObject) -> dict[str, str]:
    """The object's valid hashtags: folded key -> as written (Mastodon skips names it cannot hold)."""
    return hashtags.names((tag.name for tag in obj.tags.hashtags), limit=MAX_TAGS)


async def _mentioned(obj: ParsedObject) -> list[int]:
    hrefs = [m.href for m in obj.tags.mentions[:MAX_TAGS]]
    # Only accounts we already know: mentioning someone must not make us fetch arbitrary URLs.
    return list(set(await Account.filter(uri__in=hrefs).values_list("id", flat=True))) if hrefs else []


def _media(status: Status, author: Account, obj: ParsedObject, reject_media: bool) -> list[MediaAttachment]:
    if reject_media:
        return []
    items = []
    for position, item in enumerate(obj.attachments[:MAX_ATTACHMENTS]):
        if not item.url or not item.url.startswith(("http://", "https://")):
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
    return items


def _poll(status: Status, obj: ParsedObject) -> Poll | None:
    if obj.poll is None or len(obj.poll.options) < 1:
        return None
    options = [o.name[:200] for o in obj.poll.options][:20]
    tallies = [o.votes or 0 for o in obj.poll.options][:20]
    ends = _parse_time(obj.poll.end_time) or _parse_time(obj.poll.closed)
    return Poll(status_id=status.id, options=options, cached_tallies=tallies, multiple=obj.poll.multiple,
                expires_at=ends, votes_count=sum(tallies), voters_count=obj.poll.voters_count or sum(tallies),
                ended_notified=bool(obj.poll.closed))


async def _parent(uri: str | None) -> Status | None:
    return await Status.filter(uri=uri).first() if uri else None


async def create_status(node: Node, author: Account, raw: dict) -> Status:
    """Store a remote content object by `author` (already authenticated as its attributedTo)."""
    obj = parse_object(raw)
    if not obj.id or obj.type not in CONTENT_TYPES:
        raise BadRequest(f"cannot store a {obj.type} object")
    if host_of(obj.id) != host_of(author.uri or ""):
        raise Forbidden("an object must be on its author's server")
    existing = await Status.filter(uri=obj.id).first()
    if existing is not None:
        return existing
    reject_media = await _rejects_media(author.domain)
    parent = await _parent(obj.in_reply_to)
    visibility = visibility_of(obj.audience, followers=author.followers_url or None, actor=author.uri)
    created = _parse_time(obj.published) or datetime.now(UTC)
    created = min(created, datetime.now(UTC) + timedelta(minutes=5))
    status = Status(account=author, local=False, uri=obj.id[:1024], url=(obj.url or obj.id)[:1024],
                    content=_html(obj), spoiler_text=(obj.summary or "")[:5000] if obj.type in ("Note", "Question") else "",
                    sensitive=obj.sensitive or bool(obj.summary and obj.type in ("Note", "Question")),
                    visibility=visibility, language=(obj.language or None) and obj.language[:16],
                    in_reply_to_id=parent.id if parent else None,
                    in_reply_to_account_id=parent.account_id if parent else None, created_at=created,
                    edited_at=_parse_time(obj.updated))
    tags, mentioned = _tag_names(obj), await _mentioned(obj)
    media, poll = _media(status, author, obj, reject_media), _poll(status, obj)
    if media or poll is not None:
        async with in_transaction():
            caused = await status_rows.store(status, tags, mentioned, counts=visibility != "direct")
            if media:
                await MediaAttachment.bulk_create(media)
            if poll is not None:
                await poll.save()
    else:  # a plain note: one write shared with the other activities being applied
        caused = await status_rows.store(status, tags, mentioned, counts=visibility != "direct")
    for extend in OBJECT_EXTENSIONS:
        await extend(node, status, raw)
    await status_rows.announce(node, status, caused)
    return status


async def _rejects_media(domain: str) -> bool:
    if not await moderation.blocked_domains():
        return False
    return await DomainBlock.filter(domain=domain, reject_media=True).exists()


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
    media_ids = list(await MediaAttachment.filter(status_id=status.id).values_list("id", flat=True))
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
        if mentioned := await _mentioned(obj):
            await Mention.bulk_create([Mention(status_id=status.id, account_id=a) for a in mentioned],
                                      ignore_conflicts=True)
        await MediaAttachment.filter(status_id=status.id).delete()
        if media := _media(status, author, obj, False):
            await MediaAttachment.bulk_create(media)
        await StatusEdit.create(status_id=status.id, content=status.content, spoiler_text=status.spoiler_text,
                                sensitive=status.sensitive, media_ids=[], created_at=status.edited_at)
    for extend in OBJECT_EXTENSIONS:
        await extend(node, status, raw)
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
