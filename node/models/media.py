"""Uploaded or remote media files attached to statuses."""

from __future__ import annotations

from tortoise import fields

from .base import Entity, SetIndex


class MediaAttachment(Entity):
    account = fields.ForeignKeyField("models.Account", related_name="media", on_delete=fields.CASCADE)
    status = fields.ForeignKeyField("models.Status", related_name="media", null=True, on_delete=fields.CASCADE)
    type = fields.CharField(max_length=16)  # image | video | gifv | audio | unknown
    mime_type = fields.CharField(max_length=64, default="")
    file_path = fields.CharField(max_length=512, default="")  # relative to the media folder; "" if remote
    preview_path = fields.CharField(max_length=512, default="")
    remote_url = fields.CharField(max_length=1024, default="")
    file_size = fields.IntField(default=0)
    width = fields.IntField(null=True)
    height = fields.IntField(null=True)
    duration = fields.FloatField(null=True)  # seconds, for video/audio
    blurhash = fields.CharField(max_length=64, null=True)
    description = fields.TextField(default="")
    focus_x = fields.FloatField(default=0.0)
    focus_y = fields.FloatField(default=0.0)
    position = fields.IntField(default=0)  # order within its status
    scheduled_status_id = fields.BigIntField(null=True)  # held for a scheduled status until it is published
    created_at = fields.DatetimeField(auto_now_add=True)
    # Another server's attachment is copied here (node/services/remote_media.py). "" = a local upload (or a
    # remote row from before copies were made); pending = to fetch, stored with the status so a crash keeps
    # the intent; cached = the copy is in file_path; failed = it cannot be copied (refused address, too large,
    # not media), shown from remote_url as type "unknown"; pruned = the copy was deleted after the retention
    # period and is fetched again when its media proxy URL is asked for.
    remote_state = fields.CharField(max_length=8, default="")
    fetch_after = fields.DatetimeField(null=True)  # set only while pending: the fetch queue's index
    fetch_attempts = fields.IntField(default=0)
    fetch_error = fields.CharField(max_length=500, default="")
    cached_at = fields.DatetimeField(null=True)  # set only while cached: what the prune job reads

    class Meta:
        table = "media_attachments"
        indexes = (("status_id", "position"),  # a page's media, and "only media" timelines
                   SetIndex(fields=("fetch_after",)), SetIndex(fields=("cached_at",)))
