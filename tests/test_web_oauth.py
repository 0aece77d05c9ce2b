"""The OAuth consent page end to end: sign in, approve, get a code, exchange it at /oauth/token; the oob
code page; deny; and bad requests answered on a page without a code being made."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlencode, urlsplit

from support import create_user
from websupport import form_token, sign_in

from node.models import OAuthCode

REDIRECT = "https://client.example/callback"
OOB = "urn:ietf:wg:oauth:2.0:oob"
VERIFIER = "verifier-" + "x" * 40


async def register(client, redirect: str = f"{REDIRECT}\n{OOB}") -> dict:
    response = await client.post("/api/v1/apps", json={"client_name": "Pixel Pal", "redirect_uris": redirect,
                                                       "scopes": "read write follow",
                                                       "website": "https://client.example"})
    assert response.status == 200
    return await response.json()


def authorize_url(app: dict, redirect: str = REDIRECT, **extra: str) -> str:
    query = {"client_id": app["client_id"], "redirect_uri": redirect, "response_type": "code",
             "scope": "read write", "state": "xyz 123", **extra}
    return "/oauth/authorize?" + urlencode(query)


async def test_authorize_sign_in_approve_and_exchange_code(node_client, node_of):
    await create_user(node_of(node_client), "alice")
    app = await register(node_client)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
    url = authorize_url(app, code_challenge=challenge, code_challenge_method="S256")

    first = await node_client.get(url, allow_redirects=False)
    assert first.status == 303 and first.headers["Location"].startswith("/login?next=")
    login = await node_client.get(first.headers["Location"])
    login_html = await login.text()
    next_path = parse_qs(urlsplit(first.headers["Location"]).query)["next"][0]
    signed_in = await node_client.post("/login", data={"login": "alice", "password": "correct horse battery",
                                                       "csrf_token": form_token(login_html), "next": next_path},
                                       allow_redirects=False)
    assert signed_in.headers["Location"] == next_path

    consent = await node_client.get(next_path)
    html = await consent.text()
    assert consent.status == 200 and "Pixel Pal" in html and "<code>read</code>" in html
    assert "<code>write</code>" in html and "<code>follow</code>" not in html
    assert consent.headers["X-Frame-Options"] == "DENY"
    data = {"csrf_token": form_token(html), "client_id": app["client_id"], "redirect_uri": REDIRECT,
            "response_type": "code", "scope": "read write", "state": "xyz 123", "code_challenge": challenge,
            "code_challenge_method": "S256", "decision": "approve"}
    approved = await node_client.post("/oauth/authorize", data=data, allow_redirects=False)
    assert approved.status == 303
    target = urlsplit(approved.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == REDIRECT
    query = parse_qs(target.query)
    assert query["state"] == ["xyz 123"] and query["code"][0]

    token = await node_client.post("/oauth/token", data={
        "grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": REDIRECT,
        "client_id": app["client_id"], "client_secret": app["client_secret"], "code_verifier": VERIFIER})
    body = await token.json()
    assert token.status == 200, body
    me = await node_client.get("/api/v1/accounts/verify_credentials",
                               headers={"Authorization": f"Bearer {body['access_token']}"}, cookies={})
    assert me.status == 200 and (await me.json())["username"] == "alice"


async def test_oob_shows_the_code_on_a_page(node_client, node_of):
    node = node_of(node_client)
    await create_user(node, "alice")
    app = await register(node_client)
    await sign_in(node_client, "alice")
    html = await (await node_client.get(authorize_url(app, OOB))).text()
    response = await node_client.post("/oauth/authorize", data={
        "csrf_token": form_token(html), "client_id": app["client_id"], "redirect_uri": OOB,
        "response_type": "code", "scope": "read", "decision": "approve"}, allow_redirects=False)
    assert response.status == 200
    page = await response.text()
    assert "Authorization code" in page
    code = page.split('class="code" type="text" readonly value="')[1].split('"')[0]
    token = await node_client.post("/oauth/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": OOB,
        "client_id": app["client_id"], "client_secret": app["client_secret"]})
    assert token.status == 200 and (await token.json())["scope"] == "read"


async def test_deny_redirects_with_access_denied_and_makes_no_code(node_client, node_of):
    node = node_of(node_client)
    await create_user(node, "alice")
    app = await register(node_client)
    await sign_in(node_client, "alice")
    html = await (await node_client.get(authorize_url(app))).text()
    response = await node_client.post("/oauth/authorize", data={
        "csrf_token": form_token(html), "client_id": app["client_id"], "redirect_uri": REDIRECT,
        "response_type": "code", "scope": "read write", "state": "s1", "decision": "deny"}, allow_redirects=False)
    assert response.status == 303
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["s1"]
    with node.db:
        assert await OAuthCode.all().count() == 0


async def test_bad_authorize_requests_get_a_page_and_no_code(node_client, node_of):
    node = node_of(node_client)
    await create_user(node, "alice")
    app = await register(node_client)
    await sign_in(node_client, "alice")
    unknown = await node_client.get(authorize_url({"client_id": "nope"}))
    assert unknown.status == 404 and "unknown client_id" in await unknown.text()
    wrong_redirect = await node_client.get(authorize_url(app, "https://evil.example/cb"))
    assert wrong_redirect.status == 422 and "redirect URI" in await wrong_redirect.text()
    too_much = await node_client.get(authorize_url(app, scope="admin:write"))
    assert too_much.status == 422
    html = await (await node_client.get(authorize_url(app))).text()
    forged = await node_client.post("/oauth/authorize", data={
        "csrf_token": "forged", "client_id": app["client_id"], "redirect_uri": REDIRECT,
        "response_type": "code", "scope": "read", "decision": "approve"}, allow_redirects=False)
    assert forged.status == 403
    evil = await node_client.post("/oauth/authorize", data={
        "csrf_token": form_token(html), "client_id": app["client_id"], "redirect_uri": "https://evil.example/cb",
        "response_type": "code", "scope": "read", "decision": "approve"}, allow_redirects=False)
    assert evil.status == 422 and "Location" not in evil.headers
    with node.db:
        assert await OAuthCode.all().count() == 0


async def test_force_login_shows_the_sign_in_form_even_when_signed_in(node_client, node_of):
    await create_user(node_of(node_client), "alice")
    app = await register(node_client)
    await sign_in(node_client, "alice")
    response = await node_client.get(authorize_url(app, force_login="true"), allow_redirects=False)
    assert response.status == 303 and "switch=1" in response.headers["Location"]
    assert "force_login" not in parse_qs(urlsplit(response.headers["Location"]).query)["next"][0]
    form = await node_client.get(response.headers["Location"])
    assert 'action="/login"' in await form.text()
