"""Local accounts: creation (with their signing keys), lookup, and the counters kept on them."""

from __future__ import annotations

import re

from tortoise.transactions import in_transaction

from federation.signatures import generate_rsa_keypair

from ..errors import NotFound, ValidationFailed
from ..models import Account, User
from ..runtime import Node
from . import auth

USERNAME = re.compile(r"^[A-Za-z0-9_]{1,30}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
MIN_PASSWORD = 8
RESERVED = {"admin", "api", "about", "static", "media", "oauth", "users", "tags", "settings", "login", "logout",
            "signup", "instance", "actor", "inbox", "nodeinfo", "well-known", "search", "explore", "entativa"}


async def create_local_account(node: Node, username: str, email: str, password: str, *, admin: bool = False,
                               approved: bool = True, display_name: str = "") -> User:
    """Validate, hash, make the account's RSA key pair and store account + user in one transaction."""
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
        raise ValidationFailed("That email address is already registered")
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
    try:
        key = int(account_id)
    except (TypeError, ValueError):
        raise NotFound("Account not found") from None
    account = await Account.filter(id=key, suspended_at=None).first()
    if account is None:
        raise NotFound("Account not found")
    return account
