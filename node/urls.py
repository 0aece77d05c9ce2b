"""The node's public URL scheme, in one place: ActivityPub ids, profile and post pages, media files."""

from __future__ import annotations

from urllib.parse import quote


class Urls:
    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")

    def actor(self, username: str) -> str:
        return f"{self.base}/users/{username}"

    def profile(self, username: str) -> str:
        return f"{self.base}/@{username}"

    def status_uri(self, username: str, status_id: int) -> str:
        return f"{self.base}/users/{username}/statuses/{status_id}"

    def status_page(self, username: str, status_id: int) -> str:
        return f"{self.base}/@{username}/{status_id}"

    def tag(self, name: str) -> str:
        return f"{self.base}/tags/{quote(name)}"

    def media(self, path: str) -> str:
        return f"{self.base}/media/{path}" if path else ""

    def media_proxy(self, media_id: int, style: str) -> str:
        """A remote attachment whose copy was pruned: asking for it copies it again (Mastodon's media proxy)."""
        return f"{self.base}/media_proxy/{media_id}/{style}"

    def static(self, path: str) -> str:
        return f"{self.base}/static/{path}"
