"""The PostgreSQL search backend's storage: one table per kind in the node's own database, the word list typos
are corrected against, and the text search configurations documents are read with.

They are made at start, idempotently, by whichever process gets there first (a transaction advisory lock
keeps two from racing), not by a tortoise migration: like Whoosh's folder they are an index the node can
rebuild from its own rows at any time, so a table whose layout changed (`SCHEMA_VERSION`) is simply dropped,
made again and refilled in the background, and a SQLite node never sees them.
"""

from __future__ import annotations

from typing import Any

from ..db import MigrationError

SCHEMA_VERSION = "2"  # bump when a table below changes: its kind is dropped, made again and rebuilt
LOCK = 0x656E7600  # transaction advisory lock held while the tables are checked and made

# ISO 639-1 code -> PostgreSQL's Snowball stemmer for that language (PostgreSQL 15 ships all of these).
STEMMERS = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "da": "danish", "nl": "dutch",
    "en": "english", "fi": "finnish", "fr": "french", "de": "german", "el": "greek", "hi": "hindi",
    "hu": "hungarian", "id": "indonesian", "ga": "irish", "it": "italian", "lt": "lithuanian", "ne": "nepali",
    "no": "norwegian", "nb": "norwegian", "nn": "norwegian", "pt": "portuguese", "ro": "romanian",
    "ru": "russian", "sr": "serbian", "es": "spanish", "sv": "swedish", "ta": "tamil", "tr": "turkish",
    "yi": "yiddish",
}
# A post without a language is stemmed as English, which is how the Whoosh index reads every post.
UNTAGGED = "english"
SIMPLE = "simple"  # lower-cased words, no stemming: names, tags, and languages without a stemmer (ja, zh, ko...)


def config_name(stemmer: str) -> str:
    """Our copy of PostgreSQL's configuration for a language: the same stemmer without its stop-word list,
    so that, as in the Whoosh index, every word is searchable ("to be or not to be", "the who")."""
    return f"entativa_{stemmer}"


def config_for(language: str, available: set[str]) -> str:
    """The text search configuration a document in `language` (a BCP 47 tag, or empty) is read with."""
    code = (language or "").lower().replace("_", "-").split("-")[0]
    stemmer = STEMMERS.get(code) if code else UNTAGGED
    if stemmer is None:
        return SIMPLE
    name = config_name(stemmer)
    return name if name in available else SIMPLE


_COMMON = "id bigint PRIMARY KEY, stamp double precision NOT NULL, gone boolean NOT NULL DEFAULT false, tsv tsvector"
_AUTHORED = (f"{_COMMON}, config text, author_id bigint, domains text[], language text, visibility text, "
             "mentions bigint[], created bigint, has_media boolean, engagement integer, lat double precision, "
             "lon double precision")
# `stamp`: when the document's build began (see AsyncSearchBackend); `gone`: a tombstone, kept a while so that
# a late write of an older reading cannot bring a deleted document back.
TABLES: dict[str, str] = {
    "statuses": _AUTHORED,
    "takes": _AUTHORED,
    "accounts": f"{_COMMON}, username text, acct text, display_name text, words text, starts text[], "
                "domains text[], followers integer, local boolean",
    "hashtags": f"{_COMMON}, name text, starts text[], uses integer, last_used bigint",
    "places": f"{_COMMON}, name text, words text, starts text[], lat double precision, lon double precision, "
              "popularity integer",
}


def _indexes(kind: str) -> list[str]:
    """GIN indexes without a pending list (fastupdate off): with one, a search also reads up to 4 MB of
    unsorted recent entries, and the planner, knowing it, turned to sequential scans after every rebuild.
    Writes come in batches from the index pump, where the extra cost of sorted inserts is not felt."""
    table = f"search_{kind}"
    made = [f"CREATE INDEX {table}_tsv ON {table} USING gin (tsv) WITH (fastupdate = off)",
            f"CREATE INDEX {table}_gone ON {table} (stamp) WHERE gone"]
    if kind in ("statuses", "takes"):
        made += [f"CREATE INDEX {table}_created ON {table} (created)",
                 f"CREATE INDEX {table}_author ON {table} (author_id)",
                 f"CREATE INDEX {table}_geo ON {table} (lat, lon) WHERE lat IS NOT NULL"]
    if kind == "accounts":
        made += [f"CREATE INDEX {table}_starts ON {table} USING gin (starts) WITH (fastupdate = off)",
                 f"CREATE INDEX {table}_username ON {table} USING gin (username gin_trgm_ops) WITH (fastupdate = off)",
                 f"CREATE INDEX {table}_acct ON {table} (acct text_pattern_ops)",
                 f"CREATE INDEX {table}_words ON {table} USING gin (words gin_trgm_ops) WITH (fastupdate = off)",
                 f"CREATE INDEX {table}_popular ON {table} (followers DESC, id DESC)",
                 f"CREATE INDEX {table}_named ON {table} (username)"]
    if kind == "hashtags":
        made += [f"CREATE INDEX {table}_starts ON {table} USING gin (starts) WITH (fastupdate = off)",
                 f"CREATE INDEX {table}_name ON {table} USING gin (name gin_trgm_ops) WITH (fastupdate = off)",
                 f"CREATE INDEX {table}_named ON {table} (name text_pattern_ops)",
                 f"CREATE INDEX {table}_popular ON {table} (uses DESC, id DESC)"]
    if kind == "places":
        made += [f"CREATE INDEX {table}_starts ON {table} USING gin (starts) WITH (fastupdate = off)",
                 f"CREATE INDEX {table}_words ON {table} USING gin (words gin_trgm_ops) WITH (fastupdate = off)",
                 f"CREATE INDEX {table}_geo ON {table} (lat, lon)",
                 f"CREATE INDEX {table}_popular ON {table} (popularity DESC, id DESC)"]
    return made


class SearchSetupError(MigrationError):
    """The database cannot hold the search tables (most often: the pg_trgm extension is not installed); the
    CLI prints it as one line, as it does a failed migration."""


async def ensure(connection: Any) -> set[str]:
    """Make what is missing; returns the kinds whose table was made empty. Runs inside a transaction."""
    import asyncpg

    await connection.execute("SELECT pg_advisory_xact_lock($1)", LOCK)
    try:
        await connection.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except asyncpg.PostgresError as exc:
        raise SearchSetupError(
            f'search.backend = "postgres" needs the pg_trgm extension in this database ({exc}). It ships with '
            "PostgreSQL's contrib modules (Debian: the postgresql-15 package; elsewhere postgresql-contrib); "
            "install them, or run CREATE EXTENSION pg_trgm as a superuser once") from exc
    await connection.execute("CREATE TABLE IF NOT EXISTS search_meta (kind text PRIMARY KEY, version text NOT NULL)")
    await connection.execute("CREATE TABLE IF NOT EXISTS search_words (kind text, word text, PRIMARY KEY (kind, word))")
    await connection.execute(
        "CREATE INDEX IF NOT EXISTS search_words_trigrams ON search_words USING gin (word gin_trgm_ops) WITH (fastupdate = off)")
    await connection.execute(
        "CREATE TABLE IF NOT EXISTS search_configs (kind text, config text, PRIMARY KEY (kind, config))")
    await _configurations(connection)
    versions = {row["kind"]: row["version"] for row in await connection.fetch("SELECT kind, version FROM search_meta")}
    existing = {row["relname"] for row in await connection.fetch(
        "SELECT c.relname FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace "
        "AND c.relname LIKE 'search\\_%'")}
    fresh: set[str] = set()
    for kind, columns in TABLES.items():
        table = f"search_{kind}"
        if versions.get(kind) == SCHEMA_VERSION and table in existing:
            continue
        await connection.execute(f"DROP TABLE IF EXISTS {table}")
        await connection.execute(f"CREATE TABLE {table} ({columns})")
        for statement in _indexes(kind):
            await connection.execute(statement)
        await connection.execute("DELETE FROM search_words WHERE kind = $1", kind)
        await connection.execute("DELETE FROM search_configs WHERE kind = $1", kind)
        await connection.execute("INSERT INTO search_meta (kind, version) VALUES ($1, $2) ON CONFLICT (kind) "
                                 "DO UPDATE SET version = EXCLUDED.version", kind, SCHEMA_VERSION)
        fresh.add(kind)
    return fresh


async def _configurations(connection: Any) -> None:
    """One configuration per Snowball stemmer the server has, each a copy of the built-in one whose stemming
    dictionary has no stop words."""
    have = {row["cfgname"] for row in await connection.fetch(
        "SELECT cfgname FROM pg_ts_config WHERE cfgnamespace = current_schema()::regnamespace")}
    builtin = {row["cfgname"] for row in await connection.fetch(
        "SELECT cfgname FROM pg_ts_config WHERE cfgnamespace = 'pg_catalog'::regnamespace")}
    dictionaries = {row["dictname"] for row in await connection.fetch("SELECT dictname FROM pg_ts_dict")}
    for stemmer in sorted(set(STEMMERS.values())):
        name = config_name(stemmer)
        if name in have or stemmer not in builtin or f"{stemmer}_stem" not in dictionaries:
            continue
        if f"{name}_stem" not in dictionaries:
            await connection.execute(
                f"CREATE TEXT SEARCH DICTIONARY {name}_stem (TEMPLATE = snowball, LANGUAGE = {stemmer})")
        await connection.execute(f"CREATE TEXT SEARCH CONFIGURATION {name} (COPY = pg_catalog.{stemmer})")
        await connection.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {name} ALTER MAPPING REPLACE {stemmer}_stem WITH {name}_stem")


async def configurations(connection: Any) -> set[str]:
    """The configurations documents can be read with here."""
    rows = await connection.fetch(
        "SELECT cfgname FROM pg_ts_config WHERE cfgnamespace = current_schema()::regnamespace "
        "AND cfgname LIKE 'entativa\\_%'")
    return {row["cfgname"] for row in rows}
