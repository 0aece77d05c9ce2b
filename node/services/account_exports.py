"""A person's data as the CSV files Mastodon's /settings/export offers, byte for byte in its formats, so
they import into Mastodon (and back here) unchanged: follows, followers, blocks, mutes, domain blocks,
bookmarks and lists. Addresses are always user@domain, local ones with our domain."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from ..models import Account, AccountDomainBlock, Block, Bookmark, Follow, List, ListAccount, Mute, Status
from ..runtime import Node

# file name -> (header row or None, what the settings page calls it); Mastodon's names and headers.
FILES: dict[str, tuple[Sequence[str] | None, str]] = {
    "follows.csv": (("Account address", "Show boosts", "Notify on new posts", "Languages"), "Follows"),
    "followers.csv": (("Account address",), "Followers"),
    "blocks.csv": (None, "Blocked accounts"),
    "mutes.csv": (("Account address", "Hide notifications"), "Muted accounts"),
    "domain_blocks.csv": (None, "Blocked domains"),
    "bookmarks.csv": (None, "Bookmarks"),
    "lists.csv": (None, "Lists"),
}


def address(node: Node, account: Account) -> str:
    return f"{account.username}@{account.domain or node.config.node.domain}"


def _flag(value: bool) -> str:
    return "true" if value else "false"  # as Ruby's CSV writes booleans


def _csv(header: Sequence[str] | None, rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


async def _accounts(ids: Iterable[int]) -> dict[int, Account]:
    wanted = list(set(ids))
    return {a.id: a for a in await Account.filter(id__in=wanted)} if wanted else {}


async def counts(account: Account) -> dict[str, int]:
    """How many rows each file has, for the export page."""
    lists = List.filter(account_id=account.id).values("id")
    return {
        "follows.csv": await Follow.filter(account_id=account.id).count(),
        "followers.csv": await Follow.filter(target_account_id=account.id).count(),
        "blocks.csv": await Block.filter(account_id=account.id).count(),
        "mutes.csv": await Mute.filter(account_id=account.id).count(),
        "domain_blocks.csv": await AccountDomainBlock.filter(account_id=account.id).count(),
        "bookmarks.csv": await Bookmark.filter(account_id=account.id).count(),
        "lists.csv": await ListAccount.filter(list_id__in=[row["id"] for row in await lists]).count(),
    }


async def export(node: Node, account: Account, name: str) -> str:
    """The text of one export file (KeyError for a name that is none)."""
    header, _ = FILES[name]
    me = account.id
    if name == "follows.csv":
        follows = await Follow.filter(account_id=me).order_by("-id")
        people = await _accounts(f.target_account_id for f in follows)  # type: ignore[attr-defined]
        rows = [
            (address(node, people[f.target_account_id]), _flag(f.show_reblogs), _flag(f.notify), "")  # type: ignore[attr-defined]
            for f in follows
            if f.target_account_id in people
        ]  # type: ignore[attr-defined]
    elif name == "followers.csv":
        ids = await Follow.filter(target_account_id=me).order_by("-id").values_list("account_id", flat=True)
        people = await _accounts(ids)  # type: ignore[arg-type]
        rows = [(address(node, people[i]),) for i in ids if i in people]  # type: ignore[misc]
    elif name == "blocks.csv":
        ids = await Block.filter(account_id=me).order_by("-id").values_list("target_account_id", flat=True)
        people = await _accounts(ids)  # type: ignore[arg-type]
        rows = [(address(node, people[i]),) for i in ids if i in people]  # type: ignore[misc]
    elif name == "mutes.csv":
        mutes = await Mute.filter(account_id=me).order_by("-id")
        people = await _accounts(m.target_account_id for m in mutes)  # type: ignore[attr-defined]
        rows = [
            (address(node, people[m.target_account_id]), _flag(m.hide_notifications))  # type: ignore[attr-defined]
            for m in mutes
            if m.target_account_id in people
        ]  # type: ignore[attr-defined]
    elif name == "domain_blocks.csv":
        rows = [
            (d,)
            for d in await AccountDomainBlock.filter(account_id=me)
            .order_by("domain")
            .values_list("domain", flat=True)
        ]
    elif name == "bookmarks.csv":
        ids = await Bookmark.filter(account_id=me).order_by("-id").values_list("status_id", flat=True)
        statuses = {s.id: s for s in await Status.filter(id__in=list(ids))}
        people = await _accounts(s.account_id for s in statuses.values())  # type: ignore[attr-defined]
        rows = [
            (statuses[i].uri or node.urls.status_uri(people[statuses[i].account_id].username, i),)  # type: ignore[attr-defined]
            for i in ids
            if i in statuses and statuses[i].account_id in people
        ]  # type: ignore[attr-defined]
    else:  # lists.csv
        rows = []
        for found in await List.filter(account_id=me).order_by("id"):
            ids = (
                await ListAccount.filter(list_id=found.id).order_by("id").values_list("account_id", flat=True)
            )
            people = await _accounts(ids)  # type: ignore[arg-type]
            rows.extend((found.title, address(node, people[i])) for i in ids if i in people)  # type: ignore[misc]
    return _csv(header, rows)
