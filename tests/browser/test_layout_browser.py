"""Every page of both themes at a phone (390x844) and a desktop (1280x800) size in real Chromium: nothing
scrolls sideways, and every place the navigation offers is visible and clickable, either at once or one
tap away in the phone's More/Menu sheet. At 360 px the bar still fits, and the sheet is clicked through."""

from __future__ import annotations

import pytest
from conftest import shot_path
from seed import seed, seed_stories, seed_takes
from test_browser_ui import sign_in

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
SIGNED_IN_PLACES = ["/", "/search", "/explore", "/takes", "/compose", "/notifications", "/bookmarks", "/@alice",
                    "/settings"]
MAYAS_PLACES = [p if p != "/@alice" else "/@maya" for p in SIGNED_IN_PLACES]
SIGNED_OUT_PLACES = ["/explore", "/search", "/takes", "/login"]

# what sticks out past the right edge, to name the culprit when a page scrolls sideways
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return null;
  const wide = [...document.querySelectorAll("body *")].filter((el) => el.getBoundingClientRect().right > width + 1);
  return {scrollWidth: document.documentElement.scrollWidth, width,
          culprits: wide.slice(-5).map((el) => el.tagName + "." + el.className + " " + Math.round(el.getBoundingClientRect().right))};
}"""


def _place(page, href: str):
    found = f'nav a[href="{href}"]:visible, header a[href="{href}"]:visible'
    if href == "/search":  # wide screens search from the box (with suggestions), phones on the search screen
        found += ', form[action="/search"] input[name="q"]:visible'
    return page.locator(found).first


async def _reachable(page, places: list[str], signed_in: bool) -> None:
    """Each place is visible and clickable now, or after opening the sheet; Sign out too when signed in."""
    missing = [href for href in places if not await _place(page, href).count()]
    wanted = [*missing, "sign out"] if signed_in else missing
    if await _sign_out(page).count():
        wanted = [w for w in wanted if w != "sign out"]
    opened = False
    if wanted:
        toggle = page.locator("[data-sheet]:visible")
        assert await toggle.count() == 1, f"{page.url}: {wanted} not visible and no More/Menu button"
        await toggle.click()
        opened = True
        assert await toggle.get_attribute("aria-expanded") == "true"
    for href in places:
        await _place(page, href).click(trial=True, timeout=2000)  # visible, enabled, not covered
    if signed_in:
        await _sign_out(page).click(trial=True, timeout=2000)
    if opened:
        await page.keyboard.press("Escape")
        assert await page.locator("[data-sheet]:visible").get_attribute("aria-expanded") == "false"


def _sign_out(page):
    return page.locator('form[action="/logout"] button:visible').first


async def _check_pages(page, base: str, paths: list[str], places: list[str], signed_in: bool, label: str) -> int:
    checked = 0
    for path in paths:
        response = await page.goto(base + path)
        assert response is not None and response.status == 200, (path, response and response.status)
        overflow = await page.evaluate(OVERFLOW)
        assert overflow is None, f"{label} {path} scrolls sideways: {overflow}"
        # sign-in pages and the full-screen story viewer have no nav
        if not path.startswith(("/login", "/signup", "/auth/", "/oauth/", "/stories/watch/", "/highlights/")):
            await _reachable(page, places, signed_in)
        checked += 1
    return checked


@pytest.mark.parametrize("theme", ["vignette", "socialink"])
async def test_every_page_fits_and_every_place_is_reachable(serve, browser, theme):
    client = await serve(theme)
    node = client.node
    seeded = await seed(node)
    made = await seed_takes(node, seeded["people"])
    told = await seed_stories(node, seeded["people"])
    base = str(client.make_url("")).rstrip("/")
    take, template = made["take"], made["template"]
    signed_in_paths = [
        "/", "/explore", "/tags/goldenhour", "/bookmarks", "/compose", "/@maya", "/@alice",
        f"/@maya/{seeded['sunset'].id}", "/search", "/search?q=maya", "/settings", "/settings/profile", "/settings/preferences",
        "/settings/notifications", "/settings/privacy", "/settings/account", "/settings/two-factor",
        "/settings/sessions", "/settings/moving", "/settings/delete", "/notifications", "/takes", "/takes?feed=local", f"/takes/{take.status_id}",
        f"/takes/trends/{take.trend_id}", f"/takes/templates/{template.id}", "/takes/new",
        f"/takes/new?template_id={template.id}", "/stories/new", "/stories/archive", "/stories/close-friends",
        f"/stories/watch/{told['story'].account_id}", f"/highlights/{told['highlight'].id}"]
    # Maya's own pages: her viewers, insights and archive (signed in as her, after Alice's round)
    author_paths = [f"/stories/{told['story'].id}/viewers", f"/stories/{told['story'].id}/insights", "/stories/archive",
                    "/@maya"]
    signed_out_paths = ["/", "/explore", "/@maya", f"/@maya/{seeded['sunset'].id}", "/search", "/takes",
                        f"/takes/{take.status_id}", "/login", "/signup", "/auth/password", "/about", "/privacy-policy"]
    for size, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        context = await browser.new_context(viewport=size)
        page = await context.new_page()
        checked = await _check_pages(page, base, signed_out_paths, SIGNED_OUT_PLACES, False, f"{theme} {name}")
        await sign_in(page, base, "alice")
        checked += await _check_pages(page, base, signed_in_paths, SIGNED_IN_PLACES, True, f"{theme} {name}")
        assert checked == len(signed_in_paths) + len(signed_out_paths)
        await context.close()
        context = await browser.new_context(viewport=size)
        page = await context.new_page()
        await sign_in(page, base, "maya")
        assert await _check_pages(page, base, author_paths, MAYAS_PLACES, True, f"{theme} {name}") == 4
        await context.close()


@pytest.mark.parametrize("theme", ["vignette", "socialink"])
async def test_the_phone_sheet_opens_without_js_and_leads_everywhere_at_360(serve, browser, theme):
    client = await serve(theme)
    await seed(client.node)
    base = str(client.make_url("")).rstrip("/")

    # at 360 px with JS: open the sheet, follow Saved, and Settings, from it
    context = await browser.new_context(viewport={"width": 360, "height": 740})
    page = await context.new_page()
    await sign_in(page, base, "alice")
    assert await page.evaluate(OVERFLOW) is None
    await page.locator("[data-sheet]:visible").click()
    await page.screenshot(path=shot_path(f"{theme}-phone-sheet.png"))
    await _place(page, "/bookmarks").click()
    await page.wait_for_url(base + "/bookmarks")
    await page.locator("[data-sheet]:visible").click()
    await _place(page, "/settings").click()
    await page.wait_for_url(base + "/settings")
    await _place(page, "/search").click()  # search is its own screen on a phone
    await page.wait_for_url(base + "/search")
    assert await page.locator("main input[type=search]").is_visible()
    await context.close()

    # without JS the same button opens the sheet through #more/#menu (:target)
    context = await browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = await context.new_page()
    await sign_in(page, base, "alice")
    assert not await _place(page, "/bookmarks").count()
    await page.locator("[data-sheet]:visible").click()
    await _place(page, "/bookmarks").click()
    await page.wait_for_url(base + "/bookmarks")
    await context.close()


ADMIN_PAGES = ["/admin/accounts?status=pending", "/admin/accounts", "/admin/accounts?status=suspended",
               "/admin/rules", "/admin/announcements", "/admin/documents", "/admin/blocks", "/about", "/terms"]


@pytest.mark.parametrize("theme", ["vignette", "socialink"])
async def test_the_admin_area_fits_a_phone_and_approves_a_sign_up(serve, browser, theme):
    from support import create_user

    from node.models import IpBlock, User
    from node.services import account_moderation, announcements, instance_info

    client = await serve(theme)
    node = client.node
    await seed(node)
    await create_user(node, "root", admin=True)
    waiting, _ = await create_user(node, "newcomer_with_a_long_name")
    with node.db:
        await User.filter(id=waiting.id).update(approved=False, sign_up_reason="I photograph mountain huts " * 4)
        await instance_info.add_rule(instance_info.RuleSpec(text="No harassment of any kind, anywhere, ever",
                                                            hint="This includes direct messages."))
        await announcements.create(node, announcements.AnnouncementSpec(text="Maintenance on Sunday 02:00 UTC"))
        await instance_info.publish_terms(node, "# Terms\n\nBe excellent to each other.")
        await account_moderation.block_email("someone.with.a.long.address+spam@example.com", None)
        await IpBlock.create(ip="2001:db8:abcd:0012:0000:0000:0000:0000/64", severity="sign_up_requires_approval",
                             comment="A noisy range of addresses that signed up many times in one hour")
    base = str(client.make_url("")).rstrip("/")
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    await sign_in(page, base, "root")
    checked = await _check_pages(page, base, ADMIN_PAGES, [*(p.replace("alice", "root") for p in SIGNED_IN_PLACES), "/admin"], True, f"{theme} phone")
    assert checked == len(ADMIN_PAGES)
    await page.goto(base + "/admin")
    await page.wait_for_url(base + "/admin/accounts?status=pending")
    await page.screenshot(path=shot_path(f"{theme}-phone-admin.png"))
    await page.locator('form[action$="/approve"] button').click()
    await page.wait_for_url("**/admin/accounts?status=pending&done=*")
    assert "Done: approve" in await page.locator(".flash.ok").inner_text()
    with node.db:
        assert (await User.get(id=waiting.id)).approved
    await context.close()
