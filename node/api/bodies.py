"""How large a request body each route accepts: a small cap for JSON and forms, an upload's configured
maximum for the routes that take files, refused with 413 before anything is parsed.

aiohttp enforces one `client_max_size` per request while reading (and streams multipart files to temporary
files, so an upload never sits in memory whole); the middleware here sets it per route and refuses a
declared Content-Length over it at once, so a 60 MB JSON body is never buffered to be rejected.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from ..config import Config
from .middleware import Handler, error_response

MB = 1024 * 1024
SMALL_BODY = MB  # JSON and forms: a status with its poll and 4 media ids is a few kB
MULTIPART_SLACK = MB  # form fields and part headers around the file itself
_LIMIT = "_entativa_upload_mb"


def accepts_upload(limit_mb: Callable[[Config], int]) -> Callable[[Any], Any]:
    """Marks a handler that takes a file: its body may be `limit_mb(config)` MiB (plus the form around it).

        @routes.post("/api/v2/media")
        @accepts_upload(lambda config: config.storage.max_image_mb)
        async def upload(request): ...
    """

    def mark(handler: Any) -> Any:
        setattr(handler, _LIMIT, limit_mb)
        return handler

    return mark


def body_limit(handler: Any, config: Config) -> int:
    """The most bytes `handler` reads: SMALL_BODY unless it is marked with `accepts_upload`."""
    limit_mb = getattr(handler, _LIMIT, None)
    return SMALL_BODY if limit_mb is None else limit_mb(config) * MB + MULTIPART_SLACK


def middleware(config: Config) -> Callable[..., Any]:
    @web.middleware
    async def body_limits(request: web.Request, handler: Handler) -> web.StreamResponse:
        limit = body_limit(request.match_info.handler, config)
        if request.content_length is not None and request.content_length > limit:
            return error_response(request, 413, f"The request body is too large (at most {limit // 1024} KiB here)")
        if not request.can_read_body:
            return await handler(request)
        # A chunked body has no length up front: aiohttp stops reading past the clone's limit (413 then).
        return await handler(request.clone(client_max_size=limit))

    return body_limits
