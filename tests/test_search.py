"""Search over real Whoosh indexes in temp folders (and PostgreSQL's search tables on the PostgreSQL run),
through /api/v2/search: relevance, typos, phrases, prefixes, every filter, geo radius, visibility and blocks,
suspended servers, deletes, reindex, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support import bearer, create_user

from node.models import Account, DomainBlock, IndexJournal, Status
from node.search.backend import Audience, Filters
from node.search.query import parse

pytestmark = pytest.mark.search_backends  # with each backend on the PostgreSQL run


async def post(client, token, text, **extra):  # type: ignore[no-untyped-def]
    response = await client.post("/api/v1/statuses", json={"status": text, **extra}, headers=bearer(token))
    assert response.status == 200, await response.text()
    return await response.json()


async def search(client, q, token=None, **params):  # type: ignore[no-untyped-def]
    headers = bearer(token) if token else {}
    response = await client.get("/api/v2/search", params={"q": q, **params}, headers=headers)
    assert response.status == 200, await response.text()
    return await response.json()


def texts(body):  # type: ignore[no-untyped-def]
    return [s["content"] for s in body["statuses"]]


@pytest.fixture
async def world(node_client, node_of):  # type: ignore[no-untyped-def]
    node = node_of(node_client)
    _, alice = await create_user(node, "alice")
    _, bob = await create_user(node, "bob")
    return node_client, node, alice, bob


async def test_relevance_fuzzy_phrase_and_prefix(world) -> None:
    client, node, alice, bob = world
    await post(client, alice, "Photography photography: my photography workshop")
    await post(client, alice, "A walk with a camera, some photography on the side")
    await post(client, bob, "Street photographers in Lisbon")
    await post(client, bob, "Nothing to see here")
    await node.search.drain()

    ranked = texts(await search(client, "photography", type="statuses"))
    assert len(ranked) == 2
    assert "workshop" in ranked[0]  # the post that says it three times ranks first
    assert texts(await search(client, "workshops", type="statuses")) == [ranked[0]]  # stemming
    assert any("Lisbon" in t for t in texts(await search(client, "photographer", type="statuses")))

    fuzzy = texts(await search(client, "phtography", type="statuses"))
    assert any("workshop" in t for t in fuzzy)
    exact_only = texts(await search(client, "phtography", type="statuses", fuzzy="false"))
    assert exact_only == []

    phrase = texts(await search(client, '"some photography"', type="statuses"))
    assert len(phrase) == 1 and "camera" in phrase[0]
    assert texts(await search(client, '"photography some"', type="statuses")) == []

    prefix = texts(await search(client, "cam*", type="statuses"))
    assert len(prefix) == 1 and "camera" in prefix[0]


async def test_one_query_groups_every_kind(world) -> None:
    client, node, alice, _ = world
    await post(client, alice, "Sunset #alicepics")
    await node.search.drain()
    body = await search(client, "alice")
    assert set(body) == {"accounts", "statuses", "hashtags", "takes", "places"}
    assert [a["acct"] for a in body["accounts"]] == ["alice"]
    body = await search(client, "alicepics")
    assert [h["name"] for h in body["hashtags"]] == ["alicepics"]
    assert len(body["hashtags"][0]["history"]) == 7
    assert body["statuses"] and "Sunset" in body["statuses"][0]["content"]


async def test_filters_author_date_media_language_engagement(world) -> None:
    client, node, alice, bob = world
    first = await post(client, alice, "garden tomatoes ripening", language="en")
    await post(client, bob, "garden tomates maduros", language="es")
    popular = await post(client, bob, "garden party tonight", language="en")
    for token in (alice,):
        response = await client.post(f"/api/v1/statuses/{popular['id']}/favourite", headers=bearer(token))
        assert response.status == 200
    with node.db:  # back-date the first post to check date ranges
        await Status.filter(id=int(first["id"])).update(created_at=datetime(2024, 1, 10, tzinfo=UTC))
        await node.search.enqueue("statuses", [int(first["id"])])
    await node.search.drain()

    def ids(body):  # type: ignore[no-untyped-def]
        return {s["id"] for s in body["statuses"]}

    assert ids(await search(client, "garden", type="statuses", author="alice")) == {first["id"]}
    assert ids(await search(client, "garden from:alice", type="statuses")) == {first["id"]}
    assert ids(await search(client, "garden", type="statuses", language="es")) != set()
    assert all(s["language"] == "es" for s in (await search(client, "garden language:es"))["statuses"])
    assert ids(await search(client, "garden", type="statuses", min_engagement=1)) == {popular["id"]}
    assert ids(await search(client, "garden", type="statuses", until="2024-02-01")) == {first["id"]}
    assert first["id"] not in ids(await search(client, "garden", type="statuses", since="2024-02-01"))
    assert ids(await search(client, "garden before:2024-01-11")) == {first["id"]}
    assert ids(await search(client, "garden", type="statuses", has_media="true")) == set()
    assert len(ids(await search(client, "garden", type="statuses", has_media="false"))) == 3
    # a filter on posts leaves the other groups empty rather than unfiltered
    body = await search(client, "alice", author="alice")
    assert body["accounts"] == [] and body["hashtags"] == []


async def test_has_media_filter(world, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import io

    from PIL import Image

    client, node, alice, _ = world
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    form = {"file": io.BytesIO(buffer.getvalue())}
    response = await client.post("/api/v2/media", data=form, headers=bearer(alice))
    assert response.status in (200, 202), await response.text()
    media_id = (await response.json())["id"]
    with_media = await post(client, alice, "harbour boats", media_ids=[media_id])
    await post(client, alice, "harbour fog")
    await node.search.drain()
    body = await search(client, "harbour has:media", type="statuses")
    assert [s["id"] for s in body["statuses"]] == [with_media["id"]]


async def test_geo_radius(world) -> None:
    client, node, alice, _ = world
    paris = await post(client, alice, "coffee by the river", location={"name": "Cafe Seine", "lat": 48.8566,
                                                                       "lon": 2.3522})
    assert paris["place"]["name"] == "Cafe Seine"
    await post(client, alice, "coffee by the bay", location={"name": "Bay Cafe", "lat": 37.8, "lon": -122.4})
    await post(client, alice, "coffee at home")
    await node.search.drain()
    near_paris = await search(client, "coffee", type="statuses", lat=48.86, lon=2.35, radius_km=5)
    assert [s["id"] for s in near_paris["statuses"]] == [paris["id"]]
    versailles = await search(client, "coffee", type="statuses", lat=48.80, lon=2.13, radius_km=10)
    assert versailles["statuses"] == []  # 17 km away: inside the box's corner maths, outside the circle
    assert len((await search(client, "coffee", lat=48.80, lon=2.13, radius_km=20))["statuses"]) == 1
    places = await search(client, "cafe", type="places", lat=37.7, lon=-122.4, radius_km=50)
    assert [p["name"] for p in places["places"]] == ["Bay Cafe"]
    only_filters = await search(client, "", lat=48.86, lon=2.35, radius_km=5)  # a map view: no words
    assert [s["id"] for s in only_filters["statuses"]] == [paris["id"]]


async def test_visibility_blocks_and_deletes(world) -> None:
    client, node, alice, bob = world
    _, carol = await create_user(node, "carol")
    private = await post(client, alice, "secret picnic plans", visibility="private")
    direct = await post(client, alice, "secret picnic for @carol", visibility="direct")
    public = await post(client, alice, "public picnic announcement")
    await node.search.drain()

    def ids(body):  # type: ignore[no-untyped-def]
        return {s["id"] for s in body["statuses"]}

    assert ids(await search(client, "picnic")) == {public["id"]}  # signed out
    assert ids(await search(client, "picnic", bob)) == {public["id"]}  # not a follower
    assert ids(await search(client, "picnic", alice)) == {private["id"], direct["id"], public["id"]}
    assert ids(await search(client, "picnic", carol)) == {direct["id"], public["id"]}  # mentioned
    response = await client.post(f"/api/v1/accounts/{(await search(client, 'alice', bob))['accounts'][0]['id']}/follow",
                                 headers=bearer(bob))
    assert response.status == 200
    assert ids(await search(client, "picnic", bob)) == {private["id"], public["id"]}

    bob_id = (await search(client, "bob", alice))["accounts"][0]["id"]
    response = await client.post(f"/api/v1/accounts/{bob_id}/block", headers=bearer(alice))
    assert response.status == 200
    assert ids(await search(client, "picnic", bob)) == set()  # blocked: nothing of alice's
    assert (await search(client, "alice", bob))["accounts"] == []

    response = await client.delete(f"/api/v1/statuses/{public['id']}", headers=bearer(alice))
    assert response.status == 200
    await node.search.drain()
    assert ids(await search(client, "picnic")) == set()
    with node.db:
        assert await node.search.backend_count("statuses") == 2
        assert await IndexJournal.all().count() == 0


async def test_suspended_domain_vanishes(world) -> None:
    client, node, alice, _ = world
    with node.db:
        remote = await Account.create(username="mallory", domain="evil.example", display_name="Mallory",
                                      uri="https://evil.example/users/mallory")
        status = await Status.create(account=remote, local=False, uri="https://evil.example/s/1",
                                     content="<p>remote kayak trip</p>", visibility="public",
                                     created_at=datetime.now(UTC))
        await node.bus.publish("status.created", status=status)
    await node.search.drain()
    assert len((await search(client, "kayak"))["statuses"]) == 1
    assert [a["acct"] for a in (await search(client, "mallory"))["accounts"]] == ["mallory@evil.example"]
    with node.db:
        await DomainBlock.create(domain="example", severity="suspend")  # a parent domain covers subdomains
    assert (await search(client, "kayak"))["statuses"] == []
    assert (await search(client, "mallory"))["accounts"] == []
    suggestions = await client.get("/api/v1/search/suggestions", params={"q": "mal"})
    assert (await suggestions.json())["accounts"] == []


async def test_suggestions_rank_exact_then_popular(world) -> None:
    client, node, alice, bob = world
    for name in ("al", "alfred", "albert"):
        await create_user(node, name)
    with node.db:
        await Account.filter(username="albert").update(followers_count=50)
        await Account.filter(username="alfred").update(followers_count=5)
        ids = list(await Account.all().values_list("id", flat=True))
        await node.search.enqueue("accounts", ids)
    await post(client, alice, "#photography #photo #phonecase")
    await post(client, bob, "#photography again")
    await node.search.drain()
    response = await client.get("/api/v1/search/suggestions", params={"q": "al", "type": "accounts"})
    body = await response.json()
    assert [a["acct"] for a in body["accounts"]] == ["al", "albert", "alfred", "alice"]
    response = await client.get("/api/v1/search/suggestions", params={"q": "#pho"})
    body = await response.json()
    assert [h["name"] for h in body["hashtags"]][:1] == ["photography"]  # used twice
    assert set(body) == {"accounts", "hashtags", "places"}


async def test_reindex_reproduces_results(world) -> None:
    client, node, alice, bob = world
    for n in range(12):
        await post(client, alice if n % 2 else bob, f"mountain hike number {n} #hiking")
    await node.search.drain()
    queries = ["mountain", "hikng", "#hiking", "hike*", '"hike number"', "bob"]
    before = [await search(client, q) for q in queries]
    with node.db:
        counts = await node.search.rebuild()
    assert counts["statuses"] == 12 and counts["accounts"] == 2
    after = [await search(client, q) for q in queries]
    for q, old, new in zip(queries, before, after, strict=True):
        assert old == new, q


async def test_crash_between_write_and_index_is_repaired(world, make_config) -> None:  # type: ignore[no-untyped-def]
    client, node, alice, _ = world
    await post(client, alice, "before the crash")
    await node.search.drain()
    with node.db:  # a write whose index work never ran (the process died after the journal row)
        status = await Status.create(account=(await Account.get(username="alice")), content="<p>orphan lantern</p>",
                                     visibility="public", created_at=datetime.now(UTC))
        await IndexJournal.create(kind="statuses", object_id=status.id)
        # and one that died before even the journal row: the high-water mark sweep finds it
        await Status.create(account=(await Account.get(username="alice")), content="<p>orphan lantern two</p>",
                            visibility="public", created_at=datetime.now(UTC))
    assert (await search(client, "lantern"))["statuses"] == []
    with node.db:
        await node.search.recover()
    assert len((await search(client, "lantern"))["statuses"]) == 2


SYNTAX_BREAKERS = ['"unbalanced', "*", "~", "~2", "text:photo", "title:", "(((", "AND OR NOT", "a" * 500, "\x00\x01",
                   "🙂", "from:", "has:", "a*b*c*", "^2", "[a TO z]", "foo~ bar*^3", "#", "@", "@@@", "::"]


async def test_syntax_breaking_queries_never_500(world) -> None:
    client, node, alice, _ = world
    await post(client, alice, "photo text here")
    await node.search.drain()
    for q in SYNTAX_BREAKERS:
        response = await client.get("/api/v2/search", params={"q": q})
        assert response.status == 200, (q, await response.text())
        response = await client.get("/api/v1/search/suggestions", params={"q": q[:100]})
        assert response.status == 200, q
    # field names are words; with no post holding every word, any-word matches are the fallback
    assert texts(await search(client, 'text:photo "unbalanced')) == ["<p>photo text here</p>"]
    assert len(texts(await search(client, 'photo "text'))) == 1  # an open quote is just a quote


BAD_PARAMETERS = [
    ({"q": "x" * 501}, "too long"),
    ({"q": "x", "type": "people"}, "type"),
    ({"q": "x", "limit": "0"}, "limit"),
    ({"q": "x", "lat": "91", "lon": "0"}, "Latitude"),
    ({"q": "x", "lat": "10"}, "lat and lon"),
    ({"q": "x", "lat": "1", "lon": "1", "radius_km": "-3"}, "radius_km"),
    ({"q": "x", "since": "yesterday"}, "since"),
    ({"q": "x before:someday"}, "before"),
    ({"q": "x", "min_engagement": "-1"}, "min_engagement"),
    ({"q": "x", "account_id": "abc"}, "account_id"),
]


async def test_bad_search_parameters_are_422(world) -> None:
    client, *_ = world
    for params, message in BAD_PARAMETERS:
        response = await client.get("/api/v2/search", params=params)
        assert response.status == 422, params
        assert message in (await response.json())["error"], params
    response = await client.get("/api/v1/search/suggestions", params={"q": "x" * 101})
    assert response.status == 422 and "error" in await response.json()


async def test_empty_query_gives_empty_groups(world) -> None:
    client, *_ = world
    body = await search(client, "")
    assert body == {"accounts": [], "statuses": [], "hashtags": [], "takes": [], "places": []}
    body = await search(client, "   ")
    assert body["statuses"] == []


async def test_search_history(world) -> None:
    client, node, alice, bob = world
    for q in ("cats", "dogs", "cats"):
        await search(client, q, alice)
    await search(client, "ferrets", bob)
    await search(client, "secret", alice, save="false")
    response = await client.get("/api/v1/search/history", headers=bearer(alice))
    entries = await response.json()
    assert [e["q"] for e in entries] == ["cats", "dogs"]
    response = await client.delete(f"/api/v1/search/history/{entries[1]['id']}", headers=bearer(alice))
    assert response.status == 200
    response = await client.delete(f"/api/v1/search/history/{entries[1]['id']}", headers=bearer(alice))
    assert response.status == 404 and "error" in await response.json()
    theirs = (await (await client.get("/api/v1/search/history", headers=bearer(bob))).json())[0]["id"]
    response = await client.delete(f"/api/v1/search/history/{theirs}", headers=bearer(alice))
    assert response.status == 404  # someone else's entry
    assert [e["q"] for e in await (await client.get("/api/v1/search/history", headers=bearer(alice))).json()] == ["cats"]
    response = await client.delete("/api/v1/search/history", headers=bearer(alice))
    assert response.status == 200
    assert await (await client.get("/api/v1/search/history", headers=bearer(alice))).json() == []
    assert len(await (await client.get("/api/v1/search/history", headers=bearer(bob))).json()) == 1
    assert (await client.get("/api/v1/search/history")).status == 401


async def test_backend_directly_with_audience(world) -> None:
    """The backend interface on its own: the index-side pre-filter already hides what a viewer may not see."""
    client, node, alice, _ = world
    await post(client, alice, "quiet lake", visibility="private")
    await node.search.drain()
    parsed = parse("lake")
    backend = node.search.backend
    with node.db:
        hits = await backend.search("statuses", parsed.query, Filters(), Audience(), limit=5)
        assert hits == []
        me = (await Account.get(username="alice")).id
        assert len(await backend.search("statuses", parsed.query, Filters(), Audience(viewer_id=me), limit=5)) == 1
        since = (datetime.now(UTC) + timedelta(days=1)).timestamp()
        assert await backend.search("statuses", parsed.query, Filters(since=since), Audience(viewer_id=me),
                                    limit=5) == []
