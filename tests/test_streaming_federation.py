"""Federated activity reaches streaming clients: two nodes in one process, a WebSocket client on each. A
remote post streams to its followers' home streams and to the remote public and hashtag streams; a remote
like reaches the author's notification stream; edits and deletes follow; followers-only posts and blocks
keep events from those who may not read them."""

from __future__ import annotations

from federation_nodes import settle
from streaming_support import Socket
from test_federation_nodes import follow, post, remote_id


async def test_federated_posts_likes_edits_and_deletes_stream(cluster):
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    _, alice_token = await a.user("alice")
    _, bob_token = await b.user("bob")
    _, cleo_token = await b.user("cleo")
    await follow(b, bob_token, a, "alice@node-a.test")
    await settle([a, b])
    alice_on_b = await remote_id(b, cleo_token, "alice@node-a.test")
    status, _ = await b.call("POST", f"/api/v1/accounts/{alice_on_b}/block", cleo_token)
    assert status == 200
    bob = await Socket.open(
        b.client, bob_token, "user", "public:remote", {"stream": "hashtag", "tag": "fedi"}
    )
    cleo = await Socket.open(b.client, cleo_token, "public", "public:remote")
    alice = await Socket.open(a.client, alice_token, "user:notification")

    hello = await post(a, alice_token, status="Hello #fedi from node-a", visibility="public")
    await settle([a, b])
    events = [await bob.event() for _ in range(3)]
    assert {(tuple(stream), event) for stream, event, _ in events} == {
        (("user",), "update"),
        (("public:remote",), "update"),
        (("hashtag", "fedi"), "update"),
    }
    assert {payload["uri"] for _, _, payload in events} == {hello["uri"]}
    remote = events[0][2]
    assert remote["account"]["acct"] == "alice@node-a.test"

    # bob's like travels to node-a and reaches alice's notification stream
    status, _ = await b.call("POST", f"/api/v1/statuses/{remote['id']}/favourite", bob_token)
    assert status == 200
    await settle([a, b])
    stream, event, notification = await alice.event()
    assert (stream, event, notification["type"]) == (["user:notification"], "notification", "favourite")
    assert (
        notification["account"]["acct"] == "bob@node-b.test" and notification["status"]["id"] == hello["id"]
    )

    # followers-only: bob's home only; then an edit and a delete of the public post
    private = await post(a, alice_token, status="followers only #fedi", visibility="private")
    status, _ = await a.call(
        "PUT", f"/api/v1/statuses/{hello['id']}", alice_token, json={"status": "Edited #fedi"}
    )
    assert status == 200
    await a.call("DELETE", f"/api/v1/statuses/{hello['id']}", alice_token)
    await settle([a, b])
    stream, event, payload = await bob.event()
    assert (stream, event, payload["uri"]) == (["user"], "update", private["uri"])
    edits = [await bob.event() for _ in range(3)]
    assert {(tuple(s), e) for s, e, _ in edits} == {
        (("user",), "status.update"),
        (("public:remote",), "status.update"),
        (("hashtag", "fedi"), "status.update"),
    }
    assert all("Edited" in p["content"] for _, _, p in edits)
    deletes = [await bob.event() for _ in range(3)]
    assert {(tuple(s), e, p) for s, e, p in deletes} == {
        (("user",), "delete", remote["id"]),
        (("public:remote",), "delete", remote["id"]),
        (("hashtag", "fedi"), "delete", remote["id"]),
    }

    # cleo blocks alice: none of her statuses reached cleo's public streams, only the bare ids of deletes (as
    # Mastodon passes deletes through); a local post does (the control)
    control = await post(b, bob_token, status="local control", visibility="public")
    seen = [await cleo.event() for _ in range(3)]
    assert seen == [
        (["public"], "delete", remote["id"]),
        (["public:remote"], "delete", remote["id"]),
        (["public"], "update", seen[2][2]),
    ]
    assert seen[2][2]["id"] == control["id"]
    for socket in (alice, bob, cleo):
        await socket.close()
