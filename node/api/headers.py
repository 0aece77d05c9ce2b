"""The headers every response carries for the browser's sake: a Content-Security-Policy on pages that
allows exactly what the themes use, nosniff and a Referrer-Policy everywhere, a sandbox on uploaded media,
and, under https, HSTS and the Secure flag on every cookie.

The page policy, directive by directive (a theme or plugin that needs more must add it here, visibly):
- scripts and styles come from our own /static files only: no inline <script>, no eval;
- style *attributes* are allowed (style-src-attr): templates set CSS custom properties (`--size`,
  `--share`) and cover images inline; they cannot run code;
- images and video may come from other servers (remote avatars and attachments are linked, not copied),
  and from blob:/data: (the compose form previews a chosen file);
- fetch and the streaming WebSocket go to this node only; the push service worker is /sw.js;
- nothing may frame a page, and forms post to this node. The OAuth consent page is the one exception to
  form-action: its form's answer redirects to the app's redirect_uri, which a browser checks against
  form-action too (Mastodon lifts it there for the same reason).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from typing import Any

from aiohttp import web

from ..config import Config
from .middleware import Handler

# Uploads are checked by content and stored under the extension of what they are; anything else found
# under /media is served as a download, never as something a browser renders or runs.
MEDIA_TYPES = ("image/", "video/", "audio/")
MEDIA_POLICY = "default-src 'none'; sandbox"
FORMS_LEAVE_THE_NODE = ("/oauth/authorize",)


def page_policy(config: Config, *, form_action: bool = True) -> str:
    https = config.node.scheme == "https"
    remote = "https:" if https else "https: http:"  # http: only on a plain-http node (local multi-node tests)
    socket = f"{'wss' if https else 'ws'}://{config.node.domain}"
    directives = [
        "default-src 'none'",
        "script-src 'self' 'wasm-unsafe-eval'",  # WebAssembly only (the Messages page's libolm), never JS eval
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        f"img-src 'self' data: blob: {remote}",
        f"media-src 'self' blob: {remote}",
        "font-src 'self'",
        f"connect-src 'self' {socket}",
        "manifest-src 'self'",
        "worker-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
    if form_action:
        directives.append("form-action 'self'")
    return "; ".join(directives)


def middleware(config: Config) -> Callable[..., Any]:
    https = config.node.scheme == "https"
    policies = {True: page_policy(config), False: page_policy(config, form_action=False)}

    def secure(response: web.StreamResponse, path: str) -> None:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        if https:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
            for morsel in response.cookies.values():
                morsel["secure"] = True
        if path.startswith("/media/"):
            guessed = mimetypes.guess_type(path)[0] or ""
            if not guessed.startswith(MEDIA_TYPES):
                headers["Content-Type"] = "application/octet-stream"
                headers["Content-Disposition"] = "attachment"
            headers["Content-Security-Policy"] = MEDIA_POLICY
        elif (response.content_type or "").startswith("text/html"):
            headers.setdefault("Content-Security-Policy", policies[not path.startswith(FORMS_LEAVE_THE_NODE)])

    @web.middleware
    async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:  # redirects and the like, raised past the error middleware
            secure(exc, request.path)
            raise
        if not response.prepared:  # a WebSocket or event stream has sent its headers already
            secure(response, request.path)
        return response

    return security_headers
