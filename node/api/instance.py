"""Instance information: /api/v1/instance, /api/v2/instance and the small lists clients ask for at start."""

from __future__ import annotations

from aiohttp import web

from ..notify import state as channels
from ..services import instance, instance_info
from .endpoint import endpoint
from .entities.accounts import account_entity
from .entities.announcements import rule_entity
from .keys import NODE

routes = web.RouteTableDef()


def _configuration(node, has_terms: bool) -> dict:  # type: ignore[no-untyped-def]
    limits = instance.limits(node)
    return {
        "urls": {"streaming": node.base_url.replace("http", "ws", 1), "status": None,
                 "about": f"{node.base_url}/about", "privacy_policy": f"{node.base_url}/privacy-policy",
                 "terms_of_service": f"{node.base_url}/terms" if has_terms else None},
        "vapid": {"public_key": channels.of(node).vapid_public},
        "accounts": {"max_featured_tags": 0, "max_pinned_statuses": 0},
        "statuses": {"max_characters": limits["max_characters"], "max_media_attachments": limits["max_media_attachments"],
                     "characters_reserved_per_url": 23},
        "media_attachments": {
            "supported_mime_types": [*instance.IMAGE_TYPES, *instance.VIDEO_TYPES],
            "description_limit": 1500,
            "image_size_limit": limits["image_size_limit"],
            "image_matrix_limit": 33177600,
            "video_size_limit": limits["video_size_limit"],
            "video_frame_rate_limit": 120,
            "video_matrix_limit": 8294400,
        },
        "polls": instance.POLL_LIMITS,
        "translation": {"enabled": False},
        "limited_federation": False,
    }


@routes.get("/api/v2/instance")
@endpoint()
async def instance_v2(request: web.Request) -> web.Response:
    """Instance (v2): domain, limits, registrations, api_versions, contact."""
    node = request.app[NODE]
    usage = await instance.usage()
    contact = await instance.contact_account()
    mode = node.config.node.registrations
    return web.json_response({
        "domain": node.config.node.domain,
        "title": node.config.node.name,
        "version": instance.version_string(),
        "source_url": "https://entativa.social/source",
        "description": node.config.node.description,
        "usage": {"users": {"active_month": usage.users}},
        "thumbnail": {"url": node.urls.static("thumbnail.png"), "blurhash": None, "versions": {}},
        "icon": [],
        "languages": ["en"],
        "configuration": _configuration(node, await instance_info.has_terms()),
        "registrations": {"enabled": mode != "closed", "approval_required": mode == "approval",
                          "reason_required": False, "message": None, "min_age": None, "url": None},
        "api_versions": instance.API_VERSIONS,
        "contact": {"email": "", "account": account_entity(node, contact) if contact else None},
        "rules": [rule_entity(r) for r in await instance_info.rules()],
    })


@routes.get("/api/v1/instance")
@endpoint()
async def instance_v1(request: web.Request) -> web.Response:
    """Instance (v1, deprecated by Mastodon but still used by many clients)."""
    node = request.app[NODE]
    usage = await instance.usage()
    contact = await instance.contact_account()
    mode = node.config.node.registrations
    configuration = _configuration(node, await instance_info.has_terms())
    return web.json_response({
        "uri": node.config.node.domain,
        "title": node.config.node.name,
        "short_description": node.config.node.description,
        "description": node.config.node.description,
        "email": "",
        "version": instance.version_string(),
        "urls": {"streaming_api": configuration["urls"]["streaming"]},
        "stats": {"user_count": usage.users, "status_count": usage.statuses, "domain_count": usage.domains},
        "thumbnail": node.urls.static("thumbnail.png"),
        "languages": ["en"],
        "registrations": mode != "closed",
        "approval_required": mode == "approval",
        "invites_enabled": False,
        "configuration": {k: configuration[k] for k in ("statuses", "media_attachments", "polls", "vapid")},
        "contact_account": account_entity(node, contact) if contact else None,
        "rules": [rule_entity(r) for r in await instance_info.rules()],
        "api_versions": instance.API_VERSIONS,
    })
