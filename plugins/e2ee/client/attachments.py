"""Encrypted attachments, as Matrix encrypts them (its "v2" encrypted file): each file gets a fresh
AES-256-CTR key and IV, and the message carries {url, key (a JWK), iv, hashes: {sha256 of the ciphertext}}
inside its own ciphertext. The node stores the ciphertext and never the key; the recipient checks the hash
before decrypting. The browser does the same with WebCrypto (themes/vignette/static/messages/attachments.js)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import mimetypes
import os
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


class AttachmentRefused(Exception):
    """A downloaded ciphertext whose hash is not the one the message promised, or a malformed file object."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    text = text.replace("-", "+").replace("_", "/")
    return base64.b64decode(text + "=" * (-len(text) % 4))


def encrypt(plaintext: bytes) -> tuple[bytes, dict[str, Any]]:
    """The ciphertext and the file object (without its url) that decrypts it."""
    key = os.urandom(32)
    iv = os.urandom(8) + b"\0" * 8  # the low 64 bits are the block counter (WebCrypto's `length: 64`)
    encryptor = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    ciphertext = encryptor.update(plaintext) + encryptor.finalize()
    return ciphertext, {
        "v": "v2", "iv": _b64(iv), "hashes": {"sha256": _b64(hashlib.sha256(ciphertext).digest())},
        "key": {"kty": "oct", "alg": "A256CTR", "ext": True, "key_ops": ["encrypt", "decrypt"],
                "k": base64.urlsafe_b64encode(key).decode().rstrip("=")}}


def decrypt(ciphertext: bytes, file: dict[str, Any]) -> bytes:
    """The plaintext, after checking the ciphertext against the hash the message carried."""
    try:
        expected = _unb64(file["hashes"]["sha256"])
        key, iv = _unb64(file["key"]["k"]), _unb64(file["iv"])
        if file.get("v") != "v2" or file["key"].get("alg") != "A256CTR" or len(key) != 32 or len(iv) != 16:
            raise ValueError("not an A256CTR v2 file")
    except (KeyError, TypeError, ValueError) as exc:
        raise AttachmentRefused(f"a malformed encrypted file: {exc}") from None
    if not hmac.compare_digest(hashlib.sha256(ciphertext).digest(), expected):
        raise AttachmentRefused("the ciphertext does not match its hash (changed on the way or on a server)")
    decryptor = Cipher(algorithms.AES(key), modes.CTR(iv)).decryptor()
    return decryptor.update(ciphertext) + decryptor.finalize()


def kind_of(mimetype: str) -> str:
    """How a client shows it: inline image, video or audio, or a file to save."""
    major = mimetype.split("/", 1)[0]
    return major if major in ("image", "video", "audio") else "file"


def guess_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"
