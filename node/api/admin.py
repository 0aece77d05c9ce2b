"""/api/v1/admin: domain blocks (Mastodon's Admin::DomainBlock) and reports (Admin::Report), for admins
with admin:* scopes."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..activitypub import moderation
from ..errors import Forbidden
from ..models import Account, DomainBlock, Report, Status, User
from ..runtime import Node
from .endpoint import PAGE, endpoint
from .entities.admin import admin_account_entities
from .entities.common import iso
from .entities.statuses import status_entities
from .keys import NODE
from .pagination import paged_response, requested_page
from .params import Params, read_params

routes = web.RouteTableDef()


async def require_admin(request: web.Request, scope: str) -> User:
    from .auth import require_user

    user = await require_user(request, scope)
    if not user.admin:
        raise Forbidden("This action is not allowed")
    return user


def domain_block_entity(block: DomainBlock) -> dict[str, Any]:
    import hashlib

    return {"id": str(block.id), "domain": block.domain, "digest": hashlib.sha256(block.domain.encode()).hexdigest(),
            "created_at": iso(block.created_at), "severity": block.severity, "reject_media": block.reject_media,
            "reject_reports": block.reject_reports, "private_comment": block.private_comment or None,
            "public_comment": block.public_comment or None, "obfuscate": block.obfuscate}


# What _spec reads.
BLOCK = {"domain": str, "severity": str, "reject_media": bool, "reject_reports": bool, "private_comment": str,
         "public_comment": str, "obfuscate": bool}


def _spec(params: Params) -> moderation.DomainBlockSpec:
    def flag(name: str) -> bool | None:
        return params.bool(name) if name in params else None

    return moderation.DomainBlockSpec(
        domain=params.str("domain", max_length=253), severity=params.str("severity", max_length=16),
        reject_media=flag("reject_media"), reject_reports=flag("reject_reports"),
        private_comment=params.str("private_comment", max_length=5000),
        public_comment=params.str("public_comment", max_length=5000), obfuscate=flag("obfuscate"))


@routes.get("/api/v1/admin/domain_blocks")
@endpoint(params=PAGE, returns=list)
async def list_domain_blocks(request: web.Request) -> web.Response:
    """Blocked domains, newest first."""
    await require_admin(request, "admin:read:domain_blocks")
    page = requested_page(await read_params(request), default=100, most=200)
    rows = page.arrange(await page.filter(DomainBlock.all()))
    return paged_response(request, [domain_block_entity(b) for b in rows], [b.id for b in rows])


@routes.get("/api/v1/admin/domain_blocks/{id}")
@endpoint()
async def show_domain_block(request: web.Request) -> web.Response:
    """One domain block."""
    await require_admin(request, "admin:read:domain_blocks")
    return web.json_response(domain_block_entity(await moderation.get_domain_block(request.match_info["id"])))


@routes.post("/api/v1/admin/domain_blocks")
@endpoint(params=BLOCK)
async def create_domain_block(request: web.Request) -> web.Response:
    """Block a domain: severity silence (default), suspend or noop."""
    await require_admin(request, "admin:write:domain_blocks")
    block = await moderation.create_domain_block(_spec(await read_params(request)))
    return web.json_response(domain_block_entity(block))


@routes.put("/api/v1/admin/domain_blocks/{id}")
@endpoint(params=BLOCK)
async def update_domain_block(request: web.Request) -> web.Response:
    """Change a domain block's severity or comments."""
    await require_admin(request, "admin:write:domain_blocks")
    block = await moderation.get_domain_block(request.match_info["id"])
    block = await moderation.update_domain_block(block, _spec(await read_params(request)))
    return web.json_response(domain_block_entity(block))


@routes.delete("/api/v1/admin/domain_blocks/{id}")
@endpoint()
async def delete_domain_block(request: web.Request) -> web.Response:
    """Lift a domain block."""
    await require_admin(request, "admin:write:domain_blocks")
    await moderation.delete_domain_block(await moderation.get_domain_block(request.match_info["id"]))
    return web.json_response({})


# ---- reports ------------------------------------------------------------------------------------------------------


async def admin_report_entity(node: Node, report: Report, viewer: Account | None) -> dict[str, Any]:
    statuses = await Status.filter(id__in=report.status_ids) if report.status_ids else []
    reporter, target = await admin_account_entities(node, [report.account, report.target_account])
    return {
        "id": str(report.id), "action_taken": report.action_taken_at is not None,
        "action_taken_at": iso(report.action_taken_at), "category": report.category, "comment": report.comment,
        "forwarded": report.forwarded, "created_at": iso(report.created_at), "updated_at": iso(report.updated_at),
        "account": reporter, "target_account": target,
        "assigned_account": None, "action_taken_by_account": None,
        "statuses": await status_entities(node, list(statuses), viewer), "rules": [],
    }


@routes.get("/api/v1/admin/reports")
@endpoint(params={**PAGE, "resolved": bool}, returns=list)
async def list_reports(request: web.Request) -> web.Response:
    """Reports, newest first; resolved=true lists the handled ones."""
    user = await require_admin(request, "admin:read:reports")
    params = await read_params(request)
    page = requested_page(params, default=100, most=200)
    query = Report.all().select_related("account", "target_account")
    query = query.filter(action_taken_at__not_isnull=True) if params.bool("resolved") else query.filter(
        action_taken_at=None)
    rows = page.arrange(await page.filter(query))
    node = request.app[NODE]
    return paged_response(request, [await admin_report_entity(node, r, user.account) for r in rows],
                          [r.id for r in rows])


@routes.get("/api/v1/admin/reports/{id}")
@endpoint()
async def show_report(request: web.Request) -> web.Response:
    """One report."""
    user = await require_admin(request, "admin:read:reports")
    report = await moderation.get_report(request.match_info["id"])
    return web.json_response(await admin_report_entity(request.app[NODE], report, user.account))


@routes.post(r"/api/v1/admin/reports/{id}/{action:resolve|reopen}")
@endpoint()
async def resolve_report(request: web.Request) -> web.Response:
    """Mark a report handled, or open it again."""
    user = await require_admin(request, "admin:write:reports")
    report = await moderation.get_report(request.match_info["id"])
    report = await moderation.resolve_report(report, request.match_info["action"] == "resolve")
    return web.json_response(await admin_report_entity(request.app[NODE], report, user.account))
