"""OrderedCollection and OrderedCollectionPage documents (outbox, followers, following, featured,
replies), and reading items out of the collections peers serve."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from .context import default_context
from .fields import as_list, id_of, type_of


def page_url(collection_id: str, **query: str | int | bool) -> str:
    """`collection_id` with paging parameters (e.g. page=true, max_id=...) in its query string."""
    parts = urlsplit(collection_id)
    params = {k: ("true" if v is True else "false" if v is False else v) for k, v in query.items() if v is not None}
    extra = urlencode(params)
    query_string = f"{parts.query}&{extra}" if parts.query and extra else parts.query or extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query_string, ""))


def ordered_collection(
    collection_id: str,
    *,
    total_items: int | None = None,
    first: str | Mapping[str, Any] | None = None,
    last: str | None = None,
    items: Sequence[Any] | None = None,
    with_context: bool = True,
) -> dict[str, Any]:
    """A collection summary. Give `first` (URL or embedded page) for paged collections, or `items`
    for small ones (featured); `total_items=None` hides the count (private follower lists)."""
    doc: dict[str, Any] = {"id": collection_id, "type": "OrderedCollection"}
    if with_context:
        doc = {"@context": default_context(), **doc}
    if total_items is not None:
        doc["totalItems"] = total_items
    if first is not None:
        doc["first"] = dict(first) if isinstance(first, Mapping) else first
    if last is not None:
        doc["last"] = last
    if items is not None:
        doc["orderedItems"] = list(items)
        doc.setdefault("totalItems", len(items))
    return doc


def ordered_collection_page(
    page_id: str,
    part_of: str,
    items: Sequence[Any],
    *,
    next_page: str | None = None,
    prev_page: str | None = None,
    start_index: int | None = None,
    total_items: int | None = None,
    with_context: bool = True,
) -> dict[str, Any]:
    """One page of an OrderedCollection; omit `next_page` on the last page."""
    doc: dict[str, Any] = {"id": page_id, "type": "OrderedCollectionPage", "partOf": part_of}
    if with_context:
        doc = {"@context": default_context(), **doc}
    if total_items is not None:
        doc["totalItems"] = total_items
    if start_index is not None:
        doc["startIndex"] = start_index
    if next_page:
        doc["next"] = next_page
    if prev_page:
        doc["prev"] = prev_page
    doc["orderedItems"] = list(items)
    return doc


def collection_items(doc: Mapping[str, Any]) -> list[Any]:
    """Items present in a collection or page document: orderedItems or items, including those of an
    embedded `first` page. IRIs and embedded objects are returned as they are."""
    found = as_list(doc.get("orderedItems")) or as_list(doc.get("items"))
    first = doc.get("first")
    if not found and isinstance(first, Mapping):
        found = as_list(first.get("orderedItems")) or as_list(first.get("items"))
    return found


def next_page_of(doc: Mapping[str, Any]) -> str | None:
    """The URL to fetch for more items: `next` of a page, or `first` of a collection summary
    (or that embedded first page's `next`, since its items are already in hand)."""
    if type_of(doc) in ("OrderedCollectionPage", "CollectionPage"):
        return id_of(doc.get("next"))
    first = doc.get("first")
    return id_of(first.get("next")) if isinstance(first, Mapping) else id_of(first)
