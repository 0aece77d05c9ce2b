"""Helpers the tests share (importable as `support`): test configs, users with tokens, auth headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import postgres_databases
import tomli_w

from node import config as config_module
from node.config import Config
from node.runtime import Node
from node.services import accounts, auth

REPO = Path(__file__).resolve().parents[1]
INTEROP = REPO.parent / "shared" / "interop"
# The search backend of the nodes a test makes: on the PostgreSQL run, tests marked `search_backends` run
# once with "postgres" and once with "whoosh" (tests/conftest.py sets this); everywhere else, the default.
SEARCH_BACKEND = ["whoosh"]


def write_config(folder: Path, **sections: dict[str, Any]) -> Config:
    """A node.toml in `folder` with test defaults, overridden section by section."""
    data: dict[str, dict[str, Any]] = {
        "node": {"domain": "localhost", "scheme": "http", "registrations": "open"},
        "storage": {"data_dir": "data"},
        "federation": {"enabled": False},
        # A test drives a node from one address and one token far faster than people do; the rate limits'
        # own tests (test_throttling.py) set theirs. Suites create hundreds of accounts: the cheapest
        # argon2 parameters keep each hash at a millisecond instead of ~80 ms (the code path is the same).
        "limits": {"api_per_token": 100_000, "api_per_ip": 100_000, "password_hashing": "cheapest"},
    }
    if SEARCH_BACKEND[0] != "whoosh":
        data["search"] = {"backend": SEARCH_BACKEND[0]}
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    if postgres_databases.CLUSTER and "database" not in data["storage"]:  # the suite's PostgreSQL run
        data["storage"]["database"] = postgres_databases.fresh_database(
            empty=bool(data.get("plugins", {}).get("enabled")))
    path = folder / "node.toml"
    path.write_text(tomli_w.dumps(data))
    return config_module.load(path)


async def create_user(node: Node, name: str, *, admin: bool = False, password: str = "correct horse battery",
                      scopes: str = "read write follow push") -> tuple[Any, str]:
    """A local user and a bearer token for it (no OAuth dance: tests of the dance live in test_oauth).
    Safe to run concurrently (node.bound keeps each caller's own context token)."""
    with node.bound():
        user = await accounts.create_local_account(node, name, f"{name}@example.com", password, admin=admin)
        token = await auth.issue_token(user, None, scopes)
    return user, token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
