"""/api/v1/reports: a user reports an account (and some of its posts) to the admins; with forward=true a
report about a remote account also goes to its server as a Flag."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..activitypub import moderation, outbox
from ..models import Report
from ..runtime import Node
from ..services import accounts as account_service
from .auth import require_account
from .endpoint import ID, endpoint, required
from .entities.accounts import account_entity
from .entities.common import iso
from .keys import NODE
from .params import read_params

routes = web.RouteTableDef()


def report_entity(node: Node, report: Report) -> dict[str, Any]:
    return {"id": str(report.id), "action_taken": report.action_taken_at is not None,
            "action_taken_at": iso(report.action_taken_at), "category": report.category, "comment": report.comment,
            "forwarded": report.forwarded, "created_at": iso(report.created_at),
            "status_ids": [str(i) for i in report.status_ids] or None, "rule_ids": None,
            "target_account": account_entity(node, report.target_account)}


@routes.post("/api/v1/reports")
@endpoint(params={"account_id": required(str), "status_ids": [ID], "forward": bool, "comment": str, "category": str})
async def file_report(request: web.Request) -> web.Response:
    """File a report: account_id, status_ids[], comment, category, forward."""
    account = await require_account(request, "write:reports")
    params = await read_params(request)
    node = request.app[NODE]
    target = await account_service.get_account(params.str("account_id", required=True) or "")
    report = await moderation.file_report(
        account, target, status_ids=params.ids("status_ids"), comment=params.str("comment", "", max_length=1000) or "",
        category=params.str("category", "other") or "other", forward=params.bool("forward"))
    report.target_account = target
    if report.forwarded:
        await outbox.send_flag(node, report, target)
    return web.json_response(report_entity(node, report))
