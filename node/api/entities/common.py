"""Small renderers shared by every entity module."""

from __future__ import annotations

import weakref
from datetime import UTC, datetime
from typing import Any


def iso(moment: datetime | None) -> str | None:
    """Mastodon's timestamp format: UTC with milliseconds, e.g. 2026-11-26T19:00:00.000Z."""
    if moment is None:
        return None
    # isoformat is several times cheaper than strftime, and a tray or timeline renders thousands of these
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def date_only(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).date().isoformat() if moment else None  # strftime: several times dearer


class Renderings:
    """What a node has rendered of entities' viewer-independent parts (a status's text, media, tags; an
    account's profile), each kept with everything it was made from and reused only while that is exactly
    what the caller has just read: nothing is invalidated, so an edit, a new card, a fetched avatar or a
    profile change shows on the next request, in every process. Who may see what, and anything that
    differs per viewer, is never in here (the callers add it to a copy). The oldest go past `size`."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: dict[int, tuple[Any, Any]] = {}
        self.hits = self.misses = 0  # for tests and the benchmark's curiosity

    def get(self, ident: int, inputs: Any) -> Any:
        """The rendering kept for `ident` if it was made from `inputs` (compared by value), else None."""
        kept = self._kept.get(ident)
        if kept is not None and kept[0] == inputs:
            self.hits += 1
            del self._kept[ident]
            self._kept[ident] = kept  # the least recently used go first
            return kept[1]
        self.misses += 1
        return None

    def put(self, ident: int, inputs: Any, rendering: Any) -> None:
        kept = self._kept
        kept.pop(ident, None)  # newest last
        kept[ident] = (inputs, rendering)
        if len(kept) > self.size:
            del kept[next(iter(kept))]


_renderings: weakref.WeakKeyDictionary[Any, dict[str, Renderings]] = weakref.WeakKeyDictionary()


def renderings(node: Any, kind: str, size: int) -> Renderings:
    """The node's renderings of one kind ("status", "account"): per node, as ids are one node's own."""
    kinds = _renderings.get(node)
    if kinds is None:
        kinds = _renderings[node] = {}
    found = kinds.get(kind)
    if found is None:
        found = kinds[kind] = Renderings(size)
    return found
