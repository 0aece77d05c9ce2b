"""/api/v1/admin/accounts and /api/v2/admin/accounts (Mastodon's Admin::Accounts: the approval queue and
account actions), /api/v1/admin/canonical_email_blocks and /api/v1/admin/ip_blocks, for admins with admin:*
scopes; anyone else gets 403."""

from __future__ import annotations

from typing import TypeVar

from aiohttp import web

from ..activitypub import moderation as reports
from ..errors import NotFound, ValidationFailed
from ..models import CanonicalEmailBlock, IpBlock, row_id
from ..services import account_moderation as moderation
from .admin import require_admin
from .endpoint import PAGE, endpoint, required
from .entities.admin import admin_account_entities, email_block_entity, ip_block_entity
from .keys import NODE
from .pagination import paged_response, requested_page
from .params import Params, read_params

routes = web.RouteTableDef()
BlockT = TypeVar("BlockT", CanonicalEmailBlock, IpBlock)


async def _one(request: web.Request) -> web.Response:
    account = await moderation.get_account(request.match_info["id"])
    return web.json_response((await admin_account_entities(request.app[NODE], [account]))[0])


async def _listed(request: web.Request, query: moderation.AccountQuery, params: Params) -> web.Response:
    page = requested_page(params, default=100, most=200)
    rows = page.arrange(await page.filter(moderation.matching(query)))
    return paged_response(request, await admin_account_entities(request.app[NODE], rows), [a.id for a in rows])


# Filters both list versions read (node/services/moderation.py matches them).
SEARCH = {"by_domain": str, "username": str, "display_name": str, "email": str, "ip": str}


def _text(params: Params, name: str) -> str | None:
    return params.str(name, max_length=320) or None


@routes.get("/api/v2/admin/accounts")
@endpoint(params={**PAGE, **SEARCH, "origin": str, "status": str, "permissions": str}, returns=list)
async def list_accounts_v2(request: web.Request) -> web.Response:
    """Admin::Account list: origin (local/remote), status (active, pending, disabled, silenced, suspended),
    permissions=staff, by_domain, username (prefix), display_name, email, ip; Mastodon pagination."""
    await require_admin(request, "admin:read:accounts")
    params = await read_params(request)
    origin = params.str("origin", max_length=16)
    if origin not in (None, "", "local", "remote"):
        raise ValidationFailed("Validation failed: Origin must be local or remote")
    query = moderation.AccountQuery(
        origin=origin or None, status=params.str("status", max_length=16) or None,
        by_domain=_text(params, "by_domain"), username=_text(params, "username"),
        display_name=_text(params, "display_name"), email=_text(params, "email"), ip=_text(params, "ip"),
        staff=params.str("permissions", max_length=16) == "staff")
    return await _listed(request, query, params)


@routes.get("/api/v1/admin/accounts")
@endpoint(params={**PAGE, **SEARCH, **dict.fromkeys(("local", "remote", "active", "pending", "disabled", "silenced",
                                                      "suspended", "staff"), bool)}, returns=list)
async def list_accounts_v1(request: web.Request) -> web.Response:
    """Admin::Account list with v1's flags: local, remote, active, pending, disabled, silenced, suspended,
    staff, by_domain, username, display_name, email, ip."""
    await require_admin(request, "admin:read:accounts")
    params = await read_params(request)
    status = next((s for s in ("pending", "disabled", "silenced", "suspended", "active") if params.bool(s)), None)
    origin = "remote" if params.bool("remote") else ("local" if params.bool("local") else None)
    query = moderation.AccountQuery(
        origin=origin, status=status, by_domain=_text(params, "by_domain"), username=_text(params, "username"),
        display_name=_text(params, "display_name"), email=_text(params, "email"), ip=_text(params, "ip"),
        staff=params.bool("staff"))
    return await _listed(request, query, params)


@routes.get("/api/v1/admin/accounts/{id}")
@endpoint()
async def show_account(request: web.Request) -> web.Response:
    """One Admin::Account."""
    await require_admin(request, "admin:read:accounts")
    return await _one(request)


@routes.post("/api/v1/admin/accounts/{id}/approve")
@endpoint()
async def approve_account(request: web.Request) -> web.Response:
    """Approve a sign-up waiting on approval: the person can sign in."""
    await require_admin(request, "admin:write:accounts")
    await moderation.approve(await moderation.get_account(request.match_info["id"]))
    return await _one(request)


@routes.post("/api/v1/admin/accounts/{id}/reject")
@endpoint()
async def reject_account(request: web.Request) -> web.Response:
    """Reject a sign-up waiting on approval: the account is deleted (403 for an approved account)."""
    await require_admin(request, "admin:write:accounts")
    account = await moderation.get_account(request.match_info["id"])
    body = (await admin_account_entities(request.app[NODE], [account]))[0]
    await moderation.reject(account)
    return web.json_response(body)


@routes.post("/api/v1/admin/accounts/{id}/action")
@endpoint(params={"report_id": str, "type": str})
async def account_action(request: web.Request) -> web.Response:
    """Act on an account: type none, sensitive, disable, silence or suspend; report_id resolves that report.
    Answers {} as Mastodon does."""
    admin = await require_admin(request, "admin:write:accounts")
    params = await read_params(request)
    account = await moderation.get_account(request.match_info["id"])
    report_id = params.str("report_id", max_length=32)
    report = None
    if report_id:
        report = await reports.get_report(report_id)
    await moderation.act(request.app[NODE], admin.account, account, params.str("type", "none", max_length=16) or "none")  # type: ignore[arg-type]
    if report is not None:
        await reports.resolve_report(report, True)
    return web.json_response({})


@routes.post(r"/api/v1/admin/accounts/{id}/{undo:enable|unsilence|unsuspend|unsensitive}")
@endpoint()
async def undo_action(request: web.Request) -> web.Response:
    """Undo an action: enable (a disabled sign-in), unsilence, unsuspend or unsensitive."""
    await require_admin(request, "admin:write:accounts")
    account = await moderation.get_account(request.match_info["id"])
    await moderation.undo(request.app[NODE], account, request.match_info["undo"])
    return await _one(request)


# ---- canonical e-mail blocks ----------------------------------------------------------------------------------


async def _block(model: type[BlockT], block_id: str) -> BlockT:
    found = await model.filter(id=row_id(block_id)).first()
    if found is None:
        raise NotFound()
    return found


@routes.get("/api/v1/admin/canonical_email_blocks")
@endpoint(params=PAGE, returns=list)
async def list_email_blocks(request: web.Request) -> web.Response:
    """Blocked e-mail addresses (as canonical hashes), newest first."""
    await require_admin(request, "admin:read:canonical_email_blocks")
    page = requested_page(await read_params(request), default=100, most=200)
    rows = page.arrange(await page.filter(CanonicalEmailBlock.all()))
    return paged_response(request, [email_block_entity(b) for b in rows], [b.id for b in rows])


@routes.get("/api/v1/admin/canonical_email_blocks/{id}")
@endpoint()
async def show_email_block(request: web.Request) -> web.Response:
    """One canonical e-mail block."""
    await require_admin(request, "admin:read:canonical_email_blocks")
    return web.json_response(email_block_entity(await _block(CanonicalEmailBlock, request.match_info["id"])))


@routes.post("/api/v1/admin/canonical_email_blocks/test")
@endpoint(params={"email": required(str)}, returns=list)
async def test_email_blocks(request: web.Request) -> web.Response:
    """The blocks that match `email` (an empty list when it may sign up)."""
    await require_admin(request, "admin:read:canonical_email_blocks")
    email = (await read_params(request)).str("email", required=True, max_length=320) or ""
    return web.json_response([email_block_entity(b) for b in await moderation.email_blocks_matching(email)])


@routes.post("/api/v1/admin/canonical_email_blocks")
@endpoint(params={"email": str, "canonical_email_hash": str})
async def create_email_block(request: web.Request) -> web.Response:
    """Block an e-mail address: `email` (canonicalised: lower case, no dots or +suffix before the @) or
    `canonical_email_hash` (its SHA-256, hex)."""
    await require_admin(request, "admin:write:canonical_email_blocks")
    params = await read_params(request)
    block = await moderation.block_email(params.str("email", max_length=320),
                                         params.str("canonical_email_hash", max_length=64))
    return web.json_response(email_block_entity(block))


@routes.delete("/api/v1/admin/canonical_email_blocks/{id}")
@endpoint()
async def delete_email_block(request: web.Request) -> web.Response:
    """Lift a canonical e-mail block."""
    await require_admin(request, "admin:write:canonical_email_blocks")
    block = await _block(CanonicalEmailBlock, request.match_info["id"])
    await block.delete()
    return web.json_response(email_block_entity(block))


# ---- IP blocks ------------------------------------------------------------------------------------------------


@routes.get("/api/v1/admin/ip_blocks")
@endpoint(params=PAGE, returns=list)
async def list_ip_blocks(request: web.Request) -> web.Response:
    """IP blocks, newest first."""
    await require_admin(request, "admin:read:ip_blocks")
    page = requested_page(await read_params(request), default=100, most=200)
    rows = page.arrange(await page.filter(IpBlock.all()))
    return paged_response(request, [ip_block_entity(b) for b in rows], [b.id for b in rows])


@routes.get("/api/v1/admin/ip_blocks/{id}")
@endpoint()
async def show_ip_block(request: web.Request) -> web.Response:
    """One IP block."""
    await require_admin(request, "admin:read:ip_blocks")
    return web.json_response(ip_block_entity(await _block(IpBlock, request.match_info["id"])))


@routes.post("/api/v1/admin/ip_blocks")
@endpoint(params={"ip": str, "severity": str, "comment": str, "expires_in": int})
async def create_ip_block(request: web.Request) -> web.Response:
    """Block an address or CIDR range: `ip`, `severity` (sign_up_requires_approval, sign_up_block,
    no_access), optional `comment` and `expires_in` (seconds)."""
    await require_admin(request, "admin:write:ip_blocks")
    params = await read_params(request)
    node = request.app[NODE]
    block = await IpBlock.create(
        ip=moderation.network(params.str("ip", max_length=49)),
        severity=moderation.ip_severity(params.str("severity", max_length=32)),
        comment=params.str("comment", "", max_length=1000) or "",
        expires_at=moderation.ip_expiry(node, params.int("expires_in", low=1)))
    return web.json_response(ip_block_entity(block))


@routes.put("/api/v1/admin/ip_blocks/{id}")
@endpoint(params={"ip": str, "severity": str, "comment": str, "expires_in": int})
async def update_ip_block(request: web.Request) -> web.Response:
    """Change an IP block's ip, severity, comment or expires_in."""
    await require_admin(request, "admin:write:ip_blocks")
    params = await read_params(request)
    block = await _block(IpBlock, request.match_info["id"])
    if "ip" in params:
        block.ip = moderation.network(params.str("ip", max_length=49))
    if "severity" in params:
        block.severity = moderation.ip_severity(params.str("severity", max_length=32))
    if "comment" in params:
        block.comment = params.str("comment", "", max_length=1000) or ""
    if "expires_in" in params:
        block.expires_at = moderation.ip_expiry(request.app[NODE], params.int("expires_in", low=1))
    await block.save()
    return web.json_response(ip_block_entity(block))


@routes.delete("/api/v1/admin/ip_blocks/{id}")
@endpoint()
async def delete_ip_block(request: web.Request) -> web.Response:
    """Lift an IP block."""
    await require_admin(request, "admin:write:ip_blocks")
    await (await _block(IpBlock, request.match_info["id"])).delete()
    return web.json_response({})
