"""Facts about this node for the instance endpoints: limits, counts, registration mode, contact."""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Account, Status, User
from ..runtime import Node

VERSION = "0.1.0"
# Clients (Mastodon.py, toot, apps) gate features on a Mastodon version: we answer as 4.3-compatible.
MASTODON_COMPAT = "4.3.0"
API_VERSIONS = {"mastodon": 2}
MAX_MEDIA = 4
POLL_LIMITS = {"max_options": 4, "max_characters_per_option": 50, "min_expiration": 300,
               "max_expiration": 2629746}
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
VIDEO_TYPES = ("video/mp4", "video/webm", "video/quicktime")


@dataclass(frozen=True)
class Usage:
    users: int
    statuses: int
    domains: int


async def usage() -> Usage:
    users = await User.filter(approved=True, account__suspended_at=None).count()
    statuses = await Status.filter(local=True, reblog_of_id=None).count()
    domains = len(await Account.exclude(domain="").distinct().values_list("domain", flat=True))
    return Usage(users=users, statuses=statuses, domains=domains)


async def contact_account() -> Account | None:
    """The first admin, who instance pages name as the contact."""
    admin = await User.filter(admin=True).order_by("id").select_related("account").first()
    return admin.account if admin else None


def version_string() -> str:
    return f"{MASTODON_COMPAT} (compatible; Entativa {VERSION})"


def limits(node: Node) -> dict:
    storage = node.config.storage
    return {
        "max_characters": node.config.node.max_post_chars,
        "max_media_attachments": MAX_MEDIA,
        "image_size_limit": storage.max_image_mb * 1024 * 1024,
        "video_size_limit": storage.max_video_mb * 1024 * 1024,
    }


# Client libraries that pick an API flavour from NodeInfo read these: megalodon (and the apps built on it)
# takes `upstream.name == "mastodon"` as Mastodon-compatible, as forks such as Hometown, Fedibird and
# kmyblue advertise it; Pleroma-family detectors look for "mastodon_api" in `features`.
MASTODON_FEATURES = ("mastodon_api", "mastodon_api_streaming", "polls", "editing")


def nodeinfo_metadata(node: Node) -> dict:
    return {"nodeName": node.config.node.name, "nodeDescription": node.config.node.description,
            "upstream": {"name": "mastodon", "version": MASTODON_COMPAT},
            "features": list(MASTODON_FEATURES)}
