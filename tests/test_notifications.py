"""Notifications over real HTTP: mention, reply, favourite, reblog, update, status and follow each arrive
once with the right account and status; filters, one, dismiss, clear, unread count and read markers."""

from __future__ import annotations

from fixtures.social import call, links, post, user
from support import bearer


async def notifications(client, token, query=""):  # type: ignore[no-untyped-def]
    code, body = await call(client, "GET", "/api/v1/notifications" + query, token)
    assert code == 200, body
    return body


async def test_each_kind_arrives(node_client, node_of):
    node = node_of(node_client)
    alice_id, alice = await user(node, "alice")
    bob_id, bob = await user(node, "bob")
    original = await post(node_client, alice, "hello world")
    await post(node_client, bob, "hey @alice")  # mention
    reply = await post(node_client, bob, "a reply without a mention", in_reply_to_id=original["id"])
    await call(node_client, "POST", f"/api/v1/statuses/{original['id']}/favourite", bob)
    await call(node_client, "POST", f"/api/v1/statuses/{original['id']}/reblog", bob)
    await call(node_client, "POST", f"/api/v1/accounts/{alice_id}/follow", bob, json={"notify": True})
    await post(node_client, alice, "for my subscribers")  # bob follows with notify: a "status" notification
    bobs = await post(node_client, bob, "will be edited")
    await call(node_client, "POST", f"/api/v1/statuses/{bobs['id']}/reblog", alice)
    await call(node_client, "PUT", f"/api/v1/statuses/{bobs['id']}", bob, json={"status": "edited now"})
    got = await notifications(node_client, alice)
    kinds = [n["type"] for n in got]
    assert kinds == ["update", "follow", "reblog", "favourite", "mention", "mention"], kinds
    assert all(n["account"]["id"] == bob_id for n in got)
    by_kind = {n["type"]: n for n in got}
    assert by_kind["favourite"]["status"]["id"] == original["id"]
    assert by_kind["reblog"]["status"]["id"] == original["id"]
    assert got[4]["status"]["id"] == reply["id"]
    assert by_kind["update"]["status"]["id"] == bobs["id"] and "edited now" in by_kind["update"]["status"]["content"]
    assert "status" not in by_kind["follow"]
    for key in ("id", "type", "created_at", "account", "group_key"):
        assert key in got[0]
    bob_got = await notifications(node_client, bob)
    assert [n["type"] for n in bob_got] == ["reblog", "status"]


async def test_own_actions_and_blocked_people_do_not_notify(node_client, node_of):
    node = node_of(node_client)
    alice_id, alice = await user(node, "alice")
    bob_id, bob = await user(node, "bob")
    mine = await post(node_client, alice, "mine")
    await call(node_client, "POST", f"/api/v1/statuses/{mine['id']}/favourite", alice)
    await call(node_client, "POST", f"/api/v1/accounts/{bob_id}/block", alice)
    await post(node_client, bob, "hey @alice")
    assert await notifications(node_client, alice) == []
    assert alice_id


async def test_filters_single_dismiss_clear(node_client, node_of):
    node = node_of(node_client)
    alice_id, alice = await user(node, "alice")
    bob_id, bob = await user(node, "bob")
    carol_id, carol = await user(node, "carol")
    status = await post(node_client, alice, "hi")
    await call(node_client, "POST", f"/api/v1/statuses/{status['id']}/favourite", bob)
    await call(node_client, "POST", f"/api/v1/statuses/{status['id']}/favourite", carol)
    await post(node_client, carol, "@alice ping")
    assert [n["type"] for n in await notifications(node_client, alice, "?types[]=mention")] == ["mention"]
    assert [n["type"] for n in await notifications(node_client, alice, "?exclude_types[]=mention")] == [
        "favourite", "favourite"]
    from_bob = await notifications(node_client, alice, f"?account_id={bob_id}")
    assert [n["account"]["id"] for n in from_bob] == [bob_id]
    code, one = await call(node_client, "GET", f"/api/v1/notifications/{from_bob[0]['id']}", alice)
    assert code == 200 and one == from_bob[0]
    assert (await call(node_client, "GET", f"/api/v1/notifications/{from_bob[0]['id']}", bob))[0] == 404
    assert (await call(node_client, "POST", f"/api/v1/notifications/{from_bob[0]['id']}/dismiss", bob))[0] == 404
    assert await call(node_client, "POST", f"/api/v1/notifications/{from_bob[0]['id']}/dismiss", alice) == (200, {})
    assert len(await notifications(node_client, alice)) == 2
    response = await node_client.get("/api/v1/notifications?limit=1", headers=bearer(alice))
    first = await response.json()
    nxt = await node_client.get(links(response)["next"], headers=bearer(alice))
    assert [n["id"] for n in await nxt.json()] != [n["id"] for n in first]
    assert await call(node_client, "POST", "/api/v1/notifications/clear", alice) == (200, {})
    assert await notifications(node_client, alice) == []
    assert (await call(node_client, "GET", "/api/v1/notifications"))[0] == 401
    assert (await call(node_client, "GET", "/api/v1/notifications/nope", alice))[0] == 404
    assert carol_id and alice_id


async def test_unread_count_follows_the_read_marker(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    _, bob = await user(node, "bob")
    for i in range(3):
        await post(node_client, bob, f"@alice number {i}")
    assert await call(node_client, "GET", "/api/v1/notifications/unread_count", alice) == (200, {"count": 3})
    newest = (await notifications(node_client, alice))[1]["id"]  # read up to the second newest
    code, saved = await call(node_client, "POST", "/api/v1/markers", alice,
                             json={"notifications": {"last_read_id": newest}, "home": {"last_read_id": "5"}})
    assert code == 200 and saved["notifications"]["last_read_id"] == newest and saved["home"]["version"] == 0
    assert await call(node_client, "GET", "/api/v1/notifications/unread_count", alice) == (200, {"count": 1})
    code, markers = await call(node_client, "GET", "/api/v1/markers?timeline[]=notifications", alice)
    assert code == 200 and list(markers) == ["notifications"] and markers["notifications"]["last_read_id"] == newest
    await call(node_client, "POST", "/api/v1/markers", alice, json={"home": {"last_read_id": "9"}})
    _, markers = await call(node_client, "GET", "/api/v1/markers?timeline[]=home&timeline[]=notifications", alice)
    assert markers["home"] == {**markers["home"], "last_read_id": "9", "version": 1}
    for body in ({}, {"home": {"last_read_id": "x"}}, {"home": {}}):
        code, answer = await call(node_client, "POST", "/api/v1/markers", alice, json=body)
        assert code == 422 and "error" in answer
