"""The Messages page's server side: /messages exists only with the e2ee plugin (and its navigation link
with it), and a signed-in browser uses the crypto API with its session cookie and the CSRF header, its
device bound to that session (a new session re-binds the same device). The page's cryptography is tested in
Chromium (tests/browser/test_messages_browser.py)."""

from __future__ import annotations

import aiohttp
import pytest
import vodozemac as vz
from support import create_user
from test_e2ee_api import device_body
from websupport import sign_in

from node.api.keys import NODE
from node.app import build_app
from plugins.e2ee.models import Device


@pytest.fixture
async def client(aiohttp_client, make_config):
    return await aiohttp_client(build_app(make_config(plugins={"enabled": ["e2ee"]}), scheduler=False))


@pytest.mark.parametrize("theme", ["vignette", "socialink"])
async def test_the_messages_page_and_its_link_come_with_the_plugin(aiohttp_client, make_config, theme):
    with_plugin = await aiohttp_client(build_app(make_config(node={"theme": theme}, plugins={"enabled": ["e2ee"]}),
                                                 scheduler=False))
    await create_user(with_plugin.app[NODE], "alice")
    signed_out = await with_plugin.get("/messages", allow_redirects=False)
    assert signed_out.status == 303 and signed_out.headers["Location"].startswith("/login")
    await sign_in(with_plugin, "alice")
    page = await with_plugin.get("/messages")
    html = await page.text()
    assert page.status == 200 and "data-messenger" in html and "/static/messages/messages.js" in html
    assert 'href="/messages"' in html
    assert 'href="/messages"' in await (await with_plugin.get("/")).text()
    for path in ("/static/messages/e2ee.js", "/static/vendor/olm/olm.web.mjs", "/static/vendor/olm/olm.wasm"):
        served = await with_plugin.get(path)
        assert served.status == 200, path
    assert (await with_plugin.get("/static/vendor/olm/olm.wasm")).headers["Content-Type"] == "application/wasm"
    assert (await with_plugin.get("/static/messages/e2ee.js")).headers["Content-Type"] == "text/javascript"


@pytest.mark.parametrize("theme", ["vignette", "socialink"])
async def test_without_the_plugin_there_is_no_messages_page_or_link(aiohttp_client, make_config, theme):
    without = await aiohttp_client(build_app(make_config(node={"theme": theme}, plugins={"enabled": []}),
                                             scheduler=False))
    await create_user(without.app[NODE], "alice")
    await sign_in(without, "alice")
    assert (await without.get("/messages")).status == 404
    assert 'href="/messages"' not in await (await without.get("/")).text()


async def test_the_session_is_one_device_and_a_new_session_rebinds_it(client):
    await create_user(client.app[NODE], "alice")
    csrf = await sign_in(client, "alice")
    body = device_body(vz.Account(), "http://localhost/users/alice", "webfirst")
    refused = await client.post("/api/v1/crypto/keys/upload", json=body)
    assert refused.status == 403 and "CSRF" in (await refused.json())["error"]
    with client.app[NODE].db:
        assert await Device.all().count() == 0  # nothing half-written
    uploaded = await client.post("/api/v1/crypto/keys/upload", json=body, headers={"X-CSRF-Token": csrf})
    assert uploaded.status == 200, await uploaded.text()
    assert (await (await client.get("/api/v1/crypto/keys/count")).json())["one_time_keys"] == 3

    # signed out and in again: a new session has no device until the page re-uploads the same one
    await client.post("/logout", data={"csrf_token": csrf})
    client.session.cookie_jar.clear()
    csrf = await sign_in(client, "alice")
    assert (await client.get("/api/v1/crypto/keys/count")).status == 404
    again = {"device": {k: body["device"][k] for k in ("device_id", "identity_key", "fingerprint_key", "algorithms",
                                                       "signature")}}
    rebound = await client.post("/api/v1/crypto/keys/upload", json=again, headers={"X-CSRF-Token": csrf})
    assert rebound.status == 200, await rebound.text()
    assert (await (await client.get("/api/v1/crypto/keys/count")).json())["one_time_keys"] == 3
    with client.app[NODE].db:
        assert await Device.all().count() == 1


async def test_the_stream_takes_the_session_cookie_only_from_the_nodes_own_pages(client):
    await create_user(client.app[NODE], "alice")
    csrf = await sign_in(client, "alice")
    body = device_body(vz.Account(), "http://localhost/users/alice", "webstream")
    assert (await client.post("/api/v1/crypto/keys/upload", json=body, headers={"X-CSRF-Token": csrf})).status == 200
    base = client.app[NODE].base_url
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect("/api/v1/crypto/stream", headers={"Origin": "https://elsewhere.example"})
    assert refused.value.status == 403
    async with client.ws_connect("/api/v1/crypto/stream", headers={"Origin": base}) as ws:
        await ws.send_json({"type": "typing", "account_id": "999999"})
        answer = await ws.receive_json(timeout=5)
        assert answer["event"] == "error"  # the socket is open and answers (an unknown account here)
