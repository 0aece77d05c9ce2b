"""The streams a client may subscribe to, by Mastodon's names: the channels each listens on, the scope it
needs and whether blocks and mutes are applied here (the public and hashtag streams; the user stream is
filtered when its events are published).

Errors are Mastodon's: 400 "Unknown stream type" / "Missing tag name parameter", 401 when the token's
scopes do not cover the stream. Other features add streams (lists, our extensions) with `Hub.define`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import BadRequest, Unauthorized

if TYPE_CHECKING:
    from ..runtime import Node
    from ..services.auth import Grant

PUBLIC_CHANNELS = {
    "public": "timeline:public",
    "public:media": "timeline:public:media",
    "public:local": "timeline:public:local",
    "public:local:media": "timeline:public:local:media",
    "public:remote": "timeline:public:remote",
    "public:remote:media": "timeline:public:remote:media",
}
HASHTAG_STREAMS = ("hashtag", "hashtag:local")
TRUTHY = {"1", "true", "t", "on", "yes", "y"}


def user_channel(account_id: int) -> str:
    """An account's home timeline events (`update`, `delete`, `status.update`, `filters_changed`)."""
    return f"timeline:{account_id}"


def notifications_channel(account_id: int) -> str:
    """An account's `notification` and `notifications_merged` events."""
    return f"timeline:{account_id}:notifications"


def direct_channel(account_id: int) -> str:
    """An account's `conversation` events and the `delete` of direct statuses."""
    return f"timeline:direct:{account_id}"


def token_channel(token_hash: str) -> str:
    """Where a revoked access token's open connections are told to close (the hash, never the token)."""
    return f"timeline:access_token:{token_hash}"


# Announcements go to every local user's `user` stream; one channel all of them listen on, so publishing
# one costs one message however many people are signed in.
ANNOUNCEMENTS_CHANNEL = "timeline:announcements"


def list_channel(list_id: int | str) -> str:
    return f"timeline:list:{list_id}"


def hashtag_channel(name: str, *, local: bool = False) -> str:
    return f"timeline:hashtag:{normalize_tag(name)}" + (":local" if local else "")


def normalize_tag(name: str) -> str:
    return name.strip().removeprefix("#").lower()


@dataclass(frozen=True)
class Stream:
    """A resolved subscription: the name the client sees on each event, and what it listens to."""

    label: list[str]
    channels: tuple[str, ...]
    filtered: bool = False


# (node, the caller's grant, the subscription's parameters) -> the stream, or a DomainError
Resolver = Callable[["Node", "Grant", Mapping[str, Any]], Awaitable[Stream]]


def list_resolver(owner_of: Callable[[str], Awaitable[int | None]]) -> Resolver:
    """The `list` stream, for the lists feature to define (`node.streams.define("list", list_resolver(f))`):
    `owner_of(list_id)` answers the id of the account owning the list, or None. Errors as Mastodon's."""

    async def resolve_list(_node: Node, grant: Grant, params: Mapping[str, Any]) -> Stream:
        list_id = _param(params, "list")
        if not list_id:
            raise BadRequest("Missing list name parameter")
        if grant.user is None or await owner_of(list_id) != grant.user.account_id:  # type: ignore[attr-defined]
            raise Unauthorized("Not authorized to stream this list")
        return Stream(["list", list_id], (list_channel(list_id),))

    return resolve_list


def _param(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    if isinstance(value, list):  # ?tag=a&tag=b, or a JSON list: the first, as Mastodon's firstParam
        value = value[0] if value else None
    return str(value).strip() if value is not None else ""


def stream_name(path_name: str, params: Mapping[str, Any]) -> str:
    """The stream a server-sent-events path asks for (`only_media` picks the media variants)."""
    if path_name.startswith("public") and _param(params, "only_media").lower() in TRUTHY:
        return path_name + ":media"
    return path_name


def check_scopes(grant: Grant, name: str) -> None:
    """Public streams need only a valid token; the others `read` or `read:statuses`, the notification
    stream `read` or `read:notifications` (as Mastodon)."""
    if name in PUBLIC_CHANNELS or name in HASHTAG_STREAMS:
        return
    needed = "read:notifications" if name == "user:notification" else "read:statuses"
    if not grant.allows(needed):
        raise Unauthorized("Access token does not have the required scopes")


async def resolve(
    node: Node, grant: Grant, name: str, params: Mapping[str, Any], defined: Mapping[str, Resolver]
) -> Stream:
    check_scopes(grant, name)
    account_id = grant.user.account_id if grant.user is not None else None  # type: ignore[attr-defined]
    if name in PUBLIC_CHANNELS:
        return Stream([name], (PUBLIC_CHANNELS[name],), filtered=True)
    if name in HASHTAG_STREAMS:
        tag = normalize_tag(_param(params, "tag"))
        if not tag:
            raise BadRequest("Missing tag name parameter")
        return Stream(
            [name, _param(params, "tag")],
            (hashtag_channel(tag, local=name == "hashtag:local"),),
            filtered=True,
        )
    if account_id is None:
        raise Unauthorized("This stream requires an authenticated user")
    if name == "user":
        channels = [user_channel(account_id), ANNOUNCEMENTS_CHANNEL]
        if grant.allows("read:notifications"):  # the user stream carries notifications only with that scope
            channels.append(notifications_channel(account_id))
        return Stream(["user"], tuple(channels))
    if name == "user:notification":
        return Stream(["user:notification"], (notifications_channel(account_id),))
    if name == "direct":
        return Stream(["direct"], (direct_channel(account_id),))
    if name in defined:
        return await defined[name](node, grant, params)
    raise BadRequest("Unknown stream type")
