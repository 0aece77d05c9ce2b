"""Fixtures for the federation protocol tests: the interop material and session-wide keys."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The test modules import the fed_interop helpers by name; make that work under any pytest import mode.
sys.path.insert(0, str(Path(__file__).parent))

from fed_interop import INTEROP  # noqa: E402

from federation.signatures import SigningKey, generate_rsa_keypair  # noqa: E402


@pytest.fixture(scope="session")
def interop() -> Path:
    assert INTEROP.is_dir(), f"interop material not found at {INTEROP}"
    return INTEROP


@pytest.fixture(scope="session")
def rsa_keypair() -> tuple[str, str]:
    """One 2048-bit key pair for the session: generating keys is the slow part of these tests."""
    return generate_rsa_keypair()


@pytest.fixture(scope="session")
def other_rsa_keypair() -> tuple[str, str]:
    return generate_rsa_keypair()


@pytest.fixture
def signing_key(rsa_keypair: tuple[str, str]) -> SigningKey:
    return SigningKey.from_pem("https://node-a.test/users/alice#main-key", rsa_keypair[0])
