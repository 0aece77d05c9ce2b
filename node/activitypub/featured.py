"""Pinned posts across servers: our accounts' `featured` collections (the pinned Notes inline, as
Mastodon serves them), `Add`/`Remove` with the featured collection as `target` when a pin changes (both
ways), and reading a remote account's featured collection so its profile shows its pinned posts."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from federation.as2 import ParsedActivity, author_of, id_of, ordered_collection, type_of
from federation.client import FetchError

from ..errors import DomainError
from ..models import Account, Status, StatusPin, snowflake
from ..services import pins
from . import delivery, ingest, serialize, state
from .actors import host_of
from .outbox import follower_inboxes

if TYPE_CHECKING:
    from ..runtime import Node

log = logging.getLogger(__name__)
MAX_READ = 20  # items read from a remote featured collection


def featured_uri(account: Account) -> str:
    return f"{account.uri}/collections/featured"


async def collection(node: Node, account: Account) -> dict[str, Any]:
    """A local account's featured collection: its public and unlisted pinned posts, most recent first."""
    ids = await pins.pinned_ids(account.id)
    rows = (
        {s.id: s for s in await Status.filter(id__in=ids, visibility__in=("public", "unlisted"))}
        if ids
        else {}
    )
    items = [await serialize.status_object(node, rows[i], account) for i in ids if i in rows]
    return ordered_collection(featured_uri(account), total_items=len(items), items=items)


# ---- outbound ------------------------------------------------------------------------------------------------


def subscribe(node: Node) -> None:
    """A local pin or unpin is sent to followers as Add/Remove (Mastodon's shape: object, target)."""

    async def send(kind: str, status: Status, account: Account) -> None:
        if not node.config.federation.enabled or state.INBOUND.get() or not account.local:
            return
        to, cc = serialize.addressing(
            account, status.visibility if status.visibility != "direct" else "private", []
        )
        doc = serialize.activity(
            kind,
            f"{account.uri}#{kind.lower()}s/{status.id}/{snowflake()}",
            account.uri or "",
            status.uri or "",
            to=to,
            cc=cc,
            target=featured_uri(account),
        )
        await delivery.enqueue(node, account, doc, await follower_inboxes(account.id))

    @node.bus.on("status.pinned")
    async def on_pin(status: Status, account: Account) -> None:
        await send("Add", status, account)

    @node.bus.on("status.unpinned")
    async def on_unpin(status: Status, account: Account) -> None:
        await send("Remove", status, account)


# ---- inbound -------------------------------------------------------------------------------------------------


async def _pinning_actor(activity: ParsedActivity) -> Account | None:
    """The sender, when the activity's target is its own featured collection."""
    target = id_of(activity.raw.get("target"))
    if not target:
        return None
    account = await Account.filter(uri=activity.actor).exclude(domain="").first()
    if account is None or target not in (account.featured_url, f"{account.uri}/collections/featured"):
        return None
    return account


async def on_add(activity: ParsedActivity, node: Node) -> None:
    """Add{Note} to the actor's featured collection: the actor pinned one of its posts."""
    account = await _pinning_actor(activity)
    if account is None or not activity.object_id:
        return
    try:
        status = await ingest.fetch_status(node, activity.object_id)
    except DomainError:
        return  # a pin we cannot read (gone, private) is simply not shown
    if status.account_id != account.id:
        return  # only one's own posts can be pinned
    if await StatusPin.filter(account_id=account.id).count() < MAX_READ:
        await StatusPin.get_or_create(account_id=account.id, status_id=status.id)


async def on_remove(activity: ParsedActivity, node: Node) -> None:
    account = await _pinning_actor(activity)
    if account is not None and activity.object_id:
        await StatusPin.filter(account_id=account.id, status__uri=activity.object_id).delete()


def read_remote_later(node: Node, account: Account) -> None:
    """Read the featured collection in the background (a lookup answers without waiting for it)."""
    if not account.local and account.featured_url:
        node.spawn(read_remote(node, account))


async def read_remote(node: Node, account: Account) -> None:
    """Read a remote account's featured collection (one document, or its first page) and pin what it
    lists. Failing peers cost nothing: the profile simply shows no pins."""
    if account.local or not account.featured_url or host_of(account.featured_url) != account.domain:
        return
    fed = state.of(node)
    try:
        doc = await fed.client.get_activity(account.featured_url, sign_with=fed.instance_key)
        items = doc.get("orderedItems", doc.get("items"))
        first = doc.get("first")
        if items is None and isinstance(first, str) and host_of(first) == account.domain:
            first = await fed.client.get_activity(first, sign_with=fed.instance_key)
        if items is None and isinstance(first, dict):
            items = first.get("orderedItems", first.get("items"))
    except FetchError as exc:
        log.info("could not read the featured collection of %s: %s", account.uri, exc.reason)
        return
    found: list[Status] = []
    for item in (items if isinstance(items, list) else [])[:MAX_READ]:
        uri = id_of(item)
        if not uri or host_of(uri) != account.domain:
            continue
        try:
            if (
                isinstance(item, dict)
                and type_of(item) in ingest.CONTENT_TYPES
                and author_of(item) == account.uri
            ):
                found.append(
                    await Status.filter(uri=uri).first() or await ingest.create_status(node, account, item)
                )
            else:
                found.append(await ingest.fetch_status(node, uri))
        except DomainError as exc:  # one unreadable item costs only itself
            log.info("skipping %s in the featured collection of %s: %s", uri, account.uri, exc)
    await pins.replace_remote(account, found)
