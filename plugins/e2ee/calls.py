"""Calls: the node's only part is handing clients the STUN/TURN servers its operator configured
(`[plugins.e2ee] ice_servers`, none by default: host candidates connect on one network) and ringing. Offers,
answers and ICE candidates travel as Olm-encrypted to-device messages like any other (call.offer, call.answer,
call.ice, call.hangup), so SDP and candidates never reach a node; media flows peer to peer (DTLS-SRTP), or
through the operator's TURN server, never through the node."""

from __future__ import annotations

from typing import Any

SCHEMES = ("stun:", "stuns:", "turn:", "turns:")


def ice_servers(configured: Any) -> list[dict[str, Any]]:
    """The configured servers as RTCIceServer dictionaries; ValueError names what is wrong."""
    if not isinstance(configured, list):
        raise ValueError("ice_servers must be a list of tables with urls (and username, credential for TURN)")
    servers = []
    for entry in configured:
        if not isinstance(entry, dict):
            raise ValueError("each ice_servers entry must be a table with urls")
        urls = entry.get("urls")
        urls = [urls] if isinstance(urls, str) else urls
        if not urls or not isinstance(urls, list) or not all(isinstance(u, str) and u.startswith(SCHEMES) for u in urls):
            raise ValueError("ice_servers urls must be stun:, stuns:, turn: or turns: URLs")
        server: dict[str, Any] = {"urls": urls}
        for key in ("username", "credential"):
            if key in entry:
                if not isinstance(entry[key], str):
                    raise ValueError(f"ice_servers {key} must be a string")
                server[key] = entry[key]
        if any(u.startswith(("turn:", "turns:")) for u in urls) and not {"username", "credential"} <= server.keys():
            raise ValueError("a TURN server in ice_servers needs username and credential")
        servers.append(server)
    return servers
