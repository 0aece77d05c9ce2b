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


TAGS = 20


def seed_timelines(seeder: Seeder, base_url: str, reader_id: int, *, authors: int, posts: int, follows: int,
                   days: int = 30) -> dict:
    """A node as it looks after months of federation: a quarter of the authors local, the rest on ten peers;
    statuses over `TAGS` hashtags, one in ten with an image, mostly public (some unlisted, followers-only and
    direct), some replies and reblogs; the reader follows `follows` authors (with a materialised home feed),
    blocks and mutes a few, and has favourited and bookmarked a few hundred statuses."""
    rng = random.Random(42)
    author_ids = [snowflake() for _ in range(authors)]
    domains = ["" if i % 4 == 0 else f"peer{i % 10}.test" for i in range(authors)]
    seeder.insert("accounts", ({"id": aid, "username": f"author{i}", "domain": domains[i],
                                "display_name": f"Author {i}",
                                "uri": f"https://{domains[i]}/users/author{i}" if domains[i] else f"{base_url}/users/author{i}",
                                "url": f"https://{domains[i]}/@author{i}" if domains[i] else f"{base_url}/@author{i}",
                                "statuses_count": posts // authors, "fields_json": "[]"}
                               for i, aid in enumerate(author_ids)))
    followed = set(rng.sample(author_ids, follows))
    seeder.insert("follows", ({"id": snowflake(), "account_id": reader_id, "target_account_id": aid,
                               "show_reblogs": 1, "notify": 0} for aid in followed))
    seeder.db.execute("UPDATE accounts SET following_count = ? WHERE id = ?", (follows, reader_id))
    strangers = [a for a in author_ids if a not in followed]
    blocked, muted = strangers[:5], strangers[5:10]
    seeder.insert("blocks", ({"id": snowflake(), "account_id": reader_id, "target_account_id": a} for a in blocked))
    seeder.insert("mutes", ({"id": snowflake(), "account_id": reader_id, "target_account_id": a,
                             "hide_notifications": 1} for a in muted))
    tag_ids = [snowflake() for _ in range(TAGS)]
    seeder.insert("tags", ({"id": tid, "name": f"tag{i}", "display_name": f"Tag{i}"} for i, tid in enumerate(tag_ids)))
    start = datetime.now(UTC) - timedelta(days=days)
    step = timedelta(days=days) / posts
    feed: list[tuple[int, int]] = []
    tagged: list[tuple[int, int]] = []
    media: list[tuple[int, int]] = []
    recent: list[tuple[int, int]] = []  # (status, author) of the last few posts, for replies and reblogs
    visibilities = ["public"] * 16 + ["unlisted"] * 2 + ["private", "direct"]

    def statuses() -> Iterator[dict]:
        for n in range(posts):
            i = n % authors
            author = author_ids[i]
            moment = start + step * n
            sid = snowflake(moment)
            row = {"id": sid, "account_id": author, "local": int(domains[i] == ""),
                   "visibility": rng.choice(visibilities), "created_at": stamp(moment), "sensitive": 0,
                   "uri": f"{base_url}/users/author{i}/statuses/{sid}"}
            kind = rng.random()
            if kind < 0.05 and recent:  # a reblog: no content of its own
                original, _ = rng.choice(recent)
                row.update(reblog_of_id=original, visibility="public")
            else:
                tag = rng.randrange(TAGS)
                row.update(text=f"post {n} #tag{tag}",
                           content=f'<p>post {n} <a href="{base_url}/tags/tag{tag}">#tag{tag}</a></p>')
                tagged.append((sid, tag_ids[tag]))
                if kind < 0.15 and recent:  # a reply to someone else
                    parent, parent_author = rng.choice(recent)
                    row.update(in_reply_to_id=parent, in_reply_to_account_id=parent_author)
                if rng.random() < 0.1:
                    media.append((sid, author))
            if author in followed and row["visibility"] != "direct":
                feed.append((sid, author))
            recent.append((sid, author))
            if len(recent) > 500:
                del recent[:250]
            yield row

    seeder.insert("statuses", statuses())
    seeder.insert("status_tags", ({"id": snowflake(), "status_id": sid, "tag_id": tid} for sid, tid in tagged))
    seeder.insert("media_attachments", ({"id": snowflake(), "status_id": sid, "account_id": aid, "type": "image",
                                         "mime_type": "image/jpeg", "remote_url": f"https://cdn.test/{sid}.jpg",
                                         "width": 1200, "height": 800, "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj"}
                                        for sid, aid in media))
    seeder.insert("home_feed", ({"id": snowflake(), "account_id": reader_id, "status_id": sid, "author_id": aid}
                                for sid, aid in feed))
    public_ids = [sid for sid, _ in tagged[::997]]
    seeder.insert("favourites", ({"id": snowflake(), "account_id": reader_id, "status_id": sid} for sid in public_ids))
    seeder.insert("bookmarks", ({"id": snowflake(), "account_id": reader_id, "status_id": sid} for sid in public_ids))
    seeder.db.commit()
    return {"authors": authors, "posts": posts, "follows": follows, "feed_ids": sorted(sid for sid, _ in feed),
            "status_ids": [sid for sid, _ in tagged], "busy_author": next(a for a in author_ids if a in followed),
            "followed": sorted(followed),
            "blocked": blocked, "muted": muted, "saved": len(public_ids)}
