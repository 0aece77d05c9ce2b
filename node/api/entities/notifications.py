"""Notification and Marker entities."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...models import Account, Marker, Notification, Status
from ...runtime import Node
from ...services import visibility
from .accounts import account_entity
from .common import iso
from .statuses import status_entities


async def notification_entities(node: Node, notifications: Sequence[Notification],
                                viewer: Account) -> list[dict[str, Any]]:
    """Mastodon's Notification for each, with its account and status rendered in batches."""
    if not notifications:
        return []
    accounts = {a.id: a for a in await Account.filter(id__in={n.from_account_id for n in notifications})}
    status_ids = {n.status_id for n in notifications if n.status_id is not None}
    statuses = await Status.filter(id__in=status_ids) if status_ids else []
    shown = await visibility.visible(viewer, statuses)
    rendered = {int(e["id"]): e for e in await status_entities(node, shown, viewer)}
    result = []
    for notification in notifications:
        if notification.from_account_id not in accounts:
            continue
        if notification.status_id is not None and notification.status_id not in rendered:
            continue  # its status is gone or no longer visible
        entity: dict[str, Any] = {
            "id": str(notification.id),
            "type": notification.type,
            "created_at": iso(notification.created_at),
            "group_key": f"ungrouped-{notification.id}",
            "account": account_entity(node, accounts[notification.from_account_id]),
        }
        if notification.status_id is not None:
            entity["status"] = rendered[notification.status_id]
        result.append(entity)
    return result


def marker_entities(markers: Sequence[Marker]) -> dict[str, Any]:
    return {m.timeline: {"last_read_id": str(m.last_read_id), "version": m.version, "updated_at": iso(m.updated_at)}
            for m in markers}
