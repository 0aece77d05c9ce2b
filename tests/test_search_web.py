"""The search page and box in both themes, the suggestions script, and `entativa reindex`."""

from __future__ import annotations

import asyncio

import pytest
from support import bearer, create_user, write_config

from node import cli
from node.lifecycle import start_node, stop_node
from node.services import statuses

pytestmark = pytest.mark.search_backends  # with each backend on the PostgreSQL run


async def test_search_page_and_box(node_client, node_of) -> None:
    node = node_of(node_client)
    _, token = await create_user(node, "alice")
    response = await node_client.post("/api/v1/statuses", json={"status": "lighthouse keepers #coast"},
                                      headers=bearer(token))
    assert response.status == 200
    await node.search.drain()
    response = await node_client.get("/search", params={"q": "lighthouse"})
    assert response.status == 200
    html = await response.text()
    assert "lighthouse keepers" in html and 'data-suggest' in html and "/static/search.js" in html
    response = await node_client.get("/search", params={"q": "alice"})
    assert "@alice" in await response.text()
    response = await node_client.get("/search", params={"q": 'coast "unbalanced ~ * before:never'})
    assert response.status == 200 and "before" in await response.text()  # the error, shown on the page
    response = await node_client.get("/")
    assert 'action="/search"' in await response.text()
    script = await node_client.get("/static/search.js")
    assert script.status == 200 and "/api/v1/search/suggestions" in await script.text()


async def test_socialink_has_the_box(aiohttp_client, make_config) -> None:  # type: ignore[no-untyped-def]
    from node.app import build_app

    client = await aiohttp_client(build_app(make_config(node={"theme": "socialink"}), scheduler=False))
    response = await client.get("/search")
    html = await response.text()
    assert response.status == 200 and 'action="/search"' in html and "data-suggest" in html


def test_reindex_command_rebuilds_with_progress(tmp_path, capsys, search_backend) -> None:  # type: ignore[no-untyped-def]
    config = write_config(tmp_path)

    async def seed() -> None:
        node = await start_node(config)
        try:
            _, _ = await create_user(node, "alice")
            with node.db:
                from node.models import Account

                account = await Account.get(username="alice")
                for n in range(5):
                    await statuses.create_status(node, account, statuses.Draft(text=f"tidepool {n}"))
                await node.search.drain()
        finally:
            await stop_node(node)

    asyncio.run(seed())
    if search_backend == "postgres":  # lose the index: reindex must bring it back
        import asyncpg

        async def empty() -> None:
            connection = await asyncpg.connect(config.database_url)
            try:
                await connection.execute("TRUNCATE search_statuses")
            finally:
                await connection.close()

        asyncio.run(empty())
    else:
        for folder in (config.search_dir / "statuses",):
            import shutil

            shutil.rmtree(folder)
    assert cli.main(["--config", str(config.path), "reindex"]) == 0
    captured = capsys.readouterr()
    assert "statuses" in captured.err and "5/5" in captured.err
    assert "5 statuses" in captured.out

    async def count() -> int:
        node = await start_node(config)
        try:
            with node.db:
                from node.search import query, service

                found = await service.search(node, None, query.parse("tidepool"), ["statuses"], limit=20)
                return len(found.statuses)
        finally:
            await stop_node(node)

    assert asyncio.run(count()) == 5
