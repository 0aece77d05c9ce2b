"""Hashtag names as Mastodon 4.x treats them: what counts as a name (letters, digits, `_`, `·`, `・` and the
zero-width non-joiner, at least one letter or separator: "#2024" is a number; characters a name cannot hold
are dropped, so "#foo bar!" is #foobar), the case-kept form shown, and the key every lookup matches on:
NFKC (full-width letters are the plain ones) and lower case, as Mastodon's Tag::HASHTAG_NAME_PAT and
HashtagNormalizer define them. Unlike Mastodon we keep accents (#café is not #cafe), as Misskey does:
the stored names stay readable and no one's word is rewritten into another language's."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

MAX_LENGTH = 128  # our tags.name column
SEPARATORS = "_\u00b7\u30fb\u200c"
_ALPHA = rf"(?:[^\W\d]|[{SEPARATORS}])"
NAME_PATTERN = (
    rf"(?:\w[\w{SEPARATORS}]*{_ALPHA}[\w{SEPARATORS}]*\w"  # Mastodon's first sequence
    r"|\w*[^\W\d_]\w*)"
)  # ... or its last one: word characters with a letter
_NAME = re.compile(rf"(?:{NAME_PATTERN})\Z")


def _kept(char: str) -> bool:
    """Mastodon's HASHTAG_INVALID_CHARS_RE, inverted: letters, marks, digits, Thai signs, separators."""
    return (
        unicodedata.category(char)[0] in "LM"
        or unicodedata.category(char) == "Nd"
        or "\u0e47" <= char <= "\u0e4e"
        or char in SEPARATORS
    )


def shown(name: str) -> str:
    """The name as written, without a leading '#' and without characters a hashtag cannot hold."""
    return "".join(c for c in unicodedata.normalize("NFKC", name.strip().lstrip("#＃")) if _kept(c))


def normalize(name: str) -> str:
    """The key a tag is stored and matched by."""
    return shown(name).lower()


def is_valid(name: str) -> bool:
    key = normalize(name)
    return 0 < len(key) <= MAX_LENGTH and _NAME.match(key) is not None


def names(written: Iterable[str], limit: int | None = None) -> dict[str, str]:
    """Valid hashtags among `written`: key -> the first way each was written, in order."""
    found: dict[str, str] = {}
    for name in written:
        if limit is not None and len(found) >= limit:
            break
        display = shown(name)
        if is_valid(display):
            found.setdefault(normalize(display), display[:MAX_LENGTH])
    return found
