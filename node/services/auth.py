"""Credentials: argon2 password hashes, bearer tokens and browser sessions (stored as SHA-256 only)."""

from __future__ import annotations

import hashlib
import math
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from .. import db
from ..errors import TooManyRequests, Unauthorized
from ..models import Account, OAuthApp, OAuthToken, User, WebSession
from ..runtime import Node

SESSION_DAYS = 30
_HASHERS = {"recommended": PasswordHasher(),  # argon2id with the library's current recommended parameters
            "cheapest": PasswordHasher.from_parameters(profiles.CHEAPEST)}  # test suites only (config.py)
# A hash to verify against when the user does not exist, so timing does not reveal which names exist.
_DUMMY_HASHES: dict[str, str] = {}


def _hasher(node: Node) -> PasswordHasher:
    return _HASHERS[node.config.limits.password_hashing]


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


async def hash_password(node: Node, password: str) -> str:
    return await node.run_blocking(_hasher(node).hash, password)


async def check_password(node: Node, password_hash: str | None, password: str) -> bool:
    hasher = _hasher(node)

    def verify() -> bool:
        profile = node.config.limits.password_hashing
        dummy = _DUMMY_HASHES.get(profile) or _DUMMY_HASHES.setdefault(profile, hasher.hash("not a password"))
        try:
            # A hash made with other parameters still verifies: argon2 reads them from the hash itself.
            return hasher.verify(password_hash or dummy, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return await node.run_blocking(verify)


def _wait_text(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes} minutes" if minutes > 1 else ("a minute" if seconds > 45 else f"{max(1, round(seconds))} seconds")


async def authenticate_password(node: Node, login: str, password: str, *, client_ip: str | None = None) -> User:
    """A local user by email or username and password; one vague error for every failure.

    Wrong passwords are throttled per account and per client address (node.throttles): past the free
    attempts each further failure doubles the wait, and while one runs the answer is TooManyRequests
    without hashing anything, so guessing costs the guesser time and the node no CPU."""
    login = login.strip()
    query = User.filter(email=login.lower()) if "@" in login else User.filter(account__username=login,
                                                                             account__domain="")
    user = await query.select_related("account").first()
    throttles = node.throttles
    account_key = f"user:{user.id}" if user else f"login:{login.lower()}"
    ip_key = f"ip:{client_ip}" if client_ip else None
    wait = max(throttles.login_account.wait(account_key), throttles.login_ip.wait(ip_key) if ip_key else 0.0)
    if wait > 0:
        raise TooManyRequests(f"Too many failed sign-ins: try again in {_wait_text(wait)}", math.ceil(wait))
    if not await check_password(node, user.password_hash if user else None, password) or user is None:
        throttles.login_account.failed(account_key)
        if ip_key:
            throttles.login_ip.failed(ip_key)
        raise Unauthorized("Invalid email/username or password")
    throttles.login_account.succeeded(account_key)
    if user.account.suspended_at is not None:
        raise Unauthorized("This account is suspended")
    if not user.approved:
        raise Unauthorized("This account is waiting for an administrator's approval")
    if user.disabled:
        raise Unauthorized("Your login is currently disabled")
    if not user.email_confirmed and node.config.mail.smtp_host:
        raise Unauthorized("Confirm your email address first: follow the link we mailed you")
    return user


@dataclass(frozen=True)
class Grant:
    """Who a request acts for: a user (or None for an app-only token) and the scopes granted."""

    user: User | None
    app: OAuthApp | None
    scopes: frozenset[str]
    via_session: bool = False

    def allows(self, needed: str) -> bool:
        return scope_allows(self.scopes, needed)


# The legacy "follow" scope covers these, as in Mastodon.
_FOLLOW_COVERS = {"read:blocks", "write:blocks", "read:follows", "write:follows", "read:mutes", "write:mutes"}


def scope_allows(granted: frozenset[str], needed: str) -> bool:
    if needed in granted:
        return True
    top = needed.split(":", 1)[0]
    if top in granted and top in ("read", "write", "admin"):
        return True
    if needed.startswith("admin:") and ("admin:" + needed.split(":")[1]) in granted:
        return True
    return "follow" in granted and needed in _FOLLOW_COVERS


async def issue_token(user: User | None, app: OAuthApp | None, scopes: str) -> str:
    token = new_secret()
    await OAuthToken.create(token_hash=digest(token), user=user, app=app, scopes=scopes)
    return token


def _columns(model: type, alias: str) -> str:
    return ", ".join(f'{alias}."{column}" AS "{alias}__{column}"' for column in model._meta.db_fields)


def _hydrate(model: type, alias: str, row: dict) -> object | None:
    prefix = f"{alias}__"
    values = {key[len(prefix):]: value for key, value in row.items() if key.startswith(prefix)}
    return None if values.get("id") is None else db.from_row(model, values)  # dates via fromisoformat: faster


# Every authenticated request starts here, so it is one hand-written query rather than the ORM's
# four-table select_related (which costs several times more to build than to run). Apps never change
# once registered, so they are cached by id.
_GRANT_SQL: str | None = None
_apps: dict[int, OAuthApp] = {}


def _grant_sql() -> str:
    global _GRANT_SQL
    if _GRANT_SQL is None:
        _GRANT_SQL = (f"SELECT t.app_id AS app_id, t.scopes AS scopes, {_columns(User, 'u')}, {_columns(Account, 'a')} "
                      "FROM oauth_tokens t LEFT JOIN users u ON u.id = t.user_id "
                      "LEFT JOIN accounts a ON a.id = u.account_id "
                      "WHERE t.token_hash = ? AND t.revoked_at IS NULL")
    return _GRANT_SQL


def _read_grant(connection: sqlite3.Connection, token_hash: str) -> tuple[int | None, str, User | None, Account | None] | None:
    """SQLite, on the connection's thread: the token's app id, scopes, user and account, the row split by
    position (made into a dict and split by prefix it cost more than the query)."""
    cursor = connection.execute(_grant_sql(), [token_hash])
    row = cursor.fetchone()
    if row is None:
        return None
    names = [column[0] for column in cursor.description]
    users = len(User._meta.db_fields)
    user_names = tuple(name[3:] for name in names[2:2 + users])
    account_names = tuple(name[3:] for name in names[2 + users:])
    user = db.instances(User, user_names, [row[2:2 + users]])[0] if row[names.index("u__id")] is not None else None
    account = (db.instances(Account, account_names, [row[2 + users:]])[0]
               if row[names.index("a__id")] is not None else None)
    return row[0], row[1], user, account


async def grant_for_token(token: str) -> Grant | None:
    if db.is_sqlite(OAuthToken):
        found = await db.read(lambda connection: _read_grant(connection, digest(token)))
        if found is None:
            return None
        app_id, scopes, user, account = found
    else:
        rows = await db.query(_grant_sql(), [digest(token)])
        if not rows:
            return None
        app_id, scopes = rows[0]["app_id"], rows[0]["scopes"]
        user, account = _hydrate(User, "u", rows[0]), _hydrate(Account, "a", rows[0])  # type: ignore[assignment]
    if user is not None:
        if account is None or account.suspended_at is not None:
            return None
        user.__dict__["_account"] = account  # what `user.account = account` stores (the ids are the same)
    app = None
    if app_id is not None:
        app = _apps.get(app_id) or await OAuthApp.filter(id=app_id).first()
        if app is not None:
            _apps[app_id] = app
    return Grant(user=user, app=app, scopes=frozenset(scopes.split()))


async def revoke_token(token: str) -> None:
    await OAuthToken.filter(token_hash=digest(token)).update(revoked_at=datetime.now(UTC))


SECOND_FACTOR_MINUTES = 10  # how long a right password waits for its two-factor code
_TOUCH_EVERY = timedelta(minutes=5)  # last_used_at is only this precise, so most page views write nothing


async def start_session(user: User, *, user_agent: str = "", ip: str = "", pending: bool = False) -> tuple[str, WebSession]:
    """A browser sign-in. `pending`: the password was right but the two-factor code is still due, so the
    cookie signs nobody in until `complete_second_factor`."""
    secret = new_secret()
    now = datetime.now(UTC)
    lifetime = timedelta(minutes=SECOND_FACTOR_MINUTES) if pending else timedelta(days=SESSION_DAYS)
    session = await WebSession.create(session_hash=digest(secret), user=user, csrf_token=new_secret(),
                                      expires_at=now + lifetime, user_agent=user_agent[:255], ip=ip[:45],
                                      last_used_at=now, second_factor_pending=pending)
    return secret, session


async def pending_session(secret: str) -> WebSession | None:
    """The sign-in waiting for its two-factor code under this cookie, if it has not expired."""
    session = await WebSession.filter(session_hash=digest(secret), second_factor_pending=True).select_related(
        "user", "user__account").first()
    return session if session is not None and session.expires_at >= datetime.now(UTC) else None


async def complete_second_factor(session: WebSession) -> None:
    session.second_factor_pending = False
    session.expires_at = datetime.now(UTC) + timedelta(days=SESSION_DAYS)
    await WebSession.filter(id=session.id).update(second_factor_pending=False, expires_at=session.expires_at)


async def session_for_cookie(secret: str) -> WebSession | None:
    session = await WebSession.filter(session_hash=digest(secret)).select_related("user", "user__account").first()
    now = datetime.now(UTC)
    if session is None or session.expires_at < now or session.second_factor_pending or (
            session.user.account.suspended_at or session.user.disabled):
        return None
    if session.last_used_at is None or now - session.last_used_at > _TOUCH_EVERY:
        session.last_used_at = now
        await WebSession.filter(id=session.id).update(last_used_at=now)
    return session


async def end_session(secret: str) -> None:
    await WebSession.filter(session_hash=digest(secret)).delete()
