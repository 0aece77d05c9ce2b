"""Mastodon 4.3's notification policy: per account, what happens (accept, filter, drop) to notifications from
people it does not follow, people who do not follow it, new accounts, private mentions from strangers and
accounts on servers the admins limited; and the requests that filtered mentions roll up into, which the
account accepts (the sender's filtered notifications join the others, future ones pass) or dismisses.

`decide` is the one rule; the notification writer gathers its `Facts` (hand-written SQL on SQLite, the ORM
elsewhere) so a burst of notifications costs one statement each, not a dozen ORM round trips.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from ..errors import NotFound, ValidationFailed
from ..models import (
    Account,
    Notification,
    NotificationPermission,
    NotificationPolicy,
    NotificationRequest,
    row_id,
)
from ..models.notification import POLICY_ACTIONS
from ..runtime import Node

# The v2 policy fields, in Mastodon's order, with Mastodon's defaults (an account without a stored policy).
FIELDS = (
    "for_not_following",
    "for_not_followers",
    "for_new_accounts",
    "for_private_mentions",
    "for_limited_accounts",
)
DEFAULTS = {
    "for_not_following": "accept",
    "for_not_followers": "accept",
    "for_new_accounts": "accept",
    "for_private_mentions": "filter",
    "for_limited_accounts": "filter",
}
# v1 spoke booleans: filter_x true is for_x "filter"; false is "accept".
V1_FIELDS = {
    "filter_not_following": "for_not_following",
    "filter_not_followers": "for_not_followers",
    "filter_new_accounts": "for_new_accounts",
    "filter_private_mentions": "for_private_mentions",
}

# Notifications about the account's own things, or from staff, are never set aside (Mastodon's list).
UNFILTERABLE = frozenset({"poll", "update", "admin.sign_up", "admin.report"})
NEW_ACCOUNT_DAYS = 30
NEW_FOLLOWER_DAYS = 3  # a follow younger than this does not yet make someone a follower, for the policy
MEANINGFUL_COUNT = 100  # requests count their notifications up to this, as Mastodon's


@dataclass(frozen=True)
class Facts:
    """What the policy looks at, about one recipient and one sender."""

    policy: Mapping[str, str]
    permitted: bool  # the recipient accepted a request from this sender
    following: bool  # the recipient follows (or asked to follow) the sender
    follower_since: datetime | None  # when the sender started following the recipient
    sender_created_at: datetime
    sender_limited: bool  # the sender's server is silenced by the admins
    private_mention: bool  # a direct-visibility mention that is not a reply to the recipient
    from_staff: bool = False  # the sender is one of this node's admins


def decide(kind: str, facts: Facts, now: datetime) -> str:
    """accept, filter or drop a notification of `kind`: drop when any matching condition says drop,
    else filter when any says filter."""
    if kind in UNFILTERABLE or facts.permitted or (kind == "mention" and facts.from_staff):
        return "accept"  # as Mastodon: staff can always write to people here (welcomes, moderation notes)
    not_follower = facts.follower_since is None or facts.follower_since > now - timedelta(
        days=NEW_FOLLOWER_DAYS
    )
    matching = (
        ("for_limited_accounts", facts.sender_limited),
        ("for_not_following", not facts.following),
        ("for_not_followers", not_follower),
        ("for_new_accounts", facts.sender_created_at > now - timedelta(days=NEW_ACCOUNT_DAYS)),
        ("for_private_mentions", kind == "mention" and facts.private_mention and not facts.following),
    )
    actions = {facts.policy.get(name, DEFAULTS[name]) for name, applies in matching if applies}
    return "drop" if "drop" in actions else "filter" if "filter" in actions else "accept"


# ---- the policy ------------------------------------------------------------------------------------------------


async def policy_of(account: Account) -> dict[str, str]:
    row = await NotificationPolicy.filter(account_id=account.id).first()
    return {name: getattr(row, name) for name in FIELDS} if row is not None else dict(DEFAULTS)


async def update_policy(account: Account, changes: Mapping[str, str]) -> dict[str, str]:
    """Set some of the v2 fields (each accept, filter or drop); unknown values are refused, nothing stored."""
    for name, value in changes.items():
        if name not in FIELDS:
            raise ValidationFailed(f"Validation failed: Unknown policy field {name}")
        if value not in POLICY_ACTIONS:
            raise ValidationFailed(f"Validation failed: {name} must be one of {', '.join(POLICY_ACTIONS)}")
    current = await policy_of(account)
    current.update(changes)
    row, created = await NotificationPolicy.get_or_create(account_id=account.id, defaults=current)
    if not created and changes:
        await NotificationPolicy.filter(id=row.id).update(**current)
    return current


async def summary(account: Account) -> dict[str, int]:
    """Pending requests and the filtered notifications waiting in them."""
    requests = NotificationRequest.filter(account_id=account.id)
    counts = await requests.values_list("notifications_count", flat=True)
    return {"pending_requests_count": len(counts), "pending_notifications_count": sum(counts)}


# ---- requests --------------------------------------------------------------------------------------------------


async def requests_page(account: Account, page) -> list[NotificationRequest]:  # type: ignore[no-untyped-def]
    return page.arrange(await page.filter(NotificationRequest.filter(account_id=account.id)))


async def own_request(account: Account, request_id: int | str) -> NotificationRequest:
    key = row_id(request_id)
    row = await NotificationRequest.filter(id=key, account_id=account.id).first()
    if row is None:
        raise NotFound()
    return row


async def accept(node: Node, account: Account, requests: Sequence[NotificationRequest]) -> None:
    """The senders may notify the account from now on; what was filtered joins the other notifications
    (ungrouped, as Mastodon merges them) and open streams hear `notifications_merged`."""
    if not requests:
        return
    senders = [r.from_account_id for r in requests]
    async with in_transaction():
        for sender in senders:
            await NotificationPermission.get_or_create(account_id=account.id, from_account_id=sender)
        await Notification.filter(account_id=account.id, from_account_id__in=senders, filtered=True).update(
            filtered=False
        )
        await NotificationRequest.filter(id__in=[r.id for r in requests]).delete()
    await node.bus.publish("notifications.merged", account=account)


async def dismiss(account: Account, requests: Sequence[NotificationRequest]) -> None:
    """Forget the requests and the filtered notifications in them (future ones are filtered again)."""
    if not requests:
        return
    async with in_transaction():
        await Notification.filter(
            account_id=account.id, from_account_id__in=[r.from_account_id for r in requests], filtered=True
        ).delete()
        await NotificationRequest.filter(id__in=[r.id for r in requests]).delete()


async def requests_by_ids(account: Account, ids: Sequence[int]) -> list[NotificationRequest]:
    return list(await NotificationRequest.filter(account_id=account.id, id__in=list(ids))) if ids else []
