"""Posting, reading, editing and deleting statuses over real HTTP: content rendering, replies and threads,
history and source, counters, idempotency, and the 4xx answers for bad input."""

from __future__ import annotations

from fixtures.social import call, follow, relate, user
from support import bearer, create_user

from node.models import Account, Mention, Status, StatusTag


async def post(client, token, text="hello", **body):  # type: ignore[no-untyped-def]
    response = await client.post("/api/v1/statuses", json={"status": text, **body}, headers=bearer(token))
    answer = await response.json()
    assert response.status == 200, answer
    return answer


async def test_post_plain_text_renders_like_mastodon(node_client, node_of):
    node = node_of(node_client)
    _, token = await create_user(node, "alice")
    await create_user(node, "bob")
    body = await post(node_client, token, "Hello @bob and #Fediverse!\nsee https://example.com/a/very/long/path/that/goes/on\n\nbye <b>x</b>")
    html = body["content"]
    assert html.startswith("<p>Hello ")
    assert '<span class="h-card" translate="no"><a href="http://localhost/@bob" class="u-url mention">@<span>bob</span></a></span>' in html
    assert '<a href="http://localhost/tags/fediverse" class="mention hashtag" rel="tag">#<span>Fediverse</span></a>' in html
    assert 'href="https://example.com/a/very/long/path/that/goes/on"' in html and 'class="ellipsis"' in html
    assert "</p><p>bye &lt;b&gt;x&lt;/b&gt;</p>" in html
    assert "<br" in html
    assert body["tags"] == [{"name": "fediverse", "url": "http://localhost/tags/fediverse"}]
    assert [m["acct"] for m in body["mentions"]] == ["bob"]
    assert body["visibility"] == "public" and body["favourited"] is False and body["reblog"] is None
    assert body["account"]["username"] == "alice" and body["account"]["statuses_count"] == 1
    assert body["uri"] == f"http://localhost/users/alice/statuses/{body['id']}"
    assert body["url"] == f"http://localhost/@alice/{body['id']}"
    for key in ("created_at", "edited_at", "emojis", "card", "poll", "application", "media_attachments",
                "replies_count", "reblogs_count", "favourites_count", "pinned", "filtered", "language", "muted",
                "bookmarked", "in_reply_to_id", "in_reply_to_account_id", "sensitive", "spoiler_text"):
        assert key in body
    with node.db:
        stored = await Status.get(id=int(body["id"]))
        assert stored.text.startswith("Hello @bob")
        assert await StatusTag.filter(status_id=stored.id).count() == 1
        assert await Mention.filter(status_id=stored.id).count() == 1
        alice = await Account.get(username="alice")
        assert alice.statuses_count == 1 and alice.last_status_at is not None


async def test_post_kinds_and_read_back(node_client, node_of):
    node = node_of(node_client)
    _, token = await create_user(node, "alice")
    cw = await post(node_client, token, "warned", spoiler_text="spoilers", language="en", visibility="unlisted")
    assert cw["sensitive"] is True and cw["spoiler_text"] == "spoilers" and cw["language"] == "en"
    assert cw["visibility"] == "unlisted"
    form = await node_client.post("/api/v1/statuses", data={"status": "form post", "visibility": "private"},
                                  headers=bearer(token))
    assert form.status == 200 and (await form.json())["visibility"] == "private"
    status, got = await call(node_client, "GET", f"/api/v1/statuses/{cw['id']}")  # anonymous read of unlisted
    assert status == 200 and got["id"] == cw["id"] and "favourited" not in got
    status, many = await call(node_client, "GET", f"/api/v1/statuses?id[]={cw['id']}&id[]=999", token)
    assert status == 200 and [s["id"] for s in many] == [cw["id"]]


async def test_hashtags_accept_unicode_and_skip_numbers(node_client, node_of):
    _, token = await create_user(node_of(node_client), "alice")
    body = await post(node_client, token, text="#café #日本語 #snake_case #123 a#b http://x.org/#frag")
    assert sorted(t["name"] for t in body["tags"]) == ["café", "snake_case", "日本語"]
    assert "#<span>123</span>" not in body["content"]


async def test_idempotency_key_returns_the_same_status(node_client, node_of):
    node = node_of(node_client)
    _, token = await create_user(node, "alice")
    headers = {"Idempotency-Key": "abc-123"}
    first = await call(node_client, "POST", "/api/v1/statuses", token, json={"status": "once"}, headers=headers)
    second = await call(node_client, "POST", "/api/v1/statuses", token, json={"status": "once"}, headers=headers)
    assert first[0] == second[0] == 200 and first[1]["id"] == second[1]["id"]
    with node.db:
        assert await Status.filter(text="once").count() == 1


async def test_replies_threads_and_context(node_client, node_of):
    node = node_of(node_client)
    alice_id, alice = await user(node, "alice")
    _, bob = await user(node, "bob")
    root = await post(node_client, alice, "root")
    reply = await post(node_client, bob, "@alice reply", in_reply_to_id=root["id"])
    assert reply["in_reply_to_id"] == root["id"] and reply["in_reply_to_account_id"] == alice_id
    deeper = await post(node_client, alice, "deeper", in_reply_to_id=reply["id"])
    sibling = await post(node_client, alice, "sibling", in_reply_to_id=root["id"])
    status, ctx = await call(node_client, "GET", f"/api/v1/statuses/{deeper['id']}/context", bob)
    assert status == 200
    assert [s["id"] for s in ctx["ancestors"]] == [root["id"], reply["id"]] and ctx["descendants"] == []
    status, ctx = await call(node_client, "GET", f"/api/v1/statuses/{root['id']}/context")
    assert [s["id"] for s in ctx["descendants"]] == [reply["id"], deeper["id"], sibling["id"]]
    _, root_now = await call(node_client, "GET", f"/api/v1/statuses/{root['id']}")
    assert root_now["replies_count"] == 2


async def test_context_hides_what_the_viewer_may_not_see(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    _, bob = await user(node, "bob")
    _, carol = await user(node, "carol")
    root = await post(node_client, alice, "root")
    await post(node_client, bob, "secret reply", in_reply_to_id=root["id"], visibility="private")
    public_reply = await post(node_client, bob, "open reply", in_reply_to_id=root["id"])
    _, ctx = await call(node_client, "GET", f"/api/v1/statuses/{root['id']}/context", carol)
    assert [s["id"] for s in ctx["descendants"]] == [public_reply["id"]]


async def test_edit_keeps_history_and_source(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    original = await post(node_client, alice, "first #one")
    status, edited = await call(node_client, "PUT", f"/api/v1/statuses/{original['id']}", alice,
                                json={"status": "second #two", "spoiler_text": "cw"})
    assert status == 200, edited
    assert edited["edited_at"] is not None and "second" in edited["content"] and edited["spoiler_text"] == "cw"
    assert [t["name"] for t in edited["tags"]] == ["two"]
    status, source = await call(node_client, "GET", f"/api/v1/statuses/{original['id']}/source", alice)
    assert source == {"id": original["id"], "text": "second #two", "spoiler_text": "cw"}
    await call(node_client, "PUT", f"/api/v1/statuses/{original['id']}", alice, json={"status": "third"})
    status, history = await call(node_client, "GET", f"/api/v1/statuses/{original['id']}/history")
    assert status == 200
    assert ["first" in h["content"] for h in history] == [True, False, False]
    assert "third" in history[-1]["content"] and history[1]["spoiler_text"] == "cw"
    assert all(h["account"]["username"] == "alice" for h in history)
    fresh = await post(node_client, alice, "never edited")
    _, history = await call(node_client, "GET", f"/api/v1/statuses/{fresh['id']}/history")
    assert len(history) == 1 and "never edited" in history[0]["content"]


async def test_delete_returns_text_for_redraft_and_fixes_counts(node_client, node_of):
    node = node_of(node_client)
    alice_id, alice = await user(node, "alice")
    _, bob = await user(node, "bob")
    root = await post(node_client, alice, "root")
    reply = await post(node_client, bob, "reply", in_reply_to_id=root["id"])
    status, deleted = await call(node_client, "DELETE", f"/api/v1/statuses/{reply['id']}", bob)
    assert status == 200 and deleted["text"] == "reply" and deleted["id"] == reply["id"]
    assert (await call(node_client, "GET", f"/api/v1/statuses/{reply['id']}"))[0] == 404
    _, root_now = await call(node_client, "GET", f"/api/v1/statuses/{root['id']}")
    assert root_now["replies_count"] == 0
    await call(node_client, "DELETE", f"/api/v1/statuses/{root['id']}", alice)
    with node.db:
        assert (await Account.get(id=int(alice_id))).statuses_count == 0
        assert await Status.all().count() == 0


async def test_another_users_post_cannot_be_changed(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    _, bob = await user(node, "bob")
    mine = await post(node_client, alice, "mine")
    secret = await post(node_client, alice, "secret", visibility="direct")
    for method in ("DELETE", "PUT"):
        status, body = await call(node_client, method, f"/api/v1/statuses/{mine['id']}", bob, json={"status": "x"})
        assert status == 403 and body["error"]
        status, body = await call(node_client, method, f"/api/v1/statuses/{secret['id']}", bob, json={"status": "x"})
        assert status == 404 and body == {"error": "Record not found"}
    _, source = await call(node_client, "GET", f"/api/v1/statuses/{mine['id']}/source", bob)
    assert "error" in source
    _, again = await call(node_client, "GET", f"/api/v1/statuses/{mine['id']}")
    assert "mine" in again["content"] and again["edited_at"] is None


async def test_followers_only_and_direct_posts_are_hidden_from_a_third_user(node_client, node_of):
    node = node_of(node_client)
    alice_id, alice = await user(node, "alice")
    _, bob = await user(node, "bob")
    _, carol = await user(node, "carol")
    await follow(node_client, bob, alice_id)
    private = await post(node_client, alice, "followers only", visibility="private")
    direct = await post(node_client, alice, "hi @bob", visibility="direct")
    for status_id in (private["id"], direct["id"]):
        assert (await call(node_client, "GET", f"/api/v1/statuses/{status_id}", bob))[0] == 200
        for token in (carol, None):
            for suffix in ("", "/context", "/history", "/favourited_by", "/reblogged_by"):
                status, body = await call(node_client, "GET", f"/api/v1/statuses/{status_id}{suffix}", token)
                assert status == 404 and body == {"error": "Record not found"}, (suffix, token)
            for action in ("favourite", "reblog", "bookmark"):
                status, _ = await call(node_client, "POST", f"/api/v1/statuses/{status_id}/{action}", carol)
                assert status == 404
    _, profile = await call(node_client, "GET", f"/api/v1/accounts/{alice_id}/statuses", carol)
    assert profile == []
    _, profile = await call(node_client, "GET", f"/api/v1/accounts/{alice_id}/statuses", bob)
    assert {s["id"] for s in profile} == {private["id"], direct["id"]}


async def test_blocks_hide_statuses_both_ways(node_client, node_of):
    node = node_of(node_client)
    alice_id, alice = await user(node, "alice")
    _, bob = await user(node, "bob")
    bob_post = await post(node_client, bob, "bob here")
    alice_post = await post(node_client, alice, "alice here")
    await relate(node_client, alice, bob_post["account"]["id"], "block")
    assert (await call(node_client, "GET", f"/api/v1/statuses/{alice_post['id']}", bob))[0] == 404
    assert (await call(node_client, "GET", f"/api/v1/statuses/{bob_post['id']}", alice))[0] == 404
    assert (await call(node_client, "GET", f"/api/v1/accounts/{alice_id}/statuses", bob))[1] == []


async def test_bad_input_gets_clear_errors_and_stores_nothing(node_client, node_of, tmp_path):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    other = await post(node_client, alice, "exists")
    limit = node.config.node.max_post_chars
    cases = [
        ({"status": "x" * (limit + 1)}, 422),
        ({"status": ""}, 422),
        ({"status": "   "}, 422),
        ({"status": "x", "visibility": "everyone"}, 422),
        ({"status": "x", "in_reply_to_id": "999999"}, 404),
        ({"status": "x", "media_ids": ["1", "2", "3", "4", "5"]}, 422),
        ({"status": "x", "media_ids": ["12345"]}, 422),
        ({"status": "x", "poll": {"options": ["only"], "expires_in": 600}}, 422),
        ({"status": "x", "poll": {"options": ["a", "b", "c", "d", "e"], "expires_in": 600}}, 422),
        ({"status": "x", "poll": {"options": ["a", "b"], "expires_in": 10}}, 422),
        ({"status": "x", "poll": {"options": ["a", "b"]}}, 422),
        ({"status": "x", "poll": {"options": ["a", "b" * 51], "expires_in": 600}}, 422),
        ({"status": "x", "poll": "yes"}, 422),
        ({"status": "x", "sensitive": "maybe"}, 422),
        ({"status": ["not", "text"]}, 422),
    ]
    for body, expected in cases:
        status, answer = await call(node_client, "POST", "/api/v1/statuses", alice, json=body)
        assert status == expected, (body, answer)
        assert isinstance(answer.get("error"), str) and answer["error"], body
    status, answer = await call(node_client, "POST", "/api/v1/statuses", alice, data=b"{not json",
                                headers={"Content-Type": "application/json"})
    assert status == 400 and "error" in answer
    assert (await call(node_client, "POST", "/api/v1/statuses", None, json={"status": "x"}))[0] == 401
    for path in ("/api/v1/statuses/999999", "/api/v1/statuses/nope", "/api/v1/statuses/999999/context"):
        assert (await call(node_client, "GET", path, alice)) == (404, {"error": "Record not found"})
    status, answer = await call(node_client, "PUT", f"/api/v1/statuses/{other['id']}", alice, json={"status": ""})
    assert status == 422 and answer["error"] == "Validation failed: Text can't be blank"
    with node.db:
        assert await Status.all().count() == 1
        assert await StatusTag.all().count() == 0


async def test_character_limit_counts_links_as_23(node_client, node_of, make_config):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    limit = node.config.node.max_post_chars
    link = "https://example.com/" + "a" * 200
    body = await post(node_client, alice, link + " " + "x" * (limit - 24))
    assert body["id"]
