"""RFC 9421 message signatures, proven against the RFC's Appendix B vectors, plus derived components."""

from __future__ import annotations

import base64

import pytest
from fed_interop import load_json, parse_raw_http

from federation.signatures import (
    Component,
    ComponentError,
    HttpMessage,
    SharedSecret,
    SigningKey,
    content_digest_header,
    load_private_key,
    load_public_key,
    parse_signatures,
)
from federation.signatures.rfc9421 import (
    MessageSignature,
    component_value,
    sign_message,
    signature_base,
    verify_message,
)
from federation.signatures.structured import parse_dictionary, serialize_dictionary

VECTORS = load_json("signatures/rfc9421/vectors.json")
ALL = {v["label"]: v for v in VECTORS["vectors"]}


def _request() -> HttpMessage:
    start, headers, body = parse_raw_http(VECTORS["test_request"])
    method, target, _ = start.split(" ")
    return HttpMessage.request_of(method, f"https://example.com{target}", headers, body)


def _response() -> HttpMessage:
    start, headers, body = parse_raw_http(VECTORS["test_response"])
    return HttpMessage.response_of(int(start.split(" ")[1]), headers, body, request=_request())


def _keys(keyid: str):
    if keyid == "test-shared-secret":
        secret = SharedSecret(base64.b64decode(VECTORS["keys"][keyid]["base64"]))
        return secret, secret
    k = VECTORS["keys"][keyid]
    return load_private_key(k["private_pem"]), load_public_key(k["public_pem"])


def _signed(vector: dict, message: HttpMessage) -> HttpMessage:
    message.headers["Signature-Input"] = vector["signature_input"]
    message.headers["Signature"] = vector["signature"]
    return message


def _parsed(vector: dict, message: HttpMessage) -> MessageSignature:
    (sig,) = parse_signatures(_signed(vector, message))
    return sig


@pytest.mark.parametrize("label", ["sig-b21", "sig-b22", "sig-b23", "sig-b25", "sig-b26"])
def test_request_signature_base_is_byte_for_byte_and_verifies(label):
    vector = ALL[label]
    message = _request()
    sig = _parsed(vector, message)
    assert sig.label == label and sig.key_id == vector["keyid"]
    assert signature_base(message, sig.components, sig.params) == vector["signature_base"]
    _, public = _keys(vector["keyid"])
    assert verify_message(message, sig, public, key_alg=vector["alg"])


def test_response_vector_b24_verifies_over_the_base_as_printed():
    # B.2.4's printed Content-Digest differs from the one inside its signature base; the signature
    # was made over the base, so put that digest on the response and everything else must line up.
    vector = ALL["sig-b24"]
    response = _response()
    base_digest = next(
        line.split(": ", 1)[1] for line in vector["signature_base"].split("\n") if line.startswith('"content-digest"')
    )
    assert base_digest != response.combined_header("Content-Digest")
    response.headers["Content-Digest"] = base_digest
    sig = _parsed(vector, response)
    assert signature_base(response, sig.components, sig.params) == vector["signature_base"]
    _, public = _keys("test-key-ecc-p256")
    assert verify_message(response, sig, public)


def test_response_vector_b24_with_printed_digest_does_not_verify():
    vector = ALL["sig-b24"]
    response = _response()
    sig = _parsed(vector, response)
    _, public = _keys("test-key-ecc-p256")
    assert not verify_message(response, sig, public)


@pytest.mark.parametrize("label", ["sig-b25", "sig-b26"])
def test_deterministic_algorithms_resign_to_the_exact_headers(label):
    vector = ALL[label]
    private, _ = _keys(vector["keyid"])
    sig = _parsed(vector, _request())
    signed = sign_message(
        _request(),
        SigningKey(vector["keyid"], private),
        list(sig.components),
        label=label,
        created=sig.created,
        alg=vector["alg"],
    )
    assert signed.signature_input == vector["signature_input"]
    assert signed.signature == vector["signature"]


@pytest.mark.parametrize("label", ["sig-b21", "sig-b22", "sig-b23", "sig-b24"])
def test_randomised_algorithms_round_trip(label):
    vector = ALL[label]
    private, public = _keys(vector["keyid"])
    message = _response() if vector["message"] == "test-response" else _request()
    if label == "sig-b24":
        message.headers["Content-Digest"] = content_digest_header(message.body, "sha-512")
    template = _parsed(vector, message)
    fresh = message if label == "sig-b24" else _request()
    signed = sign_message(
        fresh, SigningKey(vector["keyid"], private), list(template.components), label=label,
        created=template.created, nonce=template.params.get("nonce"), tag=template.params.get("tag"),
        alg=vector["alg"],
    )
    assert signed.signature_input == vector["signature_input"]
    fresh.headers["Signature-Input"] = signed.signature_input
    fresh.headers["Signature"] = signed.signature
    (sig,) = parse_signatures(fresh)
    assert verify_message(fresh, sig, public, key_alg=vector["alg"])
    assert sig.signature != template.signature  # PSS and ECDSA are randomised


def test_request_content_digest_of_vector_matches():
    message = _request()
    assert content_digest_header(message.body, "sha-512") == message.combined_header("Content-Digest")


def test_wrong_key_type_or_tampering_fails():
    vector = ALL["sig-b26"]
    message = _request()
    sig = _parsed(vector, message)
    _, rsa_public = _keys("test-key-rsa")
    assert not verify_message(message, sig, rsa_public)
    message.headers["Content-Type"] = "text/plain"
    _, ed_public = _keys("test-key-ed25519")
    assert not verify_message(message, sig, ed_public)


def test_rsa_v1_5_sha256_is_deterministic_and_verifies():
    private, public = _keys("test-key-rsa")
    key = SigningKey("test-key-rsa", private)
    a = sign_message(_request(), key, ["@method", "@authority"], created=1618884473, alg="rsa-v1_5-sha256")
    b = sign_message(_request(), key, ["@method", "@authority"], created=1618884473, alg="rsa-v1_5-sha256")
    assert a.signature == b.signature
    message = _signed({"signature_input": a.signature_input, "signature": a.signature}, _request())
    (sig,) = parse_signatures(message)
    assert verify_message(message, sig, public)


# -- derived components (RFC 9421 section 2.2 examples) ------------------------------------------


def _value(message: HttpMessage, spec: str) -> str:
    return component_value(message, Component.parse(spec))


def test_derived_components_of_a_request():
    m = HttpMessage.request_of("POST", "https://www.example.com/path?param=value&foo=bar&baz=bat%2Dman&qux=")
    assert _value(m, "@method") == "POST"
    assert _value(m, "@target-uri") == "https://www.example.com/path?param=value&foo=bar&baz=bat%2Dman&qux="
    assert _value(m, "@authority") == "www.example.com"
    assert _value(m, "@scheme") == "https"
    assert _value(m, "@request-target") == "/path?param=value&foo=bar&baz=bat%2Dman&qux="
    assert _value(m, "@path") == "/path"
    assert _value(m, "@query") == "?param=value&foo=bar&baz=bat%2Dman&qux="
    assert _value(m, '"@query-param";name="baz"') == "bat-man"
    assert _value(m, '"@query-param";name="qux"') == ""


def test_query_edge_cases_and_authority_port():
    m = HttpMessage.request_of("GET", "http://Node-A.test:8080/?var=this%20is%20a%20big%0Amultiline%20value")
    assert _value(m, "@authority") == "node-a.test:8080"
    assert _value(m, '"@query-param";name="var"') == "this%20is%20a%20big%0Amultiline%20value"
    assert _value(HttpMessage.request_of("GET", "https://example.com:443/x"), "@authority") == "example.com"
    assert _value(HttpMessage.request_of("GET", "https://example.com"), "@path") == "/"
    assert _value(HttpMessage.request_of("GET", "https://example.com/x"), "@query") == "?"
    with pytest.raises(ComponentError):
        _value(m, '"@query-param";name="missing"')


def test_status_and_req_components_on_a_response():
    response = _response()
    assert _value(response, "@status") == "200"
    assert _value(response, '"@method";req') == "POST"
    assert _value(response, '"@authority";req') == "example.com"
    with pytest.raises(ComponentError):
        _value(_request(), "@status")


def test_field_parameters_sf_key_bs_and_multiple_values():
    m = HttpMessage.request_of("GET", "https://example.com/", [
        ("Example-Dict", " a=1,    b=2;x=1;y=2,   c=(a   b   c)"),
        ("Example-Header", "value, with, lots"),
        ("Example-Header", "of, commas"),
        ("X-Obs", "  padded  "),
    ])
    assert _value(m, '"example-dict";key="b"') == "2;x=1;y=2"
    assert _value(m, '"example-dict";key="c"') == "(a b c)"
    assert _value(m, "example-header") == "value, with, lots, of, commas"
    assert _value(m, '"example-header";bs') == ":dmFsdWUsIHdpdGgsIGxvdHM=:, :b2YsIGNvbW1hcw==:"
    assert _value(m, "x-obs") == "padded"
    m.headers["Signature-Input"] = 'sig1=("@method");created=1,   sig2=("@path")'
    assert _value(m, '"signature-input";sf') == 'sig1=("@method");created=1, sig2=("@path")'


def test_duplicate_and_signature_params_components_are_refused():
    m = _request()
    with pytest.raises(ComponentError):
        signature_base(m, [Component("@method"), Component("@method")], {})
    with pytest.raises(ComponentError):
        signature_base(m, [Component("@signature-params")], {})


def test_multiple_signatures_are_parsed_by_label():
    vector_a, vector_b = ALL["sig-b25"], ALL["sig-b26"]
    m = _request()
    inputs = {**parse_dictionary(vector_a["signature_input"]), **parse_dictionary(vector_b["signature_input"])}
    sigs = {**parse_dictionary(vector_a["signature"]), **parse_dictionary(vector_b["signature"])}
    m.headers["Signature-Input"] = serialize_dictionary(inputs)
    m.headers["Signature"] = serialize_dictionary(sigs)
    parsed = {s.label: s for s in parse_signatures(m)}
    assert set(parsed) == {"sig-b25", "sig-b26"}
    assert verify_message(m, parsed["sig-b26"], _keys("test-key-ed25519")[1])
    assert verify_message(m, parsed["sig-b25"], _keys("test-shared-secret")[1])
