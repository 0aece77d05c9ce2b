"""Posting, reading, editing and deleting statuses over real HTTP: content rendering, replies and threads,
history and source, counters, idempotency, and the 4xx answers for bad input."""

from __future__ import annotations

from support import bearer, create_user

from node.models import Account, Mention, Status, StatusTag


async def post(client, token, **body):  # type: ignore[no-untyped-def]
    response = await client.post("/api/v1/statuses", json=body, headers=bearer(token))
    return response.status, await response.json()


async def test_post_plain_text_renders_like_mastodon(node_client, node_of):
    node = node_of(node_client)
    _, token = await create_user(node, "alice")
    await create_user(node, "bob")
    status, body = await post(node_client, token, status="Hello @bob and #Fediverse!\nsee https://example.com/a/very/long/path/that/goes/on\n\nbye <b>x</b>")
    assert status == 200, body
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
