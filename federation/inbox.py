"""Inbox plumbing that needs no storage: checking and decoding a POSTed body, and the registry that
routes each activity to the handler the node registered for its type (and object type)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Generic, TypeVar

from . import jsondoc
from .as2.activities import InvalidActivityError, ParsedActivity, parse_activity
from .as2.fields import strip_as_prefix, type_of, types_of

DEFAULT_MAX_INBOX_BYTES = 1024 * 1024
_JSON_TYPES = ("application/activity+json", "application/ld+json", "application/json")

Ctx = TypeVar("Ctx")
Handler = Callable[[ParsedActivity, Any], Awaitable[Any] | Any]
H = TypeVar("H", bound=Handler)


class InboxRejected(Exception):
    """A POST to an inbox cannot be accepted; answer `status` with `reason` (never a 500)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def decode_inbox_body(
    body: bytes, content_type: str | None, *, max_bytes: int = DEFAULT_MAX_INBOX_BYTES
) -> dict[str, Any]:
    """The activity JSON object of an inbox POST, or InboxRejected (413, 415 or 400)."""
    if len(body) > max_bytes:
        raise InboxRejected(413, f"body larger than {max_bytes} bytes")
    media = (content_type or "").split(";")[0].strip().lower()
    if media not in _JSON_TYPES:
        raise InboxRejected(415, f"content type {media or 'none'!r} is not ActivityStreams JSON")
    try:
        doc = jsondoc.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InboxRejected(400, f"body is not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise InboxRejected(400, "activity must be a JSON object")
    return doc


async def _call(handler: Handler, activity: ParsedActivity, context: Any) -> Any:
    result = handler(activity, context)
    return await result if inspect.isawaitable(result) else result


class ActivityRegistry(Generic[Ctx]):
    """Maps activity types (optionally narrowed by embedded object type) to handlers.

        registry = ActivityRegistry()

        @registry.on("Follow")
        async def on_follow(activity, ctx): ...

        @registry.on("Create", "Question")   # only Create{Question}; other Creates use on("Create")
        async def on_poll(activity, ctx): ...

    Unknown types go to the fallback (set with `@registry.fallback`), which by default ignores them.
    """

    def __init__(self) -> None:
        self._handlers: dict[tuple[str, str | None], Handler] = {}
        self._fallback: Handler | None = None

    def on(self, activity_type: str, object_type: str | None = None) -> Callable[[H], H]:
        key = (strip_as_prefix(activity_type), strip_as_prefix(object_type) if object_type else None)

        def register(handler: H) -> H:
            if key in self._handlers:
                raise ValueError(f"a handler for {key} is already registered")
            self._handlers[key] = handler
            return handler

        return register

    def fallback(self, handler: H) -> H:
        """Register the handler for activity types nobody registered."""
        self._fallback = handler
        return handler

    @property
    def activity_types(self) -> set[str]:
        return {t for t, _ in self._handlers}

    def handler_for(self, activity_type: str, object_type: str | None = None) -> Handler | None:
        """The specific (type, object type) handler, else the type's general one, else None."""
        return self._handlers.get((activity_type, object_type)) or self._handlers.get((activity_type, None))

    async def dispatch(self, activity: Mapping[str, Any] | ParsedActivity, context: Ctx | None = None) -> Any:
        """Parse (if needed) and route `activity`; returns the handler's result (None if ignored).
        A document that is not an activity raises InboxRejected(400)."""
        if not isinstance(activity, ParsedActivity):
            try:
                activity = parse_activity(activity)
            except InvalidActivityError as exc:
                raise InboxRejected(400, str(exc)) from exc
        object_type = type_of(activity.object) if activity.object is not None else None
        # `type` may be an array (e.g. ["Create", "entativa:Something"]): the first one we handle wins.
        for activity_type in types_of(activity.raw) or [activity.type]:
            handler = self.handler_for(activity_type, object_type)
            if handler is not None:
                return await _call(handler, activity, context)
        if self._fallback is not None:
            return await _call(self._fallback, activity, context)
        return None
