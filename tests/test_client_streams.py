"""The client-API features on the streaming API: a list's statuses on the `list` stream (its replies_policy
applied, only to its owner), `conversation` events on the direct stream, `filters_changed` on the user
stream; over a real WebSocket."""

from __future__ import annotations

from fixtures.social import call, follow, post, user
from streaming_support import Socket


async def test_list_conversation_and_filters_events(node_client, node_of):
    node = node_of(node_client)
    ana_id, ana = await user(node, "ana")
    ben_id, ben = await user(node, "ben")
    cy_id, cy = await user(node, "cy")
    await follow(node_client, ana, ben_id)
    _, made = await call(
        node_client, "POST", "/api/v1/lists", ana, json={"title": "Ben", "replies_policy": "none"}
    )
    await call(
        node_client, "POST", f"/api/v1/lists/{made['id']}/accounts", ana, json={"account_ids": [ben_id]}
    )

    listed = await Socket.open(node_client, ana, {"stream": "list", "list": made["id"]})
    other = await post(node_client, cy, "cy speaks")
    await post(node_client, ben, "a reply to cy", in_reply_to_id=other["id"])  # "none": not on the list
    shown = await post(node_client, ben, "ben on the list")
    stream, event, payload = await listed.event()
    assert (stream, event, payload["id"]) == (["list", made["id"]], "update", shown["id"])
    await call(node_client, "DELETE", f"/api/v1/statuses/{shown['id']}", ben)
    assert await listed.event() == (["list", made["id"]], "delete", shown["id"])
    code, body = await call(node_client, "GET", f"/api/v1/streaming/list?list={made['id']}", cy)
    assert (code, body) == (401, {"error": "Not authorized to stream this list"})
    await listed.close()

    direct = await Socket.open(node_client, ana, "direct")
    sent = await post(node_client, ben, "@ana just you", visibility="direct")
    stream, event, conversation = await direct.event()
    assert (stream, event) == (["direct"], "conversation")
    assert conversation["unread"] is True and conversation["last_status"]["id"] == sent["id"]
    assert [a["id"] for a in conversation["accounts"]] == [ben_id]
    await direct.close()

    home = await Socket.open(node_client, ana, "user")
    code, _ = await call(
        node_client, "POST", "/api/v2/filters", ana, json={"title": "x", "context": ["home"]}
    )
    assert code == 200
    assert await home.event() == (["user"], "filters_changed", None)
    await home.close()


async def test_home_stream_applies_exclusive_lists_and_filters_as_the_home_timeline(node_client, node_of):
    node = node_of(node_client)
    ana_id, ana = await user(node, "ana")
    ben_id, ben = await user(node, "ben")
    dee_id, dee = await user(node, "dee")
    await follow(node_client, ana, ben_id)
    await follow(node_client, ana, dee_id)
    _, quiet = await call(node_client, "POST", "/api/v1/lists", ana, json={"title": "Quiet", "exclusive": True})
    await call(node_client, "POST", f"/api/v1/lists/{quiet['id']}/accounts", ana, json={"account_ids": [dee_id]})
    for title, action, word in (("No cats", "hide", "cat"), ("Spoilers", "warn", "dragon")):
        code, _ = await call(node_client, "POST", "/api/v2/filters", ana, json={
            "title": title, "context": ["home"], "filter_action": action,
            "keywords_attributes": [{"keyword": word, "whole_word": True}]})
        assert code == 200

    home = await Socket.open(node_client, ana, "user")
    ben_home = await Socket.open(node_client, ben, "user")
    await post(node_client, dee, "dee on an exclusive list")
    await post(node_client, ben, "my cat sleeps")
    dragon = await post(node_client, ben, "a dragon appears")
    plain = await post(node_client, ben, "just words")
    stream, event, payload = await home.event()
    assert (stream, event, payload["id"]) == (["user"], "update", dragon["id"])
    assert [f["filter"]["title"] for f in payload["filtered"]] == ["Spoilers"]
    assert payload["filtered"][0]["keyword_matches"] == ["dragon"]
    _, _, payload = await home.event()
    assert payload["id"] == plain["id"] and payload["filtered"] == []
    # ben has no filters: he gets his own posts as they are
    seen = [(await ben_home.event())[2]["id"] for _ in range(3)]
    assert seen[1:] == [dragon["id"], plain["id"]]
    await home.close()
    await ben_home.close()

    # the same rule as the home timeline, which shows exactly what the stream sent
    _, timeline = await call(node_client, "GET", "/api/v1/timelines/home", ana)
    assert [s["id"] for s in timeline] == [plain["id"], dragon["id"]]
    assert timeline[1]["filtered"][0]["filter"]["title"] == "Spoilers"
