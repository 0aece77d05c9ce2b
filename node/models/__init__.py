"""The node's stored aggregates, one module each; tortoise loads them from this package."""

from .account import Account, User
from .account_data import AccountArchive, AccountImport, AccountImportRow
from .account_extras import AccountDomainBlock, AccountNote, AccountPin, SuggestionDismissal
from .admin_blocks import CanonicalEmailBlock, IpBlock
from .announcement import Announcement, AnnouncementMute, AnnouncementReaction
from .base import Entity, parse_id, row_id, snowflake, snowflake_floor
from .conversation import Conversation
from .effect import PendingEffect
from .emoji import CustomEmoji
from .federation import Delivery, DomainBlock, InboxActivity, OutboxActivity, Peer, Report, Tombstone
from .feed import HomeFeedEntry
from .filter import Filter, FilterKeyword, FilterStatus
from .idempotency import IdempotencyKey
from .instance_info import InstanceText, Rule, TermsOfService
from .interaction import Bookmark, Favourite
from .list import List, ListAccount
from .marker import Marker
from .media import MediaAttachment
from .notification import Notification, NotificationPermission, NotificationPolicy, NotificationRequest
from .notification_channel import ChannelCursor, ChannelJob, NotificationSettings, PushSubscription
from .oauth import OAuthApp, OAuthCode, OAuthToken, SignUpDecoy, WebSession
from .place import Place, StatusPlace
from .poll import Poll, PollVote
from .preview_card import PreviewCard, StatusCard
from .relationship import Block, Follow, FollowRequest, Mute
from .scheduled import ScheduledStatus
from .search import IndexJournal, SearchHistory
from .status import Mention, QuoteApproval, Status, StatusEdit, StatusPin, StatusQuote, StatusTag, Tag
from .story import (
    CloseFriend,
    CountdownSubscription,
    Highlight,
    HighlightItem,
    StickerAnswer,
    Story,
    StoryAudience,
    StoryNotification,
    StoryResponse,
    StorySticker,
    StoryView,
)
from .tag_follow import FeaturedTag, TagFollow
from .take import BehindTheTakeStep, Take, TakeTemplate, TakeView
from .take_trend import TakeTrend, TrendHour, TrendParticipation

__all__ = [
    "Account", "Block", "Bookmark", "Delivery", "DomainBlock", "Entity", "parse_id", "row_id", "Favourite", "Follow", "FollowRequest", "HomeFeedEntry", "IdempotencyKey", "InboxActivity", "IndexJournal",
    "Marker", "MediaAttachment", "Mention", "Mute", "Notification", "OAuthApp", "OAuthCode", "OAuthToken", "OutboxActivity", "Peer", "Place", "Poll",
    "PendingEffect", "PollVote", "Report", "SearchHistory", "Status", "StatusEdit", "StatusPlace", "StatusTag", "SignUpDecoy", "SuggestionDismissal", "Tag", "User", "WebSession", "snowflake", "snowflake_floor",
    "AccountDomainBlock", "AccountNote", "AccountPin", "BehindTheTakeStep", "Conversation", "FeaturedTag", "TagFollow", "Filter", "FilterKeyword", "FilterStatus", "List", "ListAccount", "ScheduledStatus", "Take", "TakeTemplate", "TakeTrend", "TakeView", "TrendHour", "TrendParticipation",
    "NotificationPermission", "NotificationPolicy", "NotificationRequest",
    "ChannelCursor", "ChannelJob", "NotificationSettings", "PushSubscription",
    "StatusPin", "StatusQuote", "QuoteApproval", "Tombstone",
    "PreviewCard", "StatusCard", "CanonicalEmailBlock", "IpBlock",
    "AccountArchive", "AccountImport", "AccountImportRow", "CustomEmoji", "CloseFriend", "CountdownSubscription", "Highlight", "HighlightItem", "StickerAnswer", "Story", "StoryAudience",
    "StoryNotification", "StoryResponse", "StorySticker", "StoryView",
    "Announcement", "AnnouncementMute", "AnnouncementReaction", "InstanceText", "Rule", "TermsOfService",
]
