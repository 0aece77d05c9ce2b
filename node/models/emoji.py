"""Custom emoji: the node's own (domain "") that admins upload, and other servers' that their posts and
profiles use, one row per domain and shortcode, as Mastodon keeps them."""

from __future__ import annotations

from tortoise import fields

from .base import Entity


class CustomEmoji(Entity):
    """A :shortcode: image, local (domain "") or another server's, with its picture cached in our media"""

    shortcode = fields.CharField(max_length=64)
    domain = fields.CharField(max_length=253, default="")  # "" = ours
    uri = fields.CharField(max_length=1024, default="")  # the AS2 Emoji id of a remote one
    image_remote_url = fields.CharField(max_length=1024, default="")  # the remote icon we cached
    image_path = fields.CharField(max_length=512, default="")  # under the media folder; "" until cached
    content_type = fields.CharField(max_length=64, default="")
    image_size = fields.IntField(default=0)
    category = fields.CharField(max_length=64, default="")
    visible_in_picker = fields.BooleanField(default=True)
    disabled = fields.BooleanField(default=False)
    updated_at = fields.DatetimeField()  # the remote's `updated`, or when ours last changed
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "custom_emojis"
        unique_together = (("shortcode", "domain"),)
