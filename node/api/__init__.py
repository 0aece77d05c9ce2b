"""The JSON API: Mastodon-compatible routes and our extensions, one module per area, each a thin layer of
parse -> service -> serialise. `ROUTE_MODULES` is the table of contents."""

from __future__ import annotations

import importlib

from aiohttp import web

ROUTE_MODULES = ("apps", "oauth", "account_moves", "accounts", "relationships", "statuses", "media", "polls", "timelines",
                 "notification_preferences", "notification_requests", "notification_groups", "notifications", "push", "instance", "instance_info", "announcements", "custom_emojis", "activitypub", "search", "places", "trends", "admin", "admin_accounts", "reports",
                 "takes", "take_trends", "take_templates", "scheduled_statuses", "lists", "conversations", "filters", "tags",
                 "account_extras", "stories", "story_answers", "highlights", "close_friends", "openapi")


def add_routes(app: web.Application) -> None:
    for name in ROUTE_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        app.router.add_routes(module.routes)
