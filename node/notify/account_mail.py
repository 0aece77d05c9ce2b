"""What people expect mail for, besides notifications: confirming the address on sign-up (when mail is on),
resetting a forgotten password, and the one-click unsubscribe a notification mail links to. Tokens are
signed links (links.py); the mails themselves are persisted jobs the mail worker sends and retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from ..errors import BadRequest, ValidationFailed
from ..models import ChannelJob, User, WebSession
from ..runtime import Node
from ..services import accounts, auth
from . import links, preferences
from .dispatcher import mail_enabled
from .state import of as channels_of


async def signed_up(node: Node, user: User, now: datetime | None = None) -> bool:
    """With mail on, a new account waits for its address to be confirmed; returns whether it must."""
    if not mail_enabled(node):
        return False
    now = now or datetime.now(UTC)
    async with in_transaction():
        await User.filter(id=user.id).update(email_confirmed=False)
        await ChannelJob.create(
            account_id=user.account_id, channel="email", kind="confirm", due_at=now, created_at=now
        )
    user.email_confirmed = False
    return True


SIGN_UP_NOTICE_EVERY = timedelta(hours=1)  # a stranger retrying sign-ups cannot flood the owner's inbox


async def sign_up_attempted(node: Node, email: str, now: datetime | None = None) -> None:
    """Someone signed up with an address that already has an account: tell its owner by mail (at most
    once an hour), while the sign-up itself answers as for a new address."""
    if not mail_enabled(node):
        return
    owner = await User.filter(email=email.strip().lower()).first()
    if owner is None:
        return
    now = now or datetime.now(UTC)
    if await ChannelJob.filter(account_id=owner.account_id, kind="signup_attempt",
                               created_at__gt=now - SIGN_UP_NOTICE_EVERY).exists():
        return
    await ChannelJob.create(account_id=owner.account_id, channel="email", kind="signup_attempt", due_at=now,
                            created_at=now)


async def confirm(node: Node, token: str, now: datetime | None = None) -> User:
    claims = links.verify(channels_of(node).link_secret, "confirm", token, now or datetime.now(UTC))
    user = await User.filter(id=claims.get("u")).select_related("account").first()
    if user is None or not claims.get("e") or claims.get("e") not in (user.email, user.unconfirmed_email):
        raise BadRequest("This link is not valid")
    if claims.get("e") == user.unconfirmed_email:  # a changed address, proven: it replaces the old one
        if await User.filter(email=user.unconfirmed_email).exclude(id=user.id).exists():
            raise BadRequest("That email address was registered by someone else meanwhile")
        await User.filter(id=user.id).update(email=user.unconfirmed_email, unconfirmed_email=None,
                                             email_confirmed=True)
        user.email, user.unconfirmed_email, user.email_confirmed = user.unconfirmed_email, None, True
        return user
    if not user.email_confirmed:
        await User.filter(id=user.id).update(email_confirmed=True)
        user.email_confirmed = True
    return user


async def request_reset(node: Node, email: str, now: datetime | None = None) -> None:
    """Queue a reset mail if the address belongs to someone; the answer is the same either way."""
    if not mail_enabled(node):
        raise BadRequest("This server cannot send mail, so passwords cannot be reset by mail")
    user = await User.filter(email=email.strip().lower()).first()
    if user is not None:
        now = now or datetime.now(UTC)
        await ChannelJob.create(
            account_id=user.account_id, channel="email", kind="reset", due_at=now, created_at=now
        )


async def user_for_reset(node: Node, token: str, now: datetime | None = None) -> User:
    claims = links.verify(channels_of(node).link_secret, "reset", token, now or datetime.now(UTC))
    user = await User.filter(id=claims.get("u")).select_related("account").first()
    if user is None or claims.get("f") != links.password_fingerprint(user.password_hash):
        raise BadRequest("This link was already used or is not valid")
    return user


async def reset(node: Node, token: str, password: str, now: datetime | None = None) -> User:
    """Set a new password through a reset link; the link then stops working and every session ends.
    Following the link also proves the address, so it confirms it."""
    user = await user_for_reset(node, token, now)
    if len(password) < accounts.MIN_PASSWORD:
        raise ValidationFailed(f"Password is too short (minimum is {accounts.MIN_PASSWORD} characters)")
    if len(password) > 72:
        raise ValidationFailed("Password is too long (maximum is 72 characters)")
    password_hash = await auth.hash_password(node, password)
    async with in_transaction():
        await User.filter(id=user.id).update(password_hash=password_hash, email_confirmed=True)
        await WebSession.filter(user_id=user.id).delete()
    return user


async def unsubscribe(node: Node, token: str) -> str:
    """Turn off what the link names (one type's mails, all mails, or the digest); returns its name."""
    claims = links.verify(channels_of(node).link_secret, "unsubscribe", token)
    account_id, kind = claims.get("a"), claims.get("k")
    if kind == "all":
        await preferences.update(account_id, {"types": {t: {"email": False} for t in preferences.TYPES}})
    elif kind == "digest" or kind in preferences.TYPES:
        await preferences.turn_off(account_id, kind, "email")
    else:
        raise BadRequest("This link is not valid")
    return kind


def blocks_sign_in(node: Node, user: User) -> bool:
    return mail_enabled(node) and not user.email_confirmed
