"""Helpers for the web UI tests (importable as `websupport`): read CSRF tokens from pages, sign in."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_META = re.compile(r'<meta name="csrf-token" content="([^"]*)"')


def form_token(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "the page has no form with a csrf_token"
    return match.group(1)


def page_token(html: str) -> str:
    match = _META.search(html)
    assert match, "the page has no csrf-token meta tag"
    return match.group(1)


async def sign_in(client: TestClient, login: str, password: str = PASSWORD) -> str:
    """Sign in through the real form; returns the session's CSRF token (what later forms carry)."""
    form = await client.get("/login")
    response = await client.post("/login", data={"login": login, "password": password,
                                                 "csrf_token": form_token(await form.text())},
                                 allow_redirects=False)
    assert response.status == 303, await response.text()
    home = await client.get("/")
    return page_token(await home.text())
