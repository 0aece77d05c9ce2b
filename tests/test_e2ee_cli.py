"""The chat CLI against two nodes: a line typed on one side arrives decrypted on the other, and a device
restarted from its saved state keeps its sessions (python-olm on one end, vodozemac on the other)."""

from __future__ import annotations

import asyncio

from e2ee_support import E2EECluster, crypto_user

from plugins.e2ee.client import cli

CLUSTER = E2EECluster  # the cluster fixture (tests/conftest.py) makes e2ee nodes


async def test_two_people_chat_from_two_terminals(cluster, tmp_path, capsys):
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    _, alice_token = await crypto_user(a, "alice")
    _, bob_token = await crypto_user(b, "bob")
    bob = await cluster.device(b, bob_token)
    state = tmp_path / "alice.json"

    async def alice_types(*typed: str) -> int:
        lines: asyncio.Queue[str | None] = asyncio.Queue()
        for line in typed:
            lines.put_nowait(line + "\n")
        lines.put_nowait(None)
        args = cli._parser().parse_args(["--node", "http://node-a.test", f"--token={alice_token}", "--backend", "olm",
                                         "--state", str(state), "chat", "@bob@node-b.test"])
        return await cli.chat(args, lines, cluster.http())

    assert await alice_types("hello from a terminal", "/timer 3600", "") == 0
    await cluster.settle()
    got = await bob.receive()
    assert [(m.type, m.text) for m in got] == [("text", "hello from a terminal"), ("timer", None)]
    await bob.send_text(got[0].sender_account_id, "hello back")
    await cluster.settle()
    # alice comes back with the same device: her saved session decrypts bob's reply
    assert await alice_types("/quit") == 0
    out = capsys.readouterr().out
    assert "chatting with bob@node-b.test as alice" in out
    assert "http://node-b.test/users/bob: hello back" in out
    assert state.stat().st_mode & 0o077 == 0
