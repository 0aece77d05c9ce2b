"""One handler per inbound activity type, registered on the node's ActivityRegistry: follows and their
answers, content (Create/Update/Delete), shares, likes and reactions, blocks, moves, reports, actor
updates, poll votes. Each checks that the signer may do what the activity claims."""

from __future__ import annotations

import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from federation.as2 import (
    InvalidActorError,
    ParsedActivity,
    author_of,
    id_of,
    parse_actor,
    type_of,
    visibility_of,
)
from federation.inbox import ActivityRegistry

from ..errors import BadRequest, Forbidden, NotFound
from ..models import (
    Account,
    Block,
    Favourite,
    Follow,
    FollowRequest,
    Poll,
    PollVote,
    Report,
    Status,
    StatusQuote,
)
from ..services import moves, relationships
from ..services import statuses as status_service
from . import featured, ingest, moderation, outbox, state, tombstones
from .actors import fetch_actor, host_of, upsert_actor

if TYPE_CHECKING:
    from ..runtime import Node

log = logging.getLogger(__name__)
_CORE: list[tuple[str, str | None, Any]] = []


class _Table:
    """Collects the core handlers; each node builds its own registry from them (plus its plugins')."""

    def on(self, kind: str, object_type: str | None = None) -> Any:
        def register(handler: Any) -> Any:
            _CORE.append((kind, object_type, handler))
            return handler

        return register


registry = _Table()


async def build_registry(node: Node) -> ActivityRegistry[Any]:
    """The core handlers, then the plugins' (a plugin may narrow a type by object type, e.g. Create of its
    own objects, but not replace a core handler)."""
    table: ActivityRegistry[Any] = ActivityRegistry()
    for kind, object_type, handler in _CORE:
        table.on(kind, object_type)(handler)
    for (kind, object_type), handler in (await node.plugins.activity_handlers()).items():
        try:
            table.on(kind, object_type)(handler)
        except ValueError:
            log.warning("a plugin's handler for %s/%s is ignored: the core handles it", kind, object_type)
    table.fallback(on_unknown)
    return table


# The actors already looked up by this lane of the inbox queue, which applies one actor's activities in a
# row (inbox.run_once sets it): a burst of notes from one account reads its row once, not once per note.
# Only the actor's own Update or Delete changes what handlers read from it (id, uri, followers), and
# both drop the entry.
LANE_ACTORS: ContextVar[dict[str, Account] | None] = ContextVar("entativa_lane_actors", default=None)


async def _actor(node: Node, uri: str) -> Account:
    known = LANE_ACTORS.get()
    if known is None:
        return await fetch_actor(node, uri)
    if (account := known.get(uri)) is None:
        account = known[uri] = await fetch_actor(node, uri)
    return account


def _forget_actor(uri: str) -> None:
    if (known := LANE_ACTORS.get()) is not None:
        known.pop(uri, None)


async def _local(node: Node, uri: str | None) -> Account:
    account = await Account.filter(uri=uri, domain="").first() if uri else None
    if account is None:
        raise NotFound(f"{uri} is not an actor on this server")
    return account


def _object_field(activity: ParsedActivity, name: str) -> str | None:
    return id_of(activity.object.get(name)) if activity.object is not None else None


# ---- follows ----------------------------------------------------------------------------------------------


@registry.on("Follow")
async def on_follow(activity: ParsedActivity, node: Node) -> None:
    target = await _local(node, activity.object_id)
    follower = await _actor(node, activity.actor)
    try:
        result = await relationships.follow(node, follower, target)
    except Forbidden:  # blocked either way, or a plugin said no
        await outbox.send_reject(node, follower, target, activity.id)
        return
    if activity.id and result.uri != activity.id:
        result.uri = activity.id[:1024]
        await result.save(update_fields=["uri"])
    if isinstance(result, Follow):
        await outbox.send_accept(node, follower, target, activity.id)


async def _request_answered(activity: ParsedActivity, node: Node) -> tuple[Account, FollowRequest | None, Follow | None]:
    remote = await _actor(node, activity.actor)
    follower_uri = _object_field(activity, "actor")
    query = {"target_account_id": remote.id}
    request = None
    if activity.object_id:
        request = await FollowRequest.filter(uri=activity.object_id, **query).first()
    if request is None and follower_uri:
        follower = await Account.filter(uri=follower_uri, domain="").first()
        if follower is not None:
            request = await FollowRequest.filter(account_id=follower.id, **query).first()
    follow = None
    if request is None:
        follow = await Follow.filter(uri=activity.object_id, **query).first() if activity.object_id else None
        if follow is None and follower_uri:
            follow = await Follow.filter(account__uri=follower_uri, **query).first()
    return remote, request, follow


@registry.on("Accept")
async def on_accept(activity: ParsedActivity, node: Node) -> None:
    from .quote_requests import answered  # an Accept of a QuoteRequest we named by id (quote_requests.py)

    if await answered(node, activity, True):
        return
    remote, request, _ = await _request_answered(activity, node)
    if request is not None:
        await relationships.authorize_request(node, remote, request.account_id)


@registry.on("Reject")
async def on_reject(activity: ParsedActivity, node: Node) -> None:
    from .quote_requests import answered

    if await answered(node, activity, False):
        return
    remote, request, follow = await _request_answered(activity, node)
    if request is not None:
        await relationships.reject_request(node, remote, request.account_id)
    elif follow is not None:
        await relationships.unfollow(node, await Account.get(id=follow.account_id), remote)


# ---- undo -------------------------------------------------------------------------------------------------


@registry.on("Undo")
async def on_undo(activity: ParsedActivity, node: Node) -> None:
    actor = await _actor(node, activity.actor)
    inner_type = activity.object_type
    inner_object = _object_field(activity, "object")
    if activity.object is not None and id_of(activity.object.get("actor")) not in (None, activity.actor):
        raise Forbidden("an actor may only undo its own activities")
    if inner_type in (None, "Like", "EmojiReact"):
        favourite = await Favourite.filter(uri=activity.object_id, account_id=actor.id).first() if activity.object_id else None
        if favourite is None and inner_object:
            favourite = await Favourite.filter(account_id=actor.id, status__uri=inner_object).first()
        if favourite is not None:
            await _unfavourite(node, favourite)
            return
    if inner_type in (None, "Announce"):
        reblog = await Status.filter(uri=activity.object_id, account_id=actor.id,
                                     reblog_of_id__not_isnull=True).first() if activity.object_id else None
        if reblog is not None:
            await status_service.delete_status(node, reblog)
            return
    if inner_type in (None, "Follow"):
        follow = await Follow.filter(uri=activity.object_id, account_id=actor.id).first() if activity.object_id else None
        request = await FollowRequest.filter(uri=activity.object_id, account_id=actor.id).first() if activity.object_id else None
        target_id = (follow or request).target_account_id if (follow or request) else None
        if target_id is None and inner_object:
            target = await Account.filter(uri=inner_object, domain="").first()
            target_id = target.id if target else None
        if target_id is not None:
            await relationships.unfollow(node, actor, await Account.get(id=target_id))
            return
    if inner_type in (None, "Block") and inner_object:
        target = await Account.filter(uri=inner_object, domain="").first()
        if target is not None:
            await relationships.unblock(node, actor, target)


async def _unfavourite(node: Node, favourite: Favourite) -> None:
    async with in_transaction():
        deleted = await Favourite.filter(id=favourite.id).delete()
        if deleted:
            await Status.filter(id=favourite.status_id, favourites_count__gt=0).update(
                favourites_count=F("favourites_count") - 1)
    if deleted:
        await node.bus.publish("favourite.deleted", favourite=favourite)


# ---- content ----------------------------------------------------------------------------------------------


def _attributed(activity: ParsedActivity) -> None:
    if activity.object is None:
        return
    author = author_of(activity.object)
    if author is not None and author != activity.actor:
        raise Forbidden("the activity's actor is not the object's author")


@registry.on("Create")
async def on_create(activity: ParsedActivity, node: Node) -> Any:
    actor = await _actor(node, activity.actor)
    if activity.object is None:
        if activity.object_id and host_of(activity.object_id) == host_of(activity.actor):
            return await ingest.fetch_status(node, activity.object_id)
        raise BadRequest("Create needs an object")
    _attributed(activity)
    obj = activity.object
    if await tombstones.is_gone(id_of(obj)):
        return None  # deleted before this (late or replayed) Create arrived
    if (type_of(obj) == "Note" and obj.get("name") and not obj.get("content")
            and (parent := await Status.filter(uri=id_of(obj.get("inReplyTo")), local=True).first()) is not None):
        return await _vote(node, actor, parent, str(obj["name"]), id_of(obj))
    return await ingest.create_status(node, actor, dict(obj))


async def _vote(node: Node, voter: Account, status: Status, choice_name: str, uri: str | None) -> None:
    poll = await Poll.filter(status_id=status.id).first()
    if poll is None or choice_name not in poll.options:
        raise BadRequest("not a vote in one of our polls")
    if poll.expires_at is not None and poll.expires_at <= datetime.now(UTC):
        raise BadRequest("the poll has ended")
    choice = poll.options.index(choice_name)
    async with in_transaction():
        earlier = set(await PollVote.filter(poll_id=poll.id, account_id=voter.id).values_list("choice", flat=True))
        if choice in earlier or (earlier and not poll.multiple):
            return
        await PollVote.create(poll_id=poll.id, account_id=voter.id, choice=choice, uri=uri)
        fresh = await Poll.get(id=poll.id)
        tallies = list(fresh.cached_tallies)
        tallies[choice] += 1
        await Poll.filter(id=poll.id).update(cached_tallies=tallies, votes_count=F("votes_count") + 1,
                                             voters_count=F("voters_count") + (0 if earlier else 1))
    poll = await Poll.get(id=poll.id)
    await node.bus.publish("poll.voted", poll=poll, account=voter, choices=[choice])
    await outbox.send_poll_update(node, poll)


@registry.on("Update")
async def on_update(activity: ParsedActivity, node: Node) -> None:
    obj = activity.object
    if obj is None:
        return
    if activity.object_id == activity.actor:
        _forget_actor(activity.actor)
        try:
            account = await upsert_actor(node, parse_actor(obj))
        except InvalidActorError as exc:
            raise BadRequest(str(exc)) from None
        await featured.read_remote(node, account)  # as Mastodon refreshes pins with the profile
        return
    if type_of(obj) in ingest.CONTENT_TYPES and not await tombstones.is_gone(activity.object_id):
        _attributed(activity)
        author = await _actor(node, activity.actor)
        await ingest.update_status(node, author, dict(obj))


@registry.on("Delete")
async def on_delete(activity: ParsedActivity, node: Node) -> None:
    if activity.object_id == activity.actor:
        _forget_actor(activity.actor)
        account = await Account.filter(uri=activity.actor).exclude(domain="").first()
        if account is not None:
            await tombstones.purge_account(node, account)
        return
    status = await Status.filter(uri=activity.object_id).first() if activity.object_id else None
    if status is None:
        # Remember it anyway (as Mastodon does), so a Create arriving after its Delete stays deleted.
        if activity.object_id and host_of(activity.object_id) == host_of(activity.actor):
            # Mastodon 4.5 revokes a quote its author approved by deleting the QuoteAuthorization
            await StatusQuote.filter(approval_uri=activity.object_id).update(state="revoked")
            await tombstones.bury(activity.object_id, None, activity.object_type or "Note")
        return
    author = await Account.get(id=status.account_id)
    if author.uri != activity.actor:
        raise Forbidden("only the author may delete a status")
    await tombstones.delete_status(node, status)


# ---- shares, likes, reactions ---------------------------------------------------------------------------------


@registry.on("Announce")
async def on_announce(activity: ParsedActivity, node: Node) -> None:
    actor = await _actor(node, activity.actor)
    if not activity.object_id or not activity.id:
        raise BadRequest("Announce needs an id and an object")
    shared = activity.object_id
    if activity.object is not None and type_of(activity.object) in ("Create", "Update"):
        # Some servers (relays, Friendica, Lemmy groups) boost the Create itself: share what it created.
        shared = id_of(activity.object.get("object"))
    if not shared or await Status.filter(uri=activity.id).exists() or await tombstones.is_gone(shared):
        return
    # By id from its own server: an embedded copy from the booster is not the author's word.
    original = await ingest.fetch_status(node, shared)
    if original.visibility not in ("public", "unlisted") or original.reblog_of_id is not None:
        raise Forbidden("that status cannot be shared")
    visibility = visibility_of(activity.audience, followers=actor.followers_url or None, actor=actor.uri)
    now = datetime.now(UTC)
    reblog = Status(account=actor, local=False, uri=activity.id[:1024], url=activity.id[:1024],
                    visibility=visibility if visibility != "direct" else "private", reblog_of=original,
                    created_at=now)
    async with in_transaction():
        await reblog.save(force_create=True)
        await Status.filter(id=original.id).update(reblogs_count=F("reblogs_count") + 1)
        await Account.filter(id=actor.id).update(statuses_count=F("statuses_count") + 1, last_status_at=now)
    await node.bus.publish("reblog.created", status=reblog)


@registry.on("Like")
@registry.on("EmojiReact")
async def on_like(activity: ParsedActivity, node: Node) -> None:
    actor = await _actor(node, activity.actor)
    status = await Status.filter(uri=activity.object_id).first() if activity.object_id else None
    if status is None:
        return  # a like of something we never stored is of no use to anyone here
    if await Favourite.filter(account_id=actor.id, status_id=status.id).exists():
        return
    try:
        async with in_transaction():
            row = await Favourite.create(account_id=actor.id, status_id=status.id,
                                         uri=(activity.id or None) and activity.id[:1024])
            await Status.filter(id=status.id).update(favourites_count=F("favourites_count") + 1)
    except IntegrityError:
        return
    row.status = status
    await node.bus.publish("favourite.created", favourite=row)


# ---- blocks, moves, reports ------------------------------------------------------------------------------------


@registry.on("Block")
async def on_block(activity: ParsedActivity, node: Node) -> None:
    actor = await _actor(node, activity.actor)
    target = await _local(node, activity.object_id)
    if not await Block.filter(account_id=actor.id, target_account_id=target.id).exists():
        block = await relationships.block(node, actor, target)
        if activity.id:
            await Block.filter(id=block.id).update(uri=activity.id[:1024])


@registry.on("Move")
async def on_move(activity: ParsedActivity, node: Node) -> None:
    """Followers of the old account follow the new one, if the new one names the old as an alias."""
    if activity.object_id != activity.actor or not activity.target:
        raise BadRequest("Move must move its own actor to a target")
    origin = await _actor(node, activity.actor)
    fed = state.of(node)
    await moderation.ensure_not_suspended(host_of(activity.target))
    target_doc = parse_actor(await fed.client.get_activity(activity.target, sign_with=fed.instance_key))
    if origin.uri not in target_doc.also_known_as:
        raise Forbidden("the target does not list the moved account in alsoKnownAs")
    target = await upsert_actor(node, target_doc)
    await moves.remote_moved(origin, target)
    token = state.INBOUND.set(False)  # these follows are our users' own: they federate as usual
    try:
        await moves.move_followers(node, origin, target)
    finally:
        state.INBOUND.reset(token)


@registry.on("Flag")
async def on_flag(activity: ParsedActivity, node: Node) -> None:
    reporter = await _actor(node, activity.actor)
    base = node.urls.base + "/"
    local_uris = [o for o in activity.objects if o.startswith(base)]
    target = await Account.filter(uri__in=local_uris, domain="").first() if local_uris else None
    statuses = await Status.filter(uri__in=local_uris) if local_uris else []
    if target is None and statuses:
        target = await Account.get(id=statuses[0].account_id)
    if target is None:
        raise NotFound("the report names nobody on this server")
    comment = activity.raw.get("content")
    if activity.id and await Report.filter(uri=activity.id).exists():
        return
    await moderation.file_report(reporter, target, status_ids=[s.id for s in statuses if s.account_id == target.id],
                                 comment=comment[:1000] if isinstance(comment, str) else "", uri=activity.id)


async def on_unknown(activity: ParsedActivity, node: Node) -> None:
    """Types we do not handle (Add, Remove, Read...) are kept in the inbox table and otherwise ignored."""
    return None
