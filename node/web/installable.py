"""What makes the node an installable web app: the manifest (name, icons, colours from the theme) and the
service worker, served at /sw.js so it controls the whole site and can show Web Push notifications."""

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


@routes.get("/sw.js")
async def service_worker(request: web.Request) -> web.StreamResponse:
    for folder in request.app[THEME].static_dirs:
        if (folder / "sw.js").is_file():
            return web.FileResponse(
                folder / "sw.js",
                headers={
                    "Content-Type": "application/javascript",
                    "Cache-Control": "no-cache",
                    "Service-Worker-Allowed": "/",
                },
            )
    raise web.HTTPNotFound()
