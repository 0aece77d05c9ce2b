"""A person deleting their own account: it is suspended at once (no sign-in, no page, no API), its posts,
follows and likes are removed, and every server that knows it is sent a Delete of the actor so it purges
the account too. The row stays, emptied, so the name is never given to someone else."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from .. import effects
from ..activitypub import outbox, tombstones
from ..models import Account, Follow, User
from ..runtime import Node
from . import account_security


async def _known_inboxes(account: Account) -> list[str]:
    """Followers' servers and the servers of people it follows: everyone who may hold a copy of it."""
    followed = list(await Follow.filter(account_id=account.id).values_list("target_account_id", flat=True))
    rows = await Account.filter(id__in=followed).exclude(domain="").values_list("shared_inbox_url", "inbox_url")
    return list(dict.fromkeys([*await outbox.follower_inboxes(account.id),
                               *(shared or inbox for shared, inbox in rows if shared or inbox)]))


async def delete_own_account(node: Node, user: User, password: str) -> None:
    await account_security.check_current_password(node, user, password)
    account: Account = user.account
    inboxes = await _known_inboxes(account)
    async with in_transaction():
        await Account.filter(id=account.id).update(suspended_at=node.clock.now())
        await User.filter(id=user.id).update(disabled=True)
        effect = await effects.record(node, "account.deleted", account=account, inboxes=inboxes)
    await effects.announce(node, "account.deleted", effect, account=account, inboxes=inboxes)
    await account_security.end_sign_ins(node, user)
    await tombstones.purge_account(node, account)
