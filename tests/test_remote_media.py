"""Remote media is cached (issue 14), over real HTTP between a node and a loopback peer serving real image,
video and audio bytes: attachments are copied by the job (pending until then, shown from the remote URL),
typed by their bytes (a Document without mediaType too), previewed with blurhash and dimensions; Links are
dropped, oversize and non-media files are refused, the SSRF guard refuses private addresses, reject_media
servers get nothing fetched; avatars and headers are copied; prune (job and CLI) deletes only remote copies,
and the media proxy copies a pruned file again when asked."""

from __future__ import annotations

import io
import subprocess
import sys
import wave
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from federation_nodes import Cluster, FedNode, PeerServer, peer_keypair, settle
from fixtures.social import mp4_bytes, noise_png, png_bytes, upload
from PIL import Image
from support import REPO

from federation.as2 import PUBLIC, parse_actor
from node import jobs
from node.activitypub import actors, remote_media
from node.app import build_app
from node.models import Account, MediaAttachment

AS2 = "application/activity+json"
PEER = "http://masto.example"
CDN = "http://cdn.example"
ANN = f"{PEER}/users/ann"
MAX_BYTES = 200_000  # media.remote_max_bytes in these tests


def wav_bytes(seconds: float = 0.5, rate: int = 8000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(rate)
        sound.writeframes(b"\x00\x10" * int(seconds * rate))
    return out.getvalue()


async def _peer_cluster(tmp_path: Path, **federation: Any) -> tuple[Cluster, FedNode, PeerServer]:
    cluster = Cluster(tmp_path)
    fed = await cluster.add_node("entativa", media={"remote_max_bytes": MAX_BYTES}, federation=federation)
    private_pem, public_pem = peer_keypair()
    server = PeerServer(cluster.resolver, private_pem=private_pem, public_pem=public_pem)
    await cluster.serve(server.app(), "masto.example", "cdn.example")
    return cluster, fed, server


@pytest.fixture
async def peer(tmp_path):
    cluster, fed, server = await _peer_cluster(tmp_path)
    yield cluster, fed, server
    await cluster.close()


def _note(number: int, attachments: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"id": f"{ANN}/statuses/{number}", "type": "Note", "attributedTo": ANN, "content": f"<p>post {number}</p>",
            "published": "2026-11-30T10:00:00Z", "to": [PUBLIC], "cc": [f"{ANN}/followers"],
            "attachment": attachments, **extra}


async def _deliver(fed: FedNode, server: PeerServer, note: dict[str, Any], kind: str = "Create") -> None:
    if ANN not in server.docs:
        server.add_actor(ANN, "ann")
    activity = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{note['id']}/{kind.lower()}",
                "type": kind, "actor": ANN, "to": note["to"], "cc": note["cc"], "object": note}
    assert await server.send(f"{fed.base}/inbox", activity) == 202
    await settle([fed])


async def _status(fed: FedNode, token: str, uri: str) -> dict[str, Any]:
    code, found = await fed.call("GET", "/api/v2/search", token, params={"q": uri, "type": "statuses"})
    assert code == 200 and found["statuses"], found
    return found["statuses"][0]


async def _copy_all(fed: FedNode) -> int:
    with fed.node.bound():
        return await remote_media.drain(fed.node)


def _on_disk(fed: FedNode, url: str) -> Path:
    return fed.node.config.media_dir / url.split("/media/", 1)[1]


async def test_attachments_are_copied_typed_by_their_bytes_and_served_from_our_urls(peer):
    _, fed, server = peer
    _, token = await fed.user("alice")
    picture, clip, sound = png_bytes((120, 80), (10, 120, 200)), mp4_bytes(), wav_bytes()
    server.files[f"{CDN}/a/photo"] = (picture, "application/octet-stream")  # no mediaType, no useful type
    server.files[f"{CDN}/a/clip.mp4"] = (clip, "video/mp4")
    server.files[f"{CDN}/a/sound.wav"] = (sound, "audio/wav")
    server.files[f"{CDN}/a/huge.png"] = (noise_png(300), "image/png")  # ~270 KB, over the 200 KB cap
    server.files[f"{CDN}/a/page.png"] = (b"<html><script>alert(1)</script></html>", "image/png")
    attachments = [
        {"type": "Document", "url": f"{CDN}/a/photo", "name": "a blue box", "blurhash": "UNUSED"},
        {"type": "Document", "mediaType": "video/mp4", "url": f"{CDN}/a/clip.mp4"},
        {"type": "Link", "href": f"{CDN}/a/article", "mediaType": "text/html"},
        {"type": "Document", "mediaType": "audio/wav", "url": f"{CDN}/a/sound.wav"},
        {"type": "Document", "mediaType": "image/png", "url": f"{CDN}/a/huge.png"},
        {"type": "Document", "mediaType": "image/png", "url": f"{CDN}/a/page.png"},
    ]
    await _deliver(fed, server, _note(1, attachments))

    # stored with the status, pending: shown from the remote URLs, nothing fetched yet
    before = await _status(fed, token, f"{ANN}/statuses/1")
    media = before["media_attachments"]
    assert [m["remote_url"] for m in media] == [f"{CDN}/a/{name}" for name in
                                                ("photo", "clip.mp4", "sound.wav", "huge.png", "page.png")]
    assert all(m["url"] == m["remote_url"] for m in media)  # the Link was dropped, as Mastodon does
    assert not [u for u in server.requests if u.startswith(CDN)]
    with fed.db():
        assert {m.remote_state for m in await MediaAttachment.all()} == {"pending"}

    assert await _copy_all(fed) == 5
    after = await _status(fed, token, f"{ANN}/statuses/1")
    photo, video, audio, huge, page = after["media_attachments"]
    base = f"{fed.base}/media/"
    assert photo["type"] == "image" and photo["url"].startswith(base) and photo["url"].endswith(".png")
    assert photo["remote_url"] == f"{CDN}/a/photo" and photo["description"] == "a blue box"
    assert photo["meta"]["original"]["width"] == 120 and photo["meta"]["original"]["height"] == 80
    assert photo["blurhash"] and photo["blurhash"] != "UNUSED"  # ours, from the picture itself
    assert photo["preview_url"].startswith(base) and photo["preview_url"] != photo["url"]
    assert _on_disk(fed, photo["url"]).read_bytes() == picture
    response = await fed.client.get(photo["url"].removeprefix(fed.base))
    assert response.status == 200 and response.content_type == "image/png" and await response.read() == picture
    small = await (await fed.client.get(photo["preview_url"].removeprefix(fed.base))).read()
    assert Image.open(io.BytesIO(small)).size == (120, 80)

    assert video["type"] == "video" and video["url"].endswith(".mp4") and video["meta"]["original"]["width"] == 32
    assert 0.5 <= video["meta"]["original"]["duration"] <= 1.5 and video["blurhash"]
    assert Image.open(_on_disk(fed, video["preview_url"])).size == (32, 24)  # its first frame
    assert audio["type"] == "audio" and audio["url"].endswith(".wav") and audio["preview_url"] is None
    assert 0.4 <= audio["meta"]["duration"] <= 0.6

    # refused: too large (the read stopped at the cap) and not media (never served from here)
    for refused in (huge, page):
        assert refused["type"] == "unknown" and refused["url"] == refused["remote_url"]
    with fed.db():
        rows = {m.remote_url: m for m in await MediaAttachment.all()}
    assert rows[f"{CDN}/a/huge.png"].remote_state == "failed" and "cap" in rows[f"{CDN}/a/huge.png"].fetch_error
    assert rows[f"{CDN}/a/page.png"].remote_state == "failed" and not rows[f"{CDN}/a/page.png"].file_path
    assert rows[f"{CDN}/a/photo"].mime_type == "image/png" and rows[f"{CDN}/a/photo"].cached_at is not None
    assert not [p for p in fed.node.config.media_dir.rglob("*") if p.is_file() and p.suffix == ".html"]
    assert await _copy_all(fed) == 0  # nothing is tried again


async def test_prune_deletes_only_remote_copies_and_the_media_proxy_copies_again(peer):
    _, fed, server = peer
    _, token = await fed.user("alice")
    code, local = await upload(fed.client, token, png_bytes((30, 30)), "mine.png", "image/png")
    assert code == 200, local
    picture = png_bytes((64, 48), (0, 200, 0))
    server.files[f"{CDN}/b/photo.png"] = (picture, "image/png")
    await _deliver(fed, server, _note(2, [{"type": "Image", "mediaType": "image/png", "url": f"{CDN}/b/photo.png"}]))
    await _copy_all(fed)
    copied = (await _status(fed, token, f"{ANN}/statuses/2"))["media_attachments"][0]
    first_copy = _on_disk(fed, copied["url"])
    assert first_copy.exists()

    # six days on the scheduled prune leaves it (retention is 7 days); eight days on it goes
    prune_job = next(job for name, job, _ in jobs.periodic_jobs() if name == "prune cached remote media")
    fed.node.clock.advance(timedelta(days=6))
    with fed.node.bound():
        await prune_job(fed.node)
    assert first_copy.exists()
    fed.node.clock.advance(timedelta(days=2))
    with fed.node.bound():
        await prune_job(fed.node)
    assert not first_copy.exists() and not _on_disk(fed, copied["preview_url"]).exists()
    assert _on_disk(fed, local["url"]).exists() and _on_disk(fed, local["preview_url"]).exists()  # ours stay

    pruned = (await _status(fed, token, f"{ANN}/statuses/2"))["media_attachments"][0]
    assert pruned["url"] == f"{fed.base}/media_proxy/{copied['id']}/original"
    assert pruned["preview_url"] == f"{fed.base}/media_proxy/{copied['id']}/small"
    assert pruned["remote_url"] == f"{CDN}/b/photo.png" and pruned["meta"]["original"]["width"] == 64

    # asking for it copies it again (one fetch), then redirects to the new copy
    fetched = server.requests.count(f"{CDN}/b/photo.png")
    response = await fed.client.get(pruned["url"].removeprefix(fed.base), allow_redirects=False)
    assert response.status == 302 and response.headers["Location"].startswith(f"{fed.base}/media/")
    assert server.requests.count(f"{CDN}/b/photo.png") == fetched + 1
    served = await fed.client.get(response.headers["Location"].removeprefix(fed.base))
    assert await served.read() == picture
    small = await fed.client.get(pruned["preview_url"].removeprefix(fed.base), allow_redirects=False)
    assert small.status == 302 and small.headers["Location"].endswith("_small.jpg")
    assert server.requests.count(f"{CDN}/b/photo.png") == fetched + 1  # the copy is there now
    again = (await _status(fed, token, f"{ANN}/statuses/2"))["media_attachments"][0]
    assert again["url"] == response.headers["Location"]

    code, body = await fed.call("GET", "/media_proxy/99999/original")
    assert code == 404 and "error" in body
    code, body = await fed.call("GET", f"/media_proxy/{copied['id']}/huge")
    assert code == 404 and "error" in body
    code, body = await fed.call("GET", f"/media_proxy/{local['id']}/original")  # a local upload: no proxy
    assert code == 404


async def test_a_pending_copy_survives_a_restart(peer):
    cluster, fed, server = peer
    _, token = await fed.user("alice")
    picture = png_bytes((16, 16), (1, 2, 3))
    server.files[f"{CDN}/g/later.png"] = (picture, "image/png")
    await _deliver(fed, server, _note(9, [{"type": "Image", "url": f"{CDN}/g/later.png"}]))
    # the node stops before its job ran (nothing fetched), and starts again on the same database
    await _stop(cluster, fed)
    again = await _start(cluster, fed)
    assert f"{CDN}/g/later.png" not in server.requests
    assert await _copy_all(again) == 1
    shown = (await _status(again, token, f"{ANN}/statuses/9"))["media_attachments"][0]
    assert shown["url"].startswith(f"{again.base}/media/") and _on_disk(again, shown["url"]).read_bytes() == picture


async def test_media_proxy_hides_media_of_statuses_the_viewer_may_not_see(peer):
    _, fed, server = peer
    _, token = await fed.user("alice")
    server.files[f"{CDN}/c/secret.png"] = (png_bytes(), "image/png")
    note = _note(3, [{"type": "Image", "mediaType": "image/png", "url": f"{CDN}/c/secret.png"}])
    note["to"], note["cc"] = [f"{ANN}/followers"], []
    await _deliver(fed, server, note)
    with fed.db():
        row = await MediaAttachment.get(remote_url=f"{CDN}/c/secret.png")
        await MediaAttachment.filter(id=row.id).update(remote_state="pruned", fetch_after=None)
    code, _ = await fed.call("GET", f"/media_proxy/{row.id}/original")
    assert code == 404 and f"{CDN}/c/secret.png" not in server.requests


async def _stop(cluster: Cluster, fed: FedNode) -> None:
    await fed.client.close()
    cluster.nodes.remove(fed)


async def _start(cluster: Cluster, fed: FedNode) -> FedNode:
    """Start the stopped node `fed` again on the same config and database (the peer kept running)."""
    client = TestClient(TestServer(build_app(fed.node.config, scheduler=False, resolver=cluster.resolver),
                                   host="127.0.0.1"))
    await client.start_server()
    cluster.resolver.add(fed.domain, "127.0.0.1", client.server.port)
    again = FedNode(fed.name, fed.domain, client)
    cluster.nodes.append(again)
    return again


async def test_the_cli_prunes_remote_copies_and_leaves_uploads(peer):
    cluster, fed, server = peer
    _, token = await fed.user("alice")
    code, local = await upload(fed.client, token, png_bytes((30, 30)), "mine.png", "image/png")
    server.files[f"{CDN}/d/one.png"] = (png_bytes((20, 20)), "image/png")
    server.files[f"{CDN}/d/two.mp4"] = (mp4_bytes(), "video/mp4")
    await _deliver(fed, server, _note(4, [{"type": "Image", "url": f"{CDN}/d/one.png"},
                                         {"type": "Video", "url": f"{CDN}/d/two.mp4"}]))
    assert await _copy_all(fed) == 2
    config = fed.node.config
    copies = [p for p in (config.media_dir / "attachments").rglob("*") if p.is_file()]
    assert len(copies) == 6  # file and preview each: our upload and the two copies

    def entativa(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "node", "--config", str(config.path), *args],
                              capture_output=True, text=True, cwd=REPO, timeout=120)

    await _stop(cluster, fed)  # the node is stopped while the command runs, as for any maintenance
    kept = entativa("media", "prune")  # the configured 7 days: copies made today stay
    assert kept.returncode == 0 and "Pruned 0 " in kept.stdout, kept.stderr
    assert all(p.exists() for p in copies)
    done = entativa("media", "prune", "--older-than", "0")
    assert done.returncode == 0 and "Pruned 2 " in done.stdout, done.stderr
    left = [p for p in copies if p.exists()]
    assert sorted(left) == sorted([_on_disk(fed, local["url"]), _on_disk(fed, local["preview_url"])])
    bad = entativa("media", "prune", "--older-than", "-1")
    assert bad.returncode == 2 and "--older-than" in bad.stderr
    checked = entativa("check")
    assert checked.returncode == 0 and "media copies up to 200,000 bytes each, kept 7 days" in checked.stdout

    again = await _start(cluster, fed)
    with again.db():
        rows = await MediaAttachment.all().order_by("id").values_list("remote_url", "remote_state", "file_path")
    assert rows == [("", "", local["url"].split("/media/", 1)[1]), (f"{CDN}/d/one.png", "pruned", ""),
                    (f"{CDN}/d/two.mp4", "pruned", "")]
    shown = (await _status(again, token, f"{ANN}/statuses/4"))["media_attachments"]
    assert [m["url"].rsplit("/", 2)[0] for m in shown] == [f"{again.base}/media_proxy"] * 2
    code, mine = await again.call("GET", f"/api/v1/media/{local['id']}", token)
    assert code == 200 and mine["url"] == local["url"]


async def test_the_ssrf_guard_refuses_private_addresses(tmp_path):
    # A node as in production: private addresses refused. The peer's names resolve to loopback here, so
    # it cannot be reached at all; the author is known already (no actor fetch) and the Create is pushed.
    cluster, fed, server = await _peer_cluster(tmp_path, allow_private_addresses=False)
    try:
        _, token = await fed.user("alice")
        doc = server.add_actor(ANN, "ann")
        with fed.node.bound():
            await actors.upsert_actor(fed.node, parse_actor(doc))
        port = cluster.ports["entativa.test"]
        literal = f"http://127.0.0.1:{port}/api/v1/instance"
        server.files[f"{CDN}/e/inside.png"] = (png_bytes(), "image/png")
        await _deliver(fed, server, _note(5, [{"type": "Image", "mediaType": "image/png", "url": literal},
                                             {"type": "Image", "mediaType": "image/png", "url": f"{CDN}/e/inside.png"}]))
        assert await _copy_all(fed) == 2
        shown = (await _status(fed, token, f"{ANN}/statuses/5"))["media_attachments"]
        assert [(m["type"], m["url"]) for m in shown] == [("unknown", literal), ("unknown", f"{CDN}/e/inside.png")]
        with fed.db():
            rows = await MediaAttachment.all().order_by("position")
        assert [r.remote_state for r in rows] == ["failed", "failed"] and rows[0].fetch_attempts == 1
        assert "not public" in rows[0].fetch_error and "non-public address 127.0.0.1" in rows[1].fetch_error
        assert f"{CDN}/e/inside.png" not in server.requests
    finally:
        await cluster.close()


async def test_reject_media_servers_get_nothing_fetched_or_shown(peer):
    _, fed, server = peer
    _, admin = await fed.user("root", admin=True, scopes="read write admin:read admin:write")
    code, body = await fed.call("POST", "/api/v1/admin/domain_blocks", admin,
                                json={"domain": "masto.example", "severity": "noop", "reject_media": True})
    assert code == 200, body
    server.files[f"{PEER}/avatars/ann.png"] = (png_bytes(), "image/png")
    server.files[f"{PEER}/files/x.png"] = (png_bytes(), "image/png")
    server.add_actor(ANN, "ann", icon={"type": "Image", "url": f"{PEER}/avatars/ann.png"})
    await _deliver(fed, server, _note(6, [{"type": "Image", "mediaType": "image/png", "url": f"{PEER}/files/x.png"}]))
    await _copy_all(fed)
    shown = await _status(fed, admin, f"{ANN}/statuses/6")
    assert shown["media_attachments"] == [] and shown["account"]["avatar"].endswith("/static/avatar.png")
    assert f"{PEER}/files/x.png" not in server.requests and f"{PEER}/avatars/ann.png" not in server.requests
    with fed.db():
        assert not await MediaAttachment.exists()
        assert (await Account.get(uri=ANN)).images_state == "rejected"


async def test_avatars_and_headers_of_remote_accounts_are_copied(peer):
    _, fed, server = peer
    _, token = await fed.user("alice")
    server.files[f"{PEER}/avatars/ann.jpg"] = (png_bytes((800, 600), (250, 200, 0)), "image/jpeg")  # a PNG, really
    server.files[f"{PEER}/headers/ann.png"] = (png_bytes((3000, 1000)), "image/png")
    server.add_actor(ANN, "ann", icon={"type": "Image", "url": f"{PEER}/avatars/ann.jpg"},
                     image={"type": "Image", "url": f"{PEER}/headers/ann.png"})
    await _deliver(fed, server, _note(7, []))
    account = (await _status(fed, token, f"{ANN}/statuses/7"))["account"]
    assert account["avatar"] == f"{PEER}/avatars/ann.jpg" and account["header"] == f"{PEER}/headers/ann.png"

    assert await _copy_all(fed) == 1
    code, account = await fed.call("GET", f"/api/v1/accounts/{account['id']}", token)
    assert code == 200 and account["avatar"].startswith(f"{fed.base}/media/avatars/")
    assert account["avatar_static"] == account["avatar"] and account["header"].startswith(f"{fed.base}/media/headers/")
    assert Image.open(_on_disk(fed, account["avatar"])).size == (400, 400)
    assert Image.open(_on_disk(fed, account["header"])).size == (1500, 500)
    old = _on_disk(fed, account["avatar"])

    # a new avatar: the old copy is shown until the new one is made, then it is replaced
    server.files[f"{PEER}/avatars/ann2.png"] = (png_bytes((50, 50), (0, 0, 250)), "image/png")
    doc = server.add_actor(ANN, "ann", icon={"type": "Image", "url": f"{PEER}/avatars/ann2.png"},
                           image={"type": "Image", "url": f"{PEER}/headers/ann.png"})
    update = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{ANN}#update-1", "type": "Update",
              "actor": ANN, "to": [PUBLIC], "object": doc}
    assert await server.send(f"{fed.base}/inbox", update) == 202
    await settle([fed])
    code, shown = await fed.call("GET", f"/api/v1/accounts/{account['id']}", token)
    assert shown["avatar"] == account["avatar"]
    await _copy_all(fed)
    code, shown = await fed.call("GET", f"/api/v1/accounts/{account['id']}", token)
    assert shown["avatar"] != account["avatar"] and not old.exists()
    assert Image.open(_on_disk(fed, shown["avatar"])).getpixel((10, 10))[:3] == (0, 0, 250)

    # the actor is deleted: its copies go with it
    copies = [_on_disk(fed, shown["avatar"]), _on_disk(fed, shown["header"])]
    assert all(p.exists() for p in copies)
    delete = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{ANN}#delete", "type": "Delete",
              "actor": ANN, "to": [PUBLIC], "object": ANN}
    del server.docs[ANN]
    assert await server.send(f"{fed.base}/inbox", delete, actor=ANN) == 202
    await settle([fed])
    assert not any(p.exists() for p in copies)
    with fed.db():
        purged = await Account.get(uri=ANN)
    assert (purged.avatar_file, purged.header_file, purged.images_state) == ("", "", "")


async def test_an_edit_keeps_the_copies_of_files_it_keeps(peer):
    _, fed, server = peer
    _, token = await fed.user("alice")
    server.files[f"{CDN}/f/keep.png"] = (png_bytes((10, 10)), "image/png")
    server.files[f"{CDN}/f/drop.png"] = (png_bytes((12, 12)), "image/png")
    note = _note(8, [{"type": "Image", "url": f"{CDN}/f/keep.png"}, {"type": "Image", "url": f"{CDN}/f/drop.png"}])
    await _deliver(fed, server, note)
    await _copy_all(fed)
    keep, drop = (await _status(fed, token, f"{ANN}/statuses/8"))["media_attachments"]
    edited = {**note, "content": "<p>edited</p>", "updated": "2026-11-30T11:00:00Z",
              "attachment": [{"type": "Image", "url": f"{CDN}/f/keep.png"}]}
    await _deliver(fed, server, edited, kind="Update")
    shown = (await _status(fed, token, f"{ANN}/statuses/8"))["media_attachments"]
    assert [m["url"] for m in shown] == [keep["url"]] and _on_disk(fed, keep["url"]).exists()
    assert not _on_disk(fed, drop["url"]).exists()
    assert server.requests.count(f"{CDN}/f/keep.png") == 1
    assert await _copy_all(fed) == 0


def test_remote_media_settings_are_checked(tmp_path):
    from support import write_config

    from node.config import ConfigError

    with pytest.raises(ConfigError, match="media.remote_retention_days"):
        write_config(tmp_path, media={"remote_retention_days": -1})
    with pytest.raises(ConfigError, match="media.remote_max_bytes"):
        write_config(tmp_path, media={"remote_max_bytes": "big"})
    config = write_config(tmp_path, media={"remote_retention_days": 0})
    assert config.media.remote_retention_days == 0 and config.media.remote_max_bytes == 40 * 1024 * 1024
