"""The node's stored aggregates, one module each; tortoise loads them from this package."""

from .account import Account, User
from .base import Entity, snowflake, snowflake_floor
from .feed import HomeFeedEntry
from .interaction import Bookmark, Favourite
from .marker import Marker
from .media import MediaAttachment
from .notification import Notification
from .oauth import OAuthApp, OAuthCode, OAuthToken, WebSession
from .poll import Poll, PollVote
from .relationship import Block, Follow, FollowRequest, Mute
from .status import Mention, Status, StatusEdit, StatusTag, Tag

__all__ = [
    "Account", "Block", "Bookmark", "Entity", "Favourite", "Follow", "FollowRequest", "HomeFeedEntry",
    "Marker", "MediaAttachment", "Mention", "Mute", "Notification", "OAuthApp", "OAuthCode", "OAuthToken", "Poll",
    "PollVote", "Status", "StatusEdit", "StatusTag", "Tag", "User", "WebSession", "snowflake", "snowflake_floor",
]
