"""What a story may show: an image of the poster's (on screen for a chosen 1-15 seconds, default 5) or a
video of at most 60 seconds, probed exactly as Takes are (container, playable codec, length, size)."""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import ValidationFailed
from ...models import Account, MediaAttachment
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
