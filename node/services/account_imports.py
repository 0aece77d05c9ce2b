"""Importing Mastodon's CSV files (following, blocking, muting, domain_blocking, bookmarks, lists), as
Mastodon's importer reads them: a header row is optional where Mastodon writes none, `merge` adds to what
one has and `overwrite` also removes what the file does not list.

The whole file is checked first: a file that is no CSV, has the wrong columns for its type or too many
rows is refused with a readable error and nothing is stored. An accepted file becomes one AccountImport
and one row per line, written in one transaction; `run_once` then applies the rows a batch at a time in
the background (remote accounts are found by WebFinger, posts fetched), so a restart carries on where it
stopped and the settings page shows the progress."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from typing import Any

from tortoise.transactions import in_transaction

from ..errors import DomainError, NotFound, ValidationFailed
from ..models import (
    Account,
    AccountDomainBlock,
    AccountImport,
    AccountImportRow,
    Block,
    Bookmark,
    List,
    ListAccount,
    Mute,
    Status,
)
from ..runtime import Node
from . import account_extras, lists, relationships

KINDS = ("following", "blocking", "muting", "domain_blocking", "bookmarks", "lists")
MODES = ("merge", "overwrite")
MAX_ROWS = 20_000  # Mastodon's ROWS_PROCESSING_LIMIT
MAX_BYTES = 4 * 1024 * 1024
BATCH = 25  # rows applied per run: each may need a WebFinger look-up and an actor fetch
# Mastodon's column names -> our row keys; the headers a file of each type may carry.
COLUMNS = {
    "Account address": "acct",
    "Show boosts": "show_reblogs",
    "Notify on new posts": "notify",
    "Languages": "languages",
    "Hide notifications": "hide_notifications",
    "#domain": "domain",
    "#uri": "uri",
    "List name": "list_name",
}
DEFAULT_HEADERS = {
    "following": ("Account address", "Show boosts", "Notify on new posts", "Languages"),
    "blocking": ("Account address",),
    "muting": ("Account address", "Hide notifications"),
    "domain_blocking": ("#domain",),
    "bookmarks": ("#uri",),
    "lists": ("List name", "Account address"),
}
KNOWN_FIRST_HEADERS = ("Account address", "#domain", "#uri", "List name")
REQUIRED = {
    "following": "acct",
    "blocking": "acct",
    "muting": "acct",
    "domain_blocking": "domain",
    "bookmarks": "uri",
    "lists": "acct",
}

ResolveAccount = Callable[[Node, str], Awaitable[Account]]
ResolveStatus = Callable[[Node, str], Awaitable[Any]]


def _flag(value: str | None, default: bool) -> bool:
    value = (value or "").strip().lower()
    return default if not value else value in ("true", "1", "yes")


def parse(kind: str, data: bytes) -> list[dict[str, Any]]:
    """The rows of a CSV file of `kind`, or ValidationFailed saying what is wrong with it."""
    if kind not in KINDS:
        raise ValidationFailed(f"Validation failed: Type must be one of {', '.join(KINDS)}")
    if len(data) > MAX_BYTES:
        raise ValidationFailed(f"Validation failed: The file is larger than {MAX_BYTES // 1024 // 1024} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed("Validation failed: The file is not a UTF-8 CSV file") from None
    try:
        lines = [
            row
            for row in csv.reader(io.StringIO(text, newline=""), strict=True)
            if any(cell.strip() for cell in row)
        ]
    except csv.Error as exc:
        raise ValidationFailed(f"Validation failed: The file is not valid CSV ({exc})") from None
    if not lines:
        raise ValidationFailed("Validation failed: The file is empty")
    first = lines[0][0].strip() if lines[0] else ""
    if first in KNOWN_FIRST_HEADERS:
        headers = [cell.strip() for cell in lines[0]]
        lines = lines[1:]
        if REQUIRED[kind] not in {COLUMNS.get(h) for h in headers}:
            raise ValidationFailed(
                f"Validation failed: This file has the columns of another type of import "
                f"({', '.join(headers)}), not of {kind.replace('_', ' ')}"
            )
    else:
        headers = list(DEFAULT_HEADERS[kind])
    if len(lines) > MAX_ROWS:
        raise ValidationFailed(f"Validation failed: The file has more than {MAX_ROWS:,} rows")
    rows = []
    for number, line in enumerate(lines, start=2 if first in KNOWN_FIRST_HEADERS else 1):
        row = {
            COLUMNS[h]: (line[i].strip() if i < len(line) else "")
            for i, h in enumerate(headers)
            if h in COLUMNS
        }
        wanted = row.get(REQUIRED[kind], "")
        if not wanted:
            raise ValidationFailed(f"Validation failed: Row {number} has no {REQUIRED[kind]}")
        if REQUIRED[kind] == "acct" and ("@" not in wanted.lstrip("@") or " " in wanted):
            raise ValidationFailed(
                f"Validation failed: Row {number}: {wanted!r} is not an account address (user@domain)"
            )
        if kind == "lists" and not row.get("list_name"):
            raise ValidationFailed(f"Validation failed: Row {number} has no list name")
        if kind == "bookmarks" and not wanted.startswith(("http://", "https://")):
            raise ValidationFailed(f"Validation failed: Row {number}: {wanted!r} is not a post URL")
        rows.append(row)
    return rows


async def start(account: Account, kind: str, mode: str, data: bytes, filename: str = "") -> AccountImport:
    """Check the file and store it as an import to run; nothing is stored when the file is refused."""
    if mode not in MODES:
        raise ValidationFailed("Validation failed: Mode must be merge or overwrite")
    if kind == "lists" and mode == "overwrite":
        raise ValidationFailed("Validation failed: Lists can only be merged")
    rows = parse(kind, data)
    async with in_transaction():
        made = await AccountImport.create(
            account_id=account.id, kind=kind, mode=mode, filename=filename[:255], total_items=len(rows)
        )
        await AccountImportRow.bulk_create(
            [AccountImportRow(account_import_id=made.id, data=row) for row in rows], batch_size=500
        )
    return made


async def imports_of(account: Account, limit: int = 20) -> list[AccountImport]:
    return await AccountImport.filter(account_id=account.id).order_by("-id").limit(limit)


async def _apply(
    node: Node,
    account: Account,
    kind: str,
    data: dict[str, Any],
    resolve_account: ResolveAccount,
    resolve_status: ResolveStatus,
) -> int:
    """Apply one row; returns the id of what it resolved to."""
    if kind == "domain_blocking":
        await account_extras.block_domain(node, account, data["domain"])
        return 0
    if kind == "bookmarks":
        found = await resolve_status(node, data["uri"])
        if not isinstance(found, Status):
            raise NotFound(f"{data['uri']} is not a post")
        if not await Bookmark.filter(account_id=account.id, status_id=found.id).exists():
            await Bookmark.create(account_id=account.id, status_id=found.id)
        return found.id
    target = await resolve_account(node, data["acct"].lstrip("@"))
    if kind == "following":
        await relationships.follow(
            node,
            account,
            target,
            reblogs=_flag(data.get("show_reblogs"), True),
            notify=_flag(data.get("notify"), False),
        )
    elif kind == "blocking":
        await relationships.block(node, account, target)
    elif kind == "muting":
        await relationships.mute(account, target, notifications=_flag(data.get("hide_notifications"), True))
    else:  # lists: as Mastodon, the list is made when missing and its members are followed
        found, _ = await List.get_or_create(account_id=account.id, title=data["list_name"][:256])
        if target.id != account.id:
            await relationships.follow(node, account, target)
            if not await ListAccount.filter(list_id=found.id, account_id=target.id).exists():
                await lists.add_members(account, found.id, [target.id])
    return target.id


async def _overwrite(node: Node, account: Account, made: AccountImport) -> None:
    """After an overwrite import: undo what the file did not list."""
    kept = set(
        await AccountImportRow.filter(account_import_id=made.id, state="imported").values_list(
            "result_id", flat=True
        )
    )
    me = account.id
    if made.kind == "following":
        for target in await Account.filter(followers_rel__account_id=me).exclude(id__in=kept):
            await relationships.unfollow(node, account, target)
    elif made.kind == "blocking":
        for target in await Account.filter(
            id__in=Block.filter(account_id=me).exclude(target_account_id__in=kept).values("target_account_id")
        ):
            await relationships.unblock(node, account, target)
    elif made.kind == "muting":
        await Mute.filter(account_id=me).exclude(target_account_id__in=kept).delete()
    elif made.kind == "bookmarks":
        await Bookmark.filter(account_id=me).exclude(status_id__in=kept).delete()
    elif made.kind == "domain_blocking":
        listed = [
            r["domain"].lower()
            for r in await AccountImportRow.filter(account_import_id=made.id, state="imported").values_list(
                "data", flat=True
            )
        ]  # type: ignore[index]
        await AccountDomainBlock.filter(account_id=me).exclude(domain__in=listed).delete()


async def run_once(
    node: Node, resolve_account: ResolveAccount, resolve_status: ResolveStatus, batch: int = BATCH
) -> int:
    """Apply up to `batch` pending rows of the oldest running import; returns how many were applied. A row
    that cannot be applied (an account that does not exist, a server that is down) is counted as failed
    with its reason, as Mastodon does; the import goes on."""
    made = await AccountImport.filter(state="running").order_by("id").first()
    if made is None:
        return 0
    account = await Account.get(id=made.account_id)
    rows = (
        await AccountImportRow.filter(account_import_id=made.id, state="pending").order_by("id").limit(batch)
    )
    for row in rows:
        try:
            row.result_id = await _apply(node, account, made.kind, row.data, resolve_account, resolve_status)
            row.state = "imported"
        except DomainError as exc:
            row.state, row.error = "failed", exc.message[:255]
        await row.save(update_fields=["state", "result_id", "error"])
    done = await AccountImportRow.filter(account_import_id=made.id).exclude(state="pending").count()
    imported = await AccountImportRow.filter(account_import_id=made.id, state="imported").count()
    made.processed_items, made.imported_items = done, imported
    if done >= made.total_items:
        if made.mode == "overwrite":
            await _overwrite(node, account, made)
        made.state, made.finished_at = "finished", node.clock.now()
    await made.save(update_fields=["processed_items", "imported_items", "state", "finished_at"])
    return len(rows) or (1 if made.state == "finished" else 0)


async def failures(made: AccountImport, limit: int = 50) -> list[tuple[dict[str, Any], str]]:
    rows = (
        await AccountImportRow.filter(account_import_id=made.id, state="failed").order_by("id").limit(limit)
    )
    return [(r.data, r.error) for r in rows]
