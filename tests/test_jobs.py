"""The periodic jobs, run as the scheduler runs them: all at once, for several cycles, on a node with work
for them (an expired mute, an expired poll). Concurrent jobs used to share one `with node.db:` and log a
ValueError traceback every minute; a clean node logs nothing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from support import create_user

from node import jobs
from node.models import Mute, Poll, Status
from node.services import relationships


async def test_concurrent_job_cycles_log_nothing(node_client, node_of, caplog):
    node = node_of(node_client)
    with node.db:
        alice, _ = await create_user(node, "alice")
        bob, _ = await create_user(node, "bob")
        await relationships.mute(alice.account, bob.account, duration=60)
        await Mute.all().update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        status = await Status.create(
            account_id=alice.account.id,
            local=True,
            uri="http://localhost/s/1",
            text="poll",
            content="<p>poll</p>",
            created_at=datetime.now(UTC),
        )
        await Poll.create(
            status_id=status.id,
            options=["a", "b"],
            cached_tallies=[0, 0],
            expires_at=datetime.now(UTC) - timedelta(seconds=1),
        )
    with caplog.at_level(logging.INFO):
        for _ in range(3):  # three cycles of every job falling due together
            await jobs.run_all_once(node)
        await node.settle()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    with node.db:
        assert not await Mute.exists()  # the jobs did their work
        assert (await Poll.get(status_id=status.id)).ended_notified
