"""JSON responses encoded with orjson: several times faster than the standard library's encoder on the
large lists of entities timelines return, which was a visible share of a request's CPU."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web


def json_response(body: Any, *, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")
