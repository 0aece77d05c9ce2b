"""Accounts (local and remote people) and the local users who can sign in as one."""

from __future__ import annotations

from tortoise import fields

from .base import Entity, SetIndex


class Account(Entity):
    """A person on this node (domain "") or on another one, what statuses and follows point at."""

    username = fields.CharField(max_length=64)
    domain = fields.CharField(max_length=253, default="")  # "" = local; never NULL so (username, domain) is unique
    display_name = fields.CharField(max_length=100, default="")
    note = fields.TextField(default="")  # HTML, sanitised
    note_source = fields.TextField(default="")  # what the owner typed
    avatar = fields.CharField(max_length=1024, default="")  # media path (local) or URL (remote)
    header = fields.CharField(max_length=1024, default="")
    # A remote account's avatar and header are copied (node/services/remote_media.py) into these media paths;
    # until then (and when the copy fails) the entity shows the URLs above. images_state: "" = local or
    # nothing to copy, pending (images_fetch_after set), cached, failed, rejected (a domain block's
    # reject_media: neither fetched nor shown).
    avatar_file = fields.CharField(max_length=512, default="")
    header_file = fields.CharField(max_length=512, default="")
    images_state = fields.CharField(max_length=8, default="")
    images_fetch_after = fields.DatetimeField(null=True)
    images_attempts = fields.IntField(default=0)
    fields_json = fields.JSONField(default=list)  # [{"name", "value"}] profile metadata
    locked = fields.BooleanField(default=False)
    bot = fields.BooleanField(default=False)
    discoverable = fields.BooleanField(default=True)
    hide_collections = fields.BooleanField(default=False)  # followers/following lists shown to nobody else
    created_at = fields.DatetimeField(auto_now_add=True)
    # ActivityPub identity; local accounts derive these from the node's base URL.
    uri = fields.CharField(max_length=1024, null=True, unique=True)
    url = fields.CharField(max_length=1024, null=True)
    inbox_url = fields.CharField(max_length=1024, default="")
    shared_inbox_url = fields.CharField(max_length=1024, default="")
    followers_url = fields.CharField(max_length=1024, default="")
    featured_url = fields.CharField(max_length=1024, default="")  # remote accounts' pinned-posts collection
    public_key_pem = fields.TextField(default="")
    private_key_pem = fields.TextField(default="")  # local accounts only
    # Denormalised counters, kept by the services that change them.
    followers_count = fields.IntField(default=0)
    following_count = fields.IntField(default=0)
    statuses_count = fields.IntField(default=0)
    last_status_at = fields.DatetimeField(null=True)
    suspended_at = fields.DatetimeField(null=True)
    silenced_at = fields.DatetimeField(null=True)  # an admin limited it: out of public timelines and trends
    sensitized_at = fields.DatetimeField(null=True)  # an admin marked its media sensitive
    # Mastodon's CustomEmoji entities used in display_name and note, kept with the text they render
    # (account entities are built without a query); nullable for the same reason as also_known_as.
    emojis_json = fields.JSONField(null=True)
    # Account migration: the actors this account says it also is (a move's target must list its origin
    # here), and the account it moved to with when.
    also_known_as = fields.JSONField(null=True)  # nullable: SQLite cannot add a NOT NULL JSON column to rows
    moved_to_uri = fields.CharField(max_length=1024, null=True)  # an actor id; NULL = not moved
    moved_at = fields.DatetimeField(null=True)

    class Meta:
        table = "accounts"
        unique_together = (("username", "domain"),)
        indexes = (SetIndex(fields=("images_fetch_after",)),)

    @property
    def local(self) -> bool:
        return self.domain == ""

    def acct(self) -> str:
        return self.username if self.local else f"{self.username}@{self.domain}"


class User(Entity):
    """Sign-in credentials and settings of a local account."""

    account = fields.OneToOneField("models.Account", related_name="user", on_delete=fields.CASCADE)
    email = fields.CharField(max_length=254, unique=True)
    password_hash = fields.CharField(max_length=255)
    admin = fields.BooleanField(default=False)
    approved = fields.BooleanField(default=True)  # false while registrations = "approval" waits on an admin
    locale = fields.CharField(max_length=16, default="en")  # the default language of new posts
    # The web UI's language (node/i18n.py); NULL follows the browser's Accept-Language.
    ui_locale = fields.CharField(max_length=16, null=True)
    default_visibility = fields.CharField(max_length=16, default="public")
    default_sensitive = fields.BooleanField(default=False)
    expand_media = fields.CharField(max_length=16, default="default")  # default | show_all | hide_all
    expand_spoilers = fields.BooleanField(default=False)
    disabled = fields.BooleanField(default=False)  # an admin froze the sign-in; the account stays visible
    sign_up_reason = fields.CharField(max_length=1000, default="")  # why they want to join (approval mode)
    sign_up_ip = fields.CharField(max_length=45, default="")
    email_confirmed = fields.BooleanField(default=True)  # false from a sign-up with mail on until its link is followed
    unconfirmed_email = fields.CharField(max_length=254, null=True)  # a new address waiting for its mailed link
    # Two-factor sign-in (TOTP): the secret is set when setting up starts and counts once otp_enabled_at is set.
    otp_secret = fields.CharField(max_length=64, null=True)
    otp_enabled_at = fields.DatetimeField(null=True)
    otp_recovery_hashes = fields.JSONField(null=True)  # argon2 hashes of the unused one-time recovery codes
    otp_last_step = fields.BigIntField(null=True)  # the last TOTP time step accepted, so a code works once
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "users"
