"""Follows, follow requests, blocks and mutes over real HTTP, with their effect on counts, relationships,
notifications and home feeds."""

from __future__ import annotations

from datetime import UTC, datetime

from support import bearer, create_user
from yarl import URL

from node.models import Account, Follow, FollowRequest, HomeFeedEntry, Mute, Notification, Status


async def people(node, *names: str, locked: tuple[str, ...] = ()):
    result = {}
    for name in names:
        user, token = await create_user(node, name)
        if name in locked:
            with node.db:
                await Account.filter(id=user.account.id).update(locked=True)
        result[name] = (str(user.account.id), token)
    return result


def next_link(response) -> str:
    """The rel="next" target of a Link header, as a path the test client can request."""
    return URL(response.headers["Link"].split(">")[0].lstrip("<")).path_qs


async def account_json(client, account_id: str) -> dict:
    return await (await client.get(f"/api/v1/accounts/{account_id}")).json()


async def counts(client, account_id: str) -> tuple[int, int]:
    body = await account_json(client, account_id)
    return body["followers_count"], body["following_count"]


async def post(client, path: str, token: str, **data) -> dict:
    response = await client.post(path, headers=bearer(token), data=data)
    assert response.status == 200, (path, await response.text())
    return await response.json()


async def test_follow_and_unfollow(node_client, node_of):
    node = node_of(node_client)
    p = await people(node, "amy", "ben")
    amy, amy_token = p["amy"]
    ben, _ = p["ben"]
    with node.db:
        old = await Status.create(account_id=int(ben), text="hi", content="<p>hi</p>", created_at=datetime.now(UTC))

    rel = await post(node_client, f"/api/v1/accounts/{ben}/follow", amy_token, reblogs="false", notify="true")
    assert rel["id"] == ben and rel["following"] is True and rel["requested"] is False
    assert rel["showing_reblogs"] is False and rel["notifying"] is True
    assert await counts(node_client, ben) == (1, 0) and await counts(node_client, amy) == (0, 1)
    await node.settle()
    with node.db:
        notes = await Notification.filter(account_id=int(ben)).values_list("type", "from_account_id")
        assert notes == [("follow", int(amy))]
        assert await HomeFeedEntry.filter(account_id=int(amy), status_id=old.id).exists()

    again = await post(node_client, f"/api/v1/accounts/{ben}/follow", amy_token, reblogs="true")
    assert again["showing_reblogs"] is True and again["notifying"] is True
    assert await counts(node_client, ben) == (1, 0)

    rel = await post(node_client, f"/api/v1/accounts/{ben}/unfollow", amy_token)
    assert rel["following"] is False
    assert await counts(node_client, ben) == (0, 0) and await counts(node_client, amy) == (0, 0)
    with node.db:
        assert not await HomeFeedEntry.filter(account_id=int(amy), author_id=int(ben)).exists()
    await post(node_client, f"/api/v1/accounts/{ben}/unfollow", amy_token)  # not following: still fine
    assert await counts(node_client, ben) == (0, 0)


async def test_locked_account_requests(node_client, node_of):
    node = node_of(node_client)
    p = await people(node, "cat", "dan", "eve", locked=("cat",))
    cat, cat_token = p["cat"]
    dan, dan_token = p["dan"]
    eve, eve_token = p["eve"]

    rel = await post(node_client, f"/api/v1/accounts/{cat}/follow", dan_token)
    assert rel["following"] is False and rel["requested"] is True
    await post(node_client, f"/api/v1/accounts/{cat}/follow", eve_token)
    assert await counts(node_client, cat) == (0, 0)
    await node.settle()
    with node.db:
        assert await Notification.filter(account_id=int(cat), type="follow_request").count() == 2

    listed = await node_client.get("/api/v1/follow_requests", headers=bearer(cat_token), params={"limit": "1"})
    assert [a["id"] for a in await listed.json()] == [eve]
    assert 'rel="next"' in listed.headers["Link"]
    older = await node_client.get(next_link(listed), headers=bearer(cat_token))
    assert [a["id"] for a in await older.json()] == [dan]
    me = await (await node_client.get("/api/v1/accounts/verify_credentials", headers=bearer(cat_token))).json()
    assert me["source"]["follow_requests_count"] == 2
    rels = await (await node_client.get("/api/v1/accounts/relationships", headers=bearer(cat_token),
                                        params=[("id[]", dan), ("id[]", eve)])).json()
    assert [r["requested_by"] for r in rels] == [True, True]

    rel = await post(node_client, f"/api/v1/follow_requests/{dan}/authorize", cat_token)
    assert rel["id"] == dan and rel["followed_by"] is True and rel["requested_by"] is False
    assert await counts(node_client, cat) == (1, 0) and await counts(node_client, dan) == (0, 1)
    rel = await post(node_client, f"/api/v1/follow_requests/{eve}/reject", cat_token)
    assert rel["followed_by"] is False and rel["requested_by"] is False
    assert await counts(node_client, cat) == (1, 0) and await counts(node_client, eve) == (0, 0)
    assert await (await node_client.get("/api/v1/follow_requests", headers=bearer(cat_token))).json() == []
    again = await node_client.post(f"/api/v1/follow_requests/{eve}/authorize", headers=bearer(cat_token))
    assert again.status == 404 and await again.json() == {"error": "Record not found"}

    # Unfollowing withdraws a pending request.
    await post(node_client, f"/api/v1/accounts/{cat}/follow", eve_token)
    rel = await post(node_client, f"/api/v1/accounts/{cat}/unfollow", eve_token)
    assert rel["requested"] is False
    with node.db:
        assert not await FollowRequest.filter(account_id=int(eve)).exists()

    followers = await (await node_client.get(f"/api/v1/accounts/{cat}/followers")).json()
    assert [a["id"] for a in followers] == [dan]
    following = await (await node_client.get(f"/api/v1/accounts/{dan}/following")).json()
    assert [a["id"] for a in following] == [cat]


async def test_following_a_remote_account_waits_for_its_answer(node_client, node_of):
    node = node_of(node_client)
    p = await people(node, "fin")
    fin, fin_token = p["fin"]
    with node.db:
        remote = await Account.create(username="far", domain="remote.example", uri="https://remote.example/u/far")
    rel = await post(node_client, f"/api/v1/accounts/{remote.id}/follow", fin_token)
    assert rel["requested"] is True and rel["following"] is False
    assert await counts(node_client, fin) == (0, 0)


async def test_block_removes_follows_both_ways(node_client, node_of):
    node = node_of(node_client)
    p = await people(node, "gil", "hal", "ida", locked=("ida",))
    gil, gil_token = p["gil"]
    hal, hal_token = p["hal"]
    ida, ida_token = p["ida"]
    await post(node_client, f"/api/v1/accounts/{hal}/follow", gil_token)
    await post(node_client, f"/api/v1/accounts/{gil}/follow", hal_token)
    await post(node_client, f"/api/v1/accounts/{ida}/follow", gil_token)  # a pending request
    assert await counts(node_client, gil) == (1, 1)
    with node.db:
        hal_post = await Status.create(account_id=int(hal), text="x", content="x", created_at=datetime.now(UTC))
        await HomeFeedEntry.create(account_id=int(gil), status_id=hal_post.id, author_id=int(hal))

    rel = await post(node_client, f"/api/v1/accounts/{hal}/block", gil_token)
    assert rel["blocking"] is True and rel["following"] is False and rel["followed_by"] is False
    assert await counts(node_client, gil) == (0, 0) and await counts(node_client, hal) == (0, 0)
    with node.db:
        assert not await Follow.filter(account_id__in=(int(gil), int(hal))).exists()
        assert not await HomeFeedEntry.filter(account_id=int(gil), author_id=int(hal)).exists()
    seen_by_hal = await (await node_client.get("/api/v1/accounts/relationships", headers=bearer(hal_token),
                                               params={"id[]": gil})).json()
    assert seen_by_hal[0]["blocked_by"] is True

    for token, target in ((gil_token, hal), (hal_token, gil)):
        refused = await node_client.post(f"/api/v1/accounts/{target}/follow", headers=bearer(token))
        assert refused.status == 403 and await refused.json() == {"error": "This action is not allowed"}

    await post(node_client, f"/api/v1/accounts/{gil}/block", ida_token)  # the locked account blocks a requester
    with node.db:
        assert not await FollowRequest.filter(account_id=int(gil)).exists()

    blocks = await node_client.get("/api/v1/blocks", headers=bearer(gil_token))
    assert [a["id"] for a in await blocks.json()] == [hal] and "Link" in blocks.headers
    rel = await post(node_client, f"/api/v1/accounts/{hal}/unblock", gil_token)
    assert rel["blocking"] is False
    assert await (await node_client.get("/api/v1/blocks", headers=bearer(gil_token))).json() == []
    await post(node_client, f"/api/v1/accounts/{hal}/follow", gil_token)
    assert await counts(node_client, hal) == (1, 0)


async def test_mute_and_unmute(node_client, node_of):
    node = node_of(node_client)
    p = await people(node, "jo", "kai")
    jo, jo_token = p["jo"]
    kai, kai_token = p["kai"]
    rel = await post(node_client, f"/api/v1/accounts/{kai}/mute", jo_token)
    assert rel["muting"] is True and rel["muting_notifications"] is True
    await post(node_client, f"/api/v1/accounts/{jo}/follow", kai_token)
    await node.settle()
    with node.db:
        assert not await Notification.filter(account_id=int(jo)).exists()  # muted notifications stay quiet

    rel = await post(node_client, f"/api/v1/accounts/{kai}/mute", jo_token, notifications="false", duration="3600")
    assert rel["muting"] is True and rel["muting_notifications"] is False
    mutes = await (await node_client.get("/api/v1/mutes", headers=bearer(jo_token))).json()
    assert [m["id"] for m in mutes] == [kai] and mutes[0]["mute_expires_at"].endswith("Z")

    with node.db:
        await Mute.all().update(expires_at=datetime(2000, 1, 1, tzinfo=UTC))
    rel = (await (await node_client.get("/api/v1/accounts/relationships", headers=bearer(jo_token),
                                        params={"id[]": kai})).json())[0]
    assert rel["muting"] is False  # expired, even before the sweep
    with node.db:
        from node.services import relationships
        assert await relationships.expire_mutes() == 1

    await post(node_client, f"/api/v1/accounts/{kai}/mute", jo_token)
    rel = await post(node_client, f"/api/v1/accounts/{kai}/unmute", jo_token)
    assert rel["muting"] is False
    assert await (await node_client.get("/api/v1/mutes", headers=bearer(jo_token))).json() == []


async def test_follower_lists_page_with_link_headers(node_client, node_of):
    node = node_of(node_client)
    names = ("lin", "f1", "f2", "f3")
    p = await people(node, *names)
    lin, _ = p["lin"]
    for name in names[1:]:
        await post(node_client, f"/api/v1/accounts/{lin}/follow", p[name][1])
    first = await node_client.get(f"/api/v1/accounts/{lin}/followers", params={"limit": "2"})
    assert [a["username"] for a in await first.json()] == ["f3", "f2"]
    link = first.headers["Link"]
    next_url = next_link(first)
    assert "max_id=" in next_url and 'rel="prev"' in link
    second = await node_client.get(next_url)
    assert [a["username"] for a in await second.json()] == ["f1"]
    assert await counts(node_client, lin) == (3, 0)


async def test_relationship_bad_input(node_client, node_of):
    node = node_of(node_client)
    p = await people(node, "max", "ned")
    me, token = p["max"]
    ned, _ = p["ned"]
    for action in ("follow", "unfollow", "block", "unblock", "mute", "unmute", "remove_from_followers"):
        response = await node_client.post(f"/api/v1/accounts/99999999/{action}", headers=bearer(token))
        assert response.status == 404 and await response.json() == {"error": "Record not found"}, action
        anonymous = await node_client.post(f"/api/v1/accounts/{ned}/{action}")
        assert anonymous.status == 401 and "error" in await anonymous.json(), action
    for action in ("follow", "block", "mute"):
        response = await node_client.post(f"/api/v1/accounts/{me}/{action}", headers=bearer(token))
        assert response.status == 403 and "error" in await response.json(), action
    for bad in ({"duration": "-5"}, {"duration": "soon"}, {"notifications": "perhaps"}):
        response = await node_client.post(f"/api/v1/accounts/{ned}/mute", headers=bearer(token), data=bad)
        assert response.status == 422 and "error" in await response.json(), bad
    bad_follow = await node_client.post(f"/api/v1/accounts/{ned}/follow", headers=bearer(token),
                                        data={"reblogs": "sometimes"})
    assert bad_follow.status == 422
    malformed = await node_client.post(f"/api/v1/accounts/{ned}/follow", data=b"{",
                                       headers={**bearer(token), "Content-Type": "application/json"})
    assert malformed.status == 400 and "error" in await malformed.json()
    for path in ("/api/v1/follow_requests/99999/authorize", "/api/v1/follow_requests/abc/reject"):
        response = await node_client.post(path, headers=bearer(token))
        assert response.status == 404, path
    ids = await node_client.get("/api/v1/accounts/relationships", headers=bearer(token), params={"id[]": "x"})
    assert ids.status == 422
    assert (await node_client.get("/api/v1/accounts/relationships", params={"id[]": ned})).status == 401
    assert (await node_client.get("/api/v1/blocks", headers=bearer("nope"))).status == 401
    with node.db:
        assert await Follow.all().count() == 0 and await Mute.all().count() == 0
    assert await counts(node_client, ned) == (0, 0)
