"""Encrypted attachments: the ciphertext blobs clients upload (encrypted in the client with a fresh
AES-256-CTR key that travels inside the message; the node never has it), checked against the SHA-256 the
client declares, under a size limit and a per-account quota, stored as files in the plugin's data folder,
readable only by the conversation they were uploaded for, and deleted with their message's expiry.

A blob lives on its uploader's node only. A member on another node reads it through their own node, which
fetches it from the origin signed as that member and hands it on without writing it anywhere, so the only
copy on disk is the origin's, and it goes when the message does."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from node.plugin_api import AccountInfo, NodeApi

from .envelopes import KEEP, check_expiry
from .errors import BadRequest, E2EEError, Invalid, NotFound
from .groups import visible_group
from .models import Attachment, GroupMember

BLOB_ID = re.compile(r"^[A-Za-z0-9_\-]{32}$")
SHA256 = re.compile(r"^[A-Za-z0-9+/]{43}$")  # 32 bytes, unpadded base64
CHUNK = 256 * 1024
BLOB_PATH = "/e2ee/blobs/"


class TooLarge(E2EEError):
    status = 413


@dataclass(frozen=True)
class Limits:
    max_bytes: int  # one attachment's ciphertext
    quota_bytes: int  # everything one account has stored and not yet expired

    @classmethod
    def of(cls, api: NodeApi) -> Limits:
        return cls(int(api.settings["attachment_max_bytes"]), int(api.settings["attachment_quota_bytes"]))


def folder(api: NodeApi) -> Path:
    path = api.data_dir / "attachments"
    path.mkdir(exist_ok=True)
    return path


def blob_path(api: NodeApi, blob_id: str) -> Path:
    return folder(api) / blob_id


def blob_url(api: NodeApi, blob_id: str) -> str:
    """The blob's address: other nodes fetch it here (signed), and it is what messages carry."""
    return api.url(f"{BLOB_PATH}{blob_id}")


def digest(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode().rstrip("=")


async def used_bytes(owner_id: int, now: datetime) -> int:
    rows = await Attachment.filter(owner_id=owner_id, expires_at__gt=now).annotate(total=Sum("size")) \
        .values_list("total", flat=True)
    return int(rows[0] or 0) if rows else 0


async def _conversation(api: NodeApi, owner: AccountInfo, account_id: Any, group_id: Any) -> tuple[int | None,
                                                                                                   int | None]:
    """Which conversation the blob belongs to: one other account, or a group the uploader is in."""
    if bool(account_id) == bool(group_id):
        raise BadRequest("give either account_id (a 1:1 conversation) or group_id (a group)")
    if group_id:
        return None, (await visible_group(owner, group_id)).id
    peer = await api.get_account(str(account_id)) if str(account_id).isdigit() else None
    if peer is None:
        raise NotFound(f"No account {account_id}")
    return peer.id, None


async def upload(api: NodeApi, owner: AccountInfo, request: web.Request, *, account_id: Any, group_id: Any,
                 sha256: Any, expires_in: Any) -> Attachment:
    """Stream the ciphertext to a temporary file, hashing and counting as it comes; keep it only when the
    hash matches, it is under the size limit and the owner's quota. Nothing is left behind otherwise."""
    limits = Limits.of(api)
    now = api.now()
    if not isinstance(sha256, str) or not SHA256.match(sha256):
        raise Invalid("sha256 must be the ciphertext's SHA-256 in unpadded base64 (43 characters)")
    expires_at = check_expiry(expires_in, now) or now + KEEP
    peer_id, group = await _conversation(api, owner, account_id, group_id)
    declared = request.content_length
    if declared is not None and declared > limits.max_bytes:
        raise TooLarge(f"an attachment may be at most {limits.max_bytes} bytes")
    used = await used_bytes(owner.id, now)
    if declared is not None and used + declared > limits.quota_bytes:
        raise Invalid(f"over your attachment quota ({used} of {limits.quota_bytes} bytes used)")
    blob_id = secrets.token_urlsafe(24)
    target = blob_path(api, blob_id)
    partial = target.with_name(f".{blob_id}.part")
    hasher, size = hashlib.sha256(), 0
    try:
        with open(partial, "wb") as out:
            async for chunk in request.content.iter_chunked(CHUNK):
                size += len(chunk)
                if size > limits.max_bytes:
                    raise TooLarge(f"an attachment may be at most {limits.max_bytes} bytes")
                hasher.update(chunk)
                await api.run_blocking(out.write, chunk)  # a slow disk must not stall the event loop
            await api.run_blocking(_sync, out)  # acknowledged means on disk
        if size == 0:
            raise Invalid("the attachment is empty")
        if base64.b64encode(hasher.digest()).decode().rstrip("=") != sha256:
            raise Invalid("the ciphertext's SHA-256 does not match sha256")
        async with in_transaction():
            used = await used_bytes(owner.id, now)  # again: uploads may have run side by side
            if used + size > limits.quota_bytes:
                raise Invalid(f"over your attachment quota ({used} of {limits.quota_bytes} bytes used)")
            row = await Attachment.create(blob_id=blob_id, owner_id=owner.id, account_id=peer_id, group_id=group,
                                          size=size, sha256=sha256, created_at=now, expires_at=expires_at)
            partial.replace(target)
        return row
    finally:
        partial.unlink(missing_ok=True)


def _sync(out: Any) -> None:
    out.flush()
    os.fsync(out.fileno())


async def may_read(attachment: Attachment, account: AccountInfo) -> bool:
    """The uploader, the other person of a 1:1 conversation, or a current member of the group."""
    if account.id in (attachment.owner_id, attachment.account_id):
        return True
    return attachment.group_id is not None and await GroupMember.filter(
        group_id=attachment.group_id, account_id=account.id).exists()


async def readable(api: NodeApi, blob_id: str, account: AccountInfo) -> Attachment:
    """The live blob `blob_id` if `account` may read it; 404 for any other (ids reveal nothing)."""
    row = await Attachment.filter(blob_id=blob_id).first() if BLOB_ID.match(blob_id) else None
    if row is None or row.expires_at <= api.now() or not await may_read(row, account) \
            or not blob_path(api, blob_id).exists():
        raise NotFound()
    return row


def blob_response(api: NodeApi, row: Attachment) -> web.FileResponse:
    return web.FileResponse(blob_path(api, row.blob_id), headers={
        "Content-Type": "application/octet-stream", "Cache-Control": "private, no-store",
        "Content-Disposition": "attachment", "Digest": f"sha-256={row.sha256}"})


def remote_blob(api: NodeApi, url: Any) -> str:
    """Check a blob URL of another node: http(s), the blob path, a well-formed id."""
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.path.startswith(BLOB_PATH) \
            or not BLOB_ID.match(parts.path[len(BLOB_PATH):]) or parts.query or parts.fragment:
        raise BadRequest(f"url must be an attachment address ({api.url(BLOB_PATH)}<id> on some node)")
    return parts.path[len(BLOB_PATH):]


async def remove(api: NodeApi, owner: AccountInfo, blob_id: str) -> None:
    """The uploader deletes a blob early (the message was deleted for everyone)."""
    row = await Attachment.filter(blob_id=blob_id, owner_id=owner.id).first() if BLOB_ID.match(blob_id) else None
    if row is None:
        raise NotFound()
    await row.delete()
    blob_path(api, blob_id).unlink(missing_ok=True)


async def expire(api: NodeApi, now: datetime | None = None) -> int:
    """Delete blobs whose message expired (or that are 30 days old), rows and files; returns how many.
    Files whose row is gone (a crash between the two) are swept too."""
    now = now or api.now()
    gone = await Attachment.filter(expires_at__lte=now).values_list("blob_id", flat=True)
    await Attachment.filter(blob_id__in=list(gone)).delete()
    for blob_id in gone:
        blob_path(api, blob_id).unlink(missing_ok=True)
    live = set(await Attachment.all().values_list("blob_id", flat=True))
    stale = now.timestamp() - 3600  # a file without a row: an upload in flight, or one whose row went
    for path in folder(api).iterdir():
        name = path.name.lstrip(".").removesuffix(".part")
        if name not in live and path.stat().st_mtime < stale:
            path.unlink(missing_ok=True)
    return len(gone)
