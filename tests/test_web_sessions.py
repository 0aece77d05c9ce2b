"""Signing in and out, signing up in each registrations mode, and CSRF on every form, over real HTTP."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient
from support import create_user
from websupport import PASSWORD, form_token, page_token, sign_in

from node.api.auth import SESSION_COOKIE
from node.api.keys import NODE
from node.app import build_app
from node.models import Account, User, WebSession


def session_cookie(client: TestClient):
    return next((c for c in client.session.cookie_jar if c.key == SESSION_COOKIE), None)


async def test_login_sets_httponly_lax_session_and_logout_ends_it(node_client, node_of):
    node = node_of(node_client)
    await create_user(node, "alice")
    form = await node_client.get("/login")
    assert form.status == 200 and "Sign in" in await form.text()
    response = await node_client.post("/login", data={"login": "alice", "password": PASSWORD,
                                                      "csrf_token": form_token(await form.text())},
                                      allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/"
    raw = response.headers.getall("Set-Cookie")
    cookie = next(c for c in raw if c.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    home = await node_client.get("/")
    assert "Sign out" in await home.text()
    with node.db:
        assert await WebSession.all().count() == 1
    token = page_token(await home.text())
    out = await node_client.post("/logout", data={"csrf_token": token}, allow_redirects=False)
    assert out.status == 303
    with node.db:
        assert await WebSession.all().count() == 0
    assert "Sign out" not in await (await node_client.get("/")).text()


async def test_login_by_email_and_next_stays_on_site(node_client, node_of):
    await create_user(node_of(node_client), "bob")
    form = await node_client.get("/login?next=/bookmarks")
    token = form_token(await form.text())
    response = await node_client.post("/login", data={"login": "bob@example.com", "password": PASSWORD,
                                                      "csrf_token": token, "next": "/bookmarks"},
                                      allow_redirects=False)
    assert response.headers["Location"] == "/bookmarks"
    await node_client.post("/logout", data={"csrf_token": page_token(await (await node_client.get("/")).text())})
    form = await node_client.get("/login")
    evil = await node_client.post("/login", data={"login": "bob", "password": PASSWORD, "next": "//evil.example/x",
                                                  "csrf_token": form_token(await form.text())},
                                  allow_redirects=False)
    assert evil.headers["Location"] == "/"


async def test_wrong_password_is_401_page_and_no_session(node_client, node_of):
    node = node_of(node_client)
    await create_user(node, "alice")
    form = await node_client.get("/login")
    response = await node_client.post("/login", data={"login": "alice", "password": "wrong password",
                                                      "csrf_token": form_token(await form.text())})
    assert response.status == 401
    assert "Invalid email/username or password" in await response.text()
    assert session_cookie(node_client) is None
    with node.db:
        assert await WebSession.all().count() == 0


@pytest.mark.parametrize("token", [None, "", "forged-token"])
async def test_login_without_valid_csrf_is_403_and_signs_nobody_in(node_client, node_of, token):
    node = node_of(node_client)
    await create_user(node, "alice")
    await node_client.get("/login")  # the pre-session cookie is set, but the form token is missing/wrong
    data = {"login": "alice", "password": PASSWORD}
    if token is not None:
        data["csrf_token"] = token
    response = await node_client.post("/login", data=data, allow_redirects=False)
    assert response.status == 403
    assert "form has expired" in await response.text()
    with node.db:
        assert await WebSession.all().count() == 0


async def test_signed_in_forms_need_the_session_token(node_client, node_of):
    node = node_of(node_client)
    await create_user(node, "alice")
    await sign_in(node_client, "alice")
    pre_session = node_client.session.cookie_jar.filter_cookies(node_client.make_url("/")).get("entativa_csrf")
    for token in (None, "nope", pre_session.value if pre_session else "x"):
        data = {"display_name": "Hacked", **({"csrf_token": token} if token else {})}
        response = await node_client.post("/settings/profile", data=data, allow_redirects=False)
        assert response.status == 403
        out = await node_client.post("/logout", data=data, allow_redirects=False)
        assert out.status == 403
    with node.db:
        account = await Account.get(username="alice")
        assert account.display_name == ""
        assert await WebSession.all().count() == 1


async def signup(client: TestClient, **fields: str):
    form = await client.get("/signup")
    text = await form.text()
    data = {"username": "newbie", "email": "newbie@example.com", "password": "long enough pw"}
    if 'name="csrf_token"' in text:
        data["csrf_token"] = form_token(text)
    data.update(fields)
    return form, await client.post("/signup", data=data, allow_redirects=False)


async def served(aiohttp_client, make_config, mode: str) -> TestClient:
    return await aiohttp_client(build_app(make_config(node={"registrations": mode}), scheduler=False))


async def test_signup_open_signs_in(aiohttp_client, make_config):
    client = await served(aiohttp_client, make_config, "open")
    _, response = await signup(client, display_name="New Person")
    assert response.status == 303 and response.headers["Location"] == "/"
    home = await (await client.get("/")).text()
    assert "Sign out" in home
    with client.server.app[NODE].db:
        user = await User.get(email="newbie@example.com").select_related("account")
        assert user.approved and user.account.display_name == "New Person"


async def test_signup_approval_waits_and_cannot_sign_in(aiohttp_client, make_config):
    client = await served(aiohttp_client, make_config, "approval")
    form, response = await signup(client)
    assert "reviewed by an administrator" in await form.text()
    assert response.status == 200 and "waiting for approval" in await response.text()
    assert session_cookie(client) is None
    with client.server.app[NODE].db:
        assert not (await User.get(email="newbie@example.com")).approved
    login = await client.get("/login")
    refused = await client.post("/login", data={"login": "newbie", "password": "long enough pw",
                                                "csrf_token": form_token(await login.text())})
    assert refused.status == 401 and "approval" in await refused.text()


async def test_signup_closed_says_so_and_writes_nothing(aiohttp_client, make_config):
    client = await served(aiohttp_client, make_config, "closed")
    form = await client.get("/signup")
    assert "not accepting new accounts" in await form.text()
    assert 'action="/signup"' not in await form.text()
    response = await client.post("/signup", data={"username": "newbie", "email": "n@example.com",
                                                  "password": "long enough pw", "csrf_token": form_token(
                                                      await (await client.get("/login")).text())})
    assert response.status == 403
    with client.server.app[NODE].db:
        assert await Account.all().count() == 0


async def test_signup_bad_input_shows_the_problem_and_writes_nothing(node_client, node_of):
    node = node_of(node_client)
    await create_user(node, "taken")
    for fields, problem in [({"username": "bad name!"}, "Username must be"),
                            ({"email": "not-an-email"}, "Email address is not valid"),
                            ({"password": "short"}, "at least 8"),
                            ({"username": "taken"}, "is taken")]:
        _, response = await signup(node_client, **fields)
        assert response.status == 422
        assert problem in await response.text()
    _, no_token = await signup(node_client, csrf_token="wrong")
    assert no_token.status == 403
    with node.db:
        assert await Account.all().count() == 1


async def test_switching_account_ends_the_previous_session(node_client, node_of):
    node = node_of(node_client)
    await create_user(node, "alice")
    await create_user(node, "bob")
    await sign_in(node_client, "alice")
    assert (await node_client.get("/login", allow_redirects=False)).status == 303  # already signed in
    form = await node_client.get("/login?switch=1")
    response = await node_client.post("/login", data={"login": "bob", "password": PASSWORD,
                                                      "csrf_token": form_token(await form.text())},
                                      allow_redirects=False)
    assert response.status == 303
    with node.db:
        sessions = await WebSession.all().select_related("user__account")
        assert [s.user.account.username for s in sessions] == ["bob"]
