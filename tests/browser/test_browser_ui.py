"""The web UI in a real browser (system Chromium via Playwright): sign in, post a photo, like without a
reload, comment, view a profile; the same like with JS off through the plain form; screenshots of both
themes into /tmp/entativa-shots/."""

from __future__ import annotations

import re

from conftest import shot_path, sign_in_page
from seed import photo, seed

from node.models import Favourite, Status

PASSWORD = "correct horse battery"


async def sign_in(page, base: str, name: str) -> None:
    await sign_in_page(page, base, name)


async def test_post_photo_like_without_reload_comment_and_profile(serve, browser, tmp_path):
    client = await serve("vignette")
    node = client.node
    await seed(node)
    base = str(client.make_url("")).rstrip("/")
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await sign_in(page, base, "alice")

    # Compose a post with an image and alt text from the home page.
    picture = tmp_path / "hike.jpg"
    picture.write_bytes(photo("forest"))
    await page.fill(".feed-col > form.compose textarea[name=status]", "Summit selfie from the browser #trail")
    await page.set_input_files(".feed-col > form.compose input[data-media-input]", str(picture))
    await page.locator('.feed-col > form.compose textarea[name^="media_description"]').fill("A green valley under the summit")
    await page.click('.feed-col > form.compose button[type="submit"]')
    await page.wait_for_url(base + "/")
    post = page.locator("article.post", has_text="Summit selfie from the browser")
    await post.first.wait_for()
    assert await post.first.locator('img[alt="A green valley under the summit"]').count() == 1
    await page.screenshot(path=shot_path("vignette-home.png"))

    # Like it: the count changes in place and the page does not navigate.
    with node.db:
        created = await Status.get(text="Summit selfie from the browser #trail")
    await page.evaluate("window.__stayed = true")
    like = page.locator(f'form.toggle[data-status="{created.id}"][data-kind="favourite"] button')
    await like.click()
    await page.locator(f'[data-count="favourite-{created.id}"]').first.filter(has_text="1").wait_for()
    assert await page.evaluate("window.__stayed === true")  # same document: no reload happened
    assert await like.get_attribute("aria-pressed") == "true"
    with node.db:
        assert await Favourite.filter(status_id=created.id).count() == 1

    # Open the post page and comment on it.
    await post.first.locator("a.time").click()
    await page.wait_for_url(re.compile(rf"/@alice/{created.id}$"))
    await page.fill("#reply textarea[name=status]", "What a view, see you up there")
    await page.click("#reply button[type=submit]")
    await page.locator(".comment", has_text="What a view, see you up there").wait_for()
    with node.db:
        assert (await Status.get(id=created.id)).replies_count == 1

    # The profile shows the posts as a grid.
    await page.goto(base + "/@maya")
    await page.locator(".grid .tile").first.wait_for()
    assert await page.locator(".grid .tile").count() >= 2
    await page.screenshot(path=shot_path("vignette-profile.png"))
    await context.close()


async def test_like_with_javascript_off_uses_the_form(serve, browser):
    client = await serve("vignette")
    node = client.node
    seeded = await seed(node)
    sea = seeded["sea"]
    base = str(client.make_url("")).rstrip("/")
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    await sign_in(page, base, "maya")
    await page.goto(f"{base}/@theo/{sea.id}")
    like = page.locator(f'form.toggle[data-status="{sea.id}"][data-kind="favourite"] button').first
    assert await like.get_attribute("aria-pressed") == "false"
    async with page.expect_navigation():  # without JS the form posts and redirects back
        await like.click()
    assert page.url.startswith(f"{base}/@theo/{sea.id}")
    liked = page.locator(f'form.toggle[data-status="{sea.id}"][data-kind="favourite"] button').first
    assert await liked.get_attribute("aria-pressed") == "true"
    assert await page.locator(f'[data-count="favourite-{sea.id}"]').first.inner_text() == "1"
    with node.db:
        assert (await Status.get(id=sea.id)).favourites_count == 1
    await context.close()


async def test_socialink_theme_in_the_browser(serve, browser):
    client = await serve("socialink")
    node = client.node
    seeded = await seed(node)
    base = str(client.make_url("")).rstrip("/")
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    await sign_in(page, base, "alice")
    assert await page.locator("header.topbar").count() == 1 and await page.locator("nav.left-nav").count() == 1
    sunset = seeded["sunset"]
    like = page.locator(f'form.toggle[data-status="{sunset.id}"][data-kind="favourite"] button').first
    await page.evaluate("window.__stayed = true")
    await like.click()  # alice already liked it in the seed: this takes the like back
    await page.locator(f'[data-count="favourite-{sunset.id}"]').first.filter(has_text="1").wait_for()
    assert await page.evaluate("window.__stayed === true")
    await like.click()
    await page.locator(f'[data-count="favourite-{sunset.id}"]').first.filter(has_text="2").wait_for()
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=shot_path("socialink-home.png"))
    await page.goto(base + "/@maya")
    await page.locator(".profile .cover").wait_for()
    await page.screenshot(path=shot_path("socialink-profile.png"))
    await context.close()
