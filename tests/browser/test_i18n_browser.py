"""The web UI in French in a real browser: Chromium's own locale (its Accept-Language) picks the language,
the server draws the page in French and the theme's scripts speak French too (static/i18n.js reads the
page's catalogue); an English browser still gets English."""

from __future__ import annotations

from conftest import shot_path, sign_in_page
from seed import seed

PASSWORD = "correct horse battery"


async def _signed_in(browser, base: str, locale: str):
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    page = await context.new_page()
    await sign_in_page(page, base, "alice")
    return context, page


async def test_a_french_browser_gets_french_pages_and_french_scripts(serve, browser):
    client = await serve("vignette")
    await seed(client.node)
    base = str(client.make_url("")).rstrip("/")

    context, page = await _signed_in(browser, base, "fr-FR")
    assert await page.get_attribute("html", "lang") == "fr"
    assert await page.locator(".side-nav").get_by_text("Accueil").count() == 1  # the server's words
    compose = page.locator(".feed-col > form.compose")
    assert await compose.locator("textarea[name=status]").get_attribute("placeholder") == "Quoi de neuf\u00a0?"
    # the composer's script: opening the poll editor retitles the media button, in French
    await compose.locator("[data-panel$='-poll']").click()
    assert await compose.locator("[data-pick-media]").get_attribute("title") == (
        "Une publication avec un sondage ne peut pas avoir de photos ni de vidéos")
    await compose.locator("[data-add-option]").click()
    assert await compose.locator(".poll-options li").nth(2).locator("input").get_attribute("placeholder") == "Choix 3"
    await page.screenshot(path=shot_path("vignette-home-fr.png"))
    await context.close()

    context, page = await _signed_in(browser, base, "en-GB")
    assert await page.get_attribute("html", "lang") == "en"
    compose = page.locator(".feed-col > form.compose")
    await compose.locator("[data-panel$='-poll']").click()
    assert await compose.locator("[data-pick-media]").get_attribute("title") == (
        "A post with a poll cannot have photos or videos")
    await context.close()
