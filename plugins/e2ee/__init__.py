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
        "attachment_max_bytes": 100 * 1024 * 1024,  # one encrypted attachment's ciphertext
        "attachment_quota_bytes": 1024 * 1024 * 1024,  # what one account may keep stored (until it expires)
        "ice_servers": [],  # STUN/TURN servers for calls, as RTCIceServer tables ({urls, username, credential})
    }


@hookimpl
def models() -> list[str]:
    return [".models"]


@hookimpl
def routes(api: NodeApi) -> Any:
    from . import attachment_routes
    from .routes import make_routes

    return [*make_routes(api), *attachment_routes.make_routes(api)]


@hookimpl
def startup(api: NodeApi) -> None:
    if api.settings["expiry_interval_seconds"] < 1:
        raise ValueError("expiry_interval_seconds must be at least 1")
    if api.settings["attachment_max_bytes"] < 1 or api.settings["attachment_quota_bytes"] < 1:
        raise ValueError("attachment_max_bytes and attachment_quota_bytes must be at least 1")
    from .calls import ice_servers

    ice_servers(api.settings["ice_servers"])


async def expire_messages(api: NodeApi, now: datetime | None = None) -> int:
    """Delete expired ciphertext everywhere it is stored, attachment blobs included (on the node's clock,
    or a `now` of the caller's choosing); returns how many envelopes went."""
    from . import attachments
    from .envelopes import expire

    now = now or api.now()
    removed = await expire(api, now)
    await attachments.expire(api, now)
    return removed


@hookimpl
def events(api: NodeApi) -> dict[str, Any]:
    from .departures import forget_account

    async def account_deleted(account: AccountInfo) -> None:
        await forget_account(api, account)

    return {"account.deleted": account_deleted}


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
