"""Full-text search: documents built from the database, an index fed from the event bus by one writer
thread, safe query parsing, hashtag trends, behind a `SearchBackend` interface (Whoosh by default)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..runtime import Node
    from .indexer import SearchIndex


def attach(node: Node) -> SearchIndex:
    """Give the node its search index (opened lazily on first use) and subscribe it to the event bus."""
    from .indexer import SearchIndex

    index = SearchIndex(node)
    index.subscribe()
    node.search = index
    return index


def of(node: Node) -> SearchIndex:
    index = getattr(node, "search", None)
    if index is None:
        raise RuntimeError("search is not attached to this node")
    return index
