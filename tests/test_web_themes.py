"""Themes: the active theme's templates and static files first, vignette's for whatever it does not
override; error pages for HTML routes drawn in the theme, JSON errors untouched."""

from __future__ import annotations

from support import create_user
from websupport import sign_in

from node.api.keys import NODE
from node.app import build_app
from node.services import statuses
from node.web.themes import THEMES_DIR


async def test_vignette_is_the_default_layout(node_client):
    text = await (await node_client.get("/explore")).text()
    assert 'data-theme="vignette"' in text and 'class="side-nav"' in text
    css = await (await node_client.get("/static/theme.css")).text()
    assert css.startswith("/* Vignette")


async def test_socialink_serves_its_own_layout_and_falls_back_to_vignette(aiohttp_client, make_config):
    client = await aiohttp_client(build_app(make_config(node={"theme": "socialink"}), scheduler=False))
    node = client.server.app[NODE]
    alice, _ = await create_user(node, "alice")
    with node.db:
        status = await statuses.create_status(node, alice.account, statuses.Draft(text="Cards on grey"))
        await statuses.create_status(node, alice.account, statuses.Draft(text="A reply", in_reply_to_id=status.id))
    await sign_in(client, "alice")
    home = await (await client.get("/")).text()
    assert 'data-theme="socialink"' in home
    assert 'class="topbar"' in home and 'class="left-nav"' in home and 'class="side-nav"' not in home
    assert 'class="actions bar"' in home and "Cards on grey" in home  # socialink's own post card
    profile = await (await client.get("/@alice")).text()
    assert 'class="profile card"' in profile and 'class="grid"' not in profile  # a list, not vignette's grid
    page = await (await client.get(f"/@alice/{status.id}")).text()
    # status.html comes from vignette, the comment inside it from socialink's _status.html
    assert 'class="comments"' in page and 'class="bubble"' in page and "A reply" in page
    css = await (await client.get("/static/theme.css")).text()
    assert css.startswith("/* Socialink")
    # Files socialink does not have come from vignette.
    assert not (THEMES_DIR / "socialink" / "static" / "app.js").exists()
    assert (await client.get("/static/app.js")).status == 200
    assert (await client.get("/static/avatar.png")).status == 200


async def test_html_errors_use_the_theme_and_api_errors_stay_json(node_client):
    page = await node_client.get("/no/such/page")
    text = await page.text()
    assert page.status == 404 and 'class="card auth-card error-page"' in text and "404" in text
    api = await node_client.get("/api/v1/statuses/123")
    assert api.status == 404 and "error" in await api.json()
    method = await node_client.delete("/login")
    assert method.status == 405
