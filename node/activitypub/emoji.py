"""Other servers' custom emoji from the `Emoji` tags of their notes and actors (Mastodon, GoToSocial, Misskey,
Pleroma shapes): the picture is fetched through the guarded client, size-capped, and stored under the
author's domain; a changed icon URL or a newer `updated` fetches it again. Our own Emoji documents too."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from federation.as2 import default_context
from federation.as2.objects import CustomEmoji as EmojiTag
from federation.client import FetchError

from ..errors import DomainError, NotFound
from ..models import CustomEmoji, parse_id
from ..services import emoji as emoji_service
from . import moderation, state

if TYPE_CHECKING:
    from ..runtime import Node

log = logging.getLogger(__name__)

MAX_PER_OBJECT = (
    32  # tags past this on one object are ignored (Mastodon reads them all; we bound the fetches)
)


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def ingest(node: Node, domain: str, tags: Sequence[EmojiTag]) -> None:
    """Store or refresh `domain`'s emoji named in `tags`; one that cannot be fetched or is no picture is
    skipped (the text keeps its :shortcode:), never failing the activity that carried it."""
    if not domain or not tags:
        return
    if await moderation.rejects_media(domain):
        return  # a server whose media we refuse gets no pictures fetched, emoji included
    wanted = {
        t.shortcode: t
        for t in tags[:MAX_PER_OBJECT]
        if emoji_service.valid_shortcode(t.shortcode) and t.icon_url
    }
    if not wanted:
        return
    known = {e.shortcode: e for e in await CustomEmoji.filter(domain=domain, shortcode__in=list(wanted))}
    fed = state.of(node)
    for shortcode, tag in wanted.items():
        updated = _time(tag.updated)
        if not emoji_service.needs_picture(known.get(shortcode), tag.icon_url or "", updated):
            continue
        try:
            response = await fed.client.request("GET", tag.icon_url or "", max_bytes=emoji_service.MAX_BYTES)
            if not 200 <= response.status < 300:
                raise FetchError(tag.icon_url or "", f"HTTP {response.status}")
            await emoji_service.store_remote(
                node,
                domain,
                shortcode,
                uri=tag.id or tag.icon_url or "",
                icon_url=tag.icon_url or "",
                updated=updated,
                data=response.body,
            )
        except (FetchError, DomainError) as exc:
            log.info("emoji :%s: of %s not stored: %s", shortcode, domain, exc)


async def emoji_document(node: Node, emoji_id: str) -> dict[str, Any]:
    """GET /emojis/:id as AS2, as Mastodon answers for its own emoji."""
    key = parse_id(emoji_id)
    emoji = await CustomEmoji.filter(id=key, domain="", disabled=False).first() if key is not None else None
    if emoji is None:
        raise NotFound()
    return {"@context": default_context(), **emoji_service.as2_tag(node, emoji)}
