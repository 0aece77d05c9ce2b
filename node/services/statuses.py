"""Writing statuses: posting (with media, poll, reply, hashtags, mentions), editing with history,
deleting, and reading a thread's context. Counters on statuses and accounts are kept here.
"""

from __future__ import annotations

import asyncio
import hashlib
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from .. import effects
from ..errors import Forbidden, NotFound, ValidationFailed
from ..models import (
    Account,
    HomeFeedEntry,
    IdempotencyKey,
    MediaAttachment,
    Mention,
    Poll,
    Status,
    StatusEdit,
    StatusTag,
    snowflake,
)
from ..models.status import VISIBILITIES
from ..runtime import Node
from . import content, hashtags, places, polls, status_rows, visibility
from . import media as media_service

IDEMPOTENCY = timedelta(hours=1)  # as long as Mastodon remembers an Idempotency-Key
ANCESTORS_LIMIT = 40
DESCENDANTS_LIMIT = 4096
# Keyed posts being written right now, so a retry racing the first waits for it instead of posting again.
_in_flight: weakref.WeakKeyDictionary[Node, dict[tuple[int, str], asyncio.Future[int]]] = weakref.WeakKeyDictionary()


@dataclass
class Draft:
    """What a client asked to post or to change a status into, before validation."""

    text: str = ""
    spoiler_text: str = ""
    sensitive: bool = False
    visibility: str = "public"
    language: str | None = None
    media_ids: list[int] = field(default_factory=list)
    poll: object = None  # the raw `poll[...]` mapping
    in_reply_to_id: int | None = None
    place_id: object = None  # extension: tag the post with a known place ...
    location: object = None  # ... or with a new one, the raw `location[name|lat|lon]` mapping
    scheduled_status_id: int | None = None  # publishing a scheduled status: the media it holds are usable
    quoted_status_id: int | None = None  # Mastodon 4.5: the post this one quotes


@dataclass
class _Checked:
    rendered: content.Rendered
    media: list[MediaAttachment]
    poll: polls.PollSpec | None


async def _check(node: Node, account: Account, draft: Draft, *, status_id: int | None = None) -> _Checked:
    limit = node.config.node.max_post_chars
    if content.counted_length(draft.text) + len(draft.spoiler_text) > limit:
        raise ValidationFailed(f"Validation failed: Text character limit of {limit} exceeded")
    if draft.visibility not in VISIBILITIES:
        raise ValidationFailed(f"Validation failed: Visibility must be one of {', '.join(VISIBILITIES)}")
    if draft.language is not None and (len(draft.language) > 16 or not draft.language.replace("-", "").isalnum()):
        raise ValidationFailed("Validation failed: Language is not a language code")
    poll = polls.parse_poll(draft.poll)
    media = await media_service.attachable(account, draft.media_ids, status_id=status_id,
                                           scheduled_status_id=draft.scheduled_status_id)
    if poll is not None and media:
        raise ValidationFailed("Validation failed: A post cannot have both media attachments and a poll")
    if not draft.text.strip() and not media and poll is None:
        raise ValidationFailed("Validation failed: Text can't be blank")
    return _Checked(rendered=await content.render(node, draft.text), media=media, poll=poll)


def _tags_of(rendered: content.Rendered) -> dict[str, str]:
    return hashtags.names(rendered.tags)


async def _link_tags_and_mentions(status: Status, rendered: content.Rendered) -> None:
    await status_rows.link_tags(status, _tags_of(rendered))
    if rendered.mentions:
        await Mention.bulk_create([Mention(status_id=status.id, account_id=a.id) for a in rendered.mentions])


async def _attach_media(status: Status, media: Sequence[MediaAttachment]) -> None:
    for position, item in enumerate(media):
        await MediaAttachment.filter(id=item.id).update(status_id=status.id, position=position,
                                                        scheduled_status_id=None)


def _counts(status: Status) -> bool:
    """Whether the status counts in its author's statuses_count (direct messages do not)."""
    return status.visibility != "direct"


def _idempotency_key(key: str) -> str:
    return key if len(key) <= 255 else hashlib.sha256(key.encode()).hexdigest()


async def _remembered(account: Account, key: str) -> Status | None:
    """The status this account already posted with `key` within the hour, if it still exists."""
    since = datetime.now(UTC) - IDEMPOTENCY
    row = await IdempotencyKey.filter(account_id=account.id, key=key, created_at__gte=since).first()
    return await Status.filter(id=row.status_id).first() if row is not None else None


async def create_status(node: Node, account: Account, draft: Draft, *, application_id: int | None = None,
                        idempotency_key: str | None = None,
                        extend: Callable[[Status], Awaitable[None]] | None = None) -> Status:
    """Validate and store a new status with its media, poll, tags and mentions; then announce it.
    `extend` writes a feature's own rows (a Take's) in the same transaction, before the announcement.

    An Idempotency-Key is stored in the status's own transaction (so it survives a restart exactly when the
    status does): a retry within the hour answers the first status and creates nothing. A retry arriving
    while the first is still being written waits for it."""
    if not idempotency_key:
        return await _create(node, account, draft, application_id, extend)
    key = _idempotency_key(idempotency_key)
    writing = _in_flight.setdefault(node, {})
    # The check and the claim have no await between them, so of racing retries in this process exactly one
    # writes; the others wait for its future, which gets the status's id or is cancelled if that attempt
    # failed (asyncio.wait does not raise, so a waiter then tries afresh with its own request).
    while (first := writing.get((account.id, key))) is not None:
        await asyncio.wait([first])
        if not first.cancelled():
            if (status := await Status.filter(id=first.result()).first()) is not None:
                return status
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    writing[(account.id, key)] = future
    try:
        if (status := await _remembered(account, key)) is not None:
            future.set_result(status.id)
            return status
        await IdempotencyKey.filter(account_id=account.id, key=key,
                                    created_at__lt=datetime.now(UTC) - IDEMPOTENCY).delete()
        status = await _create(node, account, draft, application_id, extend, idempotency_key=key)
    except IntegrityError:
        future.cancel()
        if (status := await _remembered(account, key)) is not None:  # another process stored the key first
            return status
        raise
    except BaseException:
        future.cancel()
        raise
    finally:
        if writing.get((account.id, key)) is future:
            del writing[(account.id, key)]
    future.set_result(status.id)
    return status


async def _parent(account: Account, draft: Draft) -> Status | None:
    if draft.in_reply_to_id is None:
        return None
    try:
        parent = await visibility.visible_status(account, draft.in_reply_to_id)
    except NotFound:
        raise NotFound("The post you are trying to reply to does not appear to exist.") from None
    if parent.reblog_of_id is not None:
        raise NotFound("The post you are trying to reply to does not appear to exist.")
    return parent


async def check_draft(node: Node, account: Account, draft: Draft) -> polls.PollSpec | None:
    """Validate a draft as posting it would, without storing anything (scheduled statuses); its poll."""
    await _parent(account, draft)
    checked = await _check(node, account, draft)
    await node.plugins.ensure_allowed("may_post", account=account, text=draft.text, visibility=draft.visibility)
    return checked.poll


async def _create(node: Node, account: Account, draft: Draft, application_id: int | None,
                  extend: Callable[[Status], Awaitable[None]] | None = None, *,
                  idempotency_key: str | None = None) -> Status:
    parent = await _parent(account, draft)
    checked = await _check(node, account, draft)
    await node.plugins.ensure_allowed("may_post", account=account, text=draft.text, visibility=draft.visibility)
    place = await places.place_for_post(node, account, draft.place_id, draft.location)
    now = node.clock.now()
    status_id = snowflake()
    status = Status(id=status_id, account=account, local=True, uri=node.urls.status_uri(account.username, status_id),
                    url=node.urls.status_page(account.username, status_id), text=draft.text,
                    content=checked.rendered.html, spoiler_text=draft.spoiler_text,
                    sensitive=draft.sensitive or bool(draft.spoiler_text), visibility=draft.visibility,
                    language=draft.language, in_reply_to_id=parent.id if parent else None,
                    in_reply_to_account_id=parent.account_id if parent else None,
                    application_id=application_id, created_at=now)
    tags, mentioned = _tags_of(checked.rendered), [a.id for a in checked.rendered.mentions]
    also = [IdempotencyKey(account_id=account.id, key=idempotency_key, status_id=status_id, created_at=now)
            ] if idempotency_key else []
    if checked.media or checked.poll is not None or place is not None or extend is not None:
        async with in_transaction():
            caused = await status_rows.store(node, status, tags, mentioned, counts=_counts(status), also=also)
            await _attach_media(status, checked.media)
            if checked.poll is not None:
                await checked.poll.build(status, now).save()
            if place is not None:
                await places.link(status, place)
            if extend is not None:
                await extend(status)
    else:  # plain text, the usual post: one write shared with concurrent posts
        caused = await status_rows.store(node, status, tags, mentioned, counts=_counts(status), also=also)
    if _counts(status):
        account.statuses_count += 1
        account.last_status_at = now
    await status_rows.announce(node, status, caused)
    return status


async def own_status(account: Account, status_id: int | str) -> Status:
    """A status the account may change: 404 if unknown or invisible, 403 if visible but someone else's."""
    status = await visibility.visible_status(account, status_id)
    if status.account_id != account.id:
        raise Forbidden("This action is not allowed")
    return status


def _snapshot(status: Status, media_ids: list[int], poll: Poll | None, at: datetime) -> StatusEdit:
    return StatusEdit(status_id=status.id, content=status.content, spoiler_text=status.spoiler_text,
                      sensitive=status.sensitive, media_ids=media_ids,
                      poll_options=list(poll.options) if poll is not None else None, created_at=at)


async def edit_status(node: Node, account: Account, status_id: int | str, draft: Draft,
                      extend: Callable[[Status], Awaitable[None]] | None = None) -> Status:
    """Change a status's text, warning, media and poll; every revision is kept for its history. `extend`
    writes a feature's own rows in the same transaction, before the announcement (as for create_status)."""
    status = await own_status(account, status_id)
    if status.reblog_of_id is not None:
        raise NotFound()
    draft.visibility = status.visibility  # an edit cannot change who may see the status
    checked = await _check(node, account, draft, status_id=status.id)
    old_media = await MediaAttachment.filter(status_id=status.id).order_by("position", "id")
    old_poll = await Poll.filter(status_id=status.id).first()
    now = datetime.now(UTC)
    keep_poll = (old_poll is not None and checked.poll is not None and old_poll.options == checked.poll.options
                 and old_poll.multiple == checked.poll.multiple)
    async with in_transaction():
        if not await StatusEdit.filter(status_id=status.id).exists():
            await _snapshot(status, [m.id for m in old_media], old_poll, status.created_at).save()
        status.text = draft.text
        status.content = checked.rendered.html
        status.spoiler_text = draft.spoiler_text
        status.sensitive = draft.sensitive or bool(draft.spoiler_text)
        if draft.language is not None:
            status.language = draft.language
        status.edited_at = now
        await status.save(update_fields=["text", "content", "spoiler_text", "sensitive", "language", "edited_at"])
        dropped = [m.id for m in old_media if m.id not in {n.id for n in checked.media}]
        if dropped:
            await MediaAttachment.filter(id__in=dropped).update(status_id=None)
        await _attach_media(status, checked.media)
        new_poll = old_poll if keep_poll else None
        if not keep_poll:
            if old_poll is not None:
                await old_poll.delete()
            if checked.poll is not None:
                new_poll = checked.poll.build(status)
                await new_poll.save()
        await StatusTag.filter(status_id=status.id).delete()
        await Mention.filter(status_id=status.id).delete()
        await _link_tags_and_mentions(status, checked.rendered)
        await _snapshot(status, [m.id for m in checked.media], new_poll, now).save()
        if extend is not None:
            await extend(status)
        effect = await effects.record(node, "status.updated", status=status)
    await effects.announce(node, "status.updated", effect, status=status)
    return status


async def delete_status(node: Node, status: Status) -> None:
    """Remove a status (or a reblog) with what hangs off it, fix the counters, then announce it."""
    author_id = status.account_id
    media = await MediaAttachment.filter(status_id=status.id)
    reblogs = await Status.filter(reblog_of_id=status.id).values_list("id", "account_id", "visibility")
    account = await Account.get(id=author_id)
    name, payload = (("reblog.deleted", {"status": status}) if status.reblog_of_id is not None
                     else ("status.deleted", {"status": status, "account": account}))
    async with in_transaction():
        effect = await effects.record(node, name, **payload)
        if reblogs:  # the database cascades reblogs away; their feed rows and counters are ours to fix
            await HomeFeedEntry.filter(status_id__in=[r[0] for r in reblogs]).delete()
            for _, reblogger, _ in reblogs:
                await Account.filter(id=reblogger, statuses_count__gt=0).update(
                    statuses_count=F("statuses_count") - 1)
        await MediaAttachment.filter(status_id=status.id).delete()
        await status.delete()
        if _counts(status):
            await Account.filter(id=author_id, statuses_count__gt=0).update(statuses_count=F("statuses_count") - 1)
        if status.in_reply_to_id is not None:
            await Status.filter(id=status.in_reply_to_id, replies_count__gt=0).update(
                replies_count=F("replies_count") - 1)
        if status.reblog_of_id is not None:
            await Status.filter(id=status.reblog_of_id, reblogs_count__gt=0).update(
                reblogs_count=F("reblogs_count") - 1)
    await media_service.delete_files(node, media)
    await effects.announce(node, name, effect, **payload)


async def context(viewer: Account | None, status: Status) -> tuple[list[Status], list[Status]]:
    """Ancestors (oldest first) and descendants (in thread order) that the viewer may see."""
    ancestors: list[Status] = []
    parent_id = status.in_reply_to_id
    while parent_id is not None and len(ancestors) < ANCESTORS_LIMIT:
        parent = await Status.filter(id=parent_id).first()
        if parent is None:
            break
        ancestors.append(parent)
        parent_id = parent.in_reply_to_id
    ancestors.reverse()
    children: dict[int, list[Status]] = {}
    frontier = [status.id]
    found = 0
    while frontier and found < DESCENDANTS_LIMIT:
        replies = await Status.filter(in_reply_to_id__in=frontier).order_by("id").limit(DESCENDANTS_LIMIT - found)
        for reply in replies:
            children.setdefault(reply.in_reply_to_id, []).append(reply)  # type: ignore[arg-type]
        found += len(replies)
        frontier = [r.id for r in replies]
    descendants: list[Status] = []
    stack = list(reversed(children.get(status.id, [])))
    while stack:  # depth first, so each reply follows the one it answers
        current = stack.pop()
        descendants.append(current)
        stack.extend(reversed(children.get(current.id, [])))
    return await visibility.visible(viewer, ancestors), await visibility.visible(viewer, descendants)


async def history(status: Status) -> list[StatusEdit]:
    """Every revision, oldest first; a never-edited status has one, its current text."""
    edits = await StatusEdit.filter(status_id=status.id).order_by("created_at", "id")
    if edits:
        return list(edits)
    media_ids = await MediaAttachment.filter(status_id=status.id).order_by("position", "id").values_list(
        "id", flat=True)
    poll = await Poll.filter(status_id=status.id).first()
    return [_snapshot(status, list(media_ids), poll, status.created_at)]
