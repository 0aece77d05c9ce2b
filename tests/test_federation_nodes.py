"""Two and three nodes federating in one process: follows (plain and locked), posts, replies, edits,
deletes, likes, shares, poll votes and results, blocks, domain blocks, profile updates, and a node that
is down receiving everything once it is back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from federation_nodes import FedNode, settle

from node.models import Account, Delivery, Favourite, Follow, FollowRequest, HomeFeedEntry, Peer, Poll, Status


async def remote_id(fed: FedNode, token: str, handle: str) -> str:
    status, body = await fed.call("GET", "/api/v2/search", token, params={"q": handle, "resolve": "true",
                                                                           "type": "accounts"})
    assert status == 200, body
    assert body["accounts"], body
    return body["accounts"][0]["id"]


async def follow(a: FedNode, a_token: str, b: FedNode, handle: str) -> str:
    account_id = await remote_id(a, a_token, handle)
    status, body = await a.call("POST", f"/api/v1/accounts/{account_id}/follow", a_token)
    assert status == 200, body
    return account_id


async def post(fed: FedNode, token: str, **data) -> dict:
    status, body = await fed.call("POST", "/api/v1/statuses", token, json=data)
    assert status == 200, body
    return body


async def test_follow_post_reply_like_share_edit_delete(cluster):
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    alice, alice_token = await a.user("alice")
    bob, bob_token = await b.user("bob")
    alice_on_b = await follow(b, bob_token, a, "alice@node-a.test")
    await settle([a, b])
    _, rel = await b.call("GET", "/api/v1/accounts/relationships", bob_token, params={"id[]": alice_on_b})
    assert rel[0]["following"] is True and rel[0]["requested"] is False
    with a.db():
        assert (await Account.get(id=alice.account.id)).followers_count == 1

    hello = await post(a, alice_token, status="Hello #fediverse from @alice", visibility="public")
    await settle([a, b])
    _, home = await b.call("GET", "/api/v1/timelines/home", bob_token)
    assert [s["content"] for s in home] and "Hello" in home[0]["content"]
    remote_status = home[0]
    assert remote_status["account"]["acct"] == "alice@node-a.test"
    assert remote_status["tags"][0]["name"] == "fediverse"
    assert remote_status["uri"] == hello["uri"]

    # bob replies, likes and shares: alice sees the reply in the thread and the counts move
    reply = await post(b, bob_token, status="@alice@node-a.test nice!", in_reply_to_id=remote_status["id"])
    await b.call("POST", f"/api/v1/statuses/{remote_status['id']}/favourite", bob_token)
    await b.call("POST", f"/api/v1/statuses/{remote_status['id']}/reblog", bob_token)
    await settle([a, b])
    _, context = await a.call("GET", f"/api/v1/statuses/{hello['id']}/context", alice_token)
    assert [d["uri"] for d in context["descendants"]] == [reply["uri"]]
    _, fresh = await a.call("GET", f"/api/v1/statuses/{hello['id']}", alice_token)
    assert (fresh["replies_count"], fresh["favourites_count"], fresh["reblogs_count"]) == (1, 1, 1)
    _, notes = await a.call("GET", "/api/v1/notifications", alice_token)
    assert {n["type"] for n in notes} >= {"follow", "mention", "favourite", "reblog"}

    # edit and delete travel too; unfavourite and unreblog undo the counts
    status, _ = await a.call("PUT", f"/api/v1/statuses/{hello['id']}", alice_token, json={"status": "Edited"})
    assert status == 200
    await b.call("POST", f"/api/v1/statuses/{remote_status['id']}/unfavourite", bob_token)
    await b.call("POST", f"/api/v1/statuses/{remote_status['id']}/unreblog", bob_token)
    await settle([a, b])
    _, seen = await b.call("GET", f"/api/v1/statuses/{remote_status['id']}", bob_token)
    assert "Edited" in seen["content"] and seen["edited_at"]
    _, fresh = await a.call("GET", f"/api/v1/statuses/{hello['id']}", alice_token)
    assert (fresh["favourites_count"], fresh["reblogs_count"]) == (0, 0)
    await a.call("DELETE", f"/api/v1/statuses/{hello['id']}", alice_token)
    await settle([a, b])
    with b.db():
        assert not await Status.filter(uri=hello["uri"]).exists()
        assert await Delivery.filter(state="pending").count() == 0

    # unfollow: alice loses her follower on node-a
    await b.call("POST", f"/api/v1/accounts/{alice_on_b}/unfollow", bob_token)
    await settle([a, b])
    with a.db():
        assert (await Account.get(id=alice.account.id)).followers_count == 0


async def test_locked_account_approves_remote_follow(cluster):
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    alice, alice_token = await a.user("alice")
    with a.db():
        await Account.filter(id=alice.account.id).update(locked=True)
    _, bob_token = await b.user("bob")
    alice_on_b = await follow(b, bob_token, a, "alice@node-a.test")
    await settle([a, b])
    _, rel = await b.call("GET", "/api/v1/accounts/relationships", bob_token, params={"id[]": alice_on_b})
    assert rel[0]["requested"] is True and rel[0]["following"] is False
    _, requests = await a.call("GET", "/api/v1/follow_requests", alice_token)
    assert [r["acct"] for r in requests] == ["bob@node-b.test"]
    status, _ = await a.call("POST", f"/api/v1/follow_requests/{requests[0]['id']}/authorize", alice_token)
    assert status == 200
    await settle([a, b])
    _, rel = await b.call("GET", "/api/v1/accounts/relationships", bob_token, params={"id[]": alice_on_b})
    assert rel[0]["following"] is True and rel[0]["requested"] is False

    # a followers-only post reaches bob, addressed to alice's followers
    private = await post(a, alice_token, status="for followers", visibility="private")
    await settle([a, b])
    _, home = await b.call("GET", "/api/v1/timelines/home", bob_token)
    assert home[0]["uri"] == private["uri"] and home[0]["visibility"] == "private"


async def test_poll_vote_and_results(cluster):
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    _, alice_token = await a.user("alice")
    _, bob_token = await b.user("bob")
    await follow(b, bob_token, a, "alice@node-a.test")
    await settle([a, b])
    await post(a, alice_token, status="Tea or coffee?", poll={"options": ["tea", "coffee"], "expires_in": 600})
    await settle([a, b])
    _, home = await b.call("GET", "/api/v1/timelines/home", bob_token)
    poll = home[0]["poll"]
    assert [o["title"] for o in poll["options"]] == ["tea", "coffee"]
    status, voted = await b.call("POST", f"/api/v1/polls/{poll['id']}/votes", bob_token, json={"choices": [1]})
    assert status == 200, voted
    await settle([a, b])
    with a.db():
        local_poll = await Poll.all().first()
        assert local_poll.cached_tallies == [0, 1] and local_poll.voters_count == 1
    with b.db():  # the Update{Question} came back with the tallies
        assert (await Poll.get(id=int(poll["id"]))).cached_tallies == [0, 1]


async def test_block_across_servers(cluster):
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    alice, alice_token = await a.user("alice")
    _, bob_token = await b.user("bob")
    alice_on_b = await follow(b, bob_token, a, "alice@node-a.test")
    await settle([a, b])
    bob_on_a = await remote_id(a, alice_token, "bob@node-b.test")
    status, _ = await a.call("POST", f"/api/v1/accounts/{bob_on_a}/block", alice_token)
    assert status == 200
    await settle([a, b])
    with b.db():
        assert not await Follow.filter(target_account_id=int(alice_on_b)).exists()
    # bob cannot follow alice again: node-a answers with a Reject
    await b.call("POST", f"/api/v1/accounts/{alice_on_b}/follow", bob_token)
    await settle([a, b])
    with a.db():
        assert await Follow.filter(target_account_id=alice.account.id).count() == 0
    with b.db():
        assert not await FollowRequest.filter(target_account_id=int(alice_on_b)).exists()


async def test_domain_block_suspend_cuts_off(cluster):
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    _, admin_token = await a.user("moderator", admin=True, scopes="read write follow admin:read admin:write")
    alice, alice_token = await a.user("alice")
    _, bob_token = await b.user("bob")
    await follow(b, bob_token, a, "alice@node-a.test")
    await settle([a, b])
    status, block = await a.call("POST", "/api/v1/admin/domain_blocks", admin_token,
                                 json={"domain": "node-b.test", "severity": "suspend"})
    assert status == 200, block
    assert block["severity"] == "suspend"
    with a.db():
        assert (await Account.get(id=alice.account.id)).followers_count == 0
    quiet = await post(a, alice_token, status="not for node-b")
    await settle([a, b])
    with a.db():
        assert not await Delivery.filter(activity__uri=f"{quiet['uri']}/activity").exists()
    # node-b's inbox posts are refused
    _, home = await b.call("GET", "/api/v1/timelines/home", bob_token)
    assert home == []
    bob_status = await post(b, bob_token, status="hello a")
    await settle([a, b])
    with a.db():
        assert not await Status.filter(uri=bob_status["uri"]).exists()


async def test_three_nodes_share_and_shared_inbox(cluster):
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    c = await cluster.add_node("node-c")
    _, alice_token = await a.user("alice")
    _, bob_token = await b.user("bob")
    _, bea_token = await b.user("bea")
    _, carol_token = await c.user("carol")
    await follow(b, bob_token, a, "alice@node-a.test")
    await follow(b, bea_token, a, "alice@node-a.test")
    await follow(c, carol_token, b, "bob@node-b.test")
    await settle([a, b, c])
    hello = await post(a, alice_token, status="one post, one delivery per server")
    await settle([a, b, c])
    with a.db():  # bob and bea share node-b's inbox: one delivery
        assert await Delivery.filter(activity__uri=f"{hello['uri']}/activity").count() == 1
    _, bea_home = await b.call("GET", "/api/v1/timelines/home", bea_token)
    assert bea_home[0]["uri"] == hello["uri"]
    # bob shares it; carol on node-c sees the share and node-c fetched the original from node-a
    await b.call("POST", f"/api/v1/statuses/{bea_home[0]['id']}/reblog", bob_token)
    await settle([a, b, c])
    _, carol_home = await c.call("GET", "/api/v1/timelines/home", carol_token)
    assert carol_home[0]["reblog"]["uri"] == hello["uri"]
    assert carol_home[0]["account"]["acct"] == "bob@node-b.test"


async def test_down_node_receives_queue_once_back(cluster):
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    _, alice_token = await a.user("alice")
    _, bob_token = await b.user("bob")
    await follow(b, bob_token, a, "alice@node-a.test")
    await settle([a, b])
    await cluster.take_down("node-b.test")
    posts = [await post(a, alice_token, status=f"while you were away {i}") for i in range(3)]
    await settle([a])
    with a.db():
        pending = await Delivery.filter(state="pending", host="node-b.test")
        assert len(pending) == 3 and all(d.attempts == 1 and d.last_error for d in pending)
    for hours in (7, 14, 21):  # the retries keep failing until the peer is marked unavailable
        await settle([a], now=datetime.now(UTC) + timedelta(hours=hours))
    with a.db():
        assert not (await Peer.get(host="node-b.test")).available
    await cluster.bring_up("node-b.test")
    await settle([a, b], now=datetime.now(UTC) + timedelta(hours=30))
    with a.db():
        sent = await Delivery.filter(activity__uri__in=[f"{p['uri']}/activity" for p in posts])
        assert [d.state for d in sent] == ["delivered"] * 3
        assert (await Peer.get(host="node-b.test")).available
    _, home = await b.call("GET", "/api/v1/timelines/home", bob_token)
    assert sorted(s["uri"] for s in home) == sorted(p["uri"] for p in posts)
    with b.db():
        for p in posts:
            assert await Status.filter(uri=p["uri"]).count() == 1


async def test_delivery_gives_up_after_configured_time(cluster):
    a = await cluster.add_node("node-a", federation={"delivery_give_up_hours": 2})
    b = await cluster.add_node("node-b")
    _, alice_token = await a.user("alice")
    _, bob_token = await b.user("bob")
    await follow(b, bob_token, a, "alice@node-a.test")
    await settle([a, b])
    await cluster.take_down("node-b.test")
    await post(a, alice_token, status="lost")
    await settle([a], now=datetime.now(UTC) + timedelta(hours=3))
    await settle([a], now=datetime.now(UTC) + timedelta(hours=3))
    with a.db():
        assert await Delivery.filter(state="given_up").count() == 1


async def test_profile_update_and_favourites_count(cluster):
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    _, alice_token = await a.user("alice")
    _, bob_token = await b.user("bob")
    alice_on_b = await follow(b, bob_token, a, "alice@node-a.test")
    await settle([a, b])
    status, _ = await a.call("PATCH", "/api/v1/accounts/update_credentials", alice_token,
                             data={"display_name": "Alice A.", "note": "hi there"})
    assert status == 200
    await settle([a, b])
    _, remote = await b.call("GET", f"/api/v1/accounts/{alice_on_b}", bob_token)
    assert remote["display_name"] == "Alice A." and "hi there" in remote["note"]
    with b.db():
        assert await Favourite.all().count() == 0
        assert await HomeFeedEntry.all().count() >= 0


async def test_a_resolved_remote_account_is_found_by_type_ahead(cluster):
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    await a.user("zelda")
    _, bob_token = await b.user("bob")
    await remote_id(b, bob_token, "zelda@node-a.test")  # b learns of zelda (account.created on b)
    await b.node.search.drain()
    status, body = await b.call("GET", "/api/v1/search/suggestions", bob_token, params={"q": "zel"})
    assert status == 200, body
    assert "zelda@node-a.test" in [account["acct"] for account in body["accounts"]]
