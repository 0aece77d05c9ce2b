"""Polls on statuses and the votes cast in them."""

from __future__ import annotations

from tortoise import fields

from .base import Entity


class Poll(Entity):
    status = fields.OneToOneField("models.Status", related_name="poll", on_delete=fields.CASCADE)
    options = fields.JSONField()  # ["title", ...]
    cached_tallies = fields.JSONField()  # [votes per option], kept with each vote
    multiple = fields.BooleanField(default=False)
    hide_totals = fields.BooleanField(default=False)
    expires_at = fields.DatetimeField(null=True)
    votes_count = fields.IntField(default=0)
    voters_count = fields.IntField(default=0)
    ended_notified = fields.BooleanField(default=False)  # the poll-ended notifications went out

    class Meta:
        table = "polls"


class PollVote(Entity):
    poll = fields.ForeignKeyField("models.Poll", related_name="votes", on_delete=fields.CASCADE)
    account = fields.ForeignKeyField("models.Account", related_name="poll_votes", on_delete=fields.CASCADE)
    choice = fields.IntField()
    uri = fields.CharField(max_length=1024, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "poll_votes"
        unique_together = (("poll", "account", "choice"),)
