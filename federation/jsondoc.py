"""JSON from strangers: parsed with a nesting bound, so a hostile body fails as bad input, never as a crash.

Python's decoder recurses once per level: `[[[[...` 100,000 deep raises RecursionError, and a document
just under the interpreter's limit parses but then overflows the stack of whatever walks or stores it.
Nothing real nests deeper than a few dozen levels (an AS2 activity with an embedded object and its tags
is about six), so anything past MAX_DEPTH is refused as malformed.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64


class TooDeep(ValueError):
    """The document nests deeper than MAX_DEPTH (a ValueError, so callers' malformed-JSON handling applies)."""


def loads(data: str | bytes | bytearray, *, max_depth: int = MAX_DEPTH) -> Any:
    """json.loads, but ValueError (TooDeep) for a document nesting deeper than `max_depth`."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise TooDeep(f"JSON nests deeper than {max_depth} levels") from None
    if depth_exceeds(value, max_depth):
        raise TooDeep(f"JSON nests deeper than {max_depth} levels")
    return value


def depth_exceeds(value: Any, max_depth: int) -> bool:
    """Whether arrays/objects nest deeper than `max_depth` (walked with a list, not recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False
