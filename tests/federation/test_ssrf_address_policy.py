"""Which addresses the SSRF guard treats as public: IPv4, IPv6 and IPv6 forms that embed IPv4."""

from __future__ import annotations

import pytest

from federation.netguard import ip_literal, is_public_address

BLOCKED = [
    "127.0.0.1", "127.8.9.10", "10.0.0.1", "172.16.5.4", "192.168.1.1",  # loopback, RFC 1918
    "169.254.169.254",  # link-local (cloud metadata)
    "0.0.0.0", "255.255.255.255", "240.0.0.1",  # unspecified, broadcast, reserved
    "224.0.0.1", "239.255.255.250",  # multicast
    "100.64.0.1",  # carrier-grade NAT shared space
    "192.0.2.1", "198.51.100.7", "203.0.113.9", "198.18.0.1",  # documentation, benchmarking
    "::1", "::", "fe80::1", "fe80::1%eth0", "fc00::1", "fd12:3456::1", "ff02::1", "fec0::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",  # IPv4-mapped
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2001:db8::1",  # documentation
    "not-an-address",
]
PUBLIC = ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e",
          "::ffff:8.8.8.8", "64:ff9b::808:808"]


@pytest.mark.parametrize("address", BLOCKED)
def test_non_public_addresses_are_refused(address):
    assert not is_public_address(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address):
    assert is_public_address(address)


def test_ip_literal_detection():
    assert str(ip_literal("[::1]")) == "::1"
    assert str(ip_literal("10.0.0.1")) == "10.0.0.1"
    assert ip_literal("node-a.test") is None
