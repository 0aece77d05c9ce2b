"""Takes (short vertical videos): the Take-specific data kept 1:1 beside its Status, its Behind-the-Take
how-to with ordered steps, and reusable Take templates.

A Take is a Status (likes, comments, shares, saves, visibility and timelines work unchanged) plus one
`Take` row. The row names its status by id, not by foreign key, so that when the status is deleted the
row is still there for the subscriber that federates the `Remove` from the trend and then deletes it.
"""

from __future__ import annotations

from tortoise import fields

from .base import Entity

TREND_STATES = ("", "origin", "pending", "verified", "unverified")


class Take(Entity):
    """The Take-specific data of one status: sound credit, views, template and trend links"""

    status_id = fields.BigIntField(unique=True)
    account_id = fields.BigIntField()
    local = fields.BooleanField(default=True)
    uri = fields.CharField(max_length=1024, unique=True)  # the status's ActivityPub id
    sound_title = fields.CharField(max_length=200, default="")
    sound_author = fields.CharField(max_length=200, default="")
    sound_url = fields.CharField(max_length=1024, default="")
    duration = fields.FloatField(null=True)  # seconds
    width = fields.IntField(null=True)
    height = fields.IntField(null=True)
    views_count = fields.IntField(default=0)
    template_id = fields.BigIntField(null=True)  # the TakeTemplate it was made from
    template_uri = fields.CharField(max_length=1024, default="")
    trend_id = fields.BigIntField(null=True)  # the TakeTrend it started or joined
    trend_uri = fields.CharField(max_length=1024, default="")
    trend_state = fields.CharField(max_length=16, default="")  # one of TREND_STATES
    trend_claim = fields.JSONField(null=True)  # the trend as the Take's own server describes it
    trend_checked_at = fields.DatetimeField(null=True)
    btt_updated_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "takes"
        indexes = (("account_id", "id"), ("trend_id", "id"), ("template_id", "id"))


class TakeView(Entity):
    """Who has been counted as watching a Take: one row per viewer and Take, so a view counts once"""

    take_id = fields.BigIntField()
    viewer = fields.CharField(max_length=64)  # a digest of the session, token or cookie (never the secret)
    created_at = fields.DatetimeField()

    class Meta:
        table = "take_views"
        unique_together = (("take_id", "viewer"),)


class BehindTheTakeStep(Entity):
    """One step of a Take's Behind-the-Take how-to, in order, with an optional time into the video"""

    take = fields.ForeignKeyField("models.Take", related_name="btt_steps", on_delete=fields.CASCADE)
    position = fields.IntField()
    text = fields.TextField(default="")
    media_id = fields.BigIntField(null=True)  # an image or clip shown with the step
    media_url = fields.CharField(max_length=1024, default="")  # remote steps keep the URL only
    at_seconds = fields.FloatField(null=True)

    class Meta:
        table = "take_btt_steps"
        unique_together = (("take", "position"),)


class TakeTemplate(Entity):
    """A Take published as a reusable template: segment timings, text overlays, sound and effects"""

    uri = fields.CharField(max_length=1024, unique=True)
    local = fields.BooleanField(default=True)
    take_id = fields.BigIntField(null=True)  # the Take it was published from, when this node has it
    take_uri = fields.CharField(max_length=1024, default="")
    url = fields.CharField(max_length=1024, default="")  # its page
    usages_uri = fields.CharField(max_length=1024, default="")  # the collection of Takes made from it
    account_id = fields.BigIntField()  # its author
    name = fields.CharField(max_length=200)
    segments = fields.JSONField(default=list)
    overlays = fields.JSONField(default=list)
    sound = fields.JSONField(default=dict)
    effects = fields.JSONField(default=dict)
    usage_count = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "take_templates"
        indexes = (("account_id", "id"), ("usage_count", "id"))
