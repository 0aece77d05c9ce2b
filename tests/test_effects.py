"""The transactional outbox (node/effects.py) between two real nodes: a durable subscriber that fails leaves
the post acknowledged and its effect stored, and the retry delivers it exactly once; an effect carried out
twice at once (a start-up replay racing the request) queues its activity once. The kill -9 test of the
same guarantee runs real processes: tests/test_crash_outbox.py."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest
from federation_nodes import settle
from test_federation_nodes import follow, post

from node import effects
from node.models import Account, Delivery, OutboxActivity, PendingEffect, Status
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
