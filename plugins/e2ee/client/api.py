"""Talking to one node over HTTP with a bearer token: the `/api/v1/crypto/*` calls the client needs, plus
the stream socket. Errors come back as ApiError with the node's status and `{"error": ...}` message."""

from __future__ import annotations

from typing import Any

import aiohttp


class ApiError(Exception):
    def __init__(self, status: int, error: str) -> None:
        super().__init__(f"{status}: {error}")
        self.status = status
        self.error = error


class NodeClient:
    """One account's token on one node. Pass `session` to share connections (or to route test host names)."""

    def __init__(self, base_url: str, token: str, session: aiohttp.ClientSession | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._session = session
        self._owns_session = session is None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()

    async def call(self, method: str, path: str, *, json: Any = None, params: Any = None) -> Any:
        async with self.session.request(method, self.base_url + path, json=json, params=params,
                                        headers=self.headers) as response:
            try:
                body = await response.json(content_type=None)
            except ValueError:
                body = {"error": await response.text()}
            if response.status >= 400:
                error = body.get("error", "") if isinstance(body, dict) else str(body)
                raise ApiError(response.status, error)
            return body

    # ---- the calls -------------------------------------------------------------------------------------------

    async def me(self) -> dict[str, Any]:
        return await self.call("GET", "/api/v1/accounts/verify_credentials")

    async def lookup(self, handle: str) -> dict[str, Any]:
        """An account by @user@host: resolved through the node (WebFinger for remote accounts)."""
        found = await self.call("GET", "/api/v2/search", params={"q": handle, "resolve": "true", "type": "accounts"})
        if not found.get("accounts"):
            raise ApiError(404, f"{handle} not found")
        return found["accounts"][0]

    async def upload_keys(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self.call("POST", "/api/v1/crypto/keys/upload", json=body)

    async def query_keys(self, account_ids: list[str]) -> list[dict[str, Any]]:
        return await self.call("POST", "/api/v1/crypto/keys/query", json={"id": account_ids})

    async def claim_keys(self, devices: list[dict[str, str]]) -> list[dict[str, Any]]:
        return await self.call("POST", "/api/v1/crypto/keys/claim", json={"device": devices})

    async def key_count(self) -> dict[str, Any]:
        return await self.call("GET", "/api/v1/crypto/keys/count")

    async def deliver(self, items: list[dict[str, Any]], expires_in: int | None = None) -> None:
        body: dict[str, Any] = {"device": items}
        if expires_in:
            body["expires_in"] = expires_in
        await self.call("POST", "/api/v1/crypto/deliveries", json=body)

    async def messages(self, min_id: int, limit: int = 80) -> list[dict[str, Any]]:
        return await self.call("GET", "/api/v1/crypto/encrypted_messages",
                               params={"min_id": str(min_id), "limit": str(limit)})

    async def clear(self, up_to_id: int) -> None:
        await self.call("POST", "/api/v1/crypto/encrypted_messages/clear", json={"up_to_id": str(up_to_id)})

    async def create_group(self, account_ids: list[str], **policy: Any) -> dict[str, Any]:
        return await self.call("POST", "/api/v1/crypto/groups", json={"account_ids": account_ids, **policy})

    async def groups(self) -> list[dict[str, Any]]:
        return await self.call("GET", "/api/v1/crypto/groups")

    async def group(self, group_id: str) -> dict[str, Any]:
        return await self.call("GET", f"/api/v1/crypto/groups/{group_id}")

    async def add_members(self, group_id: str, account_ids: list[str]) -> dict[str, Any]:
        return await self.call("POST", f"/api/v1/crypto/groups/{group_id}/members", json={"account_ids": account_ids})

    async def remove_member(self, group_id: str, account_id: str) -> Any:
        return await self.call("DELETE", f"/api/v1/crypto/groups/{group_id}/members/{account_id}")

    async def group_message(self, group_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self.call("POST", f"/api/v1/crypto/groups/{group_id}/messages", json=body)

    async def typing(self, account_id: str, conversation_id: str, typing: bool = True) -> None:
        await self.call("POST", "/api/v1/crypto/typing",
                        json={"account_id": account_id, "conversation_id": conversation_id, "typing": typing})

    async def upload_attachment(self, ciphertext: bytes, sha256: str, *, account_id: str | None = None,
                                group_id: str | None = None, expires_in: int | None = None) -> dict[str, Any]:
        """Store an attachment's ciphertext for a 1:1 conversation (account_id) or a group (group_id)."""
        query = {"sha256": sha256, **({"account_id": account_id} if account_id else {}),
                 **({"group_id": group_id} if group_id else {}), **({"expires_in": str(expires_in)} if expires_in else {})}
        async with self.session.post(self.base_url + "/api/v1/crypto/attachments", params=query, data=ciphertext,
                                     headers={**self.headers, "Content-Type": "application/octet-stream"}) as response:
            body = await response.json(content_type=None)
            if response.status >= 400:
                raise ApiError(response.status, body.get("error", "") if isinstance(body, dict) else str(body))
            return body

    async def download_attachment(self, url: str) -> bytes:
        """An attachment's ciphertext: from this node, or relayed by it from the node that stores it."""
        prefix = self.base_url + "/e2ee/blobs/"
        if url.startswith(prefix):
            path, params = "/api/v1/crypto/attachments/" + url[len(prefix):], None
        else:
            path, params = "/api/v1/crypto/attachments/remote", {"url": url}
        async with self.session.get(self.base_url + path, params=params, headers=self.headers) as response:
            if response.status >= 400:
                try:
                    error = (await response.json(content_type=None)).get("error", "")
                except ValueError:
                    error = await response.text()
                raise ApiError(response.status, error)
            return await response.read()

    def stream(self) -> Any:
        """The WebSocket of live events (use as `async with client.stream() as ws`)."""
        url = self.base_url.replace("http", "ws", 1) + "/api/v1/crypto/stream"
        return self.session.ws_connect(url, headers=self.headers)
