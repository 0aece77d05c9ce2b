"""What makes the node an installable web app: the manifest (name, icons, colours from the theme), the
service worker, served at /sw.js so it controls the whole site and can show Web Push notifications, and
/favicon.ico (browsers ask for it on every page, whatever the page links)."""

from __future__ import annotations

from aiohttp import web

from ..api.keys import NODE
from .themes import THEME

routes = web.RouteTableDef()


@routes.get("/manifest.webmanifest")
async def manifest(request: web.Request) -> web.Response:
    body = request.app[THEME].render("manifest.webmanifest", {"node": request.app[NODE].config.node})
    return web.Response(
        text=body, content_type="application/manifest+json", headers={"Cache-Control": "max-age=3600"}
    )


def _theme_file(request: web.Request, name: str, headers: dict[str, str]) -> web.StreamResponse:
    for folder in request.app[THEME].static_dirs:
        if (folder / name).is_file():
            return web.FileResponse(folder / name, headers=headers)
    raise web.HTTPNotFound()


@routes.get("/sw.js")
async def service_worker(request: web.Request) -> web.StreamResponse:
    return _theme_file(request, "sw.js", {"Content-Type": "application/javascript", "Cache-Control": "no-cache",
                                          "Service-Worker-Allowed": "/"})


@routes.get("/favicon.ico")
async def favicon(request: web.Request) -> web.StreamResponse:
    return _theme_file(request, "favicon.ico", {"Content-Type": "image/x-icon", "Cache-Control": "public, max-age=86400"})
