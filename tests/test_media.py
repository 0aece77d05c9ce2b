"""Media over real HTTP: images and video checked by content, EXIF stripped, previews and blurhash made,
files served; wrong types are 422 and oversize uploads 413, leaving no row and no file; attaching rules."""

from __future__ import annotations

import io
from pathlib import Path

from aiohttp import FormData
from fixtures.social import call, jpeg_with_gps, mp4_bytes, noise_png, png_bytes, post, upload, user
from PIL import Image

from node.api.keys import NODE
from node.app import build_app
from node.models import MediaAttachment
from node.services.media import store_profile_image


def stored_files(node) -> list[Path]:  # type: ignore[no-untyped-def]
    return [p for p in node.config.media_dir.rglob("*") if p.is_file()]


async def test_png_upload_is_measured_previewed_and_served(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    code, media = await upload(node_client, alice, png_bytes((80, 60)), "cat.png", "image/png",
                               description="a red box", focus="0.5,-0.25")
    assert code == 200, media
    assert media["type"] == "image" and media["description"] == "a red box"
    assert media["meta"]["original"] == {"width": 80, "height": 60, "size": "80x60", "aspect": 80 / 60}
    assert media["meta"]["small"]["width"] == 80 and media["meta"]["focus"] == {"x": 0.5, "y": -0.25}
    assert isinstance(media["blurhash"], str) and len(media["blurhash"]) > 6
    assert media["url"].endswith(".png") and media["preview_url"] != media["url"]
    for url in (media["url"], media["preview_url"]):
        response = await node_client.get(url.replace("http://localhost", ""))
        assert response.status == 200
        Image.open(io.BytesIO(await response.read())).verify()
    code, again = await call(node_client, "GET", f"/api/v1/media/{media['id']}", alice)
    assert code == 200 and again == media


async def test_jpeg_exif_and_gps_are_stripped(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get(0x8825) is not None
    code, media = await upload(node_client, alice, original, "photo.jpg", "image/jpeg", path="/api/v1/media")
    assert code == 200, media
    served = await (await node_client.get(media["url"].replace("http://localhost", ""))).read()
    kept = Image.open(io.BytesIO(served))
    assert kept.format == "JPEG" and kept.size == (40, 30)
    assert not kept.getexif() and b"PhoneMaker" not in served


async def test_mp4_upload_reads_duration_dimensions_and_first_frame(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    code, media = await upload(node_client, alice, mp4_bytes(), "clip.mp4", "video/mp4")
    assert code == 200, media
    assert media["type"] == "video" and media["url"].endswith(".mp4")
    assert media["meta"]["original"]["width"] == 32 and media["meta"]["original"]["height"] == 24
    assert 0.5 <= media["meta"]["original"]["duration"] <= 1.5
    preview = await (await node_client.get(media["preview_url"].replace("http://localhost", ""))).read()
    assert Image.open(io.BytesIO(preview)).size == (32, 24)
    with node.db:
        row = await MediaAttachment.get(id=int(media["id"]))
        assert row.mime_type == "video/mp4" and row.file_size > 0 and row.blurhash


async def test_files_of_the_wrong_type_are_422_and_leave_nothing(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    text = b"this is just some text, not a picture nor a movie\n" * 20
    for filename, content_type in (("fake.png", "image/png"), ("fake.mp4", "video/mp4"), ("fake.gif", "image/gif")):
        code, body = await upload(node_client, alice, text, filename, content_type)
        assert code == 422 and body == {"error": "Validation failed: File content type is invalid"}
    code, body = await upload(node_client, alice, png_bytes()[:40], "cut.png", "image/png")
    assert code == 422 and "error" in body
    code, body = await call(node_client, "POST", "/api/v2/media", alice, data=FormData({"description": "no file"}))
    assert code == 422 and "error" in body
    with node.db:
        assert await MediaAttachment.all().count() == 0
    assert stored_files(node) == []


async def test_oversize_uploads_are_413_and_leave_nothing(aiohttp_client, make_config):
    client = await aiohttp_client(build_app(make_config(storage={"max_image_mb": 1, "max_video_mb": 2}),
                                            scheduler=False))
    node = client.app[NODE]
    _, alice = await user(node, "alice")
    big_image = noise_png(700)
    assert 1024 * 1024 < len(big_image) < 2 * 1024 * 1024
    code, body = await upload(client, alice, big_image, "big.png", "image/png")
    assert code == 413 and "error" in body
    code, body = await upload(client, alice, b"\0" * (2 * 1024 * 1024 + 10), "big.mp4", "video/mp4")
    assert code == 413 and "error" in body
    with node.db:
        assert await MediaAttachment.all().count() == 0
    assert stored_files(node) == []


async def test_description_and_focus_can_be_changed_by_the_owner_only(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    _, bob = await user(node, "bob")
    _, media = await upload(node_client, alice, png_bytes(), "a.png", "image/png")
    code, changed = await call(node_client, "PUT", f"/api/v1/media/{media['id']}", alice,
                               json={"description": "better words", "focus": "-1,1"})
    assert code == 200 and changed["description"] == "better words"
    assert changed["meta"]["focus"] == {"x": -1.0, "y": 1.0}
    for body in ({"focus": "2,0"}, {"focus": "left"}, {"description": "x" * 1501}):
        code, answer = await call(node_client, "PUT", f"/api/v1/media/{media['id']}", alice, json=body)
        assert code == 422 and "error" in answer
    assert (await call(node_client, "PUT", f"/api/v1/media/{media['id']}", bob, json={"description": "mine"}))[0] == 404
    assert (await call(node_client, "GET", f"/api/v1/media/{media['id']}", bob))[0] == 404
    assert (await call(node_client, "GET", "/api/v1/media/nope", alice))[0] == 404


async def test_attaching_media_to_statuses(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    _, bob = await user(node, "bob")
    ids = [(await upload(node_client, alice, png_bytes((10 + i, 10)), f"{i}.png", "image/png"))[1]["id"]
           for i in range(5)]
    _, bobs = await upload(node_client, bob, png_bytes(), "b.png", "image/png")
    code, body = await call(node_client, "POST", "/api/v1/statuses", alice, json={"status": "x", "media_ids": ids})
    assert code == 422 and "4" in body["error"]
    code, body = await call(node_client, "POST", "/api/v1/statuses", alice,
                            json={"status": "x", "media_ids": [bobs["id"]]})
    assert code == 422
    code, body = await call(node_client, "POST", "/api/v1/statuses", alice,
                            json={"media_ids": ids[:1], "poll": {"options": ["a", "b"], "expires_in": 600}})
    assert code == 422
    status = await post(node_client, alice, "", media_ids=[ids[2], ids[0]])  # media alone is enough
    assert [m["id"] for m in status["media_attachments"]] == [ids[2], ids[0]]
    assert status["media_attachments"][0]["meta"]["original"]["width"] == 12
    code, body = await call(node_client, "POST", "/api/v1/statuses", alice, json={"status": "y", "media_ids": [ids[0]]})
    assert code == 422  # already attached elsewhere
    code, edited = await call(node_client, "PUT", f"/api/v1/statuses/{status['id']}", alice,
                              json={"status": "now with text", "media_ids": [ids[0], ids[3]]})
    assert code == 200 and [m["id"] for m in edited["media_attachments"]] == [ids[0], ids[3]]
    _, history = await call(node_client, "GET", f"/api/v1/statuses/{status['id']}/history")
    assert [[m["id"] for m in h["media_attachments"]] for h in history] == [[ids[2], ids[0]], [ids[0], ids[3]]]
    await call(node_client, "DELETE", f"/api/v1/statuses/{status['id']}", alice)
    with node.db:
        assert await MediaAttachment.filter(id__in=[int(ids[0]), int(ids[3])]).count() == 0


class _Upload:
    def __init__(self, data: bytes) -> None:
        self.file = io.BytesIO(data)
        self.filename = "x"


async def test_profile_images_are_resized(node_client, node_of):
    node = node_of(node_client)
    avatar = await store_profile_image(node, _Upload(jpeg_with_gps((800, 600))), "avatar")  # type: ignore[arg-type]
    header = await store_profile_image(node, _Upload(png_bytes((3000, 1500))), "header")  # type: ignore[arg-type]
    stored_avatar = Image.open(node.config.media_dir / avatar)
    assert stored_avatar.size == (400, 400) and not stored_avatar.getexif()
    assert Image.open(node.config.media_dir / header).size == (1000, 500)
    for data in (b"not an image", ):
        try:
            await store_profile_image(node, _Upload(data), "avatar")  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001 - the domain error is what we check
            assert getattr(exc, "status", None) == 422
        else:
            raise AssertionError("a non-image was accepted as an avatar")
