"""Mastodon's Tag entity (name, url, 7-day history, following), as search and trends return it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...models import Account, Tag
from ...runtime import Node
from ...search import trends
from ...services import tags as tag_service


async def tag_entities(node: Node, tags: Sequence[Tag], viewer: Account | None = None) -> list[dict[str, Any]]:
    histories = await trends.history([t.id for t in tags])
    following = await tag_service.followed_ids(viewer, [t.id for t in tags])
    return [{"id": str(t.id), "name": t.display_name, "url": node.urls.tag(t.name), "history": histories[t.id],
             "following": t.id in following} for t in tags]
