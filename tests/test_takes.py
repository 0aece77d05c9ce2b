"""Takes over the client API: real videos probed and stored, bad uploads refused with nothing left behind,
the embedded Mastodon Status, likes/comments/shares/saves through /api/v1/statuses, views, the feeds,
Behind-the-Take steps, editing, deleting, limits from [takes], search, and the OpenAPI document."""

from __future__ import annotations

import pytest
from fixtures.social import call, png_bytes, upload, user
from fixtures.video import mp4, take_form, video_bytes, webm

from node.api.keys import NODE
from node.models import BehindTheTakeStep, MediaAttachment, Status, Take


async def post_take(client, token: str, data: bytes | None = None, **fields):  # type: ignore[no-untyped-def]
    form = take_form(mp4() if data is None else data, **fields)
    return await call(client, "POST", "/api/v1/takes", token, data=form)


async def counts(node) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    with node.db:
        return await Status.all().count(), await Take.all().count(), await MediaAttachment.all().count()


def stored_files(node) -> list:  # type: ignore[no-untyped-def]
    return [p for p in node.config.media_dir.rglob("*") if p.is_file()]


async def test_a_take_is_a_probed_video_status_with_its_extras(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    code, take = await post_take(node_client, alice, caption="First take #dance",
                                 sound={"title": "Night Drive", "author": "DJ Sol", "url": "https://music.example/nd"})
    assert code == 200, take
    assert take["duration"] == pytest.approx(1.0, abs=0.1) and (take["width"], take["height"]) == (48, 64)
    assert take["sound"] == {"title": "Night Drive", "author": "DJ Sol", "url": "https://music.example/nd"}
    assert take["views_count"] == 0 and take["trend"] is None and take["behind_the_take"] is None
    status = take["status"]  # an ordinary client still sees a video status
    assert status["id"] == take["id"] and status["media_attachments"][0]["type"] == "video"
    video = status["media_attachments"][0]
    assert video["url"].endswith(".mp4") and video["preview_url"].endswith(".jpg")  # the poster frame
    assert video["meta"]["original"]["width"] == 48 and video["meta"]["original"]["duration"] == pytest.approx(1.0, abs=0.1)
    assert "First take" in status["content"] and "Sound: " in status["content"]
    assert [t["name"] for t in status["tags"]] == ["dance"]
    async with node_client.get(video["url"].replace(node.base_url, "")) as response:  # served and playable
        assert response.status == 200 and (await response.read())[4:8] == b"ftyp"
    code, again = await call(node_client, "GET", f"/api/v1/takes/{take['id']}", alice)
    assert code == 200 and again["status"]["content"] == status["content"]
    code, plain = await call(node_client, "GET", f"/api/v1/statuses/{take['id']}", alice)
    assert code == 200 and plain["media_attachments"][0]["id"] == video["id"]


async def test_webm_vp9_is_accepted_too(node_client, node_of):
    _, alice = await user(node_of(node_client), "alice")
    code, take = await post_take(node_client, alice, webm(), filename="t.webm", content_type="video/webm")
    assert code == 200, take
    assert take["status"]["media_attachments"][0]["url"].endswith(".webm")


async def test_what_is_not_a_playable_video_is_refused_and_leaves_nothing(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    before = await counts(node)
    cases = [
        (b"this is plain text, renamed" * 20, "fake.mp4", "not a playable video"),
        (png_bytes(), "picture.mp4", "must be a video, not an image"),
        (video_bytes("mpeg4"), "old.mp4", "codec mpeg4"),
    ]
    for data, name, message in cases:
        code, body = await post_take(node_client, alice, data, filename=name)
        assert code == 422, (name, body)
        assert message in body["error"], body
    code, body = await call(node_client, "POST", "/api/v1/takes", alice, data=take_form(None, caption="no video"))
    assert code == 422 and "needs a video" in body["error"]
    code, image = await upload(node_client, alice, png_bytes(), "p.png", "image/png")
    code, body = await call(node_client, "POST", "/api/v1/takes", alice, json={"media_id": image["id"]})
    assert code == 422 and "must be a video" in body["error"]
    assert await counts(node) == (before[0], before[1], before[2] + 1)  # only the image upload itself
    assert len(stored_files(node)) == 2  # that image and its preview


async def test_take_limits_come_from_the_takes_config(aiohttp_client, make_config):
    from node.app import build_app
    from node.config import ConfigError, parse

    client = await aiohttp_client(build_app(make_config(takes={"max_seconds": 1, "max_mb": 1}), scheduler=False))
    node = client.app[NODE]
    _, alice = await user(node, "alice")
    long_take = video_bytes(frames=36)  # 3 s
    code, body = await post_take(client, alice, long_take)
    assert code == 422 and "at most 1 seconds" in body["error"]
    big = b"\0" * (1024 * 1024 + 10)
    code, body = await post_take(client, alice, big, filename="big.mp4")
    assert code == 413, body
    assert await counts(node) == (0, 0, 0) and stored_files(node) == []
    for bad in ({"max_mb": 0}, {"max_seconds": "long"}, {"nope": 1}):
        with pytest.raises(ConfigError, match="takes."):
            parse({"takes": bad}, node.config.path)


async def test_bad_take_fields_are_422_and_write_nothing(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    cases = [
        ({"caption": "x" * 2201}, "Caption is too long"),
        ({"visibility": "everyone"}, "Visibility must be one of"),
        ({"sound": {"title": "t", "url": "ftp://x"}}, "Sound url"),
        ({"trend": {"name": "Dance", "hashtag": "no spaces here"}}, "hashtag"),
        ({"trend": {"name": "", "hashtag": "ok"}}, "Trend name"),
        ({"trend_id": "12345"}, "Trend 12345 not found"),
        ({"template_id": "999"}, "Template 999 not found"),
        ({"trend": {"name": "A", "hashtag": "a"}, "trend_id": "1"}, "start a trend or join one"),
        ({"trend_uri": "not a url"}, "http(s)"),
    ]
    for fields, message in cases:
        code, body = await post_take(node_client, alice, **fields)
        assert code == 422, (fields, body)
        assert message in body["error"], (fields, body)
    assert await counts(node) == (0, 0, 0) and stored_files(node) == []
    code, body = await call(node_client, "POST", "/api/v1/takes", None, data=take_form(mp4()))
    assert code == 401 and "error" in body


async def test_interactions_views_and_feeds(node_client, node_of):
    node = node_of(node_client)
    bob_id, bob = await user(node, "bob")
    _, alice = await user(node, "alice")
    _, first = await post_take(node_client, bob, caption="one")
    _, second = await post_take(node_client, bob, caption="two", visibility="private")
    _, third = await post_take(node_client, alice, caption="three")
    for action in ("favourite", "reblog", "bookmark"):
        code, _ = await call(node_client, "POST", f"/api/v1/statuses/{first['id']}/{action}", alice)
        assert code == 200
    await node.search.drain()  # the favourite and the reblog re-ranked the Take in search
    code, found = await call(node_client, "GET", "/api/v2/search?q=one&type=takes&min_engagement=2", None)
    assert code == 200 and [t["id"] for t in found["takes"]] == [first["id"]], found
    code, reply = await call(node_client, "POST", "/api/v1/statuses", alice,
                             json={"status": "nice!", "in_reply_to_id": first["id"]})
    assert code == 200
    counted = []
    for viewer in (None, None, alice, alice, bob, None):  # a view counts once per viewer (token or browser)
        code, seen = await call(node_client, "POST", f"/api/v1/takes/{first['id']}/view", viewer)
        assert code == 200
        counted.append(seen["views_count"])
    assert counted == [1, 1, 2, 2, 3, 3]
    code, take = await call(node_client, "GET", f"/api/v1/takes/{first['id']}", alice)
    status = take["status"]
    assert (status["favourites_count"], status["reblogs_count"], status["replies_count"]) == (1, 1, 1)
    assert status["favourited"] and status["reblogged"] and status["bookmarked"] and take["views_count"] == 3
    code, local = await call(node_client, "GET", "/api/v1/takes?feed=local", None)
    assert [t["id"] for t in local] == [third["id"], first["id"]]  # the followers-only one is hidden
    code, mine = await call(node_client, "GET", "/api/v1/takes?feed=following", bob)
    assert [t["id"] for t in mine] == [second["id"], first["id"]]
    await call(node_client, "POST", f"/api/v1/accounts/{bob_id}/follow", alice)
    code, following = await call(node_client, "GET", "/api/v1/takes?feed=following", alice)
    assert [t["id"] for t in following] == [third["id"], second["id"], first["id"]]
    code, trending = await call(node_client, "GET", "/api/v1/takes?feed=trending", None)
    assert trending[0]["id"] == first["id"]
    code, page = await call(node_client, "GET", "/api/v1/takes?feed=local&limit=1", None)
    assert [t["id"] for t in page] == [third["id"]]
    code, body = await call(node_client, "GET", "/api/v1/takes?feed=following", None)
    assert code == 422 and "signed-in" in body["error"]
    code, body = await call(node_client, "GET", "/api/v1/takes?feed=sideways", None)
    assert code == 422
    code, body = await call(node_client, "GET", f"/api/v1/takes/{second['id']}", None)
    assert code == 404 and body == {"error": "Record not found"}
    code, body = await call(node_client, "GET", f"/api/v1/takes/{reply['id']}", alice)
    assert code == 404  # a status that is not a Take


async def test_behind_the_take_steps(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    _, bob = await user(node, "bob")
    code, image = await upload(node_client, alice, png_bytes(), "step.png", "image/png")
    _, take = await post_take(node_client, alice, caption="how I did it")
    path = f"/api/v1/takes/{take['id']}/behind_the_take"
    code, body = await call(node_client, "GET", path, alice)
    assert code == 404 and "no Behind the Take" in body["error"]
    steps = [{"text": "Set up the light", "at": 0.2}, {"text": "Jump", "media_id": image["id"], "at": 0.5},
             {"text": "Edit"}]
    code, updated = await call(node_client, "PUT", path, alice, json={"steps": steps})
    assert code == 200, updated
    btt = updated["behind_the_take"]
    assert [(s["position"], s["text"], s["at"]) for s in btt["steps"]] == [
        (0, "Set up the light", 0.2), (1, "Jump", 0.5), (2, "Edit", None)]
    assert btt["steps"][1]["media"]["id"] == image["id"] and btt["updated_at"]
    code, read = await call(node_client, "GET", path, None)
    assert code == 200 and read == btt
    for bad, message in (([{"text": "late", "at": 5}], "outside the video"), ([{"text": ""}], "needs text"),
                         ([{"text": "x", "at": "soon"}], "number of seconds"),
                         ([{"text": "x", "media_id": "1"}], "not found"), (["plain"], "must be an object"),
                         ([{"text": "s"}] * 31, "at most 30")):
        code, body = await call(node_client, "PUT", path, alice, json={"steps": bad})
        assert code == 422 and message in body["error"], (bad, body)
    code, body = await call(node_client, "PUT", path, bob, json={"steps": [{"text": "mine now"}]})
    assert code == 403 and body == {"error": "This action is not allowed"}
    with node.db:
        assert await BehindTheTakeStep.all().count() == 3
    code, form_steps = await call(node_client, "PUT", path, alice,
                                  data={"steps[0][text]": "Only step", "steps[0][at]": "0.1"})
    assert code == 200 and [s["text"] for s in form_steps["behind_the_take"]["steps"]] == ["Only step"]
    code, cleared = await call(node_client, "PUT", path, alice, json={"steps": []})
    assert code == 200 and cleared["behind_the_take"] is None
    code, with_steps = await post_take(node_client, alice, **{"steps[0][text]": "made at once"})
    assert code == 200 and with_steps["behind_the_take"]["steps"][0]["text"] == "made at once"


async def test_editing_and_deleting(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    _, bob = await user(node, "bob")
    _, take = await post_take(node_client, alice, caption="before", sound={"title": "Old"})
    code, edited = await call(node_client, "PUT", f"/api/v1/takes/{take['id']}", alice,
                              json={"caption": "after #new", "sound": {"title": "New song", "author": "Me"}})
    assert code == 200, edited
    assert "after" in edited["status"]["content"] and "New song by Me" in edited["status"]["content"]
    assert edited["status"]["edited_at"] and edited["sound"]["title"] == "New song"
    code, history = await call(node_client, "GET", f"/api/v1/statuses/{take['id']}/history", alice)
    assert code == 200 and len(history) == 2
    code, body = await call(node_client, "PUT", f"/api/v1/takes/{take['id']}", bob, json={"caption": "hijack"})
    assert code == 403
    code, body = await call(node_client, "DELETE", f"/api/v1/takes/{take['id']}", bob)
    assert code == 403
    code, gone = await call(node_client, "DELETE", f"/api/v1/takes/{take['id']}", alice)
    assert code == 200 and gone["id"] == take["id"]
    await node.settle()
    assert await counts(node) == (0, 0, 0) and stored_files(node) == []
    code, body = await call(node_client, "GET", f"/api/v1/takes/{take['id']}", alice)
    assert code == 404
    _, other = await post_take(node_client, alice, caption="deleted the Mastodon way")
    code, _ = await call(node_client, "DELETE", f"/api/v1/statuses/{other['id']}", alice)
    await node.settle()
    assert code == 200 and (await counts(node))[1] == 0


async def test_takes_are_searchable_by_caption_steps_and_sound(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    _, take = await post_take(node_client, alice, caption="sunset skateboarding", sound={"title": "Velvet Harbor"})
    await call(node_client, "PUT", f"/api/v1/takes/{take['id']}/behind_the_take", alice,
               json={"steps": [{"text": "wax the kerbstone first"}]})
    await node.settle()
    with node.db:
        await node.search.drain()
    for words in ("skateboarding", "kerbstone", "velvet harbor"):
        code, found = await call(node_client, "GET", f"/api/v2/search?q={words}&type=takes", alice)
        assert code == 200, found
        assert [t["id"] for t in found["takes"]] == [take["id"]], (words, found)
    await call(node_client, "DELETE", f"/api/v1/takes/{take['id']}", alice)
    await node.settle()
    with node.db:
        await node.search.drain()
    code, found = await call(node_client, "GET", "/api/v2/search?q=skateboarding&type=takes", alice)
    assert found["takes"] == []


async def test_a_search_rebuild_keeps_takes_findable(node_client, node_of):
    """`entativa reindex` empties each index and refills it from the database: Takes included."""
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    _, take = await post_take(node_client, alice, caption="rooftop juggling")
    await node.settle()
    with node.db:
        await node.search.drain()
        counts_by_kind = await node.search.rebuild()
        await node.search.drain()
    assert counts_by_kind["takes"] == 1
    code, found = await call(node_client, "GET", "/api/v2/search?q=juggling&type=takes", alice)
    assert code == 200 and [t["id"] for t in found["takes"]] == [take["id"]], found


async def test_openapi_lists_the_take_routes(node_client):
    code, doc = await call(node_client, "GET", "/api/openapi.json")
    assert code == 200
    for path in ("/api/v1/takes", "/api/v1/takes/{id}", "/api/v1/takes/{id}/behind_the_take",
                 "/api/v1/takes/{id}/template", "/api/v1/take_trends", "/api/v1/take_trends/{id}",
                 "/api/v1/take_trends/{id}/participants", "/api/v1/take_templates", "/api/v1/take_templates/{id}"):
        assert path in doc["paths"], path
    assert doc["paths"]["/api/v1/takes"]["post"]["summary"].startswith("Post a Take")
