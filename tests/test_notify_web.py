"""The notification settings page without a browser: it renders in both themes, saves through the form,
keeps email choices when mail is off, and shows a bad value back with a 422; the manifest and service worker."""

from __future__ import annotations

import pytest
from support import bearer, create_user
from websupport import form_token, sign_in

from node.api.keys import NODE
from node.app import build_app


async def served(aiohttp_client, make_config, theme="vignette", **sections):  # type: ignore[no-untyped-def]
    client = await aiohttp_client(build_app(make_config(node={"theme": theme}, **sections), scheduler=False))
    return client, client.app[NODE]


def settings_form(csrf: str, **changes: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf,
        "mention.push": "on",
        "follow.push": "on",
        "quiet.start": "22:00",
        "quiet.end": "07:00",
        "quiet.timezone": "UTC",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v != ""}


@pytest.mark.parametrize("theme", ["vignette", "socialink"])
async def test_the_settings_page_saves_and_refuses_a_bad_zone(aiohttp_client, make_config, mail_sink, theme):
    client, node = await served(
        aiohttp_client,
        make_config,
        theme,
        mail={"smtp_host": "127.0.0.1", "smtp_port": mail_sink.port, "from": "s@entativa.test"},
    )
    _, token = await create_user(node, "alice")
    csrf = await sign_in(client, "alice")
    page = await client.get("/settings/notifications")
    html = await page.text()
    assert page.status == 200 and 'name="favourite.email"' in html and "Europe/Berlin" in html
    assert 'rel="manifest"' in html and "/static/push.js" in html
    form = settings_form(
        form_token(html),
        **{
            "favourite.email": "on",
            "quiet.enabled": "on",
            "quiet.start": "21:30",
            "quiet.timezone": "Europe/Berlin",
            "email_digest": "weekly",
        },
    )
    saved = await client.post("/settings/notifications", data=form, allow_redirects=False)
    assert saved.status == 303 and saved.headers["Location"] == "/settings/notifications?saved=1"
    prefs = await (await client.get("/api/v1/notifications/preferences", headers=bearer(token))).json()
    assert prefs["types"]["favourite"] == {"push": False, "email": True}
    assert prefs["types"]["mention"] == {"push": True, "email": False}
    assert prefs["quiet_hours"] == {
        "enabled": True,
        "start": "21:30",
        "end": "07:00",
        "timezone": "Europe/Berlin",
    }
    assert prefs["email_digest"] == "weekly"

    bad = await client.post(
        "/settings/notifications", data=settings_form(csrf, **{"quiet.timezone": "Nowhere/Land"})
    )
    assert bad.status == 422 and "quiet_hours.timezone" in await bad.text()
    assert (
        await (await client.get("/api/v1/notifications/preferences", headers=bearer(token))).json() == prefs
    )
    forged = await client.post("/settings/notifications", data=settings_form("wrong"))
    assert forged.status == 403


async def test_without_mail_the_page_keeps_email_choices(aiohttp_client, make_config):
    client, node = await served(aiohttp_client, make_config)
    _, token = await create_user(node, "alice")
    csrf = await sign_in(client, "alice")
    html = await (await client.get("/settings/notifications")).text()
    assert "does not send email" in html
    await client.put(
        "/api/v1/notifications/preferences",
        headers=bearer(token),
        json={"types": {"favourite": {"email": True}}, "email_digest": "daily"},
    )
    saved = await client.post("/settings/notifications", data=settings_form(csrf), allow_redirects=False)
    assert saved.status == 303
    prefs = await (await client.get("/api/v1/notifications/preferences", headers=bearer(token))).json()
    assert prefs["types"]["favourite"] == {"push": False, "email": True}  # push changed, email kept
    assert prefs["email_digest"] == "daily"


async def test_signed_out_goes_to_sign_in(aiohttp_client, make_config):
    client, _ = await served(aiohttp_client, make_config)
    resp = await client.get("/settings/notifications", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize(("theme", "colour"), [("vignette", "#ffffff"), ("socialink", "#1877f2")])
async def test_manifest_and_service_worker(aiohttp_client, make_config, theme, colour):
    client, _ = await served(aiohttp_client, make_config, theme)
    manifest = await client.get("/manifest.webmanifest")
    assert manifest.headers["Content-Type"].startswith("application/manifest+json")
    body = await manifest.json(content_type=None)
    assert body["start_url"] == "/" and body["display"] == "standalone" and body["theme_color"] == colour
    for icon in body["icons"]:
        image = await client.get(icon["src"])
        assert image.status == 200 and (await image.read())[:8] == b"\x89PNG\r\n\x1a\n"
    worker = await client.get("/sw.js")
    assert worker.status == 200 and worker.headers["Service-Worker-Allowed"] == "/"
    assert worker.headers["Content-Type"].startswith("application/javascript")
    assert 'addEventListener("push"' in await worker.text()
