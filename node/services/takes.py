"""Takes: posting a short vertical video as a status with its Take row (probed for real: container, codec,
duration, dimensions, within `takes.max_mb` / `takes.max_seconds`), editing, views, Behind-the-Take steps,
and the Takes feeds (following, local, trending).

A Take is a Status, so likes, comments, shares, saves, visibility and notifications are the statuses
service's; this module adds what is Take-specific and announces `take.*` events after each commit.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp.web_request import FileField
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Subquery
from tortoise.transactions import in_transaction

from .. import effects
from ..errors import NotFound, ValidationFailed
from ..models import (
    Account,
    BehindTheTakeStep,
    Follow,
    MediaAttachment,
    PendingEffect,
    Status,
    Take,
    TakeTrend,
    TakeView,
    row_id,
)
from ..models.status import VISIBILITIES
from ..runtime import Node
from . import media as media_service
from . import statuses, visibility
from .paging import Page

PLAYABLE_CODECS = {"h264": "H.264", "hevc": "H.265", "vp8": "VP8", "vp9": "VP9", "av1": "AV1"}
CONTAINERS = {"mp4", "mov", "webm", "matroska"}
MAX_CAPTION = 2200
MAX_STEPS = 30
MAX_STEP_TEXT = 1000
MAX_SOUND_FIELD = 200
TRENDING_DAYS = 7


@dataclass
class VideoFacts:
    container: str
    codec: str
    duration: float
    width: int
    height: int
    audio_codec: str | None


@dataclass
class StepSpec:
    text: str
    media_id: int | None = None
    at_seconds: float | None = None


@dataclass
class TakeDraft:
    """What a client asked to post as a Take, before validation."""

    caption: str = ""
    visibility: str = "public"
    spoiler_text: str = ""
    sensitive: bool = False
    language: str | None = None
    video: FileField | None = None
    media_id: int | None = None
    sound: dict[str, Any] = field(default_factory=dict)  # title, author, url
    place_id: object = None
    location: object = None
    template_id: int | None = None
    trend_name: str | None = None  # starting a trend ...
    trend_hashtag: str | None = None
    trend_id: int | None = None  # ... or joining one we know ...
    trend_uri: str | None = None  # ... or one known by its IRI (resolved)
    steps: list[StepSpec] | None = None


def _not_playable(why: str) -> ValidationFailed:
    return ValidationFailed(f"Validation failed: The file is not a playable video ({why})")


def probe_video(path: Path) -> VideoFacts:
    """Open the file with PyAV and read what a player needs (blocking: run it in the executor)."""
    import av

    try:
        with av.open(str(path), mode="r") as container:
            names = set(container.format.name.split(","))
            if not names & CONTAINERS:
                raise _not_playable(f"container {container.format.name} is not MP4, MOV or WebM")
            if not container.streams.video:
                raise _not_playable("it has no video stream")
            stream = container.streams.video[0]
            codec = stream.codec_context.name
            if codec not in PLAYABLE_CODECS:
                raise _not_playable(f"codec {codec} is not one of {', '.join(PLAYABLE_CODECS.values())}")
            duration = None
            if container.duration is not None:
                duration = container.duration / av.time_base
            elif stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            if next(container.decode(video=0), None) is None:
                raise _not_playable("no frame could be decoded")
            audio = container.streams.audio[0].codec_context.name if container.streams.audio else None
            width, height = stream.codec_context.width, stream.codec_context.height
    except ValidationFailed:
        raise
    except (av.FFmpegError, ValueError, OSError, StopIteration) as exc:
        raise _not_playable(type(exc).__name__) from None
    if not duration or duration <= 0:
        raise _not_playable("its length is unknown")
    if not width or not height:
        raise _not_playable("its size is unknown")
    kind = "webm" if "webm" in names else ("mov" if "mov" in names and "mp4" not in names else "mp4")
    return VideoFacts(kind, codec, round(duration, 3), width, height, audio)


async def _discard(node: Node, media: MediaAttachment) -> None:
    await media.delete()
    await media_service.delete_files(node, [media])


async def _video(node: Node, account: Account, draft: TakeDraft) -> tuple[MediaAttachment, VideoFacts, bool]:
    """The Take's video: uploaded with the request, or an earlier upload of the caller's; probed."""
    limits = node.config.takes
    uploaded = False
    if draft.video is not None:
        try:
            media = await media_service.upload_media(node, account, draft.video, max_video_mb=limits.max_mb)
        except ValidationFailed:
            raise _not_playable("its content is not a video this server can read") from None
        uploaded = True
    elif draft.media_id is not None:
        media = (await media_service.attachable(account, [draft.media_id]))[0]
    else:
        raise ValidationFailed("Validation failed: A Take needs a video (video file or media_id)")
    try:
        if media.type != "video" or not media.file_path:
            raise ValidationFailed("Validation failed: A Take must be a video, not an image")
        if media.file_size > limits.max_mb * media_service.MB:
            raise ValidationFailed(f"Validation failed: The video is larger than {limits.max_mb} MB")
        facts = await node.run_blocking(probe_video, node.config.media_dir / media.file_path)
        if facts.duration > limits.max_seconds:
            raise ValidationFailed(f"Validation failed: The video is {facts.duration:.0f} seconds long "
                                   f"(a Take may be at most {limits.max_seconds} seconds)")
    except BaseException:
        if uploaded:  # nothing of a refused upload stays behind
            await _discard(node, media)
        raise
    return media, facts, uploaded


def _sound(raw: dict[str, Any]) -> dict[str, str]:
    sound = {k: str(raw.get(k) or "").strip() for k in ("title", "author", "url")}
    for key, value in sound.items():
        if len(value) > MAX_SOUND_FIELD and key != "url":
            raise ValidationFailed(f"Validation failed: Sound {key} is too long (maximum is {MAX_SOUND_FIELD})")
    if sound["url"] and (len(sound["url"]) > 1024 or not sound["url"].startswith(("http://", "https://"))):
        raise ValidationFailed("Validation failed: Sound url must be an http(s) URL")
    return sound


def check_steps(steps: list[StepSpec], duration: float | None) -> list[StepSpec]:
    if len(steps) > MAX_STEPS:
        raise ValidationFailed(f"Validation failed: Behind the Take may have at most {MAX_STEPS} steps")
    for number, step in enumerate(steps, 1):
        if not step.text.strip() and step.media_id is None:
            raise ValidationFailed(f"Validation failed: Step {number} needs text or media")
        if len(step.text) > MAX_STEP_TEXT:
            raise ValidationFailed(f"Validation failed: Step {number} is too long (maximum is {MAX_STEP_TEXT})")
        if step.at_seconds is not None and (step.at_seconds < 0 or (duration and step.at_seconds > duration)):
            raise ValidationFailed(f"Validation failed: Step {number} timestamp is outside the video")
    return steps


async def _step_media(account: Account, steps: list[StepSpec], take_status_id: int | None) -> None:
    wanted = [s.media_id for s in steps if s.media_id is not None]
    if not wanted:
        return
    rows = {m.id: m for m in await MediaAttachment.filter(id__in=wanted, account_id=account.id)}
    missing = [str(i) for i in wanted if i not in rows or rows[i].status_id not in (None, take_status_id)]
    if missing:
        raise ValidationFailed(f"Validation failed: Media attachments {', '.join(missing)} not found or already used")


async def write_steps(take: Take, steps: list[StepSpec]) -> None:
    """Replace a Take's Behind-the-Take steps (inside the caller's transaction)."""
    await BehindTheTakeStep.filter(take_id=take.id).delete()
    if steps:
        await BehindTheTakeStep.bulk_create([
            BehindTheTakeStep(take_id=take.id, position=i, text=s.text.strip(), media_id=s.media_id,
                              at_seconds=s.at_seconds) for i, s in enumerate(steps)])


def attribution_html(originator: Account, origin_url: str, local_domain: str) -> str:
    """The human-readable trend credit every server shows, even one that ignores our terms."""
    handle = f"@{originator.username}@{originator.domain or local_domain}"
    profile = html.escape(originator.url or "", quote=True)
    link = html.escape(origin_url, quote=True)
    return (f'<p>Trend started by <a href="{profile}">{html.escape(handle)}</a>: '
            f'<a href="{link}">{html.escape(origin_url)}</a></p>')


def sound_html(sound: dict[str, str]) -> str:
    if not sound.get("title"):
        return ""
    credit = html.escape(sound["title"]) + (f" by {html.escape(sound['author'])}" if sound.get("author") else "")
    if sound.get("url"):
        credit = f'<a href="{html.escape(sound["url"], quote=True)}">{credit}</a>'
    return f"<p>Sound: {credit}</p>"


async def create_take(node: Node, account: Account, draft: TakeDraft, *, application_id: int | None = None) -> Take:
    """Validate and store a Take (its status, video, sound, template and trend links, BTT); announce it."""
    from . import take_templates, take_trends

    if len(draft.caption) > MAX_CAPTION:
        raise ValidationFailed(f"Validation failed: Caption is too long (maximum is {MAX_CAPTION} characters)")
    sound = _sound(draft.sound)
    steps = check_steps(draft.steps or [], None)
    await _step_media(account, steps, None)
    template = await take_templates.usable(draft.template_id) if draft.template_id is not None else None
    plan = await take_trends.plan(node, account, draft)
    if draft.visibility not in VISIBILITIES:
        raise ValidationFailed(f"Validation failed: Visibility must be one of {', '.join(VISIBILITIES)}")
    media, facts, uploaded = await _video(node, account, draft)
    try:
        return await _store(node, account, draft, application_id, media, facts, sound, steps, template, plan)
    except BaseException:
        if uploaded:  # the status was refused after the upload was stored: take the upload back
            await _discard(node, media)
        raise


async def _store(node: Node, account: Account, draft: TakeDraft, application_id: int | None, media: MediaAttachment,
                 facts: VideoFacts, sound: dict[str, str], steps: list[StepSpec], template: Any,
                 plan: Any) -> Take:
    from . import take_templates, take_trends

    check_steps(steps, facts.duration)
    text = draft.caption
    if plan.hashtag and f"#{plan.hashtag.lower()}" not in text.lower():
        text = f"{text}\n\n#{plan.hashtag}".strip()
    status_draft = statuses.Draft(text=text.strip(), spoiler_text=draft.spoiler_text, sensitive=draft.sensitive,
                                  visibility=draft.visibility, language=draft.language, media_ids=[media.id],
                                  place_id=draft.place_id, location=draft.location)
    made: dict[str, Take] = {}

    async def extend(status: Status) -> None:
        take = Take(status_id=status.id, account_id=account.id, local=True, uri=status.uri or "",
                    sound_title=sound["title"], sound_author=sound["author"], sound_url=sound["url"],
                    duration=facts.duration, width=facts.width, height=facts.height, created_at=status.created_at)
        if template is not None:
            take.template_id, take.template_uri = template.id, template.uri
        await take.save(force_create=True)
        extra_html = sound_html(sound) + await take_trends.link_new_take(node, take, status, account, plan)
        if extra_html:
            status.content += extra_html
            await Status.filter(id=status.id).update(content=status.content)
        if template is not None:
            await take_templates.count_use(template)
        await write_steps(take, steps)
        if steps:
            take.btt_updated_at = status.created_at
            await take.save(update_fields=["btt_updated_at"])
        made["take"] = take
        # Joining a trend and using a template send activities to their origins: stored with the Take.
        if plan.joining is not None:
            joined["trend"] = await effects.record(node, "take.joined_trend", take=take, trend=plan.joining)
        if template is not None:
            joined["template"] = await effects.record(node, "take.used_template", take=take, template=template)

    joined: dict[str, PendingEffect | None] = {}
    await statuses.create_status(node, account, status_draft, application_id=application_id, extend=extend)
    take = made["take"]
    await node.bus.publish("take.created", take=take)
    if plan.joining is not None:
        await effects.announce(node, "take.joined_trend", joined.get("trend"), take=take, trend=plan.joining)
    if template is not None:
        await effects.announce(node, "take.used_template", joined.get("template"), take=take, template=template)
    return take


async def take_of(status_id: int | str) -> Take:
    key = row_id(status_id)
    take = await Take.filter(status_id=key).first()
    if take is None:
        raise NotFound()
    return take


async def visible_take(viewer: Account | None, status_id: int | str) -> tuple[Take, Status]:
    """A Take the viewer may see, by its (status) id: 404 otherwise."""
    status = await visibility.visible_status(viewer, status_id)
    return await take_of(status.id), status


async def own_take(account: Account, status_id: int | str) -> tuple[Take, Status]:
    status = await statuses.own_status(account, status_id)
    return await take_of(status.id), status


async def edit_take(node: Node, account: Account, status_id: int | str, caption: str | None,
                    sound: dict[str, Any] | None, spoiler_text: str | None, sensitive: bool | None) -> Take:
    """Change a Take's caption (kept in the status history), warning or sound credit."""
    from . import take_trends

    take, status = await own_take(account, status_id)
    if caption is not None and len(caption) > MAX_CAPTION:
        raise ValidationFailed(f"Validation failed: Caption is too long (maximum is {MAX_CAPTION} characters)")
    if sound is not None:
        checked = _sound(sound)
        take.sound_title, take.sound_author, take.sound_url = checked["title"], checked["author"], checked["url"]
    media_ids = list(await MediaAttachment.filter(status_id=status.id).values_list("id", flat=True))
    draft = statuses.Draft(text=caption if caption is not None else status.text,
                           spoiler_text=spoiler_text if spoiler_text is not None else status.spoiler_text,
                           sensitive=sensitive if sensitive is not None else status.sensitive,
                           visibility=status.visibility, media_ids=media_ids)
    # The Take's own rows and its `take.updated` are written in the edit's transaction (crash-safe like it).
    changed: dict[str, PendingEffect | None] = {}

    async def extend(edited: Status) -> None:
        await take.save(update_fields=["sound_title", "sound_author", "sound_url"])
        extra = sound_html({"title": take.sound_title, "author": take.sound_author, "url": take.sound_url})
        extra += await take_trends.attribution_for(node, take)
        if extra:  # the credit lines are part of the stored content, and so of the Update that federates
            edited.content += extra
            await Status.filter(id=edited.id).update(content=edited.content)
        changed["take"] = await effects.record(node, "take.updated", take=take)

    await statuses.edit_status(node, account, status.id, draft, extend=extend)
    await effects.announce(node, "take.updated", changed.get("take"), take=take)
    return take


async def set_steps(node: Node, account: Account, status_id: int | str, steps: list[StepSpec]) -> Take:
    """Replace the Behind-the-Take how-to (empty list removes it); federates as an edit of the Take."""
    take, status = await own_take(account, status_id)
    check_steps(steps, take.duration)
    await _step_media(account, steps, status.id)
    now = datetime.now(UTC)
    async with in_transaction():
        await write_steps(take, steps)
        take.btt_updated_at = now if steps else None
        await take.save(update_fields=["btt_updated_at"])
        updated = await effects.record(node, "status.updated", status=status)  # the Update carries the steps
        changed = await effects.record(node, "take.updated", take=take)
    await effects.announce(node, "status.updated", updated, status=status)
    await effects.announce(node, "take.updated", changed, take=take)
    return take


async def steps_of(take_ids: list[int]) -> dict[int, list[BehindTheTakeStep]]:
    found: dict[int, list[BehindTheTakeStep]] = {}
    for step in await BehindTheTakeStep.filter(take_id__in=take_ids).order_by("take_id", "position"):
        found.setdefault(step.take_id, []).append(step)  # type: ignore[attr-defined]
    return found


async def add_view(take: Take, viewer: str) -> int:
    """Count a view unless this viewer (a digest naming their session, token or browser) was counted."""
    try:
        async with in_transaction():
            await TakeView.create(take_id=take.id, viewer=viewer, created_at=datetime.now(UTC))
            await Take.filter(id=take.id).update(views_count=F("views_count") + 1)
    except IntegrityError:  # seen before (or by a concurrent request of theirs)
        pass
    return (await Take.get(id=take.id)).views_count


# ---- feeds ------------------------------------------------------------------------------------------------


async def _statuses_for(viewer: Account | None, status_ids: list[int]) -> list[Status]:
    rows = {s.id: s for s in await Status.filter(id__in=status_ids)} if status_ids else {}
    return await visibility.visible(viewer, [rows[i] for i in status_ids if i in rows], hide_muted=True)


async def feed(viewer: Account | None, which: str, page: Page, *, offset: int = 0) -> tuple[list[Status], list[int]]:
    """Takes newest first (`following`: by accounts the viewer follows and their own; `local`: this
    server's; `public`: all known), or `trending`: the last week's by engagement (offset paging)."""
    query = Take.all()
    if which == "following":
        if viewer is None:
            raise ValidationFailed("Validation failed: The following feed needs a signed-in account")
        followed = list(await Follow.filter(account_id=viewer.id).values_list("target_account_id", flat=True))
        query = query.filter(account_id__in=[*followed, viewer.id])
    elif which == "local":
        query = query.filter(local=True)
    elif which == "trending":
        return await _trending(viewer, page.limit, offset)
    elif which != "public":
        raise ValidationFailed("Validation failed: feed must be one of following, local, public, trending")
    if which != "following":  # the following feed also holds followers-only Takes; visible() checks each
        query = query.filter(status_id__in=Subquery(Status.filter(visibility="public").values("id")))
    rows = page.arrange(await page.filter(query, key="status_id").values_list("status_id", flat=True))
    return await _statuses_for(viewer, list(rows)), list(rows)


async def _trending(viewer: Account | None, limit: int, offset: int) -> tuple[list[Status], list[int]]:
    since = datetime.now(UTC) - timedelta(days=TRENDING_DAYS)
    rows = await Take.filter(created_at__gte=since, status_id__in=Subquery(
        Status.filter(visibility="public").values("id"))).values_list("status_id", "views_count")
    if not rows:
        return [], []
    counts = {s.id: s.favourites_count + 2 * s.reblogs_count + s.replies_count
              for s in await Status.filter(id__in=[r[0] for r in rows]).only(
                  "id", "favourites_count", "reblogs_count", "replies_count")}
    ranked = sorted(rows, key=lambda r: (counts.get(r[0], 0) + r[1] / 10, r[0]), reverse=True)
    chosen = [r[0] for r in ranked[offset:offset + limit]]
    return await _statuses_for(viewer, chosen), chosen


async def by_trend(viewer: Account | None, trend: TakeTrend, page: Page) -> tuple[list[Status], list[int]]:
    """Takes in a trend that this server holds (the origin first when newest-first paging reaches it)."""
    query = Take.filter(trend_id=trend.id, trend_state__in=("origin", "verified"))
    rows = page.arrange(await page.filter(query, key="status_id").values_list("status_id", flat=True))
    return await _statuses_for(viewer, list(rows)), list(rows)


async def by_template(viewer: Account | None, template_id: int, page: Page) -> tuple[list[Status], list[int]]:
    query = Take.filter(template_id=template_id)
    rows = page.arrange(await page.filter(query, key="status_id").values_list("status_id", flat=True))
    return await _statuses_for(viewer, list(rows)), list(rows)


# ---- keeping things in step -------------------------------------------------------------------------------


def subscribe(node: Node) -> None:
    """A deleted status takes its Take with it. Durable, so the Take's rows and its `take.deleted` (which
    federates the Remove from a trend or template) go in one transaction with the status's effect: a crash
    right after the delete replays both, never one without the other."""

    @node.bus.on("status.deleted", durable=True)
    async def on_deleted(status: Status, **_: Any) -> None:
        take = await Take.filter(status_id=status.id).first()
        if take is None:
            return
        await effects.follow_up(node, "take.deleted", take=take)
        await BehindTheTakeStep.filter(take_id=take.id).delete()
        await Take.filter(id=take.id).delete()
