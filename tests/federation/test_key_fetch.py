"""Fetching signers' keys from real peers: keys on actor documents, bare key objects confirmed by their
owner, and the cases that must not yield a key."""

from __future__ import annotations

import pytest
from aiohttp import web

from federation.as2 import build_person
from federation.client import FederationClient
from federation.hostmap import StaticHostResolver
from federation.keyfetch import fetch_public_key
from federation.signatures import SignatureVerifier, SigningKey, sign_request
from federation.signatures.message import HttpMessage

A = "http://node-a.test"


@pytest.fixture
async def peer(aiohttp_server, rsa_keypair, other_rsa_keypair):
    pem, other_pem = rsa_keypair[1], other_rsa_keypair[1]
    docs = {
        "/users/alice": build_person(f"{A}/users/alice", "alice", pem),
        # GoToSocial-style: the key has its own URL and names its owner.
        "/users/carol/main-key": {"id": f"{A}/users/carol/main-key", "owner": f"{A}/users/carol",
                                  "publicKeyPem": pem},
        "/users/carol": build_person(f"{A}/users/carol", "carol", pem) | {
            "publicKey": {"id": f"{A}/users/carol/main-key", "owner": f"{A}/users/carol", "publicKeyPem": pem}},
        # A bare key whose claimed owner does not list it.
        "/users/dave/main-key": {"id": f"{A}/users/dave/main-key", "owner": f"{A}/users/alice",
                                 "publicKeyPem": other_pem},
        # A document claiming to be an actor on another server.
        "/users/mallory": build_person("http://node-b.test/users/bob", "bob", pem)
        | {"publicKey": {"id": f"{A}/users/mallory#main-key", "owner": "http://node-b.test/users/bob",
                         "publicKeyPem": pem}},
    }

    async def serve(request: web.Request) -> web.Response:
        doc = docs.get(request.path)
        if doc is None:
            raise web.HTTPNotFound()
        return web.json_response(doc, content_type="application/activity+json")

    app = web.Application()
    app.router.add_get("/{tail:.*}", serve)
    return await aiohttp_server(app)


@pytest.fixture
async def client(peer):
    resolver = StaticHostResolver({"node-a.test": ("127.0.0.1", peer.port)})
    async with FederationClient(resolver=resolver, allow_private_addresses=True) as c:
        yield c


async def test_key_from_actor_document(client, rsa_keypair):
    info = await fetch_public_key(client, f"{A}/users/alice#main-key")
    assert info.owner == f"{A}/users/alice" and info.public_key == rsa_keypair[1]


async def test_bare_key_confirmed_by_its_owner(client):
    info = await fetch_public_key(client, f"{A}/users/carol/main-key")
    assert info.owner == f"{A}/users/carol"


async def test_bare_key_not_listed_by_its_claimed_owner_is_refused(client):
    assert await fetch_public_key(client, f"{A}/users/dave/main-key") is None


async def test_actor_on_another_origin_is_refused(client):
    assert await fetch_public_key(client, f"{A}/users/mallory#main-key") is None


async def test_fetched_keys_plug_into_the_verifier(client, signing_key):
    async def resolve(key_id: str, refresh: bool):
        return await fetch_public_key(client, key_id)

    signing = SigningKey(f"{A}/users/alice#main-key", signing_key.key)
    headers = sign_request("GET", "http://node-b.test/notes/1", signing)
    verified = await SignatureVerifier(resolve).verify(HttpMessage.request_of("GET", "http://node-b.test/notes/1",
                                                                              headers))
    assert verified.owner == f"{A}/users/alice"
