"""/api/v1/instance/*: rules, extended description, privacy policy, terms of service, languages, weekly
activity, peers and the moderated servers, in Mastodon's shapes. Public, as Mastodon serves them outside
limited-federation mode (the domain blocks as `node.show_domain_blocks` says)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from aiohttp import web

from ..errors import NotFound
from ..services import instance_info
from .auth import current_grant
from .endpoint import endpoint
from .entities.announcements import document_entity, rule_entity, terms_entity
from .keys import NODE

routes = web.RouteTableDef()
DEFAULT_POLICY_DATE = datetime(2026, 12, 2, tzinfo=UTC)  # when the default text below was written
DEFAULT_PRIVACY_POLICY = """# What this server keeps

This server (%{domain}) stores what you give it to run your account: your e-mail address, a hash of your
password, your profile, your posts and media, who you follow, and the address you signed up from.
Posts you make public are sent to the servers of the people who follow you, as the fediverse works.
Direct messages are readable by the people you address them to. End-to-end encrypted messages are
stored only as ciphertext this server cannot read.

You can delete your posts at any time; ask the admins of this server to delete your account.
"""


@routes.get("/api/v1/instance/rules")
@endpoint(returns=list)
async def rules(_request: web.Request) -> web.Response:
    """The server's rules in order: id, text, hint and translations (Mastodon 4.4's Rule)."""
    return web.json_response([rule_entity(r) for r in await instance_info.rules()])


@routes.get("/api/v1/instance/extended_description")
@endpoint()
async def extended_description(request: web.Request) -> web.Response:
    """The extended description: updated_at and content (HTML from the admin's Markdown)."""
    row = await instance_info.text_of("extended_description")
    return web.json_response(
        document_entity(request.app[NODE], row.text if row else "", row.updated_at if row else None)
    )


@routes.get("/api/v1/instance/privacy_policy")
@endpoint()
async def privacy_policy(request: web.Request) -> web.Response:
    """The privacy policy: updated_at and content; a short default until an admin writes one."""
    row = await instance_info.text_of("privacy_policy")
    if row is None or not row.text.strip():
        return web.json_response(
            document_entity(request.app[NODE], DEFAULT_PRIVACY_POLICY, DEFAULT_POLICY_DATE)
        )
    return web.json_response(document_entity(request.app[NODE], row.text, row.updated_at))


async def _terms(request: web.Request, on: date | None) -> web.Response:
    node = request.app[NODE]
    terms = await instance_info.current_terms(node, on)
    today = node.clock.now().astimezone(UTC).date()
    return web.json_response(terms_entity(node, terms, today, await instance_info.successor(terms)))


@routes.get("/api/v1/instance/terms_of_service")
@endpoint(errors=(404,))
async def terms_of_service(request: web.Request) -> web.Response:
    """The terms of service in effect (Mastodon 4.4): effective_date, effective, content, succeeded_by;
    404 until an admin publishes some."""
    return await _terms(request, None)


@routes.get("/api/v1/instance/terms_of_service/{date}")
@endpoint()
async def terms_of_service_on(request: web.Request) -> web.Response:
    """The version of the terms that took effect on `date` (YYYY-MM-DD)."""
    try:
        on = date.fromisoformat(request.match_info["date"])
    except ValueError:
        raise NotFound() from None
    return await _terms(request, on)


@routes.get("/api/v1/instance/languages")
@endpoint(returns=list)
async def languages(_request: web.Request) -> web.Response:
    """The languages posts can be tagged with: code (ISO 639-1) and name."""
    return web.json_response(instance_info.languages())


@routes.get("/api/v1/instance/activity")
@endpoint(returns=list)
async def activity(request: web.Request) -> web.Response:
    """Twelve weeks of activity, this week first: week (Unix time of its first midnight), statuses,
    logins and registrations, all as strings as Mastodon sends them."""
    weeks = await instance_info.activity(request.app[NODE])
    return web.json_response(
        [
            {
                "week": str(int(w.starts.timestamp())),
                "statuses": str(w.statuses),
                "logins": str(w.logins),
                "registrations": str(w.registrations),
            }
            for w in weeks
        ]
    )


@routes.get("/api/v1/instance/peers")
@endpoint(returns=list)
async def peers(_request: web.Request) -> web.Response:
    """The domains of the servers this one knows, less the blocked ones."""
    return web.json_response(await instance_info.peers())


@routes.get("/api/v1/instance/domain_blocks")
@endpoint(returns=list, errors=(404,))
async def domain_blocks(request: web.Request) -> web.Response:
    """The servers this one moderates (silence, suspend, or media rejected): domain (obfuscated when the
    admin asked), digest, severity, comment; 404 when `node.show_domain_blocks` hides it from the caller."""
    grant = await current_grant(request)
    rows = await instance_info.visible_domain_blocks(
        request.app[NODE], grant is not None and grant.user is not None
    )
    if rows is None:
        raise NotFound()
    return web.json_response(
        [{"domain": b.domain, "digest": b.digest, "severity": b.severity, "comment": b.comment} for b in rows]
    )
