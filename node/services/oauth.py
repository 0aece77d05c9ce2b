"""OAuth 2 as Mastodon serves it: client apps, scopes, authorization codes (with PKCE), the token grants
(authorization_code, password, client_credentials) and revocation.

The interactive sign-in and consent page lives in the web UI; it calls `find_app`,
`check_authorize_request` and `create_authorization_code` from here, so every rule about codes is in one place.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote_plus, urlsplit

from tortoise.transactions import in_transaction

from ..errors import DomainError, NotFound, Unauthorized, ValidationFailed
from ..models import OAuthApp, OAuthCode, OAuthToken, User
from ..runtime import Node
from . import auth

OOB = "urn:ietf:wg:oauth:2.0:oob"
DEFAULT_SCOPE = "read"
CODE_LIFETIME = timedelta(minutes=10)
_ACTIONS = ("accounts", "blocks", "bookmarks", "favourites", "filters", "follows", "lists", "mutes",
            "notifications", "search", "statuses")
_WRITE_ONLY = ("conversations", "media", "reports")
_ADMIN = ("accounts", "reports", "domain_allows", "domain_blocks", "ip_blocks", "email_domain_blocks",
          "canonical_email_blocks")
# Every scope Mastodon 4.3 knows, in the order its metadata lists them, plus the E2EE API's "crypto".
SCOPES: tuple[str, ...] = (
    "read", "write",
    *sorted(f"write:{a}" for a in (*_ACTIONS, *_WRITE_ONLY) if a != "search"),
    *(f"read:{a}" for a in _ACTIONS),
    "follow", "push", "profile",
    "admin:read", *(f"admin:read:{a}" for a in _ADMIN),
    "admin:write", *(f"admin:write:{a}" for a in _ADMIN),
    "crypto",
)
_KNOWN = frozenset(SCOPES)
# RFC 7636 4.1: a verifier (and a plain challenge) is 43-128 unreserved characters; S256 is 43 base64url.
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_S256_CHALLENGE = re.compile(r"^[A-Za-z0-9\-_]{43}$")

# RFC 6749 5.2 error descriptions, worded as Mastodon (Doorkeeper) words them.
_DESCRIPTIONS = {
    "invalid_request": "The request is missing a required parameter, includes an unsupported parameter value, "
                       "or is otherwise malformed.",
    "invalid_client": "Client authentication failed due to unknown client, no client authentication included, "
                      "or unsupported authentication method.",
    "invalid_grant": "The provided authorization grant is invalid, expired, revoked, does not match the "
                     "redirection URI used in the authorization request, or was issued to another client.",
    "invalid_scope": "The requested scope is invalid, unknown, or malformed.",
    "unsupported_grant_type": "The authorization grant type is not supported by the authorization server.",
    "unauthorized_client": "You are not authorized to revoke this token",
}


class OAuthError(DomainError):
    """An RFC 6749 error: `error` is the code (invalid_grant...), `message` its description."""

    def __init__(self, error: str, description: str | None = None, *, status: int = 400) -> None:
        super().__init__(description or _DESCRIPTIONS.get(error, error))
        self.error = error
        self.status = status

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.message}


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    scope: str
    created_at: int

    def body(self) -> dict[str, object]:
        """Mastodon's Token entity."""
        return {"access_token": self.access_token, "token_type": "Bearer", "scope": self.scope,
                "created_at": self.created_at}


# ---- scopes and redirect URIs -------------------------------------------------------------------------


def split_scopes(scopes: str | None) -> list[str]:
    """Scopes as clients send them (space- or plus-separated), deduplicated in order."""
    return list(dict.fromkeys((scopes or "").replace("+", " ").split()))


def normalise_scopes(requested: str | None, allowed: str | None = None) -> str:
    """The requested scopes as one string; each must be known and, with `allowed`, covered by it."""
    wanted = split_scopes(requested) or [DEFAULT_SCOPE]
    unknown = [s for s in wanted if s not in _KNOWN]
    if unknown:
        raise ValidationFailed(f"Unknown scope: {' '.join(unknown)}")
    if allowed is not None:
        granted = frozenset(split_scopes(allowed))
        outside = [s for s in wanted if not auth.scope_allows(granted, s)]
        if outside:
            raise ValidationFailed(f"The app was not registered for the scope: {' '.join(outside)}")
    return " ".join(wanted)


def _check_redirect_uri(uri: str) -> None:
    if uri == OOB:
        return
    parts = urlsplit(uri)
    if not parts.scheme or not (parts.netloc or parts.path):
        raise ValidationFailed("Validation failed: Redirect URI must be an absolute URI.")
    if parts.fragment:
        raise ValidationFailed("Validation failed: Redirect URI cannot contain a fragment.")
    if parts.scheme.lower() in ("javascript", "data", "vbscript", "file"):
        raise ValidationFailed("Validation failed: Redirect URI uses a forbidden scheme.")


def parse_redirect_uris(value: str | list[str] | None) -> list[str]:
    """Mastodon accepts one string with URIs on separate lines, or (4.3) an array of them."""
    items = value if isinstance(value, list) else (value or "").splitlines()
    uris = [u.strip() for u in items if isinstance(u, str) and u.strip()]
    if len(uris) != len([u for u in items if not isinstance(u, str) or u.strip()]):
        raise ValidationFailed("Validation failed: Redirect URI must be a string.")
    if not uris:
        raise ValidationFailed("Validation failed: Redirect URI can't be blank")
    for uri in uris:
        if len(uri) > 2000:
            raise ValidationFailed("Validation failed: Redirect URI is too long")
        _check_redirect_uri(uri)
    return list(dict.fromkeys(uris))


def app_redirect_uris(app: OAuthApp) -> list[str]:
    return [u for u in app.redirect_uris.splitlines() if u]


# ---- apps -----------------------------------------------------------------------------------------------


async def register_app(name: str, redirect_uris: str | list[str] | None, scopes: str | None,
                       website: str | None) -> OAuthApp:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Validation failed: Application name can't be blank")
    if len(name) > 60:
        raise ValidationFailed("Validation failed: Application name is too long (maximum is 60 characters)")
    uris = parse_redirect_uris(redirect_uris)
    scope = normalise_scopes(scopes)
    if website:
        if len(website) > 1000 or urlsplit(website).scheme not in ("http", "https"):
            raise ValidationFailed("Validation failed: Website is not a valid URL")
    return await OAuthApp.create(name=name, website=website or None, redirect_uris="\n".join(uris), scopes=scope,
                                 client_id=secrets.token_urlsafe(32), client_secret=secrets.token_urlsafe(32))


async def find_app(client_id: str) -> OAuthApp:
    """The app with this client_id, or NotFound (the authorize page says so rather than redirecting)."""
    app = await OAuthApp.filter(client_id=client_id).first() if client_id else None
    if app is None:
        raise NotFound("Client authentication failed: unknown client_id")
    return app


async def authenticate_client(client_id: str | None, client_secret: str | None) -> OAuthApp:
    """A confidential client proving itself (RFC 6749 2.3.1); any failure is 401 invalid_client."""
    app = await OAuthApp.filter(client_id=client_id).first() if client_id else None
    # Compare even for an unknown client so timing does not reveal which client_ids exist.
    expected = app.client_secret if app else secrets.token_urlsafe(32)
    if not hmac.compare_digest(expected.encode(), (client_secret or "").encode()) or app is None:
        raise OAuthError("invalid_client", status=401)
    return app


def basic_credentials(header: str) -> tuple[str, str] | None:
    """client_id and client_secret from an HTTP Basic Authorization header, form-decoded per RFC 6749 2.3.1."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        raise OAuthError("invalid_client", status=401) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError("invalid_client", status=401)
    return unquote_plus(client_id), unquote_plus(secret)


# ---- authorization codes -------------------------------------------------------------------------------


def _check_pkce(code_challenge: str, code_challenge_method: str) -> str:
    """The challenge method to store ("" without PKCE); RFC 7636 makes "plain" the default."""
    if not code_challenge:
        if code_challenge_method:
            raise ValidationFailed("code_challenge_method was given without a code_challenge")
        return ""
    method = code_challenge_method or "plain"
    if method == "S256":
        if not _S256_CHALLENGE.match(code_challenge):
            raise ValidationFailed("code_challenge is not a base64url SHA-256 digest")
    elif method == "plain":
        if not _VERIFIER.match(code_challenge):
            raise ValidationFailed("code_challenge must be 43-128 unreserved characters")
    else:
        raise ValidationFailed("code_challenge_method must be S256 or plain")
    return method


def check_authorize_request(app: OAuthApp, redirect_uri: str, scopes: str, response_type: str,
                            code_challenge: str, code_challenge_method: str) -> str:
    """Validate a GET/POST /oauth/authorize request; returns the normalised scope string."""
    if response_type != "code":
        raise ValidationFailed("The authorization server does not support this response type (use code)")
    if not redirect_uri or redirect_uri not in app_redirect_uris(app):
        raise ValidationFailed("The redirect URI included is not valid for this app")
    try:
        scope = normalise_scopes(scopes, app.scopes)
    except ValidationFailed as exc:
        raise ValidationFailed(f"The requested scope is invalid, unknown, or malformed: {exc.message}") from None
    _check_pkce(code_challenge or "", code_challenge_method or "")
    return scope


async def create_authorization_code(app: OAuthApp, user: User, redirect_uri: str, scopes: str,
                                    code_challenge: str = "", code_challenge_method: str = "") -> str:
    """A one-use code for `user` (after consent); returns the plaintext, stores only its SHA-256."""
    scope = check_authorize_request(app, redirect_uri, scopes, "code", code_challenge, code_challenge_method)
    method = _check_pkce(code_challenge or "", code_challenge_method or "")
    code = secrets.token_urlsafe(32)
    await OAuthCode.create(code_hash=auth.digest(code), app=app, user=user, redirect_uri=redirect_uri,
                           scopes=scope, code_challenge=code_challenge or "", code_challenge_method=method,
                           expires_at=datetime.now(UTC) + CODE_LIFETIME)
    return code


def _pkce_matches(row: OAuthCode, verifier: str) -> bool:
    if not row.code_challenge:
        return True
    if not _VERIFIER.match(verifier or ""):
        return False
    if row.code_challenge_method == "S256":
        computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    else:
        computed = verifier
    return hmac.compare_digest(computed, row.code_challenge)


# ---- grants ---------------------------------------------------------------------------------------------


async def issue_for(user: User | None, app: OAuthApp | None, scope: str) -> IssuedToken:
    """A fresh bearer token, answered as Mastodon's Token entity."""
    token = await auth.issue_token(user, app, scope)
    return IssuedToken(access_token=token, scope=scope, created_at=int(time.time()))


def _grant_scope(requested: str | None, app: OAuthApp) -> str:
    try:
        return normalise_scopes(requested, app.scopes)
    except ValidationFailed:
        raise OAuthError("invalid_scope") from None


async def exchange_code(node: Node, app: OAuthApp, code: str | None, redirect_uri: str | None,
                        code_verifier: str | None) -> IssuedToken:
    """authorization_code grant: the code must be this app's, unexpired, unused, for this redirect URI,
    and (with PKCE) answered by the right verifier. A used code is refused and revokes its token."""
    if not code:
        raise OAuthError("invalid_request", "Missing parameter: code")
    row = await OAuthCode.filter(code_hash=auth.digest(code), app_id=app.id).select_related(
        "user", "user__account").first()
    if row is not None and row.used_at is not None:
        await _revoke_issued(node, row)
        raise OAuthError("invalid_grant")
    if row is None or row.expires_at < datetime.now(UTC):
        raise OAuthError("invalid_grant")
    if not hmac.compare_digest(row.redirect_uri, redirect_uri or ""):
        raise OAuthError("invalid_grant")
    if not _pkce_matches(row, code_verifier or ""):
        raise OAuthError("invalid_grant")
    if row.user.account.suspended_at is not None or not row.user.approved or row.user.disabled:
        raise OAuthError("invalid_grant")
    async with in_transaction():
        # Marking it used is the claim: of two concurrent exchanges only one updates the row. The code is
        # kept (retention prunes it once expired) so that a replay can revoke what it gave.
        if not await OAuthCode.filter(id=row.id, used_at=None).update(used_at=datetime.now(UTC)):
            raise OAuthError("invalid_grant")
        issued = await issue_for(row.user, app, row.scopes)
        token = await OAuthToken.get(token_hash=auth.digest(issued.access_token))
        await OAuthCode.filter(id=row.id).update(token_id=token.id)
    return issued


async def _revoke_issued(node: Node, code: OAuthCode) -> None:
    """RFC 6749 4.1.2: a code used twice may have been stolen, so the token its first use gave is revoked
    (and its open streams close)."""
    if code.token_id is None:
        return
    token = await OAuthToken.filter(id=code.token_id, revoked_at=None).first()
    if token is not None:
        await OAuthToken.filter(id=token.id).update(revoked_at=datetime.now(UTC))
        await node.bus.publish("token.revoked", token_hash=token.token_hash)


async def password_grant(node: Node, app: OAuthApp, username: str | None, password: str | None,
                         scope: str | None, *, client_ip: str | None = None) -> IssuedToken:
    """Mastodon's password grant: `username` is the email address (or, here, also the account name)."""
    if not username or not password:
        raise OAuthError("invalid_request", "Missing parameter: username and password are required")
    granted = _grant_scope(scope, app)
    try:
        user = await auth.authenticate_password(node, username, password, client_ip=client_ip)
    except Unauthorized:
        raise OAuthError("invalid_grant") from None
    if user.otp_enabled_at is not None:
        # As Mastodon: a password alone never signs in a two-factor account; apps use the browser flow.
        raise OAuthError("invalid_grant", "This account uses two-factor sign-in: sign in through the "
                                          "browser (authorization code grant) instead")
    return await issue_for(user, app, granted)


async def client_credentials_grant(app: OAuthApp, scope: str | None) -> IssuedToken:
    """An app-only token (no user): what an app uses to register accounts."""
    return await issue_for(None, app, _grant_scope(scope, app))


async def revoke(node: Node, app: OAuthApp | None, token: str | None) -> None:
    """RFC 7009: unknown tokens are fine (nothing to do); another app's token is refused, as Mastodon does.
    Announces token.revoked (its open streams close)."""
    if not token:
        return
    row = await OAuthToken.filter(token_hash=auth.digest(token)).first()
    if row is None or row.revoked_at is not None:
        return
    if row.app_id is not None and (app is None or row.app_id != app.id):
        raise OAuthError("unauthorized_client", status=403)
    await OAuthToken.filter(id=row.id).update(revoked_at=datetime.now(UTC))
    await node.bus.publish("token.revoked", token_hash=row.token_hash)
