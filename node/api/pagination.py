"""Mastodon's pagination: max_id / since_id / min_id / limit in, Link header with next and prev out.

Ids are time-sortable, so every list pages on some row's id: the listed entity's own id, or (favourites,
bookmarks, notifications' sources...) the id of the row that put it on the list.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from ..services.paging import Page
from .params import Params
from .responses import json_response


def requested_page(params: Params, *, default: int = 20, most: int = 40) -> Page:
    """The window a request asks for (limit capped at `most`)."""
    limit = params.int("limit", default, low=1) or default
    return Page(max_id=params.id("max_id"), since_id=params.id("since_id"), min_id=params.id("min_id"),
                limit=min(limit, most))


def link_header(request: web.Request, keys: Sequence[int]) -> str | None:
    """next (older) and prev (newer) links around a page whose row keys are `keys`, newest first."""
    if not keys:
        return None
    base = request.url.with_query(None)
    query = {k: v for k, v in request.query.items() if k not in ("max_id", "since_id", "min_id")}
    older = f"{base}?{urlencode({**query, 'max_id': min(keys)})}"
    newer = f"{base}?{urlencode({**query, 'min_id': max(keys)})}"
    return f'<{older}>; rel="next", <{newer}>; rel="prev"'


def paged_response(request: web.Request, body: list[Any], keys: Sequence[int]) -> web.Response:
    response = json_response(body)
    if (link := link_header(request, keys)) is not None:
        response.headers["Link"] = link
    return response


def offset_response(request: web.Request, body: list[Any], *, offset: int, limit: int,
                    more: bool | None = None) -> web.Response:
    """A list paged by offset (trends, as Mastodon's): next while a page comes back full (or `more`: before
    the viewer's filters took some out), prev after the first."""
    response = json_response(body)
    base = request.url.with_query(None)
    query = {k: v for k, v in request.query.items() if k != "offset"}
    links = []
    if (len(body) >= limit) if more is None else more:
        links.append(f'<{base}?{urlencode({**query, "offset": offset + limit})}>; rel="next"')
    if offset > 0:
        links.append(f'<{base}?{urlencode({**query, "offset": max(0, offset - limit)})}>; rel="prev"')
    if links:
        response.headers["Link"] = ", ".join(links)
    return response
