"""Finding remote things on demand: an account by `@user@host` (WebFinger, then its actor document) or
by URL, and a post by URL; what Mastodon's /api/v2/search?resolve=true does. Every fetch goes through
the guarded client (no private addresses unless allowed, timeouts, size caps) and is signed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from federation.as2 import ACTOR_TYPES, InvalidActorError, parse_actor, type_of
from federation.client import FetchError
from federation.discovery import WebfingerError, actor_url_from_jrd, split_acct, webfinger_url

from ..errors import NotFound
from ..models import Account, Status
from ..services import accounts as account_service
from . import featured, ingest, moderation, state
from .actors import fetch_actor, host_of, upsert_actor

if TYPE_CHECKING:
    from ..runtime import Node


async def resolve_acct(node: Node, handle: str) -> Account:
    """An account by `user@host` (or `@user@host`): known, else found by WebFinger and fetched."""
    try:
        username, host = split_acct(handle)
    except WebfingerError:
        return await account_service.lookup_acct(node, handle)
    if host == node.config.node.domain.lower():
        return await account_service.local_account(username)
    known = await Account.filter(username__iexact=username, domain=host, suspended_at=None).first()
    if known is not None:
        return known
    await moderation.ensure_not_suspended(host)
    fed = state.of(node)
    try:
        jrd = await fed.client.get_json(webfinger_url(f"{username}@{host}", scheme=node.config.node.scheme),
                                        accept="application/jrd+json, application/json")
    except (FetchError, WebfingerError) as exc:
        raise NotFound(f"Could not find {username}@{host}: {getattr(exc, 'reason', exc)}") from None
    actor_url = actor_url_from_jrd(jrd) if isinstance(jrd, dict) else None
    if not actor_url:
        raise NotFound(f"{username}@{host} has no ActivityPub actor")
    account = await fetch_actor(node, actor_url, refresh=True)
    featured.read_remote_later(node, account)  # a profile found this way shows its pinned posts
    return account


async def resolve_url(node: Node, url: str) -> Account | Status:
    """An account or a status by URL: ours, known, or fetched and stored."""
    base = node.urls.base
    if url.startswith(base + "/"):
        status = await Status.filter(uri=url).first() or await Status.filter(url=url).first()
        if status is not None:
            return status
        account = await Account.filter(uri=url).first() or await Account.filter(url=url).first()
        if account is not None:
            return account
        raise NotFound()
    known_status = await Status.filter(uri=url).first() or await Status.filter(url=url).first()
    if known_status is not None:
        return known_status
    known_account = await Account.filter(uri=url, suspended_at=None).first()
    if known_account is not None:
        return known_account
    await moderation.ensure_not_suspended(host_of(url))
    fed = state.of(node)
    try:
        doc = await fed.client.get_activity(url, sign_with=fed.instance_key)
    except FetchError as exc:
        raise NotFound(f"Could not fetch {url}: {exc.reason}") from None
    if type_of(doc) in ACTOR_TYPES:
        try:
            actor = parse_actor(doc)
        except InvalidActorError as exc:
            raise NotFound(str(exc)) from None
        if host_of(actor.id) != host_of(url):
            raise NotFound("the document names an actor on another server")
        account = await upsert_actor(node, actor)
        featured.read_remote_later(node, account)
        return account
    object_id = doc.get("id") if isinstance(doc.get("id"), str) else url
    return await ingest.fetch_status(node, object_id)
