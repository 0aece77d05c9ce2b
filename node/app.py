"""Builds the aiohttp Application: the node's lifecycle, middlewares, API and page routes, media files."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from . import api, web as pages
from .api.keys import NODE
from .api.middleware import database_context, errors
from .config import Config
from .jobs import start_scheduler
from .runtime import Node, start_node, stop_node

MB = 1024 * 1024


def build_app(config: Config, *, scheduler: bool = True, node: Node | None = None) -> web.Application:
    """The whole node as one aiohttp app. Tests pass `scheduler=False` and drive jobs with run_once()."""
    app = web.Application(
        middlewares=[errors, database_context],
        client_max_size=max(config.storage.max_video_mb, config.storage.max_image_mb) * MB + MB,
    )

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        running = node or await start_node(config)
        app[NODE] = running
        if scheduler:
            start_scheduler(running)
        yield
        if node is None:
            await stop_node(running)

    app.cleanup_ctx.append(lifecycle)
    api.add_routes(app)
    pages.setup(app)
    config.media_dir.mkdir(parents=True, exist_ok=True)
    app.router.add_static("/media", config.media_dir, name="media", append_version=False)
    return app
