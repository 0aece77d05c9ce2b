"""Local accounts: creation (with their signing keys), lookup, and the counters kept on them."""

from __future__ import annotations

import re

from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

from federation.signatures import generate_rsa_keypair

from ..errors import NotFound, ValidationFailed
from ..models import Account, Follow, User, row_id
from ..runtime import Node
from . import auth


class EmailTaken(ValidationFailed):
    """The address already has an account. Sign-up turns this into the answer a fresh sign-up gets when
    mail is on (node/services/registrations.py), so that sign-up does not tell who is registered."""


USERNAME = re.compile(r"^[A-Za-z0-9_]{1,30}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
MIN_PASSWORD = 8
RESERVED = {"admin", "api", "about", "static", "media", "oauth", "users", "tags", "settings", "login", "logout",
            "signup", "instance", "actor", "inbox", "nodeinfo", "well-known", "search", "explore", "entativa"}


async def create_local_account(node: Node, username: str, email: str, password: str, *, admin: bool = False,
                               approved: bool = True, display_name: str = "") -> User:
    """Validate, hash, make the account's RSA key pair and store account + user in one transaction.
    EmailTaken comes after every other check, so a caller hiding it has the others' answers already."""
    if not USERNAME.match(username or ""):
        raise ValidationFailed("Username must be 1-30 letters, digits or underscores")
    if username.lower() in RESERVED:
        raise ValidationFailed(f"The username {username} is reserved")
    email = (email or "").strip().lower()
    if not EMAIL.match(email):
        raise ValidationFailed("Email address is not valid")
    if len(password or "") < MIN_PASSWORD:
        raise ValidationFailed(f"Password must be at least {MIN_PASSWORD} characters")
    if len(password) > 1024:
        raise ValidationFailed("Password is too long")
    if await Account.filter(username__iexact=username, domain="").exists():
        raise ValidationFailed(f"The username {username} is taken")
    if await User.filter(email=email).exists():
        raise EmailTaken("That email address is already registered")
    await node.plugins.ensure_allowed("may_register", username=username, email=email)
    password_hash = await auth.hash_password(node, password)
    private_pem, public_pem = await node.run_blocking(generate_rsa_keypair)
    urls = node.urls
    async with in_transaction():
        account = await Account.create(
            username=username, domain="", display_name=display_name[:100], uri=urls.actor(username),
            url=urls.profile(username), inbox_url=urls.actor(username) + "/inbox",
            shared_inbox_url=f"{urls.base}/inbox", followers_url=urls.actor(username) + "/followers",
            public_key_pem=public_pem, private_key_pem=private_pem)
        user = await User.create(account=account, email=email, password_hash=password_hash, admin=admin,
                                 approved=approved)
    user.account = account
    await node.bus.publish("account.created", account=account)
    return user


async def local_account(username: str) -> Account:
    account = await Account.filter(username__iexact=username, domain="", suspended_at=None).first()
    if account is None:
        raise NotFound("Account not found")
    return account


async def get_account(account_id: int | str) -> Account:
    key = row_id(account_id)
    account = await Account.filter(id=key, suspended_at=None).first()
    if account is None:
        raise NotFound()
    return account


def parse_acct(acct: str, local_domain: str) -> tuple[str, str]:
    """(username, domain) from "user", "@user" or "user@domain"; our own domain means local."""
    username, _, domain = acct.strip().lstrip("@").partition("@")
    domain = domain.lower()
    return username, "" if domain == local_domain.lower() else domain


async def lookup_acct(node: Node, acct: str) -> Account:
    """An account we know by its acct (no remote fetching: that is federation's job)."""
    username, domain = parse_acct(acct or "", node.config.node.domain)
    if not username:
        raise NotFound()
    account = await Account.filter(username__iexact=username, domain=domain, suspended_at=None).first()
    if account is None:
        raise NotFound()
    return account


async def search_accounts(node: Node, query: str, *, limit: int = 40, offset: int = 0,
                          following_of: Account | None = None) -> list[Account]:
    """Accounts whose username or display name starts with `query` (an "@user@domain" query narrows
    to that domain); exact matches first, then local ones, then the most followed."""
    username, domain = parse_acct(query or "", node.config.node.domain)
    username = username.strip()
    if not username:
        return []
    q = Q(username__istartswith=username) | Q(display_name__istartswith=username)
    rows = Account.filter(q, suspended_at=None)
    if "@" in query.strip().lstrip("@"):
        rows = rows.filter(domain__istartswith=domain) if domain else rows.filter(domain="")
    if following_of is not None:
        followed = Follow.filter(account_id=following_of.id).values_list("target_account_id", flat=True)
        rows = rows.filter(id__in=Subquery(followed))
    # Rank in Python over a bounded candidate set: prefix matches are few for any real query.
    candidates = await rows.order_by("-followers_count", "id").limit(400)

    def rank(account: Account) -> tuple[int, int, int]:
        exact = account.username.lower() == username.lower() and (not domain or account.domain == domain)
        return (0 if exact else 1, 0 if account.local else 1, -account.followers_count)

    return sorted(candidates, key=rank)[offset:offset + limit]


async def accounts_by_ids(ids: list[int]) -> list[Account]:
    """The known, unsuspended accounts among `ids`, in the order asked."""
    found = {a.id: a for a in await Account.filter(id__in=ids, suspended_at=None)}
    return [found[i] for i in dict.fromkeys(ids) if i in found]
