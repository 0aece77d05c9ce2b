"""OAuth 2 client apps, authorization codes, access tokens, and web sign-in sessions."""

from __future__ import annotations

from tortoise import fields

from .base import Entity


class OAuthApp(Entity):
    name = fields.CharField(max_length=255)
    website = fields.CharField(max_length=1024, null=True)
    redirect_uris = fields.TextField()  # newline-separated, as Mastodon stores them
    scopes = fields.CharField(max_length=1024, default="read")
    client_id = fields.CharField(max_length=64, unique=True)
    client_secret = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "oauth_apps"


class OAuthCode(Entity):
    """A one-use authorization code (RFC 6749 4.1), bound to its app, redirect URI and PKCE challenge."""

    code_hash = fields.CharField(max_length=64, unique=True)
    app = fields.ForeignKeyField("models.OAuthApp", related_name="codes", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name="codes", on_delete=fields.CASCADE)
    redirect_uri = fields.CharField(max_length=1024)
    scopes = fields.CharField(max_length=1024)
    code_challenge = fields.CharField(max_length=128, default="")
    code_challenge_method = fields.CharField(max_length=8, default="")
    expires_at = fields.DatetimeField()
    # Kept after its exchange (until it expires) with the token it gave: a second exchange of the same code
    # is refused and revokes that token (RFC 6749 4.1.2: the code may have been stolen).
    used_at = fields.DatetimeField(null=True)
    token = fields.ForeignKeyField("models.OAuthToken", related_name="codes", null=True, on_delete=fields.SET_NULL)

    class Meta:
        table = "oauth_codes"


class OAuthToken(Entity):
    """A bearer token. Only its SHA-256 is stored, so a leaked database leaks no usable tokens."""

    token_hash = fields.CharField(max_length=64, unique=True)
    app = fields.ForeignKeyField("models.OAuthApp", related_name="tokens", null=True, on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name="tokens", null=True, on_delete=fields.CASCADE)
    scopes = fields.CharField(max_length=1024)
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "oauth_tokens"


class SignUpDecoy(Entity):
    """The token answered to an API sign-up with an address that already has an account (mail on): it
    looks and behaves like a new account's token waiting for its address to be confirmed, so the answer
    does not tell whether the address is registered. It opens nothing; retention prunes it."""

    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "sign_up_decoys"


class WebSession(Entity):
    """A browser sign-in: the cookie holds the secret, the row holds its hash and the CSRF token."""

    session_hash = fields.CharField(max_length=64, unique=True)
    user = fields.ForeignKeyField("models.User", related_name="sessions", on_delete=fields.CASCADE)
    csrf_token = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    # What the settings page lists: the browser and address it signed in from, and when it was last used.
    user_agent = fields.CharField(max_length=255, default="")
    ip = fields.CharField(max_length=45, default="")
    last_used_at = fields.DatetimeField(null=True)
    # The password was right but the two-factor code is still due: the cookie signs nobody in yet.
    second_factor_pending = fields.BooleanField(default=False)

    class Meta:
        table = "web_sessions"
