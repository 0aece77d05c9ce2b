"""E2EE in the browser: the time the Messages page (headless Chromium, libolm WebAssembly) takes to share a new
Megolm group key with every member device of a 100-member group (30 with --quick).

One real node (the e2ee plugin on, real HTTP on a loopback port); the members are Python client devices with
signed one-time keys uploaded (what is measured is the browser side). Each repetition is a new person in a
new browser (their own context, so a new device with no Olm session yet) who sends the first message to their
own 100-member group: the share queries and checks every device, claims one-time keys (signature-checked),
creates an Olm session per device, encrypts the key for each and uploads the to-device messages. Then the
same page sends more messages to a group that rotates after every message: each one shares a fresh key over
the Olm sessions it already has (no claims).

The page times itself: e2ee.js records a User Timing entry ("e2ee.share") per key share with its phases
(query, claim, sessions, encrypt, upload), read back here. At the end every member device receives and
decrypts every message, so each figure is of a share that worked.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
from harness import REPO, Result, free_port, process_tree

from node import config as config_module
from node.api.keys import NODE
from node.app import build_app
from node.services import accounts, auth
from plugins.e2ee.client import E2EEClient, NodeClient
from plugins.e2ee.models import Envelope

sys.path.insert(0, str(REPO / "tests" / "browser"))
from conftest import CHROMIUM_ARGS  # noqa: E402  # the browser tests' launch flags

SCOPES = "read write follow push crypto"
PASSWORD = "benchmark password"
COLD = 5  # new browser devices, each sharing with every member device for the first time
ROTATIONS = 5  # fresh keys shared over existing Olm sessions, per the last browser
TARGET_MS = 2000  # issue 12: a 100-member group's key share under 2 s in the browser


def node_config(folder: Path, port: int) -> config_module.Config:
    """The node's domain is its loopback address and port, so actor URIs and cookies are the page's own, and
    http://127.0.0.1 is a secure context (WebCrypto) for Chromium."""
    path = folder / "node.toml"
    path.write_text(f'[node]\ndomain = "127.0.0.1:{port}"\nscheme = "http"\nregistrations = "open"\n'
                    '[storage]\ndata_dir = "data"\n[federation]\nenabled = false\n[plugins]\nenabled = ["e2ee"]\n'
                    # setting up 100 people hashes 100 passwords: that is not what is measured
                    '[limits]\napi_per_token = 1000000000\napi_per_ip = 1000000000\npassword_hashing = "cheapest"\n')
    return config_module.load(path)


async def person(node: Any, name: str, devices: int = 1) -> list[str]:
    """A local user and a token per device (the node binds a device to the token it was registered with)."""
    with node.bound():
        user = await accounts.create_local_account(node, name, f"{name}@bench.test", PASSWORD)
        return [await auth.issue_token(user, None, SCOPES) for _ in range(devices)]


async def sign_in(browser: Any, base: str, name: str) -> Any:
    """A fresh context (cookies, IndexedDB): the Messages page registers a new device for it."""
    context = await browser.new_context()
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    await page.goto(base + "/login")
    await page.fill('input[name="login"]', name)
    await page.fill('input[name="password"]', PASSWORD)
    await page.click('form[action="/login"] button[type="submit"]')
    await page.wait_for_url(base + "/")
    await page.goto(base + "/messages")
    await page.locator('[data-messenger][data-state="ready"]').wait_for(timeout=60_000)
    return page


def chromium_cpu() -> float:
    """CPU seconds Chromium's processes (browser, renderers, GPU and network services) have used: unlike the
    page's wall-clock figures, the other jobs on a shared machine do not inflate it."""
    ticks = 0
    for pid in process_tree(os.getpid()):
        try:
            if "chrom" not in Path(f"/proc/{pid}/comm").read_text():
                continue
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


async def send(page: Any, text: str, shares: int) -> dict[str, Any]:
    """Send `text` from the open conversation; returns the key share it made (the page's User Timing entry)
    and, as `send`, the whole send's milliseconds (the share, the Megolm message, saving the device), with the
    CPU milliseconds Chromium (`page_cpu`) and this process, the node (`node_cpu`), spent on it."""
    page_cpu, node_cpu = chromium_cpu(), time.process_time()
    await page.fill("[data-composer] textarea", text)
    await page.click("[data-composer] button[type=submit]")
    await page.wait_for_function("(n) => performance.getEntriesByName('e2ee.sendGroup').length >= n", arg=shares,
                                 timeout=120_000)
    page_cpu, node_cpu = chromium_cpu() - page_cpu, time.process_time() - node_cpu
    await page.locator(".bubble.mine", has_text=text).wait_for(timeout=120_000)
    entries = await page.evaluate("performance.getEntriesByName('e2ee.share')"
                                  ".map((e) => ({ duration: e.duration, ...e.detail }))")
    sends = await page.evaluate("performance.getEntriesByName('e2ee.sendGroup').map((e) => e.duration)")
    assert len(entries) == len(sends) == shares, (entries, sends, page.errors)
    return {**entries[-1], "send": sends[-1], "page_cpu": page_cpu * 1000, "node_cpu": node_cpu * 1000}


def phases(shares: list[dict[str, Any]]) -> str:
    """The phases' p50 and the whole send's, wall clock and CPU (ms)."""
    p50 = {name: statistics.median(s[name] for s in shares)
           for name in ("query", "claim", "sessions", "encrypt", "upload", "send", "page_cpu", "node_cpu")}
    return (", ".join(f"{name} {p50[name]:.0f}" for name in ("query", "claim", "sessions", "encrypt", "upload"))
            + f"; the whole send (share, Megolm message, device saved) {p50['send']:.0f}, CPU in Chromium "
              f"{p50['page_cpu']:.0f}, in the node {p50['node_cpu']:.0f}")


async def run(quick: bool, members: int | None = None, devices_each: int = 1, cold: int = COLD,
              rotations: int = ROTATIONS) -> list[Result]:
    """`members` counts the sender; every other member has `devices_each` devices."""
    from playwright.async_api import async_playwright

    members = members or (30 if quick else 100)
    executable = shutil.which("chromium")
    if executable is None:  # the rest of a full run goes on
        print("  Chromium is not installed (apt-get install chromium): e2ee_browser measured nothing", flush=True)
        return []
    with tempfile.TemporaryDirectory(prefix="entativa-bench-e2ee-browser-") as tmp:
        port = free_port()
        app = build_app(node_config(Path(tmp), port), scheduler=False)
        server = TestServer(app, host="127.0.0.1", port=port)
        await server.start_server()
        node, base = app[NODE], f"http://127.0.0.1:{port}"
        http = aiohttp.ClientSession()
        try:
            devices = []
            for i in range(members - 1):
                tokens = await person(node, f"m{i}", devices_each)
                devices += [E2EEClient(NodeClient(base, token, http)) for token in tokens]
            # one one-time key per new browser device that claims it, and a spare
            for start in range(0, len(devices), 100):
                await asyncio.gather(*(d.setup(one_time_keys=cold + 1) for d in devices[start:start + 100]))
            member_ids = list(dict.fromkeys(d.my_id for d in devices))
            owners = [NodeClient(base, (await person(node, f"owner{r}"))[0], http) for r in range(cold)]
            groups = [await owner.call("POST", "/api/v1/crypto/groups",
                                       json={"name": f"Bench {r}", "account_ids": member_ids,
                                             "rotate_after_messages": 1})
                      for r, owner in enumerate(owners)]
            firsts, warm, texts = [], [], {}
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
                try:
                    for r, group in enumerate(groups):
                        page = await sign_in(browser, base, f"owner{r}")
                        await (page.locator(".conversation-item", has_text=f"Bench {r}")
                               .locator("button.open").click())
                        await page.locator("[data-conversation]:not([hidden])").wait_for()
                        texts[group["uri"]] = [f"first message {r}"]
                        firsts.append(await send(page, texts[group["uri"]][0], 1))
                        if r < cold - 1:
                            assert page.errors == [], page.errors
                            await page.context.close()
                    for n in range(rotations):  # the last browser: its group rotates after every message
                        texts[group["uri"]].append(f"rotation {n}")
                        warm.append(await send(page, texts[group["uri"]][-1], n + 2))
                    assert page.errors == [], page.errors
                finally:
                    await browser.close()
            # every member device holds a room key and a Megolm message per message sent, and decrypts them
            # all (a sample of 200 devices in larger groups: each reader's checks ask the node about both groups)
            sent = sum(len(t) for t in texts.values())
            with node.bound():
                held = Counter(await Envelope.all().values_list("device__device_id", flat=True))
            assert all(held[d.device_id] == 2 * sent for d in devices), (sent, held)
            for device in devices[::max(1, len(devices) // 200)]:
                got: dict[str, list[str]] = {}
                for message in await device.receive():
                    if message.type == "text":
                        got.setdefault(message.group_uri, []).append(message.text)
                assert got == texts, (got, device.refused)
        finally:
            await http.close()
            await server.close()
    for share in firsts:
        assert share["rotated"] and share["devices"] == share["reached"] == share["claimed"] == len(devices), share
    for share in warm:
        assert share["rotated"] and share["reached"] == len(devices) and share["claimed"] == 0, share
    first = [s["duration"] for s in firsts]
    again = [s["duration"] for s in warm]
    label = f"{members} members x {devices_each} device{'s' if devices_each > 1 else ''}"
    return [
        Result("e2ee_browser", f"Chromium: share a group key with {label}, new device, p50",
               statistics.median(first), "ms", f"< {TARGET_MS}",
               note=f"{len(first)} new browser devices; p50 (ms): {phases(firsts)}"),
        Result("e2ee_browser", f"Chromium: share a group key with {label}, new device, max",
               max(first), "ms", f"< {TARGET_MS}"),
        Result("e2ee_browser", "Chromium: CPU of that first send (key share included), p50",
               statistics.median(s["page_cpu"] for s in firsts), "ms",
               note="all Chromium processes; /proc ticks of 10 ms; not inflated by other jobs on the machine"),
        Result("e2ee_browser", f"Chromium: rotate a group key to {label}, Olm sessions kept, p50",
               statistics.median(again), "ms", f"< {TARGET_MS}",
               note=f"{len(again)} rotations; p50 (ms): {phases(warm)}"),
        Result("e2ee_browser", f"Chromium: rotate a group key to {label}, Olm sessions kept, max",
               max(again), "ms", f"< {TARGET_MS}"),
    ]


if __name__ == "__main__":
    for result in asyncio.run(run(quick=True)):
        print(result)
