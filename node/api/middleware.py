"""Request middlewares: bind the node's database context, and turn every failure into a clear answer.

API paths answer {"error": "..."} with the right status; pages get a short readable page. Nothing a
client sends may surface as a bare 500 or a stack trace.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from tortoise import context as tortoise_context
from tortoise.exceptions import DoesNotExist, IntegrityError

from ..errors import DomainError, TooManyRequests
from .keys import NODE

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Pages may render errors in the theme: node.web sets this to a function returning the page's HTML.
HTML_ERROR_PAGE = web.AppKey("html_error_page", object)
JSON_PREFIXES = ("/api/", "/oauth/", "/.well-known/", "/nodeinfo", "/users/", "/inbox", "/actor")


def wants_json(request: web.Request) -> bool:
    return request.path.startswith(JSON_PREFIXES) or "json" in request.headers.get("Accept", "")


def error_response(request: web.Request, status: int, message: str) -> web.Response:
    if wants_json(request):
        return web.json_response({"error": message}, status=status)
    if (themed := request.app.get(HTML_ERROR_PAGE)) is not None:
        return web.Response(text=themed(request, status, message), status=status, content_type="text/html")
    body = (f"<!doctype html><meta charset=utf-8><title>{status}</title>"
            f"<main style='font:16px system-ui;max-width:32rem;margin:4rem auto'><h1>{status}</h1>"
            f"<p>{html.escape(message)}</p>"
            f"<p><a href='/'>Back home</a></p></main>")
    return web.Response(text=body, status=status, content_type="text/html")


class MalformedRequestLog(logging.Filter):
    """aiohttp answers a request it cannot parse (a NUL in a header, a broken request line) with a 400
    itself, and logs it with a traceback as if the server had failed. It is the client's fault: one
    warning line, no traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], HttpProcessingError):
            record.msg = f"{record.getMessage()}: malformed request answered 400 ({record.exc_info[1].message})"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def quiet_malformed_requests() -> None:
    server_log = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, MalformedRequestLog) for f in server_log.filters):
        server_log.addFilter(MalformedRequestLog())


@web.middleware
async def database_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    # Not `with node.db:`: TortoiseContext keeps one reset token on itself, so concurrent requests entering
    # the same context overwrite each other's token and __exit__ fails ("created in a different Context").
    # Each request gets its own token instead.
    token = tortoise_context._current_context.set(request.app[NODE].db)
    try:
        return await handler(request)
    finally:
        tortoise_context._current_context.reset(token)


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except DomainError as exc:
        response = error_response(request, exc.status, exc.message)
        if isinstance(exc, TooManyRequests) and exc.retry_after is not None:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except DoesNotExist:
        return error_response(request, 404, "Record not found")
    except HttpProcessingError:  # a body the parser could not read (a multipart part header that is not HTTP)
        return error_response(request, 400, "Malformed request body")
    except IntegrityError:
        return error_response(request, 409, "That conflicts with something that already exists")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        if exc.status == 413:
            return error_response(request, 413, "The request body is too large")
        if exc.status == 405:
            response = error_response(request, 405, "Method not allowed")
            if "Allow" in exc.headers:
                response.headers["Allow"] = exc.headers["Allow"]
            return response
        return error_response(request, exc.status, exc.reason or exc.text or "Request failed")
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(request, 500, "Something went wrong on our side")
