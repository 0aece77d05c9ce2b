"""Browser-test fixtures: the system Chromium driven by Playwright (async API, on the test's own loop),
and real nodes served on loopback ports whose configured domain is that port, so URLs the node makes work.

Without Chromium the tests skip locally, but fail when $CI is set: CI must run them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, unused_port

from node.api.keys import NODE
from node.app import build_app

SHOTS = Path(os.environ.get("ENTATIVA_SHOTS", "/tmp/entativa-shots"))  # where screenshots go (README's come from there)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str | None:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    if found is None:
        message = "Chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must run the browser tests")
        pytest.skip(message)
    return found


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    executable = chromium_path()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
def serve(aiohttp_server, aiohttp_client, make_config) -> Callable[..., Awaitable[TestClient]]:
    """Serve a node whose domain is the loopback port it listens on; `theme` picks the theme."""

    async def start(theme: str = "vignette") -> TestClient:
        port = unused_port()
        config = make_config(node={"domain": f"127.0.0.1:{port}", "theme": theme, "name": "Entativa",
                                   "description": "Photos and stories from friends, on a server we run ourselves."})
        server = await aiohttp_server(build_app(config, scheduler=False), port=port)
        client = await aiohttp_client(server)
        client.node = client.app[NODE]  # type: ignore[attr-defined]
        return client

    return start


def shot_path(name: str) -> str:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return str(SHOTS / name)


async def sign_in_page(page: Any, base: str, name: str, password: str = "correct horse battery") -> None:
    """Sign `page` in through the real login form and wait for the home page."""
    await page.goto(base + "/login")
    await page.fill('input[name="login"]', name)
    await page.fill('input[name="password"]', password)
    await page.click('form[action="/login"] button[type="submit"]')
    await page.wait_for_url(base + "/")
