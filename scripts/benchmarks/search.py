"""Search at scale: 200,000 posts, 20,000 accounts and 5,000 hashtags (a tenth with --quick) indexed in
Whoosh, then p50/p95 of a full-text query, a fuzzy query, a filtered geo query and an autocomplete keystroke;
the same data and the same queries on SQLite FTS5 in the same run, side by side (ratio = Whoosh / FTS5).
On the PostgreSQL pass (`scripts/bench --postgres search`) the seeded node is copied to PostgreSQL and uses
search.backend = "postgres": its rows are named "postgres" instead of "whoosh" (its indexing figure is the
rebuild a first start makes of the new search tables).

Post text follows a Zipf law over a 30,000-word vocabulary; query words are content words, drawn evenly
from frequency ranks 20..3,000 (the top 20 play the part of stop words, which nobody searches for alone).
Queries are timed at the backend (what a search request spends in the engine, top 20 ids), one at a time.
FTS5 has no typo tolerance: its "fuzzy" row is the nearest thing it offers (a 4-letter prefix query)."""

from __future__ import annotations

import random
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _seed import Seeder, stamp
from harness import Result, Stopwatch, bench_config, move_to_postgres, p50_p95, postgres

from node import config as config_module
from node.lifecycle import start_node, stop_node
from node.models.base import snowflake
from node.search.backend import Audience, Filters, bounding_box, distance_km
from node.search.query import parse

QUERIES = 200
CITIES = [(48.8566, 2.3522), (40.7128, -74.006), (35.6762, 139.6503), (-33.8688, 151.2093), (51.5074, -0.1278),
          (52.52, 13.405), (37.7749, -122.4194), (-23.5505, -46.6333), (19.4326, -99.1332), (55.7558, 37.6173)]


def vocabulary(rng: random.Random, size: int) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = {"".join(rng.choice(letters) for _ in range(rng.randint(4, 10))) for _ in range(size * 2)}
    return sorted(words)[:size]


def zipf_pick(rng: random.Random, words: list[str]) -> str:
    return words[min(len(words) - 1, int(rng.paretovariate(1.1)) - 1)]


def typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(1, len(word))
    return word[:i] + word[i + 1:]  # one letter dropped (not the first: prefixes stay)


def seed(database: Path, posts: int, accounts: int, tags: int, rng: random.Random) -> dict:
    words = vocabulary(rng, 30_000)
    rng.shuffle(words)
    seeder = Seeder(database)
    account_ids = [snowflake() for _ in range(accounts)]
    names = [f"{rng.choice(words)}{i}" for i in range(accounts)]
    seeder.insert("accounts", ({"id": aid, "username": names[i], "domain": "" if i % 3 else f"peer{i % 50}.example",
                                "display_name": f"{rng.choice(words).title()} {rng.choice(words).title()}",
                                "note": " ".join(rng.choice(words) for _ in range(12)), "fields_json": "[]",
                                "followers_count": int(rng.paretovariate(1.2) * 3), "discoverable": 1,
                                "uri": f"https://bench.test/users/{names[i]}"} for i, aid in enumerate(account_ids)))
    tag_ids = [snowflake() for _ in range(tags)]
    tag_names = [f"{words[i]}{i}" for i in range(tags)]
    seeder.insert("tags", ({"id": tid, "name": tag_names[i], "display_name": tag_names[i]}
                           for i, tid in enumerate(tag_ids)))
    place_ids = [snowflake() for _ in range(2_000)]
    place_points = [(c[0] + rng.uniform(-0.5, 0.5), c[1] + rng.uniform(-0.5, 0.5))
                    for c in (rng.choice(CITIES) for _ in place_ids)]
    seeder.insert("places", ({"id": pid, "name": f"{rng.choice(words).title()} Cafe", "lat": place_points[i][0],
                              "lon": place_points[i][1], "popularity": rng.randint(0, 100)}
                             for i, pid in enumerate(place_ids)))
    start = datetime.now(UTC) - timedelta(days=60)
    status_rows, status_tags, status_places, texts = [], [], [], []
    for n in range(posts):
        moment = start + timedelta(seconds=n * 60 * 24 * 60 / posts * 60)
        sid = snowflake(moment)
        text = " ".join(zipf_pick(rng, words) for _ in range(rng.randint(6, 30)))
        chosen = rng.sample(range(tags), rng.randint(0, 3))
        texts.append((sid, text, [tag_names[t] for t in chosen]))
        status_rows.append({"id": sid, "account_id": account_ids[n % accounts], "local": 1, "text": text,
                            "content": f"<p>{text}</p>", "visibility": "public", "created_at": stamp(moment),
                            "language": rng.choice(["en", "en", "en", "fr", "de"]), "sensitive": 0,
                            "favourites_count": int(rng.paretovariate(1.5)) - 1})
        status_tags += [{"id": snowflake(), "status_id": sid, "tag_id": tag_ids[t]} for t in chosen]
        if n % 10 == 0:
            p = rng.randrange(len(place_ids))
            status_places.append({"id": snowflake(), "status_id": sid, "place_id": place_ids[p]})
    seeder.insert("statuses", status_rows)
    seeder.insert("status_tags", status_tags)
    seeder.insert("status_places", status_places)
    seeder.close()
    place_of = {row["status_id"]: place_points[place_ids.index(row["place_id"])] for row in status_places}
    return {"words": words, "names": names, "texts": texts, "place_of": place_of, "followers":
            {names[i]: 0 for i in range(accounts)}}


def build_fts(path: Path, data: dict) -> float:
    db = sqlite3.connect(path)
    with Stopwatch() as watch:
        db.execute("CREATE VIRTUAL TABLE posts USING fts5(text, tags, tokenize='porter unicode61')")
        db.execute("CREATE TABLE post_geo (rowid INTEGER PRIMARY KEY, lat REAL, lon REAL)")
        db.execute("CREATE INDEX post_geo_lat ON post_geo(lat, lon)")
        db.execute("CREATE VIRTUAL TABLE names USING fts5(username, prefix='1 2 3 4')")
        db.executemany("INSERT INTO posts(rowid, text, tags) VALUES (?, ?, ?)",
                       ((sid, text, " ".join(tags)) for sid, text, tags in data["texts"]))
        db.executemany("INSERT INTO post_geo VALUES (?, ?, ?)",
                       ((sid, lat, lon) for sid, (lat, lon) in data["place_of"].items()))
        db.executemany("INSERT INTO names(rowid, username) VALUES (?, ?)", enumerate(data["names"]))
        db.commit()
    db.close()
    return watch.seconds


def timed(fn, samples: list) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for sample in samples:
        started = time.perf_counter()
        fn(sample)
        out.append((time.perf_counter() - started) * 1000)
    return out


async def timed_async(fn, samples: list) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for sample in samples:
        started = time.perf_counter()
        await fn(sample)
        out.append((time.perf_counter() - started) * 1000)
    return out


async def run(quick: bool) -> list[Result]:
    posts, accounts, tags = (20_000, 2_000, 500) if quick else (200_000, 20_000, 5_000)
    rng = random.Random(7)
    results: list[Result] = []
    note = f"{posts:,} posts, {accounts:,} accounts, {tags:,} tags"
    with tempfile.TemporaryDirectory(prefix="entativa-bench-") as tmp:
        folder = Path(tmp)
        config = bench_config(folder, seeded=True)
        node = await start_node(config)  # creates the schema
        await node.search.drain()
        await stop_node(node)
        data = seed(config.data_dir / "node.sqlite3", posts, accounts, tags, rng)
        engine = "postgres" if postgres() else "whoosh"
        if engine == "postgres":  # the same rows, copied as `entativa migrate-to-postgres` copies them
            config = await move_to_postgres(config.path)
            config.path.write_text(config.path.read_text() + '[search]\nbackend = "postgres"\n')
            config = config_module.load(config.path)
        with Stopwatch() as first_start:
            node = await start_node(config)
            with node.db:
                await node.search.drain()  # PostgreSQL: its new search tables are filled from the database
        try:
            with node.db:
                if engine == "postgres":
                    watch, total = first_start, sum([await node.search.backend_count(k) for k in
                                                     ("statuses", "accounts", "hashtags", "places")])
                else:
                    with Stopwatch() as watch:
                        counts = await node.search.rebuild()
                    total = sum(counts.values())
            results.append(Result("search", f"{engine} indexing", total / watch.seconds, "docs/s", note=note))
            fts_seconds = build_fts(folder / "fts.sqlite3", data)
            results.append(Result("search", "fts5 indexing", (posts + accounts) / fts_seconds, "docs/s"))

            backend = node.search.backend
            engine_sync = getattr(backend, "engine", None)  # Whoosh: timed without the thread hop, as before
            words = data["words"]
            content = words[20:3000]
            common = [rng.choice(content) for _ in range(QUERIES)]
            full = [f"{a} {b}" if i % 2 else a for i, (a, b) in enumerate(zip(common, reversed(common), strict=True))]
            fuzzy = [typo(rng, w) for w in (rng.choice(content) for _ in range(QUERIES)) if len(w) > 4]
            geo = [(rng.choice(words[20:200]), rng.choice(CITIES)) for _ in range(QUERIES)]
            keys = [rng.choice(data["names"])[:rng.randint(1, 4)] for _ in range(QUERIES)]
            anyone = Audience()

            def whoosh_text(q: str) -> None:
                engine_sync.search("statuses", parse(q).query, Filters(), anyone, limit=20)

            def whoosh_geo(sample: tuple) -> None:
                word, (lat, lon) = sample
                engine_sync.search("statuses", parse(word).query, Filters(near=(lat, lon, 25.0)), anyone, limit=20)

            def whoosh_suggest(prefix: str) -> None:
                engine_sync.suggest("accounts", prefix, limit=10)

            async def index_text(q: str) -> None:
                await backend.search("statuses", parse(q).query, Filters(), anyone, limit=20)

            async def index_geo(sample: tuple) -> None:
                word, (lat, lon) = sample
                await backend.search("statuses", parse(word).query, Filters(near=(lat, lon, 25.0)), anyone, limit=20)

            async def index_suggest(prefix: str) -> None:
                await backend.suggest("accounts", prefix, limit=10)

            fts = sqlite3.connect(folder / "fts.sqlite3", check_same_thread=False)

            def fts_text(q: str) -> None:
                match = " AND ".join(f'"{w}"' for w in q.split())
                fts.execute("SELECT rowid FROM posts WHERE posts MATCH ? ORDER BY rank LIMIT 20", (match,)).fetchall()

            def fts_fuzzy(q: str) -> None:
                fts.execute("SELECT rowid FROM posts WHERE posts MATCH ? ORDER BY rank LIMIT 20",
                            (f'"{q[:4]}"*',)).fetchall()

            def fts_geo(sample: tuple) -> None:
                word, (lat, lon) = sample
                low_lat, high_lat, low_lon, high_lon = bounding_box(lat, lon, 25.0)
                rows = fts.execute("SELECT p.rowid, g.lat, g.lon FROM posts p JOIN post_geo g ON g.rowid = p.rowid "
                                   "WHERE posts MATCH ? AND g.lat BETWEEN ? AND ? AND g.lon BETWEEN ? AND ? "
                                   "ORDER BY rank LIMIT 100", (f'"{word}"', low_lat, high_lat, low_lon, high_lon))
                [r for r in rows if distance_km(lat, lon, r[1], r[2]) <= 25.0][:20]

            def fts_suggest(prefix: str) -> None:
                fts.execute("SELECT rowid FROM names WHERE names MATCH ? LIMIT 10", (f'"{prefix}"*',)).fetchall()

            for label, whoosh_fn, index_fn, fts_fn, samples, target in (
                    ("full-text", whoosh_text, index_text, fts_text, full, "< 100"),
                    ("fuzzy", whoosh_text, index_text, fts_fuzzy, fuzzy, ""),
                    ("geo filtered", whoosh_geo, index_geo, fts_geo, geo, ""),
                    ("autocomplete", whoosh_suggest, index_suggest, fts_suggest, keys, "< 30")):
                with node.db:
                    if engine_sync is not None:
                        timed(whoosh_fn, samples[:10])  # warm caches
                        w50, w95 = p50_p95(timed(whoosh_fn, samples))
                    else:
                        await timed_async(index_fn, samples[:10])
                        w50, w95 = p50_p95(await timed_async(index_fn, samples))
                f50, f95 = p50_p95(timed(fts_fn, samples))
                results.append(Result("search", f"{label} p50 {engine}", w50, "ms"))
                results.append(Result("search", f"{label} p95 {engine}", w95, "ms", target=target))
                results.append(Result("search", f"{label} p50 fts5", f50, "ms"))
                results.append(Result("search", f"{label} p95 fts5", f95, "ms",
                                      note=f"{engine}/fts5 p95 ratio {w95 / f95:.1f}x" if f95 else ""))
            fts.close()
        finally:
            await stop_node(node)
    return results
