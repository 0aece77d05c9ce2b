"""Places (named points on the map a post can be tagged with) and the link from a status to its place."""

from __future__ import annotations

from tortoise import fields

from .base import Entity


class Place(Entity):
    """A named point people post from: a cafe, a park, a town. Popularity counts the posts tagged with it."""

    name = fields.CharField(max_length=200)
    locality = fields.CharField(max_length=200, default="")  # street address or town, as typed
    country = fields.CharField(max_length=100, default="")
    lat = fields.FloatField()
    lon = fields.FloatField()
    popularity = fields.IntField(default=0)
    account = fields.ForeignKeyField("models.Account", related_name="places_added", null=True,
                                     on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "places"
        indexes = (("lat", "lon"),)


class StatusPlace(Entity):
    """Where a status was posted from (at most one place per status), kept apart from the status row."""

    status = fields.OneToOneField("models.Status", related_name="place_link", on_delete=fields.CASCADE)
    place = fields.ForeignKeyField("models.Place", related_name="status_links", on_delete=fields.CASCADE)

    class Meta:
        table = "status_places"
        indexes = (("place_id", "status_id"),)
