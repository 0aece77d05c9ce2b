"""Take trends: a trend started by one Take, the participant Takes its origin node accepted (the
authoritative collection), and hourly join counts for ranking trends by recent growth."""

from __future__ import annotations

from tortoise import fields

from .base import Entity

PARTICIPATION_STATES = ("pending", "accepted", "rejected")


class TakeTrend(Entity):
    """A trend (name and hashtag) started by an originating Take, ours or known from another server"""

    uri = fields.CharField(max_length=1024, unique=True)
    local = fields.BooleanField(default=True)
    name = fields.CharField(max_length=100)
    hashtag = fields.CharField(max_length=100)  # without the leading #
    origin_take_uri = fields.CharField(max_length=1024)
    origin_take_id = fields.BigIntField(null=True)  # our Take row of the originating Take, if we have it
    originator_id = fields.BigIntField()  # the Account who started it
    participants_uri = fields.CharField(max_length=1024)
    url = fields.CharField(max_length=1024, default="")  # its page on the origin server
    participants_count = fields.IntField(default=0)
    verified_at = fields.DatetimeField(null=True)  # remote trends: when its origin confirmed the trend
    created_at = fields.DatetimeField()

    class Meta:
        table = "take_trends"
        indexes = (("hashtag", "id"),)


class TrendParticipation(Entity):
    """A Take's claim to take part in a trend, kept by the trend's origin node: pending until the
    participant Take is fetched from its own server and found to reference the trend"""

    trend = fields.ForeignKeyField("models.TakeTrend", related_name="participations", on_delete=fields.CASCADE)
    take_uri = fields.CharField(max_length=1024)
    actor_uri = fields.CharField(max_length=1024)
    account_id = fields.BigIntField(null=True)
    take_id = fields.BigIntField(null=True)
    state = fields.CharField(max_length=16, default="pending")  # one of PARTICIPATION_STATES
    reason = fields.CharField(max_length=300, default="")
    verified_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "take_trend_participations"
        unique_together = (("trend", "take_uri"),)
        indexes = (("trend_id", "state", "id"),)


class TrendHour(Entity):
    """How many Takes joined a trend in one clock hour (hours since the Unix epoch)"""

    trend_id = fields.BigIntField()
    hour = fields.IntField()
    joins = fields.IntField(default=0)

    class Meta:
        table = "take_trend_hours"
        unique_together = (("trend_id", "hour"),)
        indexes = (("hour", "trend_id"),)
