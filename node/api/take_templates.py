"""/api/v1/take_templates (extension): popular templates, one template, the Takes made from it, and
looking a remote template up by its IRI (so it can be used here). Also the ActivityPub TakeTemplate
document and its usages collection."""

from __future__ import annotations

from aiohttp import web

from federation.as2 import AS2_MEDIA_TYPE, ordered_collection, ordered_collection_page, page_url

from ..activitypub import takes as federated
from ..errors import NotFound
from ..models import Account, Status, Take, TakeTemplate, parse_id, row_id
from ..services import take_templates, takes
from .activitypub import _as2, _authorized, _local, wants_as2
from .auth import optional_account, require_account
from .endpoint import PAGE, endpoint, required
from .entities.takes import take_entities, template_entities
from .keys import NODE
from .pagination import paged_response, requested_page
from .params import read_params

routes = web.RouteTableDef()
BASE = "/api/v1/take_templates"
COLLECTION_PAGE = 50


@routes.get(BASE)
@endpoint(params={"local": bool, "limit": int, "offset": int}, returns=list)
async def popular(request: web.Request) -> web.Response:
    """Templates by how often they were used (`local=true`: only this server's), paged with `offset`."""
    params = await read_params(request)
    rows = await take_templates.popular(limit=params.int("limit", 20, low=1, high=40) or 20,
                                        offset=params.int("offset", 0, low=0) or 0, local=params.bool("local"))
    return web.json_response(await template_entities(request.app[NODE], rows))


@routes.get(BASE + "/lookup")
@endpoint(params={"uri": required(str)})
async def lookup(request: web.Request) -> web.Response:
    """A template by its ActivityPub IRI (`uri`), fetched from its server if this one does not know it."""
    await require_account(request, "read")
    params = await read_params(request)
    node = request.app[NODE]
    template = await federated.resolve_template(node, params.str("uri", required=True) or "")
    return web.json_response((await template_entities(node, [template]))[0])


@routes.get(BASE + "/{id}")
@endpoint()
async def show(request: web.Request) -> web.Response:
    """One template: segments, overlays, sound, effects, author and usage count."""
    template = await take_templates.find(request.match_info["id"])
    return web.json_response((await template_entities(request.app[NODE], [template]))[0])


@routes.get(BASE + "/{id}/takes")
@endpoint(params=PAGE, returns=list)
async def template_takes(request: web.Request) -> web.Response:
    """Takes made from the template that this server holds, newest first."""
    viewer = await optional_account(request)
    params = await read_params(request)
    template = await take_templates.find(request.match_info["id"])
    rows, keys = await takes.by_template(viewer, template.id, requested_page(params))
    return paged_response(request, await take_entities(request.app[NODE], rows, viewer), keys)


# ---- ActivityPub ---------------------------------------------------------------------------------------------


async def _local_template(request: web.Request) -> tuple[TakeTemplate, Account]:
    node = request.app[NODE]
    account = await _local(node, request.match_info["username"])
    status = await Status.filter(id=row_id(request.match_info["status_id"]), account_id=account.id, local=True,
                                 visibility__in=("public", "unlisted")).first()
    take = await Take.filter(status_id=status.id).first() if status else None
    template = await TakeTemplate.filter(take_id=take.id, local=True).first() if take else None
    if template is None:
        raise NotFound()
    return template, account


@routes.get(r"/users/{username}/statuses/{status_id:\d+}/template")
@endpoint(ok=(200, 302), returns=(AS2_MEDIA_TYPE, "text/html"))
async def template_document(request: web.Request) -> web.StreamResponse:
    """The TakeTemplate published from this Take (AS2), or its page for browsers."""
    template, account = await _local_template(request)
    if not wants_as2(request):
        raise web.HTTPFound(template.url)
    await _authorized(request)
    return _as2(federated.template_document(template, account, with_context=True))


@routes.get(r"/users/{username}/statuses/{status_id:\d+}/template/usages")
@endpoint(params={"max_id": str, "page": str}, returns=AS2_MEDIA_TYPE)
async def usages_collection(request: web.Request) -> web.Response:
    """Takes made from the template (OrderedCollection of Take IRIs, paged with `page=true` and `max_id`)."""
    await _authorized(request)
    template, _ = await _local_template(request)
    collection = template.usages_uri
    query = Take.filter(template_id=template.id)
    if request.query.get("page") != "true":
        doc = ordered_collection(collection, total_items=await query.count(), first=page_url(collection, page=True))
        return _as2({**doc, "@context": federated.context()})
    max_id = request.query.get("max_id")
    if max_id and max_id.isdigit() and (bound := parse_id(max_id)) is not None:
        query = query.filter(id__lt=bound)
    rows = await query.order_by("-id").limit(COLLECTION_PAGE).values_list("id", "uri")
    next_page = page_url(collection, page=True, max_id=rows[-1][0]) if len(rows) == COLLECTION_PAGE else None
    doc = ordered_collection_page(page_url(collection, page=True, max_id=max_id), collection,
                                  [uri for _, uri in rows], next_page=next_page)
    return _as2({**doc, "@context": federated.context()})
