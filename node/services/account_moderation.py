"""What admins do to accounts (Mastodon's Admin::AccountAction and the approval queue): approve or reject a
sign-up, disable a sign-in, mark media sensitive, silence, suspend, and undo each; and the door checks
sign-ups pass (canonical e-mail blocks, IP blocks).

A suspension takes effect at once: the account's tokens and web sessions end (open streams close), its
statuses leave every home feed and are no longer rendered anywhere, and it is not found by name or id.
Unsuspending brings it back, with its recent statuses back in its local followers' home feeds. Silencing
keeps it out of public timelines and trends.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from ..activitypub import moderation
from ..errors import Forbidden, NotFound, ValidationFailed
from ..models import (
    Account,
    CanonicalEmailBlock,
    EmailDomainBlock,
    Follow,
    IpBlock,
    OAuthToken,
    User,
    WebSession,
    row_id,
)
from ..models.admin_blocks import IP_SEVERITIES
from ..runtime import Node
from . import feeds

ACTIONS = ("none", "sensitive", "disable", "silence", "suspend")
STATUSES = ("active", "pending", "disabled", "silenced", "suspended")


async def get_account(account_id: int | str) -> Account:
    found = await Account.filter(id=row_id(account_id)).first()
    if found is None:
        raise NotFound()
    return found


async def user_of(account: Account) -> User | None:
    return await User.filter(account_id=account.id).first() if account.local else None


# ---- listing ------------------------------------------------------------------------------------------------


@dataclass
class AccountQuery:
    origin: str | None = None  # local | remote
    status: str | None = None  # one of STATUSES
    by_domain: str | None = None
    username: str | None = None
    display_name: str | None = None
    email: str | None = None
    ip: str | None = None
    staff: bool = False


def matching(query: AccountQuery):  # type: ignore[no-untyped-def]
    """The Account queryset for /api/v2/admin/accounts' filters (v1's are mapped onto them)."""
    rows = Account.all()
    if query.origin == "local":
        rows = rows.filter(domain="")
    elif query.origin == "remote":
        rows = rows.exclude(domain="")
    if query.by_domain:
        rows = rows.filter(domain__iexact=query.by_domain.strip().lower())
    if query.username:
        rows = rows.filter(username__istartswith=query.username.strip())
    if query.display_name:
        rows = rows.filter(display_name__icontains=query.display_name.strip())
    if query.email:
        rows = rows.filter(user__email__icontains=query.email.strip().lower())
    if query.ip:
        rows = rows.filter(user__sign_up_ip=query.ip.strip())
    if query.staff:
        rows = rows.filter(user__admin=True)
    status = query.status
    if status == "pending":
        rows = rows.filter(user__approved=False, suspended_at=None)
    elif status == "disabled":
        rows = rows.filter(user__disabled=True)
    elif status == "silenced":
        rows = rows.filter(silenced_at__not_isnull=True, suspended_at=None)
    elif status == "suspended":
        rows = rows.filter(suspended_at__not_isnull=True)
    elif status == "active":
        rows = rows.filter(Q(domain__not="") | Q(user__approved=True), suspended_at=None)
    elif status is not None:
        raise ValidationFailed(f"Validation failed: Status must be one of {', '.join(STATUSES)}")
    return rows


# ---- actions ------------------------------------------------------------------------------------------------


async def _end_sign_ins(node: Node, user: User) -> None:
    """Every token and web session of the user ends; their open streams are told to close."""
    hashes = list(await OAuthToken.filter(user_id=user.id, revoked_at=None).values_list("token_hash", flat=True))
    await OAuthToken.filter(user_id=user.id, revoked_at=None).update(revoked_at=node.clock.now())
    await WebSession.filter(user_id=user.id).delete()
    for token_hash in hashes:
        await node.bus.publish("token.revoked", token_hash=token_hash)


async def approve(account: Account) -> Account:
    user = await user_of(account)
    if user is None:
        raise NotFound()
    if not user.approved:
        user.approved = True
        await user.save(update_fields=["approved"])
    return account


async def reject(account: Account) -> None:
    """A pending sign-up is refused: the account is deleted, as Mastodon's reject does."""
    user = await user_of(account)
    if user is None:
        raise NotFound()
    if user.approved:
        raise Forbidden("This action is not allowed")  # only sign-ups waiting on approval can be rejected
    await account.delete()


async def act(node: Node, admin: Account, account: Account, kind: str) -> None:
    """Mastodon's account action: none (a warning only), sensitive, disable, silence or suspend."""
    if kind not in ACTIONS:
        raise ValidationFailed(f"Validation failed: Type must be one of {', '.join(ACTIONS)}")
    if account.id == admin.id and kind != "none":
        raise Forbidden("This action is not allowed")  # an admin cannot lock themselves out
    user = await user_of(account)
    if user is not None and user.admin and kind != "none":
        raise Forbidden("This action is not allowed")  # as Mastodon: staff are not moderated from here
    now = node.clock.now()
    if kind == "sensitive":
        await Account.filter(id=account.id).update(sensitized_at=now)
    elif kind == "silence":
        await Account.filter(id=account.id).update(silenced_at=now)
        moderation.forget_silenced()
    elif kind == "disable":
        if user is None:
            raise ValidationFailed("Validation failed: Only local accounts have a sign-in to disable")
        await User.filter(id=user.id).update(disabled=True)
        await _end_sign_ins(node, user)
    elif kind == "suspend":
        async with in_transaction():
            await Account.filter(id=account.id).update(suspended_at=now)
            await feeds.remove_author_everywhere(account.id)
        if user is not None:
            await _end_sign_ins(node, user)


async def undo(node: Node, account: Account, what: str) -> None:
    """enable, unsilence, unsensitive or unsuspend."""
    if what == "enable":
        await User.filter(account_id=account.id).update(disabled=False)
    elif what == "unsilence":
        await Account.filter(id=account.id).update(silenced_at=None)
        moderation.forget_silenced()
    elif what == "unsensitive":
        await Account.filter(id=account.id).update(sensitized_at=None)
    elif what == "unsuspend":
        await Account.filter(id=account.id).update(suspended_at=None)
        followers = await Follow.filter(target_account_id=account.id, account__domain="").values_list(
            "account_id", flat=True)
        for reader in [*followers, *([account.id] if account.local else [])]:
            await feeds.backfill(reader, account.id)


# ---- the door: e-mail and IP blocks -------------------------------------------------------------------------


def canonical_email(email: str) -> str:
    """As Mastodon canonicalises: lower case, dots and any +suffix removed from the local part."""
    local, _, domain = email.strip().lower().partition("@")
    return f"{local.split('+', 1)[0].replace('.', '')}@{domain}"


def email_hash(email: str) -> str:
    return hashlib.sha256(canonical_email(email).encode()).hexdigest()


async def email_blocks_matching(email: str) -> list[CanonicalEmailBlock]:
    return list(await CanonicalEmailBlock.filter(canonical_email_hash=email_hash(email)))


async def block_email(email: str | None, digest: str | None) -> CanonicalEmailBlock:
    if email:
        value = email_hash(email)
    elif digest and len(digest) == 64 and all(c in "0123456789abcdef" for c in digest.lower()):
        value = digest.lower()
    else:
        raise ValidationFailed("Validation failed: Canonical email hash can't be blank")
    if await CanonicalEmailBlock.filter(canonical_email_hash=value).exists():
        raise ValidationFailed("Validation failed: Canonical email hash has already been taken")
    return await CanonicalEmailBlock.create(canonical_email_hash=value)


def email_domain(value: str | None) -> str:
    """A domain as blocks store it: lower case, no leading @ or trailing dot, IDNA for non-ASCII names."""
    domain = (value or "").strip().lower().removeprefix("@").rstrip(".")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValidationFailed("Validation failed: Domain is not a valid domain name") from None
    labels = domain.split(".")
    if not domain or len(domain) > 253 or any(not label or len(label) > 63 for label in labels) or \
            not all(c.isalnum() or c == "-" for c in domain.replace(".", "")):
        raise ValidationFailed("Validation failed: Domain is not a valid domain name")
    return domain


async def block_email_domain(value: str | None) -> EmailDomainBlock:
    domain = email_domain(value)
    if await EmailDomainBlock.filter(domain=domain).exists():
        raise ValidationFailed("Validation failed: Domain has already been taken")
    return await EmailDomainBlock.create(domain=domain)


async def email_domain_blocked(email: str) -> bool:
    """Whether the address's domain, or a domain it is under, is blocked (sub.example.com by example.com)."""
    try:
        domain = email_domain(email.rpartition("@")[2])
    except ValidationFailed:
        return False
    labels = domain.split(".")
    candidates = [".".join(labels[i:]) for i in range(len(labels))]
    return await EmailDomainBlock.filter(domain__in=candidates).exists()


async def email_domain_history(block: EmailDomainBlock, node: Node, days: int = 7) -> list[dict[str, str]]:
    """Mastodon's history: per day, this week, the local sign-ups with an address at the domain (refused
    attempts are not logged, so `uses` counts the same sign-ups)."""
    today = node.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    history = []
    for i in range(days):
        starts = today - timedelta(days=i)
        count = await User.filter(created_at__gte=starts, created_at__lt=starts + timedelta(days=1)).filter(
            Q(email__iendswith="@" + block.domain) | Q(email__iendswith="." + block.domain)).count()
        history.append({"day": str(int(starts.timestamp())), "accounts": str(count), "uses": str(count)})
    return history


def network(value: str | None) -> str:
    try:
        return str(ipaddress.ip_network((value or "").strip(), strict=False))
    except ValueError:
        raise ValidationFailed("Validation failed: Ip is invalid") from None


def ip_severity(value: str | None) -> str:
    if value not in IP_SEVERITIES:
        raise ValidationFailed(f"Validation failed: Severity must be one of {', '.join(IP_SEVERITIES)}")
    return value


def ip_expiry(node: Node, expires_in: int | None) -> datetime | None:
    if expires_in is None:
        return None
    if expires_in <= 0:
        raise ValidationFailed("Validation failed: Expires in must be greater than 0")
    return node.clock.now() + timedelta(seconds=expires_in)


async def ip_severity_for(node: Node, address: str | None) -> str | None:
    """The strictest unexpired IP block covering the address."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return None
    now = node.clock.now()
    found = [b.severity for b in await IpBlock.all()
             if (b.expires_at is None or b.expires_at > now) and ip in ipaddress.ip_network(b.ip, strict=False)]
    return max(found, key=IP_SEVERITIES.index) if found else None


async def door(node: Node, email: str, address: str | None) -> bool | None:
    """May this sign-up go ahead? False: refused (403); True: as the registrations mode says; None: it
    needs an admin's approval whatever the mode (an IP block asks for it)."""
    severity = await ip_severity_for(node, address)
    if severity in ("sign_up_block", "no_access"):
        return False
    return None if severity == "sign_up_requires_approval" else True
