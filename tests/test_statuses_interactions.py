"""Favourites, reblogs and bookmarks over real HTTP: each, its undo, idempotency, counters, the lists of
who favourited or reblogged, and the refusals (private reblogs, unknown statuses)."""

from __future__ import annotations

from fixtures.social import call, links, post, user

from node.models import Account, Favourite, HomeFeedEntry, Status


async def test_favourite_and_unfavourite(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    bob_id, bob = await user(node, "bob")
    status = await post(node_client, alice, "like me")
    for _ in range(2):  # twice: still one favourite
        code, body = await call(node_client, "POST", f"/api/v1/statuses/{status['id']}/favourite", bob)
        assert code == 200 and body["favourited"] is True and body["favourites_count"] == 1
    code, people = await call(node_client, "GET", f"/api/v1/statuses/{status['id']}/favourited_by")
    assert code == 200 and [a["id"] for a in people] == [bob_id]
    _, seen_by_alice = await call(node_client, "GET", f"/api/v1/statuses/{status['id']}", alice)
    assert seen_by_alice["favourited"] is False and seen_by_alice["favourites_count"] == 1
    for _ in range(2):
        code, body = await call(node_client, "POST", f"/api/v1/statuses/{status['id']}/unfavourite", bob)
        assert code == 200 and body["favourited"] is False and body["favourites_count"] == 0
    with node.db:
        assert await Favourite.all().count() == 0


async def test_reblog_and_unreblog(node_client, node_of):
    node = node_of(node_client)
    alice_id, alice = await user(node, "alice")
    bob_id, bob = await user(node, "bob")
    status = await post(node_client, alice, "boost me")
    code, reblog = await call(node_client, "POST", f"/api/v1/statuses/{status['id']}/reblog", bob,
                              json={"visibility": "unlisted"})
    assert code == 200, reblog
    assert reblog["reblog"]["id"] == status["id"] and reblog["account"]["id"] == bob_id
    assert reblog["visibility"] == "unlisted" and reblog["content"] == ""
    assert reblog["reblog"]["reblogged"] is True and reblog["reblog"]["reblogs_count"] == 1
    code, again = await call(node_client, "POST", f"/api/v1/statuses/{status['id']}/reblog", bob)
    assert code == 200 and again["id"] == reblog["id"]
    # acting on the reblog acts on the original
    code, fav = await call(node_client, "POST", f"/api/v1/statuses/{reblog['id']}/favourite", alice)
    assert code == 200 and fav["id"] == status["id"]
    code, people = await call(node_client, "GET", f"/api/v1/statuses/{status['id']}/reblogged_by", alice)
    assert [a["id"] for a in people] == [bob_id]
    _, profile = await call(node_client, "GET", f"/api/v1/accounts/{bob_id}/statuses")
    assert [s["reblog"]["id"] for s in profile] == [status["id"]]
    _, profile = await call(node_client, "GET", f"/api/v1/accounts/{bob_id}/statuses?exclude_reblogs=true")
    assert profile == []
    code, undone = await call(node_client, "POST", f"/api/v1/statuses/{status['id']}/unreblog", bob)
    assert code == 200 and undone["id"] == status["id"] and undone["reblogged"] is False
    assert undone["reblogs_count"] == 0
    with node.db:
        assert await Status.filter(reblog_of_id=int(status["id"])).count() == 0
        assert (await Account.get(id=int(bob_id))).statuses_count == 0
        assert await HomeFeedEntry.filter(status_id=int(reblog["id"])).count() == 0
    assert alice_id


async def test_private_and_direct_posts_cannot_be_reblogged(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    mine = await post(node_client, alice, "private", visibility="private")
    code, body = await call(node_client, "POST", f"/api/v1/statuses/{mine['id']}/reblog", alice)
    assert code == 422 and body["error"]
    public = await post(node_client, alice, "public")
    code, body = await call(node_client, "POST", f"/api/v1/statuses/{public['id']}/reblog", alice,
                            json={"visibility": "direct"})
    assert code == 422 and body["error"]
    with node.db:
        assert await Status.filter(reblog_of_id__not_isnull=True).count() == 0


async def test_deleting_a_status_removes_its_reblogs(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    bob_id, bob = await user(node, "bob")
    status = await post(node_client, alice, "soon gone")
    _, reblog = await call(node_client, "POST", f"/api/v1/statuses/{status['id']}/reblog", bob)
    await call(node_client, "DELETE", f"/api/v1/statuses/{status['id']}", alice)
    assert (await call(node_client, "GET", f"/api/v1/statuses/{reblog['id']}", bob))[0] == 404
    with node.db:
        assert (await Account.get(id=int(bob_id))).statuses_count == 0
        assert await HomeFeedEntry.filter(status_id=int(reblog["id"])).count() == 0


async def test_bookmarks(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    first = await post(node_client, alice, "one")
    second = await post(node_client, alice, "two")
    for status in (first, second, first):
        code, body = await call(node_client, "POST", f"/api/v1/statuses/{status['id']}/bookmark", alice)
        assert code == 200 and body["bookmarked"] is True
    code, listed = await call(node_client, "GET", "/api/v1/bookmarks", alice)
    assert code == 200 and [s["id"] for s in listed] == [second["id"], first["id"]]
    code, body = await call(node_client, "POST", f"/api/v1/statuses/{first['id']}/unbookmark", alice)
    assert code == 200 and body["bookmarked"] is False
    _, listed = await call(node_client, "GET", "/api/v1/bookmarks", alice)
    assert [s["id"] for s in listed] == [second["id"]]
    assert (await call(node_client, "GET", "/api/v1/bookmarks"))[0] == 401


async def test_favourites_list_pages_on_the_favourite_row(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    _, bob = await user(node, "bob")
    statuses = [await post(node_client, alice, f"post {i}") for i in range(3)]
    for status in (statuses[0], statuses[2], statuses[1]):  # favourited in this order
        await call(node_client, "POST", f"/api/v1/statuses/{status['id']}/favourite", bob)
    response = await node_client.get("/api/v1/favourites?limit=2", headers={"Authorization": f"Bearer {bob}"})
    page = await response.json()
    assert [s["id"] for s in page] == [statuses[1]["id"], statuses[2]["id"]]
    pages = links(response)
    assert set(pages) == {"next", "prev"}
    response = await node_client.get(pages["next"], headers={"Authorization": f"Bearer {bob}"})
    assert [s["id"] for s in await response.json()] == [statuses[0]["id"]]


async def test_interactions_on_unknown_statuses_are_404(node_client, node_of):
    _, alice = await user(node_of(node_client), "alice")
    for action in ("favourite", "unfavourite", "reblog", "unreblog", "bookmark", "unbookmark"):
        assert await call(node_client, "POST", f"/api/v1/statuses/424242/{action}", alice) == (
            404, {"error": "Record not found"})
    assert (await call(node_client, "POST", "/api/v1/statuses/1/favourite"))[0] == 401
