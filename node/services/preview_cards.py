"""Preview cards for links in posts, as Mastodon makes them: the first link of a status that is not a
mention or a hashtag gets a card, read from the page's OpenGraph tags (and its oEmbed document when the page
names one), with the page's image cached as local media.

Posting never waits for a page: the status's `status.created` effect (node/effects.py) only links it to a
pending card in the write's own transaction; `run_once` (a periodic job) fetches pending cards through the
federation client (its SSRF guard, so no private address unless `allow_private_addresses`), with a cap on
time and size, and retries a failed fetch a few times with backoff.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import secrets
from datetime import datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import nh3
from PIL import Image, UnidentifiedImageError

from federation.client import BlockedDestinationError, FetchError, HttpStatusError, ResponseTooLargeError

from ..models import PreviewCard, Status, StatusCard
from ..runtime import Node
from . import media

log = logging.getLogger(__name__)

PAGE_BYTES = 1024 * 1024  # the head of a page is what we read; Mastodon caps pages at 1 MB too
IMAGE_BYTES = 2 * 1024 * 1024
OEMBED_BYTES = 64 * 1024
FETCH_SECONDS = 10.0  # for the whole card: page, oEmbed and image
MAX_ATTEMPTS = 3
RETRY = timedelta(minutes=10)
BATCH = 10
_HREF = re.compile(r"<a\s[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r'([\w-]+)\s*=\s*"([^"]*)"')
_SKIPPED_CLASSES = {"mention", "hashtag"}
_OEMBED_TYPES = ("application/json+oembed", "text/json+oembed")


class NotACard(FetchError):
    """The page was read but makes no card (not HTML, no title): not tried again."""


def first_link(content: str, own_host: str) -> str | None:
    """The status's first http(s) link that is not a mention, a hashtag or a page of this node."""
    import html

    for tag in _HREF.findall(content):
        attributes = {k.lower(): html.unescape(v) for k, v in _ATTR.findall(tag)}
        href = attributes.get("href", "")
        if set(attributes.get("class", "").split()) & _SKIPPED_CLASSES or attributes.get("rel") == "tag":
            continue
        parts = urlsplit(href)
        if parts.scheme in ("http", "https") and parts.netloc and parts.netloc.lower() != own_host.lower():
            return href[:2048]
    return None


async def attach(node: Node, status: Status, *, new: bool = False) -> None:
    """Link the status to the card of its first link (made pending if new); runs in the status's effect.
    `new`: the status was just made, so it has no card to take off yet (most posts have no link: no query)."""
    if status.reblog_of_id is not None:
        return
    url = first_link(status.content, node.config.node.domain)
    if url is None:
        if not new:
            await StatusCard.filter(status_id=status.id).delete()  # an edit took the link out
        return
    card, _ = await PreviewCard.get_or_create(url=url, defaults={"next_attempt_at": node.clock.now()})
    if not await StatusCard.filter(status_id=status.id).update(card_id=card.id):
        await StatusCard.create(status_id=status.id, card_id=card.id)


# ---- reading a page -----------------------------------------------------------------------------------------


class _Head(HTMLParser):
    """OpenGraph and Twitter meta tags, <title>, <html lang> and the oEmbed link of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self.language: str | None = None
        self.oembed: str | None = None
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "html" and values.get("lang"):
            self.language = values["lang"].split("-")[0][:16].lower()
        elif tag == "meta":
            key = (values.get("property") or values.get("name") or "").lower()
            if key and "content" in values:
                self.meta.setdefault(key, values["content"].strip())
        elif tag == "link" and values.get("type", "").lower() in _OEMBED_TYPES and self.oembed is None:
            if "alternate" in values.get("rel", "").lower().split():
                self.oembed = values.get("href") or None
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title and not self.title:
            self.title = data.strip()


def _decode(body: bytes, content_type: str) -> str:
    charset = re.search(r"charset=([\w-]+)", content_type, re.IGNORECASE)
    if charset is None:
        charset = re.search(rb'<meta[^>]+charset=["\']?([\w-]+)', body[:4096], re.IGNORECASE)
    name = charset.group(1) if charset else "utf-8"
    try:
        return body.decode(name.decode() if isinstance(name, bytes) else name, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def _int(value: Any) -> int:
    try:
        return max(0, min(int(value), 10000))
    except (TypeError, ValueError):
        return 0


def _published(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def _embed_html(markup: str) -> str:
    """oEmbed HTML as Mastodon keeps it: an https iframe and nothing else."""
    def attribute(tag: str, name: str, value: str) -> str | None:
        if name == "src":
            return value if value.startswith("https://") else None
        return value

    return nh3.clean(markup, tags={"iframe"}, attribute_filter=attribute, url_schemes={"https"},
                     attributes={"iframe": {"src", "width", "height", "allowfullscreen", "frameborder",
                                            "allow", "title"}}).strip()


def _from_page(card: PreviewCard, page: _Head, final_url: str) -> str | None:
    meta = page.meta
    card.title = (meta.get("og:title") or meta.get("twitter:title") or page.title)[:300]
    card.description = (meta.get("og:description") or meta.get("twitter:description")
                        or meta.get("description") or "")[:2000]
    card.provider_name = (meta.get("og:site_name") or "")[:300]
    card.author_name = (meta.get("author") or meta.get("article:author") or "")[:300]
    card.language = page.language
    card.published_at = _published(meta.get("article:published_time", ""))
    card.image_description = (meta.get("og:image:alt") or meta.get("twitter:image:alt") or "")[:1500]
    image = meta.get("og:image") or meta.get("og:image:url") or meta.get("twitter:image")
    return urljoin(final_url, image) if image else None


def _from_oembed(card: PreviewCard, doc: dict[str, Any]) -> str | None:
    kind = doc.get("type")
    if kind in ("video", "rich") and isinstance(doc.get("html"), str):
        card.html = _embed_html(doc["html"])
        if card.html:
            card.type = kind
            card.width, card.height = _int(doc.get("width")), _int(doc.get("height"))
    elif kind == "photo" and isinstance(doc.get("url"), str):
        card.type = "photo"
        card.embed_url = doc["url"][:2048]
        card.width, card.height = _int(doc.get("width")), _int(doc.get("height"))
    for field, key in (("title", "title"), ("author_name", "author_name"), ("author_url", "author_url"),
                       ("provider_name", "provider_name"), ("provider_url", "provider_url")):
        if isinstance(doc.get(key), str) and doc[key]:
            setattr(card, field, doc[key][:2048 if field.endswith("url") else 300])
    thumbnail = doc.get("thumbnail_url")
    return thumbnail if isinstance(thumbnail, str) else None


def _card_image(data: bytes) -> tuple[bytes, str, int, int] | None:
    """The page's image as a JPEG preview with its blurhash and size (blocking: run in the executor)."""
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in media.IMAGE_FORMATS:
            return None
        image.load()
        preview, hash_ = media._thumbnail(image)
        width, height = Image.open(io.BytesIO(preview)).size
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        return None
    return preview, hash_, width, height


async def _cache_image(node: Node, card: PreviewCard, url: str) -> None:
    client = node.federation.client  # type: ignore[union-attr]
    try:
        response = await client.request("GET", url, headers={"Accept": "image/*"}, max_bytes=IMAGE_BYTES)
    except FetchError as exc:
        log.info("preview card image %s not cached: %s", url, exc.reason)
        return
    if not 200 <= response.status < 300:
        return
    made = await asyncio.get_running_loop().run_in_executor(None, _card_image, response.body)
    if made is None:
        return
    preview, card.blurhash, width, height = made
    token = secrets.token_hex(16)
    relative = f"cards/{token[:2]}/{token[2:4]}/{token}.jpg"
    target = node.config.media_dir / relative
    await asyncio.get_running_loop().run_in_executor(None, _write_file, target, preview)
    card.image_path = relative
    if card.type == "link":
        card.width, card.height = width, height


def _write_file(target: Any, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


async def _read(node: Node, card: PreviewCard) -> None:
    """Fill the card from its page; raises FetchError when the page cannot be read as a card."""
    client = node.federation.client  # type: ignore[union-attr]
    response = await client.request("GET", card.url, headers={"Accept": "text/html"}, max_bytes=PAGE_BYTES)
    if not 200 <= response.status < 300:
        raise HttpStatusError(response.url, response.status)
    content_type = response.headers.get("Content-Type", "")
    if "html" not in content_type.lower():
        raise NotACard(response.url, f"not a page ({content_type or 'no type'})")
    page = _Head()
    page.feed(_decode(response.body, content_type))
    image = _from_page(card, page, response.url)
    if page.oembed:
        try:
            doc = (await client.request("GET", urljoin(response.url, page.oembed),
                                        headers={"Accept": "application/json"}, max_bytes=OEMBED_BYTES)).json()
            if isinstance(doc, dict):
                thumbnail = _from_oembed(card, doc)
                image = image or thumbnail
        except FetchError as exc:
            log.info("oEmbed of %s not read: %s", card.url, exc.reason)
    if not card.title:
        raise NotACard(response.url, "the page has no title")
    card.provider_url = card.provider_url or f"{urlsplit(response.url).scheme}://{urlsplit(response.url).netloc}"
    if image:
        await _cache_image(node, card, image)


async def fetch(node: Node, card: PreviewCard) -> PreviewCard:
    """Read one pending card: fetched, failed for good (refused address, too large, a 4xx, no card in it),
    or, when the site could not be reached, pending again after RETRY while attempts remain."""
    card.attempts += 1
    try:
        async with asyncio.timeout(FETCH_SECONDS):
            await _read(node, card)
    except (FetchError, TimeoutError) as exc:
        reason = exc.reason if isinstance(exc, FetchError) else "timed out"
        final = isinstance(exc, BlockedDestinationError | ResponseTooLargeError | NotACard) or (
            card.attempts >= MAX_ATTEMPTS) or (
            isinstance(exc, HttpStatusError) and exc.status is not None and 400 <= exc.status < 500)
        log.info("preview card for %s: %s", card.url, reason)
        card.error = reason[:500]
        card.state = "failed" if final else "pending"
        card.next_attempt_at = None if final else node.clock.now() + RETRY * card.attempts
    else:
        card.state, card.error, card.next_attempt_at = "fetched", "", None
        card.fetched_at = node.clock.now()
    await card.save()
    return card


async def run_once(node: Node) -> int:
    """Fetch the cards that are due (a few at a time); returns how many were tried."""
    if node.federation is None:
        return 0
    due = await PreviewCard.filter(state="pending", next_attempt_at__lte=node.clock.now()).order_by(
        "next_attempt_at").limit(BATCH)
    await asyncio.gather(*(fetch(node, card) for card in due))
    return len(due)


def subscribe(node: Node) -> None:
    bus = node.bus

    def linking(status: Status, **_payload: Any) -> bool:
        # most new posts have no link, so nothing to record for them: no effect row, no second transaction
        return status.reblog_of_id is None and first_link(status.content, node.config.node.domain) is not None

    @bus.on("status.created", durable=True, when=linking)
    async def on_created(status: Status) -> None:
        await attach(node, status, new=True)

    @bus.on("status.updated", durable=True)
    async def on_updated(status: Status) -> None:
        await attach(node, status)
