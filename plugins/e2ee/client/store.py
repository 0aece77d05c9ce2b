"""Saving a device between runs: its Olm account, sessions, pinned devices and queue cursor, pickled by the
backend under a key, in one JSON file (mode 0600). Group sessions are not kept: a restarted device gets
the next group key its peers share."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .client import E2EEClient


def save(client: E2EEClient, path: Path, key: bytes) -> None:
    assert client.account is not None
    state: dict[str, Any] = {
        "backend": client.backend.name, "device_id": client.device_id, "me": client.me, "my_uri": client.my_uri,
        "account": client.account.pickle(key), "cursor": client.cursor, "account_uris": client.account_uris,
        "pinned": [[a, d, *keys] for (a, d), keys in client.pinned.items()],
        "sessions": [[a, d, [s.pickle(key) for s in sessions]] for (a, d), sessions in client.sessions.items()],
        "timers": client.timers, "seen_ids": sorted(client.seen_ids)[-5000:],
    }
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(state, handle)
    tmp.replace(path)


def load(client: E2EEClient, path: Path, key: bytes) -> bool:
    """Restore `client` from `path`; False when there is no saved state (call setup() instead)."""
    if not path.exists():
        return False
    state = json.loads(path.read_text())
    if state["backend"] != client.backend.name:
        raise ValueError(f"{path} was saved by the {state['backend']} backend")
    client.device_id, client.me, client.my_uri = state["device_id"], state["me"], state["my_uri"]
    client.account = client.backend.load_account(state["account"], key)
    client.cursor, client.account_uris = state["cursor"], state["account_uris"]
    client.pinned = {(a, d): (i, f) for a, d, i, f in state["pinned"]}
    client.sessions = {(a, d): [client.backend.load_session(p, key) for p in pickles]
                       for a, d, pickles in state["sessions"]}
    client.timers, client.seen_ids = state["timers"], set(state["seen_ids"])
    return True
