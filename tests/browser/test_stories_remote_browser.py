"""A remote account's highlights in real Chromium across two real nodes (node-a.test and node-b.test over
loopback HTTP; --host-resolver-rules maps the names to their ports, so the media URLs are the real ones):
Bob on B opens Alice's profile (on A), sees her highlight and plays it in B's viewer, the picture loaded
from A, and no view is reported for it."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CHROMIUM_ARGS, chromium_path, sign_in_page
from federation_nodes import Cluster
from test_stories_federation import found, post_story

PASSWORD = "correct horse battery"


@pytest.fixture
async def two(tmp_path: Path):  # type: ignore[no-untyped-def]
    cluster = Cluster(tmp_path)
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    from playwright.async_api import async_playwright

    rules = ",".join(f"MAP {fed.domain} 127.0.0.1:{cluster.ports[fed.domain]}" for fed in (a, b))
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(),
                                                   args=[*CHROMIUM_ARGS, f"--host-resolver-rules={rules}"])
        try:
            yield a, b, browser
        finally:
            await browser.close()
            await cluster.close()


async def test_remote_highlight_on_the_profile_plays_in_our_viewer(two):
    a, b, browser = two
    _, alice = await a.user("alice")
    _, bob = await b.user("bob")
    posted = await post_story(a, alice)
    code, made = await a.call("POST", "/api/v1/highlights", alice, json={"title": "Best", "story_ids": [posted["id"]]})
    assert code == 200, made
    alice_on_b = await found(b, bob, "alice@node-a.test")

    context = await browser.new_context(viewport={"width": 390, "height": 844})
    page = await context.new_page()
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    await sign_in_page(page, b.base, "bob")
    await page.goto(b.base + "/@alice@node-a.test")
    ring = page.get_by_role("link", name="Highlight: Best")
    assert await ring.get_attribute("href") == f"/accounts/{alice_on_b}/highlights/0"
    await ring.click()
    await page.locator('[data-story-viewer][data-ready="true"]').wait_for()
    picture = page.locator("[data-media] img")
    assert (await picture.get_attribute("src")).startswith("http://node-a.test/media/")
    await page.wait_for_function("() => document.querySelector('[data-media] img').naturalWidth > 0")
    assert await page.locator("[data-name]").inner_text() == "Best"
    assert not await page.locator("[data-reply]").is_visible()  # nothing to reply to in a highlight
    await page.keyboard.press("Escape")
    await page.wait_for_load_state()
    assert not [u for u in posts if "/api/v1/stories/" in u]  # no view reported for a remote highlight
    await context.close()
