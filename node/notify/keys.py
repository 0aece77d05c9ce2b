"""The node's notification secrets, kept in the data folder beside the instance key: the VAPID key (RFC 8292)
that signs every Web Push request, and the secret that signs one-click links in mails. `entativa init`
makes them; a node started without init (tests, benchmarks) makes them on first start the same way."""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def _write_once(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):  # two processes starting at once: the first one's file wins
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)


def vapid_private_key(data_dir: Path) -> ec.EllipticCurvePrivateKey:
    path = data_dir / "vapid-key.pem"
    if not path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        _write_once(
            path,
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
        )
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError(f"{path}: not a P-256 private key")
    return key


def public_key_b64(key: ec.EllipticCurvePrivateKey) -> str:
    """The uncompressed public point, base64url without padding: what browsers take as applicationServerKey."""
    raw = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def link_secret(data_dir: Path) -> bytes:
    path = data_dir / "link-secret"
    if not path.exists():
        _write_once(path, secrets.token_hex(32).encode())
    return path.read_bytes().strip()
