"""The unread badge in a real browser (system Chromium via Playwright), in both themes, at phone (390 px)
and desktop widths: likes and a follow arriving over the streaming API change the badge without a reload
(grouped: a second like on the same post does not add to it), the notifications page reads as groups with
avatars and links to the post, and "Mark all as read" clears the badge in place. Screenshots go to
/tmp/entativa-shots/."""

from __future__ import annotations

import pytest
from conftest import shot_path, sign_in_page
from support import create_user

from node.models import Account
from node.services import interactions, relationships, statuses

PASSWORD = "correct horse battery"
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


async def sign_in(page, base: str, name: str) -> None:  # type: ignore[no-untyped-def]
    await sign_in_page(page, base, name)


def visible_badge(page):  # type: ignore[no-untyped-def]
    return page.locator("[data-unread-badge]:visible").first


@pytest.mark.parametrize("theme", ["vignette", "socialink"])
@pytest.mark.parametrize("width", ["phone", "desktop"])
async def test_badge_changes_live_and_groups_read_well(serve, browser, theme, width):
    client = await serve(theme)
    node = client.node
    alice, _ = await create_user(node, "alice")
    bob, _ = await create_user(node, "bob")
    cal, _ = await create_user(node, "cal")
    with node.db:
        post = await statuses.create_status(node, alice.account, statuses.Draft(text="Sunrise over the bay"))
        bob_account, cal_account = await Account.get(id=bob.account_id), await Account.get(id=cal.account_id)
    base = str(client.make_url("")).rstrip("/")
    context = await browser.new_context(viewport=WIDTHS[width])
    page = await context.new_page()
    await sign_in(page, base, "alice")
    async with page.expect_response(lambda r: r.url.endswith("/api/v2/notifications/unread_count")):
        await page.goto(base + "/explore")  # the stream is open once its first count came back
    assert await page.locator("[data-unread-badge]:visible").count() == 0
    await page.evaluate("window.__stayed = true")

    with node.db:
        await interactions.favourite(node, bob_account, post.id)
    await visible_badge(page).filter(has_text="1").wait_for()
    with node.db:
        await interactions.favourite(node, cal_account, post.id)  # same group: still one unread group
        await relationships.follow(node, bob_account, alice.account)
    await visible_badge(page).filter(has_text="2").wait_for()
    assert await page.evaluate("window.__stayed === true")  # the same document throughout: no reload
    assert "2 unread notifications" == await visible_badge(page).get_attribute("aria-label")

    await visible_badge(page).click()  # the badge sits on the navigation's notifications link
    await page.wait_for_url(base + "/notifications")
    likes = page.locator(".notification.kind-favourite")
    assert "cal and bob liked your post" in " ".join((await likes.inner_text()).split())
    assert await likes.locator("img").count() >= 2  # both likers' faces
    assert await likes.locator(f'a[href="/@alice/{post.id}"]').count() >= 1
    assert await page.locator(".notification.unread").count() == 2
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    await page.screenshot(path=shot_path(f"{theme}-notifications-{width}.png"))
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"

    await page.evaluate("window.__stayed = true")
    await page.click("form[data-mark-read] button")
    await page.wait_for_function("() => document.querySelectorAll('.notification.unread').length === 0")
    assert await page.locator("[data-unread-badge]:visible").count() == 0
    assert await page.evaluate("window.__stayed === true")
    await context.close()
