"""Streaming: 1,000 WebSocket clients (1,000 accounts, each on its `user` and the `public` stream) held open
on a real `entativa serve` process. Measured: the time from a favourite (POST .../favourite) to its
`notification` event on the liked account's socket, the time from one public post to its `update` on all
1,000 sockets, and the node's resident memory before and with the 1,000 streams open."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

import aiohttp
from harness import Result, bench_config, free_port, node_process, p50_p95
from memory import _rss_mb

from node.lifecycle import start_node, stop_node
from node.models import Account, OAuthToken, User
from node.services import auth

CLIENTS = 1_000


def _cpu_seconds(pid: int) -> float:
    """The process's user + system CPU time so far: what the node spent, whatever else shares the machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _seed(config_path: Path, count: int) -> list[str]:
    """`count` accounts with tokens, written through the ORM before the node starts (signing up over HTTP
    would measure password hashing and key generation, not streaming)."""
    from node import config as config_module

    node = await start_node(config_module.load(config_path))
    tokens = [auth.new_secret() for _ in range(count + 1)]
    try:
        with node.db:
            base = node.urls
            await Account.bulk_create(
                [
                    Account(
                        username=f"s{i}",
                        domain="",
                        uri=base.actor(f"s{i}"),
                        url=base.profile(f"s{i}"),
                        inbox_url=base.actor(f"s{i}") + "/inbox",
                    )
                    for i in range(count + 1)
                ],
                batch_size=500,
            )
            people = await Account.filter(domain="").order_by("id")
            await User.bulk_create(
                [User(account_id=a.id, email=f"{a.username}@bench.test", password_hash="x") for a in people],
                batch_size=500,
            )
            users = await User.all().order_by("id")
            await OAuthToken.bulk_create(
                [
                    OAuthToken(token_hash=auth.digest(t), user_id=u.id, scopes="read write")
                    for t, u in zip(tokens, users, strict=True)
                ],
                batch_size=500,
            )
    finally:
        await stop_node(node)
    return tokens


class Client:
    """One streaming client: records when each (event, status or notification id) arrives."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.arrived: dict[tuple[str, str], float] = {}
        self.waiting: dict[tuple[str, str], asyncio.Future[float]] = {}

    async def read(self) -> None:
        async for message in self.ws:
            now = time.perf_counter()  # before this client's own parsing
            frame = json.loads(message.data)
            if "event" not in frame or "payload" not in frame:
                continue
            text = frame["payload"]
            if frame["event"] == "update" and text.startswith('{"id":"'):  # a status renders its id first
                key = ("update", text[7 : text.index('"', 7)])
            else:
                payload = json.loads(text)
                if not isinstance(payload, dict):  # a delete's bare id
                    continue
                subject = payload["status"]["id"] if frame["event"] == "notification" else payload["id"]
                key = (frame["event"], str(subject))
            self.arrived[key] = now
            if (future := self.waiting.pop(key, None)) is not None and not future.done():
                future.set_result(now)

    def expect(self, key: tuple[str, str]) -> asyncio.Future[float]:
        future = asyncio.get_running_loop().create_future()
        if key in self.arrived:
            future.set_result(self.arrived[key])
        else:
            self.waiting[key] = future
        return future


async def run(quick: bool) -> list[Result]:
    clients_wanted = 200 if quick else CLIENTS
    rounds = 50 if quick else 200
    with tempfile.TemporaryDirectory(prefix="entativa-bench-stream-") as tmp:
        port = free_port()
        bench_config(Path(tmp), domain=f"127.0.0.1:{port}", port=port)  # writes node.toml
        config_path = Path(tmp) / "node.toml"
        tokens = await _seed(config_path, clients_wanted)
        liker, people = tokens[0], tokens[1:]
        base = f"http://127.0.0.1:{port}"
        async with (
            node_process(config_path, port) as process,
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http,
        ):
            idle_rss = _rss_mb(process.pid)
            clients: list[Client] = []
            for token in people:
                ws = await http.ws_connect(
                    f"{base}/api/v1/streaming?stream=user", headers={"Authorization": f"Bearer {token}"}
                )
                await ws.send_json({"type": "subscribe", "stream": "public"})
                clients.append(Client(ws))
            readers = [asyncio.get_running_loop().create_task(c.read()) for c in clients]
            # each of `rounds` clients posts once (unlisted: only its own home stream hears of it)
            posts = []
            for i in range(rounds):
                async with http.post(
                    f"{base}/api/v1/statuses",
                    json={"status": f"post {i}", "visibility": "unlisted"},
                    headers={"Authorization": f"Bearer {people[i]}"},
                ) as response:
                    posts.append((i, (await response.json())["id"]))
            for i, status_id in posts:
                await clients[i].expect(("update", status_id))
            await asyncio.sleep(1)  # let the node settle before reading its memory
            open_rss = _rss_mb(process.pid)

            favourite_ms = []
            cpu_before = _cpu_seconds(process.pid)
            for i, status_id in posts:
                arrival = clients[i].expect(("notification", status_id))
                started = time.perf_counter()
                async with http.post(
                    f"{base}/api/v1/statuses/{status_id}/favourite",
                    headers={"Authorization": f"Bearer {liker}"},
                ) as response:
                    assert response.status == 200, await response.text()
                favourite_ms.append((await asyncio.wait_for(arrival, 10) - started) * 1000)

            favourite_cpu_ms = (_cpu_seconds(process.pid) - cpu_before) * 1000 / len(posts)
            fan_out_ms = []
            posts_out = 5 if quick else 10
            cpu_before = _cpu_seconds(process.pid)
            for n in range(posts_out):
                started = time.perf_counter()
                async with http.post(
                    f"{base}/api/v1/statuses",
                    json={"status": f"to everyone {n}"},
                    headers={"Authorization": f"Bearer {liker}"},
                ) as response:
                    status_id = (await response.json())["id"]
                arrivals = await asyncio.wait_for(
                    asyncio.gather(*(c.expect(("update", status_id)) for c in clients)), 30
                )
                fan_out_ms.extend((t - started) * 1000 for t in arrivals)
            fan_out_cpu_ms = (_cpu_seconds(process.pid) - cpu_before) * 1000 / posts_out
            for client in clients:
                await client.ws.close()
            for reader in readers:
                reader.cancel()
    count = len(clients)
    fav_p50, fav_p95 = p50_p95(favourite_ms)
    fan_p50, fan_p95 = p50_p95(fan_out_ms)
    return [
        Result(
            "streaming",
            f"favourite -> notification event, {count} clients connected, p95",
            fav_p95,
            "ms",
            "< 100",
            note=f"{rounds} favourites, p50 {fav_p50:.1f} ms; node in its own process, loopback",
        ),
        Result(
            "streaming",
            "node CPU per favourite (request, notification, its event)",
            favourite_cpu_ms,
            "ms",
            note="user + system time of the node process / favourites: what other load on the machine leaves out",
        ),
        Result(
            "streaming",
            f"node CPU per public post streamed to {count} clients",
            fan_out_cpu_ms,
            "ms",
            note="the post request, one rendering, the block/mute filter, every socket's write",
        ),
        Result(
            "streaming",
            f"public post -> update on all {count} clients, p95",
            fan_p95,
            "ms",
            note=f"{len(fan_out_ms) // count} posts x {count} sockets, p50 {fan_p50:.1f} ms",
        ),
        Result(
            "streaming",
            f"node RSS with {count} open streams",
            open_rss,
            "MB",
            note=f"{idle_rss:.0f} MB before they connected; each client on `user` + `public`",
        ),
    ]


if __name__ == "__main__":
    for result in asyncio.run(run(quick=True)):
        print(result)
