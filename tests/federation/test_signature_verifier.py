"""SignatureVerifier policy: signed deliveries over real HTTP (cavage and RFC 9421), and every
rejection reason: unsigned, wrong key, stale or future dates, digest mismatch, missing coverage,
unknown key; plus the one-time key refetch that absorbs key rotation."""

from __future__ import annotations

import json
import time

import pytest
from aiohttp import web

from federation.client import FederationClient, HttpStatusError
from federation.hostmap import StaticHostResolver
from federation.signatures import (
    HttpMessage,
    PublicKeyInfo,
    SignatureError,
    SignatureVerifier,
    SigningKey,
    sign_request,
)
from federation.signatures.cavage import sign_message as cavage_sign

ALICE = "https://node-a.test/users/alice"
KEY_ID = f"{ALICE}#main-key"
INBOX = "http://node-b.test/inbox"
ACTIVITY = {"id": f"{ALICE}/follows/1", "type": "Follow", "actor": ALICE, "object": "http://node-b.test/users/bob"}


class Keys:
    """A resolver over a dict of keys, recording every call (key_id, refresh)."""

    def __init__(self, keys: dict[str, str], fresh: dict[str, str] | None = None) -> None:
        self.keys = keys
        self.fresh = fresh if fresh is not None else keys
        self.calls: list[tuple[str, bool]] = []

    async def __call__(self, key_id: str, refresh: bool) -> PublicKeyInfo | None:
        self.calls.append((key_id, refresh))
        pem = (self.fresh if refresh else self.keys).get(key_id)
        return PublicKeyInfo(owner=ALICE, public_key=pem) if pem else None


def _post(body: bytes, headers: dict[str, str], url: str = INBOX) -> HttpMessage:
    return HttpMessage.request_of("POST", url, headers, body)


def _signed_post(key: SigningKey, *, scheme="cavage", now=None, body: bytes | None = None) -> HttpMessage:
    body = body if body is not None else json.dumps(ACTIVITY).encode()
    headers = sign_request("POST", INBOX, key, body=body, headers={"Content-Type": "application/activity+json"},
                           scheme=scheme, now=now)
    return _post(body, headers)


# -- over real HTTP --------------------------------------------------------------------------------


@pytest.fixture
async def inbox_server(aiohttp_server, rsa_keypair):
    resolver = Keys({KEY_ID: rsa_keypair[1]})
    verifier = SignatureVerifier(resolver)

    async def inbox(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            verified = await verifier.verify_request(request, body)
            verified.require_actor(json.loads(body)["actor"])
        except SignatureError as exc:
            return web.json_response({"error": exc.reason}, status=exc.status)
        return web.json_response({"owner": verified.owner, "scheme": verified.scheme}, status=202)

    async def note(request: web.Request) -> web.Response:
        try:
            verified = await verifier.verify_request(request, b"")
        except SignatureError as exc:
            return web.json_response({"error": exc.reason}, status=exc.status)
        return web.json_response({"id": str(request.url), "type": "Note", "fetchedBy": verified.owner})

    app = web.Application()
    app.router.add_post("/inbox", inbox)
    app.router.add_get("/notes/1", note)
    server = await aiohttp_server(app)
    server.resolver_calls = resolver.calls
    return server


@pytest.fixture
async def client(inbox_server):
    resolver = StaticHostResolver({"node-b.test": ("127.0.0.1", inbox_server.port)})
    async with FederationClient(resolver=resolver, allow_private_addresses=True) as c:
        yield c


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
async def test_signed_delivery_is_accepted_over_http(client, signing_key, scheme):
    resp = await client.post_activity(INBOX, ACTIVITY, sign_with=signing_key, scheme=scheme)
    assert resp.status == 202
    assert resp.json() == {"owner": ALICE, "scheme": scheme}


async def test_unsigned_delivery_is_refused_with_401(client):
    resp = await client.request("POST", INBOX, body=json.dumps(ACTIVITY).encode(),
                                headers={"Content-Type": "application/activity+json"})
    assert resp.status == 401
    assert resp.json() == {"error": "request is not signed"}


async def test_delivery_signed_by_another_key_is_refused(client, other_rsa_keypair):
    impostor = SigningKey.from_pem(KEY_ID, other_rsa_keypair[0])
    with pytest.raises(HttpStatusError) as err:
        await client.post_activity(INBOX, ACTIVITY, sign_with=impostor)
    assert err.value.status == 401
    assert json.loads(err.value.body) == {"error": "signature does not verify"}


async def test_key_owner_must_be_the_activity_actor(client, signing_key):
    forged = {**ACTIVITY, "actor": "https://node-c.test/users/mallory"}
    with pytest.raises(HttpStatusError) as err:
        await client.post_activity(INBOX, forged, sign_with=signing_key)
    assert "not to https://node-c.test/users/mallory" in json.loads(err.value.body)["error"]


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
async def test_authorized_fetch_get_is_signed_and_verified(client, signing_key, scheme):
    doc = await client.get_activity("http://node-b.test/notes/1", sign_with=signing_key, scheme=scheme)
    assert doc["fetchedBy"] == ALICE
    with pytest.raises(HttpStatusError) as err:
        await client.get_activity("http://node-b.test/notes/1")
    assert err.value.status == 401


# -- policy, message by message ------------------------------------------------------------------


@pytest.fixture
def verifier(rsa_keypair) -> SignatureVerifier:
    return SignatureVerifier(Keys({KEY_ID: rsa_keypair[1]}))


async def _reason(verifier: SignatureVerifier, message: HttpMessage) -> str:
    with pytest.raises(SignatureError) as err:
        await verifier.verify(message)
    assert err.value.status == 401
    return err.value.reason


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
async def test_signatures_older_than_the_window_are_refused(verifier, signing_key, scheme):
    assert await _reason(verifier, _signed_post(signing_key, scheme=scheme, now=time.time() - 13 * 3600)) == (
        "signature is too old"
    )
    ok = await verifier.verify(_signed_post(signing_key, scheme=scheme, now=time.time() - 11 * 3600))
    assert ok.owner == ALICE


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
async def test_signatures_from_the_future_are_refused(verifier, signing_key, scheme):
    message = _signed_post(signing_key, scheme=scheme, now=time.time() + 2 * 3600)
    assert await _reason(verifier, message) == "signature is dated in the future"
    assert (await verifier.verify(_signed_post(signing_key, scheme=scheme, now=time.time() + 1800))).owner == ALICE


async def test_skew_window_is_configurable(rsa_keypair, signing_key):
    strict = SignatureVerifier(Keys({KEY_ID: rsa_keypair[1]}), max_age=60, max_future=5)
    assert await _reason(strict, _signed_post(signing_key, now=time.time() - 120)) == "signature is too old"
    assert await _reason(strict, _signed_post(signing_key, now=time.time() + 30)) == "signature is dated in the future"


@pytest.mark.parametrize("scheme,digest", [("cavage", "Digest"), ("rfc9421", "Content-Digest")])
async def test_body_not_matching_digest_is_refused(verifier, signing_key, scheme, digest):
    message = _signed_post(signing_key, scheme=scheme)
    message.body = json.dumps({**ACTIVITY, "type": "Block"}).encode()
    assert "does not match the body" in await _reason(verifier, message)


async def test_body_without_signed_digest_is_refused(verifier, signing_key):
    body = json.dumps(ACTIVITY).encode()
    headers = sign_request("GET", INBOX, signing_key)  # covers no digest
    assert await _reason(verifier, _post(body, headers)) == "a request with a body must sign its digest header"


async def test_rfc9421_body_without_content_digest_coverage_is_refused(verifier, signing_key):
    from federation.signatures.rfc9421 import add_signature_headers, sign_message

    body = json.dumps(ACTIVITY).encode()
    message = _post(body, {})
    headers: dict[str, str] = {}
    add_signature_headers(headers, sign_message(message, signing_key, ["@method", "@target-uri"]))
    assert "content-digest" in await _reason(verifier, _post(body, headers))


@pytest.mark.parametrize(
    "covered,reason",
    [
        (["host", "date", "digest"], "signature must cover (request-target)"),
        (["(request-target)", "date", "digest"], "signature must cover host"),
        (["(request-target)", "host", "digest"], "signature must cover date or (created)"),
    ],
)
async def test_cavage_signatures_missing_required_headers_are_refused(verifier, signing_key, covered, reason):
    message = _signed_post(signing_key)
    message.headers["Signature"] = cavage_sign(message, signing_key, covered)
    assert await _reason(verifier, message) == reason


async def test_rfc9421_signatures_must_cover_method_and_target(verifier, signing_key):
    from federation.signatures.rfc9421 import sign_message

    message = _signed_post(signing_key, scheme="rfc9421")
    for components, reason in (
        (["@target-uri", "content-digest"], "signature must cover @method"),
        (["@method", "content-digest"], "signature must cover @target-uri, or @authority and @path"),
    ):
        signed = sign_message(message, signing_key, components)
        message.headers["Signature-Input"] = signed.signature_input
        message.headers["Signature"] = signed.signature
        assert await _reason(verifier, message) == reason


async def test_unknown_key_is_refused_after_one_refetch(signing_key):
    keys = Keys({})
    verifier = SignatureVerifier(keys)
    assert await _reason(verifier, _signed_post(signing_key)) == f"key {KEY_ID} is unknown"
    assert keys.calls == [(KEY_ID, False), (KEY_ID, True)]


async def test_rotated_key_is_refetched_once(rsa_keypair, other_rsa_keypair):
    # The cache holds the old key; the peer has since rotated to a new one.
    keys = Keys({KEY_ID: rsa_keypair[1]}, fresh={KEY_ID: other_rsa_keypair[1]})
    verifier = SignatureVerifier(keys)
    rotated = SigningKey.from_pem(KEY_ID, other_rsa_keypair[0])
    verified = await verifier.verify(_signed_post(rotated))
    assert verified.owner == ALICE
    assert keys.calls == [(KEY_ID, False), (KEY_ID, True)]


async def test_valid_signature_needs_no_refetch(rsa_keypair, signing_key):
    keys = Keys({KEY_ID: rsa_keypair[1]})
    await SignatureVerifier(keys).verify(_signed_post(signing_key))
    assert keys.calls == [(KEY_ID, False)]


async def test_resolver_failure_becomes_a_signature_error(signing_key):
    async def broken(key_id: str, refresh: bool) -> PublicKeyInfo | None:
        raise ConnectionError("peer down")

    reason = await _reason(SignatureVerifier(broken), _signed_post(signing_key))
    assert reason == f"key {KEY_ID} could not be resolved: peer down"


async def test_malformed_signature_header_is_refused(verifier, signing_key):
    message = _signed_post(signing_key)
    message.headers["Signature"] = 'keyId="x",signature='
    assert (await _reason(verifier, message)).startswith("malformed signature")


async def test_verified_signature_reports_coverage(verifier, signing_key):
    verified = await verifier.verify(_signed_post(signing_key))
    assert verified.scheme == "cavage"
    assert verified.covered == ("(request-target)", "host", "date", "digest", "content-type")
    verified_9421 = await verifier.verify(_signed_post(signing_key, scheme="rfc9421"))
    assert verified_9421.covered == ('"@method"', '"@target-uri"', '"content-digest"', '"content-type"')
    with pytest.raises(SignatureError):
        verified.require_actor("https://elsewhere.test/users/eve")
