"""The collections we serve: an actor's outbox (its public posts and shares, paged), followers and
following (paged lists of actor ids); featured (pinned posts) is node.activitypub.featured's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from federation.as2 import ordered_collection, ordered_collection_page, page_url

from ..models import Account, Follow, Status, parse_id
from ..services import tags
from . import serialize

if TYPE_CHECKING:
    from ..runtime import Node

PAGE_SIZE = 20


def _max_id(value: str | None) -> int | None:
    return parse_id(value) if value and value.isdigit() else None


async def outbox(node: Node, account: Account, page: bool, max_id: str | None) -> dict[str, Any]:
    collection = f"{account.uri}/outbox"
    query = Status.filter(account_id=account.id, local=True, visibility__in=("public", "unlisted"))
    if not page:
        return ordered_collection(collection, total_items=await query.count(), first=page_url(collection, page=True),
                                  last=page_url(collection, page=True, min_id=0))
    bound = _max_id(max_id)
    if bound is not None:
        query = query.filter(id__lt=bound)
    rows = await query.order_by("-id").limit(PAGE_SIZE)
    items = []
    for status in rows:
        if status.reblog_of_id is not None:
            original = await Status.filter(id=status.reblog_of_id).first()
            original_author = await Account.filter(id=original.account_id).first() if original else None
            if original is not None and original_author is not None:
                doc = serialize.announce_activity(status, account, original, original_author)
                doc.pop("@context", None)
                items.append(doc)
            continue
        activity = await serialize.create_activity(node, status)
        activity.pop("@context", None)
        items.append(activity)
    next_page = page_url(collection, page=True, max_id=rows[-1].id) if len(rows) == PAGE_SIZE else None
    return ordered_collection_page(page_url(collection, page=True, max_id=max_id) if max_id else
                                   page_url(collection, page=True), collection, items, next_page=next_page)


async def people(account: Account, which: str, page: bool, max_id: str | None) -> dict[str, Any]:
    """followers or following: actor ids, newest relationship first."""
    collection = f"{account.uri}/{which}"
    if which == "followers":
        query = Follow.filter(target_account_id=account.id, account__suspended_at=None)
        field = "account__uri"
    else:
        query = Follow.filter(account_id=account.id, target_account__suspended_at=None)
        field = "target_account__uri"
    if account.hide_collections:
        # Hidden by its owner (as Mastodon's hide_network): the count is still shown, the members are not.
        if not page:
            return ordered_collection(collection, total_items=await query.count())
        return ordered_collection_page(page_url(collection, page=True), collection, [])
    if not page:
        return ordered_collection(collection, total_items=await query.count(), first=page_url(collection, page=True))
    bound = _max_id(max_id)
    if bound is not None:
        query = query.filter(id__lt=bound)
    rows = await query.order_by("-id").limit(PAGE_SIZE).values_list("id", field)
    next_page = page_url(collection, page=True, max_id=rows[-1][0]) if len(rows) == PAGE_SIZE else None
    return ordered_collection_page(page_url(collection, page=True, max_id=max_id) if max_id else
                                   page_url(collection, page=True), collection, [uri for _, uri in rows],
                                   next_page=next_page)


async def featured_tags(node: Node, account: Account) -> dict[str, Any]:
    """The hashtags the account features, as Mastodon's `featuredTags` collection of Hashtag objects."""
    items = [{"type": "Hashtag", "href": node.urls.tag(f.tag.name), "name": f"#{f.tag.display_name}"}
             for f in await tags.featured_of(account.id)]
    return ordered_collection(f"{account.uri}/collections/tags", total_items=len(items), items=items)
