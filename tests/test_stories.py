"""Stories on one node over real HTTP: posting with stickers and overlays, the tray's order and rings, every
sticker kind's answer flow and who may read its results, views, viewers and insights, replies as direct
messages, reactions and mention notifications, close friends, countdowns that end, the expiry sweep (the
archive and highlights keep the author's stories and their files), and bad input that writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fixtures.social import call, follow, png_bytes, upload, user
from fixtures.video import video_bytes

from node.models import MediaAttachment, Notification, StickerAnswer, Story, StorySticker
from node.services.stories import answers as story_answers
from node.services.stories import posting

POS = {"x": 0.5, "y": 0.4, "width": 0.6, "height": 0.2, "rotation": -5}


async def image(client, token: str) -> str:  # type: ignore[no-untyped-def]
    code, media = await upload(client, token, png_bytes((90, 160)), "s.png", "image/png")
    assert code == 200, media
    return media["id"]


async def story(client, token: str, **fields) -> dict:  # type: ignore[no-untyped-def]
    media_id = fields.pop("media_id", None) or await image(client, token)
    code, body = await call(client, "POST", "/api/v1/stories", token, json={"media_id": media_id, **fields})
    assert code == 200, body
    return body


def all_stickers(ends_at: str) -> list[dict]:
    return [
        {"type": "poll", "position": POS, "question": "Tea or coffee?", "options": ["Tea", "Coffee"]},
        {"type": "quiz", "position": POS, "question": "Capital of France?", "options": ["Lyon", "Paris", "Nice"],
         "correct_option": 1},
        {"type": "question", "position": POS, "prompt": "Ask me anything"},
        {"type": "countdown", "position": POS, "title": "Launch", "ends_at": ends_at},
        {"type": "slider", "position": POS, "question": "How hot?", "emoji": "🔥"},
        {"type": "hashtag", "position": POS, "name": "#sunday"},
        {"type": "link", "position": POS, "url": "https://example.org/a", "text": "read"},
    ]


async def test_post_answer_results_and_visibility(node_client, node_of):
    node = node_of(node_client)
    alice_id, alice = await user(node, "alice")
    bob_id, bob = await user(node, "bob")
    carol_id, carol = await user(node, "carol")
    _, dave = await user(node, "dave")  # follows nobody: sees nothing
    await follow(node_client, bob, alice_id)
    await follow(node_client, carol, alice_id)
    ends = (node.clock.now() + timedelta(hours=2)).isoformat()
    posted = await story(node_client, alice, stickers=[*all_stickers(ends),
                         {"type": "mention", "position": POS, "account_id": bob_id}],
                         overlays=[{"text": "Good morning", "color": "#FFCC00", "position": POS}],
                         can_react=True)
    assert posted["media_attachment"]["type"] == "image" and posted["duration"] == 5.0
    assert posted["audience"] == "followers" and posted["viewers_count"] == 0
    assert posted["overlays"] == [{"text": "Good morning", "color": "#ffcc00", "position": {**POS, "rotation": -5.0}}]
    kinds = [s["type"] for s in posted["stickers"]]
    assert kinds == ["poll", "quiz", "question", "countdown", "slider", "hashtag", "link", "mention"]
    stickers = {s["type"]: s for s in posted["stickers"]}
    assert stickers["quiz"]["correct_option"] == 1  # the author sees it
    with node.db:
        assert not await MediaAttachment.exists()  # the upload became the story's
    sid = posted["id"]

    # bob (mentioned) is notified; dave cannot see the story at all
    code, notes = await call(node_client, "GET", "/api/v1/notifications", bob)
    assert [(n["type"], n["story"]["id"]) for n in notes] == [("story_mention", sid)]
    code, _ = await call(node_client, "GET", f"/api/v1/stories/{sid}", dave)
    assert code == 404
    code, err = await call(node_client, "POST", f"/api/v1/stories/{sid}/stickers/{stickers['poll']['id']}/answer",
                           dave, json={"choice": 0})
    assert code == 404 and "error" in err

    # bob's view: the quiz hides its answer and results until he answers
    code, seen = await call(node_client, "GET", f"/api/v1/stories/{sid}", bob)
    quiz = next(s for s in seen["stickers"] if s["type"] == "quiz")
    assert "correct_option" not in quiz and quiz["results"] is None and quiz["own_answer"] is None
    assert "viewers_count" not in seen
    code, err = await call(node_client, "GET", f"/api/v1/stories/{sid}/stickers/{quiz['id']}/results", bob)
    assert code == 403 and "error" in err
    code, answered = await call(node_client, "POST", f"/api/v1/stories/{sid}/stickers/{quiz['id']}/answer", bob,
                                json={"choice": 0})
    assert code == 200 and answered["own_answer"] == {"choice": 0, "correct": False}
    assert answered["correct_option"] == 1
    assert answered["results"]["options"] == [{"title": "Lyon", "votes_count": 1}, {"title": "Paris", "votes_count": 0},
                                              {"title": "Nice", "votes_count": 0}]
    code, err = await call(node_client, "POST", f"/api/v1/stories/{sid}/stickers/{quiz['id']}/answer", bob,
                           json={"choice": 1})
    assert code == 409 and "error" in err  # a quiz answer is final
    code, _ = await call(node_client, "POST", f"/api/v1/stories/{sid}/stickers/{quiz['id']}/answer", carol,
                         json={"choice": 1})
    assert code == 200

    # poll and slider: percentages and the average after answering
    poll, slider = stickers["poll"]["id"], stickers["slider"]["id"]
    for token, choice, value in ((bob, 1, 0.2), (carol, 1, 0.8)):
        code, body = await call(node_client, "POST", f"/api/v1/stories/{sid}/stickers/{poll}/answer", token,
                                json={"choice": choice})
        assert code == 200, body
        code, body = await call(node_client, "POST", f"/api/v1/stories/{sid}/stickers/{slider}/answer", token,
                                json={"value": value})
        assert code == 200, body
    code, again = await call(node_client, "POST", f"/api/v1/stories/{sid}/stickers/{slider}/answer", carol,
                             json={"value": 1.0})  # a slider answer may change: it replaces the first
    assert code == 200 and again["own_answer"] == {"value": 1.0}
    code, results = await call(node_client, "GET", f"/api/v1/stories/{sid}/stickers/{slider}/results", bob)
    assert code == 200 and results == {"average": 0.6, "answers_count": 2, "own_answer": {"value": 0.2}}
    code, results = await call(node_client, "GET", f"/api/v1/stories/{sid}/stickers/{poll}/results", carol)
    assert results["options"][1]["votes_count"] == 2 and results["answers_count"] == 2

    # question: answers are the author's alone
    question = stickers["question"]["id"]
    code, _ = await call(node_client, "POST", f"/api/v1/stories/{sid}/stickers/{question}/answer", bob,
                         json={"text": "Favourite book?"})
    assert code == 200
    code, err = await call(node_client, "GET", f"/api/v1/stories/{sid}/stickers/{question}/results", bob)
    assert code == 403
    code, results = await call(node_client, "GET", f"/api/v1/stories/{sid}/stickers/{question}/results", alice)
    assert code == 200 and [(a["account"]["acct"], a["text"]) for a in results["answers"]] == [("bob", "Favourite book?")]
    code, results = await call(node_client, "GET", f"/api/v1/stories/{sid}/stickers/{quiz['id']}/results", alice)
    assert {(a["account"]["acct"], a["choice"]) for a in results["answers"]} == {("bob", 0), ("carol", 1)}

    # answers notify the author, grouped per sticker
    code, grouped = await call(node_client, "GET", "/api/v2/notifications?types[]=story_sticker_answer", alice)
    counts = sorted(g["notifications_count"] for g in grouped["notification_groups"])
    assert counts == [1, 2, 2, 3]  # question; quiz; poll; slider (carol changed hers: heard again)

    # a sticker that takes no answers, an out-of-range choice, the author answering: 422, nothing written
    with node.db:
        before = await StickerAnswer.all().count()
    for token, sticker, body in ((bob, stickers["hashtag"]["id"], {}), (carol, question, {"text": ""}),
                                 (alice, poll, {"choice": 0})):
        code, err = await call(node_client, "POST", f"/api/v1/stories/{sid}/stickers/{sticker}/answer", token,
                               json=body)
        assert code == 422 and "error" in err, (code, err)
    with node.db:
        assert await StickerAnswer.all().count() == before


async def test_countdown_views_insights_replies_reactions(node_client, node_of):
    node = node_of(node_client)
    alice_id, alice = await user(node, "alice")
    _, bob = await user(node, "bob")
    await follow(node_client, bob, alice_id)
    ends = node.clock.now() + timedelta(hours=1)
    posted = await story(node_client, alice, stickers=[
        {"type": "countdown", "position": POS, "title": "Launch", "ends_at": ends.isoformat()}])
    sid, countdown = posted["id"], posted["stickers"][0]["id"]
    code, body = await call(node_client, "POST", f"/api/v1/stories/{sid}/stickers/{countdown}/answer", bob,
                            json={"subscribe": True})
    assert code == 200 and body["own_answer"] == {"subscribe": True} and body["results"] == {"subscribers_count": 1}
    with node.db:
        assert await story_answers.notify_ended(node) == 0  # not yet
        node.clock.advance(timedelta(hours=1, seconds=1))
        assert await story_answers.notify_ended(node) == 1
        assert await story_answers.notify_ended(node) == 0  # once
    code, notes = await call(node_client, "GET", "/api/v1/notifications", bob)
    assert [(n["type"], n["account"]["acct"]) for n in notes] == [("story_countdown_ended", "alice")]

    for action, completed in (("next", True), ("back", False), ("exit", False)):
        code, body = await call(node_client, "POST", f"/api/v1/stories/{sid}/view", bob,
                                json={"action": action, "completed": completed})
        assert code == 200 and body["seen"]
    code, err = await call(node_client, "POST", f"/api/v1/stories/{sid}/view", bob, json={"action": "sideways"})
    assert code == 422 and "error" in err
    code, viewers = await call(node_client, "GET", f"/api/v1/stories/{sid}/viewers", alice)
    assert [(v["account"]["acct"], v["views"], v["completed"]) for v in viewers] == [("bob", 3, True)]
    code, _ = await call(node_client, "GET", f"/api/v1/stories/{sid}/viewers", bob)
    assert code == 404

    code, reply = await call(node_client, "POST", f"/api/v1/stories/{sid}/reply", bob, json={"status": "so cool"})
    assert code == 200, reply
    code, dm = await call(node_client, "GET", f"/api/v1/statuses/{reply['status_id']}", alice)
    assert dm["visibility"] == "direct" and "so cool" in dm["content"]
    code, reacted = await call(node_client, "POST", f"/api/v1/stories/{sid}/react", bob, json={"emoji": "😍"})
    assert code == 200 and reacted["emoji"] == "😍"
    code, notes = await call(node_client, "GET", "/api/v1/notifications", alice)
    assert {n["type"] for n in notes} >= {"story_reaction", "story_reply"}
    replied = next(n for n in notes if n["type"] == "story_reply")
    assert replied["story"]["id"] == sid and replied["status"]["id"] == reply["status_id"]

    code, insights = await call(node_client, "GET", f"/api/v1/stories/{sid}/insights", alice)
    assert code == 200, insights
    assert (insights["views"], insights["unique_viewers"], insights["completion_rate"]) == (3, 1, 1.0)
    assert (insights["taps_forward"], insights["taps_back"], insights["exits"]) == (1, 1, 1)
    assert (insights["replies"], insights["reactions"]) == (1, 1)
    assert insights["stickers"][0]["results"]["subscribers_count"] == 1
    assert insights["reach"][0]["unique_viewers"] == 1
    code, _ = await call(node_client, "GET", f"/api/v1/stories/{sid}/insights", bob)
    assert code == 404


async def test_tray_order_close_friends_and_expiry(node_client, node_of):
    node = node_of(node_client)
    ids, tokens = {}, {}
    for name in ("me", "ann", "ben", "cat"):
        ids[name], tokens[name] = await user(node, name)
    for name in ("ann", "ben", "cat"):
        await follow(node_client, tokens["me"], ids[name])
    await story(node_client, tokens["ann"])
    await story(node_client, tokens["ben"])
    cf_only = await story(node_client, tokens["cat"], audience="close_friends")  # me is not on cat's list
    mine = await story(node_client, tokens["me"])
    code, tray = await call(node_client, "GET", "/api/v1/stories", tokens["me"])
    assert [e["account"]["acct"] for e in tray] == ["me", "ben", "ann"]
    assert [e["seen"] for e in tray] == [False, False, False]
    code, _ = await call(node_client, "POST", f"/api/v1/stories/{tray[1]['stories'][0]['id']}/view", tokens["me"],
                         json={"completed": True})
    code, tray = await call(node_client, "GET", "/api/v1/stories", tokens["me"])
    assert [(e["account"]["acct"], e["seen"]) for e in tray] == [("me", False), ("ann", False), ("ben", True)]

    # cat adds me to close friends: the close-friends ring shows up
    code, friends = await call(node_client, "POST", "/api/v1/close_friends", tokens["cat"],
                               json={"account_ids": [ids["me"]]})
    assert code == 200 and [f["acct"] for f in friends] == ["me"]
    code, tray = await call(node_client, "GET", "/api/v1/stories", tokens["me"])
    cat = next(e for e in tray if e["account"]["acct"] == "cat")
    assert cat["close_friends"] and cat["stories"][0]["id"] == cf_only["id"]
    code, err = await call(node_client, "POST", "/api/v1/close_friends", tokens["cat"], json={"account_ids": [ids["cat"]]})
    assert code == 422 and "error" in err
    code, _ = await call(node_client, "DELETE", f"/api/v1/close_friends/{ids['me']}", tokens["cat"])
    assert code == 200
    code, err = await call(node_client, "DELETE", f"/api/v1/close_friends/{ids['me']}", tokens["cat"])
    assert code == 404 and "error" in err
    code, _ = await call(node_client, "GET", f"/api/v1/stories/{cf_only['id']}", tokens["me"])
    assert code == 404

    # a highlight keeps my story past expiry; the sweep archives mine and leaves ann's out of every tray
    code, highlight = await call(node_client, "POST", "/api/v1/highlights", tokens["me"],
                                 json={"title": "Trips", "story_ids": [mine["id"]]})
    assert code == 200 and highlight["cover_story_id"] == mine["id"], highlight
    with node.db:
        row = await Story.get(id=int(mine["id"]))
        path = node.config.media_dir / row.file_path
        assert path.exists()
        assert await posting.expire(node, node.clock.now() + timedelta(hours=24, seconds=1)) == 4
    node.clock.advance(timedelta(hours=24, seconds=1))
    code, tray = await call(node_client, "GET", "/api/v1/stories", tokens["me"])
    assert tray == []
    assert path.exists()  # the archive and the highlight still show it
    code, archive = await call(node_client, "GET", "/api/v1/stories/archive", tokens["me"])
    assert [s["id"] for s in archive] == [mine["id"]] and archive[0]["expired"]
    code, shown = await call(node_client, "GET", f"/api/v1/accounts/{ids['me']}/highlights", tokens["ann"])
    assert [h["title"] for h in shown] == ["Trips"] and shown[0]["stories"][0]["id"] == mine["id"]
    code, err = await call(node_client, "GET", f"/api/v1/stories/{mine['id']}", tokens["ann"])
    assert code == 404  # expired: only mine now
    code, err = await call(node_client, "POST", f"/api/v1/stories/{mine['id']}/react", tokens["ann"],
                           json={"emoji": "👍"})
    assert code == 404 and "error" in err

    # deleting it takes the files too
    code, _ = await call(node_client, "DELETE", f"/api/v1/stories/{mine['id']}", tokens["me"])
    assert code == 200 and not path.exists()
    code, shown = await call(node_client, "GET", "/api/v1/highlights", tokens["me"])
    assert shown == []


async def test_bad_input_is_refused_and_writes_nothing(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    code, long_video = await upload(node_client, alice, video_bytes(frames=62, rate=1), "long.mp4", "video/mp4")
    assert code == 200, long_video
    media_id = await image(node_client, alice)
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    cases = [
        ({}, "needs media"),
        ({"media_id": long_video["id"]}, "at most 60 seconds"),
        ({"media_id": media_id, "stickers": [{"type": "gif", "position": POS}]}, "unknown type"),
        ({"media_id": media_id, "stickers": [{"type": "hashtag", "name": "a", "position": POS}] * 11}, "at most 10"),
        ({"media_id": media_id, "stickers": [{"type": "quiz", "question": "q", "options": ["a", "b"],
                                              "correct_option": 2, "position": POS}]}, "correct_option"),
        ({"media_id": media_id, "stickers": [{"type": "poll", "options": ["only one"], "position": POS}]}, "2 to 4"),
        ({"media_id": media_id, "stickers": [{"type": "countdown", "title": "t", "ends_at": past,
                                              "position": POS}]}, "future"),
        ({"media_id": media_id, "stickers": [{"type": "link", "url": "javascript:alert(1)", "position": POS}]},
         "http(s)"),
        ({"media_id": media_id, "stickers": [{"type": "poll", "options": ["a", "b"],
                                              "position": {"x": 2}}]}, "between 0 and 1"),
        ({"media_id": media_id, "audience": "everyone"}, "audience"),
        ({"media_id": media_id, "duration": 40}, "1 to 15 seconds"),
    ]
    for body, why in cases:
        code, err = await call(node_client, "POST", "/api/v1/stories", alice, json=body)
        assert code == 422 and why in err["error"], (body, code, err)
    with node.db:
        assert not await Story.exists() and not await StorySticker.exists()
        assert await MediaAttachment.all().count() == 2  # both uploads are still the caller's to use
        assert not await Notification.exists()
    code, _ = await call(node_client, "POST", "/api/v1/stories", None, json={"media_id": media_id})
    assert code == 401
    # ids that cannot be ids name no account: 404 like the other account routes, never an empty list
    for bad in ("abc", "12abc", "-1", "9223372036854775808"):
        for route in ("stories", "highlights"):
            code, err = await call(node_client, "GET", f"/api/v1/accounts/{bad}/{route}", alice)
            assert code == 404 and "error" in err, (bad, route, code, err)
