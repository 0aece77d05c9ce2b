"""The python-olm backend (libolm: deprecated upstream, kept as a compatible backend). libolm accepts
non-contributory keys and malleable signatures, so the client checks those itself (signing.py) before any
key or signature reaches either backend."""

from __future__ import annotations

from typing import Any

import olm

from .backend import CryptoError

_ERRORS = (olm.OlmSessionError, olm.OlmAccountError, olm.OlmGroupSessionError, ValueError, TypeError)


def _message(message_type: int, ciphertext: str) -> Any:
    return olm.OlmPreKeyMessage(ciphertext) if message_type == 0 else olm.OlmMessage(ciphertext)


def _passphrase(key: bytes) -> str:
    return key.hex()  # python-olm takes the pickle passphrase as text


def _bytes(value: Any) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


class _Session:
    def __init__(self, session: Any) -> None:
        self._s = session

    @property
    def session_id(self) -> str:
        return self._s.id

    def encrypt(self, plaintext: bytes) -> tuple[int, str]:
        message = self._s.encrypt(plaintext)
        return message.message_type, message.ciphertext

    def decrypt(self, message_type: int, ciphertext: str) -> bytes:
        try:
            return _bytes(self._s.decrypt(_message(message_type, ciphertext)))
        except _ERRORS as exc:
            raise CryptoError(str(exc)) from None

    def matches(self, ciphertext: str, sender_key: str) -> bool:
        try:
            return bool(self._s.matches(olm.OlmPreKeyMessage(ciphertext), sender_key))
        except _ERRORS:
            return False

    def pickle(self, key: bytes) -> str:
        return _text(self._s.pickle(_passphrase(key)))


class _Account:
    def __init__(self, account: Any) -> None:
        self._a = account

    @property
    def identity_key(self) -> str:
        return self._a.identity_keys["curve25519"]

    @property
    def fingerprint_key(self) -> str:
        return self._a.identity_keys["ed25519"]

    def sign(self, message: bytes) -> str:
        return self._a.sign(message)

    def generate_one_time_keys(self, count: int) -> dict[str, str]:
        self._a.generate_one_time_keys(count)
        return dict(self._a.one_time_keys["curve25519"])

    def generate_fallback_key(self) -> tuple[str, str]:
        self._a.generate_fallback_key()
        key_id, key = next(iter(self._a.fallback_key["curve25519"].items()))
        return key_id, key

    def mark_published(self) -> None:
        self._a.mark_keys_as_published()

    def create_outbound(self, identity_key: str, one_time_key: str) -> _Session:
        try:
            return _Session(olm.OutboundSession(self._a, identity_key, one_time_key))
        except _ERRORS as exc:
            raise CryptoError(str(exc)) from None

    def create_inbound(self, sender_identity_key: str, ciphertext: str) -> tuple[_Session, bytes]:
        try:
            message = olm.OlmPreKeyMessage(ciphertext)
            session = olm.InboundSession(self._a, message, sender_identity_key)
            plaintext = _bytes(session.decrypt(message))
            self._a.remove_one_time_keys(session)
        except _ERRORS as exc:
            raise CryptoError(str(exc)) from None
        return _Session(session), plaintext

    def pickle(self, key: bytes) -> str:
        return _text(self._a.pickle(_passphrase(key)))


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else value


class _Outbound:
    def __init__(self, session: Any) -> None:
        self._g = session

    @property
    def session_id(self) -> str:
        return self._g.id

    @property
    def session_key(self) -> str:
        return self._g.session_key

    @property
    def message_index(self) -> int:
        return self._g.message_index

    def encrypt(self, plaintext: bytes) -> str:
        return self._g.encrypt(plaintext)

    def pickle(self, key: bytes) -> str:
        return _text(self._g.pickle(_passphrase(key)))


class _Inbound:
    def __init__(self, session: Any) -> None:
        self._g = session

    @property
    def session_id(self) -> str:
        return self._g.id

    @property
    def first_known_index(self) -> int:
        return self._g.first_known_index

    def decrypt(self, ciphertext: str) -> tuple[bytes, int]:
        try:
            plaintext, index = self._g.decrypt(ciphertext)
        except (*_ERRORS, UnicodeDecodeError) as exc:
            raise CryptoError(str(exc)) from None
        return _bytes(plaintext), index

    def pickle(self, key: bytes) -> str:
        return _text(self._g.pickle(_passphrase(key)))


class OlmBackend:
    name = "olm"

    def new_account(self) -> _Account:
        return _Account(olm.Account())

    def load_account(self, pickle: str, key: bytes) -> _Account:
        return _Account(olm.Account.from_pickle(pickle.encode(), _passphrase(key)))

    def load_session(self, pickle: str, key: bytes) -> _Session:
        return _Session(olm.Session.from_pickle(pickle.encode(), _passphrase(key)))

    def new_outbound_group(self) -> _Outbound:
        return _Outbound(olm.OutboundGroupSession())

    def load_outbound_group(self, pickle: str, key: bytes) -> _Outbound:
        return _Outbound(olm.OutboundGroupSession.from_pickle(pickle.encode(), _passphrase(key)))

    def new_inbound_group(self, session_key: str) -> _Inbound:
        try:
            return _Inbound(olm.InboundGroupSession(session_key))
        except _ERRORS as exc:
            raise CryptoError(str(exc)) from None

    def load_inbound_group(self, pickle: str, key: bytes) -> _Inbound:
        return _Inbound(olm.InboundGroupSession.from_pickle(pickle.encode(), _passphrase(key)))

    def verify(self, fingerprint_key: str, message: bytes, signature: str) -> None:
        try:
            olm.ed25519_verify(fingerprint_key, message, signature)
        except (olm.OlmVerifyError, ValueError, TypeError) as exc:
            raise CryptoError(f"bad signature: {exc}") from None
