"""@mention and #hashtag type-ahead in the composer, in real Chromium, both themes on a phone: typing "@ma"
offers Maya with her avatar, the keyboard picks her and the post mentions her; "#gold" offers the hashtag
and a click picks it; Escape closes the list without changing the text."""

from __future__ import annotations

import pytest
from seed import seed
from test_accessibility_browser import AXE, RUN_AXE
from test_browser_ui import sign_in

from node.models import Mention, Status, StatusTag

PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("theme", ["vignette", "socialink"])
async def test_mentions_and_hashtags_are_offered_while_typing(serve, browser, theme):
    client = await serve(theme)
    node = client.node
    people = (await seed(node))["people"]
    await node.search.drain()  # the accounts and hashtags are searchable before anyone types
    base = str(client.make_url("")).rstrip("/")
    context = await browser.new_context(viewport=PHONE, bypass_csp=True)  # axe is injected below
    page = await context.new_page()
    await sign_in(page, base, "alice")
    await page.goto(base + "/")
    box = page.locator("form[data-compose] textarea[name=status]").first
    await box.click()
    await box.press_sequentially("Great shot @ma")
    listbox = page.locator(".mention-suggestions[role=listbox]:visible")
    option = listbox.locator("[role=option]", has_text="Maya Lin")
    await option.wait_for()
    assert await option.locator("img.suggest-face").count() == 1  # people are shown with their picture
    assert await option.get_attribute("aria-selected") == "true"
    assert await box.get_attribute("aria-activedescendant") == await option.get_attribute("id")
    await page.add_script_tag(path=str(AXE))
    assert await page.evaluate(RUN_AXE) == []  # no serious or critical violation with the list open
    await box.press("Enter")  # picks the highlighted person instead of a new line
    assert await box.input_value() == "Great shot @maya "
    assert await listbox.count() == 0

    await box.press_sequentially("at #gold")
    await listbox.locator("[role=option]", has_text="goldenhour").click()
    assert await box.input_value() == "Great shot @maya at #goldenhour "

    await box.press_sequentially("@th")
    await listbox.locator("[role=option]", has_text="Theo Park").wait_for()
    await box.press("Escape")
    assert await listbox.count() == 0 and await box.input_value() == "Great shot @maya at #goldenhour @th"
    await box.press("Backspace")
    await box.press("Backspace")
    await box.press("Backspace")

    await page.locator("form[data-compose] button[type=submit]").first.click()
    await page.locator("article.post", has_text="Great shot").first.wait_for()
    with node.db:
        posted = await Status.get(text__startswith="Great shot")
        assert posted.text.strip() == "Great shot @maya at #goldenhour"
        assert [m.account_id for m in await Mention.filter(status_id=posted.id)] == [people["maya"].account.id]
        assert await StatusTag.filter(status_id=posted.id).count() == 1
    await context.close()
