"""A signed-in person looking after their own sign-in: email and password changes, the browser sessions and
the apps that can act for them (each revocable), and deleting the account.

Every change checks the current password first and validates everything before writing, so a refused
change leaves nothing half-done."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from ..errors import NotFound, Unauthorized, ValidationFailed
from ..models import ChannelJob, OAuthApp, OAuthToken, User, WebSession
from ..runtime import Node
from . import accounts, auth

MAX_PASSWORD = 72  # as the reset form: argon2 takes more, but a longer one is almost always a paste error


async def check_current_password(node: Node, user: User, password: str) -> None:
    """The person at the keyboard knows the password; wrong guesses count against the sign-in throttle."""
    key = f"user:{user.id}"
    throttle = node.throttles.login_account
    if throttle.wait(key) > 0 or not await auth.check_password(node, user.password_hash, password or ""):
        throttle.failed(key)
        raise Unauthorized("The current password is not right")
    throttle.succeeded(key)


def check_new_password(password: str, confirmation: str) -> None:
    if len(password) < accounts.MIN_PASSWORD:
        raise ValidationFailed(f"Password is too short (minimum is {accounts.MIN_PASSWORD} characters)")
    if len(password) > MAX_PASSWORD:
        raise ValidationFailed(f"Password is too long (maximum is {MAX_PASSWORD} characters)")
    if password != confirmation:
        raise ValidationFailed("The two new passwords are not the same")


async def end_sign_ins(node: Node, user: User, *, keep_session: int | None = None) -> None:
    """Every app token and every browser session but `keep_session` ends; open streams are told to close."""
    hashes = list(await OAuthToken.filter(user_id=user.id, revoked_at=None).values_list("token_hash", flat=True))
    await OAuthToken.filter(user_id=user.id, revoked_at=None).update(revoked_at=node.clock.now())
    await WebSession.filter(user_id=user.id).exclude(id=keep_session or 0).delete()
    for token_hash in hashes:
        await node.bus.publish("token.revoked", token_hash=token_hash)


async def change_password(node: Node, user: User, current: str, new: str, confirmation: str,
                          session: WebSession) -> None:
    """A new password; every other session and every app is signed out (a change is often a response to
    someone else knowing the old one)."""
    await check_current_password(node, user, current)
    check_new_password(new, confirmation)
    password_hash = await auth.hash_password(node, new)
    await User.filter(id=user.id).update(password_hash=password_hash)
    user.password_hash = password_hash
    await end_sign_ins(node, user, keep_session=session.id)


async def change_email(node: Node, user: User, password: str, email: str, *, confirm_by_mail: bool) -> bool:
    """Move the account to a new address. With mail on, the new address waits (the old one still signs in)
    until the link mailed to it is followed; returns whether it waits."""
    await check_current_password(node, user, password)
    email = (email or "").strip().lower()
    if not accounts.EMAIL.match(email) or len(email) > 254:
        raise ValidationFailed("That is not an email address")
    if email == user.email:
        raise ValidationFailed("That is already your email address")
    if await User.filter(email=email).exclude(id=user.id).exists():
        raise ValidationFailed("That email address is already registered")
    if not confirm_by_mail:
        await User.filter(id=user.id).update(email=email, unconfirmed_email=None)
        user.email = email
        return False
    now = node.clock.now()
    async with in_transaction():  # the sign-up confirmation mail, sent to the waiting address
        await User.filter(id=user.id).update(unconfirmed_email=email)
        await ChannelJob.create(account_id=user.account_id, channel="email", kind="confirm", due_at=now,
                                created_at=now)
    user.unconfirmed_email = email
    return True


async def sessions_of(user: User) -> list[WebSession]:
    """The browser sessions that are signed in, most recently used first."""
    rows = await WebSession.filter(user_id=user.id, second_factor_pending=False)
    return sorted(rows, key=lambda s: s.last_used_at or s.created_at, reverse=True)


async def revoke_session(user: User, session_id: int) -> None:
    if not await WebSession.filter(id=session_id, user_id=user.id).delete():
        raise NotFound("That session is not signed in")


@dataclass(frozen=True)
class AuthorizedApp:
    """An app holding at least one live token for the user."""

    app: OAuthApp
    scopes: list[str]
    authorized_at: datetime
    tokens: int


async def authorized_apps(user: User) -> list[AuthorizedApp]:
    rows = await OAuthToken.filter(user_id=user.id, revoked_at=None).exclude(app_id=None).select_related("app")
    by_app: dict[int, list[OAuthToken]] = {}
    for row in rows:
        by_app.setdefault(row.app_id, []).append(row)  # type: ignore[arg-type]
    apps = [AuthorizedApp(app=tokens[0].app, tokens=len(tokens),
                          scopes=sorted({s for t in tokens for s in t.scopes.split()}),
                          authorized_at=min(t.created_at for t in tokens)) for tokens in by_app.values()]
    return sorted(apps, key=lambda a: a.authorized_at, reverse=True)


async def revoke_app(node: Node, user: User, app_id: int) -> None:
    """Every token the app holds for the user ends (its streams close); the app must sign in again."""
    live = OAuthToken.filter(user_id=user.id, app_id=app_id, revoked_at=None)
    hashes = list(await live.values_list("token_hash", flat=True))
    if not hashes:
        raise NotFound("That app has no access to your account")
    await live.update(revoked_at=node.clock.now())
    for token_hash in hashes:
        await node.bus.publish("token.revoked", token_hash=token_hash)
