"""Outbound federation: durable event-bus subscribers that turn local actions into activities, address them
(followers' shared inboxes, mentioned and replied-to actors) and queue their deliveries, in the transaction
that carries out the event's recorded effect (node/effects.py). Events caused by inbound activities are
ignored, so remote content is never sent on again."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from federation.as2 import PUBLIC

from ..models import (
    Account,
    Delivery,
    Favourite,
    Follow,
    FollowRequest,
    Mention,
    Poll,
    PollVote,
    Status,
    snowflake,
)
from . import delivery, forwarding, serialize, state
from .actors import person_document

if TYPE_CHECKING:
    from ..runtime import Node


def _inbox(account: Account) -> str:
    return account.shared_inbox_url or account.inbox_url


async def follower_inboxes(account_id: int) -> list[str]:
    """One inbox per remote follower's server (its shared inbox when it has one)."""
    rows = await Account.filter(following_rel__target_account_id=account_id).exclude(domain="").filter(
        suspended_at=None).values_list("shared_inbox_url", "inbox_url")
    return list(dict.fromkeys(shared or inbox for shared, inbox in rows if shared or inbox))


async def _remote_inboxes(ids: list[int]) -> list[str]:
    if not ids:
        return []
    return [_inbox(a) for a in await Account.filter(id__in=ids).exclude(domain="") if _inbox(a)]


async def status_inboxes(status: Status) -> list[str]:
    inboxes: list[str] = []
    if status.visibility != "direct":
        inboxes += await follower_inboxes(status.account_id)
    mentioned = list(await Mention.filter(status_id=status.id).values_list("account_id", flat=True))
    if status.in_reply_to_account_id is not None:
        mentioned.append(status.in_reply_to_account_id)
    return inboxes + await _remote_inboxes(mentioned)


async def send_create(node: Node, status: Status) -> None:
    inboxes = await status_inboxes(status)
    if inboxes:  # most posts on a small node have no remote audience: build nothing for them
        author = await Account.get(id=status.account_id)
        doc = await forwarding.sign_reply(node, author, status, await serialize.create_activity(node, status))
        await delivery.enqueue(node, author, doc, inboxes)


async def send_update(node: Node, status: Status) -> None:
    author = await Account.get(id=status.account_id)
    doc = await serialize.update_activity(node, status)
    doc["id"] = f"{status.uri}#updates/{snowflake()}"
    doc = await forwarding.sign_reply(node, author, status, doc)
    await delivery.enqueue(node, author, doc, await status_inboxes(status))


async def send_delete(node: Node, status: Status, author: Account) -> None:
    # Mentions are gone with the status: deliver where its Create went, and to followers.
    earlier = await Delivery.filter(activity__uri=f"{status.uri}/activity").values_list("inbox_url", flat=True)
    inboxes = [*earlier, *(await follower_inboxes(author.id) if status.visibility != "direct" else [])]
    to, cc = serialize.addressing(author, status.visibility, [])
    doc = await forwarding.sign_reply(node, author, status, serialize.delete_activity(status, author, to, cc))
    await delivery.enqueue(node, author, doc, inboxes)


async def send_poll_update(node: Node, poll: Poll) -> None:
    """The poll's Question with fresh tallies (or closed), to followers and remote voters."""
    status = await Status.get(id=poll.status_id)
    author = await Account.get(id=status.account_id)
    obj = await serialize.status_object(node, status, author)
    doc = serialize.activity("Update", f"{status.uri}#updates/{snowflake()}", author.uri or "", obj, to=obj["to"],
                             cc=obj["cc"])
    voters = list(await PollVote.filter(poll_id=poll.id).values_list("account_id", flat=True))
    await delivery.enqueue(node, author, doc, [*await status_inboxes(status), *await _remote_inboxes(voters)])


def _follow_object(actor: Account, target: Account, uri: str | None = None) -> dict[str, Any]:
    return {"id": uri or f"{actor.uri}#follows/{target.id}", "type": "Follow", "actor": actor.uri,
            "object": target.uri}


async def send_accept(node: Node, follower: Account, target: Account, follow_uri: str | None) -> None:
    doc = serialize.activity("Accept", f"{target.uri}#accepts/follows/{snowflake()}", target.uri or "",
                             _follow_object(follower, target, follow_uri), to=[follower.uri or ""])
    await delivery.enqueue(node, target, doc, [follower.inbox_url or follower.shared_inbox_url])


async def send_reject(node: Node, follower: Account, target: Account, follow_uri: str | None) -> None:
    doc = serialize.activity("Reject", f"{target.uri}#rejects/follows/{snowflake()}", target.uri or "",
                             _follow_object(follower, target, follow_uri), to=[follower.uri or ""])
    await delivery.enqueue(node, target, doc, [follower.inbox_url or follower.shared_inbox_url])


async def send_profile_update(node: Node, account: Account) -> None:
    person = await person_document(node, account)
    doc = serialize.activity("Update", f"{account.uri}#updates/{snowflake()}", account.uri or "", person,
                             to=[PUBLIC], cc=[serialize.followers_of(account)])
    await delivery.enqueue(node, account, doc, await follower_inboxes(account.id))


async def send_move(node: Node, account: Account, target: Account) -> None:
    """The actor with its new `movedTo`, then the Move itself, to every follower's server; each checks
    the target's alsoKnownAs before moving anyone."""
    await send_profile_update(node, account)
    doc = serialize.activity("Move", f"{account.uri}#moves/{snowflake()}", account.uri or "", account.uri or "",
                             target=target.uri, to=[serialize.followers_of(account)])
    await delivery.enqueue(node, account, doc, await follower_inboxes(account.id))


async def send_account_delete(node: Node, account: Account, inboxes: list[str]) -> None:
    """Delete of the actor itself (object = actor id, as Mastodon sends it): receivers purge the account."""
    doc = serialize.activity("Delete", f"{account.uri}#delete", account.uri or "", account.uri or "", to=[PUBLIC])
    await delivery.enqueue(node, account, doc, inboxes)


def subscribe(node: Node) -> None:  # noqa: C901 - one small subscriber per event, read top to bottom
    bus = node.bus

    def outbound(**_payload: Any) -> bool:
        return node.config.federation.enabled and not state.INBOUND.get()

    def durable(name: str) -> Callable[[Any], Any]:
        # Outbound activities and their deliveries are what a write must cause: they run from the
        # transactional outbox (node/effects.py), recorded only for local, federating actions.
        return bus.on(name, durable=True, when=outbound)

    @durable("status.created")
    async def on_status(status: Status) -> None:
        if outbound() and status.local:
            await send_create(node, status)

    @durable("status.updated")
    async def on_edit(status: Status) -> None:
        if outbound() and status.local:
            await send_update(node, status)

    @durable("status.deleted")
    async def on_delete(status: Status, account: Account) -> None:
        if outbound() and status.local and account.local:
            await send_delete(node, status, account)

    @durable("reblog.created")
    async def on_reblog(status: Status) -> None:
        if not (outbound() and status.local):
            return
        author = await Account.get(id=status.account_id)
        original = await Status.get(id=status.reblog_of_id)
        original_author = await Account.get(id=original.account_id)
        doc = serialize.announce_activity(status, author, original, original_author)
        await delivery.enqueue(node, author, doc, [*await follower_inboxes(author.id),
                                                   *await _remote_inboxes([original_author.id])])

    @durable("reblog.deleted")
    async def on_unreblog(status: Status) -> None:
        if not (outbound() and status.local):
            return
        author = await Account.get(id=status.account_id)
        original = await Status.filter(id=status.reblog_of_id).first()
        announce = {"id": status.uri, "type": "Announce", "actor": author.uri,
                    "object": original.uri if original else None}
        doc = serialize.activity("Undo", f"{status.uri}/undo", author.uri or "", announce, to=[PUBLIC],
                                 cc=[serialize.followers_of(author)])
        extra = await _remote_inboxes([original.account_id]) if original else []
        await delivery.enqueue(node, author, doc, [*await follower_inboxes(author.id), *extra])

    async def like(favourite: Favourite, undo: bool) -> None:
        account = await Account.get(id=favourite.account_id)
        status = await Status.get(id=favourite.status_id)
        author = await Account.get(id=status.account_id)
        if not account.local or author.local:
            return
        like_doc = serialize.activity("Like", f"{account.uri}#likes/{favourite.id}", account.uri or "",
                                      status.uri or "", with_context=False)
        doc = (serialize.activity("Undo", f"{account.uri}#likes/{favourite.id}/undo", account.uri or "", like_doc)
               if undo else serialize.activity("Like", like_doc["id"], account.uri or "", status.uri or ""))
        await delivery.enqueue(node, account, doc, [_inbox(author)])

    @durable("favourite.created")
    async def on_favourite(favourite: Favourite) -> None:
        if outbound():
            await like(favourite, undo=False)

    @durable("favourite.deleted")
    async def on_unfavourite(favourite: Favourite) -> None:
        if outbound():
            await like(favourite, undo=True)

    @durable("follow.requested")
    async def on_request(request: FollowRequest) -> None:
        if not outbound():
            return
        account = await Account.get(id=request.account_id)
        target = await Account.get(id=request.target_account_id)
        if account.local and not target.local:
            uri = f"{account.uri}#follows/{snowflake()}"
            await FollowRequest.filter(id=request.id).update(uri=uri)
            doc = serialize.activity("Follow", uri, account.uri or "", target.uri or "", to=[target.uri or ""])
            await delivery.enqueue(node, account, doc, [target.inbox_url or target.shared_inbox_url])

    @durable("follow.accepted")
    @durable("follow.created")
    async def on_accepted(follow: Follow) -> None:
        if not outbound():
            return
        follower = await Account.get(id=follow.account_id)
        target = await Account.get(id=follow.target_account_id)
        if not follower.local and target.local:
            await send_accept(node, follower, target, follow.uri)

    @durable("follow.rejected")
    async def on_rejected(request: FollowRequest) -> None:
        if not outbound():
            return
        follower = await Account.get(id=request.account_id)
        target = await Account.get(id=request.target_account_id)
        if not follower.local and target.local:
            await send_reject(node, follower, target, request.uri)

    @durable("follow.deleted")
    async def on_unfollow(account: Account, target: Account) -> None:
        if not outbound():
            return
        if account.local and not target.local:
            doc = serialize.activity("Undo", f"{account.uri}#follows/{snowflake()}/undo", account.uri or "",
                                     _follow_object(account, target), to=[target.uri or ""])
            await delivery.enqueue(node, account, doc, [target.inbox_url or target.shared_inbox_url])
        elif target.local and not account.local:
            await send_reject(node, account, target, None)

    @durable("block.created")
    async def on_block(block: Any) -> None:
        if not outbound():
            return
        account = await Account.get(id=block.account_id)
        target = await Account.get(id=block.target_account_id)
        if account.local and not target.local:
            uri = f"{account.uri}#blocks/{block.id}"
            doc = serialize.activity("Block", uri, account.uri or "", target.uri or "", to=[target.uri or ""])
            await delivery.enqueue(node, account, doc, [target.inbox_url or target.shared_inbox_url])

    @durable("block.deleted")
    async def on_unblock(account: Account, target: Account) -> None:
        if outbound() and account.local and not target.local:
            block = {"id": f"{account.uri}#blocks/{target.id}", "type": "Block", "actor": account.uri,
                     "object": target.uri}
            doc = serialize.activity("Undo", f"{account.uri}#blocks/{snowflake()}/undo", account.uri or "", block,
                                     to=[target.uri or ""])
            await delivery.enqueue(node, account, doc, [target.inbox_url or target.shared_inbox_url])

    @durable("poll.voted")
    async def on_vote(poll: Poll, account: Account, choices: list[int]) -> None:
        if not outbound():
            return
        status = await Status.get(id=poll.status_id)
        author = await Account.get(id=status.account_id)
        if account.local and not author.local:
            for choice in choices:
                vote_id = f"{account.uri}#votes/{snowflake()}"
                note = {"id": vote_id, "type": "Note", "name": poll.options[choice], "attributedTo": account.uri,
                        "to": [author.uri], "inReplyTo": status.uri}
                doc = serialize.activity("Create", f"{vote_id}/activity", account.uri or "", note, to=[author.uri or ""])
                await delivery.enqueue(node, account, doc, [_inbox(author)])
        elif author.local:
            await send_poll_update(node, poll)

    @durable("poll.ended")
    async def on_poll_ended(poll: Poll) -> None:
        if not outbound():
            return
        status = await Status.get(id=poll.status_id)
        if status.local:
            await send_poll_update(node, await Poll.get(id=poll.id))

    @durable("account.updated")
    async def on_profile(account: Account) -> None:
        if outbound() and account.local:
            await send_profile_update(node, account)

    @durable("account.deleted")
    async def on_account_deleted(account: Account, inboxes: list[str]) -> None:
        if outbound() and account.local:
            await send_account_delete(node, account, inboxes)

    @durable("account.moved")
    async def on_moved(account: Account, target: Account) -> None:
        if outbound() and account.local:
            await send_move(node, account, target)


async def send_flag(node: Node, report: Any, target: Account) -> None:
    """Forward a report to the reported account's server, from the instance actor (reporters stay anonymous)."""
    statuses = await Status.filter(id__in=report.status_ids).values_list("uri", flat=True) if report.status_ids else []
    doc = serialize.activity("Flag", f"{node.urls.base}/reports/{report.id}", f"{node.urls.base}/actor",
                             [target.uri, *statuses], content=report.comment)
    await delivery.enqueue(node, None, doc, [_inbox(target)])
