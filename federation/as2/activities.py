"""Activities: building the ones we send and parsing the ones peers send (Follow, Accept, Undo,
Create, Announce, Like with Misskey reactions, EmojiReact, Flag with several objects, Move...)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .audience import Audience, audience_of
from .context import default_context
from .fields import id_of, ids_of, text_of, type_of


class InvalidActivityError(ValueError):
    """A document cannot be handled as an activity (no type or no actor)."""


@dataclass(frozen=True)
class ParsedActivity:
    id: str | None
    type: str
    actor: str
    object_id: str | None
    object: Mapping[str, Any] | None  # the embedded object, when it was embedded
    object_type: str | None  # known only when embedded
    objects: tuple[str, ...] = ()  # every object IRI (Flag lists several)
    target: str | None = None
    origin: str | None = None
    audience: Audience = field(default_factory=Audience)
    published: str | None = None
    reaction: str | None = None  # EmojiReact content / Misskey _misskey_reaction
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


def parse_activity(doc: Mapping[str, Any]) -> ParsedActivity:
    """Parse an activity envelope; the object is left as sent (IRI or embedded) for the handler."""
    kind = type_of(doc)
    actor = id_of(doc.get("actor"))
    if not kind:
        raise InvalidActivityError("activity has no type")
    if not actor:
        raise InvalidActivityError(f"{kind} has no actor")
    obj = doc.get("object")
    embedded = obj if isinstance(obj, Mapping) else None
    reaction = text_of(doc.get("_misskey_reaction"))
    if reaction is None and kind == "EmojiReact":
        reaction = text_of(doc.get("content"))
    return ParsedActivity(
        id=id_of(doc),
        type=kind,
        actor=actor,
        object_id=id_of(obj),
        object=embedded,
        object_type=type_of(embedded) if embedded is not None else None,
        objects=tuple(ids_of(obj)),
        target=id_of(doc.get("target")),
        origin=id_of(doc.get("origin")),
        audience=audience_of(doc),
        published=text_of(doc.get("published")),
        reaction=reaction,
        raw=doc,
    )


def build_activity(
    activity_type: str,
    activity_id: str,
    actor: str,
    obj: str | Mapping[str, Any] | Sequence[str],
    *,
    to: Sequence[str] = (),
    cc: Sequence[str] = (),
    published: str | None = None,
    with_context: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    """An activity document; `extra` adds properties such as target or content."""
    doc: dict[str, Any] = {"id": activity_id, "type": activity_type, "actor": actor}
    if with_context:
        doc = {"@context": default_context(), **doc}
    if isinstance(obj, Mapping):
        # An embedded object shares the envelope's context; a second @context only confuses peers.
        doc["object"] = {k: v for k, v in obj.items() if k != "@context"}
    else:
        doc["object"] = obj if isinstance(obj, str) else list(obj)
    if to:
        doc["to"] = list(to)
    if cc:
        doc["cc"] = list(cc)
    if published:
        doc["published"] = published
    doc.update(extra)
    return doc
