"""Conversations (direct-message threads) through an unmodified Mastodon.py and across two nodes: the last
status, unread for the recipient only, the other participants, mark read, remove, a reply bringing it back
unread, deleting the last status; the refusals (someone else's, unknown ids)."""

from __future__ import annotations

import asyncio

from federation_nodes import settle
from fixtures.social import call, post, user
from support import create_user
from test_federation_nodes import remote_id
from test_mastodon_py import served, signed_in

from node.models import Conversation


async def test_conversations_with_mastodon_py(aiohttp_client, make_config, node_of):
    client, base = await served(aiohttp_client, make_config)
    node = node_of(client)
    for name in ("ana", "ben", "cy"):
        await create_user(node, name)

    def flows() -> dict:
        ana, ben, cy = (signed_in(base, f"{n}@example.com") for n in ("ana", "ben", "cy"))
        first = ana.status_post("@ben psst", visibility="direct")
        ana.status_post("@ben @cy all three of us", visibility="direct")
        ana.status_post("public, not a conversation")
        ben_before = ben.conversations()
        pair = next(c for c in ben_before if len(c["accounts"]) == 1)
        read = ben.conversations_read(pair["id"])
        reply = ben.status_reply(first, "back at you", visibility="direct")
        return {
            "first": first,
            "reply": reply,
            "ben_before": ben_before,
            "read": read,
            "ben_after": ben.conversations(),
            "ana": ana.conversations(),
            "cy": cy.conversations(),
            "ids": {"ana": ana.me()["id"], "ben": ben.me()["id"], "cy": cy.me()["id"]},
        }

    r = await asyncio.to_thread(flows)
    ids = r["ids"]
    assert len(r["ben_before"]) == 2 and all(c["unread"] for c in r["ben_before"])
    group = next(c for c in r["ben_before"] if len(c["accounts"]) == 2)
    assert sorted(a["id"] for a in group["accounts"]) == sorted([ids["ana"], ids["cy"]])
    assert r["read"]["unread"] is False and [a["id"] for a in r["read"]["accounts"]] == [ids["ana"]]
    pair_after = next(c for c in r["ben_after"] if c["id"] == r["read"]["id"])
    assert pair_after["unread"] is False  # his own reply does not make it unread for him
    assert pair_after["last_status"]["id"] == r["reply"]["id"]
    assert r["ben_after"][0]["id"] == r["read"]["id"]  # most recently active first
    ana_pair = next(c for c in r["ana"] if len(c["accounts"]) == 1)
    assert ana_pair["unread"] is True and ana_pair["last_status"]["id"] == r["reply"]["id"]
    assert [a["id"] for a in ana_pair["accounts"]] == [ids["ben"]]
    assert [len(c["accounts"]) for c in r["cy"]] == [2]

    _, ana_token = await create_user(node, "ana2")  # a stranger cannot touch ana's conversations
    path = f"/api/v1/conversations/{ana_pair['id']}"
    assert (await call(client, "POST", path + "/read", ana_token))[0] == 404
    assert (await call(client, "DELETE", path, ana_token))[0] == 404
    assert (await call(client, "POST", "/api/v1/conversations/nope/read", ana_token))[0] == 404
    assert (await call(client, "GET", "/api/v1/conversations"))[0] == 401
    with node.db:
        assert await Conversation.all().count() == 5  # ana: 2, ben: 2, cy: 1; the public post made none


async def test_remove_and_delete_last_status(node_client, node_of):
    node = node_of(node_client)
    ana_id, ana = await user(node, "ana")
    ben_id, ben = await user(node, "ben")
    first = await post(node_client, ana, "@ben one", visibility="direct")
    second = await post(node_client, ana, "@ben two", visibility="direct", in_reply_to_id=first["id"])
    _, listed = await call(node_client, "GET", "/api/v1/conversations", ben)
    assert len(listed) == 1 and listed[0]["last_status"]["id"] == second["id"]
    assert (await call(node_client, "DELETE", f"/api/v1/statuses/{second['id']}", ana))[0] == 200
    _, listed = await call(node_client, "GET", "/api/v1/conversations", ben)
    assert listed[0]["last_status"]["id"] == first["id"]
    assert await call(node_client, "DELETE", f"/api/v1/conversations/{listed[0]['id']}", ben) == (200, {})
    assert (await call(node_client, "GET", "/api/v1/conversations", ben))[1] == []
    _, ana_list = await call(node_client, "GET", "/api/v1/conversations", ana)
    assert len(ana_list) == 1  # removing is per account
    await call(node_client, "DELETE", f"/api/v1/statuses/{first['id']}", ana)
    assert (await call(node_client, "GET", "/api/v1/conversations", ana))[1] == []


async def test_conversation_across_two_nodes(cluster):
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    _, alice = await a.user("alice")
    _, bob = await b.user("bob")
    await remote_id(a, alice, "bob@node-b.test")
    status, sent = await a.call(
        "POST", "/api/v1/statuses", alice, json={"status": "@bob@node-b.test just us", "visibility": "direct"}
    )
    assert status == 200, sent
    await settle([a, b])
    _, on_b = await b.call("GET", "/api/v1/conversations", bob)
    assert len(on_b) == 1 and on_b[0]["unread"] is True
    assert on_b[0]["accounts"][0]["acct"] == "alice@node-a.test"
    assert "just us" in on_b[0]["last_status"]["content"]
    status, replied = await b.call(
        "POST",
        "/api/v1/statuses",
        bob,
        json={
            "status": "@alice@node-a.test got it",
            "visibility": "direct",
            "in_reply_to_id": on_b[0]["last_status"]["id"],
        },
    )
    assert status == 200, replied
    await settle([a, b])
    _, on_a = await a.call("GET", "/api/v1/conversations", alice)
    assert len(on_a) == 1 and on_a[0]["unread"] is True  # the same thread, now with bob's answer
    assert on_a[0]["accounts"][0]["acct"] == "bob@node-b.test"
    assert "got it" in on_a[0]["last_status"]["content"]
    assert on_a[0]["last_status"]["in_reply_to_id"] == sent["id"]
