"""Request parameters as Mastodon clients send them: query string, form, multipart or JSON, merged into
one mapping, with typed getters that fail as a 422/400 naming the parameter.

Form keys in Rails style nest: `media_ids[]=1&media_ids[]=2` becomes a list, `poll[options][]=a` and
`poll[expires_in]=60` a nested mapping, so JSON and form bodies read the same way.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_request import FileField
from multidict import MultiDictProxy

from federation import jsondoc

from ..errors import BadRequest, NotFound, ValidationFailed
from ..models.base import ID_MAX, row_id
from .endpoint import declaration

# Under tests (and the fuzz run) a handler that reads a parameter its @endpoint declaration does not list fails
# loudly, so /api/openapi.json cannot drift from what the code reads. Off in production: an omission there
# must not break a working route.
STRICT = os.environ.get("ENTATIVA_STRICT_PARAMS") == "1"


class UndeclaredParameter(AssertionError):
    """A handler read a parameter missing from its @endpoint declaration (a programming error: a 500)."""

_TRUE = {"true", "1", "on", "yes", True}
_FALSE = {"false", "0", "off", "no", "", False, None}
_KEY_PART = re.compile(r"\[([^\]]*)\]")


def _assign(target: dict[str, Any], key: str, value: Any) -> None:
    head, _, rest = key.partition("[")
    parts = [head, *_KEY_PART.findall("[" + rest)] if rest else [head]
    node: Any = target
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        following = None if last else parts[index + 1]
        if last:
            if part == "" and isinstance(node, list):
                node.append(value)
            elif isinstance(node, dict):
                node[part] = value
            return
        container: Any = [] if following == "" else {}
        if isinstance(node, list):  # `a[][x]` shapes are not used by Mastodon clients
            raise BadRequest(f"Unsupported parameter shape: {key}")
        node = node.setdefault(part, container)
        if following == "" and not isinstance(node, list):
            raise BadRequest(f"Conflicting parameter shapes for {head}")


class Params:
    def __init__(self, data: dict[str, Any], declared: Mapping[str, Any] | None = None) -> None:
        self.data = data
        # name -> declared kind, checked when STRICT; None reads anything (a helper's own Params, or OBJECT)
        self.declared = declared

    def _declared(self, name: str) -> Any:
        if self.declared is None or not STRICT:
            return None
        if name not in self.declared:
            raise UndeclaredParameter(f"parameter {name!r} is read but not declared; declared: "
                                      f"{', '.join(sorted(self.declared)) or 'none'} (see node/api/endpoint.py)")
        return self.declared[name]

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, Any]]) -> Params:
        data: dict[str, Any] = {}
        for key, value in pairs:
            _assign(data, key, value)
        return cls(data)

    def __contains__(self, name: str) -> bool:
        self._declared(name)
        return name in self.data and self.data[name] is not None

    def raw(self, name: str, default: Any = None) -> Any:
        self._declared(name)
        return self.data.get(name, default)

    def str(self, name: str, default: str | None = None, *, required: bool = False, max_length: int | None = None,
            choices: Iterable[str] | None = None) -> str | None:
        self._declared(name)
        value = self.data.get(name)
        if value is None or (required and value == ""):
            if required:
                raise ValidationFailed(f"Missing parameter: {name}")
            return default
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise ValidationFailed(f"Parameter {name} must be a string")
        if max_length is not None and len(value) > max_length:
            raise ValidationFailed(f"Parameter {name} is too long (maximum is {max_length} characters)")
        if choices is not None and value not in set(choices):
            raise ValidationFailed(f"Parameter {name} must be one of: {', '.join(choices)}")
        return value

    def bool(self, name: str, default: bool = False) -> bool:
        self._declared(name)
        value = self.data.get(name, default)
        if isinstance(value, str):
            value = value.strip().lower()
        elif not isinstance(value, (bool, int, float)) and value is not None:  # a list or object: not hashable
            raise ValidationFailed(f"Parameter {name} must be true or false")
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ValidationFailed(f"Parameter {name} must be true or false")

    def int(self, name: str, default: int | None = None, *, low: int | None = None,
            high: int | None = None, required: bool = False) -> int | None:
        self._declared(name)
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise ValidationFailed(f"Missing parameter: {name}")
            return default
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValidationFailed(f"Parameter {name} must be a whole number") from None
        # Past 64 bits no column can hold it: out of range even where the caller set no bound.
        low = -ID_MAX - 1 if low is None else low
        high = ID_MAX if high is None else high
        if isinstance(value, bool) or not low <= number <= high:
            raise ValidationFailed(f"Parameter {name} is out of range")
        return number

    def id(self, name: str) -> int | None:
        """A row id such as max_id or since_id; 400 when given but no row could have it."""
        self._declared(name)
        value = self.data.get(name)
        if value is None or value == "":
            return None
        try:
            return row_id(value)
        except NotFound:
            raise BadRequest(f"Parameter {name} must be an id") from None

    def list(self, name: str) -> list[Any]:
        self._declared(name)
        value = self.data.get(name)
        if value is None or value == "":
            return []
        if isinstance(value, list):
            return value
        if isinstance(value, dict):  # `x[0]=a&x[1]=b`
            return [value[k] for k in sorted(value, key=lambda k: (len(k), k))]
        return [value]

    def ids(self, name: str) -> list[int]:
        result = []
        for item in self.list(name):
            try:
                result.append(row_id(item))
            except NotFound:
                raise ValidationFailed(f"Parameter {name} must hold ids") from None
        return result

    def nested(self, name: str) -> Params | None:
        kind = self._declared(name)
        value = self.data.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, dict):
            raise ValidationFailed(f"Parameter {name} must be an object")
        return Params(value, _nested_declaration(kind))

    def file(self, name: str, *, required: bool = False) -> FileField | None:
        self._declared(name)
        value = self.data.get(name)
        if isinstance(value, FileField):
            return value
        if required:
            raise ValidationFailed(f"Missing file: {name}")
        if value not in (None, ""):
            raise ValidationFailed(f"Parameter {name} must be a file upload")
        return None


async def read_form(request: web.Request) -> MultiDictProxy[str | bytes | FileField]:
    """request.post(), with a malformed form (no multipart boundary, a part header that is not HTTP) as a 400
    rather than the parser's ValueError or InvalidHeader."""
    try:
        return await request.post()
    except (ValueError, HttpProcessingError):
        raise BadRequest("Malformed form body") from None


def _nested_declaration(kind: Any) -> Mapping[str, Any] | None:
    kind = getattr(kind, "kind", kind)  # required(...)
    return kind if isinstance(kind, Mapping) else None


def _handler_declaration(request: web.Request) -> Mapping[str, Any] | None:
    if not STRICT:
        return None
    handler = request.match_info.handler
    declared = declaration(handler)
    if declared is None:
        raise UndeclaredParameter(f"{handler.__module__}.{handler.__qualname__} reads parameters but has no "
                                  "@endpoint declaration (see node/api/endpoint.py)")
    return {**declared.query, **declared.params}


async def read_params(request: web.Request) -> Params:
    """Query string plus body, whatever the body's encoding."""
    params = await _read(request)
    params.declared = _handler_declaration(request)
    return params


async def _read(request: web.Request) -> Params:
    pairs: list[tuple[str, Any]] = list(request.query.items())
    # GET too: Rails reads a JSON body on any method, and Mastodon.py sends one for familiar_followers.
    if request.method in ("GET", "POST", "PUT", "PATCH", "DELETE") and request.can_read_body:
        content_type = request.content_type
        if content_type == "application/json":
            try:
                body = jsondoc.loads(await request.read() or b"{}")
            except (ValueError, UnicodeDecodeError):
                raise BadRequest("Malformed JSON body") from None
            if not isinstance(body, dict):
                raise BadRequest("The JSON body must be an object")
            data = Params.from_pairs(pairs).data
            data.update(body)
            return Params(data)
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            pairs.extend((await read_form(request)).items())
        elif content_type not in ("", "application/octet-stream", "text/plain"):
            raise BadRequest(f"Unsupported body type {content_type}")
    return Params.from_pairs(pairs)
