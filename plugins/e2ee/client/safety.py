"""Safety numbers: a short string two people compare (in person or on a call) to know that no server put
its own keys between their devices. Derived from both devices' Ed25519 keys and owners, in an order that
does not depend on who computes it, so both screens show the same digits and emoji.

themes/vignette/static/messages/safety.js computes the same string in the browser: keep them in step.
"""

from __future__ import annotations

import hashlib

from ..signing import canonical_json

VERSION = b"entativa safety number v1\n"
# The 64 emoji of Matrix's SAS verification (easy to tell apart and to name aloud).
EMOJI = ("🐶", "🐱", "🦁", "🐎", "🦄", "🐷", "🐘", "🐰", "🐼", "🐓", "🐧", "🐢", "🐟", "🐙", "🦋", "🌷",
         "🌳", "🌵", "🍄", "🌏", "🌙", "☁️", "🔥", "🍌", "🍎", "🍓", "🌽", "🍕", "🎂", "❤️", "😀", "🤖",
         "🎩", "👓", "🔧", "🎅", "👍", "☂️", "⌛", "⏰", "🎁", "💡", "📕", "✏️", "📎", "✂️", "🔒", "🔑",
         "🔨", "☎️", "🏁", "🚂", "🚲", "✈️", "🚀", "🏆", "⚽", "🎸", "🎺", "🔔", "⚓", "🎧", "📁", "📌")


def safety_number(a_uri: str, a_key: str, b_uri: str, b_key: str) -> tuple[str, str]:
    """(30 digits in six groups of five, eight emoji) for the device pair, the same from either side."""
    digest = hashlib.sha512(VERSION + canonical_json(sorted([[a_uri, a_key], [b_uri, b_key]]))).digest()
    digits = " ".join(f"{int.from_bytes(digest[5 * i:5 * i + 5], 'big') % 100000:05d}" for i in range(6))
    emoji = " ".join(EMOJI[digest[30 + i] % 64] for i in range(8))
    return digits, emoji
