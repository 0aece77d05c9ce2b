"""/api/v2/search (Mastodon's, plus `takes` and `places` groups and filters), type-ahead suggestions and the
signed-in user's search history. With resolve=true a remote `@user@host` or URL is looked up on its server:
that part is node.activitypub.resolve, called from `_resolve` only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from ..activitypub import resolve
from ..errors import DomainError, Unauthorized, ValidationFailed
from ..models import Account, Status
from ..search import query as search_query
from ..search import service
from ..search.backend import KINDS, SUGGESTIBLE
from ..services import places as place_service
from ..services import search_history, visibility
from .auth import optional_account, require_account
from .endpoint import ID, endpoint
from .entities.accounts import account_entity
from .entities.filters import filtered
from .entities.places import place_entity
from .entities.statuses import status_entities
from .entities.tags import tag_entities
from .keys import NODE
from .params import Params, read_params

routes = web.RouteTableDef()
TYPE_NAMES = {"accounts": "accounts", "statuses": "statuses", "hashtags": "hashtags", "takes": "takes",
              "places": "places"}


def _looks_remote(q: str) -> bool:
    return q.startswith(("http://", "https://")) or q.lstrip("@").count("@") == 1


async def _resolve(node: Any, viewer: Account, q: str, wanted: list[str]) -> tuple[list[Account], list[Status]]:
    """Remote resolution (resolve=true): an account by handle, or an account or status by URL."""
    accounts: list[Account] = []
    statuses: list[Status] = []
    if not _looks_remote(q):
        return accounts, statuses
    try:
        hit = await (resolve.resolve_url(node, q) if q.startswith(("http://", "https://"))
                     else resolve.resolve_acct(node, q))
    except DomainError:
        hit = None
    if isinstance(hit, Account) and "accounts" in wanted:
        accounts.append(hit)
    elif isinstance(hit, Status) and "statuses" in wanted:
        statuses.extend(await visibility.visible(viewer, [hit]))
    return accounts, statuses


def _date(params: Params, name: str) -> float | None:
    value = params.str(name, max_length=40)
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(f"Parameter {name} must be a date or time like 2024-05-31") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _float(params: Params, name: str) -> float | None:
    value = params.raw(name)
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValidationFailed(f"Parameter {name} must be a number") from None


def _parsed(params: Params, q: str) -> search_query.Parsed:
    """The text and the filters, from the query's operators and from the parameters (extensions)."""
    parsed = search_query.parse(q, fuzzy=params.bool("fuzzy", True))
    f = parsed.filters
    if params.str("account_id"):
        try:
            f.author_ids = [*(f.author_ids or []), int(params.str("account_id") or "")]
        except ValueError:
            raise ValidationFailed("Parameter account_id must be an id") from None
    if author := params.str("author", max_length=300):
        parsed.author_accts.append(author.lstrip("@").lower())
    f.since = _date(params, "since") or f.since
    f.until = _date(params, "until") or f.until
    if "has_media" in params:
        f.has_media = params.bool("has_media")
    if language := params.str("language", max_length=16):
        f.language = language.lower()
    if (minimum := params.int("min_engagement", low=0, high=10**9)) is not None:
        f.min_engagement = minimum
    lat, lon, radius = _float(params, "lat"), _float(params, "lon"), _float(params, "radius_km")
    if lat is not None or lon is not None or radius is not None:
        if lat is None or lon is None:
            raise ValidationFailed("Parameters lat and lon go together")
        lat, lon = place_service.check_point(lat, lon)
        radius = 10.0 if radius is None else radius
        if not 0 < radius <= 20_000:
            raise ValidationFailed("Parameter radius_km must be between 0 and 20000")
        f.near = (lat, lon, radius)
    return parsed


async def _render(node: Any, found: service.Found, viewer: Account | None) -> dict[str, Any]:
    return {
        "accounts": [account_entity(node, a) for a in found.accounts],
        "statuses": await filtered(node, viewer, "public", await status_entities(node, found.statuses, viewer)),
        "hashtags": await tag_entities(node, found.hashtags),
        "takes": found.takes,
        "places": [place_entity(p) for p in found.places],
    }


@routes.get("/api/v2/search")
@endpoint(params={"q": str, "type": (*KINDS, ""), "resolve": bool, "limit": int, "offset": int, "save": bool,
                  "fuzzy": bool, "account_id": ID, "author": str, "since": str, "until": str, "has_media": bool,
                  "language": str, "min_engagement": int, "lat": float, "lon": float, "radius_km": float})
async def search(request: web.Request) -> web.Response:
    """Search accounts, statuses, hashtags, Takes and places at once (typo-tolerant, phrases, filters)."""
    node = request.app[NODE]
    viewer = await optional_account(request)
    params = await read_params(request)
    q = (params.str("q", max_length=search_query.MAX_QUERY_CHARS) or "").strip()
    kind = params.str("type", choices=[*KINDS, ""]) or ""
    limit = params.int("limit", 20, low=1, high=40) or 20
    offset = params.int("offset", 0, low=0, high=10_000) or 0
    wanted = [kind] if kind else list(KINDS)
    resolving = params.bool("resolve")
    if (resolving or offset) and viewer is None:
        raise Unauthorized("Search queries that resolve remote resources are not supported without authentication")
    parsed = _parsed(params, q)
    found = service.Found()
    if resolving and viewer is not None and offset == 0:
        found.accounts, found.statuses = await _resolve(node, viewer, q, wanted)
    if q.startswith(("http://", "https://")):  # a URL is a lookup, not words
        if "statuses" in wanted and not found.statuses:
            local = await Status.filter(uri=q).first() or await Status.filter(url=q).first()
            if local is not None:
                found.statuses = await visibility.visible(viewer, [local])
    elif not (found.accounts or found.statuses):
        found = await service.search(node, viewer, parsed, wanted, limit=limit, offset=offset)
    if viewer is not None and q and offset == 0 and params.bool("save", True):
        await search_history.record(viewer, q)
    body = await _render(node, found, viewer)
    if kind:  # only the asked-for group has entries; the others are empty lists as in Mastodon
        body = {k: (v if k == kind else []) for k, v in body.items()}
    return web.json_response(body)


@routes.get("/api/v1/search/suggestions")
@endpoint(params={"q": str, "type": (*SUGGESTIBLE, ""), "limit": int})
async def suggestions(request: web.Request) -> web.Response:
    """Type-ahead: accounts (local and known remote), hashtags and places starting with `q`."""
    node = request.app[NODE]
    viewer = await optional_account(request)
    params = await read_params(request)
    q = params.str("q", "", max_length=100) or ""
    kind = params.str("type", choices=[*SUGGESTIBLE, ""]) or ""
    limit = params.int("limit", 5, low=1, high=20) or 5
    found = await service.autocomplete(node, viewer, q, [kind] if kind else list(SUGGESTIBLE), limit=limit)
    body = await _render(node, found, viewer)
    return web.json_response({k: body[k][:limit] for k in SUGGESTIBLE})


def _history_entity(entry: Any) -> dict[str, Any]:
    return {"id": str(entry.id), "q": entry.query, "created_at": entry.searched_at.isoformat().replace("+00:00", "Z")}


@routes.get("/api/v1/search/history")
@endpoint(params={"limit": int}, returns=list)
async def history(request: web.Request) -> web.Response:
    """The signed-in user's recent searches, newest first."""
    account = await require_account(request, "read:search")
    params = await read_params(request)
    limit = params.int("limit", 20, low=1, high=100) or 20
    return web.json_response([_history_entity(e) for e in await search_history.entries(account, limit=limit)])


@routes.delete("/api/v1/search/history/{id}")
@endpoint()
async def forget(request: web.Request) -> web.Response:
    """Remove one search from the history."""
    account = await require_account(request, "write")
    await search_history.forget(account, request.match_info["id"])
    return web.json_response({})


@routes.delete("/api/v1/search/history")
@endpoint()
async def clear(request: web.Request) -> web.Response:
    """Clear the whole search history."""
    account = await require_account(request, "write")
    await search_history.clear(account)
    return web.json_response({})
