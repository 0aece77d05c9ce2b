"""Takes in search, through the document-builder interface a Take model will use: real documents indexed in
Whoosh, found by caption, BTT text and sound, filtered, hidden by visibility, rendered by their owner."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from support import bearer, create_user

from node.search.documents import ExtraKind, take_document

pytestmark = pytest.mark.search_backends  # with each backend on the PostgreSQL run

TAKES = {  # what a Take table would hold: id -> row
    1: {"caption": "Sunrise timelapse over the harbour", "btt": "shot on a tripod at 5am", "sound": "Morning Waves",
        "visibility": "public", "lat": 43.30, "lon": 5.37, "engagement": 40},
    2: {"caption": "Cooking pasta from scratch", "btt": "grandma's recipe", "sound": "Tarantella",
        "visibility": "public", "lat": None, "lon": None, "engagement": 2},
    3: {"caption": "Private harbour dinner", "btt": "", "sound": "Morning Waves", "visibility": "private",
        "lat": None, "lon": None, "engagement": 0},
}


def install_takes(node, author_id: int) -> list[list[int]]:  # type: ignore[no-untyped-def]
    rendered: list[list[int]] = []

    async def build(ids: list[int]):  # type: ignore[no-untyped-def]
        return [take_document(i, caption=TAKES[i]["caption"], btt_text=TAKES[i]["btt"], sound=TAKES[i]["sound"],
                              author_id=author_id, author_acct="alice", created=int(datetime.now(UTC).timestamp()),
                              visibility=TAKES[i]["visibility"], engagement=TAKES[i]["engagement"],
                              lat=TAKES[i]["lat"], lon=TAKES[i]["lon"], tags=["takes"]) for i in ids if i in TAKES]

    async def render(_node, ids, _viewer):  # type: ignore[no-untyped-def]
        rendered.append(list(ids))
        return [{"id": str(i), "caption": TAKES[i]["caption"]} for i in ids]

    node.search.register_kind("takes", ExtraKind(build=build, render=render))
    return rendered


async def test_takes_are_searchable_through_their_builder(node_client, node_of) -> None:
    node = node_of(node_client)
    user, token = await create_user(node, "alice")
    rendered = install_takes(node, user.account_id)
    with node.db:
        await node.search.enqueue("takes", list(TAKES))
    await node.search.drain()

    async def takes(q: str, **params):  # type: ignore[no-untyped-def]
        response = await node_client.get("/api/v2/search", params={"q": q, **params})
        assert response.status == 200
        return [t["id"] for t in (await response.json())["takes"]]

    assert await takes("sunrise") == ["1"]  # caption
    assert await takes("tripod") == ["1"]  # behind-the-take text
    assert await takes("tarantella") == ["2"]  # sound
    assert await takes("tarantela") == ["2"]  # typo
    assert await takes("harbour") == ["1"]  # the private one stays hidden from strangers
    assert await takes("harbour", lat=43.3, lon=5.4, radius_km=10) == ["1"]
    assert await takes("pasta", min_engagement=10) == []
    assert rendered[-1] == [1]
    response = await node_client.get("/api/v2/search", params={"q": "harbour", "type": "takes"},
                                     headers=bearer(token))
    assert sorted(t["id"] for t in (await response.json())["takes"]) == ["1", "3"]  # the author sees their own

    del TAKES[2]  # the Take is gone: its builder no longer returns it, so it leaves the index
    try:
        with node.db:
            await node.search.enqueue("takes", [2])
        await node.search.drain()
        assert await takes("tarantella") == []
    finally:
        TAKES[2] = {"caption": "Cooking pasta from scratch", "btt": "grandma's recipe", "sound": "Tarantella",
                    "visibility": "public", "lat": None, "lon": None, "engagement": 2}


async def test_without_a_take_model_the_group_is_empty(node_client) -> None:
    response = await node_client.get("/api/v2/search", params={"q": "anything", "type": "takes"})
    assert response.status == 200
    assert (await response.json())["takes"] == []
