"""Streams of the client-API features: a list's statuses on the `list` stream, `conversation` events on
the direct stream when a direct status arrives, and `filters_changed` on the user stream.

Registered after the features' own subscribers (node/lifecycle.py), so the conversation rows a new direct
status makes are there when its event is rendered.
"""

from __future__ import annotations

from ..api.conversations import conversation_entities
from ..api.entities.filters import filtered
from ..api.entities.statuses import status_entities
from ..models import Account, Conversation, List, ListAccount, Status, parse_id
from ..runtime import Node
from ..services import lists, visibility
from . import direct_channel, list_channel, listening, publish, user_channel
from .streams import list_resolver


async def _list_owner(list_id: str) -> int | None:
    if (key := parse_id(list_id)) is None:
        return None
    found = await List.filter(id=key).first()
    return found.account_id if found else None


async def _listened_lists(node: Node, author_id: int) -> list[List]:
    """The lists holding the author that someone has open (nothing is read when no list stream is open)."""
    if node.streams is None or not node.streams.channels("timeline:list:"):
        return []
    ids = await ListAccount.filter(account_id=author_id).values_list("list_id", flat=True)
    open_ids = [i for i in ids if listening(node, list_channel(i))]
    return list(await List.filter(id__in=open_ids)) if open_ids else []


async def list_update(node: Node, status: Status, event: str = "update") -> None:
    """A member's new (or edited) status to the open streams of the lists it shows in."""
    for shown_in in await _listened_lists(node, status.account_id):
        if not await lists.shows(shown_in, status):
            continue
        owner = await Account.get(id=shown_in.account_id)
        seen = await visibility.visible(owner, [status], hide_muted=True)
        rendered = (
            await filtered(node, owner, "home", await status_entities(node, seen, owner)) if seen else []
        )
        if rendered:
            await publish(node, list_channel(shown_in.id), event, rendered[0])


async def list_delete(node: Node, status: Status) -> None:
    for shown_in in await _listened_lists(node, status.account_id):
        await publish(node, list_channel(shown_in.id), "delete", str(status.id))


async def conversation_update(node: Node, status: Status) -> None:
    """`conversation` with the updated Conversation to each participant with the direct stream open."""
    for row in await Conversation.filter(last_status_id=status.id):
        if not listening(node, direct_channel(row.account_id)):
            continue
        reader = await Account.get(id=row.account_id)
        entity = await conversation_entities(node, [row], reader)
        await publish(node, direct_channel(reader.id), "conversation", entity[0])


async def filters_changed(node: Node, account: Account) -> None:
    await publish(node, user_channel(account.id), "filters_changed")


def subscribe(node: Node) -> None:
    if node.streams is None:
        return
    node.streams.define("list", list_resolver(_list_owner))
    bus = node.bus

    @bus.on("status.created")
    async def on_status(status: Status) -> None:
        if status.visibility == "direct" and status.reblog_of_id is None:
            await conversation_update(node, status)
        else:
            await list_update(node, status)

    @bus.on("status.updated")
    async def on_edit(status: Status) -> None:
        await list_update(node, status, "status.update")

    @bus.on("status.deleted")
    async def on_delete(status: Status, **_: object) -> None:
        await list_delete(node, status)
