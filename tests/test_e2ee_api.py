"""The /api/v1/crypto/* API on one node: keys upload, query, claim (each one-time key once, even under
concurrent claims, then the fallback), count, deliveries, the per-device queue with its cursor, groups,
the stream, the server-to-server routes, and every bad request answered with a 4xx and nothing written.
Also: the plugin's server modules never load a library that could decrypt."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import vodozemac as vz
from support import REPO, bearer, create_user

from node.app import build_app
from plugins.e2ee import expire_messages, signing
from plugins.e2ee.models import Device, Envelope, Group, OneTimeKey

SCOPES = "read write follow push crypto"


@pytest.fixture
async def client(aiohttp_client, make_config):
    return await aiohttp_client(build_app(make_config(plugins={"enabled": ["e2ee"]}), scheduler=False))


def node(client):
    from node.api.keys import NODE

    return client.app[NODE]


def device_body(account: vz.Account, uri: str, device_id: str = "PHONE", keys: int = 3, *,
                fallback: bool = True) -> dict:
    identity, fingerprint = account.curve25519_key.to_base64(), account.ed25519_key.to_base64()
    signed = signing.device_object(uri, device_id, identity, fingerprint, signing.ALGORITHMS)
    account.generate_one_time_keys(keys)
    body = {"device": {"device_id": device_id, "name": "phone", "identity_key": identity, "fingerprint_key": fingerprint,
                       "algorithms": list(signing.ALGORITHMS),
                       "signature": account.sign(signing.canonical_json(signed)).to_base64()},
            "one_time_keys": [{"key_id": k, "key": v.to_base64(), "signature": account.sign(
                signing.canonical_json({"key": v.to_base64()})).to_base64()} for k, v in account.one_time_keys.items()]}
    if fallback:
        account.generate_fallback_key()
        key_id, key = next(iter(account.fallback_key.items()))
        body["fallback_key"] = {"key_id": key_id, "key": key.to_base64(), "signature": account.sign(
            signing.canonical_json({"key": key.to_base64(), "fallback": True})).to_base64()}
    account.mark_keys_as_published()
    return body


async def person(client, name: str) -> tuple[str, str, vz.Account]:
    user, token = await create_user(node(client), name, scopes=SCOPES)
    account = vz.Account()
    response = await client.post("/api/v1/crypto/keys/upload", json=device_body(account, f"http://localhost/users/{name}"),
                                 headers=bearer(token))
    assert response.status == 200, await response.text()
    return str(user.account.id), token, account


async def test_upload_query_claim_count(client):
    alice_id, alice, _ = await person(client, "alice")
    bob_id, bob, bob_keys = await person(client, "bob")
    response = await client.get("/api/v1/crypto/keys/count", headers=bearer(bob))
    assert await response.json() == {"one_time_keys": 3, "fallback_key": True}
    response = await client.post("/api/v1/crypto/keys/query", json={"id": [bob_id, "999"]}, headers=bearer(alice))
    [result] = await response.json()
    assert result["account_id"] == bob_id and result["account_uri"] == "http://localhost/users/bob"
    [device] = result["devices"]
    assert set(device) >= {"device_id", "name", "identity_key", "fingerprint_key", "algorithms", "signature"}
    assert device["identity_key"] == bob_keys.curve25519_key.to_base64()
    claimed = []
    for _ in range(4):
        response = await client.post("/api/v1/crypto/keys/claim", headers=bearer(alice),
                                     json={"device": [{"account_id": bob_id, "device_id": "PHONE"}]})
        claimed += await response.json()
    assert [c["fallback"] for c in claimed] == [False, False, False, True]
    assert len({c["key"] for c in claimed[:3]}) == 3
    assert set(claimed[0]) == {"account_id", "device_id", "key_id", "key", "signature", "fallback"}
    response = await client.get("/api/v1/crypto/keys/count", headers=bearer(bob))
    assert await response.json() == {"one_time_keys": 0, "fallback_key": True}
    # the fallback key stays until replaced
    response = await client.post("/api/v1/crypto/keys/claim", headers=bearer(alice),
                                 json={"device": [{"account_id": bob_id, "device_id": "PHONE"}]})
    assert (await response.json())[0]["key"] == claimed[3]["key"]


async def test_concurrent_claims_get_different_keys(client):
    _, alice, _ = await person(client, "alice")
    user, bob = await create_user(node(client), "bob", scopes=SCOPES)
    body = device_body(vz.Account(), "http://localhost/users/bob", keys=40)
    assert (await client.post("/api/v1/crypto/keys/upload", json=body, headers=bearer(bob))).status == 200
    request = {"device": [{"account_id": str(user.account.id), "device_id": "PHONE"}]}

    async def claim():
        response = await client.post("/api/v1/crypto/keys/claim", json=request, headers=bearer(alice))
        return (await response.json())[0]

    results = await asyncio.gather(*(claim() for _ in range(50)))
    one_time = [r["key"] for r in results if not r["fallback"]]
    assert len(one_time) == 40 and len(set(one_time)) == 40
    assert sum(r["fallback"] for r in results) == 10


async def test_batch_claims_of_many_devices_hand_each_key_out_once(client):
    """A group key share claims thousands of devices per request (in a few statements, not one per device):
    concurrent batch claims still hand every one-time key out once, then the fallback keys; names that
    are not devices are left out, and more than 2,000 devices per claim is refused."""
    _, alice, _ = await person(client, "alice")
    people = []
    for name in ("bob", "carol", "dave"):
        user, token = await create_user(node(client), name, scopes=SCOPES)
        body = device_body(vz.Account(), f"http://localhost/users/{name}", keys=6)
        assert (await client.post("/api/v1/crypto/keys/upload", json=body, headers=bearer(token))).status == 200
        people.append(str(user.account.id))
    request = {"device": [{"account_id": p, "device_id": "PHONE"} for p in people]
               + [{"account_id": people[0], "device_id": "NOPE"}, {"account_id": "99999", "device_id": "PHONE"}]}

    async def claim():
        response = await client.post("/api/v1/crypto/keys/claim", json=request, headers=bearer(alice))
        assert response.status == 200
        return await response.json()

    rounds = await asyncio.gather(*(claim() for _ in range(8)))
    assert all([r["account_id"] for r in found] == people for found in rounds)  # asked order, unknowns left out
    handed = [r for found in rounds for r in found]
    for person_id in people:
        one_time = [r["key"] for r in handed if r["account_id"] == person_id and not r["fallback"]]
        assert len(one_time) == 6 and len(set(one_time)) == 6
        assert sum(r["fallback"] for r in handed if r["account_id"] == person_id) == 2
    too_many = {"device": [{"account_id": people[0], "device_id": f"D{i}"} for i in range(2001)]}
    response = await client.post("/api/v1/crypto/keys/claim", json=too_many, headers=bearer(alice))
    assert response.status == 422 and "2000" in (await response.json())["error"]


async def test_refused_uploads_write_nothing(client):
    user, token = await create_user(node(client), "mallory", scopes=SCOPES)
    uri = "http://localhost/users/mallory"
    zero = signing.b64encode(bytes(32))

    async def refused(body, status=422, headers=None):
        response = await client.post("/api/v1/crypto/keys/upload", json=body, headers=headers or bearer(token))
        assert response.status == status, await response.text()
        assert "error" in await response.json()
        return (await response.json())["error"]

    body = device_body(vz.Account(), uri)
    body["device"]["identity_key"] = zero
    assert "small order" in await refused(body)
    body = device_body(vz.Account(), uri)
    body["device"]["signature"] = body["device"]["signature"][:-4] + "AAAA"
    assert "signature" in await refused(body)
    body = device_body(vz.Account(), uri)  # a malleable twin of a valid signature: S + L
    raw = signing.b64decode(body["device"]["signature"])
    body["device"]["signature"] = signing.b64encode(
        raw[:32] + (int.from_bytes(raw[32:], "little") + signing._L).to_bytes(32, "little"))
    assert "malleable" in await refused(body)
    body = device_body(vz.Account(), uri)
    body["one_time_keys"][-1]["key"] = zero  # the device is fine, one key is not: all or nothing
    assert "small order" in await refused(body)
    body = device_body(vz.Account(), uri)
    body["one_time_keys"][0]["signature"] = body["one_time_keys"][1]["signature"]
    assert "signature" in await refused(body)
    body = device_body(vz.Account(), uri, device_id="not valid!")
    assert "device_id" in await refused(body)
    assert "scopes" in await refused(device_body(vz.Account(), uri), 403,
                                     bearer((await create_user(node(client), "nocrypto"))[1]))
    await refused(device_body(vz.Account(), uri), 401, {"Authorization": "Bearer nope"})
    response = await client.post("/api/v1/crypto/keys/upload", data="{", headers={**bearer(token),
                                                                                    "Content-Type": "application/json"})
    assert response.status == 400
    with node(client).db:
        assert await Device.all().count() == 0 and await OneTimeKey.all().count() == 0
    # a device's keys never change under the same token
    assert (await client.post("/api/v1/crypto/keys/upload", json=device_body(vz.Account(), uri),
                              headers=bearer(token))).status == 200
    assert "cannot change" in await refused(device_body(vz.Account(), uri))


async def test_deliveries_queue_cursor_and_clear(client):
    alice_id, alice, _ = await person(client, "alice")
    bob_id, bob, _ = await person(client, "bob")
    items = [{"account_id": bob_id, "device_id": "PHONE", "type": 0, "body": signing.b64encode(f"c{i}".encode()),
              "message_id": f"m{i}"} for i in range(5)]
    response = await client.post("/api/v1/crypto/deliveries", json={"device": items}, headers=bearer(alice))
    assert response.status == 200 and await response.json() == {}
    # a retried request is stored once (message ids de-duplicate)
    await client.post("/api/v1/crypto/deliveries", json={"device": items}, headers=bearer(alice))
    response = await client.get("/api/v1/crypto/encrypted_messages", params={"limit": "2", "min_id": "0"},
                                headers=bearer(bob))
    page = await response.json()
    assert [signing.b64decode(m["body"]) for m in page] == [b"c1", b"c0"]  # newest first, as Mastodon pages
    assert set(page[0]) >= {"id", "account_id", "device_id", "type", "body", "digest", "message_franking",
                            "created_at", "message_id", "expires_at"}
    assert page[0]["account_id"] == alice_id and page[0]["device_id"] == "PHONE"
    assert 'rel="next"' in response.headers["Link"]
    await client.post("/api/v1/crypto/encrypted_messages/clear", json={"up_to_id": page[0]["id"]}, headers=bearer(bob))
    rest = await (await client.get("/api/v1/crypto/encrypted_messages", headers=bearer(bob))).json()
    assert [signing.b64decode(m["body"]) for m in rest] == [b"c4", b"c3", b"c2"]
    # Mastodon clients send forms with Rails-style keys
    form = {"device[][account_id]": bob_id, "device[][device_id]": "PHONE", "device[][type]": "1",
            "device[][body]": "Zm9ybQ"}
    assert (await client.post("/api/v1/crypto/deliveries", data=form, headers=bearer(alice))).status == 200
    with node(client).db:
        assert await Envelope.all().count() == 4


async def test_bad_deliveries_are_refused_and_write_nothing(client):
    _, alice, _ = await person(client, "alice")
    bob_id, bob, _ = await person(client, "bob")
    good = {"account_id": bob_id, "device_id": "PHONE", "type": 0, "body": "Y2lwaGVy"}
    cases = [
        ({"device": []}, 400), ({}, 400),
        ({"device": [good, {**good, "account_id": "12345"}]}, 404),
        ({"device": [good, {**good, "device_id": "TABLET"}]}, 404),
        ({"device": [good, {**good, "type": 7}]}, 422),
        ({"device": [good, {**good, "body": "not base64!"}]}, 422),
        ({"device": [good, {**good, "body": "A" * 70000}]}, 422),
        ({"device": [good], "expires_in": "0"}, 422),
        ({"device": [good], "expires_in": "soon"}, 422),
        ({"device": [good, {**good, "message_id": "../../x"}]}, 422),
    ]
    for body, status in cases:
        response = await client.post("/api/v1/crypto/deliveries", json=body, headers=bearer(alice))
        assert response.status == status, (body, await response.text())
        assert "error" in await response.json()
    _, carol = await create_user(node(client), "carol", scopes=SCOPES)  # no device for this token yet
    response = await client.post("/api/v1/crypto/deliveries", json={"device": [good]}, headers=bearer(carol))
    assert response.status == 404 and "upload" in (await response.json())["error"]
    for path, body in (("/api/v1/crypto/encrypted_messages/clear", {}),):
        assert (await client.post(path, json=body, headers=bearer(bob))).status == 400
    response = await client.get("/api/v1/crypto/encrypted_messages", params={"max_id": "x"}, headers=bearer(bob))
    assert response.status == 400
    with node(client).db:
        assert await Envelope.all().count() == 0


async def test_expiry_job_deletes_expired_and_month_old_envelopes(client):
    _, alice, _ = await person(client, "alice")
    bob_id, bob, _ = await person(client, "bob")
    item = {"account_id": bob_id, "device_id": "PHONE", "type": 0, "body": "Y2lwaGVy"}
    await client.post("/api/v1/crypto/deliveries", json={"device": [{**item, "message_id": "a"}], "expires_in": 30},
                      headers=bearer(alice))
    await client.post("/api/v1/crypto/deliveries", json={"device": [{**item, "message_id": "b"}]}, headers=bearer(alice))
    api = node(client).plugins.api("e2ee")
    with node(client).db:
        assert await expire_messages(api, datetime.now(UTC)) == 0
        assert await expire_messages(api, datetime.now(UTC) + timedelta(seconds=31)) == 1
        assert await Envelope.all().count() == 1
        assert await expire_messages(api, datetime.now(UTC) + timedelta(days=31)) == 1
        assert await Envelope.all().count() == 0
    assert [name for name, _, _ in node(client).plugins.scheduled_jobs] == ["e2ee: expire ciphertext"]


async def test_groups_api_and_refusals(client):
    alice_id, alice, _ = await person(client, "alice")
    bob_id, bob, _ = await person(client, "bob")
    carol_id, carol, _ = await person(client, "carol")
    response = await client.post("/api/v1/crypto/groups", json={"name": "g", "account_ids": [bob_id],
                                                                "rotate_after_messages": 10}, headers=bearer(alice))
    group = await response.json()
    assert response.status == 200, group
    assert group["epoch"] == 0 and group["rotation"]["messages"] == 10
    assert {m["account_id"] for m in group["members"]} == {alice_id, bob_id}
    gid = group["id"]
    message = {"body": "bWVnb2xt", "epoch": 0, "message_id": "g1"}
    assert (await client.post(f"/api/v1/crypto/groups/{gid}/messages", json=message, headers=bearer(alice))).status == 200
    # carol is not a member: the group does not exist for her
    assert (await client.get(f"/api/v1/crypto/groups/{gid}", headers=bearer(carol))).status == 404
    assert (await client.post(f"/api/v1/crypto/groups/{gid}/messages", json=message, headers=bearer(carol))).status == 404
    # only the owner adds; a stale epoch must rotate first
    response = await client.post(f"/api/v1/crypto/groups/{gid}/members", json={"account_ids": [carol_id]},
                                 headers=bearer(bob))
    assert response.status == 403
    await client.post(f"/api/v1/crypto/groups/{gid}/members", json={"account_ids": [carol_id]}, headers=bearer(alice))
    response = await client.delete(f"/api/v1/crypto/groups/{gid}/members/{carol_id}", headers=bearer(carol))
    assert response.status == 200
    response = await client.post(f"/api/v1/crypto/groups/{gid}/messages", json=message, headers=bearer(bob))
    assert response.status == 409 and "rotated" in (await response.json())["error"]
    assert (await client.delete(f"/api/v1/crypto/groups/{gid}/members/{alice_id}", headers=bearer(alice))).status == 422
    for body, status in (({"account_ids": ["424242"]}, 404), ({"account_ids": [bob_id], "rotate_after_messages": 0}, 422),
                         ({"account_ids": [bob_id], "name": "x" * 200}, 422)):
        response = await client.post("/api/v1/crypto/groups", json=body, headers=bearer(alice))
        assert response.status == status
    response = await client.post(f"/api/v1/crypto/groups/{gid}/messages", json={"body": "eA", "epoch": 1},
                                 headers=bearer(alice))
    assert response.status == 200
    assert (await client.post(f"/api/v1/crypto/groups/{gid}/messages", json={"body": "eA"},
                              headers=bearer(alice))).status == 422
    with node(client).db:
        assert await Group.all().count() == 1
        # one message before carol joined reached bob only; the one after she left reached bob only
        assert await Envelope.filter(type=2).count() == 2


async def test_stream_pushes_new_envelopes_and_typing(client):
    alice_id, alice, _ = await person(client, "alice")
    bob_id, bob, _ = await person(client, "bob")
    async with client.ws_connect("/api/v1/crypto/stream", headers=bearer(bob)) as ws:
        await client.post("/api/v1/crypto/deliveries", headers=bearer(alice), json={
            "device": [{"account_id": bob_id, "device_id": "PHONE", "type": 0, "body": "Y2lwaGVy"}]})
        frame = await ws.receive_json(timeout=5)
        assert frame["event"] == "encrypted_message"
        await client.post("/api/v1/crypto/typing", headers=bearer(alice),
                          json={"account_id": bob_id, "conversation_id": "dm:x"})
        frame = await ws.receive_json(timeout=5)
        assert frame["event"] == "e2ee.typing"
        assert json.loads(frame["payload"]) == {"account_id": alice_id, "conversation_id": "dm:x", "typing": True}
    async with client.ws_connect("/api/v1/crypto/stream", headers=bearer(alice)) as ws:
        await ws.send_json({"type": "typing", "account_id": bob_id, "conversation_id": "dm:x"})
        await ws.send_str("not json")
        frame = await ws.receive_json(timeout=5)
        while frame["event"] == "e2ee.presence":  # bob going offline a moment ago may reach alice first
            frame = await ws.receive_json(timeout=5)
        assert frame["event"] == "error"
    assert (await client.get("/api/v1/crypto/stream")).status == 401


async def test_devices_collection_actor_field_and_signed_claims(client):
    bob_id, _, bob_keys = await person(client, "bob")
    response = await client.get("/users/bob/collections/devices")
    doc = await response.json()
    assert doc["type"] == "Collection" and doc["totalItems"] == 1
    [device] = doc["items"]
    assert device["type"] == "Device" and device["deviceId"] == "PHONE"
    assert device["identityKey"] == {"type": "Curve25519Key", "publicKeyBase64": bob_keys.curve25519_key.to_base64()}
    assert device["claim"] == "http://localhost/users/bob/claim"
    assert (await client.get("/users/nobody/collections/devices")).status == 404
    # one-time keys are handed to other servers only on signed requests
    response = await client.post("/users/bob/claim", json={"id": "PHONE"})
    assert response.status == 401
    # the actor document links the collection
    response = await client.get("/users/bob", headers={"Accept": "application/activity+json"})
    actor = await response.json()
    assert actor["devices"] == "http://localhost/users/bob/collections/devices"
    assert any(isinstance(c, dict) and c.get("devices") for c in actor["@context"])


def test_server_modules_never_load_decryption_libraries():
    code = ("import sys; import plugins.e2ee, plugins.e2ee.routes, plugins.e2ee.keys, plugins.e2ee.envelopes, "
            "plugins.e2ee.groups, plugins.e2ee.federation, plugins.e2ee.streaming, plugins.e2ee.models, "
            "node.app; bad = [m for m in ('vodozemac', 'olm') if m in sys.modules]; print(bad); sys.exit(bool(bad))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr

