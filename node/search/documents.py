"""Model -> document builders: what each kind of thing looks like to the search index.

A builder takes ids and returns the documents of those that should be searchable; an id it leaves out is
removed from the index (deleted, a reblog, a suspended account). Kinds without a model yet (Takes) are
registered at run time with `register_kind`, giving a builder and a renderer of API entities.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tortoise.functions import Count, Max

from ..models import Account, MediaAttachment, Mention, Place, Status, StatusPlace, StatusTag, Tag
from .backend import Document, domain_suffixes

if TYPE_CHECKING:
    from ..runtime import Node

Builder = Callable[[list[int]], Awaitable[list[Document]]]
Renderer = Callable[["Node", list[int], Account | None], Awaitable[list[dict[str, Any]]]]

_BREAKS = re.compile(r"<br\s*/?>|</p>|</li>|</h\d>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")


@dataclass
class ExtraKind:
    """A kind of searchable thing owned by another feature (Takes): how to index it and how to show it.
    `render` returns the entities the viewer may see, in the order of the ids given. `source` names the
    model and the column holding each row's search id (a snowflake, so it orders by creation): with it,
    rebuilds and the start-up sweep cover this kind too."""

    build: Builder
    render: Renderer
    source: tuple[Any, str] | None = None


def plain_text(markup: str) -> str:
    """Sanitised status HTML as words: tags dropped, entities decoded, paragraphs kept apart."""
    return html.unescape(_TAGS.sub("", _BREAKS.sub(" ", markup or ""))).strip()


def _seconds(moment: Any) -> int:
    return int(moment.timestamp()) if moment is not None else 0


async def build_statuses(ids: list[int]) -> list[Document]:
    """Originals (not reblogs) with their author, tags, mentions, media and place, in six queries."""
    statuses = await Status.filter(id__in=ids, reblog_of_id=None)
    if not statuses:
        return []
    found = [s.id for s in statuses]
    authors = {a["id"]: a for a in await Account.filter(id__in={s.account_id for s in statuses}).values(
        "id", "username", "domain", "suspended_at")}
    tags: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for status_id, tag_id, name in await StatusTag.filter(status_id__in=found).values_list(
            "status_id", "tag_id", "tag__name"):
        tags[status_id].append((tag_id, name))
    mentions: dict[int, list[int]] = defaultdict(list)
    for status_id, account_id in await Mention.filter(status_id__in=found).values_list("status_id", "account_id"):
        mentions[status_id].append(account_id)
    with_media = set(await MediaAttachment.filter(status_id__in=found).values_list("status_id", flat=True))
    places = {row[0]: row[1:] for row in await StatusPlace.filter(status_id__in=found).values_list(
        "status_id", "place_id", "place__lat", "place__lon")}
    documents = []
    for status in statuses:
        author = authors.get(status.account_id)
        if author is None or author["suspended_at"] is not None:
            continue
        place = places.get(status.id)
        touches: list[tuple[str, int]] = [("hashtags", tag_id) for tag_id, _ in tags[status.id]]
        if place is not None:
            touches.append(("places", place[0]))
        if author["domain"]:  # remote authors become known (and findable) through their posts
            touches.append(("accounts", author["id"]))
        documents.append(Document("statuses", status.id, {
            "text": plain_text(status.content) or status.text,
            "spoiler": status.spoiler_text,
            "tags": [name for _, name in tags[status.id]],
            "author_id": status.account_id,
            "author_acct": f"{author['username']}@{author['domain']}" if author["domain"] else author["username"],
            "domains": domain_suffixes(author["domain"]),
            "language": (status.language or "").lower(),
            "visibility": status.visibility,
            "mentions": mentions[status.id],
            "created": _seconds(status.created_at),
            "has_media": status.id in with_media,
            "engagement": status.favourites_count + status.reblogs_count + status.replies_count,
            "lat": place[1] if place else None,
            "lon": place[2] if place else None,
            "local": status.local,
        }, touches))
    return documents


async def build_accounts(ids: list[int]) -> list[Document]:
    documents = []
    for account in await Account.filter(id__in=ids, suspended_at=None):
        documents.append(Document("accounts", account.id, {
            "username": account.username,
            "acct": account.acct(),
            "display_name": account.display_name,
            "note": plain_text(account.note),
            "domains": domain_suffixes(account.domain),
            "followers": account.followers_count,
            "local": account.local,
        }))
    return documents


async def build_hashtags(ids: list[int]) -> list[Document]:
    """Tags with how often they were used (popularity for type-ahead) and when last."""
    usage = {row[0]: row[1:] for row in await StatusTag.filter(tag_id__in=ids).group_by("tag_id").annotate(
        uses=Count("id"), last=Max("status_id")).values_list("tag_id", "uses", "last")}
    documents = []
    for tag in await Tag.filter(id__in=ids):
        uses, last = usage.get(tag.id, (0, 0))
        documents.append(Document("hashtags", tag.id, {
            "name": tag.name, "display_name": tag.display_name, "uses": uses or 0,
            "last_used": ((last or 0) >> 16) // 1000,  # snowflake ids carry their time
        }))
    return documents


async def build_places(ids: list[int]) -> list[Document]:
    return [Document("places", place.id, {
        "name": place.name, "locality": place.locality, "country": place.country,
        "lat": place.lat, "lon": place.lon, "popularity": place.popularity,
    }) for place in await Place.filter(id__in=ids)]


BUILDERS: dict[str, Builder] = {
    "statuses": build_statuses,
    "accounts": build_accounts,
    "hashtags": build_hashtags,
    "places": build_places,
}


def take_document(take_id: int, *, caption: str, author_id: int, author_acct: str, created: int,
                  visibility: str = "public", btt_text: str = "", sound: str = "", tags: Sequence[str] = (),
                  language: str = "", engagement: int = 0, lat: float | None = None, lon: float | None = None,
                  mentions: Sequence[int] = ()) -> Document:
    """The document a Take builder returns: caption, BTT (behind-the-take) text and sound are searched, the
    rest filters like a status's fields. The Take model's builder calls this for each of its rows."""
    domain = author_acct.partition("@")[2]
    return Document("takes", take_id, {
        "caption": caption, "btt_text": btt_text, "sound": sound, "tags": [t.lower() for t in tags],
        "author_id": author_id, "author_acct": author_acct, "domains": domain_suffixes(domain),
        "language": language.lower(), "visibility": visibility, "mentions": list(mentions), "created": created,
        "has_media": True, "engagement": engagement, "lat": lat, "lon": lon, "local": not domain,
    })
