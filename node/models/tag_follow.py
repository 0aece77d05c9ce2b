"""Hashtags an account follows (their public posts come to its home timeline) and the hashtags it features
on its profile."""

from __future__ import annotations

from tortoise import fields

from .base import Entity


class TagFollow(Entity):
    account = fields.ForeignKeyField("models.Account", related_name="tag_follows", on_delete=fields.CASCADE)
    tag = fields.ForeignKeyField("models.Tag", related_name="follows", on_delete=fields.CASCADE)

    class Meta:
        table = "tag_follows"
        unique_together = (("account", "tag"),)
        indexes = (("tag_id", "account_id"),)


class FeaturedTag(Entity):
    account = fields.ForeignKeyField("models.Account", related_name="featured_tags", on_delete=fields.CASCADE)
    tag = fields.ForeignKeyField("models.Tag", related_name="featured_by", on_delete=fields.CASCADE)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "featured_tags"
        unique_together = (("account", "tag"),)
