"""Signing the CLI in: an OAuth app with the out-of-band redirect, then either the password grant (the
password is prompted for, never an argument) or an authorization code the person pastes from the browser.
The token is written to a 0600 file and read from there: it never appears on a command line."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import aiohttp

from .api import ApiError

OOB = "urn:ietf:wg:oauth:2.0:oob"
SCOPES = "read write crypto"


def default_path() -> Path:
    return Path.home() / ".entativa-e2ee-login.json"


async def _post(session: aiohttp.ClientSession, url: str, data: dict[str, str]) -> dict[str, Any]:
    async with session.post(url, data=data) as response:
        body = await response.json(content_type=None)
        if response.status >= 400:
            raise ApiError(response.status, body.get("error_description") or body.get("error") or "refused")
        return body


async def register_app(session: aiohttp.ClientSession, node: str) -> dict[str, Any]:
    return await _post(session, f"{node}/api/v1/apps", {"client_name": "entativa e2ee cli", "redirect_uris": OOB,
                                                        "scopes": SCOPES})


def authorize_url(node: str, app: dict[str, Any]) -> str:
    from urllib.parse import urlencode

    return f"{node}/oauth/authorize?" + urlencode({"response_type": "code", "client_id": app["client_id"],
                                                   "redirect_uri": OOB, "scope": SCOPES})


async def token_by_password(session: aiohttp.ClientSession, node: str, app: dict[str, Any], username: str,
                            password: str) -> str:
    body = await _post(session, f"{node}/oauth/token", {
        "grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"],
        "username": username, "password": password, "scope": SCOPES})
    return str(body["access_token"])


async def token_by_code(session: aiohttp.ClientSession, node: str, app: dict[str, Any], code: str) -> str:
    body = await _post(session, f"{node}/oauth/token", {
        "grant_type": "authorization_code", "client_id": app["client_id"], "client_secret": app["client_secret"],
        "code": code, "redirect_uri": OOB, "scope": SCOPES})
    return str(body["access_token"])


def save_login(path: Path, node: str, token: str) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"node": node, "token": token}, handle)
    tmp.replace(path)


def load_login(path: Path) -> dict[str, str] | None:
    if not path.exists():
        return None
    if path.stat().st_mode & 0o077:
        raise PermissionError(f"{path} is readable by others: chmod 600 it")
    return json.loads(path.read_text())


def handle_of(actor_uri: str) -> str:
    """`@user@host` for an actor URI of the form https://host/users/user (the URI itself otherwise)."""
    from urllib.parse import urlsplit

    parts = urlsplit(actor_uri)
    path = parts.path.rstrip("/").split("/")
    if len(path) == 3 and path[1] == "users" and parts.hostname:
        host = parts.hostname + (f":{parts.port}" if parts.port else "")
        return f"@{path[2]}@{host}"
    return actor_uri
