"""Account archives as Mastodon offers them: a person asks for one (at most one per 7 days), a background
job builds the zip (node.activitypub.archive writes the AS2 documents), and the settings page links the
download once it is ready. Files live under the data folder's archives/, never in the public media."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from ..errors import NotFound, TooManyRequests
from ..models import Account, AccountArchive, row_id
from ..runtime import Node

INTERVAL = timedelta(days=7)


def folder(node: Node) -> Path:
    return node.config.data_dir / "archives"


async def request(node: Node, account: Account) -> AccountArchive:
    """Queue a new archive, unless one was asked for in the last 7 days."""
    now = node.clock.now()
    last = await AccountArchive.filter(account_id=account.id).order_by("-created_at").first()
    if last is not None and last.created_at > now - INTERVAL:
        wait = last.created_at + INTERVAL - now
        raise TooManyRequests(
            "You can request an archive once every 7 days; the next one from "
            f"{(last.created_at + INTERVAL).strftime('%-d %b %Y %H:%M')} UTC",
            retry_after=int(wait.total_seconds()),
        )
    return await AccountArchive.create(account_id=account.id, created_at=now)


async def archives_of(account: Account, limit: int = 5) -> list[AccountArchive]:
    return await AccountArchive.filter(account_id=account.id).order_by("-created_at").limit(limit)


async def ready_file(node: Node, account: Account, archive_id: str) -> tuple[AccountArchive, Path]:
    """The zip of one of `account`'s ready archives (NotFound for anyone else's, or one not built yet)."""
    archive = await AccountArchive.filter(id=row_id(archive_id), account_id=account.id, state="ready").first()
    path = folder(node) / archive.file_path if archive is not None and archive.file_path else None
    if archive is None or path is None or not path.is_file():
        raise NotFound()
    return archive, path


def file_name(node: Node, account: Account, archive: AccountArchive) -> str:
    return f"archive-{account.username}-{archive.created_at.strftime('%Y%m%d%H%M%S')}.zip"
