"""A static host map resolver: sends fake hostnames such as `node-a.test` to loopback ports, for
multi-node tests and local set-ups, while requests keep their real Host header (signatures see it)."""

from __future__ import annotations

import socket
from collections.abc import Mapping

from aiohttp.abc import AbstractResolver, ResolveResult


class StaticHostResolver(AbstractResolver):
    """Answers from `hosts` (name -> address, or name -> (address, port)); other names go to
    `fallback`, or fail as unknown when there is none."""

    def __init__(
        self,
        hosts: Mapping[str, str | tuple[str, int]] | None = None,
        fallback: AbstractResolver | None = None,
    ) -> None:
        self._hosts: dict[str, tuple[str, int | None]] = {}
        self._fallback = fallback
        for name, target in (hosts or {}).items():
            self.add(name, *((target,) if isinstance(target, str) else target))

    def add(self, name: str, address: str, port: int | None = None) -> None:
        """Map `name` to `address`, and to `port` when given (else the URL's port is kept)."""
        self._hosts[name.lower().rstrip(".")] = (address, port)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        target = self._hosts.get(host.lower().rstrip("."))
        if target is None:
            if self._fallback is not None:
                return await self._fallback.resolve(host, port, family)
            raise OSError(f"unknown host {host}")
        address, mapped_port = target
        return [
            {
                "hostname": host,
                "host": address,
                "port": mapped_port if mapped_port is not None else port,
                "family": socket.AF_INET6 if ":" in address else socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        if self._fallback is not None:
            await self._fallback.close()
