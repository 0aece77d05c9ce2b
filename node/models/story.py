"""Stories: 24-hour image or video posts with overlays and interactive stickers, their answers, views,
replies and reactions, the author's close-friends list, highlights, and countdown subscriptions.

A story owns its media files (the upload's row is folded into the story), so expiry removes exactly the
story's files. Local stories stay in their author's archive after they expire (`expired`); remote ones
are deleted with their files. Views and answers name the account by id, local or remote.
"""

from __future__ import annotations

from tortoise import fields

from .base import Entity

AUDIENCES = ("followers", "close_friends")
PROTOCOLS = ("entativa", "pixelfed")
STICKER_KINDS = ("poll", "quiz", "question", "countdown", "slider", "add_yours",
                 "mention", "hashtag", "location", "link", "shared_answer")
MADE_BY_SHARING = ("shared_answer",)  # a question's answer shared as a story: never posted directly
ANSWERABLE = ("poll", "quiz", "question", "countdown", "slider", "add_yours")
RESPONSE_KINDS = ("reply", "reaction")


class Story(Entity):
    """One story: its media (files under the media folder), audience, overlays and expiry"""

    account_id = fields.BigIntField()
    local = fields.BooleanField(default=True)
    uri = fields.CharField(max_length=1024, unique=True)
    url = fields.CharField(max_length=1024, default="")
    protocol = fields.CharField(max_length=16, default="entativa")  # how a remote story reached us
    media_type = fields.CharField(max_length=16)  # image | video
    mime_type = fields.CharField(max_length=64, default="")
    file_path = fields.CharField(max_length=512, default="")  # relative to the media folder
    preview_path = fields.CharField(max_length=512, default="")
    remote_url = fields.CharField(max_length=1024, default="")  # where a remote story's media came from
    width = fields.IntField(null=True)
    height = fields.IntField(null=True)
    blurhash = fields.CharField(max_length=64, null=True)
    description = fields.TextField(default="")
    duration = fields.FloatField(default=5.0)  # seconds on screen (a video's own length)
    audience = fields.CharField(max_length=16, default="followers")  # one of AUDIENCES
    can_reply = fields.BooleanField(default=True)
    can_react = fields.BooleanField(default=True)
    overlays = fields.JSONField(default=list)
    bearer_token = fields.CharField(max_length=64, default="")  # local: Pixelfed's bearcap token
    add_yours_uri = fields.CharField(max_length=1024, default="")  # the add-yours sticker this answers
    add_yours_author_uri = fields.CharField(max_length=1024, default="")
    expired = fields.BooleanField(default=False)  # past expires_at: only in its author's archive
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()

    class Meta:
        table = "stories"
        indexes = (("account_id", "expires_at"), ("expired", "expires_at"))


class StoryAudience(Entity):
    """A local account a remote story was addressed to by name (close-friends stories)"""

    story = fields.ForeignKeyField("models.Story", related_name="audience_rows", on_delete=fields.CASCADE)
    account_id = fields.BigIntField()

    class Meta:
        table = "story_audiences"
        unique_together = (("story", "account_id"),)


class StorySticker(Entity):
    """A sticker placed on a story: its kind, place on the media and kind-specific fields"""

    story = fields.ForeignKeyField("models.Story", related_name="stickers", on_delete=fields.CASCADE)
    uri = fields.CharField(max_length=1024, unique=True)
    position = fields.IntField(default=0)  # order on the story
    kind = fields.CharField(max_length=16)  # one of STICKER_KINDS
    placement = fields.JSONField(default=dict)  # x, y, width, height (0-1), rotation (degrees)
    data = fields.JSONField(default=dict)  # question, options, correct_option, prompt, title, ends_at ...
    ends_at = fields.DatetimeField(null=True)  # countdowns

    class Meta:
        table = "story_stickers"
        indexes = (("story_id", "position"),)


class StickerAnswer(Entity):
    """One viewer's answer to one sticker (at most one each), kept by the story author's node"""

    sticker = fields.ForeignKeyField("models.StorySticker", related_name="answers", on_delete=fields.CASCADE)
    account_id = fields.BigIntField()
    uri = fields.CharField(max_length=1024, default="")  # the federated answer's id
    choice = fields.IntField(null=True)  # poll, quiz
    value = fields.FloatField(null=True)  # slider
    text = fields.TextField(default="")  # question
    story_uri = fields.CharField(max_length=1024, default="")  # add_yours: the answering story
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "story_sticker_answers"
        unique_together = (("sticker", "account_id"),)


class CountdownSubscription(Entity):
    """Someone wants to hear when a countdown ends: kept apart from the story, which may expire first"""

    sticker_uri = fields.CharField(max_length=1024)
    account_id = fields.BigIntField()  # who subscribed
    author_id = fields.BigIntField()  # the countdown's author (the notification's sender)
    title = fields.CharField(max_length=200, default="")
    ends_at = fields.DatetimeField()
    notified_at = fields.DatetimeField(null=True)

    class Meta:
        table = "story_countdown_subscriptions"
        unique_together = (("sticker_uri", "account_id"),)
        indexes = (("notified_at", "ends_at"),)


class StoryView(Entity):
    """One viewer's views of one story, with the navigation their client reported"""

    story = fields.ForeignKeyField("models.Story", related_name="views", on_delete=fields.CASCADE)
    account_id = fields.BigIntField()
    views = fields.IntField(default=1)
    completed = fields.BooleanField(default=False)
    taps_forward = fields.IntField(default=0)
    taps_back = fields.IntField(default=0)
    exits = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "story_views"
        unique_together = (("story", "account_id"),)
        indexes = (("account_id", "story_id"),)


class StoryResponse(Entity):
    """A reply (a direct message threaded to the story) or a quick emoji reaction"""

    story = fields.ForeignKeyField("models.Story", related_name="responses", on_delete=fields.CASCADE)
    account_id = fields.BigIntField()
    kind = fields.CharField(max_length=16)  # reply | reaction
    emoji = fields.CharField(max_length=32, default="")
    status_id = fields.BigIntField(null=True)  # a reply's direct message
    uri = fields.CharField(max_length=1024, default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "story_responses"
        indexes = (("story_id", "kind"), ("status_id",))


class StoryNotification(Entity):
    """Which story a story notification is about (notifications themselves name only statuses)"""

    notification_id = fields.BigIntField(unique=True)
    story_id = fields.BigIntField()

    class Meta:
        table = "story_notifications"
        indexes = (("story_id",),)


class CloseFriend(Entity):
    """One account on a local author's close-friends list"""

    account_id = fields.BigIntField()  # the author
    friend_id = fields.BigIntField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "close_friends"
        unique_together = (("account_id", "friend_id"),)
        indexes = (("friend_id", "account_id"),)


class Highlight(Entity):
    """A permanent, public collection of an author's stories on their profile"""

    account_id = fields.BigIntField()
    title = fields.CharField(max_length=100)
    cover_story_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "story_highlights"
        indexes = (("account_id", "id"),)


class HighlightItem(Entity):
    """A story in a highlight, in order: it keeps the story (and its files) past expiry"""

    highlight = fields.ForeignKeyField("models.Highlight", related_name="items", on_delete=fields.CASCADE)
    story = fields.ForeignKeyField("models.Story", related_name="highlight_items", on_delete=fields.CASCADE)
    position = fields.IntField(default=0)

    class Meta:
        table = "story_highlight_items"
        unique_together = (("highlight", "story"),)
        indexes = (("story_id",),)
