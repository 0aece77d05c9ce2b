"""Followed and featured hashtags through an unmodified Mastodon.py (and toot): following a tag brings its
public posts into the home timeline (also a federated one), unfollowing stops it, /api/v1/followed_tags;
featured tags with counts, suggestions, another account's featured tags and the actor's featuredTags
collection; the refusals."""

from __future__ import annotations

import asyncio

from federation_nodes import settle
from fixtures.social import call, post, user
from support import create_user
from test_federation_nodes import follow as remote_follow
from test_mastodon_py import served, signed_in


async def test_followed_and_featured_tags_with_mastodon_py(aiohttp_client, make_config, node_of):
    client, base = await served(aiohttp_client, make_config)
    node = node_of(client)
    await create_user(node, "ana")
    await create_user(node, "ben")

    def flows() -> dict:
        ana, ben = signed_in(base, "ana@example.com"), signed_in(base, "ben@example.com")
        before = ben.status_post("#Knitting before the follow")
        followed = ana.tag_follow("Knitting")
        public = ben.status_post("more #knitting today")
        private = ben.status_post("#knitting for followers", visibility="private")
        other = ben.status_post("#cooking is not followed")
        home = ana.timeline_home()
        listed = ana.followed_tags()
        ana.tag_unfollow("knitting")
        after = ben.status_post("#knitting after the unfollow")
        for text in ("#rust one", "#rust two", "#python three"):
            ana.status_post(text)
        suggested = ana.featured_tag_suggestions()
        made = ana.featured_tag_create("rust")
        return {
            "before": before,
            "followed": followed,
            "public": public,
            "private": private,
            "other": other,
            "home": home,
            "listed": listed,
            "home_after": ana.timeline_home(),
            "after": after,
            "tag": ana.tag("knitting"),
            "suggested": suggested,
            "made": made,
            "mine": ana.featured_tags(),
            "seen_by_ben": ben.account_featured_tags(ana.me()["id"]),
            "ana": ana.me(),
        }

    r = await asyncio.to_thread(flows)
    assert r["followed"]["following"] is True and r["followed"]["name"] == "Knitting"
    home = [s["id"] for s in r["home"]]
    assert home == [r["public"]["id"]]  # public posts only, from the moment of following
    assert [t["name"] for t in r["listed"]] == ["Knitting"]
    assert r["after"]["id"] not in [s["id"] for s in r["home_after"]]
    assert r["tag"]["following"] is False
    assert [t["name"] for t in r["suggested"]] == ["rust", "python"]
    assert r["made"]["name"] == "rust" and r["made"]["statuses_count"] == "2" and r["made"]["last_status_at"]
    assert [t["name"] for t in r["mine"]] == ["rust"] and [t["name"] for t in r["seen_by_ben"]] == ["rust"]

    actor = await (await client.get("/users/ana", headers={"Accept": "application/activity+json"})).json()
    assert actor["featuredTags"] == f"{base}/users/ana/collections/tags"
    collection = await (
        await client.get("/users/ana/collections/tags", headers={"Accept": "application/activity+json"})
    ).json()
    assert collection["totalItems"] == 1
    assert collection["orderedItems"] == [{"type": "Hashtag", "href": f"{base}/tags/rust", "name": "#rust"}]


async def test_refusals(node_client, node_of):
    node = node_of(node_client)
    _, ana = await user(node, "ana")
    _, ben = await user(node, "ben")
    assert (await call(node_client, "GET", "/api/v1/tags/neverused"))[0] == 404
    code, body = await call(node_client, "POST", "/api/v1/tags/not%20a%20tag/follow", ana)
    assert code == 422 and "not a valid hashtag" in body["error"]
    code, body = await call(node_client, "POST", "/api/v1/featured_tags", ana, json={})
    assert code == 422 and body["error"] == "Missing parameter: name"
    code, made = await call(node_client, "POST", "/api/v1/featured_tags", ana, json={"name": "#one"})
    assert code == 200 and made["statuses_count"] == "0" and made["last_status_at"] is None
    code, body = await call(node_client, "POST", "/api/v1/featured_tags", ana, json={"name": "one"})
    assert code == 422 and "already been taken" in body["error"]
    for n in range(9):
        assert (await call(node_client, "POST", "/api/v1/featured_tags", ana, json={"name": f"t{n}"}))[
            0
        ] == 200
    code, body = await call(node_client, "POST", "/api/v1/featured_tags", ana, json={"name": "eleventh"})
    assert code == 422 and "up to 10" in body["error"]
    assert (await call(node_client, "DELETE", f"/api/v1/featured_tags/{made['id']}", ben))[0] == 404
    assert await call(node_client, "DELETE", f"/api/v1/featured_tags/{made['id']}", ana) == (200, {})
    assert (await call(node_client, "GET", "/api/v1/followed_tags"))[0] == 401
    await post(node_client, ben, "#once")
    assert (await call(node_client, "POST", "/api/v1/tags/once/follow", ana))[1]["following"] is True
    assert (await call(node_client, "POST", "/api/v1/tags/once/follow", ana))[1][
        "following"
    ] is True  # idempotent
    assert len((await call(node_client, "GET", "/api/v1/followed_tags", ana))[1]) == 1


async def test_a_followed_tag_pulls_in_a_federated_post(cluster):
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    _, alice = await a.user("alice")
    _, carol = await a.user("carol")
    _, bob = await b.user("bob")
    await remote_follow(a, carol, b, "bob@node-b.test")  # carol brings bob's posts to node-a
    await settle([a, b])
    assert (await a.call("POST", "/api/v1/tags/gardening/follow", alice))[0] == 200
    status, sent = await b.call("POST", "/api/v1/statuses", bob, json={"status": "tomatoes! #Gardening"})
    assert status == 200
    await b.call("POST", "/api/v1/statuses", bob, json={"status": "no tag here"})
    await settle([a, b])
    _, home = await a.call("GET", "/api/v1/timelines/home", alice)
    assert [s["uri"] for s in home] == [sent["uri"]]  # alice follows the tag, not bob
    assert home[0]["account"]["acct"] == "bob@node-b.test"
