"""Addressing: who an object or activity is for (to/cc/bto/bcc/audience) and the Mastodon-style
visibility that addressing implies (public, unlisted, private = followers-only, direct)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .context import PUBLIC, is_public
from .fields import ids_of

Visibility = Literal["public", "unlisted", "private", "direct"]


@dataclass(frozen=True)
class Audience:
    """Recipients by field; the public collection is normalised to its full IRI."""

    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bto: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    audience: tuple[str, ...] = ()

    @property
    def recipients(self) -> tuple[str, ...]:
        """Everyone addressed, each once, public collection included."""
        seen: dict[str, None] = {}
        for iri in (*self.to, *self.cc, *self.bto, *self.bcc, *self.audience):
            seen.setdefault(iri, None)
        return tuple(seen)

    @property
    def is_public(self) -> bool:
        return PUBLIC in self.recipients

    def without_blind(self) -> Audience:
        """The audience as it may be published: bto/bcc stripped (AS2 says they must not be shown)."""
        return Audience(self.to, self.cc, (), (), self.audience)


def _field(obj: Mapping[str, Any], name: str) -> tuple[str, ...]:
    return tuple(PUBLIC if is_public(iri) else iri for iri in ids_of(obj.get(name)))


def audience_of(obj: Mapping[str, Any]) -> Audience:
    """The addressing of an object or activity, tolerating single values, arrays and embedded objects."""
    return Audience(*(_field(obj, name) for name in ("to", "cc", "bto", "bcc", "audience")))


def visibility_of(
    obj: Mapping[str, Any] | Audience, *, followers: str | None = None, actor: str | None = None
) -> Visibility:
    """Public in `to` -> public; public elsewhere -> unlisted; the author's followers collection
    -> private; otherwise direct.

    `followers` is the author's followers collection when known; without it, `actor + "/followers"`
    and then any collection ending in "/followers" count (Mastodon, Pleroma, Misskey naming)."""
    aud = obj if isinstance(obj, Audience) else audience_of(obj)
    if PUBLIC in aud.to:
        return "public"
    if aud.is_public:
        return "unlisted"
    recipients = aud.recipients
    if followers is not None:
        if followers in recipients:
            return "private"
    elif actor is not None and f"{actor.rstrip('/')}/followers" in recipients:
        return "private"
    elif any(r.rstrip("/").endswith("/followers") for r in recipients):
        return "private"
    return "direct"
