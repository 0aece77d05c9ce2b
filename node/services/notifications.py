"""Notifications: turn domain events into rows an account reads at /api/v1/notifications.

Nobody is notified about their own actions, by someone they block, or by someone whose notifications
they muted.
"""

from __future__ import annotations

from ..models import (Account, Block, Favourite, Follow, FollowRequest, Mention, Mute, Notification, Poll, PollVote,
                      Status)
from ..runtime import Node


async def _silenced(recipient_id: int, sender_id: int) -> bool:
    if recipient_id == sender_id:
        return True
    if await Block.filter(account_id=recipient_id, target_account_id=sender_id).exists():
        return True
    return await Mute.filter(account_id=recipient_id, target_account_id=sender_id, hide_notifications=True).exists()


async def notify(node: Node, recipient: Account | int, kind: str, sender: Account | int,
                 status: Status | None = None, *, about_self: bool = False) -> Notification | None:
    """Notify a local recipient; `about_self` lets an event reach its own actor (their poll ended)."""
    recipient_id = recipient if isinstance(recipient, int) else recipient.id
    sender_id = sender if isinstance(sender, int) else sender.id
    local = await Account.filter(id=recipient_id, domain="").exists()
    if not local or (not (about_self and recipient_id == sender_id) and await _silenced(recipient_id, sender_id)):
        return None
    notification = await Notification.create(account_id=recipient_id, from_account_id=sender_id, type=kind,
                                             status=status)
    await node.bus.publish("notification.created", notification=notification)
    return notification


def subscribe(node: Node) -> None:
    bus = node.bus

    @bus.on("status.created")
    async def on_status(status: Status) -> None:
        mentioned = set(await Mention.filter(status_id=status.id).values_list("account_id", flat=True))
        if status.in_reply_to_account_id is not None:  # a reply notifies its parent's author like a mention
            mentioned.add(status.in_reply_to_account_id)
        for account_id in mentioned:
            await notify(node, account_id, "mention", status.account_id, status)
        followers_to_ping = await Follow.filter(target_account_id=status.account_id, notify=True).values_list(
            "account_id", flat=True)
        if status.visibility in ("public", "unlisted", "private"):
            for account_id in set(followers_to_ping) - mentioned:
                await notify(node, account_id, "status", status.account_id, status)

    @bus.on("reblog.created")
    async def on_reblog(status: Status) -> None:
        original = await status.reblog_of
        await notify(node, original.account_id, "reblog", status.account_id, original)

    @bus.on("status.updated")
    async def on_update(status: Status) -> None:
        rebloggers = await Status.filter(reblog_of_id=status.id).values_list("account_id", flat=True)
        for account_id in set(rebloggers):
            await notify(node, account_id, "update", status.account_id, status)

    @bus.on("favourite.created")
    async def on_favourite(favourite: Favourite) -> None:
        status = await favourite.status
        await notify(node, status.account_id, "favourite", favourite.account_id, status)

    @bus.on("follow.created")
    async def on_follow(follow: Follow) -> None:
        await notify(node, follow.target_account_id, "follow", follow.account_id)

    @bus.on("follow.requested")
    async def on_request(request: FollowRequest) -> None:
        await notify(node, request.target_account_id, "follow_request", request.account_id)

    @bus.on("poll.ended")
    async def on_poll_ended(poll: Poll) -> None:
        status = await poll.status
        voters = set(await PollVote.filter(poll_id=poll.id).values_list("account_id", flat=True))
        for account_id in voters | {status.account_id}:
            await notify(node, account_id, "poll", status.account_id, status, about_self=True)
