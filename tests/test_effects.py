"""The transactional outbox (node/effects.py) between two real nodes: a durable subscriber that fails leaves
the post acknowledged and its effect stored, and the retry delivers it exactly once; an effect carried out
twice at once (a start-up replay racing the request) queues its activity once. The kill -9 test of the
same guarantee runs real processes: tests/test_crash_outbox.py."""

from __future__ import annotations

import asyncio
import logging
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from federation_nodes import settle
from test_federation_nodes import follow, post

from node import effects
from node.models import Account, Delivery, OutboxActivity, PendingEffect, Poll, Status, Tag, Take, TakeTrend
from node.services import status_rows


async def _pair(cluster):  # type: ignore[no-untyped-def]
    a, b = await cluster.add_node("node-a"), await cluster.add_node("node-b")
    _, alice_token = await a.user("alice")
    _, bob_token = await b.user("bob")
    await follow(b, bob_token, a, "alice@node-a.test")
    await settle([a, b])
    return a, b, alice_token, bob_token


@pytest.mark.logs_errors
async def test_failing_durable_subscriber_keeps_the_effect_and_the_retry_delivers_once(cluster, caplog):
    a, b, alice_token, _ = await _pair(cluster)
    failures = []

    async def flaky(status: Status) -> None:  # e.g. a disk that was full for a moment
        if not failures:
            failures.append(status.id)
            raise OSError("disk full")

    a.node.bus.subscribe("status.created", flaky, durable=True)
    with caplog.at_level(logging.ERROR, logger="node.effects"):
        posted = await post(a, alice_token, status="must reach bob")  # acknowledged: the write stands
    assert "durable subscriber failed on status.created" in caplog.text
    with a.db():
        kept = await PendingEffect.all()
        assert [(e.name, e.attempts) for e in kept] == [("status.created", 1)]
        assert "disk full" in kept[0].last_error
        # The failure rolled back everything the event's durable subscribers did: nothing half-queued.
        assert not await OutboxActivity.filter(uri=f"{posted['uri']}/activity").exists()
        assert await effects.run_due(a.node) == 0  # not due yet: it backs off
        assert await effects.run_due(a.node, datetime.now(UTC) + timedelta(hours=1)) == 1
        assert not await PendingEffect.exists()
        assert await Delivery.filter(activity__uri=f"{posted['uri']}/activity").count() == 1
    await settle([a, b])
    with b.db():
        assert await Status.filter(uri=posted["uri"]).count() == 1
    with a.db():  # a second retry pass finds nothing to redo
        assert await effects.run_due(a.node, datetime.now(UTC) + timedelta(hours=2)) == 0
        assert await Delivery.filter(activity__uri=f"{posted['uri']}/activity").count() == 1


async def test_an_effect_carried_out_twice_at_once_queues_its_activity_once(cluster):
    a, b, alice_token, _ = await _pair(cluster)

    async def hold(
        status: Status,
    ) -> None:  # lets the racing replay run while the first is in its transaction
        await asyncio.sleep(0)

    a.node.bus.subscribe("status.created", hold, durable=True)
    with a.db():
        alice = await Account.get(username="alice", domain="")
        # Store a post with its effect but do not announce it, as a process killed right after the commit.
        status = Status(
            id=1,
            account=alice,
            local=True,
            uri=a.node.urls.status_uri("alice", 1),
            url=a.node.urls.status_page("alice", 1),
            text="replayed",
            content="<p>replayed</p>",
            visibility="public",
            created_at=datetime.now(UTC),
        )
        caused = await status_rows.store(a.node, status, {}, [], counts=True)
        assert caused.effect is not None
        effect = await PendingEffect.get(id=caused.effect.id)
        done = await asyncio.gather(effects.carry_out(a.node, effect), effects.replay(a.node))
        assert done[0] is True
        assert not await PendingEffect.exists()
        assert await OutboxActivity.filter(uri=f"{status.uri}/activity").count() == 1
        assert await Delivery.filter(activity__uri=f"{status.uri}/activity").count() == 1
    await settle([a, b])
    with b.db():
        assert await Status.filter(uri=status.uri).count() == 1


@contextmanager
def dies_after_commit(node):  # type: ignore[no-untyped-def]
    """Nothing after a write's commit runs, as when the process is killed right then: neither the recorded
    effects nor the in-memory event subscribers. A restart's `effects.replay` must still send everything."""
    async def gone(*_args, **_kwargs) -> None:
        return None

    saved = effects.announce, node.bus.publish
    effects.announce, node.bus.publish = gone, gone
    try:
        yield
    finally:
        effects.announce, node.bus.publish = saved


async def test_votes_and_profile_updates_survive_a_crash_right_after_their_commit(cluster):
    """A poll vote and a profile update are acknowledged, then the node dies before anything else runs: after
    the restart's replay the vote reaches the poll's server and the Update the follower's, each once."""
    a, b, alice_token, bob_token = await _pair(cluster)
    await post(a, alice_token, status="Tea or coffee?", poll={"options": ["tea", "coffee"], "expires_in": 600})
    await settle([a, b])
    _, home = await b.call("GET", "/api/v1/timelines/home", bob_token)
    poll_id = home[0]["poll"]["id"]
    with dies_after_commit(b.node):
        status, _ = await b.call("POST", f"/api/v1/polls/{poll_id}/votes", bob_token, json={"choices": [1]})
        assert status == 200
    with dies_after_commit(a.node):
        status, _ = await a.call("PATCH", "/api/v1/accounts/update_credentials", alice_token,
                                 json={"display_name": "Alice After"})
        assert status == 200
    await settle([a, b])
    with a.db():
        assert (await Poll.all().first()).voters_count == 0  # nothing left either node yet
    with b.db():
        assert (await Account.get(username="alice")).display_name != "Alice After"
    for fed in (a, b):
        with fed.db():
            assert await effects.replay(fed.node) >= 1  # what the start-up does
    await settle([a, b])
    with a.db():
        assert (await Poll.all().first()).voters_count == 1
    with b.db():
        assert (await Account.get(username="alice")).display_name == "Alice After"
    for fed in (a, b):  # and a second replay finds nothing left to send again
        with fed.db():
            assert await effects.replay(fed.node) == 0


@pytest.mark.logs_errors
async def test_effects_carried_out_together_fail_one_at_a_time(cluster, caplog):
    """Concurrent writes' effects share one transaction (carry_out_together), each in its own savepoint: one
    whose subscriber fails keeps its row for a retry with nothing of its work left, the others are done."""
    a = await cluster.add_node("node-a")
    _, alice_token = await a.user("alice")
    ran: list[int] = []
    watching = [True]

    async def marks(status: Status) -> None:
        if not watching:
            return
        await Tag.create(name=f"seen{status.id}", display_name="seen")  # work that must roll back on failure
        ran.append(status.id)
        if "fails" in status.content:
            raise OSError("disk full")

    a.node.bus.subscribe("status.created", marks, durable=True)
    with a.db():
        alice = await Account.get(username="alice", domain="")
        stored = []
        for n, text in enumerate(("first", "this one fails", "third")):
            status = Status(id=n + 10, account=alice, local=True, uri=a.node.urls.status_uri("alice", n + 10),
                            url=a.node.urls.status_page("alice", n + 10), text=text, content=f"<p>{text}</p>",
                            visibility="public", created_at=datetime.now(UTC))
            caused = await status_rows.store(a.node, status, {}, [], counts=True)  # committed, not announced
            stored.append(caused.effect)
        with caplog.at_level(logging.ERROR, logger="node.effects"):
            done = await effects.carry_out_together(a.node, [(effect, None) for effect in stored])
        assert done == [True, False, True]
        assert sorted(await Tag.filter(name__startswith="seen").values_list("name", flat=True)) == ["seen10", "seen12"]
        kept = await PendingEffect.all()
        assert [(e.id, e.attempts) for e in kept] == [(stored[1].id, 1)] and "disk full" in kept[0].last_error
        ran.clear()
        assert await effects.carry_out_together(a.node, [(effect, None) for effect in stored]) == [True, False, True]
        assert ran == [11]  # the done ones are not done twice; the failed one ran again (and failed again)
        assert (await PendingEffect.get(id=stored[1].id)).attempts == 2
    # concurrent posts through the API: every effect carried out, none left behind
    watching.clear()
    with a.db():
        await PendingEffect.all().delete()
    posted = await asyncio.gather(*(post(a, alice_token, status=f"together {n}") for n in range(6)))
    assert len({p["id"] for p in posted}) == 6
    with a.db():
        assert not await PendingEffect.exists()


async def test_a_takes_edit_and_delete_survive_a_crash_right_after_their_commit(cluster):
    """Bob's Take joined alice's trend on another node that does not follow him, so only the Take's own events
    tell alice's node: its edit (`take.updated`) and its delete (`take.deleted`, raised by the status's
    delete). The node dies after each commit; the replay still sends the Update and the Remove, once."""
    from test_take_trends import collection, post_take

    a, b = await cluster.add_node("node-a"), await cluster.add_node("node-b")
    _, alice_token = await a.user("alice")
    _, bob_token = await b.user("bob")
    origin = await post_take(a, alice_token, caption="Try this", **{"trend[name]": "Spin", "trend[hashtag]": "spin"})
    joined = await post_take(b, bob_token, caption="my go", trend_uri=origin["trend"]["uri"])
    await settle([a, b])
    with a.db():
        participants_uri = (await TakeTrend.get(uri=origin["trend"]["uri"])).participants_uri
    assert await collection(a, participants_uri) == [joined["uri"]]

    with dies_after_commit(b.node):
        status, _ = await b.call("PUT", f"/api/v1/takes/{joined['id']}", bob_token, json={"caption": "my second go"})
        assert status == 200
    with b.db():
        assert await effects.replay(b.node) >= 1
    await settle([a, b])
    with a.db():
        assert "my second go" in (await Status.get(uri=joined["uri"])).content

    with dies_after_commit(b.node):
        status, _ = await b.call("DELETE", f"/api/v1/takes/{joined['id']}", bob_token)
        assert status == 200
    with b.db():
        assert await Take.filter(uri=joined["uri"]).exists()  # the Take's rows go with the replayed effect
        assert await effects.replay(b.node) >= 1
        assert not await Take.filter(uri=joined["uri"]).exists()
        assert not await PendingEffect.exists()
    await settle([a, b])
    assert await collection(a, participants_uri) == []
    with b.db():
        assert await effects.replay(b.node) == 0
