"""Each user's search history: what they searched for, most recent first, kept to the last 100 queries,
which they can list, delete one of, or clear."""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError

from ..errors import NotFound
from ..models import Account, SearchHistory, row_id

KEEP = 100


async def record(account: Account, query: str) -> None:
    """Remember a search (a repeated query moves to the top instead of appearing twice)."""
    query = " ".join(query.split())[:500]
    if not query:
        return
    now = datetime.now(UTC)
    updated = await SearchHistory.filter(account_id=account.id, query=query).update(searched_at=now)
    if not updated:
        try:
            await SearchHistory.create(account_id=account.id, query=query, searched_at=now)
        except IntegrityError:  # the same query from two tabs at once
            await SearchHistory.filter(account_id=account.id, query=query).update(searched_at=now)
    stale = await SearchHistory.filter(account_id=account.id).order_by("-searched_at", "-id").offset(KEEP).values_list(
        "id", flat=True)
    if stale:
        await SearchHistory.filter(id__in=list(stale)).delete()


async def entries(account: Account, *, limit: int = 20) -> list[SearchHistory]:
    return list(await SearchHistory.filter(account_id=account.id).order_by("-searched_at", "-id").limit(limit))


async def forget(account: Account, entry_id: object) -> None:
    key = row_id(entry_id)
    if not await SearchHistory.filter(id=key, account_id=account.id).delete():
        raise NotFound()


async def clear(account: Account) -> int:
    return await SearchHistory.filter(account_id=account.id).delete()
