"""Lists (Mastodon's): an account's named groups of accounts it follows. A list's timeline is read from the
members' statuses as its replies_policy allows; an exclusive list's members leave the owner's home timeline.

Members must be followed (or asked to be followed); unfollowing takes them off the owner's lists.
"""

from __future__ import annotations

from tortoise.expressions import F, Q, Subquery
from tortoise.queryset import QuerySet

from ..errors import NotFound, ValidationFailed
from ..models import Account, Follow, FollowRequest, List, ListAccount, Status, row_id
from ..models.list import REPLIES_POLICIES
from ..runtime import Node
from . import visibility
from .paging import Page

LIMIT = 50  # lists per account, as Mastodon
TITLE_LIMIT = 256


def _title(title: str | None) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationFailed("Validation failed: Title can't be blank")
    if len(title) > TITLE_LIMIT:
        raise ValidationFailed(f"Validation failed: Title is too long (maximum is {TITLE_LIMIT} characters)")
    return title


def _policy(policy: str | None, default: str) -> str:
    policy = policy or default
    if policy not in REPLIES_POLICIES:
        raise ValidationFailed(
            f"Validation failed: Replies policy must be one of {', '.join(REPLIES_POLICIES)}"
        )
    return policy


async def owned(account: Account) -> list[List]:
    return list(await List.filter(account_id=account.id).order_by("id"))


async def own(account: Account, list_id: int | str) -> List:
    """One of the account's lists; someone else's is unknown (404), as Mastodon answers."""
    key = row_id(list_id)
    found = await List.filter(id=key, account_id=account.id).first()
    if found is None:
        raise NotFound()
    return found


async def create(account: Account, title: str | None, replies_policy: str | None, exclusive: bool) -> List:
    made = List(
        account_id=account.id,
        title=_title(title),
        replies_policy=_policy(replies_policy, "list"),
        exclusive=exclusive,
    )
    if await List.filter(account_id=account.id).count() >= LIMIT:
        raise ValidationFailed("Validation failed: You have reached the maximum number of lists")
    await made.save()
    return made


async def update(
    account: Account,
    list_id: int | str,
    title: str | None,
    replies_policy: str | None,
    exclusive: bool | None,
) -> List:
    found = await own(account, list_id)
    if title is not None:
        found.title = _title(title)
    found.replies_policy = _policy(replies_policy, found.replies_policy)
    if exclusive is not None:
        found.exclusive = exclusive
    await found.save(update_fields=["title", "replies_policy", "exclusive"])
    return found


async def delete(account: Account, list_id: int | str) -> None:
    await (await own(account, list_id)).delete()


async def members(account: Account, list_id: int | str, page: Page | None) -> tuple[list[Account], list[int]]:
    """The list's accounts (all of them when page is None, as `limit=0` asks), with the row keys paged on."""
    found = await own(account, list_id)
    query = ListAccount.filter(list_id=found.id, account__suspended_at=None)
    rows = list(await (page.filter(query) if page else query.order_by("id")).values_list("id", "account_id"))
    if page:
        rows = page.arrange(rows)
    accounts = {a.id: a for a in await Account.filter(id__in=[a for _, a in rows])} if rows else {}
    return [accounts[a] for _, a in rows if a in accounts], [r for r, _ in rows]


async def add_members(account: Account, list_id: int | str, account_ids: list[int]) -> None:
    """Add followed accounts (Mastodon: 404 for one not followed, 422 for one already there)."""
    found = await own(account, list_id)
    if not account_ids:
        raise ValidationFailed("Missing parameter: account_ids")
    wanted = list(dict.fromkeys(account_ids))
    followed = set(
        await Follow.filter(account_id=account.id, target_account_id__in=wanted).values_list(
            "target_account_id", flat=True
        )
    )
    followed |= set(
        await FollowRequest.filter(account_id=account.id, target_account_id__in=wanted).values_list(
            "target_account_id", flat=True
        )
    )
    if set(wanted) - followed:
        raise NotFound()
    if await ListAccount.filter(list_id=found.id, account_id__in=wanted).exists():
        raise ValidationFailed("Validation failed: Account has already been taken")
    await ListAccount.bulk_create([ListAccount(list_id=found.id, account_id=a) for a in wanted])


async def remove_members(account: Account, list_id: int | str, account_ids: list[int]) -> None:
    found = await own(account, list_id)
    await ListAccount.filter(list_id=found.id, account_id__in=account_ids).delete()


async def lists_with(account: Account, member_id: int | str) -> list[List]:
    """The caller's lists that hold an account (GET /api/v1/accounts/:id/lists)."""
    key = row_id(member_id)
    if not await Account.filter(id=key, suspended_at=None).exists():
        raise NotFound()
    return list(await List.filter(account_id=account.id, members__account_id=key).order_by("id"))


def _lists_of(owner_id: int, **where: object) -> Subquery:
    return Subquery(List.filter(account_id=owner_id, **where).values("id"))


async def has_exclusive(owner_id: int) -> bool:
    return await List.filter(account_id=owner_id, exclusive=True).exists()


def exclusive_members(owner_id: int) -> Subquery:
    """Accounts on the owner's exclusive lists: their posts stay out of the owner's home timeline."""
    return Subquery(ListAccount.filter(list_id__in=_lists_of(owner_id, exclusive=True)).values("account_id"))


async def excluding_from_home(author_id: int, readers: set[int]) -> set[int]:
    """The readers who have the author on an exclusive list: exclusive_members seen from the author's side,
    for the home stream."""
    if not readers:
        return set()
    owners = ListAccount.filter(account_id=author_id, list__exclusive=True, list__account_id__in=list(readers))
    return set(await owners.values_list("list__account_id", flat=True))


def _replies_allowed(found: List, query: QuerySet) -> QuerySet:
    own_thread = Q(in_reply_to_id=None) | Q(in_reply_to_account_id=F("account_id"))
    if found.replies_policy == "none":
        return query.filter(own_thread)
    if found.replies_policy == "list":
        to = Subquery(ListAccount.filter(list_id=found.id).values("account_id"))
    else:  # followed
        to = Subquery(Follow.filter(account_id=found.account_id).values("target_account_id"))
    return query.filter(
        own_thread | Q(in_reply_to_account_id=found.account_id) | Q(in_reply_to_account_id__in=to)
    )


async def shows(found: List, status: Status) -> bool:
    """Whether a member's status belongs in the list's timeline (its replies_policy; for the list stream)."""
    query = Status.filter(id=status.id, account_id__in=Subquery(ListAccount.filter(list_id=found.id).values("account_id")))
    return await _replies_allowed(found, query).exists()


async def timeline(viewer: Account, list_id: int | str, page: Page) -> tuple[list[Status], list[int]]:
    """The list's timeline: its members' statuses and boosts that the owner may see, newest first."""
    found = await own(viewer, list_id)
    query = Status.filter(account_id__in=Subquery(ListAccount.filter(list_id=found.id).values("account_id")))
    rows = page.arrange(await page.filter(_replies_allowed(found, query)))
    return await visibility.visible(viewer, rows, hide_muted=True), [s.id for s in rows]


def subscribe(node: Node) -> None:
    @node.bus.on("follow.deleted")
    async def on_unfollow(account: Account, target: Account) -> None:
        await ListAccount.filter(list_id__in=_lists_of(account.id), account_id=target.id).delete()

    @node.bus.on("follow.rejected")
    async def on_rejected(request: FollowRequest) -> None:
        await ListAccount.filter(
            list_id__in=_lists_of(request.account_id), account_id=request.target_account_id
        ).delete()
