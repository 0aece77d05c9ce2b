"""Where the shared interop material lives and small readers for it, for the federation tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
INTEROP = REPO_ROOT.parent / "shared" / "interop"


def load_json(relative: str) -> Any:
    return json.loads((INTEROP / relative).read_text(encoding="utf-8"))


def parse_raw_http(text: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """Split a printed HTTP message into (start line, headers, body)."""
    head, _, body = text.replace("\r\n", "\n").partition("\n\n")
    lines = head.split("\n")
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return lines[0], headers, body.encode("utf-8")
