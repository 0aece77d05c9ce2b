"""The account settings over real HTTP: the /settings index, email and password changes, sessions and
authorized apps with revoke, the privacy switches (and the API and ActivityPub lists honouring a hidden
network), deleting the account, and CSRF on every form. A refused form says why and changes nothing."""

from __future__ import annotations

import pytest
from aiohttp import ClientSession, CookieJar
from support import bearer, create_user
from test_notify_mail import flush, link_in, mail_config
from websupport import PASSWORD, form_token, sign_in

from node.api.keys import NODE
from node.app import build_app
from node.models import Account, OAuthApp, OAuthToken, User, WebSession
from node.services import auth, relationships

NEW_PASSWORD = "a much newer password"


async def _page_token(client, path: str) -> str:  # type: ignore[no-untyped-def]
    response = await client.get(path)
    assert response.status == 200, path
    return form_token(await response.text())


async def test_settings_index_lists_every_section_and_needs_sign_in(node_client, node_of):
    out = await node_client.get("/settings", allow_redirects=False)
    assert out.status == 303 and out.headers["Location"] == "/login?next=/settings"
    await create_user(node_of(node_client), "alice")
    await sign_in(node_client, "alice")
    text = await (await node_client.get("/settings")).text()
    for href in ("/settings/profile", "/settings/preferences", "/settings/notifications", "/settings/privacy",
                 "/settings/account", "/settings/two-factor", "/settings/sessions", "/settings/delete"):
        assert f'href="{href}"' in text
        # every section page shares the side menu and links back to the list
        section = await node_client.get(href)
        assert section.status == 200, href
        body = await section.text()
        assert 'class="settings-side"' in body and 'href="/settings"' in body
        assert f'href="{href}" aria-current="page"' in body


async def test_password_change_needs_the_current_one_and_signs_out_everything_else(node_client, node_of):
    node = node_of(node_client)
    user, token = await create_user(node, "alice")
    other = ClientSession(cookie_jar=CookieJar(unsafe=True))  # a second browser, signed in too
    try:
        form = await other.get(node_client.make_url("/login"))
        await other.post(node_client.make_url("/login"), data={
            "login": "alice", "password": PASSWORD, "csrf_token": form_token(await form.text())})
        await sign_in(node_client, "alice")
        csrf = await _page_token(node_client, "/settings/account")
        with node.db:
            before = (await User.get(id=user.id)).password_hash
        cases = [({"current_password": "wrong", "password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD},
                  401, "current password is not right"),
                 ({"current_password": PASSWORD, "password": "short", "password_confirmation": "short"},
                  422, "too short"),
                 ({"current_password": PASSWORD, "password": NEW_PASSWORD, "password_confirmation": "other one"},
                  422, "not the same")]
        for data, status, message in cases:
            response = await node_client.post("/settings/account/password", data={**data, "csrf_token": csrf})
            assert response.status == status and message in await response.text()
        with node.db:
            assert (await User.get(id=user.id)).password_hash == before
            assert await WebSession.filter(user_id=user.id).count() == 2
        response = await node_client.post("/settings/account/password", allow_redirects=False, data={
            "current_password": PASSWORD, "password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD,
            "csrf_token": csrf})
        assert response.status == 303 and response.headers["Location"] == "/settings/account?saved=password"
        shown = await (await node_client.get("/settings/account?saved=password")).text()
        assert "other sessions and apps were signed out" in shown
        # this browser stays in; the other browser and the app token are out
        assert (await other.get(node_client.make_url("/settings"), allow_redirects=False)).status == 303
        assert (await node_client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))).status == 401
        with node.db:
            assert await WebSession.filter(user_id=user.id).count() == 1
            assert await auth.authenticate_password(node, "alice", NEW_PASSWORD)
    finally:
        await other.close()


async def test_email_change_without_mail_is_immediate_and_validated(node_client, node_of):
    node = node_of(node_client)
    user, _ = await create_user(node, "alice")
    await create_user(node, "bob")
    await sign_in(node_client, "alice")
    csrf = await _page_token(node_client, "/settings/account")
    for data, status, message in (
            ({"email": "new@example.com", "current_password": "wrong"}, 401, "current password is not right"),
            ({"email": "not an address", "current_password": PASSWORD}, 422, "not an email address"),
            ({"email": "bob@example.com", "current_password": PASSWORD}, 422, "already registered")):
        response = await node_client.post("/settings/account/email", data={**data, "csrf_token": csrf})
        assert response.status == status and message in await response.text()
    with node.db:
        assert (await User.get(id=user.id)).email == "alice@example.com"
    response = await node_client.post("/settings/account/email", allow_redirects=False, data={
        "email": "Alice.New@Example.com", "current_password": PASSWORD, "csrf_token": csrf})
    assert response.headers["Location"] == "/settings/account?saved=email"
    with node.db:
        assert (await User.get(id=user.id)).email == "alice.new@example.com"


async def test_email_change_with_mail_waits_for_the_link_sent_to_the_new_address(aiohttp_client, make_config,
                                                                                 mail_sink):
    client = await aiohttp_client(build_app(make_config(mail=mail_config(mail_sink)), scheduler=False))
    node = client.app[NODE]
    user, _ = await create_user(node, "alice")
    await sign_in(client, "alice")
    csrf = await _page_token(client, "/settings/account")
    response = await client.post("/settings/account/email", data={
        "email": "fresh@example.com", "current_password": PASSWORD, "csrf_token": csrf})
    assert "follow it to finish the change" in await response.text()
    with node.db:
        row = await User.get(id=user.id)
        assert (row.email, row.unconfirmed_email) == ("alice@example.com", "fresh@example.com")
    await flush(node)
    [message] = mail_sink.to("fresh@example.com")
    text, _ = mail_sink.bodies(message)
    confirmed = await client.get(link_in(text, "/auth/confirm"))
    assert confirmed.status == 200
    with node.db:
        row = await User.get(id=user.id)
        assert (row.email, row.unconfirmed_email, row.email_confirmed) == ("fresh@example.com", None, True)


async def test_sessions_list_shows_devices_and_revokes_one(node_client, node_of):
    node = node_of(node_client)
    user, _ = await create_user(node, "alice")
    with node.db:
        other_secret, other = await auth.start_session(
            user, user_agent="Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36",
            ip="203.0.113.9")
    await sign_in(node_client, "alice")
    text = await (await node_client.get("/settings/sessions")).text()
    assert "Chrome on Android" in text and "203.0.113.9" in text and "This browser" in text
    csrf = form_token(text)
    missing = await node_client.post("/settings/sessions/123/revoke", data={"csrf_token": csrf})
    assert missing.status == 404
    response = await node_client.post(f"/settings/sessions/{other.id}/revoke", data={"csrf_token": csrf},
                                      allow_redirects=False)
    assert response.headers["Location"] == "/settings/sessions?saved=session"
    with node.db:
        assert await auth.session_for_cookie(other_secret) is None
        assert await WebSession.filter(user_id=user.id).count() == 1


async def test_authorized_apps_are_listed_by_app_and_revoked(node_client, node_of):
    node = node_of(node_client)
    user, _ = await create_user(node, "alice")
    with node.db:
        app = await OAuthApp.create(name="Tusky", website="https://tusky.app", redirect_uris="urn:ietf:wg:oauth:2.0:oob",
                                    scopes="read write", client_id="c1", client_secret="s1")
        tokens = [await auth.issue_token(user, app, "read"), await auth.issue_token(user, app, "write")]
    await sign_in(node_client, "alice")
    text = await (await node_client.get("/settings/sessions")).text()
    assert "Tusky" in text and "read, write" in text
    response = await node_client.post(f"/settings/apps/{app.id}/revoke", data={"csrf_token": form_token(text)},
                                      allow_redirects=False)
    assert response.headers["Location"] == "/settings/sessions?saved=app"
    for token in tokens:
        assert (await node_client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))).status == 401
    again = await node_client.post(f"/settings/apps/{app.id}/revoke", data={"csrf_token": form_token(text)})
    assert again.status == 404
    assert "No app can use your account" in await (await node_client.get("/settings/sessions")).text()


async def test_privacy_switches_and_hidden_lists_in_the_api_and_activitypub(node_client, node_of):
    node = node_of(node_client)
    alice, alice_token = await create_user(node, "alice")
    bob, bob_token = await create_user(node, "bob")
    with node.db:
        await relationships.follow(node, bob.account, alice.account)
    await sign_in(node_client, "alice")
    csrf = await _page_token(node_client, "/settings/privacy")
    text = await (await node_client.get("/settings/privacy")).text()
    assert 'href="/settings/preferences"' in text  # default visibility lives there: linked, not repeated
    response = await node_client.post("/settings/privacy", allow_redirects=False, data={
        "csrf_token": csrf, "locked": "1", "hide_collections": "1"})  # discoverable unticked
    assert response.headers["Location"] == "/settings/privacy?saved=1"
    with node.db:
        account = await Account.get(id=alice.account_id)
        assert (account.locked, account.discoverable, account.hide_collections) == (True, False, True)
    me = await (await node_client.get("/api/v1/accounts/verify_credentials", headers=bearer(alice_token))).json()
    assert me["locked"] is True and me["source"]["hide_collections"] is True
    path = f"/api/v1/accounts/{alice.account_id}/followers"
    assert await (await node_client.get(path, headers=bearer(bob_token))).json() == []
    own = await (await node_client.get(path, headers=bearer(alice_token))).json()
    assert [a["username"] for a in own] == ["bob"]
    ap = {"Accept": "application/activity+json"}
    collection = await (await node_client.get("/users/alice/followers", headers=ap)).json()
    assert collection["totalItems"] == 1 and "first" not in collection
    page = await (await node_client.get("/users/alice/followers?page=true", headers=ap)).json()
    assert page["orderedItems"] == []
    # shown again once unticked
    await node_client.post("/settings/privacy", data={"csrf_token": csrf, "discoverable": "1"})
    assert len(await (await node_client.get(path, headers=bearer(bob_token))).json()) == 1


async def test_delete_account_needs_password_and_the_box_then_signs_out_for_good(node_client, node_of):
    node = node_of(node_client)
    user, token = await create_user(node, "alice")
    await sign_in(node_client, "alice")
    csrf = await _page_token(node_client, "/settings/delete")
    no_box = await node_client.post("/settings/delete", data={"csrf_token": csrf, "current_password": PASSWORD})
    assert no_box.status == 422 and "cannot be undone" in await no_box.text()
    wrong = await node_client.post("/settings/delete", data={"csrf_token": csrf, "current_password": "nope",
                                                             "confirm": "yes"})
    assert wrong.status == 401 and "current password is not right" in await wrong.text()
    with node.db:
        assert (await Account.get(id=user.account_id)).suspended_at is None
    response = await node_client.post("/settings/delete", allow_redirects=False, data={
        "csrf_token": csrf, "current_password": PASSWORD, "confirm": "yes"})
    assert response.status == 303
    with node.db:
        assert (await Account.get(id=user.account_id)).suspended_at is not None
        assert await WebSession.filter(user_id=user.id).count() == 0
        assert await OAuthToken.filter(user_id=user.id, revoked_at=None).count() == 0
    assert (await node_client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))).status == 401
    form = await node_client.get("/login")
    again = await node_client.post("/login", data={"login": "alice", "password": PASSWORD,
                                                   "csrf_token": form_token(await form.text())})
    assert again.status == 401


@pytest.mark.parametrize("path", ["/settings/account/email", "/settings/account/password", "/settings/privacy",
                                  "/settings/delete", "/settings/two-factor/setup", "/settings/two-factor/confirm",
                                  "/settings/two-factor/disable", "/settings/two-factor/cancel",
                                  "/settings/sessions/1/revoke", "/settings/apps/1/revoke"])
async def test_every_settings_form_needs_the_csrf_token(node_client, node_of, path):
    node = node_of(node_client)
    user, _ = await create_user(node, "alice")
    await sign_in(node_client, "alice")
    data = {"current_password": PASSWORD, "password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD,
            "email": "x@example.com", "locked": "1", "confirm": "yes", "code": "123456"}
    for token in (None, "nope"):
        response = await node_client.post(path, data={**data, **({"csrf_token": token} if token else {})},
                                          allow_redirects=False)
        assert response.status == 403 and "form has expired" in await response.text()
    with node.db:
        row = await User.get(id=user.id).select_related("account")
        assert row.email == "alice@example.com" and row.otp_secret is None and not row.account.locked
        assert row.account.suspended_at is None and await WebSession.filter(user_id=user.id).count() == 1
