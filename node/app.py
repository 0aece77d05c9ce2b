"""Builds the aiohttp Application: the node's lifecycle, middlewares, API and page routes, media files."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web
from aiohttp.abc import AbstractResolver

from . import activitypub, api
from . import web as pages
from .api import bodies, headers, ratelimits
from .api.keys import NODE
from .api.middleware import database_context, errors, quiet_malformed_requests
from .config import Config
from .jobs import start_scheduler
from .lifecycle import freeze_start_up_heap, start_node, stop_node
from .plugins import load_plugins
from .processes import Election
from .runtime import Node
from .streaming import http as streaming_http


def build_app(config: Config, *, scheduler: bool = True, node: Node | None = None,
              resolver: AbstractResolver | None = None, freeze_heap: bool = False,
              shared: bool = False) -> web.Application:
    """The whole node as one aiohttp app. Tests pass `scheduler=False` and drive jobs with run_once();
    `resolver` sends federation traffic for test host names to loopback servers; `freeze_heap` (the serving
    process, once) takes the start-up heap out of the garbage collector's full passes; `shared`: one of
    several processes on one PostgreSQL database (node/processes.py)."""
    quiet_malformed_requests()
    app = web.Application(
        # Rails ignores a trailing slash and clients rely on it (Mastodon.py asks for /api/v1/instance/).
        middlewares=[headers.middleware(config), web.normalize_path_middleware(append_slash=False, remove_slash=True),
                     ratelimits.middleware(), errors, bodies.middleware(config), database_context],
        client_max_size=bodies.SMALL_BODY,  # raised per route by bodies.middleware for the upload routes
    )

    plugins = node.plugins if node is not None else load_plugins(config)  # a broken plugin fails here

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        running = node or await start_node(config, plugins, resolver=resolver, shared=shared,
                                                freeze_heap=freeze_heap)
        app[NODE] = running
        try:
            with running.bound():
                await plugins.startup()
        except Exception:
            if node is None:
                await stop_node(running)
            raise
        election = Election(running) if scheduler and running.shared else None
        if election is not None:
            election.start()  # the scheduler starts in whichever process holds the lock
        elif scheduler:
            start_scheduler(running)
        if scheduler:
            activitypub.start_workers(running)
        if freeze_heap:
            freeze_start_up_heap()  # again: what plugins, the scheduler and the workers made since
        yield
        if election is not None:
            await election.close()
        with running.bound():
            await plugins.shutdown()
        if node is None:
            await stop_node(running)

    app.cleanup_ctx.append(lifecycle)
    api.add_routes(app)
    streaming_http.setup(app)
    pages.setup(app, messages_enabled="e2ee" in config.plugins.enabled)
    plugins.add_to_app(app)
    config.media_dir.mkdir(parents=True, exist_ok=True)
    app.router.add_static("/media", config.media_dir, name="media", append_version=False)
    return app
