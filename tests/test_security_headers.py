"""What a browser is told, over real HTTP: Secure cookies and HSTS under https (and neither under http), a
Content-Security-Policy, nosniff and a Referrer-Policy on pages, and uploaded media that can never be
rendered as a page (a JPEG or PNG with HTML appended is still only an image)."""

from __future__ import annotations

import io
import re

from aiohttp import FormData
from PIL import Image
from support import bearer, create_user
from websupport import form_token, sign_in

from node.api.keys import NODE
from node.app import build_app

POLYGLOT_TAIL = b"<html><body><script>alert(document.domain)</script></body></html>"


def _image(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 90)).save(out, kind)
    return out.getvalue() + POLYGLOT_TAIL


def _set_cookies(response) -> dict[str, str]:
    return {raw.split("=", 1)[0]: raw for raw in response.headers.getall("Set-Cookie", [])}


async def test_cookies_are_secure_and_hsts_is_sent_under_https(aiohttp_client, make_config):
    client = await aiohttp_client(build_app(make_config(node={"scheme": "https"}), scheduler=False))
    await create_user(client.app[NODE], "alice")
    form = await client.get("/login")
    assert form.headers["Strict-Transport-Security"] == "max-age=31536000"
    cookies = _set_cookies(form)
    assert cookies and all(re.search(r";\s*Secure", c, re.I) for c in cookies.values()), cookies
    # The test client speaks plain http, so it would not send Secure cookies back: send them by hand.
    jar = "; ".join(c.split(";", 1)[0] for c in cookies.values())
    signed_in = await client.post("/login", allow_redirects=False, headers={"Cookie": jar}, data={
        "login": "alice", "password": "correct horse battery", "csrf_token": form_token(await form.text())})
    assert signed_in.status == 303, await signed_in.text()
    session = _set_cookies(signed_in)["entativa_session"]
    assert re.search(r";\s*Secure", session, re.I) and re.search(r";\s*HttpOnly", session, re.I)
    assert "Strict-Transport-Security" in (await client.get("/api/v1/instance")).headers


async def test_no_secure_flag_nor_hsts_under_http(node_client):
    form = await node_client.get("/login")
    assert "Strict-Transport-Security" not in form.headers
    assert not any("secure" in c.lower() for c in _set_cookies(form).values())


async def test_pages_carry_a_policy_nosniff_and_a_referrer_policy(node_client, node_of):
    await create_user(node_of(node_client), "alice")
    for path in ("/", "/login", "/signup", "/@alice", "/explore", "/no/such/page"):
        response = await node_client.get(path)
        assert response.content_type == "text/html", path
        policy = response.headers["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["script-src"] == "'self' 'wasm-unsafe-eval'"  # no inline script, no JS eval; WebAssembly
        # compilation only (the Messages page's libolm)
        assert directives["style-src"] == "'self'"
        assert directives["default-src"] == "'none'" and directives["object-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'" and directives["form-action"] == "'self'"
        assert "ws://localhost" in directives["connect-src"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
    api = await node_client.get("/api/v1/instance")
    assert api.headers["X-Content-Type-Options"] == "nosniff" and "Content-Security-Policy" not in api.headers


async def test_the_consent_page_may_send_its_answer_to_the_app(node_client, node_of):
    """form-action would stop the browser following the consent form's redirect to the app's redirect_uri."""
    await create_user(node_of(node_client), "alice")
    await sign_in(node_client, "alice")
    app = await (await node_client.post("/api/v1/apps", json={
        "client_name": "App", "redirect_uris": "https://app.example/cb", "scopes": "read"})).json()
    response = await node_client.get("/oauth/authorize", params={
        "response_type": "code", "client_id": app["client_id"], "redirect_uri": "https://app.example/cb"})
    assert response.url.path == "/oauth/authorize" and "Authorize" in await response.text()
    policy = response.headers["Content-Security-Policy"]
    assert "form-action" not in policy and "script-src 'self'" in policy


async def test_uploaded_media_is_never_served_as_a_page(node_client, node_of):
    node = node_of(node_client)
    _, token = await create_user(node, "alice")
    for kind, mime in (("JPEG", "image/jpeg"), ("PNG", "image/png")):
        form = FormData()
        form.add_field("file", _image(kind), filename="pretty.html", content_type="text/html")
        uploaded = await node_client.post("/api/v2/media", data=form, headers=bearer(token))
        assert uploaded.status == 200, await uploaded.text()
        url = (await uploaded.json())["url"]
        served = await node_client.get(url.split("localhost", 1)[1])
        assert served.status == 200
        assert served.content_type == mime  # by what the bytes are, whatever the upload claimed
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert served.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
        if kind == "JPEG":  # re-encoded on upload: the HTML tail is gone
            assert b"<script>" not in await served.read()
    # Anything else under /media (a file an admin copied there...) is a download, never rendered.
    (node.config.media_dir / "note.html").write_bytes(POLYGLOT_TAIL)
    served = await node_client.get("/media/note.html")
    assert served.content_type == "application/octet-stream"
    assert served.headers["Content-Disposition"] == "attachment"
    assert "sandbox" in served.headers["Content-Security-Policy"]
