"""Mastodon 4.3's notification policy over real HTTP: v2 accept/filter/drop and the v1 booleans, filtered
mentions rolling up into requests, accept (merged back, sender allowed from then on) and dismiss, singly and in
bulk, and bad values refused with nothing stored."""

from __future__ import annotations

from fixtures.social import call, follow, post, user

from node.models import Notification, NotificationPolicy


async def policy_patch(client, token, **fields):  # type: ignore[no-untyped-def]
    code, body = await call(client, "PATCH", "/api/v2/notifications/policy", token, json=fields)
    assert code == 200, body
    return body


async def test_defaults_and_both_shapes(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    code, body = await call(node_client, "GET", "/api/v2/notifications/policy", alice)
    assert code == 200 and body == {
        "for_not_following": "accept",
        "for_not_followers": "accept",
        "for_new_accounts": "accept",
        "for_private_mentions": "filter",
        "for_limited_accounts": "filter",
        "summary": {"pending_requests_count": 0, "pending_notifications_count": 0},
    }
    body = await policy_patch(node_client, alice, for_not_following="drop", for_new_accounts="filter")
    assert body["for_not_following"] == "drop" and body["for_new_accounts"] == "filter"
    code, v1 = await call(node_client, "GET", "/api/v1/notifications/policy", alice)
    assert code == 200 and v1["filter_not_following"] is True and v1["filter_not_followers"] is False
    code, v1 = await call(
        node_client,
        "PUT",
        "/api/v1/notifications/policy",
        alice,
        json={"filter_not_following": False, "filter_not_followers": True},
    )
    assert code == 200 and v1["filter_not_following"] is False and v1["filter_not_followers"] is True
    _, body = await call(node_client, "GET", "/api/v2/notifications/policy", alice)
    assert body["for_not_following"] == "accept" and body["for_not_followers"] == "filter"
    assert body["for_new_accounts"] == "filter"  # untouched by the v1 call
    for bad in ({"for_not_following": "maybe"}, {"for_new_accounts": ""}, {"for_private_mentions": 3}):
        code, answer = await call(node_client, "PATCH", "/api/v2/notifications/policy", alice, json=bad)
        assert code == 422 and "error" in answer, (bad, code, answer)
    code, answer = await call(
        node_client, "PUT", "/api/v1/notifications/policy", alice, json={"filter_new_accounts": "perhaps"}
    )
    assert code == 422 and "error" in answer
    _, after = await call(node_client, "GET", "/api/v2/notifications/policy", alice)
    assert after == body  # refused changes left nothing behind
    assert (await call(node_client, "GET", "/api/v2/notifications/policy"))[0] == 401


async def test_filtered_mentions_become_requests_accept_and_dismiss(node_client, node_of):
    node = node_of(node_client)
    alice_id, alice = await user(node, "alice")
    friend_id, friend = await user(node, "friend")
    stranger_id, stranger = await user(node, "stranger")
    pest_id, pest = await user(node, "pest")
    await follow(node_client, alice, friend_id)
    await policy_patch(node_client, alice, for_not_following="filter")
    await post(node_client, friend, "@alice hi from a friend")
    await post(node_client, stranger, "@alice first")
    await post(node_client, stranger, "@alice second")
    await post(node_client, pest, "@alice buy my stuff")
    mine = await post(node_client, alice, "my post")
    await call(
        node_client, "POST", f"/api/v1/statuses/{mine['id']}/favourite", stranger
    )  # filtered, no request

    _, listed = await call(node_client, "GET", "/api/v1/notifications", alice)
    assert [n["account"]["id"] for n in listed] == [friend_id]
    _, grouped = await call(node_client, "GET", "/api/v2/notifications", alice)
    assert [g["sample_account_ids"] for g in grouped["notification_groups"]] == [[friend_id]]
    _, everything = await call(node_client, "GET", "/api/v2/notifications?include_filtered=true", alice)
    assert len(everything["notification_groups"]) == 5
    assert await call(node_client, "GET", "/api/v1/notifications/unread_count", alice) == (200, {"count": 1})
    _, policy = await call(node_client, "GET", "/api/v2/notifications/policy", alice)
    assert policy["summary"] == {"pending_requests_count": 2, "pending_notifications_count": 3}

    code, requests = await call(node_client, "GET", "/api/v1/notifications/requests", alice)
    assert code == 200 and [r["account"]["id"] for r in requests] == [pest_id, stranger_id]
    from_stranger = requests[1]
    assert from_stranger["notifications_count"] == "2" and "second" in from_stranger["last_status"]["content"]
    code, one = await call(node_client, "GET", f"/api/v1/notifications/requests/{from_stranger['id']}", alice)
    assert code == 200 and one["id"] == from_stranger["id"]
    assert (await call(node_client, "GET", f"/api/v1/notifications/requests/{from_stranger['id']}", friend))[
        0
    ] == 404

    # accept: the stranger's filtered notifications join the others, and later ones pass
    assert await call(
        node_client, "POST", f"/api/v1/notifications/requests/{from_stranger['id']}/accept", alice
    ) == (200, {})
    assert await call(node_client, "GET", "/api/v1/notifications/requests/merged", alice) == (
        200,
        {"merged": True},
    )
    await post(node_client, stranger, "@alice third")
    _, listed = await call(node_client, "GET", "/api/v1/notifications", alice)
    assert [n["account"]["id"] for n in listed].count(stranger_id) == 4  # two mentions, the like, one more
    # dismiss: the pest's request and its notifications are gone; a new mention makes a new request
    requests = (await call(node_client, "GET", "/api/v1/notifications/requests", alice))[1]
    assert [r["account"]["id"] for r in requests] == [pest_id]
    assert await call(
        node_client, "POST", f"/api/v1/notifications/requests/{requests[0]['id']}/dismiss", alice
    ) == (200, {})
    with node.db:
        assert not await Notification.filter(from_account_id=int(pest_id)).exists()
    await post(node_client, pest, "@alice again")
    requests = (await call(node_client, "GET", "/api/v1/notifications/requests", alice))[1]
    assert [(r["account"]["id"], r["notifications_count"]) for r in requests] == [(pest_id, "1")]
    # bulk
    code, answer = await call(node_client, "POST", "/api/v1/notifications/requests/accept", alice, json={})
    assert code == 422 and "error" in answer
    assert await call(
        node_client, "POST", "/api/v1/notifications/requests/accept", alice, json={"id": [requests[0]["id"]]}
    ) == (200, {})
    assert (await call(node_client, "GET", "/api/v1/notifications/requests", alice))[1] == []
    assert (await call(node_client, "POST", "/api/v1/notifications/requests/nope/accept", alice))[0] == 404
    assert alice_id


async def test_drop_private_mentions_and_follower_age(node_client, node_of):
    node = node_of(node_client)
    alice_id, alice = await user(node, "alice")
    bob_id, bob = await user(node, "bob")
    # default: a private mention from someone alice does not follow is filtered into a request
    await post(node_client, bob, "@alice psst", visibility="direct")
    assert (await call(node_client, "GET", "/api/v1/notifications", alice))[1] == []
    assert len((await call(node_client, "GET", "/api/v1/notifications/requests", alice))[1]) == 1
    # drop: nothing is kept
    await policy_patch(node_client, alice, for_private_mentions="drop", for_not_followers="drop")
    await post(node_client, bob, "@alice psst again", visibility="direct")
    await follow(node_client, bob, alice_id)  # a brand new follower is not yet a follower (three days)
    with node.db:
        assert await Notification.filter(account_id=int(alice_id)).count() == 1
        assert await NotificationPolicy.filter(account_id=int(alice_id)).count() == 1
    # once alice follows bob, his private mentions are no longer "from a stranger"
    await policy_patch(node_client, alice, for_not_followers="accept")
    await follow(node_client, alice, bob_id)
    await post(node_client, bob, "@alice now we are friends", visibility="direct")
    _, listed = await call(node_client, "GET", "/api/v1/notifications", alice)
    assert [n["type"] for n in listed] == ["mention"] and "friends" in listed[0]["status"]["content"]


async def test_streams_skip_filtered_and_hear_the_merge(node_client, node_of):
    from streaming_support import Socket

    node = node_of(node_client)
    alice_id, alice = await user(node, "alice")
    friend_id, friend = await user(node, "friend")
    _, stranger = await user(node, "stranger")
    await follow(node_client, alice, friend_id)
    await policy_patch(node_client, alice, for_not_following="filter")
    socket = await Socket.open(node_client, alice, "user:notification")
    await post(node_client, stranger, "@alice let me in")  # filtered: nothing on the stream
    await post(node_client, friend, "@alice hello")
    stream, event, payload = await socket.event()
    assert (stream, event) == (["user:notification"], "notification") and payload["account"][
        "id"
    ] == friend_id
    requests = (await call(node_client, "GET", "/api/v1/notifications/requests", alice))[1]
    await call(node_client, "POST", f"/api/v1/notifications/requests/{requests[0]['id']}/accept", alice)
    assert await socket.event() == (["user:notification"], "notifications_merged", 1)
    await socket.ws.close()
    assert alice_id


async def test_a_follow_stamped_without_an_offset_still_counts(node_client, node_of):
    """A follow whose created_at was stored without a UTC offset (as another tool or an import writes it)
    is read as UTC: the follower-age rule compared it with the aware clock and raised, losing the mention."""
    from datetime import UTC, datetime, timedelta

    import pytest
    from tortoise import connections

    from node import db
    from node.models import Follow

    node = node_of(node_client)
    alice_id, alice = await user(node, "alice")
    bob_id, bob = await user(node, "bob")
    await policy_patch(node_client, alice, for_not_followers="drop")
    await follow(node_client, bob, alice_id)
    with node.db:
        if not db.is_sqlite(Follow):
            pytest.skip("only SQLite's grouped write reads the stamp itself")
        stamp = (datetime.now(UTC) - timedelta(days=10)).replace(tzinfo=None).isoformat(sep=" ")
        await connections.get("default").execute_query(
            "UPDATE follows SET created_at = ? WHERE account_id = ?", [stamp, int(bob_id)])
    await post(node_client, bob, "@alice an old follower says hi")
    _, listed = await call(node_client, "GET", "/api/v1/notifications", alice)
    assert [n["type"] for n in listed] == ["mention"] and "old follower" in listed[0]["status"]["content"]
