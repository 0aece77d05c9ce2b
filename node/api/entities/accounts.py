"""Account and Relationship entities."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ... import db
from ...models import Account, Block, Follow, FollowRequest, Mute
from ...runtime import Node
from ...services import account_extras
from .common import date_only, iso, renderings

DEFAULT_AVATAR = "avatar.png"
DEFAULT_HEADER = "header.png"


def _image(node: Node, value: str, default: str) -> str:
    if not value:
        return node.urls.static(default)
    return value if value.startswith(("http://", "https://")) else node.urls.media(value)


LINK_VALUE = re.compile(r"https?://[^\s<>\"']+")


def field_value_html(value: str) -> str:
    """A profile field's value as Mastodon renders it: a bare http(s) URL becomes a link (rel "me" so
    the page it points at can verify it back, "nofollow noopener" as for any user-given link)."""
    if not LINK_VALUE.fullmatch(value.strip()):
        return html.escape(value)
    url = html.escape(value.strip(), quote=True)
    shown = html.escape(value.strip().split("://", 1)[1].rstrip("/"))
    return f'<a href="{url}" rel="me nofollow noopener" target="_blank" translate="no">{shown}</a>'


def _picture(node: Node, account: Account, role: str, default: str) -> str:
    """A remote account's picture: our copy once made; its server's URL until then; the default picture
    when it cannot be copied or a domain block rejects that server's media (as Mastodon shows them)."""
    copy = account.avatar_file if role == "avatar" else account.header_file
    if copy:
        return node.urls.media(copy)
    if account.images_state in ("cached", "failed", "rejected"):
        return node.urls.static(default)
    return _image(node, getattr(account, role), default)


# An account's counters change with every post and follow, so they are set on each copy; the rest is
# rendered once while the account's other columns stay as they were (its keys are not shown: not kept).
_NOT_IN_PROFILE = ("statuses_count", "followers_count", "following_count", "last_status_at", "suspended_at",
                   "public_key_pem", "private_key_pem")
ACCOUNTS_KEPT = 2048


def _profile(node: Node, account: Account) -> dict[str, Any]:
    if account.local:
        avatar = _image(node, account.avatar, DEFAULT_AVATAR)
        header = _image(node, account.header, DEFAULT_HEADER)
    else:
        avatar = _picture(node, account, "avatar", DEFAULT_AVATAR)
        header = _picture(node, account, "header", DEFAULT_HEADER)
    fields = [{"name": html.escape(f.get("name", "")), "value": field_value_html(f.get("value", "")),
               "verified_at": None} for f in account.fields_json or []]
    return {
        "id": str(account.id),
        "username": account.username,
        "acct": account.acct(),
        "url": account.url or node.urls.profile(account.username),
        "uri": account.uri or node.urls.actor(account.username),
        "display_name": account.display_name,
        "note": account.note,
        "avatar": avatar,
        "avatar_static": avatar,
        "header": header,
        "header_static": header,
        "locked": account.locked,
        "fields": fields,
        "emojis": account.emojis_json or [],
        "bot": account.bot,
        "group": False,
        "discoverable": account.discoverable,
        "indexable": account.discoverable,
        "noindex": False,
        "created_at": iso(account.created_at.replace(hour=0, minute=0, second=0, microsecond=0)),
        "last_status_at": None,
        "statuses_count": 0,
        "followers_count": 0,
        "following_count": 0,
        "roles": [],
    }


def account_entity(node: Node, account: Account, *, source: bool = False) -> dict[str, Any]:
    """Mastodon's Account; with `source`, the CredentialAccount extras for verify_credentials. A new dict
    each time; its nested parts (fields, emojis) may be shared with other requests: read them only."""
    kept = renderings(node, "account", ACCOUNTS_KEPT)
    inputs = db.column_values(account, _NOT_IN_PROFILE)
    profile = kept.get(account.id, inputs)
    if profile is None:
        profile = _profile(node, account)
        kept.put(account.id, inputs, profile)
    entity = dict(profile)
    entity["last_status_at"] = date_only(account.last_status_at)
    entity["statuses_count"] = account.statuses_count
    entity["followers_count"] = account.followers_count
    entity["following_count"] = account.following_count
    if account.suspended_at is not None:
        entity["suspended"] = True
    if source:
        entity["source"] = {
            "privacy": "public",
            "sensitive": False,
            "language": "",
            "note": account.note_source,
            "fields": [{"name": f.get("name", ""), "value": f.get("value", ""), "verified_at": None}
                       for f in account.fields_json or []],
            "follow_requests_count": 0,
            "hide_collections": account.hide_collections,
            "discoverable": account.discoverable,
            "indexable": account.discoverable,
        }
    return entity


async def profile_entity(node: Node, account: Account, *, source: bool = False) -> dict[str, Any]:
    """The Account as a profile shows it: with `moved` (the Account it moved to) when it moved. Lists of
    accounts leave `moved` out; apps read it from the profile, where they show the banner."""
    entity = account_entity(node, account, source=source)
    if account.moved_to_uri:
        target = await Account.filter(uri=account.moved_to_uri).first()
        if target is not None:
            entity["moved"] = account_entity(node, target)
    return entity


async def credential_account_entity(node: Node, account: Account) -> dict[str, Any]:
    entity = await profile_entity(node, account, source=True)
    entity["source"]["follow_requests_count"] = await FollowRequest.filter(target_account_id=account.id).count()
    user = await account.user  # type: ignore[attr-defined]
    entity["source"]["privacy"] = user.default_visibility
    entity["source"]["sensitive"] = user.default_sensitive
    entity["role"] = {"id": "3" if user.admin else "-99", "name": "Admin" if user.admin else "",
                      "permissions": "1" if user.admin else "0", "color": "", "highlighted": user.admin}
    return entity


async def relationship_entities(viewer: Account, targets: Iterable[int]) -> list[dict[str, Any]]:
    """Mastodon's Relationship for each target, in the order given, in a fixed number of queries for any number."""
    ids = list(dict.fromkeys(targets))
    me = viewer.id

    async def pairs(model: Any, outgoing: bool, *extra: str) -> dict[int, Any]:
        if outgoing:
            rows = await model.filter(account_id=me, target_account_id__in=ids)
            return {r.target_account_id: r for r in rows}
        rows = await model.filter(target_account_id=me, account_id__in=ids)
        return {r.account_id: r for r in rows}

    following = await pairs(Follow, True)
    followed_by = await pairs(Follow, False)
    requested = await pairs(FollowRequest, True)
    requested_by = await pairs(FollowRequest, False)
    blocking = await pairs(Block, True)
    blocked_by = await pairs(Block, False)
    now = datetime.now(UTC)  # a timed mute is over once it expires, even before the sweep deletes it
    muting = {k: m for k, m in (await pairs(Mute, True)).items() if m.expires_at is None or m.expires_at > now}
    notes, endorsed, domain_blocked = await account_extras.relationship_extras(viewer, ids)
    result = []
    for target in ids:
        follow = following.get(target)
        mute = muting.get(target)
        result.append({
            "id": str(target),
            "following": follow is not None,
            "showing_reblogs": follow.show_reblogs if follow else True,
            "notifying": follow.notify if follow else False,
            "languages": None,
            "followed_by": target in followed_by,
            "blocking": target in blocking,
            "blocked_by": target in blocked_by,
            "muting": mute is not None,
            "muting_notifications": bool(mute and mute.hide_notifications),
            "requested": target in requested,
            "requested_by": target in requested_by,
            "domain_blocking": target in domain_blocked,
            "endorsed": target in endorsed,
            "note": notes.get(target, ""),
        })
    return result
