"""The main flows through an unmodified Mastodon.py, with its default version checks on: posting with media,
polls, replies and threads, likes, boosts, bookmarks, edits, deletes, timelines with pagination, notifications.

Mastodon.py is synchronous, so each person's session runs in a worker thread while the node serves on the
test's event loop over real HTTP.
"""

from __future__ import annotations

import asyncio
import io
import socket

from mastodon import Mastodon, MastodonNotFoundError
from PIL import Image
from support import create_user

from node.app import build_app

SCOPES = ["read", "write", "follow"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def signed_in(base: str, email: str) -> Mastodon:
    client_id, client_secret = Mastodon.create_app("flows", api_base_url=base, scopes=SCOPES)
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base)  # version checks on
    api.log_in(email, "correct horse battery", scopes=SCOPES, allow_http=True)
    return api


async def served(aiohttp_client, make_config):  # type: ignore[no-untyped-def]
    port = free_port()
    config = make_config(node={"domain": f"127.0.0.1:{port}"})
    client = await aiohttp_client(build_app(config, scheduler=False), server_kwargs={"port": port})
    return client, str(client.make_url("/")).rstrip("/")


async def test_posting_threads_interactions_and_notifications(aiohttp_client, make_config, node_of):
    client, base = await served(aiohttp_client, make_config)
    await create_user(node_of(client), "ana")
    await create_user(node_of(client), "ben")

    def flows() -> dict:
        ana, ben = signed_in(base, "ana@example.com"), signed_in(base, "ben@example.com")
        ben.account_follow(ana.me()["id"])
        media = ana.media_post(png_bytes(), mime_type="image/png", description="a blue square")
        post = ana.status_post("Hello from Mastodon.py #flows", media_ids=[media["id"]], visibility="public")
        poll = ana.make_poll(["tea", "coffee"], expires_in=3600)
        poll_post = ana.status_post("Which one?", poll=poll)
        reply = ben.status_reply(post, "Nice square!")
        ben.status_favourite(post["id"])
        ben.status_reblog(post["id"])
        ben.status_bookmark(post["id"])
        voted = ben.poll_vote(poll_post["poll"]["id"], [1])
        edited = ana.status_update(post["id"], "Hello from Mastodon.py, edited #flows", media_ids=[media["id"]])
        return {
            "post": post, "reply": reply, "voted": voted, "edited": edited,
            "seen_by_ana": ana.status(post["id"]),
            "context": ana.status_context(post["id"]),
            "history": ana.status_history(post["id"]),
            "ben_home": ben.timeline_home(),
            "hashtag": ana.timeline_hashtag("flows"),
            "bookmarks": ben.bookmarks(),
            "favourites": ben.favourites(),
            "notifications": ana.notifications(),
            "ben_relationship": ana.account_relationships([ben.me()["id"]])[0],
        }

    r = await asyncio.to_thread(flows)
    assert r["post"]["media_attachments"][0]["type"] == "image"
    assert r["post"]["media_attachments"][0]["meta"]["original"]["width"] == 64
    assert r["post"]["tags"][0]["name"] == "flows"
    assert r["reply"]["in_reply_to_id"] == r["post"]["id"]
    assert [s["id"] for s in r["context"]["descendants"]] == [r["reply"]["id"]]
    seen = r["seen_by_ana"]
    assert (seen["favourites_count"], seen["reblogs_count"], seen["replies_count"]) == (1, 1, 1)
    assert r["voted"]["votes_count"] == 1 and r["voted"]["own_votes"] == [1]
    assert "edited" in r["edited"]["content"] and r["edited"]["edited_at"] is not None
    assert len(r["history"]) == 2
    home_ids = [s["id"] for s in r["ben_home"]]
    assert r["reply"]["id"] in home_ids  # ben's own reply
    assert any(s["reblog"] and s["reblog"]["id"] == r["post"]["id"] for s in r["ben_home"])
    assert [s["id"] for s in r["hashtag"]] == [r["post"]["id"]]
    assert [s["id"] for s in r["bookmarks"]] == [r["post"]["id"]]
    assert [s["id"] for s in r["favourites"]] == [r["post"]["id"]]
    kinds = sorted(n["type"] for n in r["notifications"])
    assert kinds == ["favourite", "follow", "mention", "reblog"]
    assert r["ben_relationship"]["followed_by"] is True


async def test_pagination_and_delete(aiohttp_client, make_config, node_of):
    client, base = await served(aiohttp_client, make_config)
    await create_user(node_of(client), "cat")

    def flows() -> dict:
        cat = signed_in(base, "cat@example.com")
        posted = [cat.status_post(f"post number {n}") for n in range(7)]
        first = cat.timeline_home(limit=3)
        second = cat.fetch_next(first)
        third = cat.fetch_next(second)
        newer = cat.fetch_previous(second)
        deleted = cat.status_delete(posted[0]["id"])
        try:
            cat.status(posted[0]["id"])
            gone = False
        except MastodonNotFoundError:
            gone = True
        return {"posted": posted, "pages": [first, second, third], "newer": newer, "deleted": deleted,
                "gone": gone, "me": cat.me()}

    r = await asyncio.to_thread(flows)
    newest_first = [s["id"] for s in reversed(r["posted"])]
    seen = [s["id"] for page in r["pages"] for s in page]
    assert seen == newest_first
    assert [s["id"] for s in r["newer"]] == newest_first[:3]
    assert r["deleted"]["text"] == "post number 0"
    assert r["gone"] is True
    assert r["me"]["statuses_count"] == 6
