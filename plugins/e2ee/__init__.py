"""The E2EE messaging plugin: devices and public keys, ciphertext queues per device, encrypted groups, and
their federation. The server stores and routes public keys and ciphertext only: nothing in these server
modules imports a library that could decrypt (tests check that vodozemac and olm stay unloaded).

The client library that does the cryptography lives in `plugins.e2ee.client` (never imported here).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from node.plugin_api import AccountInfo, Job, NodeApi, hookimpl


@hookimpl
def settings() -> dict[str, Any]:
    return {
        "expiry_interval_seconds": 60,  # how often expired ciphertext is deleted
    }


@hookimpl
def models() -> list[str]:
    return [".models"]


@hookimpl
def routes(api: NodeApi) -> Any:
    from .routes import make_routes

    return make_routes(api)


@hookimpl
def startup(api: NodeApi) -> None:
    if api.settings["expiry_interval_seconds"] < 1:
        raise ValueError("expiry_interval_seconds must be at least 1")


async def expire_messages(api: NodeApi, now: datetime | None = None) -> int:
    """Delete expired ciphertext everywhere it is stored (tests call this with a `now` of their choosing)."""
    from .envelopes import expire

    return await expire(api, now or api.now())


@hookimpl
def jobs(api: NodeApi) -> list[Job]:
    return [Job("expire ciphertext", expire_messages, every_seconds=api.settings["expiry_interval_seconds"])]


@hookimpl
def activitypub_handlers(api: NodeApi) -> dict[Any, Any]:
    from .federation import handlers

    return handlers(api)


@hookimpl
def actor_document(api: NodeApi, account: AccountInfo) -> dict[str, Any]:
    from .federation import actor_fields

    return actor_fields(api, account)
