"""The client API: Mastodon's experimental `/api/v1/crypto/*` routes (keys upload, query, claim and count,
deliveries, encrypted_messages and clear), extended with fallback keys, algorithms, signed devices, groups,
expiry, typing and a WebSocket stream; and the two server-to-server routes (devices collection, claim).
Handlers are thin: parse, call keys/envelopes/groups, serialise."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from federation import jsondoc
from node.plugin_api import ID, OBJECT, PAGE, NodeApi, endpoint, parse_id, read_form, required

from . import calls, envelopes, federation, groups, keys, presence, streaming
from .errors import BadRequest, E2EEError
from .models import Device

SCOPE = "crypto"
MAX_LIMIT = 80
_KEY = re.compile(r"([^\[\]]+)|\[([^\[\]]*)\]")


# ---- parameters: JSON bodies, or forms with Rails-style keys (device[][account_id], id[]) -------------------


def _assign(target: dict[str, Any], parts: list[str], value: Any) -> None:
    head, rest = parts[0], parts[1:]
    if not rest:
        if head == "":
            return
        target[head] = value
        return
    if rest[0] == "" or rest[0].isdigit():  # a list: `a[]` appends, `a[][b]` fills the last item or starts one
        items = target.setdefault(head, [])
        if not isinstance(items, list):
            raise BadRequest(f"{head} is given both as a list and a value")
        if len(rest) == 1:
            items.append(value)
            return
        index = int(rest[0]) if rest[0].isdigit() else None
        if index is not None:
            while len(items) <= index:
                items.append({})
            item = items[index]
        else:
            if not items or not isinstance(items[-1], dict) or rest[1] in items[-1]:
                items.append({})
            item = items[-1]
        _assign(item, rest[1:], value)
        return
    inner = target.setdefault(head, {})
    if not isinstance(inner, dict):
        raise BadRequest(f"{head} is given both as a table and a value")
    _assign(inner, rest, value)


async def params(request: web.Request) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in request.query.items():
        _assign(data, [a or b for a, b in _KEY.findall(key)] or [key], value)
    if request.method in ("POST", "PUT", "DELETE") and request.body_exists:
        if "json" in request.content_type:
            try:
                body = jsondoc.loads(await request.read())
            except (ValueError, UnicodeDecodeError):
                raise BadRequest("The body is not valid JSON") from None
            if not isinstance(body, dict):
                raise BadRequest("The body must be a JSON object")
            data.update(body)
        else:
            form = await read_form(request)
            for key, value in form.items():
                if isinstance(value, str):
                    parts = [a or b for a, b in _KEY.findall(key)] or [key]
                    _assign(data, parts, value)
    return data


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, dict):  # device[0][...] from some form encoders arrives as {"0": {...}}
        return [value[k] for k in sorted(value, key=lambda k: int(k) if str(k).isdigit() else 0)]
    return value if isinstance(value, list) else [value]


def _id(value: Any, name: str) -> int | None:
    if value in (None, ""):
        return None
    if not str(value).isdigit() or (key := parse_id(value)) is None:
        raise BadRequest(f"{name} must be an id")
    return key


def token_digest(request: web.Request) -> str:
    """Devices are bound to the access token (as Mastodon binds them); we keep only its digest."""
    secret = request.headers.get("Authorization", "") or request.cookies.get("entativa_session", "")
    return hashlib.sha256(secret.encode()).hexdigest()


def guarded(handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> Any:
    async def run(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except E2EEError as exc:
            return web.json_response({"error": exc.message}, status=exc.status)

    return functools.wraps(handler)(run)


def make_routes(api: NodeApi) -> web.RouteTableDef:
    routes = web.RouteTableDef()

    async def me_and_device(request: web.Request) -> tuple[Any, Device]:
        account = await api.authenticate(request, SCOPE)
        return account, await keys.current_device(account, token_digest(request))

    @routes.post("/api/v1/crypto/keys/upload")
    @guarded
    @endpoint(params={"device": OBJECT, "one_time_keys": [OBJECT], "fallback_key": OBJECT})
    async def upload_keys(request: web.Request) -> web.Response:
        """Register this token's device (keys, signature, algorithms) and upload one-time and fallback keys."""
        account = await api.authenticate(request, SCOPE)
        data = await params(request)
        device = data.get("device") or {}
        if not isinstance(device, dict):
            raise BadRequest("device must be an object")
        fallback = data.get("fallback_key")
        upload = keys.Upload(device=device, one_time_keys=_list(data.get("one_time_keys")),
                             fallback_key=fallback if isinstance(fallback, dict) else None)
        row, created = await keys.upload(api, account, token_digest(request), upload)
        if created:
            await federation.announce_devices(api, account)
        return web.json_response({**keys.device_entity(row), **await keys.counts(row)})

    @routes.post("/api/v1/crypto/keys/query")
    @guarded
    @endpoint(params={"id": [ID]}, returns=list)
    async def query_keys(request: web.Request) -> web.Response:
        """The devices (and public keys) of the given accounts, local or remote."""
        await api.authenticate(request, SCOPE)
        data = await params(request)
        accounts = await api.get_accounts(str(v) for v in _list(data.get("id")))
        found = await keys.devices_of_many(api, list(accounts.values()))
        return web.json_response([
            {"account_id": str(account.id), "account_uri": keys.account_uri(api, account),
             "devices": [keys.device_entity(d) for d in found[account.id]]}
            for account in {a.id: a for a in accounts.values()}.values()])

    @routes.post("/api/v1/crypto/keys/claim")
    @guarded
    @endpoint(params={"device": [{"account_id": ID, "device_id": str}]}, returns=list)
    async def claim_keys(request: web.Request) -> web.Response:
        """Claim one one-time key (else the fallback key) of each given device; each key is handed out once."""
        await api.authenticate(request, SCOPE)
        data = await params(request)
        wanted = [(item.get("account_id"), item.get("device_id")) for item in _list(data.get("device"))
                  if isinstance(item, dict)]
        return web.json_response(await keys.claim_many(api, wanted))

    @routes.get("/api/v1/crypto/keys/count")
    @guarded
    @endpoint(errors=(404,))
    async def count_keys(request: web.Request) -> web.Response:
        """How many one-time keys this device has left, and whether it has a fallback key."""
        _, device = await me_and_device(request)
        return web.json_response(await keys.counts(device))

    @routes.delete("/api/v1/crypto/devices/current")
    @guarded
    @endpoint(errors=(404,))
    async def remove_device(request: web.Request) -> web.Response:
        """Remove this token's device, its keys and its queue; other servers hear of the new device list."""
        account = await api.authenticate(request, SCOPE)
        await keys.remove_device(account, token_digest(request))
        await federation.announce_devices(api, account)
        return web.json_response({})

    @routes.post("/api/v1/crypto/deliveries")
    @guarded
    @endpoint(params={"device": [OBJECT], "expires_in": int})
    async def deliveries(request: web.Request) -> web.Response:
        """Queue Olm ciphertexts for devices (local or remote), optionally disappearing after expires_in seconds."""
        account, device = await me_and_device(request)
        data = await params(request)
        await envelopes.send(api, account, device, _list(data.get("device")), data.get("expires_in"))
        return web.json_response({})

    @routes.get("/api/v1/crypto/encrypted_messages")
    @guarded
    @endpoint(params=PAGE, returns=list)
    async def encrypted_messages(request: web.Request) -> web.Response:
        """This device's queued ciphertexts, newest first (min_id pages forward from a cursor)."""
        _, device = await me_and_device(request)
        q = request.query
        try:
            limit = max(1, min(MAX_LIMIT, int(q.get("limit", 40))))
        except ValueError:
            raise BadRequest("limit must be a number") from None
        rows = await envelopes.page(device, max_id=_id(q.get("max_id"), "max_id"),
                                    since_id=_id(q.get("since_id"), "since_id"),
                                    min_id=_id(q.get("min_id"), "min_id"), limit=limit)
        group_uris = {g.id: g.uri for g in await groups.Group.filter(id__in=list({r.group_id for r in rows
                                                                                    if r.group_id}))}
        response = web.json_response([envelopes.envelope_entity(r, group_uris.get(r.group_id)) for r in rows])
        if rows:
            url = api.url("/api/v1/crypto/encrypted_messages")
            links = [f'<{url}?min_id={rows[0].id}&limit={limit}>; rel="prev"']
            if len(rows) == limit:
                links.insert(0, f'<{url}?max_id={rows[-1].id}&limit={limit}>; rel="next"')
            response.headers["Link"] = ", ".join(links)
        return response

    @routes.post("/api/v1/crypto/encrypted_messages/clear")
    @guarded
    @endpoint(params={"up_to_id": required(ID)})
    async def clear_messages(request: web.Request) -> web.Response:
        """Acknowledge this device's queue up to up_to_id: those ciphertexts are deleted."""
        _, device = await me_and_device(request)
        up_to = _id((await params(request)).get("up_to_id"), "up_to_id")
        if up_to is None:
            raise BadRequest("up_to_id is missing")
        await envelopes.clear(device, up_to)
        return web.json_response({})

    # ---- groups ------------------------------------------------------------------------------------------

    @routes.post("/api/v1/crypto/groups")
    @guarded
    @endpoint(params={"name": str, "account_ids": [ID], "rotate_after_messages": int,
                      "rotate_after_seconds": int})
    async def create_group(request: web.Request) -> web.Response:
        """Create an encrypted group of up to 1,500 members on any servers, with its key-rotation policy."""
        account = await api.authenticate(request, SCOPE)
        data = await params(request)
        group = await groups.create(api, account, data.get("name"), _list(data.get("account_ids")),
                                    rotate_after_messages=data.get("rotate_after_messages"),
                                    rotate_after_seconds=data.get("rotate_after_seconds"))
        return web.json_response(await groups.group_entity(api, group))

    @routes.get("/api/v1/crypto/groups")
    @guarded
    @endpoint(returns=list)
    async def list_groups(request: web.Request) -> web.Response:
        """The groups this account belongs to."""
        account = await api.authenticate(request, SCOPE)
        ids = await groups.GroupMember.filter(account_id=account.id).values_list("group_id", flat=True)
        found = await groups.Group.filter(id__in=list(ids)).order_by("id")
        return web.json_response([await groups.group_entity(api, g) for g in found])

    @routes.get(r"/api/v1/crypto/groups/{id:\d+}")
    @guarded
    @endpoint()
    async def show_group(request: web.Request) -> web.Response:
        """One group: members, epoch (rotate when it moves) and rotation policy."""
        account = await api.authenticate(request, SCOPE)
        group = await groups.visible_group(account, request.match_info["id"])
        return web.json_response(await groups.group_entity(api, group))

    @routes.post(r"/api/v1/crypto/groups/{id:\d+}/members")
    @guarded
    @endpoint(params={"account_ids": [ID]})
    async def add_members(request: web.Request) -> web.Response:
        """Add members (the owner only); they can read from the next key the senders share."""
        account = await api.authenticate(request, SCOPE)
        group = await groups.visible_group(account, request.match_info["id"])
        data = await params(request)
        group = await groups.add_members(api, account, group, _list(data.get("account_ids")))
        return web.json_response(await groups.group_entity(api, group))

    @routes.delete(r"/api/v1/crypto/groups/{id:\d+}/members/{account_id:\d+}")
    @guarded
    @endpoint()
    async def remove_member(request: web.Request) -> web.Response:
        """Remove a member (the owner) or leave (yourself); the epoch moves on and senders rotate."""
        account = await api.authenticate(request, SCOPE)
        group = await groups.visible_group(account, request.match_info["id"])
        group = await groups.remove_member(api, account, group, request.match_info["account_id"])
        if parse_id(request.match_info["account_id"]) == account.id:
            return web.json_response({})
        return web.json_response(await groups.group_entity(api, group))

    @routes.post(r"/api/v1/crypto/groups/{id:\d+}/messages")
    @guarded
    @endpoint(params={"body": str, "epoch": int, "message_id": str, "expires_in": int, "notify": bool},
              errors=(409,))
    async def group_message(request: web.Request) -> web.Response:
        """Send one Megolm ciphertext to the group; the node fans it out (409 when the key must rotate)."""
        account, device = await me_and_device(request)
        group = await groups.visible_group(account, request.match_info["id"])
        uri = await groups.send(api, account, device, group, await params(request))
        return web.json_response({"message_id": uri})

    # ---- ephemeral ---------------------------------------------------------------------------------------

    async def typing(account: Any, data: dict[str, Any]) -> None:
        target = await api.get_account(data.get("account_id")) if str(data.get("account_id", "")).isdigit() else None
        if target is None:
            raise BadRequest("account_id is missing or unknown")
        payload = {"account_id": str(account.id), "conversation_id": str(data.get("conversation_id", ""))[:256],
                   "typing": data.get("typing", True) not in (False, "false", "0")}
        if target.local:
            streaming.hub_of(api).push_account(target.id, "e2ee.typing", payload)
            return
        await federation.send_typing(api, account, target, payload)

    @routes.post("/api/v1/crypto/typing")
    @guarded
    @endpoint(params={"account_id": ID, "conversation_id": str, "typing": bool})
    async def post_typing(request: web.Request) -> web.Response:
        """Tell an account you are typing in a conversation (ephemeral, unencrypted, never stored by them)."""
        account = await api.authenticate(request, SCOPE)
        await typing(account, await params(request))
        return web.json_response({})

    @routes.get("/api/v1/crypto/ice_servers")
    @guarded
    @endpoint()
    async def get_ice_servers(request: web.Request) -> web.Response:
        """The STUN/TURN servers calls may use (the node's operator configures them; it relays no media)."""
        await api.authenticate(request, SCOPE)
        return web.json_response({"ice_servers": calls.ice_servers(api.settings["ice_servers"])})

    @routes.get("/api/v1/crypto/presence")
    @guarded
    @endpoint(params={"id": [ID]}, returns=list)
    async def get_presence(request: web.Request) -> web.Response:
        """Online / last seen of accounts you chat with, as far as each shares it with you."""
        account = await api.authenticate(request, SCOPE)
        ids = [i for i in (_id(v, "id") for v in _list((await params(request)).get("id"))) if i is not None]
        if len(ids) > MAX_LIMIT:
            raise BadRequest(f"at most {MAX_LIMIT} ids")
        return web.json_response(await presence.visible(api, account, ids))

    @routes.get("/api/v1/crypto/presence/settings")
    @guarded
    @endpoint()
    async def presence_settings(request: web.Request) -> web.Response:
        """Who sees your presence: "contacts" (everyone you chat with) or "nobody"."""
        account = await api.authenticate(request, SCOPE)
        return web.json_response({"share": await presence.share_of(account.id)})

    @routes.put("/api/v1/crypto/presence/settings")
    @guarded
    @endpoint(params={"share": required(str)})
    async def save_presence_settings(request: web.Request) -> web.Response:
        """Change who sees your presence; "nobody" also hides it from those who saw it."""
        account = await api.authenticate(request, SCOPE)
        return web.json_response({"share": await presence.set_share(api, account, (await params(request)).get("share"))})

    @routes.get("/api/v1/crypto/stream")
    @endpoint(ok=101, returns=None)
    async def stream(request: web.Request) -> web.StreamResponse:
        """WebSocket: pushes encrypted_message (new ciphertext queued), e2ee.typing, e2ee.presence, e2ee.group,
        e2ee.devices. An open stream is what makes its account "online"."""
        origin = request.headers.get("Origin")
        if not request.headers.get("Authorization") and origin is not None and origin != api.base_url:
            # A browser signed in by its session cookie: only the node's own pages may open it (a page on
            # another site must not ride the cookie into this socket).
            return web.json_response({"error": "This stream opens from the node's own pages or with a token"},
                                     status=403)
        try:
            account, device = await me_and_device(request)
        except E2EEError as exc:
            return web.json_response({"error": exc.message}, status=exc.status)
        hub = streaming.hub_of(api)
        queue = hub.open(account.id, device.id)
        await presence.stream_opened(api, account)

        async def on_message(data: dict[str, Any]) -> dict[str, Any] | None:
            if data.get("type") == "typing":
                try:
                    await typing(account, data)
                except E2EEError as exc:
                    return {"event": "error", "payload": json.dumps({"error": exc.message})}
            return None

        try:
            return await streaming.serve(request, queue, on_message)
        finally:
            hub.close(account.id, device.id, queue)
            # shielded: a client going away cancels this handler, and the last-seen time must still be kept
            await asyncio.shield(presence.stream_closed(api, account))

    # ---- server to server --------------------------------------------------------------------------------

    @routes.get("/users/{username}/collections/devices")
    @endpoint(returns="application/activity+json")
    async def devices_collection(request: web.Request) -> web.Response:
        """An account's devices (public keys only), as Mastodon publishes them, with signed device objects."""
        account = await api.find_local_account(request.match_info["username"])
        if account is None:
            return web.json_response({"error": "Record not found"}, status=404)
        devices = await Device.filter(account_id=account.id, local=True).order_by("id")
        return web.json_response(federation.devices_collection(api, account, devices),
                                 content_type="application/activity+json")

    @routes.post("/users/{username}/claim")
    @endpoint(raw_body="application/activity+json", returns="application/activity+json")
    async def claim_for_server(request: web.Request) -> web.Response:
        """Another server claims a one-time key of one of this account's devices (signed requests only)."""
        body = await request.read()
        if await api.verify_request(request, body) is None:
            return web.json_response({"error": "Request not signed"}, status=401)
        account = await api.find_local_account(request.match_info["username"])
        try:
            device_id = jsondoc.loads(body or b"{}").get("id")
        except (ValueError, AttributeError):
            device_id = None
        device = await Device.filter(account_id=account.id, device_id=str(device_id), local=True).first() \
            if account is not None and device_id else None
        key = await keys.claim_local(device) if device is not None else None
        if key is None:
            return web.json_response({"error": "Record not found"}, status=404)
        return web.json_response(keys.claim_document(device, key), content_type="application/activity+json")

    return routes
