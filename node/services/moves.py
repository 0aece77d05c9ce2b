"""Moving an account to another one, here or on another server, as Mastodon does it.

The new account first names the old one as an alias (`alsoKnownAs`); the old one then moves, which
records where it went (`movedTo` on its actor), tells its followers' servers (a Move activity, see
node/activitypub/outbox.py) and moves its local followers itself. A server receiving a Move checks the
alias on a fresh copy of the target before moving anyone, so nobody can steal followers with a Move.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from tortoise.transactions import in_transaction

from .. import effects
from ..activitypub import actors, resolve
from ..errors import Forbidden, ValidationFailed
from ..models import Account, User
from . import auth, relationships

if TYPE_CHECKING:
    from ..runtime import Node

COOLDOWN = timedelta(days=30)  # Mastodon's: a moved account waits this long before moving again
MAX_ALIASES = 16


async def find(node: Node, acct: str, *, fresh: bool = False) -> Account:
    """The account `acct` (user@host) names, found by WebFinger if unknown (NotFound otherwise); `fresh`
    refetches a remote one, so a move checks its alsoKnownAs as it is now, not as we last saw it."""
    account = await resolve.resolve_acct(node, acct.strip())
    if fresh and not account.local and account.uri:
        account = await actors.fetch_actor(node, account.uri, refresh=True)
    return account


async def aliases_shown(account: Account) -> list[dict[str, str | None]]:
    """The account's aliases as `[{uri, acct}]` (acct None for an actor we have not seen)."""
    aliases = list(account.also_known_as or [])
    known = {a.uri: a.acct() for a in await Account.filter(uri__in=aliases)}
    return [{"uri": uri, "acct": known.get(uri)} for uri in aliases]


async def add_alias(node: Node, account: Account, other: Account) -> list[str]:
    """Name `other` as another account of this person (what a move *to* this account needs)."""
    if other.id == account.id:
        raise ValidationFailed("An account cannot be an alias of itself")
    aliases = list(account.also_known_as or [])
    if other.uri not in aliases:
        if len(aliases) >= MAX_ALIASES:
            raise ValidationFailed(f"At most {MAX_ALIASES} aliases")
        aliases.append(other.uri)
        await _save_aliases(node, account, aliases)
    return aliases


async def remove_alias(node: Node, account: Account, acct: str) -> list[str]:
    aliases = list(account.also_known_as or [])
    known = await Account.filter(uri__in=aliases)
    wanted = acct.strip().lstrip("@").lower()
    gone = {a.uri for a in known if a.acct().lower() == wanted or (a.uri or "").lower() == wanted}
    if not gone:
        raise ValidationFailed(f"{acct} is not an alias of this account")
    aliases = [uri for uri in aliases if uri not in gone]
    await _save_aliases(node, account, aliases)
    return aliases


async def _save_aliases(node: Node, account: Account, aliases: list[str]) -> None:
    async with in_transaction():
        await Account.filter(id=account.id).update(also_known_as=aliases)
        account.also_known_as = aliases
        effect = await effects.record(node, "account.updated", account=account)
    await effects.announce(node, "account.updated", effect, account=account)


async def move(node: Node, user: User, target: Account, password: str, now: datetime | None = None) -> Account:
    """Move the user's account to `target` (as fetched just now: its alsoKnownAs must name this account);
    returns the target."""
    account = await Account.get(id=user.account_id)  # type: ignore[attr-defined]
    if not await auth.check_password(node, user.password_hash, password):
        raise ValidationFailed("The password is not correct")
    now = now or datetime.now(UTC)
    if account.moved_at is not None and now - account.moved_at < COOLDOWN:
        raise ValidationFailed(f"This account moved less than {COOLDOWN.days} days ago")
    if target.id == account.id:
        raise ValidationFailed("An account cannot move to itself")
    if target.moved_to_uri:
        raise ValidationFailed(f"{target.acct()} has moved away itself")
    if account.uri not in (target.also_known_as or []):
        raise ValidationFailed(f"{target.acct()} must name this account as an alias first (alsoKnownAs)")
    async with in_transaction():
        await Account.filter(id=account.id).update(moved_to_uri=target.uri, moved_at=now)
        account.moved_to_uri, account.moved_at = target.uri, now
        effect = await effects.record(node, "account.moved", account=account, target=target)
    await effects.announce(node, "account.moved", effect, account=account, target=target)
    await move_followers(node, account, target)
    return target


async def move_followers(node: Node, origin: Account, target: Account) -> int:
    """Local followers of `origin` follow `target` instead (those `target` blocks, or who block it, just
    stop following); returns how many now follow the target or asked to."""
    moved = 0
    for follower in await Account.filter(following_rel__target_account_id=origin.id, domain=""):
        await relationships.unfollow(node, follower, origin)
        if follower.id == target.id:
            continue
        try:
            await relationships.follow(node, follower, target)
            moved += 1
        except (Forbidden, ValidationFailed):
            continue
    return moved


async def remote_moved(origin: Account, target: Account, now: datetime | None = None) -> None:
    """Record an inbound Move on the remote origin's row (its profile shows where it went)."""
    await Account.filter(id=origin.id).update(moved_to_uri=target.uri, moved_at=now or datetime.now(UTC))
