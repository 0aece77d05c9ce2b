"""Every page of both themes, signed out and signed in, at a phone (390x844) and a desktop (1280x800) size,
checked by axe-core (vendored for tests by scripts/vendor-axe, pinned by integrity) in real Chromium: no
serious or critical violation of WCAG 2.1 A/AA. Each page is also saved as a screenshot in
/tmp/entativa-shots/ (the README's come from there), and a keyboard walk of the Take page reaches its
like button and activates it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import shot_path
from seed import seed, seed_takes
from test_browser_ui import sign_in

from node.models import Favourite

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
RUN_AXE = """async () => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
                                          resultTypes: ["violations"]});
  return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                  nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ") + " :: " + n.failureSummary.split("\\n")[1])}));
}"""


async def _axe(page, base: str, path: str) -> list[dict]:
    response = await page.goto(base + path)
    assert response is not None and response.status == 200, (path, response and response.status)
    await page.add_script_tag(path=str(AXE))
    return await page.evaluate(RUN_AXE)


def _slug(path: str) -> str:
    return re.sub(r"[^a-z]+", "-", re.sub(r"\d{6,}", "", path.lower())).strip("-")[:40] or "home"


@pytest.mark.parametrize("theme", ["vignette", "socialink"])
async def test_every_page_passes_axe_at_phone_and_desktop_width(serve, browser, theme):
    client = await serve(theme)
    node = client.node
    seeded = await seed(node)
    made = await seed_takes(node, seeded["people"])
    base = str(client.make_url("")).rstrip("/")
    take, template = made["take"], made["template"]
    signed_out = ["/", "/explore", "/@maya", f"/@maya/{seeded['sunset'].id}", "/search", "/takes",
                  f"/takes/{take.status_id}", f"/takes/trends/{take.trend_id}", f"/takes/templates/{template.id}",
                  "/login", "/signup", "/auth/password"]
    signed_in = ["/", "/explore", "/tags/goldenhour", "/bookmarks", "/compose", "/@maya", "/@alice",
                 "/@alice?with_replies=1", f"/@maya/{seeded['sunset'].id}", "/search", "/search?q=maya",
                 "/settings/profile", "/settings/preferences", "/settings/notifications", "/notifications",
                 "/takes", f"/takes/{take.status_id}", f"/takes/{made['joined'].status_id}",
                 f"/takes/trends/{take.trend_id}", f"/takes/templates/{template.id}", "/takes/new",
                 f"/takes/new?template_id={template.id}", f"/takes/new?trend_id={take.trend_id}"]
    found: list[str] = []
    for size, width in ((PHONE, "phone"), (DESKTOP, "desktop")):
        # the pages' CSP allows scripts from /static only; the test injects axe, so it bypasses CSP
        context = await browser.new_context(viewport=size, bypass_csp=True)
        page = await context.new_page()
        for who, paths in (("out", signed_out), ("in", signed_in)):
            if who == "in":
                await sign_in(page, base, "alice")
            for number, path in enumerate(paths):
                for violation in await _axe(page, base, path):
                    found.append(f"{theme} {width} signed-{who} {path}: {violation}")
                await page.screenshot(path=shot_path(f"{theme}-{width}-{who}-{number:02d}-{_slug(path)}.png"))
        await context.close()
    assert not found, "\n".join(found)


async def test_a_take_can_be_liked_by_keyboard_alone(serve, browser):
    client = await serve("vignette")
    seeded = await seed(client.node)
    made = await seed_takes(client.node, seeded["people"])
    base = str(client.make_url("")).rstrip("/")
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    await sign_in(page, base, "alice")
    await page.goto(base + f"/takes/{made['take'].status_id}")
    like = page.locator('.take-side form.toggle[data-kind="favourite"] button')
    for _ in range(60):  # Tab through the page until the like button has the focus
        await page.keyboard.press("Tab")
        if await like.evaluate("b => b === document.activeElement"):
            break
    else:
        pytest.fail("the Take's like button cannot be reached with Tab")
    await page.keyboard.press("Enter")
    await page.wait_for_function("() => document.querySelector('.take-side .act-favourite').getAttribute('aria-pressed') === 'true'")
    with client.node.db:
        assert await Favourite.filter(status_id=made["take"].status_id).count() == 1
    await context.close()
