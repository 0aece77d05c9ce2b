"""Other servers' media, copied and served from our own URLs as Mastodon does: the attachments of remote
statuses and the avatars and headers of remote accounts (their custom emoji are copied by emoji.py).

Nothing waits on another server. Ingest stores an attachment as `pending` in the status's own transaction
(a crash keeps the intent), an account as `images_state = pending` with its row; `run_once`, a periodic job,
downloads what is due through the federation client (its SSRF guard checks every address and every redirect
hop, and `media.remote_max_bytes` stops the read), and node/services/media.py decides what the bytes are
(Pillow, PyAV) exactly as for an upload, making the blurhash, dimensions and preview. Until a copy exists
the entities show the remote URL; what cannot be copied (refused, too large, not media) stays a link to
its remote URL, type "unknown", and is never served from here.

`prune` deletes the copies older than `media.remote_retention_days` (never a local upload) and marks them
pruned; their entities then point at /media_proxy/:id/:style, which copies them again when asked for
(Mastodon's media proxy). A server under a domain block with reject_media gets nothing fetched.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import IO, TYPE_CHECKING, Any

from federation.client import BlockedDestinationError, FetchError, HttpStatusError, ResponseTooLargeError

from ..errors import DomainError, NotFound, PayloadTooLarge, ValidationFailed
from ..models import Account, MediaAttachment, Status, row_id
from ..services import media as media_service
from ..services import visibility
from . import moderation, state

if TYPE_CHECKING:
    from ..runtime import Node

log = logging.getLogger(__name__)

BATCH = 8  # copies made at once by one run of the job
MAX_ATTEMPTS = 4
RETRY = timedelta(minutes=5)  # times the attempt number: 5, 10, 15 minutes, then failed
FETCH_SECONDS = 120.0  # for one file, however large; a stalled read ends sooner (the client's read timeout)
SPOOL_BYTES = 1024 * 1024  # a download is held in memory up to this, then in a temporary file
ACCEPT = "image/*, video/*, audio/*;q=0.9, */*;q=0.5"
STYLES = ("original", "small")

# Copies being made, by row: the job and a media proxy request for the same file share one download.
_running: dict[tuple[Any, ...], asyncio.Future[Any]] = {}


def _single(node: Node, key: tuple[str, int], make: Callable[[], Awaitable[Any]]) -> Awaitable[Any]:
    slot = (id(node), *key)
    task = _running.get(slot)
    if task is None or task.done():
        task = asyncio.ensure_future(make())
        _running[slot] = task
        task.add_done_callback(lambda _task: _running.pop(slot, None) if _running.get(slot) is _task else None)
    return asyncio.shield(task)


def _permanent(exc: BaseException) -> bool:
    """Failures that another attempt cannot fix: a refused address, a file too large or not media, a 4xx."""
    if isinstance(exc, BlockedDestinationError | ResponseTooLargeError | PayloadTooLarge | ValidationFailed):
        return True
    return isinstance(exc, HttpStatusError) and exc.status is not None and 400 <= exc.status < 500 and (
        exc.status not in (408, 429))


def _reason(exc: BaseException) -> str:
    if isinstance(exc, FetchError):
        return exc.reason
    if isinstance(exc, DomainError):
        return exc.message
    return "timed out" if isinstance(exc, TimeoutError) else f"{type(exc).__name__}: {exc}"


async def download(node: Node, url: str, max_bytes: int | None = None) -> IO[bytes]:
    """The file at `url` through the guarded client, read under the cap (`media.remote_max_bytes` unless
    given) into a spooled temporary file, which the caller closes. Raises FetchError."""
    client = state.of(node).client
    cap = node.config.media.remote_max_bytes if max_bytes is None else max_bytes
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - returned open
    try:
        async with asyncio.timeout(FETCH_SECONDS), client.stream_get(
                url, max_bytes=cap, headers={"Accept": ACCEPT}) as response:
            if not 200 <= response.status < 300:
                raise HttpStatusError(response.url, response.status)
            async for chunk in response.chunks():
                spool.write(chunk)  # memory, or the page cache past SPOOL_BYTES: no wait worth an executor
        spool.seek(0)
        return spool
    except TimeoutError:
        spool.close()
        raise FetchError(url, f"not read within {FETCH_SECONDS:.0f} s") from None
    except BaseException:
        spool.close()
        raise


# ---- attachments ------------------------------------------------------------------------------------------


def pending(node: Node, media: MediaAttachment) -> MediaAttachment:
    """Mark a new remote attachment row (not yet saved) to be copied: saved with its status, the row is the
    job's durable to-do."""
    media.remote_state = "pending"
    media.fetch_after = node.clock.now()
    return media


async def _domain_of(account_id: int) -> str:
    found = await Account.filter(id=account_id).first().values_list("domain", flat=True)
    return str(found or "")


async def copy_attachment(node: Node, media: MediaAttachment) -> MediaAttachment:
    """Copy one remote attachment now (the job's step, and the media proxy's when a pruned copy is asked
    for); concurrent callers for one row share the download. Returns the row as it is afterwards."""
    return await _single(node, ("media", media.id), lambda: _copy_attachment(node, media.id))


async def _copy_attachment(node: Node, media_id: int) -> MediaAttachment:
    media = await MediaAttachment.filter(id=media_id).first()
    if media is None:
        raise NotFound()
    if media.file_path or not media.remote_url or media.remote_state in ("", "failed"):
        return media  # a local upload, a copy made meanwhile, or one that cannot be made
    now = node.clock.now()
    on_demand = media.remote_state == "pruned"
    media.fetch_attempts += 1
    try:
        domain = await _domain_of(media.account_id)
        if not domain:
            raise ValidationFailed("a local account's attachment is not copied")
        if await moderation.rejects_media(domain):
            raise ValidationFailed(f"media from {domain} are rejected")
        fetched = await download(node, media.remote_url)
        try:
            processed, file_path, preview_path = await media_service.store_fetched(
                node, fetched, max_bytes=node.config.media.remote_max_bytes, audio=True)
        finally:
            fetched.close()
    except (FetchError, DomainError, TimeoutError) as exc:
        final = _permanent(exc) or media.fetch_attempts >= MAX_ATTEMPTS
        log.info("remote media %s not copied: %s", media.remote_url, _reason(exc))
        values: dict[str, Any] = {"fetch_error": _reason(exc)[:500], "fetch_attempts": media.fetch_attempts}
        if on_demand:
            pass  # stays pruned: asked for again, it is tried again
        elif final:  # as Mastodon: a file it could not download is "unknown", a link to the remote URL
            values.update(remote_state="failed", type="unknown", fetch_after=None)
        else:
            values["fetch_after"] = now + RETRY * media.fetch_attempts
        await MediaAttachment.filter(id=media.id).update(**values)
        await media.refresh_from_db()
        return media
    kind = processed.kind
    if kind == "video" and media.type == "gifv":
        kind = "gifv"  # a silent loop the sender marked as such (Mastodon's GIFs) stays one
    size = (node.config.media_dir / file_path).stat().st_size
    values = {"type": kind, "mime_type": processed.mime_type, "file_path": file_path, "preview_path": preview_path,
              "file_size": size, "width": processed.width or None, "height": processed.height or None,
              "duration": processed.duration, "blurhash": processed.blurhash, "remote_state": "cached",
              "cached_at": now, "fetch_after": None, "fetch_error": "", "fetch_attempts": media.fetch_attempts}
    if not await MediaAttachment.filter(id=media.id, file_path="").update(**values):
        await media_service.remove_files(node, [file_path, preview_path])  # the status went meanwhile
        raise NotFound()
    await media.refresh_from_db()
    return media


async def proxied(node: Node, viewer: Account | None, media_id: str, style: str) -> str:
    """GET /media_proxy/:id/:style: the URL of our copy of a remote attachment the viewer may see, copied
    again first when it was pruned (or is still pending); 404 when there is nothing to show."""
    if style not in STYLES:
        raise NotFound()
    media = await MediaAttachment.filter(id=row_id(media_id)).first()
    if media is None or not media.remote_url or media.status_id is None:
        raise NotFound()
    status = await Status.filter(id=media.status_id).first()
    if status is None or not await visibility.can_see(viewer, status):
        raise NotFound()
    if not media.file_path:
        if await moderation.rejects_media(await _domain_of(media.account_id)):
            raise NotFound()
        media = await copy_attachment(node, media)
        if not media.file_path:
            raise NotFound(f"The remote file could not be fetched: {media.fetch_error or 'not available'}")
    path = media.preview_path if style == "small" and media.preview_path else media.file_path
    return node.urls.media(path)


# ---- avatars and headers ----------------------------------------------------------------------------------


async def profile_image_values(node: Node, domain: str, avatar: str, header: str, before: Account | None
                               ) -> dict[str, Any]:
    """The copy state to store with a remote account's (new) avatar and header URLs: new URLs are copied by
    the job (the old copy shown meanwhile), no pictures leave no copy, reject_media fetches and shows none."""
    if await moderation.rejects_media(domain):
        return {"images_state": "rejected", "images_fetch_after": None}
    if not avatar and not header:
        return {"images_state": "", "images_fetch_after": None, "avatar_file": "", "header_file": ""}
    if before is not None and (before.avatar, before.header) == (avatar, header) and before.images_state not in (
            "", "rejected"):
        return {}  # the same pictures: the copy (or its pending state) stands
    return {"images_state": "pending", "images_fetch_after": node.clock.now(), "images_attempts": 0}


async def copy_profile_images(node: Node, account: Account) -> Account | None:
    return await _single(node, ("account", account.id), lambda: _copy_profile_images(node, account.id))


async def _copy_profile_images(node: Node, account_id: int) -> Account | None:
    account = await Account.filter(id=account_id).first()
    if account is None or account.local or account.images_state != "pending":
        return account
    account.images_attempts += 1
    made: dict[str, str] = {}
    problem: BaseException | None = None
    try:
        if await moderation.rejects_media(account.domain):
            await Account.filter(id=account.id).update(images_state="rejected", images_fetch_after=None)
            return await Account.filter(id=account.id).first()
        for role in ("avatar", "header"):
            url = getattr(account, role)
            if not url.startswith(("http://", "https://")):
                made[role] = ""
                continue
            try:
                fetched = await download(node, url)
                try:
                    made[role] = await media_service.store_profile_image(
                        node, fetched, role, max_bytes=node.config.media.remote_max_bytes)
                finally:
                    fetched.close()
            except (FetchError, DomainError, TimeoutError) as exc:
                log.info("%s of %s not copied: %s", role, account.uri, _reason(exc))
                if not _permanent(exc):
                    problem = exc  # tried again later, as a whole
                made[role] = ""  # shown from its server meanwhile
    except BaseException:
        await media_service.remove_files(node, list(made.values()))
        raise
    if problem is not None and account.images_attempts < MAX_ATTEMPTS:
        await media_service.remove_files(node, list(made.values()))
        await Account.filter(id=account.id).update(
            images_attempts=account.images_attempts,
            images_fetch_after=node.clock.now() + RETRY * account.images_attempts)
        return await Account.filter(id=account.id).first()
    old = [account.avatar_file, account.header_file]
    done = await Account.filter(id=account.id, avatar=account.avatar, header=account.header).update(
        avatar_file=made["avatar"], header_file=made["header"], images_attempts=account.images_attempts,
        images_state="cached" if any(made.values()) else "failed", images_fetch_after=None)
    # Not done: the actor changed its pictures meanwhile, and the newer URLs are pending already.
    await media_service.remove_files(node, list(made.values()) if not done else [p for p in old if p])
    return await Account.filter(id=account.id).first()


# ---- the job ------------------------------------------------------------------------------------------------


async def run_once(node: Node, now: datetime | None = None) -> int:
    """Copy the attachments and profile pictures that are due (a few at a time); returns how many were tried."""
    if node.federation is None:
        return 0
    now = now or node.clock.now()
    media = await MediaAttachment.filter(fetch_after__lte=now, remote_state="pending").order_by(
        "fetch_after").limit(BATCH)
    accounts = await Account.filter(images_fetch_after__lte=now, images_state="pending").order_by(
        "images_fetch_after").limit(BATCH)
    results = await asyncio.gather(*(copy_attachment(node, m) for m in media),
                                   *(copy_profile_images(node, a) for a in accounts), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, DomainError):
            log.error("copying remote media failed", exc_info=result)
    return len(media) + len(accounts)


async def drain(node: Node, now: datetime | None = None, rounds: int = 20) -> int:
    """Run the job until nothing is due (tests call it; the scheduler runs `run_once`)."""
    total = 0
    for _ in range(rounds):
        done = await run_once(node, now)
        total += done
        if not done:
            break
    return total


# ---- pruning --------------------------------------------------------------------------------------------------


async def prune(node: Node, older_than: timedelta | None = None, *, now: datetime | None = None) -> int:
    """Delete the copies of remote attachments made before `older_than` ago (default: the configured
    retention; 0 days there keeps them for ever) and mark them pruned. Local uploads are never touched: only
    rows with a remote URL by an account of another server. Returns how many copies were deleted."""
    if older_than is None:
        days = node.config.media.remote_retention_days
        if not days:
            return 0
        older_than = timedelta(days=days)
    cutoff = (now or node.clock.now()) - older_than
    pruned = 0
    while True:
        rows = await MediaAttachment.filter(cached_at__lt=cutoff, remote_state="cached").exclude(
            remote_url="").exclude(account__domain="").limit(500)
        if not rows:
            return pruned
        for media in rows:
            # The row first: a reader never gets a URL to a file already gone for long.
            if await MediaAttachment.filter(id=media.id, remote_state="cached").update(
                    remote_state="pruned", file_path="", preview_path="", cached_at=None, fetch_attempts=0):
                await media_service.remove_files(node, [media.file_path, media.preview_path])
                pruned += 1


async def run_prune(node: Node) -> int:
    """The scheduled prune (hourly), with the configured retention."""
    return await prune(node)
