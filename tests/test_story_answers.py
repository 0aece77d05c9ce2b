"""A question sticker's answers in the author's hands, over real HTTP on one node: a private reply (a
direct message to the answerer that quotes the question and the answer) and sharing an answer as a new
story (the question and the answer on a card, no name, on a copy of the story's media or a new
background), with the refusals that write nothing."""

from __future__ import annotations

from fixtures.social import call, follow, user
from test_stories import POS, image, story

from node.models import MediaAttachment, Status, Story


async def _asked(node_client, node):  # type: ignore[no-untyped-def]
    alice_id, alice = await user(node, "alice")
    bob_id, bob = await user(node, "bob")
    await follow(node_client, bob, alice_id)
    posted = await story(node_client, alice, stickers=[
        {"type": "question", "position": POS, "prompt": "What should I cook?"},
        {"type": "poll", "position": POS, "question": "Tea?", "options": ["Yes", "No"]}])
    question, poll = (s["id"] for s in posted["stickers"])
    code, body = await call(node_client, "POST", f"/api/v1/stories/{posted['id']}/stickers/{question}/answer", bob,
                            json={"text": "Pasta alla norma"})
    assert code == 200, body
    code, results = await call(node_client, "GET", f"/api/v1/stories/{posted['id']}/stickers/{question}/results", alice)
    assert code == 200, results
    (answer,) = results["answers"]
    assert answer["text"] == "Pasta alla norma" and answer["account"]["id"] == bob_id
    return {"alice": alice, "bob": bob, "bob_id": bob_id, "story": posted, "question": question, "poll": poll,
            "answer": answer["id"]}


def _url(s: dict, action: str, sticker: str | None = None, answer: str | None = None) -> str:
    return (f"/api/v1/stories/{s['story']['id']}/stickers/{sticker or s['question']}/answers/"
            f"{answer or s['answer']}/{action}")


async def test_reply_privately_to_an_answer(node_client, node_of):
    node = node_of(node_client)
    s = await _asked(node_client, node)
    code, status = await call(node_client, "POST", _url(s, "reply"), s["alice"], json={"status": "Great idea!"})
    assert code == 200, status
    assert status["visibility"] == "direct" and [m["id"] for m in status["mentions"]] == [s["bob_id"]]
    assert "Great idea!" in status["content"] and "What should I cook?" in status["content"]
    assert "Pasta alla norma" in status["content"]
    code, conversations = await call(node_client, "GET", "/api/v1/conversations", s["bob"])
    assert code == 200 and conversations[0]["last_status"]["id"] == status["id"], conversations

    with node.db:
        before = await Status.all().count()
    for url, token, body, expected in (
            (_url(s, "reply"), s["bob"], {"status": "x"}, 404),  # only the author replies to answers
            (_url(s, "reply"), s["alice"], {"status": "  "}, 422),
            (_url(s, "reply", answer="999"), s["alice"], {"status": "x"}, 404),
            (_url(s, "reply", sticker=s["poll"]), s["alice"], {"status": "x"}, 422)):
        code, body = await call(node_client, "POST", url, token, json=body)
        assert code == expected and "error" in body, (url, code, body)
    with node.db:
        assert await Status.all().count() == before


async def test_share_an_answer_as_a_story(node_client, node_of):
    node = node_of(node_client)
    s = await _asked(node_client, node)
    code, shared = await call(node_client, "POST", _url(s, "share"), s["alice"], json={})
    assert code == 200, shared
    (card,) = shared["stickers"]
    assert card["type"] == "shared_answer" and card["prompt"] == "What should I cook?"
    assert card["text"] == "Pasta alla norma" and "account" not in card and "account_id" not in card
    assert "bob" not in str(shared["stickers"]) + str(shared["overlays"])  # nobody is named
    with node.db:
        kept = await Story.get(id=int(shared["id"]))
        original = await Story.get(id=int(s["story"]["id"]))
    assert kept.file_path and kept.file_path != original.file_path  # its own copy of the media
    assert (node.config.media_dir / kept.file_path).read_bytes() == (node.config.media_dir / original.file_path).read_bytes()
    code, tray = await call(node_client, "GET", "/api/v1/stories", s["bob"])
    assert [x["id"] for x in tray[0]["stories"]] == [s["story"]["id"], shared["id"]]

    # on a background of the author's choosing, for close friends
    media_id = await image(node_client, s["alice"])
    code, other = await call(node_client, "POST", _url(s, "share"), s["alice"],
                             json={"media_id": media_id, "audience": "close_friends"})
    assert code == 200 and other["audience"] == "close_friends", other
    assert other["stickers"][0]["text"] == "Pasta alla norma"

    # refusals write nothing: not the author, a bad audience (the copied media is removed again), a story
    # cannot carry a shared answer card of its own making
    with node.db:
        stories, uploads = await Story.all().count(), await MediaAttachment.all().count()
    code, body = await call(node_client, "POST", _url(s, "share"), s["bob"], json={})
    assert code == 404 and "error" in body
    code, body = await call(node_client, "POST", _url(s, "share"), s["alice"], json={"audience": "everyone"})
    assert code == 422 and "audience" in body["error"]
    code, body = await call(node_client, "POST", "/api/v1/stories", s["alice"], json={
        "media_id": await image(node_client, s["alice"]),
        "stickers": [{"type": "shared_answer", "position": POS, "prompt": "?", "text": "forged"}]})
    assert code == 422 and "unknown type" in body["error"], body
    with node.db:
        assert await Story.all().count() == stories and await MediaAttachment.all().count() == uploads + 1  # the upload
