"""The pages' Content-Security-Policy in a real browser: the main pages of both themes, signed out and
signed in, with their scripts running (likes, the live notifications WebSocket, the compose preview, the
copy-ready OAuth code), and not one CSP violation reported. This is what proves the policy allows exactly
what the themes use: a directive too tight shows up here as a violation, an inline handler too."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from seed import photo, seed
from test_browser_ui import sign_in

# Reported by the page itself (securitypolicyviolation events) and by Chromium on the console.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


async def _visit(page, url: str, problems: list[str]) -> None:
    response = await page.goto(url)
    assert response is not None and response.status < 400, (url, response and response.status)
    assert "script-src 'self'" in (await response.all_headers())["content-security-policy"], url
    await page.wait_for_load_state("networkidle")
    problems.extend(f"{url}: {v}" for v in await page.evaluate("window.__csp"))


@pytest.mark.parametrize("theme", ["vignette", "socialink"])
async def test_main_pages_run_under_the_policy_without_a_violation(serve, browser, theme, tmp_path):
    client = await serve(theme)
    seeded = await seed(client.node)
    base = str(client.make_url("")).rstrip("/")
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    await context.add_init_script(WATCH)
    page = await context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console: {m.text}") if "Content Security Policy" in m.text
            else None)

    sunset = seeded["sunset"]
    for path in ("/", "/login", "/signup", "/explore", "/@maya", f"/@maya/{sunset.id}", "/tags/coast"):
        await _visit(page, base + path, problems)

    await sign_in(page, base, "alice")
    for path in ("/", "/explore", "/@maya", f"/@maya/{sunset.id}", "/notifications", "/search?q=coast",
                 "/compose", "/settings", "/settings/two-factor", "/settings/sessions", "/settings/profile",
                 "/settings/preferences", "/settings/notifications",
                 "/bookmarks", "/takes", "/takes/new"):
        await _visit(page, base + path, problems)

    # Scripts at work: a like through the JSON API, the compose form's preview of a chosen photo (a blob:
    # image), the notifications WebSocket that notifications.js opened on every signed-in page.
    await page.goto(base + "/")
    like = page.locator(f'form.toggle[data-status="{sunset.id}"][data-kind="favourite"] button').first
    await like.click()
    await page.locator(f'[data-count="favourite-{sunset.id}"]').first.filter(has_text="1").wait_for()
    await page.goto(base + "/compose")
    picture = tmp_path / "pick.jpg"
    picture.write_bytes(photo("forest", (200, 200)))
    await page.set_input_files("main input[data-media-input]", str(picture))  # a blob: preview, an XHR upload
    await page.wait_for_function("() => document.querySelector('main .media-item img')?.naturalWidth > 0"
                                 " && document.querySelector('main .media-item input[name=\"media_ids[]\"]')")
    problems.extend(f"compose: {v}" for v in await page.evaluate("window.__csp"))

    # The out-of-band OAuth code page selects its code on a click (once an inline onclick).
    app = await (await client.post("/api/v1/apps", json={
        "client_name": "CLI", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read"})).json()
    query = urlencode({"response_type": "code", "client_id": app["client_id"],
                       "redirect_uri": "urn:ietf:wg:oauth:2.0:oob", "scope": "read"})
    await page.goto(f"{base}/oauth/authorize?{query}")
    await page.locator('form[action="/oauth/authorize"] button[value="approve"]').click()
    code = page.locator("input.code")
    await code.wait_for()
    await code.click()
    assert await page.evaluate("document.activeElement.selectionEnd - document.activeElement.selectionStart") > 0
    problems.extend(f"oauth code: {v}" for v in await page.evaluate("window.__csp"))
    await context.close()
    assert problems == []
