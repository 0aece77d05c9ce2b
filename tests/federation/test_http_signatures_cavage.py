"""draft-cavage-12 signing and verification, proven against the spec's Appendix C vectors."""

from __future__ import annotations

import base64

import pytest
from fed_interop import load_json, parse_raw_http

from federation.signatures import (
    CavageError,
    HttpMessage,
    SigningKey,
    digest_header,
    load_public_key,
    parse_signature_header,
)
from federation.signatures.cavage import sign_message, signing_string, verify_message

VECTORS = load_json("signatures/cavage12/vectors.json")


def _request() -> HttpMessage:
    start, headers, body = parse_raw_http(VECTORS["request"])
    method, target, _ = start.split(" ")
    return HttpMessage.request_of(method, f"http://example.com{target}", headers, body)


def _vector(name: str) -> dict:
    return next(v for v in VECTORS["vectors"] if v["name"] == name)


def _header_for(vector: dict, **extra: object) -> str:
    parts = [f'keyId="{VECTORS["keyId"]}"', f'algorithm="{VECTORS["algorithm"]}"']
    parts += [f"{k}={v}" for k, v in extra.items()]
    if vector["headers"] is not None:
        parts.append(f'headers="{vector["headers"]}"')
    parts.append(f'signature="{vector["signature"]}"')
    return ",".join(parts)


def test_digest_of_vector_body_matches_printed_header():
    message = _request()
    assert digest_header(message.body) == message.combined_header("Digest")


@pytest.mark.parametrize("name", ["default", "basic"])
def test_signing_string_and_signature_match_vector_byte_for_byte(name):
    vector = _vector(name)
    message = _request()
    parsed = parse_signature_header(_header_for(vector))
    assert signing_string(message, parsed.headers) == vector["signing_string"]
    key = SigningKey.from_pem(VECTORS["keyId"], VECTORS["private_pem"])
    # RSASSA-PKCS1-v1_5 is deterministic, so re-signing reproduces the published signature.
    header = sign_message(message, key, parsed.headers, algorithm="rsa-sha256")
    assert parse_signature_header(header).signature == base64.b64decode(vector["signature"])
    assert verify_message(message, parsed, load_public_key(VECTORS["public_pem"]))


def test_all_headers_vector_verifies_over_the_printed_signing_string_only():
    vector = _vector("all-headers")
    message = _request()
    public = load_public_key(VECTORS["public_pem"])
    printed = [h for h in vector["headers"].split() if h not in ("(created)", "(expires)")]
    assert signing_string(message, printed) == vector["signing_string_as_printed"]
    as_printed = parse_signature_header(_header_for({**vector, "headers": " ".join(printed)}))
    assert verify_message(message, as_printed, public)

    full = parse_signature_header(_header_for(vector, created=vector["created"], expires=vector["expires"]))
    with_pseudo = signing_string(message, full.headers, full.created, full.expires)
    assert with_pseudo == vector["signing_string_with_created_expires"]
    assert not verify_message(message, full, public)


def test_default_headers_parameter_is_date():
    parsed = parse_signature_header(_header_for(_vector("default")))
    assert parsed.headers == ("date",)
    assert parsed.key_id == "Test" and parsed.algorithm == "rsa-sha256"


def test_tampered_message_does_not_verify():
    vector = _vector("basic")
    message = _request()
    message.headers["Host"] = "evil.example"
    parsed = parse_signature_header(_header_for(vector))
    assert not verify_message(message, parsed, load_public_key(VECTORS["public_pem"]))


def test_hs2019_round_trip_and_authorization_form(rsa_keypair):
    key = SigningKey.from_pem("https://a.test/actor#main-key", rsa_keypair[0])
    message = _request()
    header = sign_message(message, key, ["(request-target)", "host", "date", "digest"], algorithm="hs2019")
    parsed = parse_signature_header("Signature " + header)
    assert parsed.algorithm == "hs2019"
    assert verify_message(message, parsed, load_public_key(rsa_keypair[1]))


@pytest.mark.parametrize(
    "header",
    [
        'algorithm="rsa-sha256",signature="AAAA"',
        'keyId="k",algorithm="rsa-sha256"',
        'keyId="k",signature="not base64!!"',
        'keyId="k" signature="AAAA"',
    ],
)
def test_malformed_headers_are_rejected(header):
    with pytest.raises(CavageError):
        parse_signature_header(header)


def test_missing_covered_header_is_an_error():
    message = _request()
    with pytest.raises(CavageError, match="accept"):
        signing_string(message, ["(request-target)", "accept"])
