"""Our statuses, polls and interactions as ActivityStreams: Mastodon-compatible Note/Question objects and
the activities that carry them, addressed (to/cc) per visibility the way Mastodon addresses them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from federation.as2 import PUBLIC, build_activity, default_context

from ..models import Account, MediaAttachment, Mention, Poll, Status, StatusQuote, StatusTag
from ..services import emoji

if TYPE_CHECKING:
    from ..runtime import Node


def iso(value: datetime | None) -> str | None:
    return value.replace(microsecond=0).isoformat().replace("+00:00", "Z") if value is not None else None


def followers_of(account: Account) -> str:
    return account.followers_url or f"{account.uri}/followers"


def addressing(author: Account, visibility: str, mentioned: list[str]) -> tuple[list[str], list[str]]:
    """(to, cc) as Mastodon addresses each visibility."""
    followers = followers_of(author)
    if visibility == "public":
        return [PUBLIC], [followers, *mentioned]
    if visibility == "unlisted":
        return [followers], [PUBLIC, *mentioned]
    if visibility == "private":
        return [followers], list(mentioned)
    return list(mentioned), []


# Features that add their own terms to a status's object (Takes): called with (node, status, doc); one may
# set doc["@context"], which then becomes the context of the activity carrying the object.
OBJECT_EXTENSIONS: list[Callable[[Node, Status, dict[str, Any]], Awaitable[None]]] = []

_MEDIA_TYPES = {"image": "Image", "gifv": "Video", "video": "Video", "audio": "Audio"}


def _attachment(node: Node, media: MediaAttachment) -> dict[str, Any]:
    url = media.remote_url or node.urls.media(media.file_path)  # another server's file is named by its own URL
    doc: dict[str, Any] = {"type": "Document", "mediaType": media.mime_type or None, "url": url,
                           "name": media.description or None, "blurhash": media.blurhash,
                           "focalPoint": [media.focus_x, media.focus_y]}
    if media.width and media.height:
        doc["width"], doc["height"] = media.width, media.height
    return doc


async def status_object(node: Node, status: Status, author: Account | None = None) -> dict[str, Any]:
    """The Note (or Question, with a poll) for a local status, without @context."""
    author = author or await Account.get(id=status.account_id)
    mentioned_ids = await Mention.filter(status_id=status.id).values_list("account_id", flat=True)
    mentioned = await Account.filter(id__in=list(mentioned_ids)) if mentioned_ids else []
    mention_uris = [a.uri for a in mentioned if a.uri]
    to, cc = addressing(author, status.visibility, mention_uris)
    local_domain = node.config.node.domain
    tags: list[dict[str, Any]] = [{"type": "Mention", "href": a.uri, "name": f"@{a.username}@{a.domain or local_domain}"}
                                  for a in mentioned if a.uri]
    for row in await StatusTag.filter(status_id=status.id).select_related("tag"):
        tags.append({"type": "Hashtag", "href": node.urls.tag(row.tag.name), "name": f"#{row.tag.display_name}"})
    parent_uri = None
    if status.in_reply_to_id is not None:
        parent = await Status.filter(id=status.in_reply_to_id).only("id", "uri").first()
        parent_uri = parent.uri if parent else None
    media = await MediaAttachment.filter(status_id=status.id).order_by("position", "id")
    doc: dict[str, Any] = {
        "id": status.uri, "type": "Note", "summary": status.spoiler_text or None, "inReplyTo": parent_uri,
        "published": iso(status.created_at), "url": status.url, "attributedTo": author.uri, "to": to, "cc": cc,
        "sensitive": status.sensitive, "content": status.content,
        "attachment": [_attachment(node, m) for m in media], "tag": tags,
    }
    quote = await StatusQuote.filter(status_id=status.id).first()
    if quote is not None:  # FEP-044f, and the older names other servers read (Misskey, Fedibird, Akkoma)
        doc.update(quote=quote.quoted_uri, _misskey_quote=quote.quoted_uri, quoteUri=quote.quoted_uri)
        if quote.approval_uri and quote.state == "accepted":
            doc["quoteAuthorization"] = quote.approval_uri
    # who may quote it, as Mastodon 4.5 reads it (GoToSocial's interactionPolicy): anyone for a public or
    # unlisted post (we approve their QuoteRequests at once), its author only otherwise
    quoters = [PUBLIC] if status.visibility in ("public", "unlisted") else [author.uri]
    doc["interactionPolicy"] = {"canQuote": {"automaticApproval": quoters}}
    if status.language:
        doc["contentMap"] = {status.language: status.content}
    if status.edited_at is not None:
        doc["updated"] = iso(status.edited_at)
    poll = await Poll.filter(status_id=status.id).first()
    if poll is not None:
        doc.update(question_fields(poll))
    tags.extend(await emoji.tags_for(node, status.spoiler_text, status.content, *(poll.options if poll else ())))
    for extend in OBJECT_EXTENSIONS:
        await extend(node, status, doc)
    return doc


def question_fields(poll: Poll) -> dict[str, Any]:
    options = [{"type": "Note", "name": name, "replies": {"type": "Collection", "totalItems": count}}
               for name, count in zip(poll.options, poll.cached_tallies, strict=False)]
    fields: dict[str, Any] = {"type": "Question", "anyOf" if poll.multiple else "oneOf": options,
                              "votersCount": poll.voters_count, "endTime": iso(poll.expires_at)}
    if poll.ended_notified and poll.expires_at is not None:
        fields["closed"] = iso(poll.expires_at)
    return fields


def activity(kind: str, activity_id: str, actor: str, obj: Any, *, to: list[str] | None = None,
             cc: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    doc = build_activity(kind, activity_id, actor, obj, to=to or [], cc=cc or [], **extra)
    if isinstance(obj, dict) and "@context" in obj and "@context" in doc:
        doc["@context"] = obj["@context"]  # the object's terms (entativa:) are declared on the envelope
    return doc


async def create_activity(node: Node, status: Status) -> dict[str, Any]:
    obj = await status_object(node, status)
    return activity("Create", f"{status.uri}/activity", obj["attributedTo"], obj, to=obj["to"], cc=obj["cc"],
                    published=obj["published"])


async def update_activity(node: Node, status: Status) -> dict[str, Any]:
    obj = await status_object(node, status)
    stamp = int((status.edited_at or status.created_at).timestamp())
    return activity("Update", f"{status.uri}#updates/{stamp}", obj["attributedTo"], obj, to=obj["to"], cc=obj["cc"])


def delete_activity(status: Status, author: Account, to: list[str], cc: list[str]) -> dict[str, Any]:
    tombstone = {"id": status.uri, "type": "Tombstone", "atomUri": status.uri}
    return activity("Delete", f"{status.uri}#delete", author.uri or "", tombstone, to=to, cc=cc)


def announce_activity(reblog: Status, author: Account, original: Status, original_author: Account) -> dict[str, Any]:
    to, cc = addressing(author, reblog.visibility, [original_author.uri] if original_author.uri else [])
    return activity("Announce", reblog.uri or "", author.uri or "", original.uri or "", to=to, cc=cc,
                    published=iso(reblog.created_at))


def context() -> list[Any]:
    return default_context()
