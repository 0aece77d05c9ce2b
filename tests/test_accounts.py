"""Accounts over real HTTP: sign-up in each registrations mode, verify/update credentials (with an avatar),
reading accounts by id, acct, ids and search, and bad input."""

from __future__ import annotations

import io

import pytest
from aiohttp import FormData
from PIL import Image
from support import bearer, create_user, write_config

from node.app import build_app
from node.models import Account, User


async def app_token(client, scopes: str = "read write follow push") -> str:
    app = await (await client.post("/api/v1/apps", json={
        "client_name": "Signup", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": scopes})).json()
    response = await client.post("/oauth/token", data={
        "grant_type": "client_credentials", "client_id": app["client_id"], "client_secret": app["client_secret"],
        "scope": scopes})
    return (await response.json())["access_token"]


SIGNUP = {"username": "newbie", "email": "newbie@example.com", "password": "a long password",
          "agreement": "true", "locale": "en"}


@pytest.fixture
def served(aiohttp_client, make_config):
    async def serve(mode: str):
        return await aiohttp_client(build_app(make_config(node={"registrations": mode}), scheduler=False))

    return serve


async def test_open_registration_returns_a_working_token(node_client, node_of):
    token = await app_token(node_client)
    response = await node_client.post("/api/v1/accounts", headers=bearer(token), data=SIGNUP)
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["token_type"] == "Bearer" and body["scope"] == "read write follow push"
    me = await node_client.get("/api/v1/accounts/verify_credentials", headers=bearer(body["access_token"]))
    assert me.status == 200
    account = await me.json()
    assert account["username"] == "newbie" and account["acct"] == "newbie"
    assert account["source"]["privacy"] == "public"


async def test_approval_registration_waits_for_an_admin(served, node_of):
    client = await served("approval")
    token = await app_token(client)
    response = await client.post("/api/v1/accounts", headers=bearer(token), json={**SIGNUP, "agreement": True,
                                                                                 "reason": "I like photos"})
    assert response.status == 200, await response.text()
    user_token = (await response.json())["access_token"]
    me = await client.get("/api/v1/accounts/verify_credentials", headers=bearer(user_token))
    assert me.status == 403
    assert await me.json() == {"error": "Your login is currently pending approval"}
    app = await (await client.post("/api/v1/apps", json={"client_name": "x", "redirect_uris":
                                                         "urn:ietf:wg:oauth:2.0:oob"})).json()
    login = await client.post("/oauth/token", data={
        "grant_type": "password", "username": "newbie@example.com", "password": "a long password",
        "client_id": app["client_id"], "client_secret": app["client_secret"]})
    assert login.status == 400 and (await login.json())["error"] == "invalid_grant"
    with node_of(client).db:
        user = await User.get(email="newbie@example.com")
        assert user.approved is False
        await User.filter(id=user.id).update(approved=True)
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=bearer(user_token))).status == 200


async def test_closed_registration_is_refused(served, node_of):
    client = await served("closed")
    token = await app_token(client)
    response = await client.post("/api/v1/accounts", headers=bearer(token), data=SIGNUP)
    assert response.status == 403 and await response.json() == {"error": "This action is not allowed"}
    with node_of(client).db:
        assert await Account.all().count() == 0


async def test_registration_bad_input(node_client, node_of):
    await create_user(node_of(node_client), "taken")
    token = await app_token(node_client)
    read_only = await app_token(node_client, "read")
    no_token = await node_client.post("/api/v1/accounts", data=SIGNUP)
    assert no_token.status == 401 and "error" in await no_token.json()
    bad_token = await node_client.post("/api/v1/accounts", data=SIGNUP, headers=bearer("nope"))
    assert bad_token.status == 401 and (await bad_token.json())["error"] == "The access token is invalid"
    wrong_scope = await node_client.post("/api/v1/accounts", data=SIGNUP, headers=bearer(read_only))
    assert wrong_scope.status == 403
    response = await node_client.post("/api/v1/accounts", headers=bearer(token), data={
        "username": "bad name!", "email": "", "password": "short", "locale": "en"})
    assert response.status == 422
    body = await response.json()
    assert body["error"].startswith("Validation failed: ")
    assert body["details"]["username"][0]["error"] == "ERR_INVALID"
    assert body["details"]["email"][0]["error"] == "ERR_BLANK"
    assert body["details"]["password"][0]["error"] == "ERR_TOO_SHORT"
    assert body["details"]["agreement"][0]["error"] == "ERR_ACCEPTED"
    taken = await node_client.post("/api/v1/accounts", headers=bearer(token), data={
        **SIGNUP, "username": "Taken", "email": "taken@example.com"})
    details = (await taken.json())["details"]
    assert details["username"][0]["error"] == "ERR_TAKEN" and details["email"][0]["error"] == "ERR_TAKEN"
    malformed = await node_client.post("/api/v1/accounts", headers={**bearer(token),
                                                                    "Content-Type": "application/json"},
                                       data=b"{not json")
    assert malformed.status == 400 and "error" in await malformed.json()
    with node_of(node_client).db:
        assert await Account.all().count() == 1


def png(width: int, height: int, color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


async def test_update_credentials_profile_and_images(node_client, node_of):
    node = node_of(node_client)
    _, token = await create_user(node, "ivy")
    form = FormData()
    form.add_field("display_name", "Ivy ✿")
    form.add_field("note", "Hello <b>world</b> see https://example.com/page and #Photos")
    form.add_field("locked", "true")
    form.add_field("bot", "false")
    form.add_field("discoverable", "false")
    form.add_field("fields_attributes[0][name]", "Site")
    form.add_field("fields_attributes[0][value]", "https://ivy.example")
    form.add_field("fields_attributes[1][name]", "Pronouns")
    form.add_field("fields_attributes[1][value]", "she/her")
    form.add_field("source[privacy]", "unlisted")
    form.add_field("avatar", png(800, 600), filename="me.png", content_type="image/png")
    form.add_field("header", png(3000, 1000, "blue"), filename="top.png", content_type="image/png")
    response = await node_client.patch("/api/v1/accounts/update_credentials", headers=bearer(token), data=form)
    assert response.status == 200, await response.text()
    me = await response.json()
    assert me["display_name"] == "Ivy ✿" and me["locked"] is True and me["discoverable"] is False
    assert "<b>" not in me["note"] and "&lt;b&gt;" in me["note"]
    assert 'href="https://example.com/page"' in me["note"] and "tags/photos" in me["note"]
    assert me["source"]["note"].startswith("Hello <b>world</b>")
    assert [f["name"] for f in me["fields"]] == ["Site", "Pronouns"]
    assert me["source"]["privacy"] == "unlisted"
    assert me["avatar"].startswith("http://localhost/media/avatars/")
    avatar = await node_client.get(me["avatar"].removeprefix("http://localhost"))
    assert avatar.status == 200
    assert Image.open(io.BytesIO(await avatar.read())).size == (400, 400)
    header = await node_client.get(me["header"].removeprefix("http://localhost"))
    assert Image.open(io.BytesIO(await header.read())).size == (1500, 500)

    json_update = await node_client.patch("/api/v1/accounts/update_credentials", headers=bearer(token), json={
        "note": "", "fields_attributes": [{"name": "Only", "value": "one"}]})
    body = await json_update.json()
    assert body["note"] == "" and [f["name"] for f in body["fields"]] == ["Only"]
    assert body["display_name"] == "Ivy ✿"  # untouched


async def test_update_credentials_bad_input_changes_nothing(node_client, node_of):
    node = node_of(node_client)
    _, token = await create_user(node, "jay")
    headers = bearer(token)
    cases = [
        {"display_name": "x" * 31},
        {"note": "y" * 501},
        {"fields_attributes": [{"name": str(i), "value": "v"} for i in range(5)]},
        {"source": {"privacy": "secret"}},
        {"locked": "maybe"},
        {"display_name": "ok", "avatar": "not a file"},
    ]
    for payload in cases:
        response = await node_client.patch("/api/v1/accounts/update_credentials", headers=headers, json=payload)
        assert response.status == 422, payload
        assert "error" in await response.json()
    form = FormData()
    form.add_field("display_name", "changed")
    form.add_field("avatar", b"this is not an image", filename="x.png", content_type="image/png")
    response = await node_client.patch("/api/v1/accounts/update_credentials", headers=headers, data=form)
    assert response.status == 422
    with node.db:
        account = await Account.get(username="jay")
        assert account.display_name == "" and account.avatar == "" and account.fields_json == []
    assert (await node_client.patch("/api/v1/accounts/update_credentials", json={})).status == 401


async def test_reading_accounts(node_client, node_of):
    node = node_of(node_client)
    kim, kim_token = await create_user(node, "kim")
    kira, _ = await create_user(node, "kira")
    with node.db:
        remote = await Account.create(username="kimberly", domain="remote.example", display_name="Kim R",
                                      uri="https://remote.example/users/kimberly")
    shown = await node_client.get(f"/api/v1/accounts/{kim.account.id}")
    assert shown.status == 200
    entity = await shown.json()
    assert entity["id"] == str(kim.account.id) and entity["url"] == "http://localhost/@kim"
    assert "source" not in entity

    for acct, expected in (("kim", kim.account.id), ("@kim@localhost", kim.account.id),
                           ("kimberly@remote.example", remote.id)):
        found = await node_client.get("/api/v1/accounts/lookup", params={"acct": acct})
        assert found.status == 200 and (await found.json())["id"] == str(expected), acct
    assert (await (await node_client.get(f"/api/v1/accounts/{remote.id}")).json())["acct"] == \
        "kimberly@remote.example"

    many = await node_client.get("/api/v1/accounts", params=[("id[]", str(kira.account.id)),
                                                             ("id[]", str(kim.account.id)), ("id[]", "1")])
    assert [a["username"] for a in await many.json()] == ["kira", "kim"]

    search = await node_client.get("/api/v1/accounts/search", params={"q": "kim"}, headers=bearer(kim_token))
    assert [a["acct"] for a in await search.json()] == ["kim", "kimberly@remote.example"]
    by_domain = await node_client.get("/api/v1/accounts/search", params={"q": "ki@remote.example"},
                                      headers=bearer(kim_token))
    assert [a["acct"] for a in await by_domain.json()] == ["kimberly@remote.example"]
    display = await node_client.get("/api/v1/accounts/search", params={"q": "Kim R"}, headers=bearer(kim_token))
    assert [a["acct"] for a in await display.json()] == ["kimberly@remote.example"]
    following = await node_client.get("/api/v1/accounts/search", params={"q": "ki", "following": "true"},
                                      headers=bearer(kim_token))
    assert await following.json() == []


async def test_reading_accounts_bad_input(node_client, node_of):
    _, token = await create_user(node_of(node_client), "lee")
    for path in ("/api/v1/accounts/123456789", "/api/v1/accounts/not-a-number",
                 "/api/v1/accounts/lookup?acct=nobody", "/api/v1/accounts/lookup?acct=x@unknown.example"):
        response = await node_client.get(path)
        assert response.status == 404, path
        assert await response.json() == {"error": "Record not found"}
    missing = await node_client.get("/api/v1/accounts/lookup")
    assert missing.status == 422 and "error" in await missing.json()
    no_query = await node_client.get("/api/v1/accounts/search", headers=bearer(token))
    assert no_query.status == 422
    bad_limit = await node_client.get("/api/v1/accounts/search?q=a&limit=zero", headers=bearer(token))
    assert bad_limit.status == 422
    unauthenticated = await node_client.get("/api/v1/accounts/verify_credentials")
    assert unauthenticated.status == 401
    bad_token = await node_client.get("/api/v1/accounts/verify_credentials", headers=bearer("garbage"))
    assert bad_token.status == 401 and await bad_token.json() == {"error": "The access token is invalid"}
    bad_scheme = await node_client.get("/api/v1/accounts/1", headers={"Authorization": "Basic abc"})
    assert bad_scheme.status == 401


async def test_password_hashes_use_recommended_argon2_unless_a_test_suite_asks(aiohttp_client, make_config, tmp_path):
    """Real nodes hash with RFC 9106's parameters (64 MiB); the suite's configs ask for the cheapest ones,
    and a password hashed either way still verifies (argon2 reads the parameters from the hash)."""
    from node.api.keys import NODE
    from node.services import auth

    cheap = (await aiohttp_client(build_app(make_config(), scheduler=False))).app[NODE]
    (tmp_path / "real").mkdir()
    real_config = write_config(tmp_path / "real", limits={"password_hashing": "recommended"})
    real = (await aiohttp_client(build_app(real_config, scheduler=False))).app[NODE]
    assert real.config.limits.password_hashing == "recommended"
    strong, weak = await auth.hash_password(real, "pw"), await auth.hash_password(cheap, "pw")
    assert "m=65536,t=3,p=4" in strong and "m=65536" not in weak
    assert await auth.check_password(cheap, strong, "pw") and await auth.check_password(real, weak, "pw")
    assert not await auth.check_password(real, strong, "wrong")
