"""The plaintext inside every ciphertext: a JSON object {type, conversation_id, id, sender, ...}. Read
receipts, edits, deletes, disappearing timers, call signalling and group keys all travel this way, so the
server sees none of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KINDS = ("text", "attachment", "edit", "delete", "receipt", "timer", "call.offer", "call.answer", "call.ice", "call.hangup",
         "room_key")


def dm_conversation(a: str, b: str) -> str:
    """The id of the 1:1 conversation between two actors, the same from both ends."""
    return "dm:" + "|".join(sorted({a, b}))


def dm_participants(conversation_id: str) -> set[str]:
    if not conversation_id.startswith("dm:"):
        return set()
    return set(conversation_id[3:].split("|"))


@dataclass
class Message:
    """A decrypted, checked message as the application sees it."""

    type: str
    conversation_id: str
    id: str
    sender: str  # the sender's actor URI
    sender_account_id: str  # the sender's account id on our node
    sender_device: str
    sent_at: float
    content: dict[str, Any] = field(default_factory=dict)
    group_uri: str | None = None
    envelope_id: str = ""

    @property
    def text(self) -> str | None:
        return self.content.get("text")
