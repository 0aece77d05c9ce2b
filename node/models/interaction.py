"""Favourites (likes) and bookmarks (saves); reblogs are statuses with `reblog_of`."""

from __future__ import annotations

from tortoise import fields

from .base import Entity


class Favourite(Entity):
    account = fields.ForeignKeyField("models.Account", related_name="favourites", on_delete=fields.CASCADE)
    status = fields.ForeignKeyField("models.Status", related_name="favourites", on_delete=fields.CASCADE)
    uri = fields.CharField(max_length=1024, null=True)  # the Like activity's id
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "favourites"
        unique_together = (("account", "status"),)
        indexes = (("account_id", "id"),)


class Bookmark(Entity):
    account = fields.ForeignKeyField("models.Account", related_name="bookmarks", on_delete=fields.CASCADE)
    status = fields.ForeignKeyField("models.Status", related_name="bookmarks", on_delete=fields.CASCADE)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "bookmarks"
        unique_together = (("account", "status"),)
        indexes = (("account_id", "id"),)
