"""/admin: the small admin area of the web UI. Accounts (the sign-up queue: approve, reject; silence,
suspend, sensitive, disable and their undos) and the blocks at the door (canonical e-mail, e-mail domain, IP). Every
action calls the same services as /api/v1/admin/*, so the page and the API cannot disagree. Only admins
see it (anyone else gets the 403 page); every form carries the session's CSRF token.
Rules, announcements and the node's documents are in admin_content.py."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..api.entities.admin import admin_account_entities
from ..api.keys import NODE
from ..api.params import Params
from ..errors import DomainError, Forbidden, NotFound
from ..i18n import gettext
from ..models import Account, CanonicalEmailBlock, EmailDomainBlock, IpBlock, User, row_id
from ..models.admin_blocks import IP_SEVERITIES
from ..services import account_moderation as moderation
from .session import check_csrf, page, redirect, require_viewer

routes = web.RouteTableDef()
STATUS_TABS = ("pending", "active", "silenced", "suspended", "disabled")
ACTIONS = ("sensitive", "disable", "silence", "suspend")
UNDOS = ("unsensitive", "enable", "unsilence", "unsuspend")
PAGE_SIZE = 50


async def require_admin_viewer(request: web.Request) -> User:
    """The signed-in admin; signed out: off to sign in; anyone else: 403."""
    account = await require_viewer(request)
    user = await User.filter(account_id=account.id).first()
    if user is None or not user.admin:
        raise Forbidden(gettext("This page is for the admins of this server"))
    return user


async def admin_page(
    request: web.Request, template: str, section: str, http_status: int = 200, **context: Any
) -> web.Response:
    """An admin page: its section highlighted in the admin tabs, and the flash message from ?done= or error."""
    return await page(
        request,
        template,
        http_status=http_status,
        section=section,
        done=request.query.get("done"),
        pending_count=await _pending_count(),
        **context,
    )


async def _pending_count() -> int:
    return await User.filter(approved=False).count()


@routes.get("/admin")
async def overview(request: web.Request) -> web.StreamResponse:
    """The admin area's entry: the sign-up queue when someone waits, else the accounts."""
    await require_admin_viewer(request)
    return redirect("/admin/accounts?status=pending" if await _pending_count() else "/admin/accounts")


@routes.get("/admin/accounts")
async def accounts(request: web.Request, error: str | None = None, http_status: int = 200) -> web.Response:
    """Local and remote accounts by status (pending, active, silenced, suspended, disabled), by name."""
    await require_admin_viewer(request)
    status = request.query.get("status", "active")
    if status not in STATUS_TABS:
        status = "active"
    name = request.query.get("q", "").strip()[:64]
    query = moderation.AccountQuery(status=status, username=name or None)
    rows = list(await moderation.matching(query).order_by("-id").limit(PAGE_SIZE))
    entities = await admin_account_entities(request.app[NODE], rows)
    return await admin_page(
        request,
        "admin_accounts.html",
        "accounts",
        http_status=http_status,
        accounts=entities,
        status=status,
        tabs=STATUS_TABS,
        q=name,
        error=error,
    )


@routes.post(r"/admin/accounts/{id}/{action:[a-z]+}")
async def account_action(request: web.Request) -> web.StreamResponse:
    """approve, reject, sensitive, disable, silence, suspend, or an undo, as the admin API's."""
    form = await check_csrf(request)
    admin = await require_admin_viewer(request)
    action = request.match_info["action"]
    if action not in ("approve", "reject", *ACTIONS, *UNDOS):
        raise NotFound()
    account = await moderation.get_account(request.match_info["id"])
    back = _back(form, "/admin/accounts")
    try:
        if action == "approve":
            await moderation.approve(account)
        elif action == "reject":
            await moderation.reject(account)
        elif action in ACTIONS:
            await moderation.act(request.app[NODE], await Account.get(id=admin.account_id), account, action)
        else:
            await moderation.undo(request.app[NODE], account, action)
    except DomainError as exc:
        return await accounts(request, error=exc.message, http_status=exc.status)
    return redirect(_with_done(back, f"{action}:{account.username}"))


def _back(form: dict[str, Any], default: str) -> str:
    target = form.get("back")
    return (
        target if isinstance(target, str) and target.startswith("/admin") and "//" not in target else default
    )


def _with_done(path: str, done: str) -> str:
    from urllib.parse import urlencode, urlsplit

    parts = urlsplit(path)
    query = "&".join(p for p in parts.query.split("&") if p and not p.startswith("done="))
    return f"{parts.path}?{query + '&' if query else ''}{urlencode({'done': done})}"


# ---- blocks at the door ---------------------------------------------------------------------------------


async def _blocks(request: web.Request, http_status: int = 200, **context: Any) -> web.Response:
    email_blocks = list(await CanonicalEmailBlock.all().order_by("-id"))
    domain_blocks = list(await EmailDomainBlock.all().order_by("domain"))
    ip_blocks = list(await IpBlock.all().order_by("-id"))
    return await admin_page(
        request,
        "admin_blocks.html",
        "blocks",
        http_status=http_status,
        email_blocks=email_blocks,
        domain_blocks=domain_blocks,
        ip_blocks=ip_blocks,
        severities=IP_SEVERITIES,
        **{"error": None, **context},
    )


@routes.get("/admin/blocks")
async def blocks(request: web.Request) -> web.Response:
    """Canonical e-mail blocks and IP blocks, with forms to add and lift them."""
    await require_admin_viewer(request)
    return await _blocks(request)


@routes.post("/admin/blocks/email")
async def add_email_block(request: web.Request) -> web.StreamResponse:
    """Block an e-mail address (stored as its canonical hash)."""
    form = await check_csrf(request)
    await require_admin_viewer(request)
    params = Params.from_pairs(form.items())
    try:
        await moderation.block_email(params.str("email", max_length=320), None)
    except DomainError as exc:
        return await _blocks(request, http_status=exc.status, error=exc.message)
    return redirect("/admin/blocks?done=email_blocked")


@routes.post("/admin/blocks/domain")
async def add_email_domain_block(request: web.Request) -> web.StreamResponse:
    """Block sign-ups from an e-mail domain and its subdomains."""
    form = await check_csrf(request)
    await require_admin_viewer(request)
    try:
        await moderation.block_email_domain(Params.from_pairs(form.items()).str("domain", max_length=253))
    except DomainError as exc:
        return await _blocks(request, http_status=exc.status, error=exc.message)
    return redirect("/admin/blocks?done=domain_blocked")


@routes.post("/admin/blocks/ip")
async def add_ip_block(request: web.Request) -> web.StreamResponse:
    """Block an address or CIDR range, with a severity, comment and optional expiry in days."""
    form = await check_csrf(request)
    await require_admin_viewer(request)
    params = Params.from_pairs(form.items())
    node = request.app[NODE]
    try:
        days = params.int("expires_in_days", low=1, high=3650) if params.str("expires_in_days") else None
        await IpBlock.create(
            ip=moderation.network(params.str("ip", max_length=49)),
            severity=moderation.ip_severity(params.str("severity", max_length=32)),
            comment=params.str("comment", "", max_length=1000) or "",
            expires_at=moderation.ip_expiry(node, days * 86400 if days else None),
        )
    except DomainError as exc:
        return await _blocks(request, http_status=exc.status, error=exc.message)
    return redirect("/admin/blocks?done=ip_blocked")


@routes.post(r"/admin/blocks/{kind:email|domain|ip}/{id}/delete")
async def lift_block(request: web.Request) -> web.StreamResponse:
    """Lift a block."""
    await check_csrf(request)
    await require_admin_viewer(request)
    kind = request.match_info["kind"]
    model = {"email": CanonicalEmailBlock, "domain": EmailDomainBlock, "ip": IpBlock}[kind]
    found = await model.filter(id=row_id(request.match_info["id"])).first()
    if found is None:
        raise NotFound()
    await found.delete()
    return redirect("/admin/blocks?done=lifted")
