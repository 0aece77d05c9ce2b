"""The attachment routes: upload ciphertext, read a blob of this node, read one of another node through
this one, delete your own; and the server-to-server blob fetch, signed by the member who asks. Handlers
are thin: parse, call attachments, answer."""

from __future__ import annotations

import math
from typing import Any

from aiohttp import web

from federation.client import FetchError
from node.plugin_api import ID, NodeApi, accepts_upload, endpoint, required

from . import attachments
from .errors import NotFound
from .routes import SCOPE, guarded

BLOB = r"{blob_id:[A-Za-z0-9_\-]{32}}"


def make_routes(api: NodeApi) -> web.RouteTableDef:
    routes = web.RouteTableDef()
    limits = attachments.Limits.of(api)
    upload_mb = math.ceil(limits.max_bytes / (1024 * 1024))

    @routes.post("/api/v1/crypto/attachments")
    @guarded
    @accepts_upload(lambda _config: upload_mb)
    @endpoint(query={"account_id": ID, "group_id": ID, "sha256": required(str), "expires_in": int},
              raw_body="application/octet-stream", errors=(404, 413))
    async def upload(request: web.Request) -> web.Response:
        """Store an encrypted attachment's ciphertext (the body) for a 1:1 conversation (account_id) or a
        group (group_id); sha256 is the ciphertext's hash, checked before anything is kept."""
        account = await api.authenticate(request, SCOPE)
        q = request.query
        row = await attachments.upload(api, account, request, account_id=q.get("account_id"),
                                       group_id=q.get("group_id"), sha256=q.get("sha256"),
                                       expires_in=q.get("expires_in"))
        return web.json_response(entity(row))

    def entity(row: attachments.Attachment) -> dict[str, Any]:
        return {"id": row.blob_id, "url": attachments.blob_url(api, row.blob_id), "size": row.size,
                "sha256": row.sha256, "expires_at": row.expires_at.isoformat(timespec="seconds")}

    @routes.get(f"/api/v1/crypto/attachments/{BLOB}")
    @guarded
    @endpoint(returns="application/octet-stream", errors=(404,))
    async def download(request: web.Request) -> web.StreamResponse:
        """The ciphertext of an attachment stored on this node, for a member of its conversation."""
        account = await api.authenticate(request, SCOPE)
        row = await attachments.readable(api, request.match_info["blob_id"], account)
        return attachments.blob_response(api, row)

    @routes.get("/api/v1/crypto/attachments/remote")
    @guarded
    @endpoint(params={"url": required(str)}, returns="application/octet-stream", errors=(404, 502))
    async def download_remote(request: web.Request) -> web.StreamResponse:
        """The ciphertext of an attachment stored on another node: fetched from it now, signed as you (it
        checks you are in the conversation), and handed on without being written anywhere here."""
        account = await api.authenticate(request, SCOPE)
        url = request.query.get("url")
        blob_id = attachments.remote_blob(api, url)
        if url == attachments.blob_url(api, blob_id):
            return attachments.blob_response(api, await attachments.readable(api, blob_id, account))
        try:
            async with api.stream_as(url, account.id, max_bytes=limits.max_bytes) as origin:
                if origin.status != 200:
                    raise NotFound()
                return await relay(request, origin)
        except FetchError as exc:
            return web.json_response({"error": f"The attachment's node could not be read: {exc.reason}"}, status=502)

    async def relay(request: web.Request, origin: Any) -> web.StreamResponse:
        """Pass the origin's ciphertext on as it arrives: nothing is written here, nor held whole."""
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream",
                                               "Cache-Control": "private, no-store", "Content-Disposition": "attachment"})
        if origin.content_length is not None:
            response.content_length = origin.content_length
        chunks = origin.chunks()
        first = await anext(chunks, b"")  # an origin failing at once still gets its 502
        await response.prepare(request)
        try:
            await response.write(first)
            async for chunk in chunks:
                await response.write(chunk)
        except FetchError:
            # Too late for a status: cut the connection, so the client sees a broken body (and a short one
            # would fail its hash check anyway).
            if request.transport is not None:
                request.transport.close()
            return response
        except ConnectionResetError:  # the reader went away (a closed tab): nothing to tell anyone
            return response
        await response.write_eof()
        return response

    @routes.delete(f"/api/v1/crypto/attachments/{BLOB}")
    @guarded
    @endpoint(errors=(404,))
    async def remove(request: web.Request) -> web.Response:
        """Delete one of your attachments now (its message was deleted for everyone)."""
        account = await api.authenticate(request, SCOPE)
        await attachments.remove(api, account, request.match_info["blob_id"])
        return web.json_response({})

    @routes.get(f"/e2ee/blobs/{BLOB}")
    @endpoint(returns="application/octet-stream", errors=(401, 404))
    async def blob_for_server(request: web.Request) -> web.StreamResponse:
        """Another node fetches a blob for one of its accounts: signed by that account, which must be in the
        blob's conversation."""
        actor = await api.verify_request(request, b"")
        if actor is None:
            return web.json_response({"error": "Request not signed"}, status=401)
        reader = await api.resolve_account(actor)
        if reader is None or reader.local:
            return web.json_response({"error": "Record not found"}, status=404)
        try:
            row = await attachments.readable(api, request.match_info["blob_id"], reader)
        except NotFound as exc:
            return web.json_response({"error": exc.message}, status=exc.status)
        return attachments.blob_response(api, row)

    return routes
