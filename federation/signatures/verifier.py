"""Inbound request authentication: which signatures we accept (cavage-12 or RFC 9421), the time window,
the digest and coverage rules, and key lookup through a caller-supplied resolver with one refetch on
failure (so a peer's key rotation costs one extra fetch, not a rejected delivery)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from . import cavage, ld, rfc9421
from .digest import DigestMismatch, verify_content_digest_header, verify_digest_header
from .keys import PublicKey, SharedSecret, UnusableKeyError, VerifyKey, load_public_key
from .message import HttpMessage

if TYPE_CHECKING:
    from aiohttp import web

DEFAULT_MAX_AGE = 12 * 3600.0  # seconds a signature may be old: queued retries are re-signed, but
# peers' clocks and slow relays are not perfect; Mastodon uses the same 12 h window.
DEFAULT_MAX_FUTURE = 3600.0  # seconds of clock skew tolerated for signatures dated in the future


class SignatureError(Exception):
    """A request failed authentication; `reason` says why (safe to return to the peer)."""

    def __init__(self, reason: str, *, status: int = 401) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class PublicKeyInfo:
    """What a key resolver returns: the actor that owns the key, and the key (PEM or loaded)."""

    owner: str
    public_key: str | bytes | PublicKey | SharedSecret
    key_id: str | None = None
    algorithm: str | None = None  # RFC 9421 name, when the key's metadata fixes it (e.g. RSA-PSS)

    def loaded(self) -> VerifyKey:
        return load_public_key(self.public_key)


# async def resolve_key(key_id: str, refresh: bool) -> PublicKeyInfo | None
# refresh=False may answer from a cache; refresh=True must fetch the key document anew.
KeyResolver = Callable[[str, bool], Awaitable[PublicKeyInfo | None]]


@dataclass(frozen=True)
class VerifiedSignature:
    """A request that passed authentication: who signed it and what the signature covered."""

    key_id: str
    owner: str
    scheme: str  # "cavage" or "rfc9421"
    covered: tuple[str, ...]
    signed_at: float | None

    def require_actor(self, actor_id: str) -> None:
        """Raise SignatureError unless the key's owner is `actor_id` (e.g. the activity's actor)."""
        if self.owner != actor_id:
            raise SignatureError(f"key {self.key_id} belongs to {self.owner}, not to {actor_id}")


class SignatureVerifier:
    """Verifies signed requests; construct once with the node's key resolver and reuse."""

    def __init__(
        self,
        resolve_key: KeyResolver,
        *,
        max_age: float = DEFAULT_MAX_AGE,
        max_future: float = DEFAULT_MAX_FUTURE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._resolve = resolve_key
        self.max_age = max_age
        self.max_future = max_future
        self._clock = clock

    async def verify_request(self, request: web.Request, body: bytes, *, scheme: str | None = None) -> VerifiedSignature:
        """Verify an aiohttp request whose body was already read (pass b"" for GET)."""
        return await self.verify(HttpMessage.from_aiohttp(request, body, scheme=scheme))

    async def verify(self, message: HttpMessage) -> VerifiedSignature:
        """Authenticate `message` or raise SignatureError."""
        if message.header_values("Signature-Input"):
            return await self._verify_rfc9421(message)
        header = message.combined_header("Signature")
        if header is None:
            auth = message.combined_header("Authorization") or ""
            if auth[:10].lower() == "signature ":
                header = auth
        if header is None:
            raise SignatureError("request is not signed")
        return await self._verify_cavage(message, header)

    async def verify_document(self, doc: dict[str, Any]) -> PublicKeyInfo:
        """Authenticate a document by its Linked Data Signature (an activity relayed by someone other
        than its author); returns the signing key's info, whose `owner` the caller must check."""
        try:
            # URDNA2015 canonicalisation is milliseconds of pure-Python CPU: keep it off the event loop.
            data = await asyncio.to_thread(ld.signed_input, doc)
        except ld.LDSignatureError as exc:
            raise SignatureError(str(exc)) from None
        creator = doc["signature"]["creator"]
        return await self._check_with_key(creator, lambda info: ld.verify(doc, info.loaded(), data))

    # -- shared steps ---------------------------------------------------------------------------

    def _check_time(self, signed_at: float, expires: float | None = None) -> None:
        now = self._clock()
        if signed_at < now - self.max_age:
            raise SignatureError("signature is too old")
        if signed_at > now + self.max_future:
            raise SignatureError("signature is dated in the future")
        if expires is not None and expires < now:
            raise SignatureError("signature has expired")

    def _date_header(self, message: HttpMessage) -> float:
        value = message.combined_header("Date")
        if value is None:
            raise SignatureError("signed Date header is missing")
        try:
            return parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError) as exc:
            raise SignatureError("Date header is not an HTTP date") from exc

    async def _key(self, key_id: str, refresh: bool) -> PublicKeyInfo | None:
        try:
            return await self._resolve(key_id, refresh)
        except SignatureError:
            raise
        except Exception as exc:  # noqa: BLE001 - any resolver failure means "cannot authenticate"
            raise SignatureError(f"key {key_id} could not be resolved: {exc}") from exc

    async def _check_with_key(self, key_id: str, check: Callable[[PublicKeyInfo], bool]) -> PublicKeyInfo:
        """Run `check` with the cached key, then once more with a refetched one if that fails."""
        info = await self._key(key_id, False)
        refreshed = False
        if info is None:
            info, refreshed = await self._key(key_id, True), True
        if info is None:
            raise SignatureError(f"key {key_id} is unknown")
        if self._passes(info, check):
            return info
        if not refreshed:
            fresh = await self._key(key_id, True)
            if fresh is not None and self._passes(fresh, check):
                return fresh
        raise SignatureError("signature does not verify")

    @staticmethod
    def _passes(info: PublicKeyInfo, check: Callable[[PublicKeyInfo], bool]) -> bool:
        try:
            return check(info)
        except UnusableKeyError:
            return False

    # -- draft-cavage-12 ------------------------------------------------------------------------

    async def _verify_cavage(self, message: HttpMessage, header: str) -> VerifiedSignature:
        try:
            parsed = cavage.parse_signature_header(header)
        except cavage.CavageError as exc:
            raise SignatureError(f"malformed signature: {exc}") from exc
        covered = set(parsed.headers)
        for required in ("(request-target)", "host"):
            if required not in covered:
                raise SignatureError(f"signature must cover {required}")
        if "date" in covered:
            signed_at = self._date_header(message)
        elif "(created)" in covered and parsed.created is not None:
            signed_at = float(parsed.created)
        else:
            raise SignatureError("signature must cover date or (created)")
        self._check_time(signed_at, parsed.expires if "(expires)" in covered else None)
        self._check_body(message, covered, "digest")

        def check(info: PublicKeyInfo) -> bool:
            try:
                return cavage.verify_message(message, parsed, info.loaded())
            except cavage.CavageError as exc:
                raise SignatureError(str(exc)) from exc

        info = await self._check_with_key(parsed.key_id, check)
        return VerifiedSignature(parsed.key_id, info.owner, "cavage", parsed.headers, signed_at)

    def _check_body(self, message: HttpMessage, covered: set[str], digest_name: str) -> None:
        body = message.body or b""
        digest = message.combined_header(digest_name)
        if body and digest_name not in covered:
            raise SignatureError(f"a request with a body must sign its {digest_name} header")
        if digest is None:
            return
        try:
            if digest_name == "digest":
                verify_digest_header(digest, body)
            else:
                verify_content_digest_header(digest, body)
        except DigestMismatch as exc:
            raise SignatureError(str(exc)) from exc

    # -- RFC 9421 ------------------------------------------------------------------------------

    async def _verify_rfc9421(self, message: HttpMessage) -> VerifiedSignature:
        try:
            signatures = rfc9421.parse_signatures(message)
        except rfc9421.ComponentError as exc:
            raise SignatureError(f"malformed signature: {exc}") from exc
        if not signatures:
            raise SignatureError("Signature-Input has no matching Signature")
        # Several signatures may be present (e.g. one added by a proxy); accept the first of ours
        # that satisfies policy, reporting the first failure if none does.
        first_error: SignatureError | None = None
        for sig in signatures:
            try:
                return await self._verify_one_rfc9421(message, sig)
            except SignatureError as exc:
                first_error = first_error or exc
        assert first_error is not None
        raise first_error

    async def _verify_one_rfc9421(self, message: HttpMessage, sig: rfc9421.MessageSignature) -> VerifiedSignature:
        if not sig.key_id:
            raise SignatureError("signature has no keyid")
        names = sig.covered_names
        if "@method" not in names:
            raise SignatureError("signature must cover @method")
        if "@target-uri" not in names and not ({"@authority", "@path"} <= names):
            raise SignatureError("signature must cover @target-uri, or @authority and @path")
        if sig.created is not None:
            signed_at = float(sig.created)
        elif "date" in names:
            signed_at = self._date_header(message)
        else:
            raise SignatureError("signature must carry created or cover date")
        self._check_time(signed_at, sig.expires)
        self._check_body(message, names, "content-digest")

        def check(info: PublicKeyInfo) -> bool:
            try:
                return rfc9421.verify_message(message, sig, info.loaded(), key_alg=info.algorithm)
            except rfc9421.ComponentError as exc:
                raise SignatureError(str(exc)) from exc

        info = await self._check_with_key(sig.key_id, check)
        covered = tuple(c.identifier() for c in sig.components)
        return VerifiedSignature(sig.key_id, info.owner, "rfc9421", covered, signed_at)
