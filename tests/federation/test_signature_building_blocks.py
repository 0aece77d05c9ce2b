"""The pieces under both signature schemes: RFC 8941 structured fields, body digests, and the key
cache that keeps bulk signing cheap."""

from __future__ import annotations

import base64
import hashlib
from decimal import Decimal

import pytest

from federation.signatures import (
    DigestMismatch,
    SharedSecret,
    SigningKey,
    UnusableKeyError,
    content_digest_header,
    digest_header,
    load_private_key,
    load_public_key,
    public_key_pem,
    verify_content_digest_header,
    verify_digest_header,
)
from federation.signatures.keys import sign_bytes, verify_bytes
from federation.signatures.structured import (
    InnerList,
    Item,
    StructuredFieldError,
    Token,
    parse_dictionary,
    parse_item,
    parse_list,
    serialize_dictionary,
    serialize_item,
    serialize_list,
)

# -- structured fields -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,value",
    [("42", 42), ("-7", -7), ("4.5", Decimal("4.5")), ('"a \\"q\\" \\\\"', 'a "q" \\'), ("tok/en:1", "tok/en:1"),
     (":aGk=:", b"hi"), ("?1", True), ("?0", False)],
)
def test_bare_items_round_trip(text, value):
    item = parse_item(text)
    assert item.value == value
    assert serialize_item(item) == text


def test_tokens_stay_tokens_and_strings_stay_strings():
    assert isinstance(parse_item("sha-256").value, Token)
    assert serialize_item(Item(Token("sha-256"))) == "sha-256"
    assert serialize_item(Item("sha-256")) == '"sha-256"'


def test_dictionary_with_inner_lists_params_and_bare_keys():
    text = 'sig1=("@method" "@path");created=1;keyid="k", flag, n=5;a=?0'
    members = parse_dictionary(text)
    assert isinstance(members["sig1"], InnerList)
    assert [i.value for i in members["sig1"].items] == ["@method", "@path"]
    assert members["sig1"].params == {"created": 1, "keyid": "k"}
    assert members["flag"].value is True and members["n"].params == {"a": False}
    assert serialize_dictionary(members) == text


def test_lists_and_whitespace():
    members = parse_list('a,   (b c);x,  "d"')
    assert serialize_list(members) == 'a, (b c);x, "d"'


@pytest.mark.parametrize("bad", ['"unterminated', ":not base64!:", "1234567890123456", "?2", '"tab\there"'])
def test_invalid_items_raise(bad):
    with pytest.raises(StructuredFieldError):
        parse_item(bad)


@pytest.mark.parametrize("bad", ["a=1,", 'Ab="x"', "a=1 b=2", "a=(b c", "=1"])
def test_invalid_dictionaries_raise(bad):
    with pytest.raises(StructuredFieldError):
        parse_dictionary(bad)


def test_decimal_serialisation_rounds_to_three_places():
    assert serialize_item(Item(Decimal("1.23456"))) == "1.235"
    assert serialize_item(Item(Decimal("2"))) == "2.0"


# -- digests ---------------------------------------------------------------------------------------


def test_digest_header_and_verification():
    body = b'{"type":"Like"}'
    value = digest_header(body)
    assert value == "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    verify_digest_header(value, body)
    verify_digest_header("sha-256=" + value.split("=", 1)[1], body)  # algorithm names are case-insensitive
    sha512 = "SHA-512=" + base64.b64encode(hashlib.sha512(body).digest()).decode()
    verify_digest_header(f"MD5=xyz, {sha512}", body)
    with pytest.raises(DigestMismatch):
        verify_digest_header(value, body + b" ")
    with pytest.raises(DigestMismatch, match="no SHA-256"):
        verify_digest_header("MD5=xyz", body)


def test_content_digest_header_and_verification():
    body = b'{"hello": "world"}'
    value = content_digest_header(body)
    assert value.startswith("sha-256=:") and value.endswith(":")
    verify_content_digest_header(value, body)
    verify_content_digest_header(content_digest_header(body, "sha-512"), body)
    with pytest.raises(DigestMismatch):
        verify_content_digest_header(value, b"{}")
    with pytest.raises(DigestMismatch):
        verify_content_digest_header('sha-256="not bytes"', body)
    with pytest.raises(DigestMismatch):
        verify_content_digest_header("md5=:AAAA:", body)


# -- keys ------------------------------------------------------------------------------------------


def test_parsed_keys_are_cached_by_pem(rsa_keypair):
    private_pem, public_pem = rsa_keypair
    assert load_private_key(private_pem) is load_private_key(private_pem)
    assert SigningKey.from_pem("a", private_pem).key is SigningKey.from_pem("b", private_pem).key
    assert load_public_key(public_pem) is load_public_key(public_pem.replace("\n", "\r\n") + "\n")
    assert public_key_pem(load_private_key(private_pem)) == public_pem


def test_unusable_keys_are_reported(rsa_keypair):
    with pytest.raises(UnusableKeyError):
        load_public_key("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----")
    with pytest.raises(UnusableKeyError):
        sign_bytes(load_private_key(rsa_keypair[0]), "ed25519", b"x")
    assert not verify_bytes(load_public_key(rsa_keypair[1]), "hmac-sha256", b"x", b"y")
    assert "secret" not in repr(SharedSecret(b"secret"))
