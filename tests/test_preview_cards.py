"""Preview cards through an unmodified Mastodon.py: a link in a post gets a card read from a real loopback
page (OpenGraph tags, its oEmbed document, its image cached as local media) by the fetch job after the post
was answered; a node that does not allow private addresses refuses to fetch it; mentions, hashtags and the
node's own pages get no card; a page that is too large or has no title gives none."""

from __future__ import annotations

import asyncio
import io

from aiohttp import web
from aiohttp.test_utils import TestServer
from PIL import Image
from support import create_user
from test_mastodon_py import served, signed_in

from node import effects
from node.models import PreviewCard, Status, StatusCard
from node.services import preview_cards


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 630), (10, 140, 90)).save(out, "PNG")
    return out.getvalue()


PAGE = """<!doctype html><html lang="en-GB"><head><meta charset="utf-8">
<title>Fallback title</title>
<meta property="og:title" content="Gardening on a balcony &amp; more">
<meta property="og:description" content="Tomatoes in pots, all summer.">
<meta property="og:site_name" content="Green Pages">
<meta property="og:image" content="/cover.png">
<meta property="og:image:alt" content="A green square">
<meta name="author" content="Rosa Vert">
<meta property="article:published_time" content="2026-11-30T08:00:00Z">
<link rel="alternate" type="application/json+oembed" href="/oembed.json">
</head><body><p>…</p></body></html>"""

OEMBED = {"type": "video", "version": "1.0", "title": "Balcony tour", "provider_name": "Green Video",
          "html": '<iframe src="https://video.example/embed/1" width="480" height="270"></iframe>'
                  '<script>alert(1)</script>', "width": 480, "height": 270}


async def linked_site() -> TestServer:
    app = web.Application()
    app.router.add_get("/article", lambda _r: web.Response(text=PAGE, content_type="text/html"))
    app.router.add_get("/oembed.json", lambda _r: web.json_response(OEMBED))
    app.router.add_get("/cover.png", lambda _r: web.Response(body=_png(), content_type="image/png"))
    app.router.add_get("/plain", lambda _r: web.Response(text="<html><body>no title</body></html>",
                                                          content_type="text/html"))
    app.router.add_get("/huge", lambda _r: web.Response(text="<title>x</title>" + "a" * (2 * 1024 * 1024),
                                                         content_type="text/html"))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


async def test_a_link_gets_a_card_after_posting(aiohttp_client, make_config, node_of, tmp_path):
    site = await linked_site()
    try:
        client, base = await served(aiohttp_client, lambda **s: make_config(
            **s, federation={"enabled": False, "allow_private_addresses": True}))
        node = node_of(client)
        await create_user(node, "ana")
        page = str(site.make_url("/article"))

        def post() -> dict:
            ana = signed_in(base, "ana@example.com")
            return {"post": ana.status_post(f"Look at this {page} #garden @ana"),
                    "plain": ana.status_post(f"no title here {site.make_url('/plain')}"),
                    "huge": ana.status_post(f"a big one {site.make_url('/huge')}"),
                    "own": ana.status_post(f"my own page {base}/@ana")}

        r = await asyncio.to_thread(post)
        assert r["post"]["card"] is None  # posting did not wait for the page
        with node.db:
            assert await preview_cards.run_once(node) == 3  # the node's own page has no card
            assert await StatusCard.filter(status_id=int(r["own"]["id"])).count() == 0
            failed = {c.url: c.error for c in await PreviewCard.filter(state="failed")}
            assert failed == {str(site.make_url("/plain")): "the page has no title",
                              str(site.make_url("/huge")): "declared 2097168 bytes, cap is 1048576"}
            assert await preview_cards.run_once(node) == 0  # neither is tried again

        def read() -> dict:
            ana = signed_in(base, "ana@example.com")
            return {"status": ana.status(r["post"]["id"]), "plain": ana.status(r["plain"]["id"]),
                    "home": ana.timeline_home()}

        seen = await asyncio.to_thread(read)
        card = seen["status"]["card"]
        assert card["url"] == page
        assert card["title"] == "Balcony tour"  # the oEmbed document's title wins over og:title
        assert card["description"] == "Tomatoes in pots, all summer."
        assert (card["type"], card["width"], card["height"]) == ("video", 480, 270)
        assert card["html"] == '<iframe src="https://video.example/embed/1" width="480" height="270"></iframe>'
        assert card["provider_name"] == "Green Video" and card["author_name"] == "Rosa Vert"
        assert card["language"] == "en" and card["image_description"] == "A green square"
        assert card["published_at"].isoformat().startswith("2026-11-30T08:00:00")  # Mastodon.py parses it
        assert card["image"].startswith(f"{base}/media/cards/") and card["blurhash"]
        assert seen["plain"]["card"] is None
        assert [s["card"]["url"] for s in seen["home"] if s["card"]] == [page]
        await create_user(node, "ben")
        await create_user(node, "cy")

        def share() -> dict:
            ben, cy = signed_in(base, "ben@example.com"), signed_in(base, "cy@example.com")
            ben.status_post(f"also {page}")
            ben.status_post(f"again {page}")
            cy.status_post(f"this one {page}", visibility="unlisted")  # only public shares count
            return {"links": cy.trending_links(), "page": cy.trending_links(limit=1, offset=1)}

        shared = await asyncio.to_thread(share)
        assert [link["url"] for link in shared["links"]] == [page]
        today = shared["links"][0]["history"][0]
        assert (int(today["accounts"]), int(today["uses"])) == (2, 3) and len(shared["links"][0]["history"]) == 7
        assert shared["links"][0]["title"] == "Balcony tour"
        assert shared["page"] == []
        async with client.session.get(card["image"]) as cached:  # served from our own media
            assert cached.status == 200
            assert Image.open(io.BytesIO(await cached.read())).size == (640, 336)
    finally:
        await site.close()


async def test_private_addresses_are_refused(aiohttp_client, make_config, node_of):
    site = await linked_site()
    try:
        client, base = await served(aiohttp_client, make_config)  # allow_private_addresses is false
        node = node_of(client)
        await create_user(node, "ben")
        page = str(site.make_url("/article"))
        posted = await asyncio.to_thread(lambda: signed_in(base, "ben@example.com").status_post(f"see {page}"))
        with node.db:
            assert await preview_cards.run_once(node) == 1
            card = await PreviewCard.get(url=page)
            assert card.state == "failed" and "not public" in card.error and card.attempts == 1
            assert await preview_cards.run_once(node) == 0  # refused for good: never tried again
        status = await asyncio.to_thread(lambda: signed_in(base, "ben@example.com").status(posted["id"]))
        assert status["card"] is None
    finally:
        await site.close()


def test_first_link_skips_mentions_hashtags_and_own_pages():
    content = ('<p><span class="h-card"><a href="https://x.example/@bo" class="u-url mention">@bo</a></span> '
               '<a href="https://x.example/tags/cats" class="mention hashtag" rel="tag">#cats</a> '
               '<a href="https://node.example/@me/1">mine</a> '
               '<a href="https://news.example/a?b=1&amp;c=2" rel="nofollow">news</a></p>')
    assert preview_cards.first_link(content, "node.example") == "https://news.example/a?b=1&c=2"
    assert preview_cards.first_link("<p>no links</p>", "node.example") is None


async def test_trending_statuses(aiohttp_client, make_config, node_of):
    client, base = await served(aiohttp_client, make_config)
    node = node_of(client)
    for name in ("ana", "ben", "cy"):
        await create_user(node, name)

    def flows() -> dict:
        ana, ben, cy = (signed_in(base, f"{n}@example.com") for n in ("ana", "ben", "cy"))
        liked = ana.status_post("a post people like")
        loved = cy.status_post("a post people love")
        quiet = cy.status_post("nobody noticed")
        ben.status_favourite(liked["id"])
        for api in (ana, ben):
            api.status_favourite(loved["id"])
            api.status_reblog(loved["id"])
        first = ben.trending_statuses(limit=1)
        return {"ids": [liked["id"], loved["id"], quiet["id"]], "all": ben.trending_statuses(),
                "first": first, "next": ben.fetch_next(first), "anonymous": Mastodon_anonymous(base)}

    r = await asyncio.to_thread(flows)
    liked, loved, quiet = r["ids"]
    assert [s["id"] for s in r["all"]] == [loved, liked]  # quiet has no interactions
    assert [s["id"] for s in r["first"]] == [loved] and [s["id"] for s in r["next"]] == [liked]
    assert [s["id"] for s in r["anonymous"]] == [loved, liked]


def Mastodon_anonymous(base: str) -> list:  # noqa: N802 - reads as the client it builds
    from mastodon import Mastodon

    return Mastodon(api_base_url=base).trending_statuses()


async def test_only_a_post_with_a_link_records_the_card_effect(node_client, node_of):
    """The card subscriber's gate reads the post: a post without a link records no effect (no row, no second
    transaction) and one with a link still gets its pending card, on a node that does not federate too
    (where no outbound subscriber records the effect for it)."""
    node = node_of(node_client)
    _, token = await create_user(node, "rosa")
    headers = {"Authorization": f"Bearer {token}"}
    with node.bound():
        assert effects.wanted(node, "status.created", {"status": Status(content="<p>no link #here</p>")}) is None
        linked = Status(content='<p><a href="https://garden.example/a">garden.example/a</a></p>')
        assert effects.wanted(node, "status.created", {"status": linked}) is not None
    statuses = {}
    for name, text in (("plain", "Tomatoes #garden @rosa"), ("linked", "Look https://garden.example/article")):
        response = await node_client.post("/api/v1/statuses", json={"status": text}, headers=headers)
        assert response.status == 200
        statuses[name] = int((await response.json())["id"])
    with node.bound():
        cards = {row.status_id: row.card_id for row in await StatusCard.all()}
        assert list(cards) == [statuses["linked"]]
        assert (await PreviewCard.get(id=cards[statuses["linked"]])).url == "https://garden.example/article"
