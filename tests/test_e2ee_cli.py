"""The chat CLI against two nodes: a line typed on one side arrives decrypted on the other, and a device
restarted from its saved state keeps its sessions (python-olm on one end, vodozemac on the other)."""

from __future__ import annotations

import asyncio

from e2ee_support import E2EECluster, crypto_user

from plugins.e2ee.client import cli, signin

CLUSTER = E2EECluster  # the cluster fixture (tests/conftest.py) makes e2ee nodes


async def test_two_people_chat_from_two_terminals(cluster, tmp_path, capsys):
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    _, alice_token = await crypto_user(a, "alice")
    _, bob_token = await crypto_user(b, "bob")
    bob = await cluster.device(b, bob_token)
    state = tmp_path / "alice.json"
    login_file = tmp_path / "login.json"
    signin.save_login(login_file, "http://node-a.test", alice_token)

    async def alice_types(*typed: str) -> int:
        lines: asyncio.Queue[str | None] = asyncio.Queue()
        for line in typed:
            lines.put_nowait(line + "\n")
        lines.put_nowait(None)
        args = cli._parser().parse_args(["--login", str(login_file), "--backend", "olm",
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
    assert "@bob@node-b.test: hello back" in out
    assert "you: hello from a terminal" in out  # own messages are echoed
    assert state.stat().st_mode & 0o077 == 0


async def test_sign_in_from_the_cli_keeps_the_token_in_a_0600_file_and_groups_work(cluster, tmp_path, capsys):
    """The password is asked for (never an argument), the token lands in the 0600 login file only, and the
    group commands create, list, add, remove and leave over real HTTP."""
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    await crypto_user(a, "alice")
    await crypto_user(a, "carol")
    await crypto_user(b, "bob")
    login_file = tmp_path / "login.json"
    asked: list[tuple[str, bool]] = []

    async def ask(prompt: str, secret: bool) -> str:
        asked.append((prompt, secret))
        return "correct horse battery" if secret else "alice"

    argv = ["--node", "http://node-a.test", "--login", str(login_file), "login"]
    assert await cli.login(cli._parser().parse_args(argv), ask, cluster.http()) == 0
    assert asked == [("username: ", False), ("password: ", True)]
    assert login_file.stat().st_mode & 0o777 == 0o600
    saved = signin.load_login(login_file)
    assert saved["node"] == "http://node-a.test" and len(saved["token"]) > 20
    assert "signed in as" in capsys.readouterr().out

    async def wrong(prompt: str, secret: bool) -> str:
        return "wrong password" if secret else "alice"

    assert await cli.login(cli._parser().parse_args(argv), wrong, cluster.http()) == 1
    assert "not signed in" in capsys.readouterr().err
    assert signin.load_login(login_file) == saved  # a failed sign-in keeps the previous token

    async def group(*rest: str) -> int:
        args = cli._parser().parse_args(["--login", str(login_file), "group", *rest])
        return await cli.group_command(args, cluster.http())

    assert await group("create", "Weekend", "@bob@node-b.test") == 0
    group_id = capsys.readouterr().out.split()[2]
    assert await group("add", group_id, "@carol@node-a.test") == 0
    assert await group("list") == 0
    assert f"{group_id}  Weekend  3 members" in capsys.readouterr().out
    assert await group("remove", group_id, "@carol@node-a.test") == 0
    assert await group("list") == 0
    assert "2 members" in capsys.readouterr().out
    assert await group("add", group_id, "@nobody-here@node-a.test") == 1
    assert "error:" in capsys.readouterr().err
    assert await group("leave", group_id) == 1  # the owner stays (the node says so, the CLI shows it)
    assert "owner cannot leave" in capsys.readouterr().err
