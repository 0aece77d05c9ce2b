"""Media uploads: type checked by content (Pillow for images, PyAV for video and audio), size capped, EXIF
stripped, thumbnail and blurhash made, stored in a sharded folder under the media dir. Also profile images,
and fetched copies of other servers' media (`store_fetched`), which go through the same checks.

All decoding runs in the executor; nothing is written unless the whole upload is accepted.
"""

from __future__ import annotations

import io
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import blurhash
from aiohttp.web_request import FileField
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import NotFound, PayloadTooLarge, ValidationFailed
from ..models import Account, MediaAttachment, row_id
from ..runtime import Node

MB = 1024 * 1024
IMAGE_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "GIF": ("image/gif", "gif"),
                 "WEBP": ("image/webp", "webp")}
VIDEO_CONTAINERS = {"mp4": ("video/mp4", "mp4"), "mov": ("video/quicktime", "mov"), "webm": ("video/webm", "webm")}
# Audio as Mastodon accepts it (FFmpeg's demuxer name -> type, extension); "mp4" is audio-only MP4 (M4A).
AUDIO_CONTAINERS = {"mp3": ("audio/mpeg", "mp3"), "ogg": ("audio/ogg", "ogg"), "wav": ("audio/wav", "wav"),
                    "flac": ("audio/flac", "flac"), "mp4": ("audio/mp4", "m4a")}
SMALL = (640, 640)  # the preview ("small") size bound
MAX_DESCRIPTION = 1500
INVALID_TYPE = "Validation failed: File content type is invalid"
MAX_ATTACHMENTS = 4


@dataclass
class Processed:
    """What the executor hands back: the files to write and the facts to record."""

    kind: str
    mime_type: str
    extension: str
    width: int
    height: int
    duration: float | None
    blurhash: str | None
    original: bytes | None  # re-encoded bytes, or None to copy the upload as it is
    preview: bytes | None  # None for audio: it has no picture


def _size(upload: IO[bytes]) -> int:
    upload.seek(0, io.SEEK_END)
    size = upload.tell()
    upload.seek(0)
    return size


def _thumbnail(image: Image.Image) -> tuple[bytes, str]:
    small = ImageOps.exif_transpose(image).copy()
    small.thumbnail(SMALL)
    small = small.convert("RGB")
    out = io.BytesIO()
    small.save(out, "JPEG", quality=80)
    hash_source = small.copy()
    hash_source.thumbnail((32, 32))  # blurhash is pure Python: a tiny image keeps it to a millisecond
    width, height = hash_source.size
    pixels = list(hash_source.getdata())
    rows = [pixels[y * width:(y + 1) * width] for y in range(height)]
    return out.getvalue(), blurhash.encode(rows, components_x=4, components_y=3)


def _probe_image(upload: IO[bytes]) -> Image.Image | None:
    try:
        image = Image.open(upload)
        if image.format not in IMAGE_FORMATS:
            return None
        return image
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        return None
    finally:
        upload.seek(0)


def _process_image(upload: IO[bytes], image: Image.Image) -> Processed:
    mime, extension = IMAGE_FORMATS[image.format or ""]
    try:
        image.load()
        original = None
        if image.format == "JPEG":  # re-encode without EXIF (location, camera serials), upright
            upright = ImageOps.exif_transpose(image).convert("RGB")
            out = io.BytesIO()
            upright.save(out, "JPEG", quality=90)
            original = out.getvalue()
            width, height = upright.size
        else:
            width, height = image.size
        preview, hash_ = _thumbnail(image)
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        raise ValidationFailed(INVALID_TYPE) from None
    return Processed(kind="image", mime_type=mime, extension=extension, width=width, height=height,
                     duration=None, blurhash=hash_, original=original, preview=preview)


def _process_video(upload: IO[bytes]) -> Processed | None:
    import av  # imported here: only video uploads pay for loading FFmpeg

    try:
        with av.open(upload, mode="r") as container:
            names = set(container.format.name.split(","))
            if not names & {"mp4", "mov", "webm"}:
                return None
            if not container.streams.video:
                return None
            stream = container.streams.video[0]
            brand = str(container.metadata.get("major_brand", "")).strip()
            key = "webm" if "webm" in names else ("mov" if brand == "qt" else "mp4")
            duration = None
            if container.duration is not None:
                duration = container.duration / av.time_base
            elif stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            frame = next(container.decode(video=0), None)
            if frame is None:
                return None
            first = frame.to_image()
    except (av.FFmpegError, StopIteration, ValueError, OSError):
        return None
    finally:
        upload.seek(0)
    preview, hash_ = _thumbnail(first)
    mime, extension = VIDEO_CONTAINERS[key]
    return Processed(kind="video", mime_type=mime, extension=extension, width=first.width, height=first.height,
                     duration=round(duration, 3) if duration is not None else None, blurhash=hash_,
                     original=None, preview=preview)


def _process_audio(upload: IO[bytes]) -> Processed | None:
    import av

    try:
        with av.open(upload, mode="r") as container:
            names = set(container.format.name.split(","))
            key = next((name for name in AUDIO_CONTAINERS if name in names), None)
            # An MP3's cover art is a video stream too; an MP4 with a picture track is a video, not audio.
            if key is None or not container.streams.audio or (key == "mp4" and container.streams.video):
                return None
            duration = container.duration / av.time_base if container.duration is not None else None
    except (av.FFmpegError, ValueError, OSError):
        return None
    finally:
        upload.seek(0)
    mime, extension = AUDIO_CONTAINERS[key]
    return Processed(kind="audio", mime_type=mime, extension=extension, width=0, height=0,
                     duration=round(duration, 3) if duration is not None else None, blurhash=None,
                     original=None, preview=None)


def _inspect(upload: IO[bytes], max_image: int, max_video: int, audio: bool = False) -> Processed:
    """Decide what the upload is by its content and enforce that kind's size cap (blocking); `audio` also
    accepts sound files (remote media: our own uploads are pictures and video)."""
    size = _size(upload)
    if size > max(max_image, max_video):
        raise PayloadTooLarge(f"File is too large (maximum is {max(max_image, max_video) // MB} MB)")
    image = _probe_image(upload)
    if image is not None:
        if size > max_image:
            raise PayloadTooLarge(f"Image is too large (maximum is {max_image // MB} MB)")
        return _process_image(upload, image)
    if size > max_video:
        raise PayloadTooLarge(f"Video is too large (maximum is {max_video // MB} MB)")
    processed = _process_video(upload)
    if processed is None and audio:
        processed = _process_audio(upload)
    if processed is None:
        raise ValidationFailed(INVALID_TYPE)
    return processed


def _shard(extension: str) -> tuple[str, str]:
    token = secrets.token_hex(16)
    folder = f"attachments/{token[:2]}/{token[2:4]}"
    return f"{folder}/{token}.{extension}", f"{folder}/{token}_small.jpg"


def _write(media_dir: Path, relative: str, upload: IO[bytes], data: bytes | None) -> None:
    if not relative:
        return
    target = media_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if data is not None:
        target.write_bytes(data)
    else:
        upload.seek(0)
        with target.open("wb") as out:
            shutil.copyfileobj(upload, out)


def _remove(media_dir: Path, *relatives: str) -> None:
    for relative in relatives:
        if relative:
            (media_dir / relative).unlink(missing_ok=True)


def parse_focus(value: str | None) -> tuple[float, float]:
    if not value:
        return 0.0, 0.0
    try:
        x, y = (float(part) for part in str(value).split(","))
    except ValueError:
        raise ValidationFailed("Validation failed: Focus must be two numbers, x,y") from None
    if not (-1 <= x <= 1 and -1 <= y <= 1):
        raise ValidationFailed("Validation failed: Focus values must be between -1.0 and 1.0")
    return x, y


def _description(value: str | None) -> str:
    value = value or ""
    if len(value) > MAX_DESCRIPTION:
        raise ValidationFailed(f"Validation failed: Description is too long (maximum is {MAX_DESCRIPTION} characters)")
    return value


async def upload_media(node: Node, account: Account, upload: FileField | None, *, description: str | None = None,
                       focus: str | None = None, max_video_mb: int | None = None) -> MediaAttachment:
    """Check, process and store an upload; returns the unattached MediaAttachment. `max_video_mb`
    replaces the storage cap for videos (Takes have their own, `takes.max_mb`)."""
    if upload is None:
        raise ValidationFailed("Validation failed: File can't be blank")
    text = _description(description)
    x, y = parse_focus(focus)
    storage = node.config.storage
    processed = await node.run_blocking(_inspect, upload.file, storage.max_image_mb * MB,
                                        (max_video_mb or storage.max_video_mb) * MB)
    file_path, preview_path = _shard(processed.extension)
    media_dir = node.config.media_dir
    try:
        await node.run_blocking(_write, media_dir, file_path, upload.file, processed.original)
        await node.run_blocking(_write, media_dir, preview_path, upload.file, processed.preview)
        size = (media_dir / file_path).stat().st_size
        return await MediaAttachment.create(
            account=account, type=processed.kind, mime_type=processed.mime_type, file_path=file_path,
            preview_path=preview_path, file_size=size, width=processed.width, height=processed.height,
            duration=processed.duration, blurhash=processed.blurhash, description=text, focus_x=x, focus_y=y)
    except BaseException:
        await node.run_blocking(_remove, media_dir, file_path, preview_path)
        raise


async def own_media(account: Account, media_id: int | str) -> MediaAttachment:
    key = row_id(media_id)
    media = await MediaAttachment.filter(id=key, account_id=account.id).first()
    if media is None:
        raise NotFound()
    return media


async def update_media(account: Account, media_id: int | str, *, description: str | None = None,
                       focus: str | None = None) -> MediaAttachment:
    media = await own_media(account, media_id)
    if description is not None:
        media.description = _description(description)
    if focus is not None:
        media.focus_x, media.focus_y = parse_focus(focus)
    await media.save(update_fields=["description", "focus_x", "focus_y"])
    return media


async def attachable(account: Account, media_ids: list[int], *, status_id: int | None = None,
                     scheduled_status_id: int | None = None) -> list[MediaAttachment]:
    """The media to attach, in the order given: the caller's own, unattached (or already on `status_id`) and
    not held by a scheduled status (other than `scheduled_status_id`)."""
    media_ids = list(dict.fromkeys(media_ids))
    if len(media_ids) > MAX_ATTACHMENTS:
        raise ValidationFailed(f"Validation failed: Cannot attach more than {MAX_ATTACHMENTS} files")
    if not media_ids:
        return []
    rows = {m.id: m for m in await MediaAttachment.filter(id__in=media_ids, account_id=account.id)}
    usable = [rows[i] for i in media_ids if i in rows and rows[i].status_id in (None, status_id)
              and rows[i].scheduled_status_id in (None, scheduled_status_id)]
    if len(usable) != len(media_ids):
        missing = [str(i) for i in media_ids if i not in {m.id for m in usable}]
        raise ValidationFailed(f"Validation failed: Media attachments {', '.join(missing)} not found or already used")
    return usable


async def delete_files(node: Node, media: list[MediaAttachment]) -> None:
    paths = [p for m in media for p in (m.file_path, m.preview_path) if p]
    if paths:
        await node.run_blocking(_remove, node.config.media_dir, *paths)


def _profile_image(upload: IO[bytes], kind: str, max_bytes: int) -> tuple[bytes, str]:
    if _size(upload) > max_bytes:
        raise PayloadTooLarge(f"Image is too large (maximum is {max_bytes // MB} MB)")
    image = _probe_image(upload)
    if image is None:
        raise ValidationFailed(INVALID_TYPE)
    try:
        image = ImageOps.exif_transpose(image)
        if kind == "avatar":
            image = ImageOps.fit(image, (400, 400))
        else:
            image.thumbnail((1500, 500))
        alpha = image.mode in ("RGBA", "LA", "P")
        out = io.BytesIO()
        if alpha:
            image.convert("RGBA").save(out, "PNG", optimize=True)
        else:
            image.convert("RGB").save(out, "JPEG", quality=90)
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        raise ValidationFailed(INVALID_TYPE) from None
    return out.getvalue(), "png" if alpha else "jpg"


async def store_profile_image(node: Node, upload: FileField | IO[bytes], kind: str, *,
                              max_bytes: int | None = None) -> str:
    """Store an avatar (square 400 px) or header (at most 1500x500), an upload or a remote account's fetched
    picture (capped at `max_bytes` too); returns its path under the media dir."""
    if kind not in ("avatar", "header"):
        raise ValueError(f"unknown profile image kind {kind!r}")
    source: IO[bytes] = getattr(upload, "file", upload)  # an upload's part, or the fetched file itself
    cap = node.config.storage.max_image_mb * MB
    data, extension = await node.run_blocking(_profile_image, source, kind, min(cap, max_bytes or cap))
    token = secrets.token_hex(16)
    relative = f"{kind}s/{token[:2]}/{token[2:4]}/{token}.{extension}"
    await node.run_blocking(_write, node.config.media_dir, relative, source, data)
    return relative


async def store_fetched(node: Node, data: bytes | IO[bytes], *, max_bytes: int | None = None,
                        audio: bool = False) -> tuple[Processed, str, str]:
    """Check and store fetched media (a remote story's, a remote attachment) as an upload is: by content,
    size-capped (the storage caps, and `max_bytes` too when given), EXIF stripped, with a preview (none
    for audio: its preview path is ""). Returns what it is and its two paths under the media folder."""
    storage = node.config.storage
    upload = io.BytesIO(data) if isinstance(data, bytes) else data
    max_image, max_video = storage.max_image_mb * MB, storage.max_video_mb * MB
    if max_bytes is not None:
        max_image, max_video = min(max_image, max_bytes), min(max_video, max_bytes)
    processed = await node.run_blocking(_inspect, upload, max_image, max_video, audio)
    file_path, preview_path = _shard(processed.extension)
    if processed.preview is None:
        preview_path = ""
    try:
        await node.run_blocking(_write, node.config.media_dir, file_path, upload, processed.original)
        await node.run_blocking(_write, node.config.media_dir, preview_path, upload, processed.preview)
    except BaseException:
        await node.run_blocking(_remove, node.config.media_dir, file_path, preview_path)
        raise
    return processed, file_path, preview_path


async def remove_files(node: Node, paths: list[str]) -> None:
    if paths:
        await node.run_blocking(_remove, node.config.media_dir, *paths)
