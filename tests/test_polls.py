"""Polls over real HTTP: created with a status (JSON and Rails-style form), voting single and multiple,
the refusals (twice, own poll, expired, bad choices), hidden totals, and closing with one notification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fixtures.social import call, post, user
from support import bearer

from node.models import Notification, Poll, PollVote
from node.services import polls


async def make_poll(client, token, **poll):  # type: ignore[no-untyped-def]
    spec = {"options": ["tea", "coffee", "juice"], "expires_in": 3600, **poll}
    return await post(client, token, "which?", poll=spec)


async def test_poll_created_from_a_form_post(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    form = [("status", "pick"), ("poll[options][]", "yes"), ("poll[options][]", "no"), ("poll[expires_in]", "300"),
            ("poll[multiple]", "true")]
    response = await node_client.post("/api/v1/statuses", data=form, headers=bearer(alice))
    body = await response.json()
    assert response.status == 200, body
    poll = body["poll"]
    assert [o["title"] for o in poll["options"]] == ["yes", "no"] and poll["multiple"] is True
    assert poll["expired"] is False and poll["voted"] is True and poll["own_votes"] == []
    assert poll["votes_count"] == 0 and poll["emojis"] == []


async def test_single_choice_vote_and_results(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    _, bob = await user(node, "bob")
    _, carol = await user(node, "carol")
    status = await make_poll(node_client, alice)
    poll_id = status["poll"]["id"]
    code, seen = await call(node_client, "GET", f"/api/v1/polls/{poll_id}", bob)
    assert code == 200 and seen["voted"] is False and seen["own_votes"] == []
    code, voted = await call(node_client, "POST", f"/api/v1/polls/{poll_id}/votes", bob, json={"choices": [1]})
    assert code == 200, voted
    assert voted["voted"] is True and voted["own_votes"] == [1] and voted["votes_count"] == 1
    assert [o["votes_count"] for o in voted["options"]] == [0, 1, 0]
    code, body = await call(node_client, "POST", f"/api/v1/polls/{poll_id}/votes", bob, json={"choices": [2]})
    assert code == 422 and body["error"] == "Validation failed: You have already voted on this poll"
    code, body = await call(node_client, "POST", f"/api/v1/polls/{poll_id}/votes", carol, json={"choices": [0, 1]})
    assert code == 422 and "error" in body
    for choices in ([], [3], [-1]):
        code, body = await call(node_client, "POST", f"/api/v1/polls/{poll_id}/votes", carol, json={"choices": choices})
        assert code == 422 and "error" in body
    code, body = await call(node_client, "POST", f"/api/v1/polls/{poll_id}/votes", alice, json={"choices": [0]})
    assert code == 422 and "error" in body  # own poll
    _, anonymous = await call(node_client, "GET", f"/api/v1/polls/{poll_id}")
    assert "voted" not in anonymous and anonymous["voters_count"] == 1
    with node.db:
        assert await PollVote.all().count() == 1


async def test_multiple_choice_vote(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    _, bob = await user(node, "bob")
    status = await make_poll(node_client, alice, multiple=True)
    poll_id = status["poll"]["id"]
    form = [("choices[]", "0"), ("choices[]", "2")]
    response = await node_client.post(f"/api/v1/polls/{poll_id}/votes", data=form, headers=bearer(bob))
    voted = await response.json()
    assert response.status == 200 and voted["own_votes"] == [0, 2]
    assert voted["votes_count"] == 2 and voted["voters_count"] == 1
    _, shown = await call(node_client, "GET", f"/api/v1/statuses/{status['id']}", bob)
    assert shown["poll"]["own_votes"] == [0, 2]


async def test_hidden_totals_until_the_end(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    _, bob = await user(node, "bob")
    status = await make_poll(node_client, alice, hide_totals=True)
    poll_id = status["poll"]["id"]
    _, voted = await call(node_client, "POST", f"/api/v1/polls/{poll_id}/votes", bob, json={"choices": [0]})
    assert [o["votes_count"] for o in voted["options"]] == [None, None, None]
    _, own = await call(node_client, "GET", f"/api/v1/polls/{poll_id}", alice)
    assert [o["votes_count"] for o in own["options"]] == [1, 0, 0]


async def test_expired_poll_refuses_votes_and_closing_notifies_once(node_client, node_of):
    node = node_of(node_client)
    alice_id, alice = await user(node, "alice")
    bob_id, bob = await user(node, "bob")
    _, carol = await user(node, "carol")
    status = await make_poll(node_client, alice)
    poll_id = status["poll"]["id"]
    await call(node_client, "POST", f"/api/v1/polls/{poll_id}/votes", bob, json={"choices": [0]})
    with node.db:
        await Poll.filter(id=int(poll_id)).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    code, body = await call(node_client, "POST", f"/api/v1/polls/{poll_id}/votes", carol, json={"choices": [0]})
    assert code == 422 and body["error"] == "Validation failed: The poll has already ended"
    _, ended = await call(node_client, "GET", f"/api/v1/polls/{poll_id}", carol)
    assert ended["expired"] is True
    with node.db:
        assert await polls.close_expired(node) == 1
        assert await polls.close_expired(node) == 0
        rows = await Notification.filter(type="poll").values_list("account_id", flat=True)
    assert sorted(rows) == sorted([int(alice_id), int(bob_id)])
    code, notes = await call(node_client, "GET", "/api/v1/notifications?types[]=poll", bob)
    assert code == 200 and len(notes) == 1 and notes[0]["status"]["poll"]["expired"] is True


async def test_unknown_and_invisible_polls_are_404(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    _, bob = await user(node, "bob")
    status = await post(node_client, alice, "secret poll", visibility="private",
                        poll={"options": ["a", "b"], "expires_in": 600})
    poll_id = status["poll"]["id"]
    assert await call(node_client, "GET", f"/api/v1/polls/{poll_id}", bob) == (404, {"error": "Record not found"})
    code, _ = await call(node_client, "POST", f"/api/v1/polls/{poll_id}/votes", bob, json={"choices": [0]})
    assert code == 404
    assert (await call(node_client, "GET", "/api/v1/polls/12345", bob))[0] == 404


async def test_editing_options_resets_the_poll(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    _, bob = await user(node, "bob")
    status = await make_poll(node_client, alice)
    await call(node_client, "POST", f"/api/v1/polls/{status['poll']['id']}/votes", bob, json={"choices": [0]})
    same = {"options": ["tea", "coffee", "juice"], "expires_in": 3600}
    _, kept = await call(node_client, "PUT", f"/api/v1/statuses/{status['id']}", alice,
                         json={"status": "which? (edited)", "poll": same})
    assert kept["poll"]["id"] == status["poll"]["id"] and kept["poll"]["votes_count"] == 1
    _, reset = await call(node_client, "PUT", f"/api/v1/statuses/{status['id']}", alice,
                          json={"status": "which?", "poll": {"options": ["x", "y"], "expires_in": 600}})
    assert reset["poll"]["votes_count"] == 0 and [o["title"] for o in reset["poll"]["options"]] == ["x", "y"]
    _, history = await call(node_client, "GET", f"/api/v1/statuses/{status['id']}/history")
    assert [o["title"] for o in history[0]["poll"]["options"]] == ["tea", "coffee", "juice"]
    _, dropped = await call(node_client, "PUT", f"/api/v1/statuses/{status['id']}", alice, json={"status": "no poll"})
    assert dropped["poll"] is None
