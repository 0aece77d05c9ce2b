"""The server cannot decrypt: a full run (1:1 both ways on both backends, multi-device, a group across two
nodes with a key rotation, typing) whose every message carries a random marker; no marker appears in either
node's database files (with the WAL), anything else in their folders, their logs, or any HTTP body the nodes
received or answered (clients' requests and each other's deliveries alike)."""

from __future__ import annotations

import logging
import secrets

import postgres_databases
import pytest
from e2ee_support import Capture, E2EECluster, account_id_on, crypto_user


@pytest.fixture
async def captured(tmp_path):
    capture = Capture()
    made = E2EECluster(tmp_path, capture)
    yield made, capture
    await made.close()


def marker() -> str:
    return f"MARKER{secrets.token_hex(8)}"


async def test_no_plaintext_reaches_either_node(captured, tmp_path, caplog):
    cluster, capture = captured
    caplog.set_level(logging.DEBUG)
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    _, alice_token = await crypto_user(a, "alice")
    _, bob_token = await crypto_user(b, "bob")
    _, carol_token = await crypto_user(b, "carol")
    alice = await cluster.device(a, alice_token)
    bob = await cluster.device(b, bob_token, "olm")
    carol = await cluster.device(b, carol_token)
    markers: list[str] = []

    def said() -> str:
        markers.append(marker())
        return markers[-1]

    bob_on_a = await account_id_on(alice, "bob@node-b.test")
    carol_on_a = await account_id_on(alice, "carol@node-b.test")
    await alice.send_text(bob_on_a, said())
    await alice.send(bob_on_a, "call.offer", sdp=said())
    await cluster.settle()
    received = await bob.receive()
    alice_on_b = received[0].sender_account_id
    await bob.send_text(alice_on_b, said())
    await bob.send(alice_on_b, "edit", target=received[0].id, text=said())
    await bob.send(alice_on_b, "receipt", read=[received[0].id], note=said())
    await bob.typing(alice_on_b)
    group = await alice.create_group([bob_on_a, carol_on_a], name="plans")
    await cluster.settle()
    for _ in range(3):
        await alice.send_group(group["id"], text=said())
    await cluster.settle()
    carol_group = (await carol.api.groups())[0]
    await carol.send_group(carol_group["id"], text=said())
    await carol.api.remove_member(carol_group["id"], carol.my_id)  # the rotation shares a new key
    await cluster.settle()
    await alice.send_group(group["id"], text=said())
    await cluster.settle()
    texts = [m.text or m.content.get("sdp") or m.content.get("note")
             for c in (alice, bob, carol) for m in await c.receive()] + [m.text or m.content.get("sdp")
                                                                       for m in received]
    assert set(markers) <= set(texts), (set(markers) - set(texts), alice.refused, bob.refused, carol.refused)

    # a control: a public post's marker is found by the same search, so the search can find a leak
    control = marker()
    status, _ = await a.call("POST", "/api/v1/statuses", alice_token, json={"status": control})
    assert status == 200

    haystacks = []
    for fed in (a, b):
        with fed.db():
            from tortoise import connections

            client = connections.get("default")
            if client.capabilities.dialect == "sqlite":  # flush what it holds in memory to the files read below
                await client.execute_query("PRAGMA wal_checkpoint(PASSIVE)")
            else:  # PostgreSQL's files are not ours to read: every row of every table, as text
                haystacks += [await postgres_databases.every_row(client)]
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert haystacks or any(p.name.endswith("-wal") for p in files) or any(p.name.endswith(".sqlite3") for p in files)
    haystacks += [p.read_bytes() for p in files]
    haystacks += capture.bodies
    haystacks.append(caplog.text.encode())
    assert len(capture.bodies) > 50
    assert any(control.encode() in h for h in haystacks)
    for m in markers:
        leaks = [i for i, h in enumerate(haystacks) if m.encode() in h]
        assert not leaks, f"{m} found in {leaks}"
