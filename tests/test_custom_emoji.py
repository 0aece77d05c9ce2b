"""Custom emoji (issue 14): admins' emoji from the CLI, /api/v1/custom_emojis, `emojis` on statuses, polls
and accounts, our outgoing Emoji tags, remote emoji from the tags real servers send (Pleroma's captured
actor, Mastodon, Misskey and GoToSocial note shapes) cached and refreshed, two real nodes, both themes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from federation_nodes import Cluster, FedNode, PeerServer, peer_keypair, settle
from PIL import Image
from support import INTEROP, REPO, create_user

from federation.as2 import PUBLIC
from node.activitypub import actors
from node.api.keys import NODE
from node.errors import DomainError
from node.models import CustomEmoji, InboxActivity
from node.services import emoji

AS2 = "application/activity+json"
CONTEXT = [
    "https://www.w3.org/ns/activitystreams",
    {"toot": "http://joinmastodon.org/ns#", "Emoji": "toot:Emoji"},
]


def picture(color: str = "gold", size: tuple[int, int] = (32, 32), fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, color).save(out, fmt)
    return out.getvalue()


def noise(side: int) -> bytes:
    """A PNG that does not compress: past the 256 KB cap at 400 px."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG")
    return out.getvalue()


# ---- the CLI ---------------------------------------------------------------------------------------------------


def entativa(config: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "node", "--config", str(config), *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )


def test_emoji_cli_adds_lists_and_removes_and_refuses_bad_pictures(tmp_path):
    config = tmp_path / "node.toml"
    config.write_text('[node]\ndomain = "cli.test"\n')
    good = tmp_path / "blobcat.png"
    good.write_bytes(picture())
    (tmp_path / "page.png").write_text("<html>not a picture</html>")

    added = entativa(config, "emoji", "add", "blobcat", str(good), "--category", "Blobs")
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "Added :blobcat: in Blobs"
    for args, message in (
        (("blobcat", str(good)), "Shortcode :blobcat: is already taken"),
        (("page", str(tmp_path / "page.png")), "Image is not a picture"),
        (("nofile", str(tmp_path / "missing.png")), "cannot read"),
    ):
        refused = entativa(config, "emoji", "add", *args)
        assert refused.returncode == 2 and message in refused.stderr, (args, refused.stderr)
        assert "Traceback" not in refused.stderr
    files = [p for p in (tmp_path / "data" / "media" / "emoji").rglob("*") if p.is_file()]
    assert len(files) == 1 and files[0].read_bytes() == good.read_bytes()  # refused pictures left nothing

    listed = entativa(config, "emoji", "list")
    assert listed.returncode == 0 and ":blobcat:\tBlobs\timage/png" in listed.stdout
    assert "1 custom emoji" in listed.stdout
    removed = entativa(config, "emoji", "remove", ":blobcat:")
    assert removed.returncode == 0 and removed.stdout.strip() == "Removed :blobcat:"
    assert not files[0].exists()
    again = entativa(config, "emoji", "remove", "blobcat")
    assert again.returncode == 2 and "No local emoji :blobcat:" in again.stderr
    assert "0 custom emoji" in entativa(config, "emoji", "list").stdout


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "red").save(out, "JPEG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("shortcode", "data", "message"),
    [
        ("a", picture(), "Shortcode must be at least 2 characters"),
        ("bad-code", picture(), "only letters, numbers and underscores"),
        ("big", noise(400), "Image is too large (maximum is 256 KB)"),
        ("huge", picture(size=(2000, 20), fmt="GIF"), "larger than 1024x1024"),
        ("photo", _jpeg(), "must be a PNG, GIF or WebP"),
        ("cut", picture()[:60], "Image is not a picture"),
    ],
)
async def test_bad_emoji_are_refused_and_leave_nothing(node_client, node_of, shortcode, data, message):
    node = node_of(node_client)
    with pytest.raises(DomainError) as refused, node.bound():
        await emoji.add_local(node, shortcode, data)
    assert message in refused.value.message
    with node.bound():
        assert not await CustomEmoji.exists()
    assert (
        not list((node.config.media_dir / "emoji").rglob("*.*"))
        if (node.config.media_dir / "emoji").exists()
        else True
    )


# ---- one node: API, entities, outgoing documents, pages ----------------------------------------------------------


async def add_emoji(node: Any, shortcode: str, data: bytes, category: str = "") -> CustomEmoji:
    with node.bound():
        return await emoji.add_local(node, shortcode, data, category=category)


async def test_local_emoji_in_the_api_entities_documents_and_pages(node_client, node_of):
    node = node_of(node_client)
    blob = await add_emoji(node, "blobcat", picture(), "Blobs")
    await add_emoji(node, "party_parrot", picture("green", fmt="GIF"))
    _, token = await create_user(node, "alice")
    auth = {"Authorization": f"Bearer {token}"}

    response = await node_client.get("/api/v1/custom_emojis")
    assert response.status == 200
    listed = await response.json()
    assert [e["shortcode"] for e in listed] == ["party_parrot", "blobcat"]  # by category, then shortcode
    entity = listed[1]
    assert entity == {
        "shortcode": "blobcat",
        "url": entity["url"],
        "static_url": entity["url"],
        "visible_in_picker": True,
        "category": "Blobs",
    }
    picture_response = await node_client.get(entity["url"].split("localhost", 1)[1])
    assert picture_response.status == 200 and await picture_response.read() == picture()

    posted = await node_client.post(
        "/api/v1/statuses",
        headers=auth,
        json={
            "status": "hello :blobcat: and :nope: and not:blobcat:glued",
            "spoiler_text": "parrots :party_parrot:",
            "poll": {"options": [":blobcat: yes", "no"], "expires_in": 3600},
        },
    )
    status = await posted.json()
    assert posted.status == 200, status
    assert [e["shortcode"] for e in status["emojis"]] == ["party_parrot", "blobcat"]
    assert [e["shortcode"] for e in status["poll"]["emojis"]] == ["blobcat"]

    updated = await node_client.patch(
        "/api/v1/accounts/update_credentials",
        headers=auth,
        data={"display_name": ":party_parrot: Alice", "note": "I like :blobcat:"},
    )
    account = await updated.json()
    assert updated.status == 200, account
    assert [e["shortcode"] for e in account["emojis"]] == ["party_parrot", "blobcat"]

    # what other servers read: Emoji tags on the Note and the actor, and the tag's id answers
    actor = await (await node_client.get("/users/alice", headers={"Accept": AS2})).json()
    assert sorted(t["name"] for t in actor["tag"] if t["type"] == "Emoji") == [":blobcat:", ":party_parrot:"]
    note = await (
        await node_client.get(f"/users/alice/statuses/{status['id']}", headers={"Accept": AS2})
    ).json()
    tag = next(t for t in note["tag"] if t["name"] == ":blobcat:")
    assert tag["type"] == "Emoji" and tag["id"] == f"http://localhost/emojis/{blob.id}"
    assert tag["icon"] == {"type": "Image", "mediaType": "image/png", "url": entity["url"]} and tag["updated"]
    served = await (await node_client.get(f"/emojis/{blob.id}", headers={"Accept": AS2})).json()
    assert served["id"] == tag["id"] and served["icon"] == tag["icon"] and "@context" in served
    assert (await node_client.get("/emojis/12345")).status == 404

    # the page shows pictures, alt = shortcode; a shortcode we do not have stays text
    page = await (await node_client.get(f"/@alice/{status['id']}")).text()
    assert f'<img class="custom-emoji" src="{entity["url"]}" alt=":blobcat:" title=":blobcat:"' in page
    assert 'alt=":party_parrot:"' in page and ":nope:" in page
    profile = await (await node_client.get("/@alice")).text()
    assert profile.count('alt=":party_parrot:"') >= 1 and 'alt=":blobcat:"' in profile

    # removing an emoji takes it out of the profile and statuses at once
    with node.bound():
        await emoji.remove_local(node, "blobcat")
    account = await (await node_client.get("/api/v1/accounts/verify_credentials", headers=auth)).json()
    assert [e["shortcode"] for e in account["emojis"]] == ["party_parrot"]
    again = await (await node_client.get(f"/api/v1/statuses/{status['id']}", headers=auth)).json()
    assert [e["shortcode"] for e in again["emojis"]] == ["party_parrot"] and again["poll"]["emojis"] == []


async def test_socialink_renders_emoji_too(aiohttp_client, make_config):
    from node.app import build_app

    client = await aiohttp_client(build_app(make_config(node={"theme": "socialink"}), scheduler=False))
    node = client.app[NODE]
    await add_emoji(node, "blobcat", picture())
    _, token = await create_user(node, "alice")
    auth = {"Authorization": f"Bearer {token}"}
    await client.patch(
        "/api/v1/accounts/update_credentials", headers=auth, data={"display_name": "Al :blobcat:"}
    )
    posted = await (
        await client.post("/api/v1/statuses", headers=auth, json={"status": "hi :blobcat:"})
    ).json()
    page = await (await client.get("/@alice")).text()
    assert 'class="custom-emoji"' in page and 'alt=":blobcat:"' in page and "<h1>Al <img" in page
    status_page = await (await client.get(f"/@alice/{posted['id']}")).text()
    assert 'alt=":blobcat:"' in status_page


def test_emojify_escapes_text_and_only_touches_text_between_tags():
    from markupsafe import Markup

    from node.web.themes import emojify

    emojis = [{"shortcode": "x_y", "url": "http://n/e.png"}]
    assert str(emojify("<b>:x_y:</b>", emojis)) == (
        '&lt;b&gt;<img class="custom-emoji" src="http://n/e.png" alt=":x_y:" title=":x_y:" width="20" '
        'height="20" draggable="false">&lt;/b&gt;'
    )
    html = Markup('<a href="http://h/:x_y:/">:x_y:</a>')
    assert str(emojify(html, emojis)).startswith('<a href="http://h/:x_y:/"><img class="custom-emoji"')
    assert str(emojify("plain :x_y:", [])) == "plain :x_y:"


# ---- two real nodes ----------------------------------------------------------------------------------------------


async def _account_on(fed: FedNode, token: str, acct: str) -> dict[str, Any]:
    status, found = await fed.call(
        "GET", "/api/v2/search", token, params={"q": acct, "resolve": "true", "type": "accounts"}
    )
    assert status == 200 and found["accounts"], found
    return found["accounts"][0]


def _stored(fed: FedNode, url: str) -> bytes:
    relative = url.split("/media/", 1)[1]
    return (fed.node.config.media_dir / relative).read_bytes()


async def test_emoji_federate_between_two_nodes_and_follow_icon_changes(cluster: Cluster):
    a, b = await cluster.add_node("node-a"), await cluster.add_node("node-b")
    await add_emoji(a.node, "blobcat", picture("gold"))
    _, alice_token = await a.user("alice")
    _, bob_token = await b.user("bob")
    await a.call(
        "PATCH", "/api/v1/accounts/update_credentials", alice_token, data={"display_name": ":blobcat: Alice"}
    )

    alice_on_b = await _account_on(b, bob_token, "alice@node-a.test")
    assert [e["shortcode"] for e in alice_on_b["emojis"]] == ["blobcat"]
    cached = alice_on_b["emojis"][0]["url"]
    assert cached.startswith("http://node-b.test/media/emoji/") and _stored(b, cached) == picture("gold")
    assert (await b.call("POST", f"/api/v1/accounts/{alice_on_b['id']}/follow", bob_token))[0] == 200
    await settle([a, b])

    _, first = await a.call("POST", "/api/v1/statuses", alice_token, json={"status": "meow :blobcat:"})
    await settle([a, b])
    _, home = await b.call("GET", "/api/v1/timelines/home", bob_token)
    seen = next(s for s in home if s["uri"] == first["uri"])
    assert [e["shortcode"] for e in seen["emojis"]] == ["blobcat"] and seen["emojis"][0]["url"] == cached
    with b.db():
        assert await CustomEmoji.filter(domain="node-a.test").count() == 1  # one row per domain and shortcode

    # the admin on node-a replaces the picture: the next post carries a new icon, node-b fetches it again
    with a.node.bound():
        await emoji.remove_local(a.node, "blobcat")
    await add_emoji(a.node, "blobcat", picture("purple"))
    _, second = await a.call("POST", "/api/v1/statuses", alice_token, json={"status": "new look :blobcat:"})
    await settle([a, b])
    _, home = await b.call("GET", "/api/v1/timelines/home", bob_token)
    seen = next(s for s in home if s["uri"] == second["uri"])
    assert _stored(b, seen["emojis"][0]["url"]) == picture("purple")
    older = next(s for s in home if s["uri"] == first["uri"])
    assert older["emojis"][0]["url"] == seen["emojis"][0]["url"]  # one picture per shortcode, as Mastodon
    with b.db():
        assert await CustomEmoji.filter(domain="node-a.test").count() == 1
        assert not await InboxActivity.filter(state="failed").exists()
    assert not Path(b.node.config.media_dir / cached.split("/media/", 1)[1]).exists()  # the old one is gone
    # and the stored profile follows the new picture too
    _, profile = await b.call("GET", f"/api/v1/accounts/{alice_on_b['id']}", bob_token)
    assert profile["emojis"][0]["url"] == seen["emojis"][0]["url"]


# ---- what other servers send -------------------------------------------------------------------------------------


@pytest.fixture
async def peer(tmp_path):
    cluster = Cluster(tmp_path)
    fed = await cluster.add_node("entativa")
    private_pem, public_pem = peer_keypair()
    server = PeerServer(cluster.resolver, private_pem=private_pem, public_pem=public_pem)
    await cluster.serve(
        server.app(),
        "masto.example",
        "misskey.example",
        "gts.example",
        "queer.hacktivis.me",
        "s3.misskey.example",
    )
    _, token = await fed.user("alice")
    yield fed, server, token
    await cluster.close()


def _note(author: str, number: int, text: str, tags: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "id": f"{author}/statuses/{number}",
        "type": "Note",
        "attributedTo": author,
        "content": text,
        "published": "2026-11-30T10:00:00Z",
        "to": [PUBLIC],
        "cc": [f"{author}/followers"],
        "tag": tags,
        **extra,
    }


async def _deliver(fed: FedNode, server: PeerServer, note: dict[str, Any], kind: str = "Create") -> None:
    actor = note["attributedTo"]
    if actor not in server.docs:
        server.add_actor(actor)
    activity = {
        "@context": CONTEXT,
        "id": f"{note['id']}/{kind.lower()}/{len(server.requests)}",
        "type": kind,
        "actor": actor,
        "to": note["to"],
        "cc": note["cc"],
        "object": note,
    }
    assert await server.send(f"{fed.base}/inbox", activity) == 202
    await settle([fed])


async def _status(fed: FedNode, token: str, uri: str) -> dict[str, Any]:
    status, found = await fed.call("GET", "/api/v2/search", token, params={"q": uri, "type": "statuses"})
    assert status == 200 and found["statuses"], found
    return found["statuses"][0]


async def test_pleroma_actor_emoji_from_the_captured_payload(peer):
    fed, server, token = peer
    doc = json.loads(
        (INTEROP / "payloads" / "pleroma-person.json")
        .read_text()
        .replace("https://queer.hacktivis.me", "http://queer.hacktivis.me")
    )
    doc["publicKey"]["publicKeyPem"] = server.public_pem
    server.docs[doc["id"]] = doc
    for tag in doc["tag"]:
        server.files[tag["icon"]["url"]] = (picture(), "image/png")  # Pleroma gives no mediaType: sniffed
    with fed.node.bound():
        account = await actors.fetch_actor(fed.node, doc["id"])
    assert [e["shortcode"] for e in account.emojis_json] == ["bzh", "anarchy", "gentoo"]
    shown = await _account_on(fed, token, "lanodan@queer.hacktivis.me")
    assert [e["shortcode"] for e in shown["emojis"]] == ["bzh", "anarchy", "gentoo"]
    assert all(e["url"].startswith("http://entativa.test/media/emoji/") for e in shown["emojis"])
    page = await (await fed.client.get("/@lanodan@queer.hacktivis.me")).text()
    assert 'alt=":bzh:"' in page and 'alt=":gentoo:"' in page


async def test_mastodon_misskey_and_gotosocial_note_emoji(peer):
    fed, server, token = peer
    masto, misskey, gts = (
        "http://masto.example/users/ann",
        "http://misskey.example/users/9abc",
        "http://gts.example/users/gus",
    )
    server.files["http://masto.example/system/custom_emojis/images/000/000/001/original/blobcat.png"] = (
        picture("gold"),
        "image/png",
    )
    server.files["http://s3.misskey.example/emoji/ablobcat.gif"] = (picture("red", fmt="GIF"), "image/gif")
    server.files["http://gts.example/fileserver/01H/emoji/original/01J.webp"] = (
        picture("blue", fmt="WEBP"),
        "image/webp",
    )
    server.files["http://masto.example/emoji/page.png"] = (b"<html>no</html>", "text/html")
    server.files["http://masto.example/emoji/big.png"] = (noise(400), "image/png")

    await _deliver(
        fed,
        server,
        _note(
            masto,
            1,
            "<p>hi :blobcat: :broken: :big:</p>",
            [
                {
                    "id": "http://masto.example/emojis/1",
                    "type": "Emoji",
                    "name": ":blobcat:",
                    "updated": "2026-01-01T00:00:00Z",
                    "icon": {
                        "type": "Image",
                        "mediaType": "image/png",
                        "url": "http://masto.example/system/custom_emojis/images/000/000/001/original/blobcat.png",
                    },
                },
                {
                    "id": "http://masto.example/emojis/2",
                    "type": "Emoji",
                    "name": ":broken:",
                    "icon": {
                        "type": "Image",
                        "mediaType": "image/png",
                        "url": "http://masto.example/emoji/page.png",
                    },
                },
                {
                    "id": "http://masto.example/emojis/3",
                    "type": "Emoji",
                    "name": ":big:",
                    "icon": {"type": "Image", "url": "http://masto.example/emoji/big.png"},
                },
            ],
        ),
    )
    # Misskey: the icon lives on its object storage host, the note carries _misskey_content
    await _deliver(
        fed,
        server,
        _note(
            misskey,
            2,
            "<p>:ablobcat: wave</p>",
            [
                {
                    "id": "http://misskey.example/emojis/ablobcat",
                    "type": "Emoji",
                    "name": ":ablobcat:",
                    "updated": "2025-05-05T12:00:00.000Z",
                    "icon": {
                        "type": "Image",
                        "mediaType": "image/gif",
                        "url": "http://s3.misskey.example/emoji/ablobcat.gif",
                    },
                }
            ],
            _misskey_content=":ablobcat: wave",
        ),
    )
    # GoToSocial: ids under /emoji/<ulid>, pictures on its fileserver
    await _deliver(
        fed,
        server,
        _note(
            gts,
            3,
            "<p>:rainbow: day</p>",
            [
                {
                    "id": "http://gts.example/emoji/01J",
                    "type": "Emoji",
                    "name": ":rainbow:",
                    "updated": "2024-09-20T10:40:37Z",
                    "icon": {
                        "type": "Image",
                        "mediaType": "image/webp",
                        "url": "http://gts.example/fileserver/01H/emoji/original/01J.webp",
                    },
                }
            ],
        ),
    )

    shown = await _status(fed, token, f"{masto}/statuses/1")
    assert [e["shortcode"] for e in shown["emojis"]] == ["blobcat"]  # not a picture / too big: left as text
    assert ":broken:" in shown["content"]
    assert _stored(fed, shown["emojis"][0]["url"]) == picture("gold")
    assert [e["shortcode"] for e in (await _status(fed, token, f"{misskey}/statuses/2"))["emojis"]] == [
        "ablobcat"
    ]
    rainbow = (await _status(fed, token, f"{gts}/statuses/3"))["emojis"]
    assert [e["shortcode"] for e in rainbow] == ["rainbow"] and _stored(fed, rainbow[0]["url"]) == picture(
        "blue", fmt="WEBP"
    )
    with fed.db():
        rows = {(e.domain, e.shortcode): e for e in await CustomEmoji.all()}
        assert set(rows) == {
            ("masto.example", "blobcat"),
            ("misskey.example", "ablobcat"),
            ("gts.example", "rainbow"),
        }
        assert not await InboxActivity.filter(state="failed").exists()
    # the same emoji again (same icon, same `updated`): not fetched again
    fetched = server.requests.count("http://s3.misskey.example/emoji/ablobcat.gif")
    await _deliver(
        fed,
        server,
        _note(
            misskey,
            4,
            ":ablobcat:",
            [
                {
                    "id": "http://misskey.example/emojis/ablobcat",
                    "type": "Emoji",
                    "name": ":ablobcat:",
                    "updated": "2025-05-05T12:00:00.000Z",
                    "icon": {
                        "type": "Image",
                        "mediaType": "image/gif",
                        "url": "http://s3.misskey.example/emoji/ablobcat.gif",
                    },
                }
            ],
        ),
    )
    assert server.requests.count("http://s3.misskey.example/emoji/ablobcat.gif") == fetched
    # a newer `updated` at the same URL: fetched again, and the edit (Update) path reads tags too
    server.files["http://s3.misskey.example/emoji/ablobcat.gif"] = (picture("black", fmt="GIF"), "image/gif")
    await _deliver(
        fed,
        server,
        _note(
            misskey,
            2,
            "<p>:ablobcat: wave (edited)</p>",
            [
                {
                    "id": "http://misskey.example/emojis/ablobcat",
                    "type": "Emoji",
                    "name": ":ablobcat:",
                    "updated": "2026-06-06T12:00:00.000Z",
                    "icon": {
                        "type": "Image",
                        "mediaType": "image/gif",
                        "url": "http://s3.misskey.example/emoji/ablobcat.gif",
                    },
                }
            ],
            updated="2026-12-01T00:00:00Z",
        ),
        kind="Update",
    )
    edited = await _status(fed, token, f"{misskey}/statuses/2")
    assert "edited" in edited["content"] and _stored(fed, edited["emojis"][0]["url"]) == picture(
        "black", fmt="GIF"
    )


async def test_servers_whose_media_we_reject_get_no_emoji_fetched(peer):
    fed, server, _ = peer
    _, admin_token = await fed.user("root", admin=True, scopes="read write admin:read admin:write")
    status, body = await fed.call(
        "POST",
        "/api/v1/admin/domain_blocks",
        admin_token,
        json={"domain": "masto.example", "severity": "noop", "reject_media": True},
    )
    assert status == 200, body
    icon = "http://masto.example/system/custom_emojis/blobcat.png"
    server.files[icon] = (picture(), "image/png")
    tag = {"id": "http://masto.example/emojis/1", "type": "Emoji", "name": ":blobcat:", "icon": {"url": icon}}
    await _deliver(fed, server, _note("http://masto.example/users/ann", 1, "<p>:blobcat:</p>", [tag]))
    shown = await _status(fed, admin_token, "http://masto.example/users/ann/statuses/1")
    assert shown["emojis"] == [] and icon not in server.requests
    with fed.db():
        assert not await CustomEmoji.exists()


async def test_profile_fields_count_for_account_emoji(node_client, node_of):
    node = node_of(node_client)
    await add_emoji(node, "field_pic", picture("red"))
    _, token = await create_user(node, "alice")
    auth = {"Authorization": f"Bearer {token}"}
    response = await node_client.patch(
        "/api/v1/accounts/update_credentials",
        headers=auth,
        data={"fields_attributes[0][name]": "Site :field_pic:", "fields_attributes[0][value]": "example.org"},
    )
    account = await response.json()
    assert response.status == 200, account
    assert [e["shortcode"] for e in account["emojis"]] == ["field_pic"]
    actor = await (await node_client.get("/users/alice", headers={"Accept": AS2})).json()
    assert [t["name"] for t in actor["tag"]] == [":field_pic:"]
