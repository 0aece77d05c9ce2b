"""Filter, FilterKeyword, FilterStatus, v1 Filter and FilterResult entities, and applying a viewer's filters to
rendered statuses (and notifications) for one context: hidden ones dropped, the rest with `filtered` set."""

from __future__ import annotations

from typing import Any

from ...models import Account, Filter, FilterKeyword, FilterStatus
from ...runtime import Node
from ...services import filters
from .common import iso


def keyword_entity(row: FilterKeyword) -> dict[str, Any]:
    return {"id": str(row.id), "keyword": row.keyword, "whole_word": row.whole_word}


def status_filter_entity(row: FilterStatus) -> dict[str, Any]:
    return {"id": str(row.id), "status_id": str(row.status_id)}


def filter_entity(row: Filter) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "title": row.title,
        "context": row.context,
        "expires_at": iso(row.expires_at),
        "filter_action": row.action,
        "keywords": [keyword_entity(k) for k in row.keywords],
        "statuses": [status_filter_entity(s) for s in row.statuses],
    }


def v1_filter_entity(row: FilterKeyword) -> dict[str, Any]:
    custom: Filter = row.custom_filter  # type: ignore[assignment]
    return {
        "id": str(row.id),
        "phrase": row.keyword,
        "context": custom.context,
        "whole_word": row.whole_word,
        "expires_at": iso(custom.expires_at),
        "irreversible": custom.action == "hide",
    }


def apply(matcher: filters.Matcher, entity: dict[str, Any], rendered_filters: dict[int, dict] | None = None) -> bool:
    """Set `filtered` on a status entity (and its reblogged status); False when a hide filter matches.
    `rendered_filters` keeps each Filter entity made once for a whole page (a filter matching many of its
    statuses would otherwise be rendered for each)."""
    target = entity.get("reblog") or entity
    hide, results = matcher.match(int(target["id"]), filters.searchable_text(target))
    if hide:
        return False
    memo = {} if rendered_filters is None else rendered_filters
    rendered = [
        {
            "filter": memo[f.id] if f.id in memo else memo.setdefault(f.id, filter_entity(f)),
            "keyword_matches": words,
            "status_matches": ids and [str(i) for i in ids],
        }
        for f, words, ids in results
    ]
    entity["filtered"] = rendered
    if entity.get("reblog"):
        entity["reblog"]["filtered"] = rendered
    return True


async def filtered(
    node: Node, viewer: Account | None, context: str, entities: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Rendered statuses as `context` shows them to the viewer: filtered by their filters."""
    matcher = await filters.matcher(node, viewer, context)
    if matcher is None:
        return entities
    memo: dict[int, dict] = {}
    return [e for e in entities if apply(matcher, e, memo)]


async def filtered_notifications(
    node: Node, viewer: Account, entities: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Notifications with their statuses filtered in the notifications context (a hidden status's goes)."""
    matcher = await filters.matcher(node, viewer, "notifications")
    if matcher is None:
        return entities
    memo: dict[int, dict] = {}
    return [n for n in entities if not n.get("status") or apply(matcher, n["status"], memo)]
