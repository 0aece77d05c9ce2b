"""Timelines over real HTTP: home (followed accounts, replies rule, mutes, blocks, unfollow), public
(local/remote/only_media, no reblogs), hashtag (any/all/none), account statuses and their filters, and
Mastodon pagination with max_id / since_id / min_id and Link headers."""

from __future__ import annotations

from fixtures.social import call, follow, links, png_bytes, post, relate, upload, user
from support import bearer


async def ids_of(client, path, token=None):  # type: ignore[no-untyped-def]
    code, body = await call(client, "GET", path, token)
    assert code == 200, body
    return [s["id"] for s in body]


async def test_home_shows_own_and_followed_statuses(node_client, node_of):
    node = node_of(node_client)
    alice_id, alice = await user(node, "alice")
    bob_id, bob = await user(node, "bob")
    _, carol = await user(node, "carol")
    await follow(node_client, alice, bob_id)
    mine = await post(node_client, alice, "mine")
    bobs = await post(node_client, bob, "from bob")
    private = await post(node_client, bob, "bob's followers", visibility="private")
    stranger = await post(node_client, carol, "stranger")
    direct_to_alice = await post(node_client, carol, "psst @alice", visibility="direct")
    home = await ids_of(node_client, "/api/v1/timelines/home", alice)
    assert home == [direct_to_alice["id"], private["id"], bobs["id"], mine["id"]]
    assert await ids_of(node_client, "/api/v1/timelines/home", carol) == [direct_to_alice["id"], stranger["id"]]
    assert (await call(node_client, "GET", "/api/v1/timelines/home"))[0] == 401
    await relate(node_client, alice, bob_id, "unfollow")
    assert await ids_of(node_client, "/api/v1/timelines/home", alice) == [direct_to_alice["id"], mine["id"]]
    assert alice_id


async def test_home_drops_muted_and_blocked_and_includes_reblogs(node_client, node_of):
    node = node_of(node_client)
    alice_id, alice = await user(node, "alice")
    bob_id, bob = await user(node, "bob")
    carol_id, carol = await user(node, "carol")
    await follow(node_client, alice, bob_id)
    await follow(node_client, alice, carol_id)
    carols = await post(node_client, carol, "carol speaks")
    _, reblog = await call(node_client, "POST", f"/api/v1/statuses/{carols['id']}/reblog", bob)
    bobs = await post(node_client, bob, "bob speaks")
    home = await ids_of(node_client, "/api/v1/timelines/home", alice)
    assert home == [bobs["id"], reblog["id"], carols["id"]]
    await relate(node_client, alice, carol_id, "mute")
    assert await ids_of(node_client, "/api/v1/timelines/home", alice) == [bobs["id"]]  # the reblog of carol too
    assert (await call(node_client, "GET", f"/api/v1/statuses/{carols['id']}", alice))[0] == 200  # mute != hide
    await relate(node_client, alice, carol_id, "unmute")
    await relate(node_client, bob, alice_id, "block")
    assert bobs["id"] not in await ids_of(node_client, "/api/v1/timelines/home", alice)


async def test_public_timeline_filters(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    _, bob = await user(node, "bob")
    first = await post(node_client, alice, "public one")
    await post(node_client, alice, "unlisted", visibility="unlisted")
    await post(node_client, alice, "private", visibility="private")
    await post(node_client, bob, "a reply to alice", in_reply_to_id=first["id"])
    thread = await post(node_client, alice, "self thread", in_reply_to_id=first["id"])
    await call(node_client, "POST", f"/api/v1/statuses/{first['id']}/reblog", bob)
    _, media = await upload(node_client, bob, png_bytes(), "p.png", "image/png")
    pictured = await post(node_client, bob, "with a picture", media_ids=[media["id"]])
    everything = [pictured["id"], thread["id"], first["id"]]
    assert await ids_of(node_client, "/api/v1/timelines/public") == everything
    assert await ids_of(node_client, "/api/v1/timelines/public?local=true", alice) == everything
    assert await ids_of(node_client, "/api/v1/timelines/public?remote=true") == []
    assert await ids_of(node_client, "/api/v1/timelines/public?only_media=true") == [pictured["id"]]
    await relate(node_client, alice, pictured["account"]["id"], "mute")
    assert await ids_of(node_client, "/api/v1/timelines/public", alice) == [thread["id"], first["id"]]


async def test_hashtag_timeline_any_all_none(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    cats = await post(node_client, alice, "#cats only")
    both = await post(node_client, alice, "#cats and #dogs")
    dogs = await post(node_client, alice, "#Dogs only")
    await post(node_client, alice, "#cats but private", visibility="private")
    assert await ids_of(node_client, "/api/v1/timelines/tag/cats") == [both["id"], cats["id"]]
    assert await ids_of(node_client, "/api/v1/timelines/tag/CATS?any[]=dogs") == [dogs["id"], both["id"], cats["id"]]
    assert await ids_of(node_client, "/api/v1/timelines/tag/cats?all[]=dogs") == [both["id"]]
    assert await ids_of(node_client, "/api/v1/timelines/tag/cats?none[]=dogs") == [cats["id"]]
    assert await ids_of(node_client, "/api/v1/timelines/tag/nothing") == []


async def test_account_statuses_filters(node_client, node_of):
    node = node_of(node_client)
    alice_id, alice = await user(node, "alice")
    _, bob = await user(node, "bob")
    bobs = await post(node_client, bob, "bob")
    top = await post(node_client, alice, "top #tagged")
    reply = await post(node_client, alice, "reply to bob", in_reply_to_id=bobs["id"])
    self_reply = await post(node_client, alice, "self reply", in_reply_to_id=top["id"])
    _, media = await upload(node_client, alice, png_bytes(), "p.png", "image/png")
    pictured = await post(node_client, alice, "pic", media_ids=[media["id"]])
    base = f"/api/v1/accounts/{alice_id}/statuses"
    assert await ids_of(node_client, base) == [pictured["id"], self_reply["id"], reply["id"], top["id"]]
    assert await ids_of(node_client, base + "?exclude_replies=true") == [pictured["id"], self_reply["id"], top["id"]]
    assert await ids_of(node_client, base + "?only_media=true") == [pictured["id"]]
    assert await ids_of(node_client, base + "?tagged=Tagged") == [top["id"]]
    assert await ids_of(node_client, base + "?pinned=true") == []
    assert (await call(node_client, "GET", "/api/v1/accounts/999/statuses"))[0] == 404


async def test_pagination_max_since_min_and_link_headers(node_client, node_of):
    node = node_of(node_client)
    alice_id, alice = await user(node, "alice")
    made = [(await post(node_client, alice, f"n{i}"))["id"] for i in range(7)]
    newest_first = list(reversed(made))
    base = f"/api/v1/accounts/{alice_id}/statuses"
    for path in (base, "/api/v1/timelines/home", "/api/v1/timelines/public"):
        response = await node_client.get(path + "?limit=3", headers=bearer(alice))
        page = [s["id"] for s in await response.json()]
        assert page == newest_first[:3]
        pages = links(response)
        assert f"max_id={newest_first[2]}" in pages["next"] and f"min_id={newest_first[0]}" in pages["prev"]
        response = await node_client.get(pages["next"], headers=bearer(alice))
        assert [s["id"] for s in await response.json()] == newest_first[3:6]
        assert await ids_of(node_client, f"{path}?since_id={made[4]}", alice) == newest_first[:2]
        assert await ids_of(node_client, f"{path}?min_id={made[1]}&limit=2", alice) == [made[3], made[2]]
        assert await ids_of(node_client, f"{path}?max_id={made[4]}&since_id={made[1]}", alice) == [made[3], made[2]]
        empty = await node_client.get(f"{path}?since_id={made[-1]}", headers=bearer(alice))
        assert await empty.json() == [] and "Link" not in empty.headers
    code, body = await call(node_client, "GET", f"{base}?limit=abc", alice)
    assert code == 422 and "error" in body
