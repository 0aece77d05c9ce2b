"""Deletes that stay deleted. A remote actor's Delete of itself purges what we hold of it (its posts with
their media, its favourites, boosts, votes, follows, blocks, mutes and notifications), not only hides it;
every deleted id (its posts, the actor, and our own deleted posts) is kept as a Tombstone, so a late or
replayed Create never brings it back, we never fetch it again, and our own answer 410 with a Tombstone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from ..models import (
    Account,
    Block,
    Favourite,
    Follow,
    FollowRequest,
    Mute,
    Notification,
    Poll,
    PollVote,
    Status,
    Tombstone,
)
from ..services import media as media_service
from ..services import statuses as status_service

if TYPE_CHECKING:
    from ..runtime import Node

BATCH = 100


async def is_gone(uri: str | None) -> bool:
    return bool(uri) and await Tombstone.filter(uri=uri).exists()


async def bury(uri: str | None, account_id: int | None, former_type: str = "Note") -> None:
    if uri:
        await Tombstone.get_or_create(
            uri=uri[:1024], defaults={"account_id": account_id, "former_type": former_type[:32]}
        )


async def gone_document(uri: str) -> dict[str, Any] | None:
    """The Tombstone we answer for one of our deleted ids."""
    row = await Tombstone.filter(uri=uri).first()
    if row is None:
        return None
    return {
        "id": row.uri,
        "type": "Tombstone",
        "formerType": row.former_type,
        "deleted": row.deleted_at.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
    }


async def delete_status(node: Node, status: Status) -> None:
    """A post deleted by its author: gone, and remembered as gone."""
    if status.reblog_of_id is None:
        await bury(status.uri, status.account_id)
    await status_service.delete_status(node, status)


async def purge_account(node: Node, account: Account) -> None:
    """Everything a deleted remote actor left here goes; the account row stays, suspended and emptied, so
    ids pointing at it resolve to nothing and it is not fetched again."""
    await bury(account.uri, account.id, "Person")
    while batch := await Status.filter(account_id=account.id).order_by("id").limit(BATCH):
        for status in batch:
            await delete_status(node, status)
    for favourite in await Favourite.filter(account_id=account.id):
        async with in_transaction():
            if await Favourite.filter(id=favourite.id).delete():
                await Status.filter(id=favourite.status_id, favourites_count__gt=0).update(
                    favourites_count=F("favourites_count") - 1
                )
    await _withdraw_votes(account)
    async with in_transaction():
        for follow in await Follow.filter(account_id=account.id):
            await follow.delete()
            await Account.filter(id=follow.target_account_id, followers_count__gt=0).update(
                followers_count=F("followers_count") - 1
            )
        for follow in await Follow.filter(target_account_id=account.id):
            await follow.delete()
            await Account.filter(id=follow.account_id, following_count__gt=0).update(
                following_count=F("following_count") - 1
            )
        for model in (FollowRequest, Block, Mute):
            await model.filter(account_id=account.id).delete()
            await model.filter(target_account_id=account.id).delete()
        await Notification.filter(from_account_id=account.id).delete()
        await Account.filter(id=account.id).update(
            suspended_at=datetime.now(UTC),
            display_name="",
            note="",
            avatar="",
            header="",
            avatar_file="",
            header_file="",
            images_state="",
            images_fetch_after=None,
            fields_json=[],
            statuses_count=0,
            followers_count=0,
            following_count=0,
        )
    await media_service.remove_files(node, [p for p in (account.avatar_file, account.header_file) if p])


async def _withdraw_votes(account: Account) -> None:
    """Their votes leave the tallies of the polls they voted in."""
    votes = await PollVote.filter(account_id=account.id)
    for poll_id in {v.poll_id for v in votes}:
        async with in_transaction():
            poll = await Poll.get(id=poll_id)
            choices = [v.choice for v in votes if v.poll_id == poll_id]
            tallies = list(poll.cached_tallies)
            for choice in choices:
                if 0 <= choice < len(tallies) and tallies[choice] > 0:
                    tallies[choice] -= 1
            await PollVote.filter(poll_id=poll_id, account_id=account.id).delete()
            await Poll.filter(id=poll_id).update(
                cached_tallies=tallies,
                votes_count=max(0, poll.votes_count - len(choices)),
                voters_count=max(0, poll.voters_count - 1),
            )


def subscribe(node: Node) -> None:
    """Our own deleted posts are remembered too, so their URLs answer 410 Gone."""

    @node.bus.on("status.deleted")
    async def on_deleted(status: Status, account: Account) -> None:
        if status.local and status.reblog_of_id is None:
            await bury(status.uri or node.urls.status_uri(account.username, status.id), account.id)
