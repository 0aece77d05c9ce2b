"""Mastodon's API rate limits: every /api/ response carries X-RateLimit-Limit, -Remaining and -Reset, and a
caller past its window's limit gets 429 with Retry-After. Authenticated calls count per access token (or
web session), the others per client address, as Mastodon's throttle_per_token_api and
throttle_unauthenticated_api rules do.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Callable
from typing import Any

from aiohttp import web

from ..errors import DomainError
from ..throttle import Window
from .auth import current_grant
from .keys import NODE
from .middleware import Handler, error_response


def client_ip(request: web.Request) -> str:
    """The caller's address: request.remote, or, when that is a trusted proxy (limits.trusted_proxies), the
    nearest X-Forwarded-For hop that is not one."""
    trusted = request.app[NODE].config.limits.trusted_proxies
    remote = request.remote or ""
    if remote not in trusted:
        return remote
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break  # a forged or garbled entry: stop trusting the chain here
        if hop not in trusted:
            return hop
    return remote


async def _caller(request: web.Request) -> str | None:
    """The token (or session user) the request authenticates as, or None; a bad token counts as none (the
    handler answers its 401)."""
    node = request.app[NODE]
    header = request.headers.get("Authorization", "")
    if not header and not request.cookies:
        return None
    try:
        with node.bound():
            grant = await current_grant(request)
    except DomainError:
        return None
    if grant is None:
        return None
    if grant.via_session and grant.user is not None:
        return f"user:{grant.user.id}"
    return "token:" + hashlib.sha256(header.encode()).hexdigest()[:32]


def _headers(window: Window) -> dict[str, str]:
    return {"X-RateLimit-Limit": str(window.limit), "X-RateLimit-Remaining": str(max(0, window.remaining)),
            "X-RateLimit-Reset": window.resets_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")}


def middleware() -> Callable[..., Any]:
    @web.middleware
    async def rate_limits(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith("/api/"):
            return await handler(request)
        throttles = request.app[NODE].throttles
        caller = await _caller(request)
        window = throttles.api_token.hit(caller) if caller else throttles.api_ip.hit("ip:" + client_ip(request))
        headers = _headers(window)
        if window.exceeded:
            response = error_response(request, 429, "Too many requests")
            response.headers.update(headers)
            response.headers["Retry-After"] = str(window.retry_after(throttles.clock.now()))
            return response
        try:
            response = await handler(request)
        except web.HTTPException as exc:  # redirects raised past the error middleware
            exc.headers.update(headers)
            raise
        if not response.prepared:  # a WebSocket or event stream has sent its headers already
            response.headers.update(headers)
        return response

    return rate_limits
