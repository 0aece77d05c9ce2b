"""Bulk data for benchmarks, written straight into the node's SQLite file (the ORM would take minutes for
a million rows). Columns the caller leaves out get their type's zero value, so new model fields need no
change here."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from node.models.base import snowflake


def stamp(moment: datetime) -> str:
    return moment.isoformat(sep=" ")  # tortoise's SQLite datetime format


class Seeder:
    def __init__(self, database: Path) -> None:
        self.db = sqlite3.connect(database)
        self.db.execute("PRAGMA synchronous=OFF")
        self._columns: dict[str, list[tuple[str, str, bool]]] = {}

    def columns(self, table: str) -> list[tuple[str, str, bool]]:
        if table not in self._columns:
            rows = self.db.execute(f'PRAGMA table_info("{table}")').fetchall()
            self._columns[table] = [(r[1], r[2].upper(), bool(r[3])) for r in rows]  # name, type, notnull
        return self._columns[table]

    def insert(self, table: str, rows: Iterable[dict], batch: int = 20_000) -> int:
        columns = self.columns(table)
        names = [c[0] for c in columns]
        sql = f'INSERT INTO "{table}" ({", ".join(names)}) VALUES ({", ".join("?" * len(names))})'
        now = stamp(datetime.now(UTC))

        def filled(row: dict) -> tuple:
            values = []
            for name, kind, notnull in columns:
                if name in row:
                    values.append(row[name])
                elif not notnull:
                    values.append(None)
                elif "TIMESTAMP" in kind:
                    values.append(now)
                elif "INT" in kind or "REAL" in kind or "FLOAT" in kind:
                    values.append(0)
                elif "JSON" in kind:
                    values.append("[]")
                else:
                    values.append("")
            return tuple(values)

        count = 0
        chunk: list[tuple] = []
        for row in rows:
            chunk.append(filled(row))
            if len(chunk) >= batch:
                self.db.executemany(sql, chunk)
                count += len(chunk)
                chunk = []
        if chunk:
            self.db.executemany(sql, chunk)
            count += len(chunk)
        self.db.commit()
        return count

    def close(self) -> None:
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.close()


def seed_social_graph(seeder: Seeder, base_url: str, reader_id: int, *, authors: int, posts: int,
                      follows: int, days: int = 30) -> dict[str, int]:
    """`authors` remote-style accounts, `posts` statuses spread over `days`, the reader following
    `follows` of the authors, and the reader's materialised home feed."""
    rng = random.Random(42)
    author_ids = [snowflake() for _ in range(authors)]
    seeder.insert("accounts", ({"id": aid, "username": f"author{i}", "domain": "", "display_name": f"Author {i}",
                                "uri": f"{base_url}/users/author{i}", "url": f"{base_url}/@author{i}",
                                "statuses_count": posts // authors, "fields_json": "[]"}
                               for i, aid in enumerate(author_ids)))
    followed = set(rng.sample(author_ids, follows))
    seeder.insert("follows", ({"id": snowflake(), "account_id": reader_id, "target_account_id": aid,
                               "show_reblogs": 1, "notify": 0} for aid in followed))
    seeder.db.execute("UPDATE accounts SET following_count = ? WHERE id = ?", (follows, reader_id))
    start = datetime.now(UTC) - timedelta(days=days)
    step = timedelta(days=days) / posts
    feed: list[tuple[int, int]] = []

    def statuses() -> Iterator[dict]:
        for n in range(posts):
            author = author_ids[n % authors]
            moment = start + step * n
            sid = snowflake(moment)
            if author in followed:
                feed.append((sid, author))
            yield {"id": sid, "account_id": author, "local": 1, "text": f"post {n} #bench",
                   "content": f"<p>post {n} <a href=\"{base_url}/tags/bench\">#bench</a></p>",
                   "visibility": "public", "created_at": stamp(moment), "sensitive": 0,
                   "uri": f"{base_url}/users/author{n % authors}/statuses/{sid}"}

    seeder.insert("statuses", statuses())
    seeder.insert("home_feed", ({"id": snowflake(), "account_id": reader_id, "status_id": sid, "author_id": aid}
                                for sid, aid in feed))
    seeder.db.commit()
    return {"authors": authors, "posts": posts, "follows": follows, "feed_rows": len(feed),
            "feed_ids": sorted(sid for sid, _ in feed)}
