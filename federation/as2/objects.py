"""Parsing the content objects peers send (Note, Article, Page, Question, Video, Image, Tombstone...):
text and language, content warning, tags (Mention, Hashtag, Emoji), media attachments and polls."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .audience import Audience, audience_of
from .fields import (
    as_list,
    bool_of,
    id_of,
    ids_of,
    language_value,
    text_of,
    type_of,
    types_of,
    web_url,
    web_url_of,
)

ACTOR_TYPES = frozenset({"Person", "Service", "Group", "Application", "Organization"})


@dataclass(frozen=True)
class Mention:
    href: str
    name: str | None = None  # "@user@host" as the author wrote it


@dataclass(frozen=True)
class Hashtag:
    name: str  # without the leading "#"
    href: str | None = None


@dataclass(frozen=True)
class CustomEmoji:
    shortcode: str  # without the surrounding colons
    icon_url: str | None
    id: str | None = None
    media_type: str | None = None
    updated: str | None = None  # when the server last changed the picture (Mastodon, GoToSocial, Misskey)


@dataclass(frozen=True)
class Tags:
    mentions: tuple[Mention, ...] = ()
    hashtags: tuple[Hashtag, ...] = ()
    emojis: tuple[CustomEmoji, ...] = ()
    other: tuple[Mapping[str, Any], ...] = ()  # types we do not interpret (kept for the node to store)


@dataclass(frozen=True)
class Attachment:
    type: str
    url: str | None
    media_type: str | None = None
    description: str | None = None  # alt text ("name")
    blurhash: str | None = None
    width: int | None = None
    height: int | None = None
    focal_point: tuple[float, float] | None = None


@dataclass(frozen=True)
class PollOption:
    name: str
    votes: int | None = None


@dataclass(frozen=True)
class Poll:
    multiple: bool
    options: tuple[PollOption, ...]
    end_time: str | None = None
    closed: str | None = None
    voters_count: int | None = None


@dataclass(frozen=True)
class ParsedObject:
    """A content object, reduced to the fields the node stores; `raw` keeps the original."""

    id: str | None
    type: str | None
    attributed_to: str | None
    content: str | None = None
    language: str | None = None
    summary: str | None = None
    name: str | None = None
    sensitive: bool = False
    in_reply_to: str | None = None
    published: str | None = None
    updated: str | None = None
    url: str | None = None
    audience: Audience = field(default_factory=Audience)
    tags: Tags = field(default_factory=Tags)
    attachments: tuple[Attachment, ...] = ()
    poll: Poll | None = None
    media_type: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_tags(obj: Mapping[str, Any]) -> Tags:
    """Mentions, hashtags and custom emoji from `tag`; anything else lands in `other`."""
    mentions, hashtags, emojis, other = [], [], [], []
    for tag in as_list(obj.get("tag")):
        if not isinstance(tag, Mapping):
            continue
        kind = type_of(tag)
        name = text_of(tag.get("name"))
        if kind == "Mention":
            href = id_of(tag.get("href")) or id_of(tag)
            if href:
                mentions.append(Mention(href, name))
        elif kind == "Hashtag" and name:
            hashtags.append(Hashtag(name.lstrip("#"), web_url(text_of(tag.get("href")))))
        elif kind == "Emoji" and name:
            icon = tag.get("icon")
            icon_url = web_url_of(icon.get("url")) if isinstance(icon, Mapping) else web_url_of(icon)
            media = text_of(icon.get("mediaType")) if isinstance(icon, Mapping) else None
            emojis.append(CustomEmoji(name.strip(":"), icon_url, text_of(tag.get("id")), media,
                                      text_of(tag.get("updated"))))
        else:
            other.append(tag)
    return Tags(tuple(mentions), tuple(hashtags), tuple(emojis), tuple(other))


def link_of(value: Any, prefer_media: str | None = None) -> tuple[str | None, str | None]:
    """(href, mediaType) of a url property: a string, a Link, or a list of Links (PeerTube). Only http(s)
    hrefs count (web_url): any other scheme is as if the link were absent."""
    candidates = []
    for item in as_list(value):
        if isinstance(item, str):
            if web_url(item):
                candidates.append((item, None))
        elif isinstance(item, Mapping):
            href = web_url(id_of(item.get("href")) or id_of(item.get("url")) or id_of(item))
            media = text_of(item.get("mediaType")) or text_of(item.get("mimeType"))
            if href:
                candidates.append((href, media))
    if prefer_media:
        for href, media in candidates:
            if media and media.startswith(prefer_media):
                return href, media
    return candidates[0] if candidates else (None, None)


def parse_attachments(obj: Mapping[str, Any]) -> tuple[Attachment, ...]:
    """Media attachments (Document, Image, Video, Audio); PropertyValue profile fields are skipped."""
    found = []
    for item in as_list(obj.get("attachment")):
        if isinstance(item, str):
            if web_url(item):
                found.append(Attachment("Document", item))
            continue
        if not isinstance(item, Mapping) or type_of(item) == "PropertyValue":
            continue
        url, link_media = link_of(item.get("url"))
        focal = item.get("focalPoint")
        focal_point = None
        if isinstance(focal, list) and len(focal) == 2 and all(isinstance(v, int | float) for v in focal):
            focal_point = (float(focal[0]), float(focal[1]))
        found.append(
            Attachment(
                type=type_of(item) or "Document",
                url=url or web_url_of(item),
                media_type=text_of(item.get("mediaType")) or link_media,
                description=text_of(item.get("name")) or text_of(item.get("summary")),
                blurhash=text_of(item.get("blurhash")),
                width=_int(item.get("width")),
                height=_int(item.get("height")),
                focal_point=focal_point,
            )
        )
    return tuple(found)


def parse_poll(obj: Mapping[str, Any]) -> Poll | None:
    """The poll of a Question (oneOf = single choice, anyOf = multiple), or None."""
    if "Question" not in types_of(obj):
        return None
    multiple = "anyOf" in obj and "oneOf" not in obj
    options = []
    for opt in as_list(obj.get("anyOf" if multiple else "oneOf")):
        if not isinstance(opt, Mapping) or not isinstance(opt.get("name"), str):
            continue
        replies = opt.get("replies")
        votes = _int(replies.get("totalItems")) if isinstance(replies, Mapping) else None
        options.append(PollOption(opt["name"], votes))
    closed = obj.get("closed")
    return Poll(
        multiple=multiple,
        options=tuple(options),
        end_time=text_of(obj.get("endTime")),
        closed=closed if isinstance(closed, str) else None,
        voters_count=_int(obj.get("votersCount")),
    )


def author_of(obj: Mapping[str, Any]) -> str | None:
    """The author's IRI: `attributedTo`, preferring an actor of type Person when several are listed
    (PeerTube attributes videos to a channel Group and the account Person)."""
    candidates = as_list(obj.get("attributedTo")) or as_list(obj.get("actor"))
    for item in candidates:
        if isinstance(item, Mapping) and type_of(item) == "Person" and id_of(item):
            return id_of(item)
    ids = ids_of(candidates)
    return ids[0] if ids else None


def parse_object(obj: Mapping[str, Any], *, prefer_language: str | None = None) -> ParsedObject:
    """Reduce a content object to a ParsedObject; never raises on odd-but-valid shapes."""
    content, language = language_value(obj, "content", prefer_language)
    summary, _ = language_value(obj, "summary", prefer_language)
    name, _ = language_value(obj, "name", prefer_language)
    url, _ = link_of(obj.get("url"), prefer_media="text/html")
    tags = parse_tags(obj)
    # Pleroma and older peers mark sensitive media with a #nsfw hashtag instead of the flag.
    sensitive = bool(bool_of(obj.get("sensitive"), False)) or any(h.name.lower() == "nsfw" for h in tags.hashtags)
    return ParsedObject(
        id=id_of(obj),
        type=type_of(obj),
        attributed_to=author_of(obj),
        content=content,
        language=language,
        summary=summary or None,
        name=name,
        sensitive=sensitive,
        in_reply_to=id_of(obj.get("inReplyTo")),
        published=text_of(obj.get("published")),
        updated=text_of(obj.get("updated")),
        url=url,
        audience=audience_of(obj),
        tags=tags,
        attachments=parse_attachments(obj),
        poll=parse_poll(obj),
        media_type=text_of(obj.get("mediaType")),
        raw=obj,
    )


@dataclass(frozen=True)
class QuoteRef:
    """What a post quotes: the quoted object's id, the QuoteAuthorization that approves it (FEP-044f), and
    whether the shape is one with no approval at all (quoteUri, _misskey_quote, an FEP-e232 link)."""

    uri: str
    approval: str | None = None
    legacy: bool = False


_AS2_LINK_TYPES = ("application/activity+json", 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"')


def _is_as2_media(value: str | None) -> bool:
    media = (value or "").replace(" ", "").lower()
    return media in {t.replace(" ", "") for t in _AS2_LINK_TYPES}


def quote_of(obj: Mapping[str, Any]) -> QuoteRef | None:
    """The quote of a post, read as Mastodon 4.5 reads it: `quote` (FEP-044f, with `quoteAuthorization`)
    first, then the older `quoteUrl`/`quoteURL` (Pleroma, Akkoma), `_misskey_quote` (Misskey), `quoteUri`
    (Fedibird), then an FEP-e232 object link (a `Link` tag whose mediaType is ActivityStreams)."""
    quote = web_url(id_of(obj.get("quote")))
    if quote:
        return QuoteRef(quote, web_url(id_of(obj.get("quoteAuthorization"))), legacy=False)
    for key in ("quoteUrl", "quoteURL", "_misskey_quote", "quoteUri"):
        legacy = web_url(id_of(obj.get(key)))
        if legacy:
            return QuoteRef(legacy, legacy=True)
    for tag in as_list(obj.get("tag")):
        if isinstance(tag, Mapping) and type_of(tag) == "Link" and _is_as2_media(text_of(tag.get("mediaType"))):
            href = web_url(id_of(tag.get("href")))
            if href:
                return QuoteRef(href, legacy=True)
    return None
