"""Takes in search: the `takes` kind's document builder (caption, Behind-the-Take text, sound, hashtags)
and renderer, registered with the search index, and the events that queue index work for Takes.

A Take's search id is its status id, the id every Take API uses."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from .. import db
from ..models import Account, BehindTheTakeStep, Status, StatusTag, Take
from ..runtime import Node
from ..search.backend import Document
from ..search.documents import ExtraKind, plain_text, take_document
from . import visibility


async def build(ids: list[int]) -> list[Document]:
    takes = {t.status_id: t for t in await Take.filter(status_id__in=ids)}
    statuses = await Status.filter(id__in=list(takes), reblog_of_id=None)
    if not statuses:
        return []
    authors = {a.id: a for a in await Account.filter(id__in={s.account_id for s in statuses}, suspended_at=None)}
    tags: dict[int, list[str]] = defaultdict(list)
    for status_id, name in await StatusTag.filter(status_id__in=[s.id for s in statuses]).values_list(
            "status_id", "tag__name"):
        tags[status_id].append(name)
    steps: dict[int, list[str]] = defaultdict(list)
    for take_id, text in await BehindTheTakeStep.filter(take_id__in=[t.id for t in takes.values()]).order_by(
            "position").values_list("take_id", "text"):
        steps[take_id].append(text)
    documents = []
    for status in statuses:
        author = authors.get(status.account_id)
        if author is None:
            continue
        take = takes[status.id]
        sound = " ".join(part for part in (take.sound_title, take.sound_author) if part)
        documents.append(take_document(
            status.id, caption=plain_text(status.content) or status.text, author_id=author.id,
            author_acct=author.acct(), created=int(status.created_at.timestamp()), visibility=status.visibility,
            btt_text="\n".join(steps[take.id]), sound=sound, tags=tags[status.id], language=status.language or "",
            engagement=status.favourites_count + status.reblogs_count + status.replies_count))
    return documents


def attach(node: Node) -> None:
    """Make Takes searchable on a node whose search index is attached."""
    from ..api.entities.takes import take_entities

    index = node.search
    if index is None:
        return

    async def render(node: Node, ids: list[int], viewer: Account | None) -> list[dict[str, Any]]:
        rows = {s.id: s for s in await Status.filter(id__in=ids)}
        shown = await visibility.visible(viewer, [rows[i] for i in ids if i in rows])
        return await take_entities(node, shown, viewer)

    index.register_kind("takes", ExtraKind(build=build, render=render, source=(Take, "status_id")))

    async def upsert(take: Take, **_: Any) -> None:
        await index.enqueue("takes", [take.status_id])

    async def remove(take: Take, **_: Any) -> None:
        await index.enqueue("takes", [take.status_id], op="delete")

    for name in ("take.created", "take.updated"):
        node.bus.subscribe(name, upsert)
    node.bus.subscribe("take.deleted", remove)

    async def engaged(**payload: Any) -> None:  # likes and shares change a Take's ranking
        status_id = None
        if (favourite := payload.get("favourite")) is not None:
            status_id = favourite.status_id
        elif (status := payload.get("status")) is not None:
            status_id = status.reblog_of_id or status.id
        # a plain statement: every favourite and reblog asks, and the ORM built this one for ~0.2 ms each time
        if status_id is not None and await db.query("SELECT 1 FROM takes WHERE status_id = ? LIMIT 1", [status_id]):
            await index.enqueue("takes", [status_id])

    for name in ("favourite.created", "favourite.deleted", "reblog.created", "reblog.deleted", "status.updated"):
        node.bus.subscribe(name, engaged)
