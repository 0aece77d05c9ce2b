"""Grouped notifications (Mastodon 4.3's /api/v2/notifications) over real HTTP: 50 likes from local and remote
accounts are one group; paging by group stays stable while new notifications arrive; a group and its
accounts, dismissing, unread counts in groups; the twelve-hour span of a group key; bad input."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from federation_nodes import settle
from fixtures.social import call, links, post, user
from support import bearer, create_user

from node.models import Account, Notification
from node.services import notification_groups, notifications


async def favourite_all(fed_call, status_id: str, tokens: list[str]) -> None:  # type: ignore[no-untyped-def]
    answers = await asyncio.gather(
        *(fed_call("POST", f"/api/v1/statuses/{status_id}/favourite", t) for t in tokens)
    )
    assert all(code == 200 for code, _ in answers), answers


async def test_fifty_likes_local_and_remote_are_one_group(cluster):
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    alice, alice_token = await a.user("alice")
    code, hello = await a.call("POST", "/api/v1/statuses", alice_token, json={"status": "like me"})
    assert code == 200
    local_tokens = [t for _, t in await asyncio.gather(*(a.user(f"fan{i}") for i in range(40)))]
    remote_tokens = [t for _, t in await asyncio.gather(*(b.user(f"far{i}") for i in range(10)))]
    code, found = await b.call(
        "GET",
        "/api/v2/search",
        remote_tokens[0],
        params={"q": hello["uri"], "resolve": "true", "type": "statuses"},
    )
    assert code == 200 and found["statuses"], found
    await favourite_all(a.call, hello["id"], local_tokens)
    await favourite_all(b.call, found["statuses"][0]["id"], remote_tokens)
    await settle([a, b])

    code, body = await a.call("GET", "/api/v2/notifications", alice_token)
    assert code == 200, body
    assert len(body["notification_groups"]) == 1, body["notification_groups"]
    group = body["notification_groups"][0]
    assert group["type"] == "favourite" and group["notifications_count"] == 50
    assert group["group_key"].startswith(f"favourite-{hello['id']}-")
    assert group["status_id"] == hello["id"] and [s["id"] for s in body["statuses"]] == [hello["id"]]
    assert len(group["sample_account_ids"]) == 8 == len(set(group["sample_account_ids"]))
    assert [acc["id"] for acc in body["accounts"]] == group[
        "sample_account_ids"
    ]  # full by default, each once
    assert body["accounts"][0]["acct"].startswith("far")  # the newest likes came from node-b
    assert group["page_max_id"] == group["most_recent_notification_id"] and group["page_min_id"]
    assert "partial_accounts" not in body
    with a.db():
        remote = await Notification.filter(type="favourite", from_account__domain="node-b.test").count()
    assert remote == 10

    code, partial = await a.call(
        "GET", "/api/v2/notifications", alice_token, params={"expand_accounts": "partial_avatars"}
    )
    assert code == 200 and len(partial["accounts"]) == 1 and len(partial["partial_accounts"]) == 7
    assert set(partial["partial_accounts"][0]) == {
        "id",
        "acct",
        "locked",
        "bot",
        "url",
        "avatar",
        "avatar_static",
        "avatar_description",
    }

    code, people = await a.call(
        "GET", f"/api/v2/notifications/{group['group_key']}/accounts", alice_token, params={"limit": "80"}
    )
    assert code == 200 and len(people) == 50 and len({p["id"] for p in people}) == 50
    code, one = await a.call("GET", f"/api/v2/notifications/{group['group_key']}", alice_token)
    assert code == 200 and one["notification_groups"][0]["notifications_count"] == 50
    assert "page_min_id" not in one["notification_groups"][0]
    # v1 still lists each like on its own, with the group key
    code, flat = await a.call("GET", "/api/v1/notifications", alice_token, params={"limit": "80"})
    assert code == 200 and len(flat) == 50 and {n["group_key"] for n in flat} == {group["group_key"]}
    assert alice


async def test_paging_by_group_is_stable_while_notifications_arrive(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    fans = [await user(node, f"fan{i}") for i in range(3)]
    posts = [await post(node_client, alice, f"post {i}") for i in range(6)]
    for p in posts:  # six groups of three likes, newest post liked last
        for _, token in fans:
            await call(node_client, "POST", f"/api/v1/statuses/{p['id']}/favourite", token)
    response = await node_client.get("/api/v2/notifications?limit=2", headers=bearer(alice))
    first = await response.json()
    assert [g["status_id"] for g in first["notification_groups"]] == [posts[5]["id"], posts[4]["id"]]
    assert all(g["notifications_count"] == 3 for g in first["notification_groups"])
    next_link, first_prev = links(response)["next"], links(response)["prev"]
    before = await (await node_client.get(next_link, headers=bearer(alice))).json()
    # new likes and a mention arrive while alice pages on: the pages she has not read yet do not move
    _, late = await user(node, "late")
    await call(node_client, "POST", f"/api/v1/statuses/{posts[3]['id']}/favourite", late)
    await post(node_client, late, "@alice hello")
    seen = {g["group_key"] for g in first["notification_groups"]}
    pages = 0
    while next_link:
        response = await node_client.get(next_link, headers=bearer(alice))
        page = await response.json()
        if pages == 0:  # the same groups, counts and accounts (the statuses' own like counts did move)
            assert (page["notification_groups"], page["accounts"]) == (
                before["notification_groups"],
                before["accounts"],
            )
        if not page["notification_groups"]:
            break
        pages += 1
        # a group cut by the page edge shows again below it (clients merge by key), counted from the page's top
        seen |= {g["group_key"] for g in page["notification_groups"]}
        assert {g["type"] for g in page["notification_groups"]} == {"favourite"}
        next_link = links(response).get("next")
    assert seen == {
        g["group_key"]
        for g in (await call(node_client, "GET", "/api/v2/notifications?limit=40", alice))[1][
            "notification_groups"
        ]
        if g["type"] == "favourite"
    }
    assert len(seen) == 6 and pages >= 3
    # paging up from the first page as alice saw it (its prev link) finds what arrived since: the mention,
    # and posts[3]'s group with only the late like above that page's top
    newer = await (await node_client.get(first_prev, headers=bearer(alice))).json()
    assert [g["type"] for g in newer["notification_groups"]] == ["mention", "favourite"]
    assert newer["notification_groups"][1]["status_id"] == posts[3]["id"]
    assert (
        newer["notification_groups"][1]["sample_account_ids"][0]
        == newer["notification_groups"][0]["sample_account_ids"][0]
    )
    code, newest = await call(node_client, "GET", "/api/v2/notifications?limit=2", alice)
    assert [g["type"] for g in newest["notification_groups"]] == ["mention", "favourite"]
    assert newest["notification_groups"][1]["status_id"] == posts[3]["id"]
    assert newest["notification_groups"][1]["notifications_count"] == 4
    # grouped_types: only follows may group, so the likes come one by one
    code, apart = await call(
        node_client, "GET", "/api/v2/notifications?limit=5&grouped_types[]=follow", alice
    )
    assert code == 200 and all(g["group_key"].startswith("ungrouped-") for g in apart["notification_groups"])
    assert len(apart["notification_groups"]) == 5
    # types / exclude_types
    code, mentions = await call(node_client, "GET", "/api/v2/notifications?types[]=mention", alice)
    assert [g["type"] for g in mentions["notification_groups"]] == ["mention"]
    code, no_mentions = await call(node_client, "GET", "/api/v2/notifications?exclude_types[]=mention", alice)
    assert {g["type"] for g in no_mentions["notification_groups"]} == {"favourite"}


async def test_unread_count_dismiss_and_follows_group(node_client, node_of):
    node = node_of(node_client)
    alice_id, alice = await user(node, "alice")
    others = [await user(node, f"friend{i}") for i in range(4)]
    for _, token in others:
        await call(node_client, "POST", f"/api/v1/accounts/{alice_id}/follow", token)
    mine = await post(node_client, alice, "hi")
    await call(node_client, "POST", f"/api/v1/statuses/{mine['id']}/favourite", others[0][1])
    assert await call(node_client, "GET", "/api/v2/notifications/unread_count", alice) == (200, {"count": 2})
    assert await call(node_client, "GET", "/api/v1/notifications/unread_count", alice) == (200, {"count": 5})
    code, body = await call(node_client, "GET", "/api/v2/notifications", alice)
    follows = body["notification_groups"][1]
    assert follows["type"] == "follow" and follows["notifications_count"] == 4 and "status_id" not in follows
    await call(
        node_client,
        "POST",
        "/api/v1/markers",
        alice,
        json={"notifications": {"last_read_id": follows["most_recent_notification_id"]}},
    )
    assert await call(node_client, "GET", "/api/v2/notifications/unread_count", alice) == (200, {"count": 1})
    assert await call(
        node_client, "POST", f"/api/v2/notifications/{follows['group_key']}/dismiss", alice
    ) == (200, {})
    code, body = await call(node_client, "GET", "/api/v2/notifications", alice)
    assert [g["type"] for g in body["notification_groups"]] == ["favourite"]
    assert (await call(node_client, "GET", f"/api/v2/notifications/{follows['group_key']}", alice))[0] == 404
    # somebody else's group is not yours to see or dismiss
    fav_key = body["notification_groups"][0]["group_key"]
    assert (await call(node_client, "GET", f"/api/v2/notifications/{fav_key}", others[1][1]))[0] == 404
    await call(node_client, "POST", f"/api/v2/notifications/{fav_key}/dismiss", others[1][1])
    assert (await call(node_client, "GET", f"/api/v2/notifications/{fav_key}", alice))[0] == 200
    code, single = await call(node_client, "GET", f"/api/v2/notifications/{fav_key}", alice)
    assert single["notification_groups"][0]["sample_account_ids"] == [others[0][0]]


async def test_a_group_spans_twelve_hours(node_client, node_of):
    node = node_of(node_client)
    with node.db:
        alice = (await create_user(node, "alice"))[0].account
        fans = [(await create_user(node, f"fan{i}"))[0].account for i in range(4)]
        status = await Account.get(id=alice.id)  # any row id works as a subject; use a real status below
        start = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)

        async def follow_at(fan: Account, at: datetime) -> str:
            made = await notifications.notify(node, alice, "follow", fan, at=at)
            assert made is not None
            return made.group_key

        first = await follow_at(fans[0], start)
        assert first == f"follow-{int(start.timestamp()) // 3600}"
        assert (
            await follow_at(fans[1], start + timedelta(hours=11, minutes=20)) == first
        )  # still the same group
        later = await follow_at(fans[2], start + timedelta(hours=12, minutes=40))
        assert later != first  # the group began more than twelve hours before
        assert await follow_at(fans[3], start + timedelta(hours=14)) == later
        assert status is not None


async def test_bad_input_is_refused(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    for query in (
        "expand_accounts=everything",
        "limit=lots",
        "max_id=abc",
        "limit=0",
        "include_filtered=perhaps",
    ):
        code, body = await call(node_client, "GET", f"/api/v2/notifications?{query}", alice)
        assert 400 <= code < 500 and "error" in body, (query, code, body)
    code, body = await call(node_client, "GET", "/api/v2/notifications/unread_count?limit=5000", alice)
    assert code == 422 and "error" in body
    assert (await call(node_client, "GET", "/api/v2/notifications/ungrouped-nope", alice))[0] == 404
    assert (await call(node_client, "GET", "/api/v2/notifications/favourite-1-2", alice))[0] == 404
    assert (await call(node_client, "GET", "/api/v2/notifications"))[0] == 401
    code, body = await call(node_client, "GET", "/api/v2/notifications?types[]=no_such_type", alice)
    assert code == 200 and body["notification_groups"] == []  # unknown types match nothing, as Mastodon's
    assert (
        notification_groups.prefix("mention", 5) is None
        and notification_groups.prefix("reblog", 5) == "reblog-5"
    )
