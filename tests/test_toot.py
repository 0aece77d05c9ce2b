"""The toot command-line client, unmodified, signs in, posts with an image, reads its timeline, and likes,
against a node served over real HTTP (toot runs as a subprocess with its own config folder)."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

import pytest
from PIL import Image
from support import bearer, create_user

from node.app import build_app

TOOT = shutil.which("toot", path=str(Path(sys.executable).parent)) or shutil.which("toot")


async def toot(home: Path, *args: str, stdin: str = "") -> str:
    env = {**os.environ, "XDG_CONFIG_HOME": str(home), "HOME": str(home), "NO_COLOR": "1", "TERM": "dumb"}
    process = await asyncio.create_subprocess_exec(
        TOOT, *args, env=env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(process.communicate(stdin.encode()), timeout=60)
    text = out.decode()
    assert process.returncode == 0, f"toot {' '.join(args)} failed:\n{text}"
    return text


@pytest.mark.skipif(TOOT is None, reason="toot is a test dependency (pip install -e '.[test]')")
async def test_toot_logs_in_posts_reads_and_likes(aiohttp_client, make_config, node_of, tmp_path):
    client = await aiohttp_client(build_app(make_config(), scheduler=False))
    node = node_of(client)
    base = str(client.make_url("/")).rstrip("/")
    _, token = await create_user(node, "tia")
    image = tmp_path / "dot.png"
    Image.new("RGB", (20, 20), (200, 40, 40)).save(image)

    await toot(tmp_path, "login_cli", "-i", base, "-e", "tia@example.com", stdin="correct horse battery\n")
    posted = await toot(tmp_path, "post", "Tooted from the toot CLI #toot", "-m", str(image), "-d", "a red dot")
    assert "Toot posted" in posted or "posted" in posted.lower()

    statuses = await (await client.get("/api/v1/timelines/home", headers=bearer(token))).json()
    assert len(statuses) == 1
    status = statuses[0]
    assert "Tooted from the toot CLI" in status["content"]
    assert status["media_attachments"][0]["description"] == "a red dot"
    assert status["application"]["name"].startswith("toot")

    timeline = await toot(tmp_path, "timeline", "--once")
    assert "Tooted from the toot CLI" in timeline
    await toot(tmp_path, "favourite", status["id"])
    seen = await (await client.get(f"/api/v1/statuses/{status['id']}", headers=bearer(token))).json()
    assert seen["favourited"] is True and seen["favourites_count"] == 1


@pytest.mark.skipif(TOOT is None, reason="toot is a test dependency (pip install -e '.[test]')")
async def test_toot_schedules_a_post_and_manages_lists_and_tags(aiohttp_client, make_config, node_of, tmp_path):
    client = await aiohttp_client(build_app(make_config(), scheduler=False))
    node = node_of(client)
    base = str(client.make_url("/")).rstrip("/")
    _, token = await create_user(node, "tia")
    await create_user(node, "ben")
    await node.search.drain()  # ben is in the index before toot looks him up (indexing follows the commit)
    await toot(tmp_path, "login_cli", "-i", base, "-e", "tia@example.com", stdin="correct horse battery\n")

    await toot(tmp_path, "post", "Later, from toot", "--scheduled-in", "10 minutes")
    waiting = await (await client.get("/api/v1/scheduled_statuses", headers=bearer(token))).json()
    assert [s["params"]["text"] for s in waiting] == ["Later, from toot"]
    assert await (await client.get("/api/v1/timelines/home", headers=bearer(token))).json() == []

    await toot(tmp_path, "follow", "ben")
    await toot(tmp_path, "lists", "create", "Pals", "--replies-policy", "list")
    await toot(tmp_path, "lists", "add", "Pals", "ben")
    assert "ben" in await toot(tmp_path, "lists", "accounts", "Pals")
    assert "Pals" in await toot(tmp_path, "lists", "list")
    lists = await (await client.get("/api/v1/lists", headers=bearer(token))).json()
    assert [(li["title"], li["replies_policy"]) for li in lists] == [("Pals", "list")]
    await toot(tmp_path, "lists", "remove", "Pals", "ben")
    assert "ben" not in await toot(tmp_path, "lists", "accounts", "Pals")
    await toot(tmp_path, "lists", "delete", "Pals")
    assert await (await client.get("/api/v1/lists", headers=bearer(token))).json() == []

    await toot(tmp_path, "tags", "follow", "knitting")
    assert "knitting" in await toot(tmp_path, "tags", "followed")
    await toot(tmp_path, "tags", "feature", "knitting")
    assert "knitting" in await toot(tmp_path, "tags", "featured")
    followed = await (await client.get("/api/v1/followed_tags", headers=bearer(token))).json()
    assert [t["name"] for t in followed] == ["knitting"]
