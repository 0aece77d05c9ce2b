"""Actors: our actor documents (people and the instance actor), remote actors fetched and stored as
accounts, and the key resolver the signature verifier asks (cache, database, then the network)."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urlsplit

from tortoise.exceptions import IntegrityError

from federation.as2 import (
    InvalidActorError,
    ParsedActor,
    build_instance_actor,
    build_person,
    image_object,
    parse_actor,
)
from federation.as2.actors import key_info_from_document
from federation.as2.fields import web_url
from federation.client import FetchError
from federation.keyfetch import fetch_public_key
from federation.signatures import PublicKeyInfo

from ..errors import NotFound
from ..models import Account
from ..services import content
from ..services import emoji as emoji_service
from ..services import media as media_service
from . import emoji as remote_emoji
from . import moderation, remote_media, state

if TYPE_CHECKING:
    from ..runtime import Node

KEY_CACHE_SIZE = 10_000


def host_of(uri: str) -> str:
    return urlsplit(uri).netloc.lower()


def key_id(account: Account) -> str:
    return f"{account.uri}#main-key"


# ---- our documents -----------------------------------------------------------------------------------------


def _media_url(node: Node, value: str) -> str | None:
    if not value:
        return None
    return value if value.startswith(("http://", "https://")) else node.urls.media(value)


async def person_document(node: Node, account: Account) -> dict[str, Any]:
    """The Person document of a local account, with what plugins add to it."""
    actor = account.uri or node.urls.actor(account.username)
    icon = _media_url(node, account.avatar)
    header = _media_url(node, account.header)
    fields = [(f.get("name", ""), html.escape(f.get("value", ""))) for f in account.fields_json or []]
    doc = build_person(
        actor, account.username, account.public_key_pem, name=account.display_name or account.username,
        summary_html=account.note, url=account.url or node.urls.profile(account.username),
        shared_inbox=f"{node.urls.base}/inbox", manually_approves_followers=account.locked,
        featured_tags=f"{actor}/collections/tags",
        discoverable=account.discoverable, indexable=account.discoverable,
        icon=image_object(icon) if icon else None, image=image_object(header) if header else None,
        fields=fields, published=account.created_at.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        actor_type="Service" if account.bot else "Person", also_known_as=account.also_known_as or (),
        moved_to=account.moved_to_uri or None)
    doc["tag"] = await emoji_service.tags_for(
        node, *emoji_service.profile_texts(account.display_name, account.note, account.fields_json))
    doc["highlights"] = f"{actor}/collections/highlights"  # entativa:highlights, our stories' public collections
    doc["@context"] = [*doc["@context"], {"highlights": {"@id": "entativa:highlights", "@type": "@id"}}]
    return await node.plugins.extend_actor(account, doc)


def instance_actor_document(node: Node) -> dict[str, Any]:
    fed = state.of(node)
    base = node.urls.base
    return build_instance_actor(f"{base}/actor", node.config.node.domain, fed.instance_public_pem,
                                inbox=f"{base}/actor/inbox", outbox=f"{base}/actor/outbox",
                                shared_inbox=f"{base}/inbox", url=f"{base}/about", name=node.config.node.name)


# ---- remote actors ------------------------------------------------------------------------------------------


def _account_values(actor: ParsedActor) -> dict[str, Any]:
    fields = [{"name": name[:255], "value": content.sanitise(value)[:2048]} for name, value in actor.fields[:16]]
    return {
        "display_name": (actor.name or actor.username or "")[:100],
        "note": content.sanitise(actor.summary or ""),
        "avatar": (actor.icon_url or "")[:1024],
        "header": (actor.image_url or "")[:1024],
        "fields_json": fields,
        "locked": actor.manually_approves_followers,
        "bot": actor.type in ("Service", "Application"),
        "discoverable": bool(actor.discoverable),
        "url": (actor.url or web_url(actor.id) or "")[:1024],
        "inbox_url": (actor.inbox or "")[:1024],
        "shared_inbox_url": (actor.shared_inbox or "")[:1024],
        "followers_url": (actor.followers or "")[:1024],
        "featured_url": (actor.featured or "")[:1024],
        "public_key_pem": actor.main_key.pem if actor.main_key else "",
        "also_known_as": [uri[:1024] for uri in actor.also_known_as[:16]],
        "moved_to_uri": actor.moved_to[:1024] if actor.moved_to else None,
    }


async def upsert_actor(node: Node, actor: ParsedActor) -> Account:
    """Store (or refresh) a remote actor as an account; the actor id's host is its domain."""
    domain = host_of(actor.id)
    if domain == node.config.node.domain.lower():
        account = await Account.filter(uri=actor.id).first()
        if account is None:
            raise NotFound("Unknown local actor")
        return account
    values = _account_values(actor)
    await remote_emoji.ingest(node, domain, actor.tags.emojis)
    texts = emoji_service.profile_texts(values["display_name"], values["note"], values["fields_json"])
    values["emojis_json"] = await emoji_service.entities_for(node, domain, *texts)
    username = (actor.username or urlsplit(actor.id).path.rstrip("/").rsplit("/", 1)[-1] or "unknown")[:64]
    account = await Account.filter(uri=actor.id).first()
    if account is None:
        # The same handle under a new actor id (the server moved its URLs): take the row over.
        account = await Account.filter(username=username, domain=domain).first()
    gone = [account.avatar_file, account.header_file] if account is not None else []
    values.update(await remote_media.profile_image_values(node, domain, values["avatar"], values["header"], account))
    if account is None:
        try:
            account = await Account.create(username=username, domain=domain, uri=actor.id, **values)
        except IntegrityError:  # a concurrent fetch stored it first
            return await Account.get(uri=actor.id)
        await node.bus.publish("account.created", account=account)  # search indexes remote people too
        return account
    account.update_from_dict({**values, "uri": actor.id, "username": username})
    await account.save()
    if values.get("avatar_file") == "":  # the actor has no pictures any more: neither do we
        await media_service.remove_files(node, [p for p in gone if p])
    await node.bus.publish("account.updated", account=account)
    return account


async def fetch_actor(node: Node, uri: str, *, refresh: bool = False) -> Account:
    """The account of actor `uri`, fetched (signed by the instance actor) unless we know it already."""
    uri = urldefrag(uri)[0]
    if not refresh:
        known = await Account.filter(uri=uri).first()
        if known is not None:
            return known
    if host_of(uri) == node.config.node.domain.lower():
        account = await Account.filter(uri=uri).first()
        if account is None:
            raise NotFound("Unknown local actor")
        return account
    await moderation.ensure_not_suspended(host_of(uri))
    fed = state.of(node)
    try:
        doc = await fed.client.get_activity(uri, sign_with=fed.instance_key)
        actor = parse_actor(doc)
    except (FetchError, InvalidActorError) as exc:
        raise NotFound(f"Could not fetch the actor {uri}: {exc}") from exc
    if host_of(actor.id) != host_of(uri):
        raise NotFound(f"{uri} answered with an actor of another server")
    return await upsert_actor(node, actor)


# ---- the key resolver ---------------------------------------------------------------------------------------


def _remember(fed: state.Federation, info: PublicKeyInfo) -> PublicKeyInfo:
    if len(fed.keys) >= KEY_CACHE_SIZE:
        fed.keys.pop(next(iter(fed.keys)))
    fed.keys[info.key_id or ""] = info
    return info


def key_resolver(node: Node):  # type: ignore[no-untyped-def]
    """resolve(key_id, refresh) for SignatureVerifier: memory, then the account row, then a fetch."""
    fed = state.of(node)

    async def resolve(key: str, refresh: bool) -> PublicKeyInfo | None:
        if not refresh:
            cached = fed.keys.get(key)
            if cached is not None:
                return cached
            owner = urldefrag(key)[0]
            account = await Account.filter(uri=owner).first()
            if account is not None and account.public_key_pem:
                return _remember(fed, PublicKeyInfo(owner=owner, public_key=account.public_key_pem, key_id=key))
            return None
        await moderation.ensure_not_suspended(host_of(key))
        document_url = urldefrag(key)[0]
        doc = await fed.client.get_activity(document_url, sign_with=fed.instance_key)
        info = key_info_from_document(doc, key)
        if info is not None and info.owner == doc.get("id"):
            try:
                await upsert_actor(node, parse_actor(doc))
            except (InvalidActorError, NotFound):
                return None
        else:  # a bare key document: the library confirms it with the owner's actor document
            info = await fetch_public_key(fed.client, key, sign_with=fed.instance_key)
            if info is None:
                return None
            await fetch_actor(node, info.owner, refresh=True)
        if host_of(info.owner) != host_of(key):
            return None
        return _remember(fed, info)

    return resolve


def now() -> datetime:
    return datetime.now(UTC)
