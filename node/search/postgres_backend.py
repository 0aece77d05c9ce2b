"""The PostgreSQL search backend: documents in tables of the node's own database (postgres_schema.py), words
in tsvector columns read with each document's language, typos and type-ahead with pg_trgm, places and posts
near a point by bounding box and exact distance.

It talks SQL on the node's own connection pool, on the event loop, so there is no writer thread or process:
every process of a node writes its own index work, at once. Each document carries when its build began
(`stamp`, the database's clock); a write of an older reading never replaces a newer one, and a delete leaves
a tombstone for a while, so the last reading of the database wins in whatever order the writes land.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Sequence
from typing import Any

import asyncpg
from tortoise.connection import get_connection

from . import postgres_schema as schema
from .backend import (
    KINDS,
    SHORT_PREFIX,
    AsyncSearchBackend,
    Audience,
    Document,
    Filters,
    Hit,
    ParsedQuery,
    bounding_box,
    split_words,
    word_starts,
)

CONFIGS_SECONDS = 30.0  # how long the set of languages a kind holds is trusted before it is read again
TOMBSTONE_SECONDS = 3600  # far longer than any build of a batch takes
RETRIES = 3  # a deadlock between two processes' batches is retried (each batch is one transaction)
# ts_rank weights {D, C, B, A}: the same ratios as the Whoosh fields' boosts (whoosh_backend.SEARCHED).
WEIGHTS = {
    "statuses": "{0.1, 0.25, 0.5, 1.0}",  # tags A 2.0, text B 1.0, spoiler C 0.5
    "takes": "{0.1, 0.5, 0.75, 1.0}",  # tags A 2.0, caption B 1.5, BTT text and sound C 1.0
    "accounts": "{0.1667, 0.1, 0.1, 1.0}",  # names A 3.0, note D 0.5
    "hashtags": "{0.3333, 0.1, 0.1, 1.0}",  # name A 3.0, words D 1.0
    "places": "{0.1, 0.1, 0.3333, 1.0}",  # name A 3.0, locality and country B 1.0
}
SORT = {"statuses": "created", "takes": "created", "accounts": "followers", "hashtags": "uses", "places": "popularity"}
_TOKENS = re.compile(r"\w+(?:\.?\w+)*")  # how Whoosh's StandardAnalyzer splits names
_LEXEME = re.compile(r"^'((?:[^']|'')*)'$")

_SET = "stamp = EXCLUDED.stamp, gone = EXCLUDED.gone, tsv = EXCLUDED.tsv, "
_NEWER = " WHERE t.stamp <= EXCLUDED.stamp"
_AUTHORED_COLUMNS = ("config, author_id, domains, language, visibility, mentions, created, has_media, engagement, "
                     "lat, lon")
_AUTHORED_VALUES = "$4, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17"
UPSERT = {
    "statuses": (
        f"INSERT INTO search_statuses AS t (id, stamp, gone, tsv, {_AUTHORED_COLUMNS}) VALUES ($1, $2, $3, "
        "setweight(to_tsvector($4::text::regconfig, coalesce($5, '')), 'B') || "
        "setweight(to_tsvector($4::text::regconfig, coalesce($6, '')), 'C') || "
        f"setweight(to_tsvector('simple', coalesce($7, '')), 'A'), {_AUTHORED_VALUES}) "
        "ON CONFLICT (id) DO UPDATE SET " + _SET
        + ", ".join(f"{c} = EXCLUDED.{c}" for c in _AUTHORED_COLUMNS.split(", ")) + _NEWER),
    "takes": (
        f"INSERT INTO search_takes AS t (id, stamp, gone, tsv, {_AUTHORED_COLUMNS}) VALUES ($1, $2, $3, "
        "setweight(to_tsvector($4::text::regconfig, coalesce($5, '')), 'B') || "
        "setweight(to_tsvector($4::text::regconfig, coalesce($6, '')), 'C') || "
        f"setweight(to_tsvector('simple', coalesce($7, '')), 'A'), {_AUTHORED_VALUES}) "
        "ON CONFLICT (id) DO UPDATE SET " + _SET
        + ", ".join(f"{c} = EXCLUDED.{c}" for c in _AUTHORED_COLUMNS.split(", ")) + _NEWER),
    "accounts": (
        "INSERT INTO search_accounts AS t (id, stamp, gone, tsv, username, acct, display_name, words, starts, domains, "
        "followers, local) VALUES ($1, $2, $3, setweight(to_tsvector('simple', coalesce($4, '')), 'A') || "
        "setweight(to_tsvector($13::text::regconfig, coalesce($5, '')), 'D'), $6, $7, $8, $9, $10, $11, $12, $14) "
        "ON CONFLICT (id) DO UPDATE SET " + _SET + "username = EXCLUDED.username, acct = EXCLUDED.acct, "
        "display_name = EXCLUDED.display_name, words = EXCLUDED.words, starts = EXCLUDED.starts, "
        "domains = EXCLUDED.domains, followers = EXCLUDED.followers, local = EXCLUDED.local" + _NEWER),
    "hashtags": (
        "INSERT INTO search_hashtags AS t (id, stamp, gone, tsv, name, starts, uses, last_used) VALUES ($1, $2, $3, "
        "setweight(to_tsvector('simple', coalesce($4, '')), 'A') || "
        "setweight(to_tsvector($8::text::regconfig, coalesce($5, '')), 'D'), $4, $6, $7, $9) "
        "ON CONFLICT (id) DO UPDATE SET " + _SET + "name = EXCLUDED.name, starts = EXCLUDED.starts, "
        "uses = EXCLUDED.uses, last_used = EXCLUDED.last_used" + _NEWER),
    "places": (
        "INSERT INTO search_places AS t (id, stamp, gone, tsv, name, words, starts, lat, lon, popularity) VALUES "
        "($1, $2, $3, setweight(to_tsvector('simple', coalesce($4, '')), 'A') || "
        "setweight(to_tsvector('simple', coalesce($5, '')), 'B'), $4, $6, $7, $8, $9, $10) "
        "ON CONFLICT (id) DO UPDATE SET " + _SET + "name = EXCLUDED.name, words = EXCLUDED.words, "
        "starts = EXCLUDED.starts, lat = EXCLUDED.lat, lon = EXCLUDED.lon, popularity = EXCLUDED.popularity"
        + _NEWER),
}
# $1 pieces (words, then phrases), $2 configurations, $3 how many pieces are words, $4 fuzzy, $5 kind.
# Rows with `q`: a reading of piece i. Rows with `lex`: a single-lexeme reading of a word none of whose
# readings the index holds, with the held words that look like it (trigrams; the first letter kept, as
# Whoosh's FuzzyTerm keeps a prefix of one); their edit distance is checked in Python.
_READINGS = r"""
WITH r AS (
  SELECT p.i, (CASE WHEN p.i <= $3 THEN plainto_tsquery(c.name::regconfig, p.piece)
               ELSE phraseto_tsquery(c.name::regconfig, p.piece) END)::text AS q
  FROM unnest($1::text[]) WITH ORDINALITY AS p(piece, i), unnest($2::text[]) AS c(name)),
w AS (SELECT DISTINCT i, q FROM r WHERE q <> ''),
l AS (SELECT i, replace(substr(q, 2, length(q) - 2), '''''', '''') AS lex FROM w
      WHERE $4 AND i <= $3 AND q ~ '^''([^'']|'''')*''$'),
k AS (SELECT i, bool_or(EXISTS (SELECT 1 FROM search_words e WHERE e.kind = $5 AND e.word = l.lex)) AS known
      FROM l GROUP BY i)
SELECT w.i, w.q, NULL::text AS lex, NULL::text[] AS near FROM w
UNION ALL
SELECT l.i, NULL, l.lex, ARRAY(SELECT s.word FROM search_words s WHERE s.kind = $5 AND s.word % l.lex
                               AND left(s.word, 1) = left(l.lex, 1) ORDER BY s.word <-> l.lex LIMIT 16)
FROM l JOIN k USING (i) WHERE NOT k.known AND length(l.lex) >= 4
"""
WIDTH = {"statuses": 17, "takes": 17, "accounts": 14, "hashtags": 9, "places": 10}  # parameters of each UPSERT


def _words(text: str) -> str:
    """Lower-cased name tokens, each after a space: `words LIKE '% pre%'` finds a word starting with `pre`."""
    return "".join(f" {token}" for token in _TOKENS.findall((text or "").lower()))


def _clean(value: Any) -> Any:
    """PostgreSQL text holds no NUL character: a document from elsewhere (a Take builder) loses it."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _lexeme(word: str) -> str:
    """A word as a tsquery operand, taken as it is (no parsing, no stemming)."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (the few candidates pg_trgm proposes are checked here, as Whoosh's FuzzyTerm would)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _fuzzy_distance(word: str) -> int:
    if len(word) < 4:
        return 0
    return 1 if len(word) < 8 else 2


class _Params:
    """Numbered parameters for a statement being written."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


class PostgresBackend(AsyncSearchBackend):
    concurrent_writers = True

    def __init__(self) -> None:
        self._opened: set[str] | None = None
        self._open_lock = asyncio.Lock()
        self.available: set[str] = set()  # our text search configurations in this database
        self._configs: dict[str, tuple[float, set[str]]] = {}  # kind -> (read at, configurations its documents use)

    def _client(self) -> Any:
        return get_connection("default")

    # ---- storage -----------------------------------------------------------------------------------------

    async def open(self) -> set[str]:
        """Make the tables (once per process; the kinds made empty are reported to the first caller's rebuild)."""
        async with self._open_lock:
            if self._opened is None:
                async with self._client().acquire_connection() as connection, connection.transaction():
                    fresh = await schema.ensure(connection)
                    self.available = await schema.configurations(connection)
                self._opened = fresh
            return self._opened

    async def clock(self) -> float:
        async with self._client().acquire_connection() as connection:
            return float(await connection.fetchval("SELECT extract(epoch FROM clock_timestamp())::float8"))

    def config(self, language: str) -> str:
        return schema.config_for(language, self.available)

    def _row(self, doc: Document, stamp: float) -> tuple[Any, ...]:
        f, kind = doc.fields, doc.kind
        if kind in ("statuses", "takes"):
            config = self.config(f.get("language", ""))
            if kind == "statuses":
                texts = (f.get("text"), f.get("spoiler"))
            else:
                texts = (f.get("caption"), " ".join(filter(None, (f.get("btt_text"), f.get("sound")))))
            lat, lon = f.get("lat"), f.get("lon")
            located = lat is not None and lon is not None
            return (doc.id, stamp, False, config, *texts, " ".join(f.get("tags", ())), int(f["author_id"]),
                    list(f.get("domains", ())), f.get("language") or "", f.get("visibility") or "public",
                    [int(m) for m in f.get("mentions", ())], int(f.get("created", 0)), bool(f.get("has_media")),
                    int(f.get("engagement", 0)), float(lat) if located else None, float(lon) if located else None)
        if kind == "accounts":
            names = " ".join([f["username"], f["acct"].replace("@", " "), f["display_name"]])
            return (doc.id, stamp, False, names, f["note"], f["username"].lower(), f["acct"].lower(),
                    f["display_name"], _words(names), word_starts(f["username"], f["display_name"]),
                    list(f.get("domains", ())), int(f["followers"]), self.config(""), bool(f["local"]))
        if kind == "hashtags":
            return (doc.id, stamp, False, f["name"].lower(), split_words(f["display_name"]),
                    word_starts(f["name"]), int(f["uses"]), self.config(""), int(f["last_used"]))
        return (doc.id, stamp, False, f["name"], " ".join(filter(None, (f["locality"], f["country"]))),
                _words(f["name"]), word_starts(f["name"]), float(f["lat"]), float(f["lon"]), int(f["popularity"]))

    def _configs_of(self, kind: str, rows: list[tuple[Any, ...]]) -> set[str]:
        if kind in ("statuses", "takes"):
            return {row[3] for row in rows if row[3]} | {schema.SIMPLE}
        return {schema.SIMPLE, self.config("")} if kind in ("accounts", "hashtags") else {schema.SIMPLE}

    async def apply(self, upserts: Sequence[Document], deletes: Sequence[tuple[str, int]], *,
                    as_of: float) -> None:
        await self.open()
        rows: dict[str, dict[int, tuple[Any, ...]]] = {}
        for kind, doc_id in deletes:
            if kind in WIDTH:
                rows.setdefault(kind, {})[doc_id] = (doc_id, as_of, True) + (None,) * (WIDTH[kind] - 3)
        for doc in upserts:
            if doc.kind in WIDTH:
                row = self._row(doc, as_of)
                rows.setdefault(doc.kind, {})[doc.id] = tuple(_clean(v) for v in row)
        if not rows:
            return
        for attempt in range(RETRIES):
            try:
                await self._write(rows, as_of)
                return
            except asyncpg.DeadlockDetectedError:
                if attempt == RETRIES - 1:
                    raise

    async def _write(self, rows: dict[str, dict[int, tuple[Any, ...]]], as_of: float) -> None:
        """One transaction; tables, rows and words in one order for every process, so two processes' batches
        wait for each other instead of deadlocking (and a deadlock that still happens is retried)."""
        new_configs: list[tuple[str, str]] = []
        async with self._client().acquire_connection() as connection, connection.transaction():
            for kind in sorted(rows):
                ordered = [rows[kind][i] for i in sorted(rows[kind])]
                table = f"search_{kind}"
                await connection.executemany(UPSERT[kind], ordered)
                live = [row[0] for row in ordered if not row[2]]
                if live:
                    await connection.execute(
                        f"INSERT INTO search_words (kind, word) SELECT DISTINCT $1::text, w.lexeme FROM {table} t, "
                        "unnest(t.tsv) w WHERE t.id = ANY($2::bigint[]) AND NOT t.gone ORDER BY 2 "
                        "ON CONFLICT DO NOTHING", kind, live)
                    known = self._configs.get(kind, (0.0, set()))[1]
                    new_configs += [(kind, c) for c in sorted(self._configs_of(kind, ordered) - known)]
                if len(live) < len(ordered):
                    await connection.execute(f"DELETE FROM {table} WHERE gone AND stamp < $1", as_of - TOMBSTONE_SECONDS)
            if new_configs:
                await connection.executemany("INSERT INTO search_configs (kind, config) VALUES ($1, $2) "
                                             "ON CONFLICT DO NOTHING", new_configs)
        for kind, config in new_configs:
            read_at, held = self._configs.get(kind, (0.0, set()))
            self._configs[kind] = (read_at, held | {config})

    async def clear(self, kinds: Sequence[str] = KINDS) -> None:
        await self.open()
        chosen = [k for k in kinds if k in WIDTH]
        if not chosen:
            return
        async with self._client().acquire_connection() as connection, connection.transaction():
            await connection.execute("TRUNCATE " + ", ".join(f"search_{k}" for k in chosen))
            await connection.execute("DELETE FROM search_words WHERE kind = ANY($1::text[])", chosen)
            await connection.execute("DELETE FROM search_configs WHERE kind = ANY($1::text[])", chosen)
        for kind in chosen:
            self._configs.pop(kind, None)

    async def rebuilt(self, kind: str) -> None:
        """The planner's statistics at once (autovacuum would take a minute or more): a freshly filled table
        without them is read by a sequential scan."""
        if kind in WIDTH:
            async with self._client().acquire_connection() as connection:
                await connection.execute(f"ANALYZE search_{kind}")
                await connection.execute("ANALYZE search_words")

    async def count(self, kind: str) -> int:
        if kind not in WIDTH:
            return 0
        async with self._client().acquire_connection() as connection:
            return int(await connection.fetchval(f"SELECT count(*) FROM search_{kind} WHERE NOT gone"))

    # ---- reading -----------------------------------------------------------------------------------------

    async def _query_configs(self, connection: Any, kind: str) -> list[str]:
        """The configurations this kind's documents were read with: a query word is read with each of them."""
        read_at, held = self._configs.get(kind, (0.0, set()))
        if time.monotonic() - read_at > CONFIGS_SECONDS:
            rows = await connection.fetch("SELECT config FROM search_configs WHERE kind = $1", kind)
            held = held | {row["config"] for row in rows}
            self._configs[kind] = (time.monotonic(), held)
        # 'simple' and the untagged language always: another process's documents in a new language are read
        # with theirs once this process next reads the list (CONFIGS_SECONDS), and match their exact words
        # until then.
        return sorted(held | {schema.SIMPLE, self.config("")})

    async def _parts(self, connection: Any, kind: str, query: ParsedQuery) -> list[str]:
        """Each word, phrase and prefix as a tsquery (text): every reading of it in the kind's languages, and
        for a word the index does not hold, the held words within Whoosh's edit distance (pg_trgm finds them).
        One trip to the database: the readings, whether the index holds them, and the near spellings."""
        pieces = [*query.words, *(" ".join(p) for p in query.phrases)]
        readings: dict[int, list[str]] = {}
        near: dict[int, set[str]] = {}
        if pieces:
            configs = await self._query_configs(connection, kind)
            rows = await connection.fetch(_READINGS, pieces, configs, len(query.words), query.fuzzy, kind)
            for row in rows:
                i = row["i"] - 1
                if row["q"] is not None:
                    readings.setdefault(i, []).append(row["q"])
                else:
                    lex = row["lex"]
                    near.setdefault(i, set()).update(
                        w for w in row["near"] if _distance(w, lex) <= _fuzzy_distance(lex))
        parts: list[str] = []
        for i in range(len(pieces)):
            options = sorted(readings.get(i, []))
            if i in near and all(_LEXEME.match(o) for o in options):  # typos of a single word only
                options += [_lexeme(w) for w in sorted(near[i])]
            if options:
                parts.append(" | ".join(f"( {o} )" for o in options))
        parts += [f"{_lexeme(p.lower())}:*" for p in query.prefixes]
        return parts

    def _conditions(self, kind: str, filters: Filters, audience: Audience, p: _Params) -> list[str] | None:
        """What every hit must also satisfy, the audience pre-filter included; None when nothing can match."""
        where = ["NOT gone"]
        if audience.hidden_domains and kind not in ("hashtags", "places"):
            where.append(f"NOT coalesce(domains && {p(sorted(audience.hidden_domains))}::text[], false)")
        if kind in ("statuses", "takes"):
            open_to_all = "visibility NOT IN ('private', 'direct')"
            if audience.viewer_id is None:
                where.append(open_to_all)
            else:
                me = p(audience.viewer_id)
                readable = [f"author_id = {me}", f"{me} = ANY(mentions)"]
                if audience.following:
                    readable.append(f"(visibility = 'private' AND author_id = ANY({p(sorted(audience.following))}"
                                    "::bigint[]))")
                where.append(f"({open_to_all} OR {' OR '.join(readable)})")
            if audience.hidden_authors:
                where.append(f"author_id <> ALL({p(sorted(audience.hidden_authors))}::bigint[])")
            if filters.author_ids is not None:
                if not filters.author_ids:
                    return None
                where.append(f"author_id = ANY({p(list(filters.author_ids))}::bigint[])")
            if filters.since is not None:
                where.append(f"created >= {p(int(filters.since))}")
            if filters.until is not None:
                where.append(f"created <= {p(int(filters.until) - 1)}")
            if filters.has_media is not None:
                where.append(f"has_media = {p(filters.has_media)}")
            if filters.language:
                where.append(f"language = {p(filters.language)}")
            if filters.min_engagement:
                where.append(f"engagement >= {p(filters.min_engagement)}")
        elif kind == "accounts" and audience.hidden_authors:
            where.append(f"id <> ALL({p(sorted(audience.hidden_authors))}::bigint[])")
        if filters.near is not None and kind in ("statuses", "takes", "places"):
            lat, lon, km = filters.near
            low_lat, high_lat, low_lon, high_lon = bounding_box(lat, lon, km)
            ranges = [(max(low_lon, -180.0), min(high_lon, 180.0))]
            if low_lon < -180:
                ranges.append((low_lon + 360, 180.0))
            if high_lon > 180:
                ranges.append((-180.0, high_lon - 360))
            lons = " OR ".join(f"lon BETWEEN {p(a)} AND {p(b)}" for a, b in ranges)
            here_lat, here_lon = p(float(lat)), p(float(lon))
            where += [f"lat BETWEEN {p(low_lat)} AND {p(high_lat)}", f"({lons})",
                      f"2 * 6371.0088 * asin(least(1.0, sqrt(power(sin(radians(lat - {here_lat}) / 2), 2) + "
                      f"cos(radians({here_lat})) * cos(radians(lat)) * power(sin(radians(lon - {here_lon}) / 2), 2))))"
                      f" <= {p(float(km))}"]
        return where

    async def search(self, kind: str, query: ParsedQuery, filters: Filters, audience: Audience, *, limit: int,
                     offset: int = 0) -> list[Hit]:
        if kind not in WIDTH:
            return []
        async with self._client().acquire_connection() as connection:
            if query.empty:
                p = _Params()
                where = self._conditions(kind, filters, audience, p)
                if where is None:
                    return []
                rows = await connection.fetch(
                    f"SELECT id, 0.0::float8 AS score FROM search_{kind} WHERE {' AND '.join(where)} "
                    f"ORDER BY {SORT[kind]} DESC, id DESC LIMIT {p(limit)} OFFSET {p(offset)}", *p.values)
                return [Hit(kind, row["id"], row["score"]) for row in rows]
            parts = await self._parts(connection, kind, query)
            if not parts:
                return []
            rows = await self._ranked(connection, kind, " & ".join(f"( {x} )" for x in parts), filters, audience,
                                      limit, offset)
            several = len(query.words) + len(query.phrases) + len(query.prefixes) > 1
            if rows is not None and not rows and several:  # all-of found nothing: any-of, as Whoosh falls back
                if offset and await self._ranked(connection, kind, " & ".join(f"( {x} )" for x in parts), filters,
                                                 audience, 1, 0):
                    return []  # all-of has hits, only not on this page
                rows = await self._ranked(connection, kind, " | ".join(f"( {x} )" for x in parts), filters,
                                          audience, limit, offset)
        return [Hit(kind, row["id"], float(row["score"])) for row in rows or []]

    async def _ranked(self, connection: Any, kind: str, tsquery: str, filters: Filters, audience: Audience,
                      limit: int, offset: int) -> list[Any] | None:
        p = _Params()
        q = p(tsquery)
        where = self._conditions(kind, filters, audience, p)
        if where is None:
            return None
        # Normalisation 1 (rank / (1 + log(length))): a long post that mentions a word once does not outrank a
        # short one about it, as BM25's length normalisation does in Whoosh.
        return await connection.fetch(
            f"SELECT id, ts_rank('{WEIGHTS[kind]}'::float4[], tsv, {q}::tsquery, 1) AS score FROM search_{kind} "
            f"WHERE tsv @@ {q}::tsquery AND {' AND '.join(where)} ORDER BY score DESC, id DESC "
            f"LIMIT {p(limit)} OFFSET {p(offset)}", *p.values)

    async def suggest(self, kind: str, prefix: str, *, limit: int) -> list[Hit]:
        """As Whoosh answers it: the most popular names matching what was typed (max(limit * 5, 50) of them,
        read down a popularity index, plus an exact match however unpopular), ranked by how well they match;
        then, if that leaves room, names a typo away (pg_trgm similarity) after them."""
        prefix = prefix.replace("\x00", "").strip().lower().lstrip("@#")  # PostgreSQL text holds no NUL
        if not prefix or kind not in ("accounts", "hashtags", "places"):
            return []
        p = _Params()
        exact, starting = p(prefix), p(_like(prefix) + "%")
        short = len(prefix) <= SHORT_PREFIX and prefix.isalnum()
        if kind == "accounts":
            if "@" in prefix:
                match = f"acct LIKE {starting}"
            elif short:
                match = f"starts @> ARRAY[{exact}]::text[]"
            else:
                first = prefix.split()[0]
                match = f"(words LIKE {p('% ' + _like(first) + '%')} OR acct LIKE {starting})"
            tier = (f"CASE WHEN username = {exact} OR acct = {exact} THEN 0 "
                    f"WHEN username LIKE {starting} OR acct LIKE {starting} THEN CASE WHEN local THEN 1 ELSE 2 END "
                    f"WHEN lower(display_name) LIKE {starting} THEN 3 ELSE 4 END")
            named = f"username = {exact} OR acct = {exact}"
            similar, popularity = "username", "followers"
        elif kind == "hashtags":
            match = f"starts @> ARRAY[{exact}]::text[]" if short else \
                f"name LIKE {p(_like(prefix.replace(' ', '')) + '%')}"
            tier = f"CASE WHEN name = {exact} THEN 0 WHEN name LIKE {starting} THEN 1 ELSE 2 END"
            named, similar, popularity = f"name = {exact}", "name", "uses"
        else:
            words = prefix.split()[:4]
            match = " AND ".join(f"starts @> ARRAY[{p(w)}]::text[]" if len(w) <= SHORT_PREFIX else
                                 f"words LIKE {p('% ' + _like(w) + '%')}" for w in words)
            tier = f"CASE WHEN lower(name) = {exact} THEN 0 WHEN lower(name) LIKE {starting} THEN 1 ELSE 2 END"
            named, similar, popularity = f"lower(name) = {exact}", "", "popularity"
        table = f"search_{kind}"
        cap = p(max(limit * 5, 50))
        async with self._client().acquire_connection() as connection:
            rows = list(await connection.fetch(
                f"SELECT id, pop, {tier} AS tier FROM ("
                f"(SELECT id, {popularity} AS pop FROM {table} WHERE NOT gone AND {match} "
                f"ORDER BY {popularity} DESC, id DESC LIMIT {cap}) UNION "
                f"(SELECT id, {popularity} FROM {table} WHERE NOT gone AND ({named}))) c "
                f"JOIN {table} USING (id) ORDER BY tier, pop DESC, id DESC LIMIT {p(limit)}", *p.values))
            if similar and len(rows) < limit and len(prefix) > SHORT_PREFIX and "@" not in prefix:
                rows += await connection.fetch(
                    f"SELECT id, {popularity} AS pop FROM {table} WHERE NOT gone AND {similar} % $1 "
                    f"AND id <> ALL($2::bigint[]) ORDER BY similarity({similar}, $1) DESC, {popularity} DESC, id DESC "
                    "LIMIT $3", prefix, [row["id"] for row in rows], limit - len(rows))
        return [Hit(kind, row["id"], float(row["pop"] or 0)) for row in rows]
