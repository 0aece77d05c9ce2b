"""The PostgreSQL search backend's own promises, on the suite's PostgreSQL run: several processes of a node
writing the index at once, an older reading never overwriting a newer one, each post read with its
language's stemmer, typo-tolerant type-ahead, tables remade when their layout changes, no Whoosh writer
process; and on every run, the config refusing it on SQLite."""

from __future__ import annotations

import asyncio
import multiprocessing
from pathlib import Path

import asyncpg
import postgres_databases
import pytest
from support import bearer, create_user, write_config

from node import config as config_module
from node.lifecycle import start_node, stop_node
from node.models import Account, IndexJournal
from node.search import query, service
from node.search.backend import Audience, Document, Filters
from node.services import statuses

needs_postgres = pytest.mark.skipif(not postgres_databases.CLUSTER, reason="the backend lives in PostgreSQL")


def test_postgres_search_on_sqlite_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(config_module.ConfigError) as caught:
        config_module.parse({"search": {"backend": "postgres"}}, tmp_path / "node.toml")
    message = str(caught.value)
    assert message.startswith("search.backend:") and "postgres://" in message and '"whoosh"' in message
    with pytest.raises(config_module.ConfigError, match='must be one of "whoosh", "postgres"'):
        config_module.parse({"search": {"backend": "elastic"}}, tmp_path / "node.toml")
    made = config_module.parse({"search": {"backend": "postgres"}, "storage": {"database": "postgres://u@h/db"}},
                               tmp_path / "node.toml")
    assert made.search.backend == "postgres"


async def found(node, text: str, kind: str = "statuses", viewer=None) -> list[int]:  # type: ignore[no-untyped-def]
    with node.bound():
        result = await service.search(node, viewer, query.parse(text), [kind], limit=40)
    return [int(s.id) for s in getattr(result, kind)]


@needs_postgres
async def test_two_processes_write_the_index_at_once(tmp_path: Path) -> None:
    """Two processes of one node (shared=True, as `serve --workers` runs them) index their own posts, and
    the same posts at once, with no single elected writer and no Whoosh writer process."""
    config = write_config(tmp_path, search={"backend": "postgres"})
    first = await start_node(config, shared=True)
    second = await start_node(config, shared=True)
    try:
        assert first.search.writes and second.search.writes
        assert type(first.search.backend).__name__ == "PostgresBackend"
        await create_user(first, "alice")
        with first.bound():
            alice = await Account.get(username="alice")

        async def post(node, n: int) -> int:  # type: ignore[no-untyped-def]
            with node.bound():
                return (await statuses.create_status(node, alice, statuses.Draft(text=f"lighthouse log {n}"))).id

        ids = await asyncio.gather(*(post(first if n % 2 else second, n) for n in range(40)))
        await asyncio.gather(first.search.drain(), second.search.drain())
        with first.bound():  # both re-index every post at the same moment: rows and words locked in one order
            await first.search.enqueue("statuses", ids)
        with second.bound():
            await second.search.enqueue("statuses", ids)
        await asyncio.gather(first.search.drain(), second.search.drain())
        for node in (first, second):
            assert sorted(await found(node, "lighthouse")) == sorted(ids)
            with node.bound():
                assert await node.search.backend_count("statuses") == 40
        with first.bound():
            assert await IndexJournal.all().count() == 0
        assert not [p for p in multiprocessing.active_children() if p.name == "search-writer"]
    finally:
        await stop_node(second)
        await stop_node(first)


@needs_postgres
async def test_an_older_reading_never_replaces_a_newer_one(tmp_path: Path) -> None:
    config = write_config(tmp_path, search={"backend": "postgres"})
    node = await start_node(config)
    try:
        backend = node.search.backend

        def tag(name: str) -> Document:
            return Document("hashtags", 7, {"name": name, "display_name": name, "uses": 1, "last_used": 0})

        async def names() -> list[int]:
            return [h.id for h in await backend.search("hashtags", query.parse("newer older").query, Filters(),
                                                       Audience(), limit=5)]

        with node.bound():
            await backend.apply([tag("newer")], [], as_of=200.0)
            await backend.apply([tag("older")], [], as_of=100.0)  # built before, landed after
            hits = await backend.search("hashtags", query.parse("newer").query, Filters(), Audience(), limit=5)
            assert [h.id for h in hits] == [7]
            assert await backend.search("hashtags", query.parse("older").query, Filters(), Audience(), limit=5) == []
            await backend.apply([], [("hashtags", 7)], as_of=300.0)
            await backend.apply([tag("newer")], [], as_of=250.0)  # read before the delete: stays deleted
            assert await names() == [] and await backend.count("hashtags") == 0
            await backend.apply([tag("newer")], [], as_of=400.0)  # made again since
            assert await names() == [7]
    finally:
        await stop_node(node)


@pytest.mark.search_backends
async def test_each_language_its_stemmer_and_every_word_searchable(node_client, node_of, search_backend) -> None:
    node = node_of(node_client)
    _, token = await create_user(node, "alice")
    posts = {}
    for key, text, language in (("fr", "Les chevaux mangent des pommes", "fr"),
                                ("de", "Die Häuser am Fluss", "de-AT"),
                                ("band", "The Who played here", None),
                                ("ja", "東京 ramen", "ja")):
        body = {"status": text, **({"language": language} if language else {})}
        response = await node_client.post("/api/v1/statuses", json=body, headers=bearer(token))
        assert response.status == 200
        posts[key] = int((await response.json())["id"])
    await node.search.drain()
    # no stop words, in either backend: a band's name is searchable, and as a phrase
    assert await found(node, "the who") == [posts["band"]]
    assert await found(node, '"the who"') == [posts["band"]]
    assert await found(node, "ramen") == [posts["ja"]]  # a language without a stemmer: words as they are
    assert await found(node, "chevaux") == [posts["fr"]]
    if search_backend == "postgres":  # read with the post's own language
        assert await found(node, "cheval") == [posts["fr"]]
        assert await found(node, "haus") == [posts["de"]]
        assert await found(node, "pomme") == [posts["fr"]]


@needs_postgres
async def test_typeahead_forgives_typos(tmp_path: Path) -> None:
    config = write_config(tmp_path, search={"backend": "postgres"})
    node = await start_node(config)
    try:
        _, token = await create_user(node, "margaret")
        await create_user(node, "marcus")
        with node.bound():
            margaret = await Account.get(username="margaret")
            await statuses.create_status(node, margaret, statuses.Draft(text="#photography at dawn"))
        await node.search.drain()
        with node.bound():
            accounts = await service.autocomplete(node, None, "margret", ["accounts"], limit=5)
            assert [a.username for a in accounts.accounts] == ["margaret"]
            exact = await service.autocomplete(node, None, "mar", ["accounts"], limit=5)
            assert sorted(a.username for a in exact.accounts) == ["marcus", "margaret"]
            tags = await service.autocomplete(node, None, "#photograpy", ["hashtags"], limit=5)
            assert [t.name for t in tags.hashtags] == ["photography"]
    finally:
        await stop_node(node)


@needs_postgres
async def test_a_changed_table_layout_is_remade_and_refilled(tmp_path: Path) -> None:
    config = write_config(tmp_path, search={"backend": "postgres"})
    node = await start_node(config)
    try:
        await create_user(node, "alice")
        with node.bound():
            alice = await Account.get(username="alice")
            kept = await statuses.create_status(node, alice, statuses.Draft(text="tidepool census"))
        await node.search.drain()
    finally:
        await stop_node(node)
    connection = await asyncpg.connect(config.database_url)
    try:  # as if this node's tables were made by an older layout
        await connection.execute("UPDATE search_meta SET version = 'old' WHERE kind = 'statuses'")
        await connection.execute("TRUNCATE search_statuses")
    finally:
        await connection.close()
    node = await start_node(config)
    try:
        await node.search.drain()  # the start-up recovery rebuilt the remade table from the database
        assert await found(node, "tidepool") == [kept.id]
    finally:
        await stop_node(node)


@needs_postgres
async def test_work_a_dead_process_left_is_taken_over(tmp_path: Path) -> None:
    """Where every process writes, the scheduler's process leaves the others' fresh journal rows to them and
    takes only those left for over a minute (their process died before indexing them)."""
    from datetime import UTC, datetime, timedelta

    from node.models.base import snowflake
    from node.search.indexer import ORPHAN_SECONDS

    config = write_config(tmp_path, search={"backend": "postgres"})
    node = await start_node(config, shared=True)
    try:
        await create_user(node, "alice")
        await node.search.drain()
        with node.bound():
            alice = await Account.get(username="alice")
            old = datetime.now(UTC) - timedelta(seconds=ORPHAN_SECONDS * 2)
            left = await statuses.create_status(node, alice, statuses.Draft(text="abandoned lantern"))
            await node.search.drain()
            await node.search.backend.apply([], [("statuses", left.id)], as_of=await node.search.backend.clock())
            await IndexJournal.create(id=snowflake(old), kind="statuses", object_id=left.id)
            await IndexJournal.create(kind="statuses", object_id=left.id)  # another live process's, just now
            assert await node.search.absorb() == 1
            await node.search.drain()
            assert await found(node, "lantern") == [left.id]
            assert await IndexJournal.all().count() == 1  # the live process's own row is still its own
    finally:
        await stop_node(node)


@needs_postgres
@pytest.mark.parametrize("engine", ["postgres", "whoosh"])
async def test_two_serving_processes_index_and_find_each_others_posts(tmp_path: Path, engine: str) -> None:
    """Real `entativa serve --shared` processes on one database: posts made on both at once are found from
    either. With search.backend = "postgres" both write the index and neither forks a Whoosh writer process;
    with Whoosh the elected process writes the folder and the other one's searchers see its commits."""
    import time

    import aiohttp
    import tomli_w
    from test_federation_processes import free_port, token, wait_up
    from test_node_processes import _init, _start, _until

    database = postgres_databases.fresh_database(empty=True)
    ports = [free_port(), free_port()]
    configs = []
    for n, port in enumerate(ports):
        path = tmp_path / f"node{n}.toml"
        path.write_text(tomli_w.dumps({
            "node": {"domain": f"127.0.0.1:{ports[0]}", "scheme": "http", "registrations": "open"},
            "server": {"host": "127.0.0.1", "port": port}, "storage": {"data_dir": "data", "database": database},
            "search": {"backend": engine}, "federation": {"enabled": False}}))
        configs.append(path)
    _init(configs[0], "alice")
    logs = [tmp_path / f"web{n}.log" for n in range(2)]
    procs = [_start(config, log, "serve", "--shared") for config, log in zip(configs, logs, strict=True)]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
            for base in bases:
                await wait_up(session, base, time.monotonic() + 120)
            auth = {"Authorization": f"Bearer {await token(session, bases[0], 'alice')}"}

            async def post(n: int) -> str:
                async with session.post(f"{bases[n % 2]}/api/v1/statuses", headers=auth,
                                        json={"status": f"harbour seal count {n}"}) as response:
                    assert response.status == 200
                    return (await response.json())["id"]

            ids = set(await asyncio.gather(*(post(n) for n in range(30))))

            async def everywhere() -> bool:
                for base in bases:
                    async with session.get(f"{base}/api/v2/search", headers=auth,
                                           params={"q": "harbour seal", "type": "statuses", "limit": 40}) as response:
                        if {s["id"] for s in (await response.json())["statuses"]} != ids:
                            return False
                return True

            await _until(everywhere, "posts made on one process were not found from the other", 60)
        for proc in procs if engine == "postgres" else []:  # Whoosh's writer is a forked child
            children = [c for task in Path(f"/proc/{proc.pid}/task").glob("*/children")
                        for c in task.read_text().split()]
            assert children == [], children
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
    for log in logs:
        text = log.read_text(errors="replace")
        assert "Traceback" not in text, text[-4000:]
