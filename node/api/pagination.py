"""Mastodon's pagination: max_id / since_id / min_id / limit in, Link header with next and prev out.

Ids are time-sortable, so every list pages on some row's id: the listed entity's own id, or (favourites,
bookmarks, notifications' sources...) the id of the row that put it on the list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from tortoise.queryset import QuerySet

from .params import Params


@dataclass(frozen=True)
class Page:
    max_id: int | None
    since_id: int | None
    min_id: int | None
    limit: int

    @classmethod
    def from_params(cls, params: Params, *, default: int = 20, most: int = 40) -> Page:
        limit = params.int("limit", default, low=1) or default
        return cls(max_id=params.int("max_id"), since_id=params.int("since_id"), min_id=params.int("min_id"),
                   limit=min(limit, most))

    def filter(self, query: QuerySet, key: str = "id") -> QuerySet:
        """Restrict and order a queryset; call `arrange` on what it returns."""
        if self.max_id is not None:
            query = query.filter(**{f"{key}__lt": self.max_id})
        if self.since_id is not None:
            query = query.filter(**{f"{key}__gt": self.since_id})
        if self.min_id is not None:  # the page just after min_id: read upwards, then show newest first
            return query.filter(**{f"{key}__gt": self.min_id}).order_by(key).limit(self.limit)
        return query.order_by(f"-{key}").limit(self.limit)

    def arrange(self, rows: Sequence[Any]) -> list[Any]:
        return list(reversed(rows)) if self.min_id is not None else list(rows)


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
    response = web.json_response(body)
    if (link := link_header(request, keys)) is not None:
        response.headers["Link"] = link
    return response
