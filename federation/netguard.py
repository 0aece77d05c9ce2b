"""The SSRF guard: which IP addresses outbound federation traffic may reach, and an aiohttp resolver that
enforces it at connect time, so a hostname that re-resolves to a private address (DNS rebinding) after
any earlier check is still refused."""

from __future__ import annotations

import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# NAT64 well-known prefix: 64:ff9b::a.b.c.d reaches the IPv4 host a.b.c.d through a translator.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class BlockedAddressError(OSError):
    """An outbound connection would reach a private, loopback, link-local or otherwise non-public address.

    An OSError so aiohttp's connector passes it through as the cause of its connection error."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"{host} resolves to non-public address {address}")
        self.host = host
        self.address = address


def _tunnelled_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 hosts a 6to4 or Teredo address delivers to."""
    found = []
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    return found


def is_public_address(address: str | IPAddress) -> bool:
    """True only for globally routable unicast addresses (IPv4 or IPv6, embedded IPv4 checked too)."""
    if isinstance(address, str):
        try:
            ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0].strip("[]"))
        except ValueError:
            return False
    else:
        ip = address
    if isinstance(ip, ipaddress.IPv6Address):
        # IPv4-mapped and NAT64 addresses reach exactly their IPv4 host: judge that host.
        if ip.ipv4_mapped is not None:
            return is_public_address(ip.ipv4_mapped)
        if ip in _NAT64:
            return is_public_address(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.is_site_local or not all(is_public_address(v4) for v4 in _tunnelled_ipv4(ip)):
            return False
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def ip_literal(host: str) -> IPAddress | None:
    """The address when `host` is an IP literal (with or without IPv6 brackets), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


class GuardedResolver(AbstractResolver):
    """Resolves through `inner` and drops every non-public result; refuses when none is left."""

    def __init__(self, inner: AbstractResolver | None = None, *, allow_private_addresses: bool = False) -> None:
        self._inner = inner
        self.allow_private_addresses = allow_private_addresses

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if self._inner is None:
            # Created lazily: the default resolver binds to the running event loop.
            self._inner = DefaultResolver()
        results = await self._inner.resolve(host, port, family)
        if self.allow_private_addresses:
            return results
        allowed = [r for r in results if is_public_address(r["host"])]
        if not allowed:
            raise BlockedAddressError(host, results[0]["host"] if results else "<none>")
        return allowed

    async def close(self) -> None:
        if self._inner is not None:
            await self._inner.close()
