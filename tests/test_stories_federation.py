"""Stories across three Entativa nodes over real HTTP: A posts to followers and to close friends; B (a close
friend) and C (a follower) see exactly what they should in their trays, by federation and on their
streams; C's signed fetch of the close-friends story is refused; answers from B and C to every sticker kind
reach A's results once; a quiz reveals its answer only after answering; countdown subscribers on B and C
hear when it ends; "add yours" answers are listed and credited to A while forged ones are refused; views,
replies and reactions reach A; at expiry (clocks moved, not slept) the story is gone from B and C with its
media files, and stays in A's archive and highlight, which B reads from A."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import FormData
from federation_nodes import FedNode, settle
from fixtures.social import png_bytes
from streaming_support import Socket

from federation.client import HttpStatusError
from node.activitypub import delivery
from node.models import Account, InboxActivity, OutboxActivity, StickerAnswer, Story, StorySticker
from node.services.stories import answers as story_answers
from node.services.stories import posting

POS = {"x": 0.5, "y": 0.5, "width": 0.5, "height": 0.2, "rotation": 0}


async def found(fed: FedNode, token: str, handle: str) -> str:
    code, body = await fed.call("GET", "/api/v2/search", token, params={"q": handle, "resolve": "true",
                                                                        "type": "accounts"})
    assert code == 200 and body["accounts"], body
    return body["accounts"][0]["id"]


async def follow(fed: FedNode, token: str, handle: str) -> str:
    account_id = await found(fed, token, handle)
    code, body = await fed.call("POST", f"/api/v1/accounts/{account_id}/follow", token)
    assert code == 200, body
    return account_id


async def post_story(fed: FedNode, token: str, **fields) -> dict:  # type: ignore[no-untyped-def]
    form = FormData()
    form.add_field("file", png_bytes((72, 128)), filename="s.png", content_type="image/png")
    code, media = await fed.call("POST", "/api/v2/media", token, data=form)
    assert code == 200, media
    code, body = await fed.call("POST", "/api/v1/stories", token, json={"media_id": media["id"], **fields})
    assert code == 200, body
    return body


async def tray(fed: FedNode, token: str) -> list[tuple[str, list[str], bool]]:
    code, body = await fed.call("GET", "/api/v1/stories", token)
    assert code == 200, body
    return [(e["account"]["acct"], [s["uri"] for s in e["stories"]], e["close_friends"]) for e in body]


async def remote_story(fed: FedNode, token: str, uri: str) -> dict:
    code, body = await fed.call("GET", "/api/v1/stories", token)
    for entry in body:
        for story in entry["stories"]:
            if story["uri"] == uri:
                return story
    raise AssertionError(f"{uri} is not in the tray")


async def answer(fed: FedNode, token: str, story: dict, kind: str, **body) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    sticker = next(s for s in story["stickers"] if s["type"] == kind)
    return await fed.call("POST", f"/api/v1/stories/{story['id']}/stickers/{sticker['id']}/answer", token, json=body)


async def test_three_nodes_stories(cluster):
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    c = await cluster.add_node("node-c")
    _, alice = await a.user("alice")
    _, bob = await b.user("bob")
    _, carol = await c.user("carol")
    await follow(b, bob, "alice@node-a.test")
    await follow(c, carol, "alice@node-a.test")
    await settle([a, b, c])
    bob_on_a = await found(a, alice, "bob@node-b.test")
    code, friends = await a.call("POST", "/api/v1/close_friends", alice, json={"account_ids": [bob_on_a]})
    assert code == 200 and [f["acct"] for f in friends] == ["bob@node-b.test"]

    socket_b = await Socket.open(b.client, bob, "user")
    socket_c = await Socket.open(c.client, carol, "user")
    ends = (a.node.clock.now() + timedelta(hours=3)).isoformat()
    public = await post_story(a, alice, stickers=[
        {"type": "poll", "position": POS, "question": "Tea?", "options": ["Tea", "Coffee"]},
        {"type": "quiz", "position": POS, "question": "2+2?", "options": ["3", "4"], "correct_option": 1},
        {"type": "question", "position": POS, "prompt": "Ask me"},
        {"type": "countdown", "position": POS, "title": "Launch", "ends_at": ends},
        {"type": "slider", "position": POS, "emoji": "🔥"},
        {"type": "add_yours", "position": POS, "prompt": "Your breakfast"},
    ], overlays=[{"text": "hello", "position": POS}])
    secret = await post_story(a, alice, audience="close_friends")
    await settle([a, b, c])

    # the trays: B sees both (the close-friends ring), C only the followers story
    assert await tray(b, bob) == [("alice@node-a.test", [public["uri"], secret["uri"]], True)]
    assert await tray(c, carol) == [("alice@node-a.test", [public["uri"]], False)]
    streamed_b = {(await socket_b.event())[2]["uri"] for _ in range(2)}
    _, event, payload = await socket_c.event()
    assert streamed_b == {public["uri"], secret["uri"]} and (event, payload["uri"]) == ("entativa.story.update",
                                                                                       public["uri"])
    await socket_b.ws.close()
    await socket_c.ws.close()
    with b.db():
        cached = await Story.get(uri=public["uri"])
        cached_file = b.node.config.media_dir / cached.file_path
        assert cached_file.exists() and cached.remote_url.startswith("http://node-a.test/media/")
        assert await StorySticker.filter(story_id=cached.id).count() == 6

    # fetching: signed by a close friend it is served; signed by a mere follower it is refused
    with b.db():
        bob_row = await Account.get(username="bob", domain="")
        bob_key = (await delivery.signing_keys(b.node, {bob_row.id}))[bob_row.id]
    with c.db():
        carol_row = await Account.get(username="carol", domain="")
        carol_key = (await delivery.signing_keys(c.node, {carol_row.id}))[carol_row.id]
    doc = await b.node.federation.client.get_activity(secret["uri"], sign_with=bob_key)
    assert doc["type"] == "Story" and doc["to"] == [bob_row.uri] and doc["storyAudience"] == "close_friends"
    for key in (carol_key, c.node.federation.instance_key, None):
        try:
            await c.node.federation.client.get_activity(secret["uri"], sign_with=key)
        except HttpStatusError as exc:
            assert exc.status == 403
        else:
            raise AssertionError("the close-friends story was served outside its audience")

    # answers from B and C to each kind; the quiz's answer is revealed after answering only
    on_b = await remote_story(b, bob, public["uri"])
    on_c = await remote_story(c, carol, public["uri"])
    quiz_b = next(s for s in on_b["stickers"] if s["type"] == "quiz")
    assert "correct_option" not in quiz_b and quiz_b["own_answer"] is None
    code, quiz_b = await answer(b, bob, on_b, "quiz", choice=1)
    assert code == 200 and quiz_b["correct_option"] == 1 and quiz_b["own_answer"] == {"choice": 1, "correct": True}
    code, quiz_c = await answer(c, carol, on_c, "quiz", choice=0)
    assert quiz_c["own_answer"] == {"choice": 0, "correct": False}
    for fed, token, story, choice, value in ((b, bob, on_b, 0, 0.25), (c, carol, on_c, 1, 0.75)):
        assert (await answer(fed, token, story, "poll", choice=choice))[0] == 200
        assert (await answer(fed, token, story, "slider", value=value))[0] == 200
        assert (await answer(fed, token, story, "question", text=f"hi from {fed.name}"))[0] == 200
        assert (await answer(fed, token, story, "countdown", subscribe=True))[0] == 200
    code, err = await answer(b, bob, on_b, "poll", choice=1)
    assert code == 409 and "error" in err  # one poll answer per viewer
    code, err = await b.call("GET", f"/api/v1/stories/{on_b['id']}/stickers/"
                             f"{next(s['id'] for s in on_b['stickers'] if s['type'] == 'question')}/results", bob)
    assert code == 403  # question answers are the author's

    # "add yours": B and C answer with stories of their own, credited to A
    bobs = await post_story(b, bob)
    carols = await post_story(c, carol)
    assert (await answer(b, bob, on_b, "add_yours", story_id=bobs["id"]))[0] == 200
    assert (await answer(c, carol, on_c, "add_yours", story_id=carols["id"]))[0] == 200
    await settle([a, b, c])
    code, credited = await b.call("GET", f"/api/v1/stories/{bobs['id']}", bob)
    assert credited["add_yours"]["originator_uri"] == "http://node-a.test/users/alice"

    # A holds the results: each answer once
    stickers = {s["type"]: s["id"] for s in public["stickers"]}

    async def results(kind: str) -> dict:
        code, body = await a.call("GET", f"/api/v1/stories/{public['id']}/stickers/{stickers[kind]}/results", alice)
        assert code == 200, body
        return body

    poll = await results("poll")
    assert [o["votes_count"] for o in poll["options"]] == [1, 1] and poll["answers_count"] == 2
    quiz = await results("quiz")
    assert {(x["account"]["acct"], x["choice"]) for x in quiz["answers"]} == {("bob@node-b.test", 1),
                                                                             ("carol@node-c.test", 0)}
    assert (await results("slider"))["average"] == 0.5
    assert {x["text"] for x in (await results("question"))["answers"]} == {"hi from node-b", "hi from node-c"}
    assert (await results("countdown"))["subscribers_count"] == 2
    adds = await results("add_yours")
    assert {x["story_uri"] for x in adds["answers"]} == {bobs["uri"], carols["uri"]}
    code, listed = await a.call("GET", public["uri"].replace(a.base, "") + f"/stickers/{stickers['add_yours']}/participants",
                                headers={"Accept": "application/activity+json"})
    assert code == 200 and set(listed["orderedItems"]) == {bobs["uri"], carols["uri"]}
    # the viewer's node reads the authoritative results from A
    code, seen = await b.call("GET", f"/api/v1/stories/{on_b['id']}/stickers/"
                              f"{next(s['id'] for s in on_b['stickers'] if s['type'] == 'poll')}/results", bob)
    assert code == 200 and [o["votes_count"] for o in seen["options"]] == [1, 1] and seen["own_answer"] == {"choice": 0}

    # forged participations are refused: a story that does not answer the prompt, one from another server
    plain = await post_story(b, bob)
    with b.db():
        sticker_uri = (await StorySticker.get(story__uri=public["uri"], kind="add_yours")).uri
        for n, claimed in enumerate((plain["uri"], carols["uri"])):
            forged = {"@context": "https://www.w3.org/ns/activitystreams",
                      "id": f"{bob_row.uri}#forged/{n}", "type": "Create", "actor": bob_row.uri,
                      "to": ["http://node-a.test/users/alice"],
                      "object": {"id": f"{bob_row.uri}#forged/{n}/answer", "type": "StickerAnswer",
                                 "attributedTo": bob_row.uri, "inReplyTo": sticker_uri, "answeringStory": claimed}}
            await delivery.enqueue(b.node, bob_row, forged, ["http://node-a.test/users/alice/inbox"])
    await settle([a, b, c])
    with a.db():
        refused = await InboxActivity.filter(activity_uri__startswith=f"{bob_row.uri}#forged/").values_list(
            "state", "error")
        # bob's plain story does not admit alice (it names no prompt of hers), so A cannot even read it
        assert sorted(refused) == [("failed", "the answering story cannot be read at its origin (403)"),
                                   ("failed", "the answering story is not on the answerer's server")]
        add_yours_rows = await StickerAnswer.filter(sticker__uri=sticker_uri).values_list("story_uri", flat=True)
        assert set(add_yours_rows) == {bobs["uri"], carols["uri"]}

    # views, replies and reactions reach A
    assert (await b.call("POST", f"/api/v1/stories/{on_b['id']}/view", bob, json={"completed": True}))[0] == 200
    assert (await c.call("POST", f"/api/v1/stories/{on_c['id']}/view", carol, json={"action": "exit"}))[0] == 200
    assert (await b.call("POST", f"/api/v1/stories/{on_b['id']}/reply", bob, json={"status": "love it"}))[0] == 200
    assert (await c.call("POST", f"/api/v1/stories/{on_c['id']}/react", carol, json={"emoji": "🎉"}))[0] == 200
    await settle([a, b, c])
    code, viewers = await a.call("GET", f"/api/v1/stories/{public['id']}/viewers", alice)
    assert {v["account"]["acct"] for v in viewers} == {"bob@node-b.test", "carol@node-c.test"}
    code, notes = await a.call("GET", "/api/v1/notifications", alice)
    kinds = {(n["type"], n["account"]["acct"]) for n in notes}
    assert {("story_reply", "bob@node-b.test"), ("story_reaction", "carol@node-c.test")} <= kinds
    reply = next(n for n in notes if n["type"] == "story_reply")
    assert reply["status"]["visibility"] == "direct" and "love it" in reply["status"]["content"]
    assert (await remote_story(b, bob, public["uri"]))["seen"]

    # the countdown ends: subscribers on B and C hear it from their own nodes
    for fed in (b, c):
        fed.node.clock.advance(timedelta(hours=3, seconds=1))
        with fed.db():
            assert await story_answers.notify_ended(fed.node) == 1
    for fed, token in ((b, bob), (c, carol)):
        code, notes = await fed.call("GET", "/api/v1/notifications", token)
        assert [n["account"]["acct"] for n in notes if n["type"] == "story_countdown_ended"] == ["alice@node-a.test"]

    # a highlight on A, read by B from A's public collection
    code, highlight = await a.call("POST", "/api/v1/highlights", alice, json={"title": "Best", "story_ids": [public["id"]]})
    assert code == 200, highlight
    alice_on_b = await found(b, bob, "alice@node-a.test")
    code, shown = await b.call("GET", f"/api/v1/accounts/{alice_on_b}/highlights", bob)
    assert code == 200 and [h["title"] for h in shown] == ["Best"] and shown[0]["stories"][0]["uri"] == public["uri"]

    # expiry: B and C drop the stories by expiresAt before any Delete arrives, media files included
    for fed in (a, b, c):
        fed.node.clock.advance(timedelta(hours=24))
    for fed in (b, c):
        with fed.db():
            await posting.expire(fed.node)
            assert not await Story.filter(local=False).exists()
    assert not cached_file.exists()
    assert await tray(b, bob) == [] and await tray(c, carol) == []
    with a.db():
        assert await posting.expire(a.node) == 2
        # a Delete follows each story where it went: the followers' one, and the close-friends one per server
        assert await OutboxActivity.filter(uri=f"{public['uri']}#delete").exists()
        assert await OutboxActivity.filter(uri__startswith=f"{secret['uri']}#delete-").count() >= 1
    await settle([a, b, c])
    code, archive = await a.call("GET", "/api/v1/stories/archive", alice)
    assert {s["uri"] for s in archive} == {public["uri"], secret["uri"]} and all(s["expired"] for s in archive)
    code, kept = await a.call("GET", "/api/v1/highlights", alice)
    assert [s["uri"] for s in kept[0]["stories"]] == [public["uri"]]
    with a.db():
        row = await Story.get(uri=public["uri"])
        assert (a.node.config.media_dir / row.file_path).exists()
    code, gone = await b.call("GET", f"/api/v1/stories/{on_b['id']}", bob)
    assert code == 404
