"""Remote threads made complete on demand: when one of our users opens a remote post's thread, replies we
have not received are read from the origin's `replies` collection (as Mastodon 4.4 does), in the
background and bounded: one collection (or its first page), at most MAX_REPLIES new replies, and each
post at most once per RECHECK_SECONDS. Parents and mentions are ingest's (they come with each post)."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from federation.as2 import author_of, id_of, type_of
from federation.client import FetchError

from ..errors import DomainError
from ..models import Account, Status
from . import ingest, state
from .actors import host_of

if TYPE_CHECKING:
    from ..runtime import Node

log = logging.getLogger(__name__)
MAX_REPLIES = 20
RECHECK_SECONDS = 15 * 60


def _items(doc: Any) -> list[Any] | None:
    if not isinstance(doc, dict):
        return None
    items = doc.get("orderedItems", doc.get("items"))
    return items if isinstance(items, list) else None


def refresh_later(node: Node, status: Status) -> None:
    """A signed-in user opened this remote thread: read its missing replies in the background (the next
    look at the thread shows them, as Mastodon's clients refresh the context)."""
    if not status.local and status.uri and node.config.federation.enabled:
        node.spawn(fetch_replies(node, status))


async def fetch_replies(node: Node, status: Status) -> int:
    """Store the replies the origin lists for `status` that we lack; returns how many were stored."""
    fed = state.of(node)
    if status.local or not status.uri:
        return 0
    if len(fed.replies_checked) > 10_000:
        fed.replies_checked.clear()
    checked = fed.replies_checked.get(status.id)
    if checked is not None and time.monotonic() - checked < RECHECK_SECONDS:
        return 0
    fed.replies_checked[status.id] = time.monotonic()
    origin = host_of(status.uri)
    try:
        doc = await fed.client.get_activity(status.uri, sign_with=fed.instance_key)
        replies = doc.get("replies")
        if isinstance(replies, str) and host_of(replies) == origin:
            replies = await fed.client.get_activity(replies, sign_with=fed.instance_key)
        items = _items(replies)
        if items is None and isinstance(replies, dict):
            first = replies.get("first")
            if isinstance(first, str) and host_of(first) == origin:
                first = await fed.client.get_activity(first, sign_with=fed.instance_key)
            items = _items(first)
    except FetchError as exc:
        log.info("could not read the replies of %s: %s", status.uri, exc.reason)
        return 0
    stored = 0
    for item in (items or [])[:MAX_REPLIES]:
        uri = id_of(item)
        if not uri or await Status.filter(uri=uri).exists():
            continue
        try:
            # An inline reply is taken as is only from its author's own server; others are fetched by id.
            author_uri = author_of(item) if isinstance(item, dict) else None
            if (
                author_uri
                and type_of(item) in ingest.CONTENT_TYPES
                and host_of(uri) == origin
                and host_of(author_uri) == origin
                and (author := await Account.filter(uri=author_uri).first()) is not None
            ):
                await ingest.create_status(node, author, item)
            else:
                await ingest.fetch_status(node, uri)
            stored += 1
        except DomainError as exc:
            log.info("skipping reply %s of %s: %s", uri, status.uri, exc)
    return stored
