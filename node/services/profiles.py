"""A local account's own profile: display name, bio, avatar and header, metadata fields, and the
preferences Mastodon edits through update_credentials.

Everything is validated before anything is written, so a rejected update changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp.web_request import FileField
from tortoise.transactions import in_transaction

from .. import effects, i18n
from ..errors import ValidationFailed
from ..models import Account, User
from ..runtime import Node
from . import content, emoji, media

MAX_DISPLAY_NAME = 30
MAX_NOTE = 500
MAX_FIELDS = 4
MAX_FIELD_TEXT = 255
VISIBILITIES = ("public", "unlisted", "private", "direct")

EXPAND_MEDIA = ("default", "show_all", "hide_all")  # reading:expand:media, as Mastodon

@dataclass
class ProfileChanges:
    """What the client sent; None means leave it as it is."""

    display_name: str | None = None
    note: str | None = None
    locked: bool | None = None
    bot: bool | None = None
    discoverable: bool | None = None
    hide_collections: bool | None = None  # followers and following shown to nobody else
    fields: list[dict[str, str]] | None = None
    privacy: str | None = None
    sensitive: bool | None = None  # mark new posts sensitive by default
    expand_media: str | None = None  # default | show_all | hide_all
    expand_spoilers: bool | None = None
    locale: str | None = None
    avatar: FileField | None = None
    header: FileField | None = None


def check_fields(raw: list[Any]) -> list[dict[str, str]]:
    """fields_attributes as a list of {name, value}; blank pairs are dropped, as Mastodon does."""
    result = []
    for item in raw:
        if not isinstance(item, dict):
            raise ValidationFailed("Validation failed: fields_attributes must hold name and value pairs")
        name, value = item.get("name", ""), item.get("value", "")
        if not isinstance(name, str) or not isinstance(value, str):
            raise ValidationFailed("Validation failed: Profile field names and values must be text")
        if len(name) > MAX_FIELD_TEXT or len(value) > MAX_FIELD_TEXT:
            raise ValidationFailed(f"Validation failed: Profile fields are limited to {MAX_FIELD_TEXT} characters")
        if name.strip() or value.strip():
            result.append({"name": name.strip(), "value": value.strip()})
    if len(result) > MAX_FIELDS:
        raise ValidationFailed(f"Validation failed: Profile can have at most {MAX_FIELDS} fields")
    return result


async def update_profile(node: Node, user: User, changes: ProfileChanges) -> Account:
    """Apply an update_credentials request to `user`'s account; publishes account.updated."""
    account: Account = user.account
    if changes.display_name is not None and len(changes.display_name) > MAX_DISPLAY_NAME:
        raise ValidationFailed(f"Validation failed: Display name is too long (maximum is {MAX_DISPLAY_NAME} "
                               f"characters)")
    if changes.note is not None and len(changes.note) > MAX_NOTE:
        raise ValidationFailed(f"Validation failed: Note is too long (maximum is {MAX_NOTE} characters)")
    if changes.privacy is not None and changes.privacy not in VISIBILITIES:
        raise ValidationFailed("Validation failed: Default post privacy is not included in the list")
    if changes.expand_media is not None and changes.expand_media not in EXPAND_MEDIA:
        raise ValidationFailed(f"Validation failed: Expand media must be one of {', '.join(EXPAND_MEDIA)}")
    if changes.locale is not None and (not changes.locale or len(changes.locale) > 16):
        raise ValidationFailed("Validation failed: Locale is not included in the list")
    # Images are decoded (and rejected if they are not images) before any column changes.
    avatar = await media.store_profile_image(node, changes.avatar, "avatar") if changes.avatar else None
    header = await media.store_profile_image(node, changes.header, "header") if changes.header else None

    if changes.display_name is not None:
        account.display_name = changes.display_name.strip()
    if changes.note is not None:
        account.note_source = changes.note
        account.note = (await content.render(node, changes.note)).html if changes.note.strip() else ""
    for flag in ("locked", "bot", "discoverable", "hide_collections"):
        if (value := getattr(changes, flag)) is not None:
            setattr(account, flag, value)
    if changes.fields is not None:
        account.fields_json = changes.fields
    if avatar:
        account.avatar = avatar
    if header:
        account.header = header
    account.emojis_json = await emoji.account_emojis(node, account)
    user_fields = []
    if changes.privacy is not None:
        user.default_visibility = changes.privacy
        user_fields.append("default_visibility")
    if changes.locale is not None:
        user.locale = changes.locale
        user_fields.append("locale")
    for setting, column in (("sensitive", "default_sensitive"), ("expand_media", "expand_media"),
                            ("expand_spoilers", "expand_spoilers")):
        if (value := getattr(changes, setting)) is not None:
            setattr(user, column, value)
            user_fields.append(column)
    async with in_transaction():  # the profile, and its Update for other servers, together
        await account.save()
        if user_fields:
            await user.save(update_fields=user_fields)
        effect = await effects.record(node, "account.updated", account=account)
    await effects.announce(node, "account.updated", effect, account=account)
    return account


def check_ui_locale(value: str | None) -> str | None:
    """The web UI language a form chose: one of i18n.available(), or None ("" in the form) to follow the
    browser; anything else is refused before a setting is written."""
    if not value:
        return None
    chosen = i18n.supported(value)
    if chosen is None:
        raise ValidationFailed(i18n.gettext("Validation failed: Language of this site is not one of the list"))
    return chosen


async def set_ui_locale(user: User, ui_locale: str | None) -> None:
    """Store a checked web UI language (a local setting: nothing federates, unlike update_profile)."""
    if user.ui_locale != ui_locale:
        user.ui_locale = ui_locale
        await user.save(update_fields=["ui_locale"])
