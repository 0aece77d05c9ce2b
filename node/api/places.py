"""/api/v1/places (our extension): find places by name (type-ahead, optionally near a point), add one, show
one. A status is tagged with a place by posting with `place_id` or `location[name|lat|lon]`."""

from __future__ import annotations

from aiohttp import web

from ..errors import ValidationFailed
from ..search import query as search_query
from ..search import service
from ..search.backend import ParsedQuery
from ..services import places as place_service
from .auth import optional_account, require_account
from .endpoint import endpoint
from .entities.places import place_entity
from .keys import NODE
from .params import read_params

routes = web.RouteTableDef()
BASE = "/api/v1/places"


@routes.get(BASE)
@endpoint(params={"q": str, "limit": int, "lat": float, "lon": float, "radius_km": float}, returns=list)
async def find(request: web.Request) -> web.Response:
    """Places whose name starts with `q` (most popular first); with lat/lon, those within radius_km."""
    node = request.app[NODE]
    viewer = await optional_account(request)
    params = await read_params(request)
    q = params.str("q", "", max_length=100) or ""
    limit = params.int("limit", 10, low=1, high=40) or 10
    lat, lon = params.raw("lat"), params.raw("lon")
    if lat not in (None, "") or lon not in (None, ""):
        point = place_service.check_point(lat, lon)
        radius = params.int("radius_km", 10, low=1, high=20_000) or 10
        parsed = search_query.parse(q)
        parsed.query = ParsedQuery(words=[], phrases=[], prefixes=parsed.query.words, fuzzy=False)
        parsed.filters.near = (point[0], point[1], float(radius))
        found = await service.search(node, viewer, parsed, ["places"], limit=limit)
    elif q.strip():
        found = await service.autocomplete(node, viewer, q, ["places"], limit=limit)
    else:
        raise ValidationFailed("Missing parameter: q (or lat and lon)")
    return web.json_response([place_entity(p) for p in found.places])


@routes.post(BASE)
@endpoint(params={"name": str, "lat": float, "lon": float, "locality": str, "country": str})
async def create(request: web.Request) -> web.Response:
    """Add a place (name, locality, country, lat, lon); the same name at the same point is not duplicated."""
    account = await require_account(request, "write:statuses")
    params = await read_params(request)
    spec = place_service.PlaceSpec(name=params.str("name", max_length=200),
                                   locality=params.str("locality", "", max_length=200) or "",
                                   country=params.str("country", "", max_length=100) or "",
                                   lat=params.raw("lat"), lon=params.raw("lon"))
    place = await place_service.create_place(request.app[NODE], account, spec)
    return web.json_response(place_entity(place))


@routes.get(BASE + "/{id}")
@endpoint()
async def show(request: web.Request) -> web.Response:
    """One place."""
    return web.json_response(place_entity(await place_service.get_place(request.match_info["id"])))
