"""What a story may show: an image of the poster's (on screen for a chosen 1-15 seconds, default 5) or a
video of at most 60 seconds, probed exactly as Takes are (container, playable codec, length, size)."""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import ValidationFailed
from ...models import Account, MediaAttachment, Story
from ...runtime import Node
from .. import media as media_service
from ..takes import probe_video

MAX_VIDEO_SECONDS = 60
IMAGE_SECONDS = 5.0
IMAGE_RANGE = (1.0, 15.0)


@dataclass
class StoryMedia:
    attachment: MediaAttachment
    duration: float


async def checked(node: Node, account: Account, media_id: int | None, duration: float | None) -> StoryMedia:
    """The poster's unattached upload, validated for a story; nothing is changed here."""
    if media_id is None:
        raise ValidationFailed("Validation failed: A story needs media (media_id from /api/v2/media)")
    media = (await media_service.attachable(account, [media_id]))[0]
    if media.type == "image":
        seconds = IMAGE_SECONDS if duration is None else duration
        if not IMAGE_RANGE[0] <= seconds <= IMAGE_RANGE[1]:
            raise ValidationFailed(f"Validation failed: An image story is shown for {IMAGE_RANGE[0]:g} to "
                                   f"{IMAGE_RANGE[1]:g} seconds")
        return StoryMedia(media, float(seconds))
    if media.type != "video" or not media.file_path:
        raise ValidationFailed("Validation failed: A story must be an image or a video")
    facts = await node.run_blocking(probe_video, node.config.media_dir / media.file_path)
    if facts.duration > MAX_VIDEO_SECONDS:
        raise ValidationFailed(f"Validation failed: The video is {facts.duration:.0f} seconds long "
                               f"(a story may be at most {MAX_VIDEO_SECONDS} seconds)")
    return StoryMedia(media, facts.duration)


async def copy_of(node: Node, account: Account, story: Story) -> MediaAttachment:
    """A new upload of the author's with the bytes of one of their stories' media (a shared answer's
    background by default): its own files, so deleting either story leaves the other whole."""
    path = node.config.media_dir / story.file_path if story.file_path else None
    if path is None or not path.is_file():
        raise ValidationFailed("Validation failed: The story's media is gone; choose a background (media_id)")
    data = await node.run_blocking(path.read_bytes)
    processed, file_path, preview_path = await media_service.store_fetched(node, data)
    size = (node.config.media_dir / file_path).stat().st_size
    return await MediaAttachment.create(
        account=account, type=processed.kind, mime_type=processed.mime_type, file_path=file_path,
        preview_path=preview_path, file_size=size, width=processed.width, height=processed.height,
        duration=processed.duration, blurhash=processed.blurhash, description=story.description)
