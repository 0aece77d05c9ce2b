"""Preview cards (Mastodon's PreviewCard): what a link in a post looks like, from the linked page's
OpenGraph tags or oEmbed, fetched once per URL after the post is written, and which status shows which."""

from __future__ import annotations

from tortoise import fields

from .base import Entity

CARD_TYPES = ("link", "photo", "video", "rich")
STATES = ("pending", "fetched", "failed")


class PreviewCard(Entity):
    """One card per URL: pending until the fetch job reads the page, then fetched or failed"""

    url = fields.CharField(max_length=2048, unique=True)
    state = fields.CharField(max_length=8, default="pending")
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True)
    error = fields.CharField(max_length=500, default="")
    fetched_at = fields.DatetimeField(null=True)
    type = fields.CharField(max_length=8, default="link")
    title = fields.CharField(max_length=300, default="")
    description = fields.TextField(default="")
    language = fields.CharField(max_length=16, null=True)
    author_name = fields.CharField(max_length=300, default="")
    author_url = fields.CharField(max_length=2048, default="")
    provider_name = fields.CharField(max_length=300, default="")
    provider_url = fields.CharField(max_length=2048, default="")
    html = fields.TextField(default="")
    width = fields.IntField(default=0)
    height = fields.IntField(default=0)
    image_path = fields.CharField(max_length=255, default="")  # under the media dir, cached from the page
    image_description = fields.CharField(max_length=1500, default="")
    embed_url = fields.CharField(max_length=2048, default="")
    blurhash = fields.CharField(max_length=64, null=True)
    published_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "preview_cards"
        indexes = (("state", "next_attempt_at"),)


class StatusCard(Entity):
    """The card a status shows (its first link that is not a mention or a hashtag)"""

    status_id = fields.BigIntField(unique=True)
    card = fields.ForeignKeyField("models.PreviewCard", related_name="statuses", on_delete=fields.CASCADE)

    class Meta:
        table = "status_cards"
        indexes = (("card_id", "status_id"),)
