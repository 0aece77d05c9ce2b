"""The HTTP message as both signature schemes see it: method, target URI, status, headers and body,
independent of the HTTP library that carried it, plus the URI-derived parts they sign."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from multidict import CIMultiDict

if TYPE_CHECKING:
    from aiohttp import web

HeaderInput = Mapping[str, str] | Iterable[tuple[str, str]] | None

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _headers(value: HeaderInput) -> CIMultiDict[str]:
    if value is None:
        return CIMultiDict()
    if isinstance(value, Mapping):
        # A CIMultiDict is a Mapping too; items() on it keeps repeated fields.
        return CIMultiDict(list(value.items()))
    return CIMultiDict(list(value))


@dataclass
class HttpMessage:
    """A request (method + url) or a response (status; `request` for `;req` components)."""

    method: str = ""
    url: str = ""
    headers: CIMultiDict[str] = field(default_factory=CIMultiDict)
    body: bytes | None = None
    status: int | None = None
    request: HttpMessage | None = None

    @classmethod
    def request_of(cls, method: str, url: str, headers: HeaderInput = None, body: bytes | None = None) -> HttpMessage:
        return cls(method=method.upper(), url=url, headers=_headers(headers), body=body)

    @classmethod
    def response_of(
        cls, status: int, headers: HeaderInput = None, body: bytes | None = None, request: HttpMessage | None = None
    ) -> HttpMessage:
        return cls(status=status, headers=_headers(headers), body=body, request=request)

    @classmethod
    def from_aiohttp(cls, request: web.Request, body: bytes | None, *, scheme: str | None = None) -> HttpMessage:
        """An inbound aiohttp request; `scheme` overrides what the socket says (TLS-terminating proxy)."""
        scheme = scheme or request.scheme
        host = request.headers.get("Host") or request.host
        url = f"{scheme}://{host}{request.raw_path}"
        return cls(method=request.method.upper(), url=url, headers=CIMultiDict(request.headers), body=body)

    # -- fields --------------------------------------------------------------------------------

    def header_values(self, name: str) -> list[str]:
        return self.headers.getall(name, [])

    def combined_header(self, name: str) -> str | None:
        """All values of a field, each trimmed, joined by ", " (as both schemes canonicalise)."""
        values = self.header_values(name)
        if not values:
            return None
        # obs-fold: a folded line becomes a single space.
        return ", ".join(v.replace("\r\n", " ").replace("\n", " ").strip() for v in values)

    # -- URI-derived parts ----------------------------------------------------------------------

    @property
    def scheme(self) -> str:
        return urlsplit(self.url).scheme.lower()

    @property
    def authority(self) -> str:
        """host[:port] in lower case, the default port for the scheme left out."""
        parts = urlsplit(self.url)
        host = (parts.hostname or "").lower()
        if ":" in host:  # IPv6 literal
            host = f"[{host}]"
        if parts.port is not None and parts.port != _DEFAULT_PORTS.get(parts.scheme.lower()):
            return f"{host}:{parts.port}"
        return host

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"

    @property
    def query(self) -> str:
        """The query with its leading "?"; just "?" when there is none (RFC 9421 2.2.7)."""
        return "?" + urlsplit(self.url).query

    @property
    def request_target(self) -> str:
        """Path and query as sent on the request line (origin form)."""
        parts = urlsplit(self.url)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
