"""ActivityPub over HTTP: discovery (WebFinger, host-meta, NodeInfo), actor documents, inboxes,
collections and object URLs (AS2 JSON or, for browsers, a redirect to the page). Thin: the work is in
node.activitypub."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from federation.as2 import AS2_MEDIA_TYPE
from federation.discovery import (
    JRD_MEDIA_TYPE,
    XRD_MEDIA_TYPE,
    WebfingerError,
    host_meta_json,
    host_meta_xml,
    nodeinfo_document,
    nodeinfo_links,
    parse_resource,
    webfinger_jrd,
)
from federation.signatures import SignatureError

from ..activitypub import actors, collections, emoji, inbox, quote_requests, serialize, state, tombstones
from ..activitypub import featured as featured_collection
from ..errors import BadRequest, NotFound, Unauthorized
from ..models import Account, Status, User, row_id
from ..runtime import Node
from ..services import instance
from .endpoint import endpoint
from .keys import NODE

routes = web.RouteTableDef()
AS2_TYPES = ("application/activity+json", "application/ld+json")
NODEINFO_PROFILE = 'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/{}#"'


def _as2(doc: dict[str, Any], status: int = 200) -> web.Response:
    return web.Response(body=json.dumps(doc, ensure_ascii=False).encode(), status=status,
                        content_type=AS2_MEDIA_TYPE)


def wants_as2(request: web.Request) -> bool:
    accept = request.headers.get("Accept", "")
    return any(t in accept for t in AS2_TYPES)


async def _authorized(request: web.Request) -> None:
    """With `federation.authorized_fetch`, documents are only for signed requests (servers we can name)."""
    node = request.app[NODE]
    if not node.config.federation.authorized_fetch:
        return
    verifier = state.of(node).verifier
    assert verifier is not None
    try:
        await verifier.verify_request(request, b"", scheme=node.config.node.scheme)
    except SignatureError as exc:
        raise Unauthorized(f"Request not signed: {exc.reason}") from None


async def _local(node: Node, username: str) -> Account:
    account = await Account.filter(username=username, domain="", suspended_at=None).first()
    if account is None:
        raise NotFound()
    return account


# ---- discovery -----------------------------------------------------------------------------------------------


@routes.get("/.well-known/webfinger")
@endpoint(params={"resource": str}, returns=JRD_MEDIA_TYPE)
async def webfinger(request: web.Request) -> web.Response:
    """WebFinger: an acct: handle (user@domain, the domain may carry a port) or an actor URL."""
    node = request.app[NODE]
    resource = request.query.get("resource", "")
    if not resource:
        raise BadRequest("resource is required")
    try:
        parsed = parse_resource(resource)
    except WebfingerError as exc:
        raise BadRequest(str(exc)) from None
    domain = node.config.node.domain.lower()
    base = node.urls.base
    if parsed.kind == "acct":
        if parsed.host != domain:
            raise NotFound()
        username = parsed.username or ""
    else:
        url = parsed.url or ""
        if url.rstrip("/") == f"{base}/actor":
            username = domain
        elif url.startswith(f"{base}/users/"):
            username = url[len(f"{base}/users/"):].strip("/")
        elif url.startswith(f"{base}/@"):
            username = url[len(f"{base}/@"):].strip("/")
        else:
            raise NotFound()
    if username.lower() == domain:
        jrd = webfinger_jrd(domain, node.config.node.domain, f"{base}/actor", profile_url=f"{base}/about")
    else:
        account = await _local(node, username)
        jrd = webfinger_jrd(account.username, node.config.node.domain, account.uri or node.urls.actor(username),
                            profile_url=account.url, subscribe_template=f"{base}/authorize_interaction?uri={{uri}}")
    return web.json_response(jrd, content_type=JRD_MEDIA_TYPE)


@routes.get("/.well-known/host-meta")
@endpoint(returns=XRD_MEDIA_TYPE)
async def host_meta(request: web.Request) -> web.Response:
    """host-meta XRD pointing at WebFinger."""
    return web.Response(text=host_meta_xml(request.app[NODE].urls.base), content_type=XRD_MEDIA_TYPE)


@routes.get("/.well-known/host-meta.json")
@endpoint(returns=dict)
async def host_meta_as_json(request: web.Request) -> web.Response:
    """host-meta as JSON."""
    return web.json_response(host_meta_json(request.app[NODE].urls.base))


@routes.get("/.well-known/nodeinfo")
@endpoint()
async def nodeinfo_index(request: web.Request) -> web.Response:
    """Links to the NodeInfo 2.1 and 2.0 documents."""
    return web.json_response(nodeinfo_links(request.app[NODE].urls.base))


@routes.get(r"/nodeinfo/{version:2\.[01]}")
@endpoint()
async def nodeinfo(request: web.Request) -> web.Response:
    """NodeInfo 2.1 or 2.0."""
    node = request.app[NODE]
    version = request.match_info["version"]
    usage = await instance.usage()
    active = await User.filter(approved=True, account__suspended_at=None, account__last_status_at__not_isnull=True).count()
    doc = nodeinfo_document(
        version,  # type: ignore[arg-type]
        software_name="entativa", software_version=instance.VERSION,
        open_registrations=node.config.node.registrations == "open", users_total=usage.users,
        users_active_month=active, users_active_halfyear=active, local_posts=usage.statuses,
        repository="https://github.com/entativa/entativa", homepage="https://entativa.social",
        metadata=instance.nodeinfo_metadata(node))
    return web.json_response(doc, content_type=NODEINFO_PROFILE.format(version))


# ---- actors and their collections -------------------------------------------------------------------------------


@routes.get("/actor")
@endpoint(returns=AS2_MEDIA_TYPE)
async def instance_actor(request: web.Request) -> web.Response:
    """The instance actor (Application); never behind authorized fetch, so peers can check our keys."""
    return _as2(actors.instance_actor_document(request.app[NODE]))


@routes.get("/users/{username}")
@endpoint(ok=(200, 302), returns=(AS2_MEDIA_TYPE, "text/html"))
async def actor(request: web.Request) -> web.StreamResponse:
    """A person's actor document (AS2), or their profile page for browsers."""
    node = request.app[NODE]
    account = await _local(node, request.match_info["username"])
    if not wants_as2(request):
        raise web.HTTPFound(f"/@{account.username}")
    return await actor_response(request, account)


async def actor_response(request: web.Request, account: Account) -> web.Response:
    """A local account's actor document (also the answer of its profile page to an AS2 Accept)."""
    await _authorized(request)
    return _as2(await actors.person_document(request.app[NODE], account))


@routes.get(r"/emojis/{emoji_id:\d+}")
async def emoji_document(request: web.Request) -> web.Response:
    """One of our custom emoji as an AS2 Emoji (the `id` of the tags we send)."""
    await _authorized(request)
    return _as2(await emoji.emoji_document(request.app[NODE], request.match_info["emoji_id"]))


@routes.get(r"/users/{username}/quote_authorizations/{approval_id:\d+}")
@endpoint(returns=AS2_MEDIA_TYPE)
async def quote_authorization(request: web.Request) -> web.Response:
    """A QuoteAuthorization (FEP-044f) our author gave for another server's quote of their post."""
    await _authorized(request)
    node = request.app[NODE]
    return _as2(await quote_requests.authorization_document(node, request.match_info["username"],
                                                            request.match_info["approval_id"]))


@routes.get("/users/{username}/outbox")
@endpoint(params={"page": str, "max_id": str}, returns=AS2_MEDIA_TYPE)
async def outbox(request: web.Request) -> web.Response:
    """The outbox: public posts and shares, paged (?page=true&max_id=...)."""
    node = request.app[NODE]
    await _authorized(request)
    account = await _local(node, request.match_info["username"])
    return _as2(await collections.outbox(node, account, request.query.get("page") == "true",
                                         request.query.get("max_id")))


@routes.get(r"/users/{username}/{which:followers|following}")
@endpoint(params={"page": str, "max_id": str}, returns=AS2_MEDIA_TYPE)
async def people(request: web.Request) -> web.Response:
    """Followers or following, paged."""
    node = request.app[NODE]
    await _authorized(request)
    account = await _local(node, request.match_info["username"])
    return _as2(await collections.people(account, request.match_info["which"], request.query.get("page") == "true",
                                         request.query.get("max_id")))


@routes.get("/users/{username}/collections/featured")
@endpoint(returns=AS2_MEDIA_TYPE)
async def featured(request: web.Request) -> web.Response:
    """Pinned posts."""
    node = request.app[NODE]
    await _authorized(request)
    return _as2(await featured_collection.collection(node, await _local(node, request.match_info["username"])))


@routes.get("/users/{username}/collections/tags")
@endpoint(returns=AS2_MEDIA_TYPE)
async def featured_tags(request: web.Request) -> web.Response:
    """Featured hashtags (the actor's featuredTags)."""
    node = request.app[NODE]
    await _authorized(request)
    return _as2(await collections.featured_tags(node, await _local(node, request.match_info["username"])))


@routes.get(r"/users/{username}/statuses/{status_id:\d+}")
@endpoint(ok=(200, 302), returns=(AS2_MEDIA_TYPE, "text/html"), errors=(410,))
async def status_object(request: web.Request) -> web.StreamResponse:
    """A public or unlisted post as a Note (AS2), or its page for browsers."""
    node = request.app[NODE]
    account = await _local(node, request.match_info["username"])
    status = await Status.filter(id=row_id(request.match_info["status_id"]), account_id=account.id, local=True,
                                 visibility__in=("public", "unlisted")).first()
    if status is None:
        gone = await tombstones.gone_document(node.urls.status_uri(account.username, row_id(request.match_info["status_id"])))
        if gone is not None and wants_as2(request):
            return _as2({"@context": serialize.context(), **gone}, status=410)
        raise NotFound()
    if not wants_as2(request):
        raise web.HTTPFound(f"/@{account.username}/{status.id}")
    return await status_response(request, account, status)


async def status_response(request: web.Request, account: Account, status: Status) -> web.Response:
    """A local public or unlisted post as AS2 (also the answer of its page to an AS2 Accept)."""
    if not status.local or status.visibility not in ("public", "unlisted") or status.reblog_of_id is not None:
        raise NotFound()
    await _authorized(request)
    doc = await serialize.status_object(request.app[NODE], status, account)
    return _as2({"@context": serialize.context(), **doc})


@routes.get(r"/users/{username}/statuses/{status_id:\d+}/activity")
@endpoint(returns=AS2_MEDIA_TYPE)
async def status_activity(request: web.Request) -> web.Response:
    """The Create (or, for a share, the Announce) of a public or unlisted post."""
    node = request.app[NODE]
    await _authorized(request)
    account = await _local(node, request.match_info["username"])
    status = await Status.filter(id=row_id(request.match_info["status_id"]), account_id=account.id, local=True,
                                 visibility__in=("public", "unlisted")).first()
    if status is None:
        raise NotFound()
    if status.reblog_of_id is not None:
        original = await Status.get(id=status.reblog_of_id)
        return _as2(serialize.announce_activity(status, account, original, await Account.get(id=original.account_id)))
    return _as2(await serialize.create_activity(node, status))


# ---- inboxes ------------------------------------------------------------------------------------------------------


@routes.post("/inbox")
@routes.post("/actor/inbox")
@endpoint(raw_body=AS2_MEDIA_TYPE, ok=202, returns=None, errors=(415,))
async def shared_inbox(request: web.Request) -> web.Response:
    """The shared inbox: signed activities for anyone here; 202 once stored."""
    await inbox.receive(request.app[NODE], request)
    return web.Response(status=202)


@routes.post("/users/{username}/inbox")
@endpoint(raw_body=AS2_MEDIA_TYPE, ok=202, returns=None, errors=(415,))
async def personal_inbox(request: web.Request) -> web.Response:
    """A person's inbox; same rules as the shared one."""
    node = request.app[NODE]
    await _local(node, request.match_info["username"])
    await inbox.receive(node, request)
    return web.Response(status=202)


# ---- stories (only for their audience: see node/activitypub/stories.py) -------------------------------------------


@routes.get(r"/users/{username}/stories/{story_id:\d+}")
@endpoint(returns=AS2_MEDIA_TYPE)
async def story_object(request: web.Request) -> web.Response:
    """A story: for a signed request from someone in its audience (our Story document), or with its
    bearer token (Pixelfed's shape); 403 otherwise, 410 once it expired."""
    from ..activitypub import stories

    node = request.app[NODE]
    return _as2(await stories.fetch_response(node, request, request.match_info["username"],
                                             request.match_info["story_id"]))


@routes.get(r"/users/{username}/stories/{story_id:\d+}/stickers/{sticker_id:\d+}")
@endpoint(returns=AS2_MEDIA_TYPE)
async def story_sticker(request: web.Request) -> web.Response:
    """A story's sticker, with the results its (signed, in-audience) requester may read."""
    from ..activitypub import stories

    node = request.app[NODE]
    return _as2(await stories.sticker_response(node, request, request.match_info["username"],
                                               request.match_info["story_id"], request.match_info["sticker_id"]))


@routes.get(r"/users/{username}/stories/{story_id:\d+}/stickers/{sticker_id:\d+}/participants")
@endpoint(returns=AS2_MEDIA_TYPE)
async def story_participants(request: web.Request) -> web.Response:
    """The stories an add-yours prompt accepted (public: any server can check a credit)."""
    from ..activitypub import stories

    node = request.app[NODE]
    return _as2(await stories.participants_response(node, request.match_info["username"],
                                                    request.match_info["story_id"], request.match_info["sticker_id"]))


@routes.get("/users/{username}/collections/highlights")
@endpoint(returns=AS2_MEDIA_TYPE)
async def highlights_collection(request: web.Request) -> web.Response:
    """The account's story highlights (public, as its profile)."""
    from ..activitypub import stories

    node = request.app[NODE]
    await _authorized(request)
    return _as2(await stories.highlights_collection(node, await _local(node, request.match_info["username"])))
