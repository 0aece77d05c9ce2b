"""Mastodon's PreviewCard entity (REST::PreviewCardSerializer, 4.3) and its trending-link form."""

from __future__ import annotations

from typing import Any

from ...models import PreviewCard
from ...runtime import Node
from .common import iso


def card_entity(node: Node, card: PreviewCard) -> dict[str, Any]:
    authors = [{"name": card.author_name, "url": card.author_url, "account": None}] if card.author_name else []
    return {
        "url": card.url,
        "title": card.title,
        "description": card.description,
        "language": card.language,
        "type": card.type,
        "author_name": card.author_name,
        "author_url": card.author_url,
        "provider_name": card.provider_name,
        "provider_url": card.provider_url,
        "html": card.html,
        "width": card.width,
        "height": card.height,
        "image": node.urls.media(card.image_path) or None,
        "image_description": card.image_description,
        "embed_url": card.embed_url,
        "blurhash": card.blurhash,
        "published_at": iso(card.published_at),
        "authors": authors,
    }
