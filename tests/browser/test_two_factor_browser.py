"""Two-factor sign-in by clicking, in real Chromium at a phone's 390 px: /settings, the section, set up by
the secret the page shows (pyotp plays the authenticator app, at the node's clock), the recovery codes,
then signing out and back in with a code. Each theme; the pages must not scroll sideways."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from conftest import shot_path, sign_in_page
from support import create_user
from test_browser_ui import PASSWORD
from test_layout_browser import OVERFLOW

from node.models import User

PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("theme", ["vignette", "socialink"])
async def test_enable_two_factor_and_sign_in_with_a_code(serve, browser, theme):
    client = await serve(theme)
    node = client.node
    await create_user(node, "alice")
    base = str(client.make_url("")).rstrip("/")
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    await sign_in_page(page, base, "alice")

    await page.goto(base + "/settings")
    assert await page.evaluate(OVERFLOW) is None
    await page.click('main a[href="/settings/two-factor"]')
    await page.wait_for_url(base + "/settings/two-factor")
    await page.click("text=Set up two-factor sign-in")
    qr = page.locator("img.totp-qr")
    await qr.wait_for()
    assert await qr.evaluate("img => img.complete && img.naturalWidth > 0")  # the inline QR code loaded
    assert await page.evaluate(OVERFLOW) is None
    await page.screenshot(path=shot_path(f"{theme}-two-factor-setup.png"), full_page=True)
    secret = (await page.locator(".totp-secret").inner_text()).replace(" ", "")  # shown in groups of four
    await page.fill(
        'form[action="/settings/two-factor/confirm"] input[name="code"]',
        pyotp.TOTP(secret).at(node.clock.now()),
    )
    await page.click('form[action="/settings/two-factor/confirm"] button[type="submit"]')
    codes = page.locator(".recovery-codes code")
    await codes.first.wait_for()
    assert await codes.count() == 10
    assert await page.evaluate(OVERFLOW) is None
    await page.screenshot(path=shot_path(f"{theme}-two-factor-codes.png"), full_page=True)
    await page.click("text=I have saved them")
    await page.locator("text=recovery codes left").wait_for()

    await context.clear_cookies()  # a new visit: password, then the code the app shows now
    node.clock.advance(timedelta(seconds=30))
    await page.goto(base + "/login")
    await page.fill('input[name="login"]', "alice")
    await page.fill('input[name="password"]', PASSWORD)
    await page.click('form[action="/login"] button[type="submit"]')
    await page.locator('form[action="/login/code"]').wait_for()
    assert await page.evaluate(OVERFLOW) is None
    await page.fill('form[action="/login/code"] input[name="code"]', "000000")
    await page.click('form[action="/login/code"] button[type="submit"]')
    await page.locator("text=That code is not right").wait_for()
    await page.fill('form[action="/login/code"] input[name="code"]', pyotp.TOTP(secret).at(node.clock.now()))
    await page.click('form[action="/login/code"] button[type="submit"]')
    await page.wait_for_url(base + "/")
    await page.goto(base + "/settings/two-factor")
    await page.locator("text=is on").first.wait_for()
    assert await page.evaluate(OVERFLOW) is None
    with node.db:
        assert (await User.get(account__username="alice")).otp_enabled_at is not None
    await context.close()
