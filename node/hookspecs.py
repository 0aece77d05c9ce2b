"""The hooks a plugin may implement: read top to bottom, this is the table of contents of what plugins can do.

Every hook but `settings` receives `api`, the plugin's own `NodeApi` (settings, logger, lookups, posting); an
implementation may leave out any argument it does not need. The hooks asked while the app is being built
(settings, models, routes, template_folder, static_folder) are plain functions; the others may be `async def`. docs/plugins.md
documents each one with an example, and tests/test_plugins_hooks.py fails if a hook here lacks either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .plugin_api import AccountInfo, NodeApi

PROJECT = "entativa"
hookspec = pluggy.HookspecMarker(PROJECT)


# ---- configuration and storage: asked once, while the node is being built ---------------------------------


@hookspec
def settings() -> dict[str, Any]:
    """Returns this plugin's settings and their defaults; [plugins.<name>] in node.toml overrides them, type-checked."""


@hookspec
def models(api: NodeApi) -> list[str]:
    """Returns the modules holding this plugin's tortoise models, created by the migrations in its migrations/ package."""


@hookspec
def routes(api: NodeApi) -> Any:
    """Returns HTTP routes (an aiohttp RouteTableDef or a list of route definitions) to add to the node's app."""


@hookspec
def template_folder(api: NodeApi) -> Any:
    """Returns the folder of jinja2 templates that api.render() looks in before the active theme's."""


@hookspec
def static_folder(api: NodeApi) -> Any:
    """Returns a folder of files served at /plugins/<name>/static/ (api.static_url() builds their URLs)."""


# ---- lifecycle -----------------------------------------------------------------------------------------------


@hookspec
def startup(api: NodeApi) -> None:
    """Runs once the node has started (database open and migrated), before it serves a request."""


@hookspec
def shutdown(api: NodeApi) -> None:
    """Runs once as the node stops, before the database closes."""


# ---- background work -------------------------------------------------------------------------------------------


@hookspec
def jobs(api: NodeApi) -> list[Any]:
    """Returns periodic jobs, each a plugin_api.Job(name, run, every_seconds) whose run(api) the scheduler calls."""


@hookspec
def events(api: NodeApi) -> dict[str, Any]:
    """Returns {event name: handler} subscriptions to the node's event bus (the catalogue is in docs/plugins.md)."""


# ---- federation ----------------------------------------------------------------------------------------------


@hookspec
def activitypub_handlers(api: NodeApi) -> dict[Any, Any]:
    """Returns {activity type, or (activity type, object type): handler(activity)} for inbox activities."""


@hookspec
def actor_document(api: NodeApi, account: AccountInfo, document: dict[str, Any]) -> dict[str, Any] | None:
    """Returns extra top-level fields (and "@context" entries) for a local account's ActivityPub actor document."""


# ---- "may this happen?" vetoes: return None to allow, or a reason (str) / False to refuse; first refusal wins --


@hookspec
def may_register(api: NodeApi, username: str, email: str) -> str | bool | None:
    """Asked before a local account is created; a refusal stops the sign-up with 403 and the reason."""


@hookspec
def may_post(api: NodeApi, account: AccountInfo, text: str, visibility: str) -> str | bool | None:
    """Asked before a local account's status is created; a refusal stops the post with 403 and the reason."""


@hookspec
def may_follow(api: NodeApi, account: AccountInfo, target: AccountInfo) -> str | bool | None:
    """Asked before a local account follows (or asks to follow) another; a refusal answers 403 with the reason."""


VETO_HOOKS = ("may_register", "may_post", "may_follow")
