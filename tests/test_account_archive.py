"""Account archives (issue 14), as Mastodon's: requested on /settings/export (one per 7 days), built by a
background job with its progress on the page, a zip of actor.json, outbox.json (every post as AS2),
likes.json, bookmarks.json and the media files, downloadable by its owner only, and a mail when it is ready
(real SMTP on loopback). Both themes show the pages."""

from __future__ import annotations

import html
import io
import json
import zipfile
from datetime import timedelta

from aiohttp import FormData
from PIL import Image
from support import bearer, create_user
from test_notify_mail import mail_config
from websupport import form_token, sign_in

from node.activitypub import archive
from node.api.keys import NODE
from node.app import build_app
from node.models import AccountArchive
from node.notify import mail


def png(color: str = "teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, "PNG")
    return out.getvalue()


async def _request(client, csrf: str):  # type: ignore[no-untyped-def]
    return await client.post("/settings/export/archive", data={"csrf_token": csrf}, allow_redirects=False)


async def test_archive_requested_built_downloaded_and_mailed(aiohttp_client, make_config, mail_sink):
    client = await aiohttp_client(build_app(make_config(mail=mail_config(mail_sink)), scheduler=False))
    node = client.app[NODE]
    alice, token = await create_user(node, "alice")
    _, bob_token = await create_user(node, "bob")
    auth = bearer(token)
    form = FormData()
    form.add_field("file", png(), filename="p.png", content_type="image/png")
    form.add_field("description", "a teal box")
    media = await (await client.post("/api/v2/media", headers=auth, data=form)).json()
    avatar = FormData()
    avatar.add_field("avatar", png("orange"), filename="a.png", content_type="image/png")
    assert (
        await client.patch("/api/v1/accounts/update_credentials", headers=auth, data=avatar)
    ).status == 200
    posts = [
        await (await client.post("/api/v1/statuses", headers=auth, json=body)).json()
        for body in (
            {"status": "with a picture", "media_ids": [media["id"]]},
            {"status": "followers only", "visibility": "private"},
            {"status": "@bob just us", "visibility": "direct"},
        )
    ]
    bobs = await (
        await client.post("/api/v1/statuses", headers=bearer(bob_token), json={"status": "bob's"})
    ).json()
    await client.post(f"/api/v1/statuses/{bobs['id']}/favourite", headers=auth)
    await client.post(f"/api/v1/statuses/{bobs['id']}/bookmark", headers=auth)
    await client.post(f"/api/v1/statuses/{bobs['id']}/reblog", headers=auth)

    csrf = await sign_in(client, "alice")
    response = await _request(client, csrf)
    assert response.status == 303 and response.headers["Location"] == "/settings/export?requested=1"
    page = await (await client.get("/settings/export?requested=1")).text()
    assert "Archive requested" in page and "you will get a mail when it is ready" in page
    assert "being built, 0 of 0 posts" in page
    again = await _request(client, form_token(page))
    assert again.status == 429 and "once every 7 days" in html.unescape(await again.text())
    with node.bound():
        assert (
            await AccountArchive.filter(account_id=alice.account.id).count() == 1
        )  # the refusal stored nothing
        assert await archive.run_once(node) == 1
        assert await archive.run_once(node) == 0
        built = await AccountArchive.get(account_id=alice.account.id)
    assert built.state == "ready" and built.processed_items == built.total_items == 4

    page = await (await client.get("/settings/export")).text()
    assert f'href="/settings/export/archives/{built.id}"' in page
    download = await client.get(f"/settings/export/archives/{built.id}")
    assert download.status == 200 and download.content_type == "application/zip"
    assert download.headers["Content-Disposition"].startswith('attachment; filename="archive-alice-')
    with zipfile.ZipFile(io.BytesIO(await download.read())) as zipped:
        names = set(zipped.namelist())
        actor = json.loads(zipped.read("actor.json"))
        outbox = json.loads(zipped.read("outbox.json"))
        likes = json.loads(zipped.read("likes.json"))
        bookmarks = json.loads(zipped.read("bookmarks.json"))
        assert actor["type"] == "Person" and actor["preferredUsername"] == "alice"
        assert (actor["outbox"], actor["likes"], actor["bookmarks"]) == (
            "outbox.json",
            "likes.json",
            "bookmarks.json",
        )
        assert actor["icon"]["url"] == "avatar.jpg" and "avatar.jpg" in names  # stored as JPEG (no alpha)
        assert outbox["type"] == "OrderedCollection" and outbox["totalItems"] == 4
        kinds = [
            (item["type"], item["object"]["id"] if item["type"] == "Create" else item["object"])
            for item in outbox["orderedItems"]
        ]
        assert kinds == [("Create", p["uri"]) for p in posts] + [
            ("Announce", bobs["uri"])
        ]  # every visibility
        attachment = outbox["orderedItems"][0]["object"]["attachment"][0]
        assert attachment["url"].startswith("media_attachments/") and attachment["name"] == "a teal box"
        assert attachment["url"] in names and zipped.read(attachment["url"])[:8] == b"\x89PNG\r\n\x1a\n"
        assert likes["orderedItems"] == [bobs["uri"]] and bookmarks["orderedItems"] == [bobs["uri"]]

    # only its owner gets it
    client.session.cookie_jar.clear()
    await sign_in(client, "bob")
    assert (await client.get(f"/settings/export/archives/{built.id}")).status == 404
    assert (await client.get("/settings/export/archives/99999999999999999999")).status == 404

    # the mail says it is ready and links the page
    with node.bound():
        assert await mail.drain(node, node.clock.now() + timedelta(minutes=1)) == 1
    [message] = mail_sink.to("alice@example.com")
    assert message["Subject"] == f"Your archive from {node.config.node.name} is ready"
    text, body = mail_sink.bodies(message)
    assert "/settings/export" in text and "Download your archive" in body

    # 7 days later a new one may be asked for; it replaces the old file
    node.clock.advance(timedelta(days=7, minutes=1))
    client.session.cookie_jar.clear()
    csrf = await sign_in(client, "alice")
    assert (await _request(client, csrf)).status == 303
    with node.bound():
        assert await archive.run_once(node) == 1
        rows = {a.id: a for a in await AccountArchive.filter(account_id=alice.account.id)}
    assert (
        rows[built.id].state == "expired"
        and not (node.config.data_dir / "archives" / built.file_path).exists()
    )
    assert (await client.get(f"/settings/export/archives/{built.id}")).status == 404


async def test_data_pages_in_socialink(aiohttp_client, make_config):
    client = await aiohttp_client(build_app(make_config(node={"theme": "socialink"}), scheduler=False))
    await create_user(client.app[NODE], "alice")
    await sign_in(client, "alice")
    for path, words in (
        ("/settings/export", ("Request your archive", "follows.csv")),
        ("/settings/import", ("Import type", "Overwrite")),
    ):
        response = await client.get(path)
        text = await response.text()
        assert response.status == 200 and 'data-theme="socialink"' in text, path
        assert all(w in text for w in words), path


async def test_an_archive_that_cannot_be_written_says_so(node_client, node_of):
    node = node_of(node_client)
    await create_user(node, "alice")
    csrf = await sign_in(node_client, "alice")
    (node.config.data_dir / "archives").write_text("in the way")  # the folder cannot be made: an OSError
    assert (await _request(node_client, csrf)).status == 303
    with node.bound():
        assert await archive.run_once(node) == 1
        assert await archive.run_once(node) == 0  # failed, not retried forever
    page = await (await node_client.get("/settings/export")).text()
    assert "could not be built" in page
