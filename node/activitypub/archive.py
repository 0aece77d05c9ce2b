"""Building an account archive, laid out as Mastodon's: actor.json (the Person, its outbox, likes and
bookmarks pointing into the zip), outbox.json (every post of the account, any visibility, as the Create or
Announce we federate), likes.json and bookmarks.json (OrderedCollections of post ids), the avatar and
header, and media_attachments/ with every attachment file, which the notes' `url`s name by that path.

`run_once` builds the oldest pending archive, writing the progress as it goes, and queues the "archive
ready" mail when mail is on."""

from __future__ import annotations

import json
import logging
import secrets
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from federation.as2 import default_context

from ..errors import DomainError
from ..models import Account, AccountArchive, Bookmark, ChannelJob, Favourite, MediaAttachment, Status
from ..notify.dispatcher import mail_enabled
from ..services import account_archives
from . import serialize
from .actors import person_document

if TYPE_CHECKING:
    from ..runtime import Node

log = logging.getLogger(__name__)

BATCH = 100  # statuses serialised between two progress writes


def _collection(name: str, items: list[Any]) -> dict[str, Any]:
    return {
        "@context": default_context(),
        "id": name,
        "type": "OrderedCollection",
        "totalItems": len(items),
        "orderedItems": items,
    }


def _local_media_path(node: Node, url: Any) -> str | None:
    prefix = node.urls.media("x")[:-1]
    return url[len(prefix) :] if isinstance(url, str) and url.startswith(prefix) else None


def _write_zip(target: Path, documents: dict[str, Any], files: dict[str, Path]) -> int:
    """Write the zip beside its final name, then move it there (a crash leaves no half archive)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, doc in documents.items():
            archive.writestr(name, json.dumps(doc, ensure_ascii=False, indent=1))
        for name, path in files.items():
            if path.is_file():
                archive.write(path, name, compress_type=zipfile.ZIP_STORED)  # pictures and video: compressed
    partial.replace(target)
    return target.stat().st_size


async def build(node: Node, archive: AccountArchive) -> None:
    account = await Account.get(id=archive.account_id)
    media_dir = node.config.media_dir
    query = Status.filter(account_id=account.id).order_by("id")
    archive.total_items = await query.count()
    await archive.save(update_fields=["total_items"])
    items: list[dict[str, Any]] = []
    files: dict[str, Path] = {}
    last = 0
    while batch := await query.filter(id__gt=last).limit(BATCH):
        last = batch[-1].id
        for status in batch:
            if status.reblog_of_id is not None:
                original = await Status.filter(id=status.reblog_of_id).first()
                author = await Account.filter(id=original.account_id).first() if original else None
                if original is not None and author is not None:
                    items.append(serialize.announce_activity(status, account, original, author))
                continue
            activity = await serialize.create_activity(node, status)
            for attachment in activity["object"].get("attachment") or []:
                relative = _local_media_path(node, attachment.get("url"))
                if relative:  # the note names the file by its path in the zip, as Mastodon's archive does
                    attachment["url"] = f"media_attachments/{relative}"
            activity.pop("@context", None)
            items.append(activity)
        for media in await MediaAttachment.filter(status_id__in=[s.id for s in batch]).exclude(file_path=""):
            files[f"media_attachments/{media.file_path}"] = media_dir / media.file_path
        archive.processed_items += len(batch)
        await archive.save(update_fields=["processed_items"])
    actor = await person_document(node, account)
    actor.update(outbox="outbox.json", likes="likes.json", bookmarks="bookmarks.json")
    for key, value in (("icon", account.avatar), ("image", account.header)):
        if value and not value.startswith(("http://", "https://")) and key in actor:
            name = f"{'avatar' if key == 'icon' else 'header'}{Path(value).suffix}"
            actor[key]["url"] = name
            files[name] = media_dir / value
    liked = await Favourite.filter(account_id=account.id).order_by("id").values_list("status__uri", flat=True)
    kept = await Bookmark.filter(account_id=account.id).order_by("id").values_list("status__uri", flat=True)
    documents = {
        "actor.json": actor,
        "outbox.json": _collection("outbox.json", items),
        "likes.json": _collection("likes.json", [u for u in liked if u]),
        "bookmarks.json": _collection("bookmarks.json", [u for u in kept if u]),
    }
    relative = f"{secrets.token_hex(16)}.zip"
    size = await node.run_blocking(_write_zip, account_archives.folder(node) / relative, documents, files)
    archive.state, archive.file_path, archive.file_size = "ready", relative, size
    archive.finished_at = node.clock.now()
    await archive.save(update_fields=["state", "file_path", "file_size", "finished_at"])


async def run_once(node: Node) -> int:
    """Build the oldest pending archive; returns 1 if one was built (or failed), else 0."""
    archive = await AccountArchive.filter(state="pending").order_by("id").first()
    if archive is None:
        return 0
    try:
        await build(node, archive)
    # a full disk or an unreadable file: said on the page, not retried forever
    except (OSError, DomainError) as exc:
        log.warning("archive %s failed: %s", archive.id, exc)
        archive.state, archive.error = "failed", str(exc)[:255]
        await archive.save(update_fields=["state", "error"])
        return 1
    await _remove_older(node, archive)
    if mail_enabled(node):
        now = node.clock.now()
        await ChannelJob.create(
            account_id=archive.account_id, channel="email", kind="archive", due_at=now, created_at=now
        )
    return 1


async def _remove_older(node: Node, archive: AccountArchive) -> None:
    """One's earlier archives go when a new one is ready: only the newest is kept."""
    older = await AccountArchive.filter(account_id=archive.account_id, id__lt=archive.id)
    for row in older:
        if row.file_path:
            (account_archives.folder(node) / row.file_path).unlink(missing_ok=True)
    await AccountArchive.filter(id__in=[r.id for r in older]).update(file_path="", state="expired")
