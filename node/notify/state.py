"""The per-node channel state: the VAPID key and the link secret, loaded once when the node starts."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import ec

from ..runtime import Node
from . import keys


@dataclass(frozen=True)
class Channels:
    vapid_key: ec.EllipticCurvePrivateKey
    vapid_public: str  # base64url, what /api/v1/instance and the browser's pushManager get
    link_secret: bytes
    # VAPID JWTs by audience (push service origin) with their expiry: one signature per service per hour, not per push.
    vapid_tokens: dict[str, tuple[str, float]] = field(default_factory=dict)


_STATES: weakref.WeakKeyDictionary[Node, Channels] = weakref.WeakKeyDictionary()


def of(node: Node) -> Channels:
    state = _STATES.get(node)
    if state is None:
        key = keys.vapid_private_key(node.config.data_dir)
        state = Channels(
            vapid_key=key,
            vapid_public=keys.public_key_b64(key),
            link_secret=keys.link_secret(node.config.data_dir),
        )
        _STATES[node] = state
    return state
