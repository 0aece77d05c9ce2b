"""Statuses (posts, replies, reblogs), their edit history, hashtags and mentions."""

from __future__ import annotations

from tortoise import fields

from .base import Entity, SetIndex

VISIBILITIES = ("public", "unlisted", "private", "direct")


class Status(Entity):
    account = fields.ForeignKeyField("models.Account", related_name="statuses", on_delete=fields.CASCADE)
    local = fields.BooleanField(default=True)
    uri = fields.CharField(max_length=1024, null=True, unique=True)  # remote statuses' ActivityPub id
    url = fields.CharField(max_length=1024, null=True)
    text = fields.TextField(default="")  # source as typed (local); empty for remote
    content = fields.TextField(default="")  # sanitised HTML
    spoiler_text = fields.TextField(default="")
    sensitive = fields.BooleanField(default=False)
    visibility = fields.CharField(max_length=16, default="public")
    language = fields.CharField(max_length=16, null=True)
    in_reply_to = fields.ForeignKeyField("models.Status", related_name="replies", null=True,
                                         on_delete=fields.SET_NULL)
    in_reply_to_account_id = fields.BigIntField(null=True)
    reblog_of = fields.ForeignKeyField("models.Status", related_name="reblogs", null=True,
                                       on_delete=fields.CASCADE)
    application = fields.ForeignKeyField("models.OAuthApp", related_name="statuses", null=True,
                                         on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField()
    edited_at = fields.DatetimeField(null=True)
    replies_count = fields.IntField(default=0)
    reblogs_count = fields.IntField(default=0)
    favourites_count = fields.IntField(default=0)

    class Meta:
        table = "statuses"
        # edited_at: the search index's start-up catch-up asks for statuses edited since its last commit;
        # without it that read scanned every status (and filled the page cache) at each start
        indexes = (("account_id", "id"), ("in_reply_to_id", "id"), SetIndex(fields=("reblog_of_id", "account_id")),
                   SetIndex(fields=("edited_at",)))


class StatusEdit(Entity):
    """One earlier (or the current) revision of a status, for /api/v1/statuses/:id/history."""

    status = fields.ForeignKeyField("models.Status", related_name="edits", on_delete=fields.CASCADE)
    content = fields.TextField()
    spoiler_text = fields.TextField(default="")
    sensitive = fields.BooleanField(default=False)
    media_ids = fields.JSONField(default=list)
    poll_options = fields.JSONField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "status_edits"


class Tag(Entity):
    name = fields.CharField(max_length=128, unique=True)  # lower-cased, what links and lookups use
    display_name = fields.CharField(max_length=128)  # as first written
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "tags"


class StatusTag(Entity):
    status = fields.ForeignKeyField("models.Status", related_name="status_tags", on_delete=fields.CASCADE)
    tag = fields.ForeignKeyField("models.Tag", related_name="status_tags", on_delete=fields.CASCADE)

    class Meta:
        table = "status_tags"
        unique_together = (("status", "tag"),)
        indexes = (("tag_id", "status_id"),)


class Mention(Entity):
    status = fields.ForeignKeyField("models.Status", related_name="mentions", on_delete=fields.CASCADE)
    account = fields.ForeignKeyField("models.Account", related_name="mentioned_in", on_delete=fields.CASCADE)

    class Meta:
        table = "mentions"
        unique_together = (("status", "account"),)
        indexes = (("account_id", "status_id"),)


class StatusPin(Entity):
    """A post its author pinned to their profile (local pins, and remote ones read from `featured`)."""

    account = fields.ForeignKeyField("models.Account", related_name="status_pins", on_delete=fields.CASCADE)
    status = fields.ForeignKeyField("models.Status", related_name="pins", on_delete=fields.CASCADE)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "status_pins"
        unique_together = (("account", "status"),)


class StatusQuote(Entity):
    """A post quoting another (Mastodon 4.5 quotes, FEP-044f, and the older quoteUri / _misskey_quote /
    FEP-e232 link shapes), with whether the quoted author approved it"""

    status = fields.OneToOneField("models.Status", related_name="quote", on_delete=fields.CASCADE)
    quoted_status = fields.ForeignKeyField("models.Status", related_name="quoted_by", null=True,
                                           on_delete=fields.SET_NULL)
    quoted_uri = fields.CharField(max_length=1024)
    state = fields.CharField(max_length=16, default="pending")  # accepted | pending | rejected | revoked
    approval_uri = fields.CharField(max_length=1024, default="")  # the QuoteAuthorization, FEP-044f
    legacy = fields.BooleanField(default=False)  # a shape with no approval (quoteUri, _misskey_quote, a Link tag)

    class Meta:
        table = "status_quotes"
        indexes = (("quoted_status_id",),)


class QuoteApproval(Entity):
    """Our author's approval of another server's post quoting one of our posts (FEP-044f's
    QuoteAuthorization, served at its own URL and checked by every server that shows the quote)"""

    status = fields.ForeignKeyField("models.Status", related_name="quote_approvals", on_delete=fields.CASCADE)
    quoting_uri = fields.CharField(max_length=1024)
    requester = fields.ForeignKeyField("models.Account", related_name="quote_approvals", on_delete=fields.CASCADE)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "quote_approvals"
        unique_together = (("status", "quoting_uri"),)
