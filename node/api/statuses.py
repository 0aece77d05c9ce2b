"""/api/v1/statuses: post, read, edit (with history and source), delete, thread context, favourite,
reblog and bookmark (and their undoing), and who favourited or reblogged a status."""

from __future__ import annotations

from aiohttp import web

from ..activitypub import quote_requests, threads
from ..errors import NotFound
from ..models import Account
from ..services import interactions, pins, scheduled_statuses, statuses, timelines, visibility
from .auth import current_grant, optional_account, require_account, require_user
from .endpoint import ID, OBJECT, PAGE, endpoint
from .entities.accounts import account_entity
from .entities.filters import filtered
from .entities.scheduled import scheduled_status_entities
from .entities.statuses import status_edit_entities, status_entities, status_entity
from .keys import NODE
from .pagination import paged_response, requested_page
from .params import Params, read_params
from .responses import json_response

routes = web.RouteTableDef()
BASE = "/api/v1/statuses"
POLL = {"options": [str], "expires_in": int, "multiple": bool, "hide_totals": bool}
# What _draft reads; `location` is a new place ({name, lat, lon, ...}, node/services/places.py checks it).
DRAFT = {"status": str, "spoiler_text": str, "sensitive": bool, "visibility": str, "language": str,
         "media_ids": [ID], "poll": POLL, "in_reply_to_id": ID, "quoted_status_id": ID, "place_id": ID,
         "location": OBJECT}


def _draft(params: Params, default_visibility: str, default_sensitive: bool = False) -> statuses.Draft:
    return statuses.Draft(
        text=params.str("status", "") or "",
        spoiler_text=params.str("spoiler_text", "") or "",
        sensitive=params.bool("sensitive", default_sensitive),
        visibility=params.str("visibility") or default_visibility,
        language=params.str("language") or None,
        media_ids=params.ids("media_ids"),
        poll=params.raw("poll"),
        in_reply_to_id=params.int("in_reply_to_id"),
        quoted_status_id=params.int("quoted_status_id"),
        place_id=params.raw("place_id"),
        location=params.raw("location"),
    )


async def _respond(request: web.Request, status, viewer: Account | None, **options) -> web.Response:  # type: ignore[no-untyped-def]
    return json_response(await status_entity(request.app[NODE], status, viewer, **options))


@routes.post(BASE)
@endpoint(params={**DRAFT, "scheduled_at": str})
async def create(request: web.Request) -> web.Response:
    """Post a new status (text, media, poll, reply, content warning, visibility); honours Idempotency-Key.
    With `scheduled_at` (at least 5 minutes ahead) it is kept and published then: answers a ScheduledStatus."""
    user = await require_user(request, "write:statuses")
    params = await read_params(request)
    grant = await current_grant(request)
    app = grant.app if grant else None
    if params.raw("scheduled_at") not in (None, ""):  # kept for later: answers a ScheduledStatus
        scheduled = await scheduled_statuses.schedule(
            request.app[NODE], user.account, _draft(params, user.default_visibility, user.default_sensitive),
            scheduled_statuses.parse_time(params.raw("scheduled_at")), application_id=app.id if app else None)
        return web.json_response((await scheduled_status_entities(request.app[NODE], [scheduled]))[0])
    draft = _draft(params, user.default_visibility, user.default_sensitive)
    node = request.app[NODE]
    quoted, extend = None, None
    if draft.quoted_status_id is not None:  # Mastodon 4.5 quote: checked before anything is stored
        try:
            quoted = await visibility.visible_status(user.account, draft.quoted_status_id)
        except NotFound:
            raise NotFound("The post you are trying to quote does not appear to exist.") from None
        verdict, _ = await quote_requests.prepare(node, user.account, quoted)

        async def extend(status):  # type: ignore[no-untyped-def]
            await quote_requests.write(status, quoted, verdict)

    status = await statuses.create_status(
        node, user.account, draft, application_id=app.id if app else None,
        idempotency_key=request.headers.get("Idempotency-Key"), extend=extend)
    if quoted is not None:
        await quote_requests.stored(node, status, quoted)
    return await _respond(request, status, user.account, fresh=status.account_id == user.account.id
                          and status.favourites_count == status.reblogs_count == 0)


@routes.get(BASE)
@endpoint(params={"id": [ID]}, returns=list)
async def many(request: web.Request) -> web.Response:
    """GET /api/v1/statuses?id[]=...: the visible ones among the ids asked for."""
    viewer = await optional_account(request)
    params = await read_params(request)
    ids = params.ids("id")[:40]
    found = {s.id: s for s in await visibility.visible(viewer, await timelines.in_order(ids))}
    return json_response(await status_entities(request.app[NODE], [found[i] for i in ids if i in found], viewer))


@routes.get(BASE + "/{id}")
@endpoint()
async def show(request: web.Request) -> web.Response:
    """View a single status (404 when unknown or not visible to the caller)."""
    viewer = await optional_account(request)
    return await _respond(request, await visibility.visible_status(viewer, request.match_info["id"]), viewer)


@routes.delete(BASE + "/{id}")
@endpoint()
async def delete(request: web.Request) -> web.Response:
    """Delete one's own status; the answer carries `text` for delete-and-redraft."""
    account = await require_account(request, "write:statuses")
    status = await statuses.own_status(account, request.match_info["id"])
    if status.reblog_of_id is not None:  # reblogs are undone with /unreblog
        raise NotFound()
    entity = await status_entity(request.app[NODE], status, account, source=True)
    await statuses.delete_status(request.app[NODE], status)
    return json_response(entity)


@routes.put(BASE + "/{id}")
@endpoint(params=DRAFT)
async def edit(request: web.Request) -> web.Response:
    """Edit one's own status (text, content warning, sensitivity, media, poll); keeps the history."""
    account = await require_account(request, "write:statuses")
    params = await read_params(request)
    status = await statuses.edit_status(request.app[NODE], account, request.match_info["id"], _draft(params, "public"))
    return await _respond(request, status, account)


@routes.get(BASE + "/{id}/history")
@endpoint(returns=list)
async def history(request: web.Request) -> web.Response:
    """The status's revisions, oldest first (StatusEdit list)."""
    viewer = await optional_account(request)
    status = await visibility.visible_status(viewer, request.match_info["id"])
    return json_response(await status_edit_entities(request.app[NODE], status, await statuses.history(status)))


@routes.get(BASE + "/{id}/source")
@endpoint()
async def source(request: web.Request) -> web.Response:
    """The plain text and content warning of one's own status, for editing."""
    account = await require_account(request, "read:statuses")
    status = await statuses.own_status(account, request.match_info["id"])
    return json_response({"id": str(status.id), "text": status.text, "spoiler_text": status.spoiler_text})


@routes.get(BASE + "/{id}/context")
@endpoint()
async def context(request: web.Request) -> web.Response:
    """Ancestors and descendants of a status that the caller may see."""
    viewer = await optional_account(request)
    status = await visibility.visible_status(viewer, request.match_info["id"])
    ancestors, descendants = await statuses.context(viewer, status)
    node = request.app[NODE]
    if viewer is not None:
        threads.refresh_later(node, status)
    rendered = await status_entities(node, [*ancestors, *descendants], viewer)
    before = await filtered(node, viewer, "thread", rendered[:len(ancestors)])
    after = await filtered(node, viewer, "thread", rendered[len(ancestors):])
    return json_response({"ancestors": before, "descendants": after})


@routes.post(BASE + "/{id}/favourite")
@endpoint()
async def favourite(request: web.Request) -> web.Response:
    """Favourite a status (idempotent)."""
    account = await require_account(request, "write:favourites")
    status = await interactions.favourite(request.app[NODE], account, request.match_info["id"])
    return await _respond(request, status, account)


@routes.post(BASE + "/{id}/unfavourite")
@endpoint()
async def unfavourite(request: web.Request) -> web.Response:
    """Undo a favourite (idempotent)."""
    account = await require_account(request, "write:favourites")
    status = await interactions.unfavourite(request.app[NODE], account, request.match_info["id"])
    return await _respond(request, status, account)


@routes.post(BASE + "/{id}/reblog")
@endpoint(params={"visibility": str})
async def reblog(request: web.Request) -> web.Response:
    """Boost a status with an optional visibility; returns the reblog (idempotent)."""
    account = await require_account(request, "write:statuses")
    params = await read_params(request)
    status = await interactions.reblog(request.app[NODE], account, request.match_info["id"],
                                       params.str("visibility") or None)
    return await _respond(request, status, account)


@routes.post(BASE + "/{id}/unreblog")
@endpoint()
async def unreblog(request: web.Request) -> web.Response:
    """Undo a boost; returns the original status."""
    account = await require_account(request, "write:statuses")
    status = await interactions.unreblog(request.app[NODE], account, request.match_info["id"])
    return await _respond(request, status, account)


@routes.post(BASE + "/{id}/pin")
@endpoint()
async def pin(request: web.Request) -> web.Response:
    """Pin one's own post to the profile (at most 5; not boosts or direct posts); idempotent."""
    account = await require_account(request, "write:accounts")
    return await _respond(request, await pins.pin(request.app[NODE], account, request.match_info["id"]), account)


@routes.post(BASE + "/{id}/unpin")
@endpoint()
async def unpin(request: web.Request) -> web.Response:
    """Unpin a post from the profile; idempotent."""
    account = await require_account(request, "write:accounts")
    return await _respond(request, await pins.unpin(request.app[NODE], account, request.match_info["id"]), account)


@routes.post(BASE + "/{id}/bookmark")
@endpoint()
async def bookmark(request: web.Request) -> web.Response:
    """Bookmark a status (idempotent)."""
    account = await require_account(request, "write:bookmarks")
    return await _respond(request, await interactions.bookmark(account, request.match_info["id"]), account)


@routes.post(BASE + "/{id}/unbookmark")
@endpoint()
async def unbookmark(request: web.Request) -> web.Response:
    """Remove a bookmark (idempotent)."""
    account = await require_account(request, "write:bookmarks")
    return await _respond(request, await interactions.unbookmark(account, request.match_info["id"]), account)


async def _accounts_page(request: web.Request, lister) -> web.Response:  # type: ignore[no-untyped-def]
    viewer = await optional_account(request)
    page = requested_page(await read_params(request), default=40, most=80)
    rows, keys = await lister(viewer, request.match_info["id"], page)
    node = request.app[NODE]
    return paged_response(request, [account_entity(node, a) for a in rows], keys)


@routes.get(BASE + "/{id}/favourited_by")
@endpoint(params=PAGE, returns=list)
async def favourited_by(request: web.Request) -> web.Response:
    """Accounts that favourited a status (paginated)."""
    return await _accounts_page(request, timelines.favourited_by)


@routes.get(BASE + "/{id}/quotes")
@endpoint(params=PAGE, returns=list)
async def quotes(request: web.Request) -> web.Response:
    """Mastodon 4.5: the posts quoting this one with its author's approval, as far as the viewer may see
    them (paginated by the quote)."""
    viewer = await optional_account(request)
    page = requested_page(await read_params(request), default=20, most=40)
    rows, keys = await timelines.quotes_of(viewer, request.match_info["id"], page)
    return paged_response(request, await status_entities(request.app[NODE], rows, viewer), keys)


@routes.post(BASE + "/{id}/quotes/{quoting_status_id}/revoke")
@endpoint(errors=(403,))
async def revoke_quote(request: web.Request) -> web.Response:
    """Mastodon 4.5: the author of a post takes back their approval of a quote of it; answers the quoting
    status, whose quote now shows as revoked everywhere it federated."""
    account = await require_account(request, "write:statuses")
    quoted = await visibility.visible_status(account, request.match_info["id"])
    quoting = await quote_requests.revoke(request.app[NODE], account, quoted,
                                          request.match_info["quoting_status_id"])
    return await _respond(request, quoting, account)


@routes.get(BASE + "/{id}/reblogged_by")
@endpoint(params=PAGE, returns=list)
async def reblogged_by(request: web.Request) -> web.Response:
    """Accounts that boosted a status (paginated)."""
    return await _accounts_page(request, timelines.reblogged_by)
