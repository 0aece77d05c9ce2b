"""Custom emoji: admins' uploads (checked by content with Pillow, size-capped), other servers' emoji stored
from the pictures their tags point at, and how a text's :shortcodes: become Mastodon's CustomEmoji entities
and our outgoing AS2 `Emoji` tags. An emoji is shown only once its picture is in our media folder."""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from PIL import Image, UnidentifiedImageError
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from ..errors import Conflict, NotFound, PayloadTooLarge, ValidationFailed
from ..models import Account, CustomEmoji
from ..runtime import Node

# Mastodon's limits: 256 KiB for local and remote pictures, shortcodes of two or more [A-Za-z0-9_].
MAX_BYTES = 256 * 1024
MAX_SIDE = 1024  # pixels: bigger is no emoji and not worth decoding
MAX_SHORTCODE = 64
MAX_CATEGORY = 64
FORMATS = {"PNG": ("image/png", "png"), "GIF": ("image/gif", "gif"), "WEBP": ("image/webp", "webp")}
SHORTCODE = re.compile(r"[A-Za-z0-9_]{2,64}")
# As Mastodon scans text: a shortcode between colons, not glued to letters, digits or another colon.
IN_TEXT = re.compile(r"(?<![A-Za-z0-9_:]):([A-Za-z0-9_]{2,64}):(?![A-Za-z0-9_:])")


def valid_shortcode(shortcode: str) -> bool:
    return bool(SHORTCODE.fullmatch(shortcode or ""))


def _check_picture(data: bytes) -> tuple[str, str]:
    """(content type, extension) of an emoji picture, or ValidationFailed; runs in the executor."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in FORMATS:
                raise ValidationFailed("Validation failed: Image must be a PNG, GIF or WebP picture")
            width, height = image.size
            if width > MAX_SIDE or height > MAX_SIDE:
                raise ValidationFailed(
                    f"Validation failed: Image is larger than {MAX_SIDE}x{MAX_SIDE} pixels"
                )
            image.verify()
            return FORMATS[image.format]
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationFailed("Validation failed: Image is not a picture") from None


def _write(media_dir: Any, relative: str, data: bytes) -> None:
    target = media_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def _remove(media_dir: Any, relative: str) -> None:
    if relative:
        (media_dir / relative).unlink(missing_ok=True)


async def _store_picture(node: Node, data: bytes) -> tuple[str, str]:
    """Check and write a picture; returns (path under the media folder, content type)."""
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge(f"Image is too large (maximum is {MAX_BYTES // 1024} KB)")
    content_type, extension = await node.run_blocking(_check_picture, data)
    token = secrets.token_hex(12)
    relative = f"emoji/{token[:2]}/{token}.{extension}"
    await node.run_blocking(_write, node.config.media_dir, relative, data)
    return relative, content_type


# ---- local emoji (admins) -----------------------------------------------------------------------------------


async def add_local(node: Node, shortcode: str, data: bytes, *, category: str = "") -> CustomEmoji:
    """A new local emoji; nothing is written unless the shortcode is free and the picture is good."""
    if not valid_shortcode(shortcode):
        raise ValidationFailed(
            "Validation failed: Shortcode must be at least 2 characters, only letters, "
            "numbers and underscores"
        )
    category = category.strip()
    if len(category) > MAX_CATEGORY:
        raise ValidationFailed(
            f"Validation failed: Category is too long (maximum is {MAX_CATEGORY} characters)"
        )
    if await CustomEmoji.filter(shortcode=shortcode, domain="").exists():
        raise Conflict(f"Validation failed: Shortcode :{shortcode}: is already taken")
    path, content_type = await _store_picture(node, data)
    try:
        emoji = await CustomEmoji.create(
            shortcode=shortcode,
            domain="",
            image_path=path,
            content_type=content_type,
            image_size=len(data),
            category=category,
            updated_at=node.clock.now(),
        )
    except IntegrityError:  # taken meanwhile
        await node.run_blocking(_remove, node.config.media_dir, path)
        raise Conflict(f"Validation failed: Shortcode :{shortcode}: is already taken") from None
    await refresh_accounts(node, "", shortcode)
    return emoji


async def remove_local(node: Node, shortcode: str) -> None:
    emoji = await CustomEmoji.filter(shortcode=shortcode, domain="").first()
    if emoji is None:
        raise NotFound(f"No local emoji :{shortcode}:")
    await emoji.delete()
    await node.run_blocking(_remove, node.config.media_dir, emoji.image_path)
    await refresh_accounts(node, "", shortcode)


async def local_emojis() -> list[CustomEmoji]:
    return (
        await CustomEmoji.filter(domain="", disabled=False)
        .exclude(image_path="")
        .order_by("category", "shortcode")
    )


def entity(node: Node, emoji: CustomEmoji) -> dict[str, Any]:
    """Mastodon's CustomEmoji. We keep no separate still frame: static_url is the picture itself."""
    url = node.urls.media(emoji.image_path)
    return {
        "shortcode": emoji.shortcode,
        "url": url,
        "static_url": url,
        "visible_in_picker": emoji.visible_in_picker,
        "category": emoji.category or None,
    }


def as2_tag(node: Node, emoji: CustomEmoji) -> dict[str, Any]:
    """The AS2 Emoji tag Mastodon sends for one of ours; its id answers with the same document."""
    return {
        "id": f"{node.urls.base}/emojis/{emoji.id}",
        "type": "Emoji",
        "name": f":{emoji.shortcode}:",
        "updated": emoji.updated_at.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "icon": {"type": "Image", "mediaType": emoji.content_type, "url": node.urls.media(emoji.image_path)},
    }


# ---- text to emoji --------------------------------------------------------------------------------------------


def shortcodes_in(*texts: str | None) -> list[str]:
    """The shortcodes a text uses, first use first."""
    found: dict[str, None] = {}
    for text in texts:
        for match in IN_TEXT.finditer(text or ""):
            found.setdefault(match.group(1), None)
    return list(found)


async def shown(domain: str, shortcodes: Iterable[str]) -> dict[str, CustomEmoji]:
    """The usable emoji of `domain` among `shortcodes`, by shortcode."""
    codes = list(dict.fromkeys(shortcodes))
    if not codes:
        return {}
    rows = await CustomEmoji.filter(domain=domain, shortcode__in=codes, disabled=False).exclude(image_path="")
    return {row.shortcode: row for row in rows}


async def entities_for(node: Node, domain: str, *texts: str | None) -> list[dict[str, Any]]:
    codes = shortcodes_in(*texts)
    found = await shown(domain, codes)
    return [entity(node, found[code]) for code in codes if code in found]


async def tags_for(node: Node, *texts: str | None) -> list[dict[str, Any]]:
    """The AS2 Emoji tags for the local emoji a local text uses."""
    codes = shortcodes_in(*texts)
    found = await shown("", codes)
    return [as2_tag(node, found[code]) for code in codes if code in found]


def profile_texts(display_name: str, note: str, fields: Any) -> list[str]:
    """What of a profile may use emoji, as Mastodon counts it: the name, the bio and the fields."""
    texts = [display_name, note]
    for item in fields or []:
        if isinstance(item, dict):
            texts += [str(item.get("name", "")), str(item.get("value", ""))]
    return texts


async def account_emojis(node: Node, account: Account) -> list[dict[str, Any]]:
    texts = profile_texts(account.display_name, account.note, account.fields_json)
    return await entities_for(node, account.domain, *texts)


async def refresh_accounts(node: Node, domain: str, shortcode: str) -> None:
    """Re-render the stored profile emoji of `domain`'s accounts whose name, bio or fields use `shortcode`."""
    code = f":{shortcode}:"
    query = Account.filter(domain=domain)
    if domain:  # another server's accounts: only names and bios are searched (their fields come with updates)
        query = query.filter(Q(display_name__contains=code) | Q(note__contains=code))
    for account in await query:
        if code not in " ".join(profile_texts(account.display_name, account.note, account.fields_json)):
            continue
        account.emojis_json = await account_emojis(node, account)
        await account.save(update_fields=["emojis_json"])


# ---- other servers' emoji -----------------------------------------------------------------------------------


def needs_picture(known: CustomEmoji | None, icon_url: str, updated: datetime | None) -> bool:
    """Whether a remote tag's picture must be (re)fetched: new, a new icon URL, or `updated` is newer."""
    if known is None or not known.image_path or known.image_remote_url != icon_url:
        return True
    return updated is not None and updated > known.updated_at


async def store_remote(
    node: Node, domain: str, shortcode: str, *, uri: str, icon_url: str, updated: datetime | None, data: bytes
) -> CustomEmoji:
    """Store (or replace) `domain`'s :shortcode: with the fetched picture `data`; a bad picture raises and
    leaves what we had."""
    path, content_type = await _store_picture(node, data)
    stamp = updated or node.clock.now()
    known = await CustomEmoji.filter(domain=domain, shortcode=shortcode).first()
    try:
        if known is None:
            emoji = await CustomEmoji.create(
                shortcode=shortcode,
                domain=domain,
                uri=uri[:1024],
                image_remote_url=icon_url[:1024],
                image_path=path,
                content_type=content_type,
                image_size=len(data),
                updated_at=stamp,
            )
        else:
            old = known.image_path
            known.update_from_dict(
                {
                    "uri": uri[:1024],
                    "image_remote_url": icon_url[:1024],
                    "image_path": path,
                    "content_type": content_type,
                    "image_size": len(data),
                    "updated_at": stamp,
                }
            )
            await known.save()
            emoji = known
            await node.run_blocking(_remove, node.config.media_dir, old)
    except IntegrityError:  # a concurrent delivery stored it first
        await node.run_blocking(_remove, node.config.media_dir, path)
        return await CustomEmoji.get(domain=domain, shortcode=shortcode)
    if known is not None:
        await refresh_accounts(node, domain, shortcode)
    return emoji
