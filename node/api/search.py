"""/api/v2/search: accounts, statuses and hashtags matching q; with resolve=true (signed in), a remote
`@user@host` or URL is looked up on its server. The resolve part is node.activitypub.resolve."""

from __future__ import annotations

from aiohttp import web

from ..activitypub import resolve
from ..errors import DomainError, Unauthorized
from ..models import Account, Status, Tag
from ..services import accounts as account_service
from ..services import visibility
from .auth import optional_account
from .entities.accounts import account_entity
from .entities.statuses import status_entities
from .keys import NODE
from .params import read_params

routes = web.RouteTableDef()
TYPES = ("accounts", "statuses", "hashtags")


def _looks_remote(q: str) -> bool:
    return q.startswith(("http://", "https://")) or q.lstrip("@").count("@") == 1


@routes.get("/api/v2/search")
async def search(request: web.Request) -> web.Response:
    """Mastodon's search: local matches, and remote resolution with resolve=true."""
    node = request.app[NODE]
    viewer = await optional_account(request)
    params = await read_params(request)
    q = (params.str("q", required=True, max_length=2000) or "").strip()
    kind = params.str("type")
    limit = params.int("limit", 20, low=1, high=40) or 20
    offset = params.int("offset", 0, low=0) or 0
    wanted = [kind] if kind in TYPES else list(TYPES)
    if (params.bool("resolve") or offset) and viewer is None:
        raise Unauthorized("Search queries that resolve remote resources are not supported without authentication")
    found_accounts: list[Account] = []
    found_statuses: list[Status] = []
    if params.bool("resolve") and viewer is not None and _looks_remote(q) and offset == 0:
        try:
            if q.startswith(("http://", "https://")):
                hit = await resolve.resolve_url(node, q)
            else:
                hit = await resolve.resolve_acct(node, q)
        except DomainError:
            hit = None
        if isinstance(hit, Account) and "accounts" in wanted:
            found_accounts.append(hit)
        elif isinstance(hit, Status) and "statuses" in wanted:
            found_statuses.extend(await visibility.visible(viewer, [hit]))
    if "accounts" in wanted and not found_accounts and not q.startswith(("http://", "https://")):
        found_accounts = await account_service.search_accounts(node, q, limit=limit, offset=offset)
    if "statuses" in wanted and not found_statuses and q.startswith(("http://", "https://")):
        local = await Status.filter(uri=q).first() or await Status.filter(url=q).first()
        if local is not None:
            found_statuses = await visibility.visible(viewer, [local])
    hashtags = []
    if "hashtags" in wanted and not q.startswith(("http://", "https://")):
        name = q.lstrip("#").lower()
        if name:
            tags = await Tag.filter(name__startswith=name).order_by("name").offset(offset).limit(limit)
            hashtags = [{"name": t.display_name, "url": node.urls.tag(t.name), "history": [], "following": False}
                        for t in tags]
    return web.json_response({
        "accounts": [account_entity(node, a) for a in found_accounts[:limit]],
        "statuses": await status_entities(node, found_statuses[:limit], viewer),
        "hashtags": hashtags,
    })
