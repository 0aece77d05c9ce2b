"""What each route accepts and answers, declared beside its handler; /api/openapi.json is built from these
declarations and node/api/params.py enforces them (a handler that reads a parameter it did not declare fails
under tests), so the document cannot drift from the code.

    @routes.get("/api/v1/lists/{id}/accounts")
    @endpoint(params=PAGE, returns=list)
    async def members(request): ...

Parameter types: str, int, bool, float, ID (a row id), [str] / [ID] (lists), a tuple of choices, FILE, OBJECT
(any JSON object), or a dict of nested parameters; wrap one in `required(...)` to mark it required. Declare
choices and `required` only where no service already answers a Mastodon-style error for the value: the
declaration documents, the service validates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

_SPEC = "_entativa_endpoint"


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


ID = _Marker("ID")  # a row id: digits, sent as a string (or a JSON number)
FILE = _Marker("FILE")  # a multipart file part
OBJECT = _Marker("OBJECT")  # any JSON object (validated by the service)
ANY = _Marker("ANY")  # any JSON value (validated by the service)


@dataclass(frozen=True)
class Required:
    kind: Any


def required(kind: Any) -> Required:
    return Required(kind)


# Mastodon's pagination parameters (node/api/pagination.py reads them).
PAGE: dict[str, Any] = {"max_id": ID, "since_id": ID, "min_id": ID, "limit": int}
OFFSET_PAGE: dict[str, Any] = {"offset": int, "limit": int}


@dataclass(frozen=True)
class Endpoint:
    params: Mapping[str, Any] = field(default_factory=dict)  # query for GET/DELETE, body for POST/PUT/PATCH
    query: Mapping[str, Any] = field(default_factory=dict)  # query parameters of a route with a body
    ok: tuple[int, ...] = (200,)
    returns: Any = dict  # dict (a JSON object), list (a JSON array), None (no body), or a media type string
    errors: tuple[int, ...] = ()  # 4xx beyond the ones every route can answer (see node/api/openapi.py)
    raw_body: str | None = None  # a body read whole rather than as parameters (e.g. "application/activity+json")

    def names(self) -> frozenset[str]:
        return frozenset(self.params) | frozenset(self.query)


def endpoint(*, params: Mapping[str, Any] | None = None, query: Mapping[str, Any] | None = None,
             ok: int | Iterable[int] = 200, returns: Any = dict, errors: Iterable[int] = (),
             raw_body: str | None = None) -> Callable[[Any], Any]:
    """Declares what a handler accepts and answers (see the module docstring)."""
    declared = Endpoint(params=dict(params or {}), query=dict(query or {}),
                        ok=(ok,) if isinstance(ok, int) else tuple(ok), returns=returns, errors=tuple(errors),
                        raw_body=raw_body)

    def mark(handler: Any) -> Any:
        setattr(handler, _SPEC, declared)
        return handler

    return mark


def declaration(handler: Any) -> Endpoint | None:
    """The handler's declaration, following functools.wraps-style wrappers."""
    while handler is not None:
        if (found := getattr(handler, _SPEC, None)) is not None:
            return found
        handler = getattr(handler, "__wrapped__", None)
    return None
