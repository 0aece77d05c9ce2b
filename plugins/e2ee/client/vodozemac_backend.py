"""The default backend: vodozemac (Rust, maintained and audited; refuses non-contributory key exchanges and
malleable signatures by itself)."""

from __future__ import annotations

from typing import Any

import vodozemac as vz

from ..signing import b64decode, b64encode
from .backend import CryptoError

_ERRORS: tuple[type[Exception], ...] = (ValueError, vz.KeyException, vz.DecodeException)


def _key(pickle_key: bytes) -> bytes:
    return (pickle_key * 32)[:32]  # vodozemac pickles take exactly 32 bytes


class _Session:
    def __init__(self, session: Any) -> None:
        self._s = session

    @property
    def session_id(self) -> str:
        return self._s.session_id

    def encrypt(self, plaintext: bytes) -> tuple[int, str]:
        kind, data = self._s.encrypt(plaintext).to_parts()
        return kind, b64encode(data)

    def decrypt(self, message_type: int, ciphertext: str) -> bytes:
        try:
            return bytes(self._s.decrypt(vz.AnyOlmMessage.from_parts(message_type, b64decode(ciphertext))))
        except _ERRORS as exc:
            raise CryptoError(str(exc)) from None

    def matches(self, ciphertext: str, sender_key: str) -> bool:
        try:
            prekey = vz.AnyOlmMessage.from_parts(0, b64decode(ciphertext)).to_pre_key()
            return prekey is not None and self._s.session_matches(prekey)
        except _ERRORS:
            return False

    def pickle(self, key: bytes) -> str:
        return self._s.pickle(_key(key))


class _Account:
    def __init__(self, account: Any) -> None:
        self._a = account

    @property
    def identity_key(self) -> str:
        return self._a.curve25519_key.to_base64()

    @property
    def fingerprint_key(self) -> str:
        return self._a.ed25519_key.to_base64()

    def sign(self, message: bytes) -> str:
        return self._a.sign(message).to_base64()

    def generate_one_time_keys(self, count: int) -> dict[str, str]:
        self._a.generate_one_time_keys(count)
        return {key_id: key.to_base64() for key_id, key in self._a.one_time_keys.items()}

    def generate_fallback_key(self) -> tuple[str, str]:
        self._a.generate_fallback_key()
        key_id, key = next(iter(self._a.fallback_key.items()))
        return key_id, key.to_base64()

    def mark_published(self) -> None:
        self._a.mark_keys_as_published()

    def create_outbound(self, identity_key: str, one_time_key: str) -> _Session:
        try:
            return _Session(self._a.create_outbound_session(vz.Curve25519PublicKey.from_base64(identity_key),
                                                            vz.Curve25519PublicKey.from_base64(one_time_key)))
        except (*_ERRORS, vz.SessionCreationException) as exc:
            raise CryptoError(str(exc)) from None

    def create_inbound(self, sender_identity_key: str, ciphertext: str) -> tuple[_Session, bytes]:
        try:
            prekey = vz.AnyOlmMessage.from_parts(0, b64decode(ciphertext)).to_pre_key()
            if prekey is None:
                raise CryptoError("not a pre-key message")
            session, plaintext = self._a.create_inbound_session(
                vz.Curve25519PublicKey.from_base64(sender_identity_key), prekey)
        except (*_ERRORS, vz.SessionCreationException) as exc:
            raise CryptoError(str(exc)) from None
        return _Session(session), bytes(plaintext)

    def pickle(self, key: bytes) -> str:
        return self._a.pickle(_key(key))


class _Outbound:
    def __init__(self, session: Any) -> None:
        self._g = session

    @property
    def session_id(self) -> str:
        return self._g.session_id

    @property
    def session_key(self) -> str:
        return self._g.session_key.to_base64()

    @property
    def message_index(self) -> int:
        return self._g.message_index

    def encrypt(self, plaintext: bytes) -> str:
        return self._g.encrypt(plaintext).to_base64()

    def pickle(self, key: bytes) -> str:
        return self._g.pickle(_key(key))


class _Inbound:
    def __init__(self, session: Any) -> None:
        self._g = session

    @property
    def session_id(self) -> str:
        return self._g.session_id

    @property
    def first_known_index(self) -> int:
        return self._g.first_known_index

    def decrypt(self, ciphertext: str) -> tuple[bytes, int]:
        try:
            result = self._g.decrypt(vz.MegolmMessage.from_base64(ciphertext))
        except (*_ERRORS, vz.MegolmDecryptionException) as exc:
            raise CryptoError(str(exc)) from None
        return bytes(result.plaintext), result.message_index

    def pickle(self, key: bytes) -> str:
        return self._g.pickle(_key(key))


class VodozemacBackend:
    name = "vodozemac"

    def new_account(self) -> _Account:
        return _Account(vz.Account())

    def load_account(self, pickle: str, key: bytes) -> _Account:
        return _Account(vz.Account.from_pickle(pickle, _key(key)))

    def load_session(self, pickle: str, key: bytes) -> _Session:
        return _Session(vz.Session.from_pickle(pickle, _key(key)))

    def new_outbound_group(self) -> _Outbound:
        return _Outbound(vz.GroupSession())

    def load_outbound_group(self, pickle: str, key: bytes) -> _Outbound:
        return _Outbound(vz.GroupSession.from_pickle(pickle, _key(key)))

    def new_inbound_group(self, session_key: str) -> _Inbound:
        try:
            return _Inbound(vz.InboundGroupSession(vz.SessionKey(session_key)))
        except (*_ERRORS, vz.SessionKeyDecodeException) as exc:
            raise CryptoError(str(exc)) from None

    def load_inbound_group(self, pickle: str, key: bytes) -> _Inbound:
        return _Inbound(vz.InboundGroupSession.from_pickle(pickle, _key(key)))

    def verify(self, fingerprint_key: str, message: bytes, signature: str) -> None:
        try:
            vz.Ed25519PublicKey.from_base64(fingerprint_key).verify_signature(
                message, vz.Ed25519Signature.from_base64(signature))
        except (*_ERRORS, vz.SignatureException) as exc:
            raise CryptoError(f"bad signature: {exc}") from None
