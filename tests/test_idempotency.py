"""Idempotency-Key on POST /api/v1/statuses, with Mastodon's semantics, over real HTTP: the same key from the
same account within an hour answers the first status and creates nothing, also after the node restarted
(the key is stored with the status, in its transaction) and when the retries race; another account's key
or an hour later is a new post."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from fixtures.social import call
from support import create_user

from node.api.keys import NODE
from node.app import build_app
from node.models import IdempotencyKey, Status


async def test_the_key_survives_a_restart_and_expires_after_an_hour(aiohttp_client, make_config):
    config = make_config()
    client = await aiohttp_client(build_app(config, scheduler=False))
    node = client.app[NODE]
    _, alice = await create_user(node, "alice")
    _, bob = await create_user(node, "bob")
    key = {"Idempotency-Key": "post-1"}
    status, first = await call(
        client, "POST", "/api/v1/statuses", alice, json={"status": "once"}, headers=key
    )
    assert status == 200
    await client.close()

    client = await aiohttp_client(
        build_app(config, scheduler=False)
    )  # the same database, a new process state
    node = client.app[NODE]
    status, again = await call(
        client, "POST", "/api/v1/statuses", alice, json={"status": "changed my mind"}, headers=key
    )
    assert status == 200 and again["id"] == first["id"] and again["content"] == first["content"]
    status, bobs = await call(client, "POST", "/api/v1/statuses", bob, json={"status": "once"}, headers=key)
    assert status == 200 and bobs["id"] != first["id"]  # keys are per account
    with node.db:
        assert await Status.filter(text="once").count() == 2
        assert await Status.filter(text="changed my mind").count() == 0
        await IdempotencyKey.filter(status_id=int(first["id"])).update(
            created_at=datetime.now(UTC) - timedelta(minutes=61)
        )
    status, later = await call(
        client, "POST", "/api/v1/statuses", alice, json={"status": "once"}, headers=key
    )
    assert status == 200 and later["id"] != first["id"]  # an hour on, the key is free again
    with node.db:
        assert await IdempotencyKey.filter(key="post-1").count() == 2  # bob's and alice's new one


async def test_racing_retries_create_one_status(node_client, node_of):
    node = node_of(node_client)
    _, alice = await create_user(node, "alice")
    key = {"Idempotency-Key": "x" * 400}  # longer than the column: stored as its digest
    answers = await asyncio.gather(
        *(
            call(node_client, "POST", "/api/v1/statuses", alice, json={"status": "race"}, headers=key)
            for _ in range(5)
        )
    )
    assert {status for status, _ in answers} == {200}
    assert len({body["id"] for _, body in answers}) == 1
    with node.db:
        assert await Status.filter(text="race").count() == 1


async def test_a_failed_post_does_not_hold_its_key(node_client, node_of):
    node = node_of(node_client)
    _, alice = await create_user(node, "alice")
    key = {"Idempotency-Key": "retry-me"}
    status, body = await call(
        node_client, "POST", "/api/v1/statuses", alice, json={"status": ""}, headers=key
    )
    assert status == 422 and "error" in body
    status, body = await call(
        node_client, "POST", "/api/v1/statuses", alice, json={"status": "fixed"}, headers=key
    )
    assert status == 200 and body["content"] == "<p>fixed</p>"


async def test_racing_retries_on_two_processes_of_one_node_create_one_status(aiohttp_client, make_config):
    """Two web processes of one node (one database), retries racing on both: in the process whose insert of
    the key loses (an IntegrityError), that attempt answers the winner's status, and so do the retries
    waiting behind it there, which see its attempt cancelled and look again."""
    config = make_config()
    first = await aiohttp_client(build_app(config, scheduler=False))
    second = await aiohttp_client(build_app(config, scheduler=False))
    _, alice = await create_user(first.app[NODE], "alice")
    key = {"Idempotency-Key": "both-processes"}
    answers = await asyncio.gather(
        *(
            call(client, "POST", "/api/v1/statuses", alice, json={"status": "twice"}, headers=key)
            for _ in range(4)
            for client in (first, second)
        )
    )
    assert {status for status, _ in answers} == {200}
    assert len({body["id"] for _, body in answers}) == 1
    with first.app[NODE].db:
        assert await Status.filter(text="twice").count() == 1
