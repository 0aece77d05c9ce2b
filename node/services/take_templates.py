"""Take templates: publishing a Take as a reusable template (segment timings, text overlays, a sound
reference and effect settings, as JSON), using one (ours or a remote one) for a new Take, usage counts and
the popular list."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from federation import jsondoc

from .. import effects as pending_effects
from ..errors import NotFound, ValidationFailed
from ..models import Account, Take, TakeTemplate, row_id
from ..runtime import Node
from .takes import own_take

MAX_JSON_BYTES = 16 * 1024
MAX_ITEMS = 100
MAX_NAME = 200


def _json(value: Any, name: str, kind: type) -> Any:
    """Accept a JSON value or its text (form posts); check its shape and size."""
    if value is None or value == "":
        return kind()
    if isinstance(value, str):
        try:
            value = jsondoc.loads(value)
        except ValueError:
            raise ValidationFailed(f"Validation failed: {name} is not valid JSON") from None
    if not isinstance(value, kind):
        raise ValidationFailed(f"Validation failed: {name} must be a JSON {'list' if kind is list else 'object'}")
    if len(json.dumps(value)) > MAX_JSON_BYTES:
        raise ValidationFailed(f"Validation failed: {name} is too large (maximum is {MAX_JSON_BYTES} bytes)")
    if kind is list and len(value) > MAX_ITEMS:
        raise ValidationFailed(f"Validation failed: {name} may have at most {MAX_ITEMS} entries")
    return value


def check_segments(segments: list[Any], duration: float | None) -> list[dict[str, Any]]:
    """Segments are {start, end} in seconds (plus any other keys a client wants), in order, inside the Take."""
    checked = []
    for number, segment in enumerate(segments, 1):
        if not isinstance(segment, dict):
            raise ValidationFailed(f"Validation failed: Segment {number} must be an object with start and end")
        try:
            start, end = float(segment["start"]), float(segment["end"])
        except (KeyError, TypeError, ValueError):
            raise ValidationFailed(f"Validation failed: Segment {number} needs numeric start and end") from None
        if start < 0 or end <= start or (duration and end > duration + 0.01):
            raise ValidationFailed(f"Validation failed: Segment {number} must satisfy 0 <= start < end <= length")
        checked.append({**segment, "start": start, "end": end})
    return checked


async def publish(node: Node, account: Account, status_id: int | str, *, name: str | None, segments: Any,
                  overlays: Any, sound: Any, effects: Any) -> TakeTemplate:
    """Publish (or update) the caller's Take as a template; federates with the Take as an edit."""
    take, status = await own_take(account, status_id)
    title = (name or "").strip()
    if not title or len(title) > MAX_NAME:
        raise ValidationFailed(f"Validation failed: Template name must be 1 to {MAX_NAME} characters")
    values = {
        "name": title,
        "segments": check_segments(_json(segments, "segments", list), take.duration),
        "overlays": _json(overlays, "overlays", list),
        "sound": _json(sound, "sound", dict) or {k: v for k, v in (("title", take.sound_title),
                                                                   ("author", take.sound_author),
                                                                   ("url", take.sound_url)) if v},
        "effects": _json(effects, "effects", dict),
    }
    now = datetime.now(UTC)
    async with in_transaction():  # the template, and the Update that carries it, together
        template = await TakeTemplate.filter(take_id=take.id, local=True).first()
        if template is None:
            uri = f"{status.uri}/template"
            template = await TakeTemplate.create(uri=uri, local=True, take_id=take.id, take_uri=take.uri,
                                                 usages_uri=f"{uri}/usages", account_id=account.id, created_at=now,
                                                 updated_at=now, **values)
            template.url = f"{node.urls.base}/takes/templates/{template.id}"
            await template.save(update_fields=["url"])
        else:
            for key, value in values.items():
                setattr(template, key, value)
            template.updated_at = now
            await template.save()
        updated = await pending_effects.record(node, "status.updated", status=status)  # the Take now carries it
    await pending_effects.announce(node, "status.updated", updated, status=status)
    await node.bus.publish("take.template_published", template=template)
    return template


async def find(template_id: int | str) -> TakeTemplate:
    key = row_id(template_id)
    template = await TakeTemplate.filter(id=key).first()
    if template is None:
        raise NotFound()
    return template


async def usable(template_id: int) -> TakeTemplate:
    template = await TakeTemplate.filter(id=template_id).first()
    if template is None:
        raise ValidationFailed(f"Validation failed: Template {template_id} not found")
    return template


async def count_use(template: TakeTemplate, delta: int = 1) -> None:
    query = TakeTemplate.filter(id=template.id)
    if delta < 0:
        query = query.filter(usage_count__gt=0)
    await query.update(usage_count=F("usage_count") + delta)
    template.usage_count += delta


async def link_use(take: Take, template: TakeTemplate) -> bool:
    """A Take (ours or seen from elsewhere) made from `template`; counted once. Returns whether it is new."""
    if take.template_id == template.id:
        return False
    take.template_id, take.template_uri = template.id, template.uri
    await take.save(update_fields=["template_id", "template_uri"])
    await count_use(template)
    return True


async def popular(*, limit: int = 20, offset: int = 0, local: bool = False) -> list[TakeTemplate]:
    query = TakeTemplate.all()
    if local:
        query = query.filter(local=True)
    return list(await query.order_by("-usage_count", "-id").offset(offset).limit(limit))


def subscribe(node: Node) -> None:
    """A deleted Take made from one of our templates no longer counts as a use."""

    @node.bus.on("take.deleted")
    async def on_deleted(take: Take) -> None:
        if take.template_id is not None:
            template = await TakeTemplate.filter(id=take.template_id).first()
            if template is not None:
                await count_use(template, -1)
