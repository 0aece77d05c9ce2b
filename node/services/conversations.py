"""Conversations: direct statuses grouped, for each local participant, by thread and by who else takes part
(as Mastodon groups them). A direct status marks the thread unread for everyone but its author; reading
or removing is per account. Kept up to date from status.created / status.deleted, local and federated.
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from ..errors import NotFound
from ..models import Account, Conversation, Mention, Status, row_id
from ..runtime import Node
from .paging import Page

ROOT_DEPTH = 40  # how far up a thread the root is looked for


async def _root(status: Status) -> int:
    root, parent_id = status.id, status.in_reply_to_id
    for _ in range(ROOT_DEPTH):
        if parent_id is None:
            break
        parent = await Status.filter(id=parent_id).values_list("id", "in_reply_to_id")
        if not parent:
            break
        root, parent_id = parent[0]
    return root


async def add_status(status: Status) -> None:
    """File a direct status in each local participant's conversation with the others."""
    mentioned = await Mention.filter(status_id=status.id).values_list("account_id", flat=True)
    involved = {status.account_id, *mentioned}
    local = set(await Account.filter(id__in=involved, domain="").values_list("id", flat=True))
    if not local:
        return
    root = await _root(status)
    for reader in sorted(local):
        others = ",".join(str(i) for i in sorted(involved - {reader}))
        unread = reader != status.account_id
        row = await Conversation.filter(
            account_id=reader, root_status_id=root, participant_ids=others
        ).first()
        if row is None:
            try:
                await Conversation.create(
                    account_id=reader,
                    root_status_id=root,
                    participant_ids=others,
                    status_ids=[status.id],
                    last_status_id=status.id,
                    unread=unread,
                )
                continue
            except IntegrityError:  # made concurrently: add to it
                row = await Conversation.get(account_id=reader, root_status_id=root, participant_ids=others)
        if status.id not in row.status_ids:
            row.status_ids = [*row.status_ids, status.id]
        row.last_status_id = max(row.status_ids)
        row.unread = row.unread or unread
        await row.save(update_fields=["status_ids", "last_status_id", "unread"])


async def remove_status(status_id: int) -> None:
    """A deleted status that was a conversation's last one hands over to the newest that still exists; a
    conversation left with none goes. (An earlier one deleted drops out when this recount meets it.)"""
    for row in await Conversation.filter(last_status_id=status_id):
        candidates = [i for i in row.status_ids if i != status_id]
        remaining = (
            sorted(await Status.filter(id__in=candidates).values_list("id", flat=True)) if candidates else []
        )
        if not remaining:
            await row.delete()
            continue
        row.status_ids, row.last_status_id = remaining, max(remaining)
        await row.save(update_fields=["status_ids", "last_status_id"])


async def page_of(account: Account, page: Page) -> list[Conversation]:
    """The account's conversations, most recently active first (paged on their last status's id)."""
    return page.arrange(await page.filter(Conversation.filter(account_id=account.id), key="last_status_id"))


async def own(account: Account, conversation_id: int | str) -> Conversation:
    key = row_id(conversation_id)
    row = await Conversation.filter(id=key, account_id=account.id).first()
    if row is None:
        raise NotFound()
    return row


async def mark_read(account: Account, conversation_id: int | str) -> Conversation:
    row = await own(account, conversation_id)
    if row.unread:
        row.unread = False
        await row.save(update_fields=["unread"])
    return row


async def remove(account: Account, conversation_id: int | str) -> None:
    await (await own(account, conversation_id)).delete()


def subscribe(node: Node) -> None:
    @node.bus.on("status.created")
    async def on_status(status: Status) -> None:
        if status.visibility == "direct" and status.reblog_of_id is None:
            await add_status(status)

    @node.bus.on("status.deleted")
    async def on_delete(status: Status, **_: object) -> None:
        if status.visibility == "direct":
            await remove_status(status.id)
