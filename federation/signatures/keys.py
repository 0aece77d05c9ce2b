"""Signing and verification keys: PEM loading with a cache of parsed key objects, key generation,
and the raw sign/verify primitives of every algorithm the two signature schemes name.

Cost note (measured on the dev box, RSA-2048): parsing a private key PEM costs ~25 ms, because
OpenSSL checks the key's consistency; one signature ~0.2-1 ms; one verification ~0.05 ms. Parsed key
objects are therefore cached by PEM text (`load_private_key`, `load_public_key`, `SigningKey.from_pem`),
so bulk signing pays the parse once per key: 1,000 deliveries are ~0.2-1 s of CPU instead of ~25 s.
Signing is synchronous; a delivery worker signing in bulk should run it in an executor.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey


@dataclass(frozen=True)
class SharedSecret:
    """An HMAC key; kept in its own type so a PEM (also bytes) is never mistaken for a secret."""

    secret: bytes

    def __repr__(self) -> str:  # never print the secret
        return "SharedSecret(<redacted>)"


VerifyKey = PublicKey | SharedSecret
SignKey = PrivateKey | SharedSecret


class UnusableKeyError(ValueError):
    """A key could not be loaded or does not suit the requested algorithm."""


@lru_cache(maxsize=4096)
def _load_public_pem(pem: str) -> PublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise UnusableKeyError(f"unreadable public key PEM: {exc}") from exc
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
        raise UnusableKeyError(f"unsupported public key type {type(key).__name__}")
    return key


@lru_cache(maxsize=1024)
def _load_private_pem(pem: str) -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise UnusableKeyError(f"unreadable private key PEM: {exc}") from exc
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        raise UnusableKeyError(f"unsupported private key type {type(key).__name__}")
    return key


def load_public_key(key: str | bytes | VerifyKey) -> VerifyKey:
    """A verification key from a PEM (cached) or an already-loaded key object."""
    if isinstance(key, bytes):
        key = key.decode("ascii", "replace")
    if isinstance(key, str):
        # Some peers serve PEMs with \r\n or surrounding blanks; normalise so the cache hits.
        return _load_public_pem(key.strip().replace("\r\n", "\n"))
    return key


def load_private_key(key: str | bytes | SignKey) -> SignKey:
    """A signing key from a PEM (cached) or an already-loaded key object."""
    if isinstance(key, bytes):
        key = key.decode("ascii", "replace")
    if isinstance(key, str):
        return _load_private_pem(key.strip().replace("\r\n", "\n"))
    return key


def generate_rsa_keypair(bits: int = 2048) -> tuple[str, str]:
    """A new RSA key pair as (private PKCS#8 PEM, public SPKI PEM), the form actors publish."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    return private_pem, public_key_pem(key.public_key())


def public_key_pem(key: PublicKey | PrivateKey) -> str:
    """The SPKI PEM of a key (a private key yields its public half)."""
    if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        key = key.public_key()
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


# -- algorithms ----------------------------------------------------------------------------------
# RFC 9421 names. The cavage names map onto them: rsa-sha256 -> rsa-v1_5-sha256, and hs2019 is
# "whatever the key is", which for RSA keys means PKCS#1 v1.5 with SHA-256 in practice (Mastodon).

RSA_V15_SHA256 = "rsa-v1_5-sha256"
RSA_PSS_SHA512 = "rsa-pss-sha512"
ECDSA_P256_SHA256 = "ecdsa-p256-sha256"
ECDSA_P384_SHA384 = "ecdsa-p384-sha384"
ED25519 = "ed25519"
HMAC_SHA256 = "hmac-sha256"

ALGORITHMS = (RSA_V15_SHA256, RSA_PSS_SHA512, ECDSA_P256_SHA256, ECDSA_P384_SHA384, ED25519, HMAC_SHA256)


def default_algorithm(key: SignKey | VerifyKey) -> str:
    """The algorithm a key implies when a signature does not name one."""
    if isinstance(key, SharedSecret):
        return HMAC_SHA256
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return RSA_V15_SHA256
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return ED25519
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        if isinstance(key.curve, ec.SECP384R1):
            return ECDSA_P384_SHA384
        return ECDSA_P256_SHA256
    raise UnusableKeyError(f"unsupported key type {type(key).__name__}")


def _ec_params(alg: str) -> tuple[type[ec.EllipticCurve], hashes.HashAlgorithm, int]:
    if alg == ECDSA_P256_SHA256:
        return ec.SECP256R1, hashes.SHA256(), 32
    return ec.SECP384R1, hashes.SHA384(), 48


def sign_bytes(key: SignKey, alg: str, data: bytes) -> bytes:
    """Sign `data` with `key` under the RFC 9421 algorithm name `alg`."""
    if alg == HMAC_SHA256:
        if not isinstance(key, SharedSecret):
            raise UnusableKeyError("hmac-sha256 needs a shared secret")
        return hmac.new(key.secret, data, hashlib.sha256).digest()
    if alg in (RSA_V15_SHA256, RSA_PSS_SHA512):
        if not isinstance(key, rsa.RSAPrivateKey):
            raise UnusableKeyError(f"{alg} needs an RSA private key")
        if alg == RSA_V15_SHA256:
            return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        return key.sign(data, padding.PSS(padding.MGF1(hashes.SHA512()), 64), hashes.SHA512())
    if alg in (ECDSA_P256_SHA256, ECDSA_P384_SHA384):
        curve, digest, size = _ec_params(alg)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, curve):
            raise UnusableKeyError(f"{alg} needs a matching EC private key")
        # RFC 9421 wants the fixed-size r||s form, not the DER that OpenSSL produces.
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(digest)))
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    if alg == ED25519:
        if not isinstance(key, ed25519.Ed25519PrivateKey):
            raise UnusableKeyError("ed25519 needs an Ed25519 private key")
        return key.sign(data)
    raise UnusableKeyError(f"unsupported algorithm {alg!r}")


def verify_bytes(key: VerifyKey, alg: str, data: bytes, signature: bytes) -> bool:
    """True when `signature` is valid for `data` under `alg`; False for any mismatch."""
    try:
        if alg == HMAC_SHA256:
            if not isinstance(key, SharedSecret):
                return False
            return hmac.compare_digest(hmac.new(key.secret, data, hashlib.sha256).digest(), signature)
        if alg in (RSA_V15_SHA256, RSA_PSS_SHA512):
            if not isinstance(key, rsa.RSAPublicKey):
                return False
            if alg == RSA_V15_SHA256:
                key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
            else:
                pss = padding.PSS(padding.MGF1(hashes.SHA512()), padding.PSS.AUTO)
                key.verify(signature, data, pss, hashes.SHA512())
            return True
        if alg in (ECDSA_P256_SHA256, ECDSA_P384_SHA384):
            curve, digest, size = _ec_params(alg)
            if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, curve):
                return False
            if len(signature) != 2 * size:
                return False
            r = int.from_bytes(signature[:size], "big")
            s = int.from_bytes(signature[size:], "big")
            key.verify(encode_dss_signature(r, s), data, ec.ECDSA(digest))
            return True
        if alg == ED25519:
            if not isinstance(key, ed25519.Ed25519PublicKey):
                return False
            key.verify(signature, data)
            return True
    except (InvalidSignature, ValueError):
        return False
    return False


@dataclass(frozen=True)
class SigningKey:
    """A private key with the keyId peers dereference to find its public half (`...#main-key`)."""

    key_id: str
    key: SignKey

    @classmethod
    def from_pem(cls, key_id: str, private_pem: str | bytes) -> SigningKey:
        return cls(key_id, load_private_key(private_pem))

    def __repr__(self) -> str:
        return f"SigningKey({self.key_id!r})"
