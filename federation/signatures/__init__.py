"""HTTP signatures for ActivityPub: draft-cavage-12 and RFC 9421 (+ Digest / Content-Digest),
signing outbound requests and verifying inbound ones against keys a resolver supplies."""

from .cavage import CavageError, CavageSignature, parse_signature_header
from .digest import (
    DigestMismatch,
    content_digest_header,
    digest_header,
    verify_content_digest_header,
    verify_digest_header,
)
from .keys import (
    SharedSecret,
    SigningKey,
    UnusableKeyError,
    generate_rsa_keypair,
    load_private_key,
    load_public_key,
    public_key_pem,
)
from .message import HttpMessage
from .rfc9421 import Component, ComponentError, MessageSignature, SignatureHeaders, parse_signatures
from .signer import Scheme, sign_request
from .verifier import (
    DEFAULT_MAX_AGE,
    DEFAULT_MAX_FUTURE,
    KeyResolver,
    PublicKeyInfo,
    SignatureError,
    SignatureVerifier,
    VerifiedSignature,
)

__all__ = [
    "DEFAULT_MAX_AGE",
    "DEFAULT_MAX_FUTURE",
    "CavageError",
    "CavageSignature",
    "Component",
    "ComponentError",
    "DigestMismatch",
    "HttpMessage",
    "KeyResolver",
    "MessageSignature",
    "PublicKeyInfo",
    "Scheme",
    "SharedSecret",
    "SignatureError",
    "SignatureHeaders",
    "SignatureVerifier",
    "SigningKey",
    "UnusableKeyError",
    "VerifiedSignature",
    "content_digest_header",
    "digest_header",
    "generate_rsa_keypair",
    "load_private_key",
    "load_public_key",
    "parse_signature_header",
    "parse_signatures",
    "public_key_pem",
    "sign_request",
    "verify_content_digest_header",
    "verify_digest_header",
]
