"""The one outbound HTTP client for federation: SSRF guard, timeouts, response size cap, manual redirects
(each hop re-checked and re-signed), and signed GET (authorized fetch) / signed POST (delivery)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver
from multidict import CIMultiDictProxy

from . import jsondoc
from .as2.context import AS2_ACCEPT, AS2_MEDIA_TYPE
from .netguard import BlockedAddressError, GuardedResolver, ip_literal, is_public_address
from .signatures import Scheme, SigningKey, sign_request

DEFAULT_MAX_RESPONSE_BYTES = 2 * 1024 * 1024  # actors and notes are KBs; collections pages rarely 1 MB
DEFAULT_TIMEOUT = 20.0
_REDIRECTS = {301, 302, 303, 307, 308}


class FetchError(Exception):
    """An outbound request failed; `reason` is safe to log and show to an admin."""

    def __init__(self, url: str, reason: str, *, status: int | None = None) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.status = status


class BlockedDestinationError(FetchError):
    """The destination is not allowed (non-public address, bad scheme) and was never contacted."""


class ResponseTooLargeError(FetchError):
    """The response body exceeded the size cap; reading stopped there."""


class HttpStatusError(FetchError):
    """The peer answered with a non-2xx status (`status`; `body` holds up to the size cap)."""

    def __init__(self, url: str, status: int, body: bytes = b"") -> None:
        super().__init__(url, f"HTTP {status}", status=status)
        self.body = body


@dataclass(frozen=True)
class FetchResponse:
    url: str  # after redirects
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    def json(self) -> Any:
        try:
            return jsondoc.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise FetchError(self.url, f"response is not JSON: {exc}") from exc


@dataclass(frozen=True)
class StreamedResponse:
    """A response whose body is read piece by piece (`chunks()`), never held whole."""

    url: str  # after redirects
    status: int
    headers: CIMultiDictProxy[str]
    content_length: int | None
    _response: aiohttp.ClientResponse
    _cap: int

    async def chunks(self, size: int = 64 * 1024) -> AsyncIterator[bytes]:
        """The body, stopping with ResponseTooLargeError past the cap (the connection is dropped then)."""
        total = 0
        try:
            async for chunk in self._response.content.iter_chunked(size):
                total += len(chunk)
                if total > self._cap:
                    self._response.close()
                    raise ResponseTooLargeError(self.url, f"body exceeds the cap of {self._cap} bytes")
                yield chunk
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _failure(self.url, exc) from exc


def _failure(url: str, exc: BaseException) -> FetchError:
    """The FetchError for what aiohttp raised while talking to `url`."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        cause = exc.os_error if isinstance(exc.os_error, BlockedAddressError) else exc.__cause__
        if isinstance(cause, BlockedAddressError):
            return BlockedDestinationError(url, str(cause))
        return FetchError(url, f"cannot connect: {exc}")
    if isinstance(exc, TimeoutError):
        return FetchError(url, "timed out")
    return FetchError(url, f"{type(exc).__name__}: {exc}")


class FederationClient:
    """Create once per process (it holds the connection pool), `await close()` at shutdown."""

    def __init__(
        self,
        *,
        user_agent: str = "Entativa",
        allow_private_addresses: bool = False,
        resolver: AbstractResolver | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = 10.0,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_redirects: int = 5,
        limit_per_host: int = 8,
    ) -> None:
        self.user_agent = user_agent
        self.allow_private_addresses = allow_private_addresses
        self.max_response_bytes = max_response_bytes
        self.max_redirects = max_redirects
        self._resolver = resolver
        self._timeout = aiohttp.ClientTimeout(total=timeout, connect=connect_timeout, sock_read=timeout)
        self._limit_per_host = limit_per_host
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> FederationClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            guard = GuardedResolver(self._resolver, allow_private_addresses=self.allow_private_addresses)
            connector = aiohttp.TCPConnector(resolver=guard, limit_per_host=self._limit_per_host)
            # trust_env stays False: an environment proxy would make the address checks meaningless.
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=self._timeout, headers={"User-Agent": self.user_agent},
                auto_decompress=True, trust_env=False,
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- guard -------------------------------------------------------------------------------------

    def check_destination(self, url: str) -> None:
        """Refuse URLs we must never contact; names are checked again when they resolve."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise BlockedDestinationError(url, f"scheme {parts.scheme!r} is not allowed")
        if not parts.hostname:
            raise BlockedDestinationError(url, "URL has no host")
        if parts.username or parts.password:
            raise BlockedDestinationError(url, "URLs with credentials are not fetched")
        literal = ip_literal(parts.hostname)
        # aiohttp does not call the resolver for IP literals, so they are checked here.
        if literal is not None and not self.allow_private_addresses and not is_public_address(literal):
            raise BlockedDestinationError(url, f"address {literal} is not public")

    # -- requests ----------------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        sign_with: SigningKey | None = None,
        scheme: Scheme = "cavage",
        max_bytes: int | None = None,
        follow_redirects: bool = True,
    ) -> FetchResponse:
        """Send one request (signed when `sign_with` is given) and read the body under the cap.

        Redirects are followed for GET/HEAD only, each hop checked and re-signed. Raises FetchError
        subclasses; non-2xx statuses are returned, not raised (see `get_activity`/`post_activity`)."""
        session = self._ensure_session()
        cap = self.max_response_bytes if max_bytes is None else max_bytes
        method = method.upper()
        for _hop in range(self.max_redirects + 1):
            self.check_destination(url)
            send = dict(headers or {})
            if sign_with is not None:
                send = sign_request(method, url, sign_with, body=body, headers=send, scheme=scheme)
            try:
                async with session.request(method, url, headers=send, data=body, allow_redirects=False) as resp:
                    location = resp.headers.get("Location")
                    if follow_redirects and resp.status in _REDIRECTS and location and method in ("GET", "HEAD"):
                        url = urljoin(url, location)
                        continue
                    data = await self._read_capped(resp, url, cap)
                    return FetchResponse(str(resp.url), resp.status, resp.headers, data)
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise _failure(url, exc) from exc
        raise FetchError(url, f"more than {self.max_redirects} redirects")

    @asynccontextmanager
    async def stream_get(
        self, url: str, *, max_bytes: int, headers: Mapping[str, str] | None = None,
        sign_with: SigningKey | None = None, scheme: Scheme = "cavage",
    ) -> AsyncIterator[StreamedResponse]:
        """A GET whose body is passed on as it arrives (a file relayed to a client) instead of read whole:
        the same guard, signing and redirect rules as `request`, the same cap, applied while reading."""
        session = self._ensure_session()
        for _hop in range(self.max_redirects + 1):
            self.check_destination(url)
            send = dict(headers or {})
            if sign_with is not None:
                send = sign_request("GET", url, sign_with, body=None, headers=send, scheme=scheme)
            try:
                # No total time limit (a large file takes what it takes), but a stalled read still ends.
                timeout = aiohttp.ClientTimeout(total=None, connect=self._timeout.connect,
                                                sock_read=self._timeout.sock_read)
                resp = await session.get(url, headers=send, allow_redirects=False, timeout=timeout)
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise _failure(url, exc) from exc
            location = resp.headers.get("Location")
            if resp.status in _REDIRECTS and location:
                resp.release()
                url = urljoin(url, location)
                continue
            try:
                if resp.content_length is not None and resp.content_length > max_bytes:
                    raise ResponseTooLargeError(url, f"declared {resp.content_length} bytes, cap is {max_bytes}")
                yield StreamedResponse(str(resp.url), resp.status, resp.headers, resp.content_length, resp, max_bytes)
            finally:
                resp.close()  # a relay cut short must not leave the rest of the body to drain
            return
        raise FetchError(url, f"more than {self.max_redirects} redirects")

    @staticmethod
    async def _read_capped(resp: aiohttp.ClientResponse, url: str, cap: int) -> bytes:
        declared = resp.content_length
        if declared is not None and declared > cap:
            resp.close()
            raise ResponseTooLargeError(url, f"declared {declared} bytes, cap is {cap}")
        chunks: list[bytes] = []
        total = 0
        async for chunk in resp.content.iter_chunked(64 * 1024):
            total += len(chunk)
            if total > cap:
                # close() drops the connection instead of draining what the peer keeps sending.
                resp.close()
                raise ResponseTooLargeError(url, f"body exceeds the cap of {cap} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    async def get_json(
        self, url: str, *, accept: str = "application/json", sign_with: SigningKey | None = None,
        scheme: Scheme = "cavage",
    ) -> Any:
        """GET a JSON document (WebFinger, NodeInfo...); non-2xx raises HttpStatusError."""
        resp = await self.request("GET", url, headers={"Accept": accept}, sign_with=sign_with, scheme=scheme)
        if not 200 <= resp.status < 300:
            raise HttpStatusError(resp.url, resp.status, resp.body)
        return resp.json()

    async def get_activity(
        self, url: str, *, sign_with: SigningKey | None = None, scheme: Scheme = "cavage"
    ) -> dict[str, Any]:
        """GET an ActivityStreams object (signed = authorized fetch); it must be a JSON object."""
        doc = await self.get_json(url, accept=AS2_ACCEPT, sign_with=sign_with, scheme=scheme)
        if not isinstance(doc, dict):
            raise FetchError(url, "ActivityStreams document is not a JSON object")
        return doc

    async def post_activity(
        self, inbox_url: str, activity: Mapping[str, Any] | bytes, *, sign_with: SigningKey,
        scheme: Scheme = "cavage",
    ) -> FetchResponse:
        """Deliver an activity to an inbox, signed; non-2xx raises HttpStatusError (its `status` tells
        the delivery queue whether to retry: 4xx other than 408/429 are permanent)."""
        body = activity if isinstance(activity, bytes) else json.dumps(activity, ensure_ascii=False).encode()
        resp = await self.request(
            "POST", inbox_url, headers={"Content-Type": AS2_MEDIA_TYPE, "Accept": AS2_ACCEPT},
            body=body, sign_with=sign_with, scheme=scheme, max_bytes=64 * 1024,
        )
        if not 200 <= resp.status < 300:
            raise HttpStatusError(resp.url, resp.status, resp.body)
        return resp
