"""Notification settings and Web Push in a real browser (system Chromium via Playwright), at phone width in
both themes: the settings page saves preferences and quiet hours, and "Turn on push" registers the real
service worker and creates the subscription through it; a mention is then pushed, encrypted, to a loopback
receiver that decrypts it, and the decrypted message is handed to the service worker as a push event
(Chrome DevTools' ServiceWorker.deliverPushMessage), which shows the notification.

Headless Chromium has no push service of its own (Chrome's is Google's, and headless answers "permission
denied"), so an init script stands in for `PushManager.subscribe`/`getSubscription` alone: it makes real
P-256 keys with WebCrypto and points the subscription at the loopback receiver. Everything else is real.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.test_utils import unused_port
from conftest import chromium_path, shot_path, sign_in_page
from cryptography.hazmat.primitives.asymmetric import ec
from support import bearer, create_user

from node.api.keys import NODE
from node.app import build_app
from node.models import PushSubscription
from node.notify import dispatcher, preferences, webpush

PASSWORD = "correct horse battery"
PHONE = {"width": 390, "height": 844}

# Stands in for the browser vendor's push service registration only (see the module docstring).
PUSH_SERVICE_STAND_IN = """
(() => {
  const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  let current = null;
  PushManager.prototype.getSubscription = async function () { return current; };
  PushManager.prototype.subscribe = async function (options) {
    if (!options || !options.userVisibleOnly || !options.applicationServerKey) throw new Error("bad options");
    window.__serverKey = b64url(options.applicationServerKey);
    const pair = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
    const raw = await crypto.subtle.exportKey("raw", pair.publicKey);
    const auth = crypto.getRandomValues(new Uint8Array(16));
    window.__pushPrivateJwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
    window.__pushAuth = b64url(auth);
    const keys = { p256dh: b64url(raw), auth: b64url(auth) };
    current = { endpoint: window.__pushEndpoint, toJSON: () => ({ endpoint: window.__pushEndpoint, keys }),
                unsubscribe: async () => { current = null; return true; } };
    return current;
  };
})();
"""


def _jwk_private_key(jwk: dict) -> ec.EllipticCurvePrivateKey:
    def number(name: str) -> int:
        return int.from_bytes(base64.urlsafe_b64decode(jwk[name] + "=" * (-len(jwk[name]) % 4)), "big")

    public = ec.EllipticCurvePublicNumbers(number("x"), number("y"), ec.SECP256R1())
    return ec.EllipticCurvePrivateNumbers(number("d"), public).private_key()


async def _served(aiohttp_server, aiohttp_client, make_config, theme: str):  # type: ignore[no-untyped-def]
    port = unused_port()
    config = make_config(
        node={"domain": f"127.0.0.1:{port}", "theme": theme, "name": "Entativa"},
        federation={"enabled": False, "allow_private_addresses": True},
    )
    server = await aiohttp_server(build_app(config, scheduler=False), port=port)
    return await aiohttp_client(server)


async def _sign_in(page, base: str, name: str) -> None:  # type: ignore[no-untyped-def]
    await sign_in_page(page, base, name)


@pytest.mark.parametrize("theme", ["vignette", "socialink"])
async def test_settings_and_push_through_the_service_worker(
    aiohttp_server, aiohttp_client, make_config, push_receiver, theme
):
    chromium = chromium_path()
    from playwright.async_api import async_playwright

    client = await _served(aiohttp_server, aiohttp_client, make_config, theme)
    node = client.app[NODE]
    base = str(client.make_url("")).rstrip("/")
    alice, _ = await create_user(node, "alice")
    _, bob_token = await create_user(node, "bob")
    vapid = (await (await client.get("/api/v2/instance")).json())["configuration"]["vapid"]["public_key"]
    push_receiver.vapid_public = vapid
    manifest = await (await client.get("/manifest.webmanifest")).json()
    assert manifest["display"] == "standalone" and {i["sizes"] for i in manifest["icons"]} == {
        "192x192",
        "512x512",
    }

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        context = await browser.new_context(
            viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
        )
        await context.grant_permissions(["notifications"], origin=base)
        await context.add_init_script(
            f"window.__pushEndpoint = {json.dumps(push_receiver.endpoint('browser'))};"
            + PUSH_SERVICE_STAND_IN
        )
        page = await context.new_page()
        await _sign_in(page, base, "alice")
        assert await page.locator('link[rel="manifest"]').get_attribute("href") == "/manifest.webmanifest"

        # Preferences: untick likes by push, quiet hours 23:00-06:30 in Lisbon, saved through the form.
        await page.goto(base + "/settings/notifications")
        assert (
            await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        )  # no sideways scroll
        await page.uncheck('input[name="favourite.push"]')
        await page.check('input[name="quiet.enabled"]')
        await page.fill('input[name="quiet.start"]', "23:00")
        await page.fill('input[name="quiet.end"]', "06:30")
        await page.select_option('select[name="quiet.timezone"]', "Europe/Lisbon")
        await page.click('form.notification-settings button[type="submit"]')
        await page.locator(".flash.ok").wait_for()
        with node.db:
            mine = await preferences.read(alice.account_id)
        assert mine["types"]["favourite"]["push"] is False and mine["types"]["mention"]["push"] is True
        assert mine["quiet_hours"] == {
            "enabled": True,
            "start": "23:00",
            "end": "06:30",
            "timezone": "Europe/Lisbon",
        }
        await page.screenshot(path=shot_path(f"{theme}-settings-notifications-390.png"), full_page=True)

        # Quiet hours off again for the push below (the page keeps the rest as it was).
        await page.uncheck('input[name="quiet.enabled"]')
        await page.click('form.notification-settings button[type="submit"]')
        await page.locator(".flash.ok").wait_for()

        # Push on this device: the real service worker registers and the subscription reaches the node.
        await page.click("[data-push-on]")
        await page.locator('#push-device[data-subscribed="true"]').wait_for()
        assert await page.evaluate("window.__serverKey") == vapid  # subscribed with the node's VAPID key
        assert (
            await page.evaluate("navigator.serviceWorker.ready.then(r => r.active.scriptURL)")
            == base + "/sw.js"
        )
        with node.db:
            sub = await PushSubscription.get(account_id=alice.account_id)
        assert sub.standard and sub.credential_hash.startswith("session:") and sub.alerts["mention"]

        # A mention is pushed to the receiver, which decrypts it with the browser's own private key...
        browser_keys = push_receiver.browser("browser")
        browser_keys.private = _jwk_private_key(await page.evaluate("window.__pushPrivateJwk"))
        browser_keys.auth = webpush._b64decode("auth", await page.evaluate("window.__pushAuth"))
        await client.post(
            "/api/v1/statuses", json={"status": "@alice trail run tomorrow?"}, headers=bearer(bob_token)
        )
        await node.settle()
        later = datetime.now(UTC) + timedelta(seconds=5)
        with node.db:
            await dispatcher.drain(node, later)
            assert await webpush.drain(node, later) == 1
        assert push_receiver.rejected == [] and len(push_receiver.received) == 1
        payload = push_receiver.received[0].payload
        assert payload["title"] == "bob mentioned you"

        # ...and the decrypted message, delivered to the service worker as a push event, is shown.
        cdp = await context.new_cdp_session(page)
        registrations: list[dict] = []
        cdp.on(
            "ServiceWorker.workerRegistrationUpdated",
            lambda event: registrations.extend(event["registrations"]),
        )
        await cdp.send("ServiceWorker.enable")
        for _ in range(50):
            if registrations:
                break
            await page.wait_for_timeout(100)
        registration = next(r for r in registrations if r["scopeURL"] == base + "/")
        await cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": base, "registrationId": registration["registrationId"], "data": json.dumps(payload)},
        )
        # wait_for_function would take the async function's Promise itself as truthy and stop at once, so
        # the page is asked until the service worker has shown it (bounded).
        shown = None
        for _ in range(100):
            shown = await page.evaluate(
                """async () => { const r = await navigator.serviceWorker.ready;
                                 const n = await r.getNotifications(); return n.length ? n[0].title + '|' + n[0].body : null; }"""
            )
            if shown:
                break
            await page.wait_for_timeout(100)
        assert shown == "bob mentioned you|@alice trail run tomorrow?"

        # Turning push off removes the subscription.
        await page.click("[data-push-off]")
        await page.locator('#push-device[data-subscribed="false"]').wait_for()
        with node.db:
            assert not await PushSubscription.filter(account_id=alice.account_id).exists()
        await context.close()
        await browser.close()
