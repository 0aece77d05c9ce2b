"""Highlights across two Entativa nodes over real HTTP: B reads A's account's public highlights collection,
shows it on the remote profile page (each played by B's viewer), holds it for 15 minutes (clock moved,
not slept), reads it again after, and keeps showing the last copy while A is down."""

from __future__ import annotations

from datetime import timedelta

from test_stories_federation import found, post_story


async def test_remote_highlights_cached_refreshed_and_shown(cluster):
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    _, alice = await a.user("alice")
    _, bob = await b.user("bob")
    posted = await post_story(a, alice)
    code, highlight = await a.call("POST", "/api/v1/highlights", alice, json={"title": "Best", "story_ids": [posted["id"]]})
    assert code == 200, highlight
    alice_on_b = await found(b, bob, "alice@node-a.test")

    async def titles() -> list[str]:
        code, shown = await b.call("GET", f"/api/v1/accounts/{alice_on_b}/highlights", bob)
        assert code == 200, shown
        return [h["title"] for h in shown]

    code, shown = await b.call("GET", f"/api/v1/accounts/{alice_on_b}/highlights", bob)
    assert [h["title"] for h in shown] == ["Best"]
    (story,) = shown[0]["stories"]
    assert story["uri"] == posted["uri"] and story["account"]["acct"] == "alice@node-a.test"
    assert story["media_attachment"]["url"].startswith("http://node-a.test/") and not story["can_reply"]

    # the remote profile page on B shows the highlight, opened in B's own viewer
    code, html = await b.call("GET", "/@alice@node-a.test")
    assert code == 200 and 'aria-label="Highlight: Best"' in html
    assert f'href="/accounts/{alice_on_b}/highlights/0"' in html

    # renamed on A: B holds its copy for 15 minutes, then reads the collection again
    code, _ = await a.call("PUT", f"/api/v1/highlights/{highlight['id']}", alice, json={"title": "Greatest"})
    assert code == 200
    assert await titles() == ["Best"]
    b.node.clock.advance(timedelta(minutes=15, seconds=1))
    assert await titles() == ["Greatest"]

    # A is down: past the 15 minutes B still shows the last copy instead of nothing
    await cluster.take_down("node-a.test")
    b.node.clock.advance(timedelta(minutes=16))
    assert await titles() == ["Greatest"]
    code, html = await b.call("GET", "/@alice@node-a.test")
    assert code == 200 and 'aria-label="Highlight: Greatest"' in html
