"""Encrypted attachments between two real nodes with real crypto: files go both ways (1:1 and in a group)
and decrypt byte-identical, the nodes hold and carry only ciphertext, a tampered blob is refused by the
recipient, only the conversation can read a blob (on its node and through the other), bad uploads leave
nothing behind, blobs go from disk with their messages (on the node's clock), and the CLI sends and saves
files."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import secrets
from datetime import timedelta
from pathlib import Path

from e2ee_support import Capture, E2EECluster, account_id_on, crypto_user
from support import bearer

from plugins.e2ee import expire_messages
from plugins.e2ee.client import cli, signin
from plugins.e2ee.client.attachments import AttachmentRefused
from plugins.e2ee.models import Attachment

CLUSTER = E2EECluster


def marked_file(size: int, marker: bytes) -> bytes:
    """`size` random bytes with `marker` written into them every 64 KiB (so any slice of it would show)."""
    data = bytearray(os.urandom(size))
    for at in range(0, size - len(marker), 64 * 1024):
        data[at:at + len(marker)] = marker
    return bytes(data)


def raw_bytes(folder: Path) -> bytes:
    """Every byte a node wrote: SQLite files (WAL included), blobs, keys, anything else under its folder."""
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def blobs(fed) -> list[Path]:  # type: ignore[no-untyped-def]
    folder = fed.node.plugins.api("e2ee").data_dir / "attachments"
    return sorted(folder.iterdir()) if folder.exists() else []


def sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode().rstrip("=")


async def test_files_both_ways_decrypt_byte_identical_and_the_nodes_see_only_ciphertext(tmp_path):
    cluster = E2EECluster(tmp_path, Capture())
    try:
        a = await cluster.add_node("node-a")
        b = await cluster.add_node("node-b")
        _, alice_token = await crypto_user(a, "alice")
        _, bob_token = await crypto_user(b, "bob")
        alice = await cluster.device(a, alice_token, "vodozemac")
        bob = await cluster.device(b, bob_token, "olm")
        bob_on_a = await account_id_on(alice, "bob@node-b.test")
        marker = f"MARKER-{secrets.token_hex(8)}".encode()
        big = marked_file(5 * 1024 * 1024, marker)
        await alice.send_file(bob_on_a, big, "report.bin", text="the numbers")
        await cluster.settle()
        [got] = [m for m in await bob.receive() if m.type == "attachment"]
        assert got.content["name"] == "report.bin" and got.content["size"] == len(big)
        assert got.content["file"]["url"].startswith("http://node-a.test/e2ee/blobs/")
        assert await bob.download(got) == big  # relayed by node-b from node-a, signed as bob

        picture = marked_file(200_000, marker)
        await bob.send_file(got.sender_account_id, picture, "photo.jpg")
        await cluster.settle()
        [back] = [m for m in await alice.receive() if m.type == "attachment"]
        assert back.content["media"] == "image" and back.content["mimetype"] == "image/jpeg"
        assert await alice.download(back) == picture
        # bob reads his own upload from his own node too (his other devices do)
        assert await bob.download(back) == picture

        # the blob lives only on the node of whoever sent it; no node stored or carried the plaintext: not in
        # what they stored, in any body the capture saw, nor in the streamed ciphertext the clients got
        assert len(blobs(a)) == 1 and len(blobs(b)) == 1
        for client, message in ((bob, got), (alice, back), (alice, got)):
            ciphertext = await client.api.download_attachment(message.content["file"]["url"])
            assert marker not in ciphertext and sha(ciphertext) == message.content["file"]["hashes"]["sha256"]
        bodies = b"\n".join(cluster.capture.bodies)
        assert b"/api/v1/crypto/attachments" in bodies and len(bodies) > len(big)  # the capture saw the upload
        for fed in (a, b):
            assert marker not in raw_bytes(tmp_path / fed.name)
        assert marker not in bodies
        assert b"report.bin" not in bodies and b"the numbers" not in bodies  # names travel encrypted too
    finally:
        await cluster.close()


async def test_a_tampered_blob_is_refused_by_the_recipient(cluster, crypto_pair):
    a, b, alice_token, bob_token = crypto_pair
    alice = await cluster.device(a, alice_token)
    bob = await cluster.device(b, bob_token)
    await alice.send_file(await account_id_on(alice, "bob@node-b.test"), b"the real contents" * 1000, "a.txt")
    await cluster.settle()
    [got] = await bob.receive()
    [path] = blobs(a)
    tampered = bytearray(path.read_bytes())
    tampered[100] ^= 1  # one flipped bit: AES-CTR would decrypt it to one flipped bit, the hash catches it
    path.write_bytes(bytes(tampered))
    try:
        await bob.download(got)
        raise AssertionError("a tampered ciphertext was accepted")
    except AttachmentRefused as exc:
        assert "does not match its hash" in str(exc)


async def test_a_group_file_reaches_members_on_both_nodes_and_nobody_else(cluster, crypto_pair):
    a, b, alice_token, bob_token = crypto_pair
    _, carol_token = await crypto_user(b, "carol")  # on bob's node, not in the group
    _, dave_token = await crypto_user(a, "dave")  # on alice's node, in the group
    alice = await cluster.device(a, alice_token)
    bob = await cluster.device(b, bob_token)
    dave = await cluster.device(a, dave_token)
    carol = await cluster.device(b, carol_token)
    group = await alice.create_group([await account_id_on(alice, "bob@node-b.test"),
                                      await account_id_on(alice, "dave@node-a.test")], name="Trip")
    await cluster.settle()
    data = os.urandom(300_000)
    await alice.send_group_file(group["id"], data, "map.png")
    await cluster.settle()
    for member in (bob, dave):
        [got] = [m for m in await member.receive() if m.type == "attachment"]
        assert await member.download(got) == data, member.refused
    url = got.content["file"]["url"]
    blob_id = url.rsplit("/", 1)[1]
    # carol knows the address but is in no conversation of it: through her node, or on node-a directly
    status, body = await b.call("GET", "/api/v1/crypto/attachments/remote", carol_token, params={"url": url})
    assert status == 404 and "error" in body
    _, mallory_token = await crypto_user(a, "mallory")
    status, body = await a.call("GET", f"/api/v1/crypto/attachments/{blob_id}", mallory_token)
    assert status == 404 and "error" in body
    status, body = await a.call("GET", f"/e2ee/blobs/{blob_id}")  # unsigned server-to-server
    assert status == 401 and "error" in body
    # only the uploader may delete it; then it is gone for everyone
    status, _ = await a.call("DELETE", f"/api/v1/crypto/attachments/{blob_id}", dave_token)
    assert status == 404
    status, _ = await a.call("DELETE", f"/api/v1/crypto/attachments/{blob_id}", alice_token)
    assert status == 200 and blobs(a) == []
    status, _ = await a.call("GET", f"/api/v1/crypto/attachments/{blob_id}", dave_token)
    assert status == 404
    del carol


async def test_a_relay_keeps_to_the_readers_limit(cluster):
    """A node relays no more than it would accept itself: a blob over its attachment_max_bytes is a 502."""
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b", e2ee={"attachment_max_bytes": 1_000_000})
    _, alice_token = await crypto_user(a, "alice")
    _, bob_token = await crypto_user(b, "bob")
    alice = await cluster.device(a, alice_token)
    bob = await cluster.device(b, bob_token)
    await alice.send_file(await account_id_on(alice, "bob@node-b.test"), os.urandom(1_500_000), "big.bin")
    await cluster.settle()
    [got] = await bob.receive()
    status, body = await b.call("GET", "/api/v1/crypto/attachments/remote", bob_token,
                                params={"url": got.content["file"]["url"]})
    assert status == 502 and "cap" in body["error"]
    status, body = await b.call("GET", "/api/v1/crypto/attachments/remote", bob_token,
                                params={"url": "http://node-a.test/somewhere/else"})
    assert status == 400 and "error" in body


async def test_bad_uploads_answer_4xx_and_store_nothing(cluster):
    a = await cluster.add_node("node-a", e2ee={"attachment_max_bytes": 1_000_000, "attachment_quota_bytes": 2_500_000})
    _, alice_token = await crypto_user(a, "alice")
    _, bob_token = await crypto_user(a, "bob")
    bob_id = (await a.call("GET", "/api/v1/accounts/verify_credentials", bob_token))[1]["id"]

    async def upload(data: bytes, **query: str) -> tuple[int, dict]:
        params = {"account_id": bob_id, "sha256": sha(data), **query}
        async with a.client.post("/api/v1/crypto/attachments", params=params, data=data,
                                 headers={**bearer(alice_token), "Content-Type": "application/octet-stream"}) as r:
            return r.status, await r.json()

    async def chunked(data: bytes) -> tuple[int, dict]:  # no Content-Length: the limit holds while streaming
        async def body():  # type: ignore[no-untyped-def]
            for at in range(0, len(data), 65536):
                yield data[at:at + 65536]
        async with a.client.post("/api/v1/crypto/attachments", params={"account_id": bob_id, "sha256": sha(data)},
                                 data=body(), headers=bearer(alice_token)) as r:
            return r.status, await r.json()

    one = os.urandom(900_000)
    cases = [
        (await upload(os.urandom(1_000_001)), 413, "at most"),
        (await chunked(os.urandom(1_200_000)), 413, "at most"),
        (await upload(one, sha256=sha(b"something else")), 422, "does not match"),
        (await upload(one, sha256="not-a-hash"), 422, "sha256"),
        (await upload(b""), 422, "empty"),
        (await upload(one, account_id="", group_id=""), 400, "account_id"),
        (await upload(one, account_id="999999999"), 404, "No account"),
        (await upload(one, account_id="", group_id="12345"), 404, "not found"),
        (await upload(one, expires_in="0"), 422, "expires_in"),
    ]
    for (status, body), want_status, words in cases:
        assert status == want_status and words.lower() in body["error"].lower(), (status, body)
    with a.db():
        assert await Attachment.all().count() == 0
    assert blobs(a) == []
    # the quota: two fit, the third does not (and leaves nothing), another account's uploads do not count
    assert (await upload(one))[0] == 200
    assert (await upload(one))[0] == 200
    status, body = await upload(one)
    assert status == 422 and "quota" in body["error"]
    with a.db():
        assert await Attachment.all().count() == 2
    assert len(blobs(a)) == 2
    # expired uploads stop counting at once
    a.node.clock.advance(timedelta(days=31))
    assert (await upload(one))[0] == 200


async def test_blobs_go_from_disk_with_their_messages_on_both_nodes(cluster, crypto_pair):
    a, b, alice_token, bob_token = crypto_pair
    alice = await cluster.device(a, alice_token)
    bob = await cluster.device(b, bob_token)
    bob_on_a = await account_id_on(alice, "bob@node-b.test")
    await alice.send_text(bob_on_a, "hello")
    await cluster.settle()
    [hello] = await bob.receive()
    await bob.send_file(hello.sender_account_id, b"kept a month" * 100, "long.txt")  # before any timer
    await cluster.settle()
    [long_lived] = [m for m in await alice.receive() if m.type == "attachment"]
    await alice.send(bob_on_a, "timer", seconds=60)  # from now on the conversation disappears after a minute
    await alice.send_file(bob_on_a, b"short-lived" * 100, "brief.txt")
    await cluster.settle()
    got = [m for m in await bob.receive() if m.type == "attachment"]
    with a.db():
        [row] = await Attachment.all()
        assert (row.expires_at - row.created_at).total_seconds() == 60
    assert len(blobs(a)) == 1 and len(blobs(b)) == 1

    for fed in (a, b):
        fed.node.clock.advance(timedelta(seconds=61))
        with fed.db():
            await expire_messages(fed.node.plugins.api("e2ee"))
    assert blobs(a) == [] and len(blobs(b)) == 1
    status, _ = await b.call("GET", "/api/v1/crypto/attachments/remote", bob_token,
                             params={"url": got[0].content["file"]["url"]})
    assert status == 404
    # the 30-day retention takes bob's too
    for fed in (a, b):
        fed.node.clock.advance(timedelta(days=30))
        with fed.db():
            await expire_messages(fed.node.plugins.api("e2ee"))
    assert blobs(a) == [] and blobs(b) == []
    with a.db():
        assert await Attachment.all().count() == 0
    with b.db():
        assert await Attachment.all().count() == 0
    try:
        await alice.download(long_lived)
        raise AssertionError("an expired blob was served")
    except Exception as exc:  # ApiError 404
        assert getattr(exc, "status", None) == 404


async def test_the_cli_sends_a_file_and_saves_the_ones_it_receives(cluster, crypto_pair, tmp_path, capsys):
    a, b, alice_token, bob_token = crypto_pair
    bob = await cluster.device(b, bob_token)
    outgoing = tmp_path / "holiday.jpg"
    outgoing.write_bytes(os.urandom(70_000))
    downloads = tmp_path / "downloads"
    login_file = tmp_path / "login.json"
    signin.save_login(login_file, "http://node-a.test", alice_token)

    async def alice_types(*typed: str) -> int:
        lines: asyncio.Queue[str | None] = asyncio.Queue()
        for line in typed:
            lines.put_nowait(line + "\n")
        lines.put_nowait(None)
        args = cli._parser().parse_args(["--login", str(login_file), "--state",
                                         str(tmp_path / "alice.json"), "--downloads", str(downloads),
                                         "chat", "@bob@node-b.test"])
        return await cli.chat(args, lines, cluster.http())

    assert await alice_types(f"/send-file {outgoing}", "/send-file /no/such/file") == 0
    out = capsys.readouterr().out
    assert "sent holiday.jpg (70.0 KB)" in out and "not sent:" in out
    await cluster.settle()
    [got] = [m for m in await bob.receive() if m.type == "attachment"]
    assert await bob.download(got) == outgoing.read_bytes()
    answer = os.urandom(5000)
    await bob.send_file(got.sender_account_id, answer, "../../etc/answer.pdf")  # a hostile name stays in the folder
    await cluster.settle()
    assert await alice_types("/quit") == 0
    out = capsys.readouterr().out
    assert f"[file] answer.pdf (5.0 KB) saved to {downloads / 'answer.pdf'}" in out
    assert (downloads / "answer.pdf").read_bytes() == answer


async def test_a_deleted_account_takes_its_blobs_devices_and_groups_along(cluster, crypto_pair):
    """Deleting an account (the settings' delete) removes its messaging on its node: attachment files and
    rows, devices and their keys, the group it owned; a group elsewhere hears that it left."""
    from node.models import User
    from node.services import account_deletion
    from plugins.e2ee.models import Device, Group, GroupMember, OneTimeKey

    a, b, alice_token, bob_token = crypto_pair
    _, dave_token = await crypto_user(a, "dave")
    alice = await cluster.device(a, alice_token)
    bob = await cluster.device(b, bob_token)
    await cluster.device(a, dave_token)
    bob_on_a = await account_id_on(alice, "bob@node-b.test")
    owned = await alice.create_group([bob_on_a, await account_id_on(alice, "dave@node-a.test")], name="Mine")
    theirs = await bob.create_group([await account_id_on(bob, "alice@node-a.test")], name="Bob's")
    await alice.send_file(bob_on_a, os.urandom(50_000), "notes.txt")
    await cluster.settle()
    assert len(blobs(a)) == 1
    with b.db():
        bobs = await Group.get(id=int(theirs["id"]))
        assert await GroupMember.filter(group=bobs).count() == 2

    with a.db():
        user = await User.get(account__username="alice").select_related("account")
        alice_id = user.account_id
        await account_deletion.delete_own_account(a.node, user, "correct horse battery")
    await cluster.settle()

    assert blobs(a) == []
    with a.db():
        assert not await Attachment.filter(owner_id=alice_id).exists()
        assert not await Device.filter(account_id=alice_id).exists()
        assert not await OneTimeKey.filter(device__account_id=alice_id).exists()
        assert not await Group.filter(id=int(owned["id"])).exists()
        assert not await GroupMember.filter(account_id=alice_id).exists()
        assert await Device.filter(local=True).count() == 1  # dave's stays
    with b.db():
        assert await GroupMember.filter(group_id=int(theirs["id"])).count() == 1  # alice left bob's group
