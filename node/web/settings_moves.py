"""/settings/moving: moving an account, as Mastodon's settings offer it. Aliases ("moving from a different
account": the old accounts this one says it also is, which lets them move here) and the move itself ("move
to a different account", password required). The rules live in node/services/moves.py; a refused change
shows the page again with why, nothing changed."""

from __future__ import annotations

from aiohttp import web

from ..api.keys import NODE
from ..errors import DomainError
from ..models import Account
from ..services import moves
from .session import check_csrf, current_session, page, redirect, require_viewer

routes = web.RouteTableDef()
PATH = "/settings/moving"


async def _page(request: web.Request, http_status: int = 200, **context: object) -> web.Response:
    await require_viewer(request)
    session = await current_session(request)
    assert session is not None
    account = await Account.get(id=session.user.account_id)
    moved_to = await Account.filter(uri=account.moved_to_uri).first() if account.moved_to_uri else None
    context.setdefault("error", None)
    context.setdefault("typed", "")
    return await page(
        request,
        "settings_moving.html",
        http_status=http_status,
        account=account,
        aliases=await moves.aliases_shown(account),
        moved_to=moved_to,
        saved=request.query.get("saved"),
        **context,
    )


@routes.get(PATH)
async def moving_page(request: web.Request) -> web.Response:
    """The aliases, a form to add one, and the move form (or where the account moved)."""
    return await _page(request)


async def _attempt(request: web.Request, form: dict[str, object], change, saved: str) -> web.StreamResponse:  # type: ignore[no-untyped-def]
    try:
        await change()
    except DomainError as exc:
        return await _page(request, http_status=exc.status, error=exc.message,
                           typed=str(form.get("acct", ""))[:320])
    return redirect(f"{PATH}?saved={saved}")


@routes.post(PATH + "/aliases")
async def add_alias(request: web.Request) -> web.StreamResponse:
    """Name another account (user@host, found by WebFinger) as an alias of this one."""
    form = await check_csrf(request)
    me = await require_viewer(request)
    node = request.app[NODE]

    async def change() -> None:
        other = await moves.find(node, str(form.get("acct", ""))[:320])
        await moves.add_alias(node, me, other)

    return await _attempt(request, form, change, "alias-added")


@routes.post(PATH + "/aliases/remove")
async def remove_alias(request: web.Request) -> web.StreamResponse:
    form = await check_csrf(request)
    me = await require_viewer(request)
    return await _attempt(
        request, form, lambda: moves.remove_alias(request.app[NODE], me, str(form.get("acct", ""))[:1024]),
        "alias-removed",
    )


@routes.post(PATH + "/move")
async def move(request: web.Request) -> web.StreamResponse:
    """Move to the named account (which must list this one as an alias), confirmed with the password."""
    form = await check_csrf(request)
    await require_viewer(request)
    session = await current_session(request)
    assert session is not None
    node = request.app[NODE]

    async def change() -> None:
        target = await moves.find(node, str(form.get("acct", ""))[:320], fresh=True)
        await moves.move(node, session.user, target, str(form.get("password", "")), now=node.clock.now())

    return await _attempt(request, form, change, "moved")
