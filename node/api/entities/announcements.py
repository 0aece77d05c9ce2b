"""Mastodon's Announcement and Rule entities, and the documents' (ExtendedDescription, PrivacyPolicy,
TermsOfService) shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ...models import Account, Announcement, Rule, TermsOfService
from ...runtime import Node
from ...services import announcements, content, hashtags, instance_info, markdown
from .common import iso


def rule_entity(rule: Rule) -> dict[str, Any]:
    """As Mastodon 4.4: id, text, hint and translations by language."""
    return {"id": str(rule.id), "text": rule.text, "hint": rule.hint, "translations": rule.translations or {}}


async def announcement_entities(
    node: Node, rows: list[Announcement], viewer: Account | None
) -> list[dict[str, Any]]:
    """Announcements as `viewer` sees them (`read` and each reaction's `me` only with a viewer, as Mastodon)."""
    ids = [a.id for a in rows]
    reactions = await announcements.reactions(ids, viewer)
    read = await announcements.dismissed(viewer, ids)
    out = []
    for announcement in rows:
        rendered = await content.render(node, announcement.text)
        entity: dict[str, Any] = {
            "id": str(announcement.id),
            "content": rendered.html,
            "starts_at": iso(announcement.starts_at),
            "ends_at": iso(announcement.ends_at),
            "all_day": announcement.all_day,
            "published_at": iso(announcement.published_at or announcement.created_at),
            "updated_at": iso(announcement.updated_at),
        }
        if viewer is not None:
            entity["read"] = announcement.id in read
        entity.update(
            {
                "mentions": [
                    {
                        "id": str(a.id),
                        "username": a.username,
                        "url": a.url or node.urls.profile(a.username),
                        "acct": a.acct(),
                    }
                    for a in rendered.mentions
                ],
                "statuses": [],
                "tags": [
                    {"name": hashtags.normalize(t), "url": node.urls.tag(hashtags.normalize(t))}
                    for t in rendered.tags
                ],
                "emojis": [],
                "reactions": [
                    {"name": r.name, "count": r.count, **({"me": r.me} if viewer is not None else {})}
                    for r in reactions.get(announcement.id, [])
                ],
            }
        )
        out.append(entity)
    return out


def document_entity(node: Node, text: str, updated_at: datetime | None) -> dict[str, Any]:
    """ExtendedDescription / PrivacyPolicy: updated_at and the Markdown rendered to HTML ("" when unset)."""
    return {"updated_at": iso(updated_at), "content": markdown.render(instance_info.with_domain(node, text))}


def terms_entity(
    node: Node, terms: TermsOfService, today: date, succeeded_by: TermsOfService | None
) -> dict[str, Any]:
    """TermsOfService (Mastodon 4.4): effective_date, effective (its day has come), content, succeeded_by."""
    return {
        "effective_date": terms.effective_date.isoformat(),
        "effective": terms.effective_date <= today,
        "content": markdown.render(instance_info.with_domain(node, terms.text)),
        "succeeded_by": succeeded_by.effective_date.isoformat() if succeeded_by else None,
    }
