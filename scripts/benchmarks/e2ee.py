"""E2EE messaging: envelopes routed per second through one node, end-to-end latency from a send on one node to
the recipient's stream on another (delivery and inbox workers running, as in production), and the time for a
client to share a Megolm group key with 1,500 members x 2 devices (claims, Olm sessions, encryption, upload)."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import vodozemac as vz
from aiohttp.test_utils import TestServer
from harness import NO_RATE_LIMITS, Result, p50_p95

from federation.hostmap import StaticHostResolver
from node import activitypub
from node import config as config_module
from node.api.keys import NODE
from node.app import build_app
from node.models import Account, User
from node.runtime import Node
from node.services import accounts, auth
from plugins.e2ee import signing
from plugins.e2ee.client import E2EEClient, NodeClient
from plugins.e2ee.models import Device, OneTimeKey

SCOPES = "read write follow push crypto"


@asynccontextmanager
async def e2ee_node(folder: Path, resolver: StaticHostResolver, domain: str) -> AsyncIterator[Node]:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "node.toml"
    path.write_text(f'[node]\ndomain = "{domain}"\nregistrations = "open"\n[storage]\ndata_dir = "data"\n'
                    '[federation]\nenabled = true\nallow_private_addresses = true\n[plugins]\nenabled = ["e2ee"]\n'
                    + NO_RATE_LIMITS)
    app = build_app(config_module.load(path), scheduler=False, resolver=resolver)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    resolver.add(domain, "127.0.0.1", server.port)
    try:
        yield app[NODE]
    finally:
        await server.close()


async def person(node: Node, name: str) -> str:
    with node.db:
        user = await accounts.create_local_account(node, name, f"{name}@bench.test", "benchmark-pw")
        return await auth.issue_token(user, None, SCOPES)


async def routing(tmp: Path, resolver: StaticHostResolver, quick: bool) -> Result:
    """Local routing: POST /api/v1/crypto/deliveries in requests of 500 envelopes, to 50 devices."""
    total = 5_000 if quick else 20_000
    async with e2ee_node(tmp / "route", resolver, "route.test") as node:
        http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=resolver))
        sender = E2EEClient(NodeClient("http://route.test", await person(node, "sender"), http))
        await sender.setup()
        targets = []
        for i in range(50):
            device = E2EEClient(NodeClient("http://route.test", await person(node, f"r{i}"), http))
            await device.setup(one_time_keys=1)
            targets.append((device.my_id, device.device_id))
        body = signing.b64encode(bytes(160))  # a ciphertext-sized body; the server never looks inside
        requests = [[{"account_id": targets[(r * 500 + i) % 50][0], "device_id": targets[(r * 500 + i) % 50][1],
                      "type": 1, "body": body, "message_id": f"r{r}i{i}"} for i in range(500)]
                    for r in range(total // 500)]
        started = time.perf_counter()
        for items in requests:
            await sender.api.deliver(items)
        elapsed = time.perf_counter() - started
        await http.close()
    return Result("e2ee", "envelopes routed through one node", total / elapsed, "envelopes/s", "> 5000",
                  note=f"{total} envelopes, 500 per request, 50 recipient devices, one node (SQLite)")


async def latency(tmp: Path, resolver: StaticHostResolver, quick: bool) -> Result:
    """Send on node A -> delivery worker -> node B inbox -> inbox worker -> envelope -> B's stream event."""
    rounds = 50 if quick else 200
    async with e2ee_node(tmp / "a", resolver, "lat-a.test") as a, e2ee_node(tmp / "b", resolver, "lat-b.test") as b:
        for node in (a, b):
            activitypub.start_workers(node)
        http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=resolver))
        alice = E2EEClient(NodeClient("http://lat-a.test", await person(a, "alice"), http))
        bob = E2EEClient(NodeClient("http://lat-b.test", await person(b, "bob"), http))
        await alice.setup()
        await bob.setup()
        bob_on_a = str((await alice.api.lookup("bob@lat-b.test"))["id"])
        samples = []
        async with bob.api.stream() as ws:
            await alice.send_text(bob_on_a, "warm-up")
            await ws.receive_json(timeout=10)
            await bob.receive()
            for i in range(rounds):
                started = time.perf_counter()
                await alice.send_text(bob_on_a, f"ping {i}")
                frame = await ws.receive_json(timeout=10)
                samples.append((time.perf_counter() - started) * 1000)
                assert frame["event"] == "encrypted_message"
            got = await bob.receive()
            assert len(got) == rounds, len(got)
        await http.close()
        for node in (a, b):
            await activitypub.detach(node)
    p50, p95 = p50_p95(samples)
    return Result("e2ee", "send -> recipient stream on another node, p95", p95, "ms", "< 100",
                  note=f"{rounds} Olm messages, p50 {p50:.1f} ms, delivery and inbox workers running, loopback")


async def group_key_share(tmp: Path, resolver: StaticHostResolver, quick: bool) -> Result:
    """One client shares a new Megolm key with every member device: 1,500 members x 2 devices."""
    members = 150 if quick else 1_500  # the owner included; everyone has 2 devices
    async with e2ee_node(tmp / "group", resolver, "group.test") as node:
        token = await person(node, "owner")
        with node.db:
            # Members and their devices are made directly: signing up 1,500 people over HTTP measures
            # password hashing, not E2EE. Each device still has real keys and signatures.
            owner = await User.get(account__username="owner").prefetch_related("account")
            rows = [Account(username=f"m{i}", domain="", uri=f"http://group.test/users/m{i}")
                    for i in range(members - 1)]
            await Account.bulk_create(rows, batch_size=500)
            people = await Account.filter(username__startswith="m", domain="").order_by("id")
            people.append(owner.account)  # the owner's second device; the sending device is the client's
            devices, keys = [], []
            for account in people:
                for d in range(1 if account.id == owner.account.id else 2):
                    olm = vz.Account()
                    olm.generate_one_time_keys(1)
                    identity, fingerprint = olm.curve25519_key.to_base64(), olm.ed25519_key.to_base64()
                    signed = signing.device_object(account.uri, f"D{d}", identity, fingerprint, signing.ALGORITHMS)
                    devices.append(Device(account_id=account.id, device_id=f"D{d}", identity_key=identity,
                                          fingerprint_key=fingerprint, algorithms=list(signing.ALGORITHMS),
                                          signature=olm.sign(signing.canonical_json(signed)).to_base64()))
                    key = next(iter(olm.one_time_keys.values())).to_base64()
                    keys.append((len(devices) - 1, key, olm.sign(signing.canonical_json({"key": key})).to_base64()))
            await Device.bulk_create(devices, batch_size=500)
            stored = await Device.filter(local=True).order_by("id")
            by_key = {(d.account_id, d.device_id): d for d in stored}
            await OneTimeKey.bulk_create([OneTimeKey(device=by_key[(devices[i].account_id, devices[i].device_id)],
                                                     key_id="K", key=k, signature=s) for i, k, s in keys],
                                         batch_size=500)
        http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=resolver))
        client = E2EEClient(NodeClient("http://group.test", token, http))
        await client.setup()
        group = await client.create_group([str(a.id) for a in people if a.id != owner.account.id])
        started, cpu = time.perf_counter(), time.process_time()
        await client.send_group(group["id"], text="the key goes out with this first message")
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        shared = len(client.outbound[group["uri"]].shared)
        await http.close()
    assert shared == members * 2 - 1, shared
    return Result("e2ee", f"share a group key with {members} members x 2 devices", elapsed, "s",
                  note=f"{shared} other devices: query, claim, Olm session + encrypt each, upload, fan-out of the "
                       f"first message; vodozemac, client and node in one process: {cpu:.2f} CPU-s")


async def run(quick: bool) -> list[Result]:
    resolver = StaticHostResolver()
    with tempfile.TemporaryDirectory(prefix="entativa-bench-e2ee-") as tmp:
        folder = Path(tmp)
        return [await routing(folder, resolver, quick), await latency(folder, resolver, quick),
                await group_key_share(folder, resolver, quick)]


if __name__ == "__main__":
    for result in asyncio.run(run(quick=True)):
        print(result)
