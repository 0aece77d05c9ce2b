"""The ScheduledStatus entity."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...models import ScheduledStatus
from ...runtime import Node
from ...services import scheduled_statuses
from .common import iso
from .statuses import media_entity


async def scheduled_status_entities(node: Node, rows: Sequence[ScheduledStatus]) -> list[dict[str, Any]]:
    media = await scheduled_statuses.held_media(list(rows))
    return [
        {
            "id": str(row.id),
            "scheduled_at": iso(row.scheduled_at),
            "params": row.params,
            "media_attachments": [media_entity(node, m) for m in media[row.id]],
        }
        for row in rows
    ]
