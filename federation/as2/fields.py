"""Tolerant accessors for AS2 property values: an object or its IRI, one value or an array, and
language maps; the shapes differ between peers, so every parser reads properties through these."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def as_list(value: Any) -> list[Any]:
    """A property value as a list: absent/null -> [], a single value -> [value]."""
    if value is None:
        return []
    if isinstance(value, list):
        return [v for v in value if v is not None]
    return [value]


def id_of(value: Any) -> str | None:
    """The IRI of an embedded object or link, or the value itself when it is already an IRI."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, Mapping):
        for key in ("id", "@id"):
            if isinstance(value.get(key), str):
                return value[key]
        # A Link object names its target with href.
        if isinstance(value.get("href"), str):
            return value["href"]
    if isinstance(value, list) and value:
        return id_of(value[0])
    return None


def web_url(value: str | None) -> str | None:
    """`value` if it is an absolute http(s) URL, else None: a `url` from a peer ends up as a link or an
    image source in apps and pages, so `javascript:`, `data:` and the like are dropped where they come in."""
    if not value:
        return None
    scheme, sep, rest = value.partition(":")
    return value if sep and scheme.lower() in ("http", "https") and rest.startswith("//") and len(rest) > 2 else None


def web_url_of(value: Any) -> str | None:
    """id_of(value), kept only when it is an http(s) URL (see web_url)."""
    return web_url(id_of(value))


def ids_of(value: Any) -> list[str]:
    """The IRIs of every item of a single-or-array property, skipping unusable ones."""
    return [i for i in (id_of(v) for v in as_list(value)) if i]


def types_of(value: Any) -> list[str]:
    """The `type` of an object as a list (it may be a string or an array), prefixes stripped."""
    if not isinstance(value, Mapping):
        return []
    return [strip_as_prefix(t) for t in as_list(value.get("type")) if isinstance(t, str)]


def type_of(value: Any) -> str | None:
    """The first type of an object, or None for an IRI or untyped value."""
    types = types_of(value)
    return types[0] if types else None


def strip_as_prefix(name: str) -> str:
    """`as:Note` and `https://www.w3.org/ns/activitystreams#Note` -> `Note`."""
    for prefix in ("https://www.w3.org/ns/activitystreams#", "http://www.w3.org/ns/activitystreams#", "as:"):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def text_of(value: Any) -> str | None:
    """A plain string property, or None when it is absent or not a string."""
    return value if isinstance(value, str) else None


def bool_of(value: Any, default: bool | None = None) -> bool | None:
    """A boolean property; some peers send "true"/"false" strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return default


def language_value(obj: Mapping[str, Any], name: str, prefer: str | None = None) -> tuple[str | None, str | None]:
    """(text, language) of a natural-language property: `name` itself or `nameMap`.

    The plain property wins (it is what the author wrote); otherwise the preferred language, then
    "und", then the first entry of the map."""
    plain = obj.get(name)
    mapped = obj.get(f"{name}Map")
    lang_map = {k: v for k, v in mapped.items() if isinstance(v, str)} if isinstance(mapped, Mapping) else {}
    if isinstance(plain, str):
        for lang, text in lang_map.items():
            if text == plain:
                return plain, lang
        return plain, None
    for lang in (prefer, "und"):
        if lang and lang in lang_map:
            return lang_map[lang], lang
    if lang_map:
        lang, text = next(iter(lang_map.items()))
        return text, lang
    return None, None
