"""/api/v2/filters (Mastodon's filters v2: keywords, statuses, contexts, expiry, warn/hide/blur) and the v1
/api/v1/filters answered from the same rows (one v1 filter per keyword)."""

from __future__ import annotations

from aiohttp import web

from ..services import filters
from ..streaming import personal as streams
from .auth import require_account
from .endpoint import ID, OBJECT, endpoint
from .entities.filters import filter_entity, keyword_entity, status_filter_entity, v1_filter_entity
from .keys import NODE
from .params import Params, read_params

routes = web.RouteTableDef()
V2 = "/api/v2/filters"
V1 = "/api/v1/filters"


def _expires(params: Params) -> tuple[bool, object]:
    return ("expires_in" in params.data, params.raw("expires_in"))


@routes.get(V2)
@endpoint(returns=list)
async def index(request: web.Request) -> web.Response:
    """The caller's filters with their keywords and statuses."""
    account = await require_account(request, "read:filters")
    return web.json_response([filter_entity(f) for f in await filters.owned(account)])


@routes.post(V2)
@endpoint(params={"title": str, "context": [str], "filter_action": str, "expires_in": int, "keywords_attributes": [OBJECT]})
async def create(request: web.Request) -> web.Response:
    """Make a filter: `title`, `context[]`, `filter_action` (warn, hide, blur), `expires_in` (seconds),
    `keywords_attributes[][keyword|whole_word]`."""
    account = await require_account(request, "write:filters")
    params = await read_params(request)
    made = await filters.create(
        request.app[NODE],
        account,
        title=params.str("title"),
        context=params.list("context"),
        filter_action=params.str("filter_action"),
        expires_in=params.raw("expires_in"),
        keywords=params.list("keywords_attributes"),
    )
    await streams.filters_changed(request.app[NODE], account)
    return web.json_response(filter_entity(made))


@routes.get(V2 + "/{id:\\d+}")
@endpoint()
async def show(request: web.Request) -> web.Response:
    """One of the caller's filters."""
    account = await require_account(request, "read:filters")
    return web.json_response(filter_entity(await filters.own(account, request.match_info["id"])))


@routes.put(V2 + "/{id:\\d+}")
@endpoint(params={"title": str, "context": [str], "filter_action": str, "expires_in": int, "keywords_attributes": [OBJECT]})
async def update(request: web.Request) -> web.Response:
    """Change a filter; `keywords_attributes[]` add (no id), change (id) or remove (id + `_destroy`) keywords."""
    account = await require_account(request, "write:filters")
    params = await read_params(request)
    changed = await filters.update(
        request.app[NODE],
        account,
        request.match_info["id"],
        title=params.str("title"),
        context=params.list("context") if "context" in params else None,
        filter_action=params.str("filter_action"),
        expires=_expires(params),
        keywords=params.list("keywords_attributes"),
    )
    await streams.filters_changed(request.app[NODE], account)
    return web.json_response(filter_entity(changed))


@routes.delete(V2 + "/{id:\\d+}")
@endpoint()
async def delete(request: web.Request) -> web.Response:
    """Delete a filter; answers {}."""
    account = await require_account(request, "write:filters")
    await filters.delete(account, request.match_info["id"])
    await streams.filters_changed(request.app[NODE], account)
    return web.json_response({})


@routes.get(V2 + "/{id:\\d+}/keywords")
@endpoint(returns=list)
async def keywords(request: web.Request) -> web.Response:
    """A filter's keywords."""
    account = await require_account(request, "read:filters")
    return web.json_response(
        [keyword_entity(k) for k in (await filters.own(account, request.match_info["id"])).keywords]
    )


@routes.post(V2 + "/{id:\\d+}/keywords")
@endpoint(params={"keyword": str, "whole_word": bool})
async def add_keyword(request: web.Request) -> web.Response:
    """Add a keyword (`keyword`, `whole_word`) to a filter."""
    account = await require_account(request, "write:filters")
    params = await read_params(request)
    row = await filters.add_keyword(
        account, request.match_info["id"], params.raw("keyword"), params.raw("whole_word")
    )
    await streams.filters_changed(request.app[NODE], account)
    return web.json_response(keyword_entity(row))


@routes.get(V2 + "/keywords/{id}")
@endpoint()
async def show_keyword(request: web.Request) -> web.Response:
    """One keyword of one of the caller's filters."""
    account = await require_account(request, "read:filters")
    return web.json_response(keyword_entity(await filters.own_keyword(account, request.match_info["id"])))


@routes.put(V2 + "/keywords/{id}")
@endpoint(params={"keyword": str, "whole_word": bool})
async def update_keyword(request: web.Request) -> web.Response:
    """Change a keyword (`keyword`, `whole_word`)."""
    account = await require_account(request, "write:filters")
    params = await read_params(request)
    row = await filters.update_keyword(
        account, request.match_info["id"], params.raw("keyword"), params.raw("whole_word")
    )
    await streams.filters_changed(request.app[NODE], account)
    return web.json_response(keyword_entity(row))


@routes.delete(V2 + "/keywords/{id}")
@endpoint()
async def delete_keyword(request: web.Request) -> web.Response:
    """Remove a keyword from its filter; answers {}."""
    account = await require_account(request, "write:filters")
    await (await filters.own_keyword(account, request.match_info["id"])).delete()
    await streams.filters_changed(request.app[NODE], account)
    return web.json_response({})


@routes.get(V2 + "/{id:\\d+}/statuses")
@endpoint(returns=list)
async def statuses(request: web.Request) -> web.Response:
    """The statuses a filter matches by id."""
    account = await require_account(request, "read:filters")
    found = await filters.own(account, request.match_info["id"])
    return web.json_response([status_filter_entity(s) for s in found.statuses])


@routes.post(V2 + "/{id:\\d+}/statuses")
@endpoint(params={"status_id": ID})
async def add_status(request: web.Request) -> web.Response:
    """Make a filter match one status (`status_id`)."""
    account = await require_account(request, "write:filters")
    params = await read_params(request)
    row = await filters.add_status(account, request.match_info["id"], params.raw("status_id"))
    await streams.filters_changed(request.app[NODE], account)
    return web.json_response(status_filter_entity(row))


@routes.get(V2 + "/statuses/{id}")
@endpoint()
async def show_status(request: web.Request) -> web.Response:
    """One status a filter of the caller's matches."""
    account = await require_account(request, "read:filters")
    return web.json_response(
        status_filter_entity(await filters.own_status(account, request.match_info["id"]))
    )


@routes.delete(V2 + "/statuses/{id}")
@endpoint()
async def delete_status(request: web.Request) -> web.Response:
    """Stop a filter matching a status; answers {}."""
    account = await require_account(request, "write:filters")
    await (await filters.own_status(account, request.match_info["id"])).delete()
    await streams.filters_changed(request.app[NODE], account)
    return web.json_response({})


# ---- v1 ------------------------------------------------------------------------------------------------------


@routes.get(V1)
@endpoint(returns=list)
async def v1_index(request: web.Request) -> web.Response:
    """v1 filters: one per keyword of the caller's filters."""
    account = await require_account(request, "read:filters")
    return web.json_response([v1_filter_entity(k) for k in await filters.v1_keywords(account)])


@routes.post(V1)
@endpoint(params={"phrase": str, "context": [str], "irreversible": bool, "whole_word": bool, "expires_in": int})
async def v1_create(request: web.Request) -> web.Response:
    """Make a v1 filter (`phrase`, `context[]`, `irreversible`, `whole_word`, `expires_in`): a filter with one
    keyword (irreversible means the hide action)."""
    account = await require_account(request, "write:filters")
    params = await read_params(request)
    row = await filters.v1_create(
        request.app[NODE],
        account,
        phrase=params.raw("phrase"),
        context=params.list("context"),
        irreversible=params.bool("irreversible"),
        whole_word=params.raw("whole_word"),
        expires_in=params.raw("expires_in"),
    )
    await streams.filters_changed(request.app[NODE], account)
    return web.json_response(v1_filter_entity(row))


@routes.get(V1 + "/{id}")
@endpoint()
async def v1_show(request: web.Request) -> web.Response:
    """One v1 filter."""
    account = await require_account(request, "read:filters")
    return web.json_response(v1_filter_entity(await filters.v1_keyword(account, request.match_info["id"])))


@routes.put(V1 + "/{id}")
@endpoint(params={"phrase": str, "context": [str], "irreversible": bool, "whole_word": bool, "expires_in": int})
async def v1_update(request: web.Request) -> web.Response:
    """Change a v1 filter (its filter's context, irreversible and expiry only when it has one keyword)."""
    account = await require_account(request, "write:filters")
    params = await read_params(request)
    row = await filters.v1_update(
        request.app[NODE],
        account,
        request.match_info["id"],
        phrase=params.raw("phrase"),
        context=params.list("context") if "context" in params else None,
        irreversible=params.bool("irreversible") if "irreversible" in params else None,
        whole_word=params.raw("whole_word"),
        expires=_expires(params),
    )
    await streams.filters_changed(request.app[NODE], account)
    return web.json_response(v1_filter_entity(row))


@routes.delete(V1 + "/{id}")
@endpoint()
async def v1_delete(request: web.Request) -> web.Response:
    """Delete a v1 filter (the keyword; its filter too when nothing is left in it); answers {}."""
    account = await require_account(request, "write:filters")
    await filters.v1_delete(account, request.match_info["id"])
    await streams.filters_changed(request.app[NODE], account)
    return web.json_response({})
