"""The one interface the client library does its cryptography through, so that vodozemac (the default) and
python-olm (libolm) are interchangeable and wire-compatible. Keys, signatures and ciphertexts cross it as
unpadded base64 text, the format both libraries and the Matrix/Olm specification use."""

from __future__ import annotations

from typing import Protocol


class CryptoError(Exception):
    """A decryption, session or signature failure in a backend (whichever library raised it)."""


class OlmSession(Protocol):
    """A 1:1 Olm session with one other device."""

    @property
    def session_id(self) -> str: ...

    def encrypt(self, plaintext: bytes) -> tuple[int, str]:
        """(message type: 0 pre-key or 1 normal, ciphertext)."""

    def decrypt(self, message_type: int, ciphertext: str) -> bytes: ...

    def matches(self, ciphertext: str, sender_key: str) -> bool:
        """Whether a pre-key message belongs to this session."""

    def pickle(self, key: bytes) -> str: ...


class OlmAccount(Protocol):
    """A device's long-term identity: Curve25519 and Ed25519 key pairs, one-time and fallback keys."""

    @property
    def identity_key(self) -> str: ...

    @property
    def fingerprint_key(self) -> str: ...

    def sign(self, message: bytes) -> str: ...

    def generate_one_time_keys(self, count: int) -> dict[str, str]:
        """Make `count` keys; returns every unpublished one-time key (key id -> public key)."""

    def generate_fallback_key(self) -> tuple[str, str]:
        """Make a new fallback key; returns (key id, public key)."""

    def mark_published(self) -> None: ...

    def create_outbound(self, identity_key: str, one_time_key: str) -> OlmSession: ...

    def create_inbound(self, sender_identity_key: str, ciphertext: str) -> tuple[OlmSession, bytes]:
        """A session from a pre-key message, and the message's plaintext (its one-time key is used up)."""

    def pickle(self, key: bytes) -> str: ...


class OutboundGroupSession(Protocol):
    """Our Megolm sending session for one group."""

    @property
    def session_id(self) -> str: ...

    @property
    def session_key(self) -> str:
        """The key at the current index: whoever gets it can read from here on, never before."""

    @property
    def message_index(self) -> int: ...

    def encrypt(self, plaintext: bytes) -> str: ...

    def pickle(self, key: bytes) -> str: ...


class InboundGroupSession(Protocol):
    """Someone's Megolm session as we received it."""

    @property
    def session_id(self) -> str: ...

    @property
    def first_known_index(self) -> int: ...

    def decrypt(self, ciphertext: str) -> tuple[bytes, int]:
        """(plaintext, message index); a message before the first known index fails."""

    def pickle(self, key: bytes) -> str: ...


class CryptoBackend(Protocol):
    """A cryptography library behind the client: makes accounts and group sessions, loads pickles, verifies."""

    name: str

    def new_account(self) -> OlmAccount: ...

    def load_account(self, pickle: str, key: bytes) -> OlmAccount: ...

    def load_session(self, pickle: str, key: bytes) -> OlmSession: ...

    def new_outbound_group(self) -> OutboundGroupSession: ...

    def load_outbound_group(self, pickle: str, key: bytes) -> OutboundGroupSession: ...

    def new_inbound_group(self, session_key: str) -> InboundGroupSession: ...

    def load_inbound_group(self, pickle: str, key: bytes) -> InboundGroupSession: ...

    def verify(self, fingerprint_key: str, message: bytes, signature: str) -> None:
        """Raise CryptoError unless `signature` is `fingerprint_key`'s Ed25519 signature of `message`."""


def load_backend(name: str = "vodozemac") -> CryptoBackend:
    """The backend called `name`: "vodozemac" (default) or "olm"."""
    if name == "vodozemac":
        from .vodozemac_backend import VodozemacBackend

        return VodozemacBackend()
    if name in ("olm", "python-olm", "libolm"):
        from .olm_backend import OlmBackend

        return OlmBackend()
    raise ValueError(f"unknown crypto backend {name!r} (vodozemac or olm)")
