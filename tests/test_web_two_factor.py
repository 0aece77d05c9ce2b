"""Two-factor sign-in over real HTTP: set up by the secret the page shows (pyotp computes the codes the
way an authenticator app does, at the node's injected clock), recovery codes shown once and each working
once, sign-in asking for the code, a code accepted once, wrong codes throttled, the OAuth password grant
refused, and turning it off with a code."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
from support import create_user
from websupport import PASSWORD, form_token, sign_in

from node.models import OAuthApp, User, WebSession
from node.services import auth


def _secret(html: str) -> str:
    match = re.search(r'data-secret="([A-Z2-7]+)"', html)
    assert match, "the set-up page shows no secret"
    return match.group(1)


async def _enable(client, node) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    """Set up 2FA through the pages; returns the secret and the recovery codes shown."""
    page = await (await client.get("/settings/two-factor")).text()
    assert "Set up two-factor sign-in" in page
    await client.post("/settings/two-factor/setup", data={"csrf_token": form_token(page)})
    page = await (await client.get("/settings/two-factor")).text()
    assert 'src="data:image/svg+xml' in page  # the QR code, inline (the CSP allows data: images)
    secret = _secret(page)
    wrong = await client.post("/settings/two-factor/confirm", data={"csrf_token": form_token(page), "code": "000000"})
    assert wrong.status == 401 and "not right" in await wrong.text()
    code = pyotp.TOTP(secret).at(node.clock.now())
    done = await client.post("/settings/two-factor/confirm", data={"csrf_token": form_token(page), "code": code})
    assert done.status == 200 and done.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<li><code>([0-9a-f]{10})</code></li>", await done.text())
    assert len(codes) == 10 and len(set(codes)) == 10
    return secret, codes


async def _password_step(client, login: str = "alice"):  # type: ignore[no-untyped-def]
    form = await client.get("/login?next=/bookmarks")
    return await client.post("/login", data={"login": login, "password": PASSWORD, "next": "/bookmarks",
                                             "csrf_token": form_token(await form.text())}, allow_redirects=False)


async def _code_step(client, code: str):  # type: ignore[no-untyped-def]
    form = await client.get("/login")  # any page gives the pre-session form token
    return await client.post("/login/code", data={"code": code, "next": "/bookmarks",
                                                  "csrf_token": form_token(await form.text())}, allow_redirects=False)


async def _sign_out(client) -> None:  # type: ignore[no-untyped-def]
    home = await (await client.get("/settings")).text()
    await client.post("/logout", data={"csrf_token": form_token(home)})
    client.session.cookie_jar.clear()


async def test_enable_then_sign_in_with_a_code_once(node_client, node_of):
    node = node_of(node_client)
    user, _ = await create_user(node, "alice")
    await sign_in(node_client, "alice")
    secret, codes = await _enable(node_client, node)
    with node.db:
        row = await User.get(id=user.id)
        assert row.otp_enabled_at is not None and len(row.otp_recovery_hashes) == 10
        assert all(h.startswith("$argon2") and c not in h for h, c in zip(row.otp_recovery_hashes, codes, strict=True))
    again = await (await node_client.get("/settings/two-factor")).text()
    assert "is <strong>on</strong>" in again and codes[0] not in again  # shown once only
    await _sign_out(node_client)

    node.clock.advance(timedelta(seconds=60))  # past the step the set-up code used
    asked = await _password_step(node_client)
    assert asked.status == 200 and "Enter your code" in await asked.text()
    # the right password alone signs nobody in
    assert (await node_client.get("/settings", allow_redirects=False)).status == 303
    wrong = await _code_step(node_client, "123456")
    assert wrong.status == 401 and "not right" in await wrong.text()
    code = pyotp.TOTP(secret).at(node.clock.now())
    done = await _code_step(node_client, code)
    assert done.status == 303 and done.headers["Location"] == "/bookmarks"
    assert (await node_client.get("/settings", allow_redirects=False)).status == 200
    sessions = await (await node_client.get("/settings/sessions")).text()
    assert sessions.count("/revoke") == 1  # the pending step left no second session behind

    # the same code (same time step) cannot sign in twice
    await _sign_out(node_client)
    await _password_step(node_client)
    replay = await _code_step(node_client, code)
    assert replay.status == 401
    # a code from the previous step is still taken (phone clocks drift), one from two steps back is not
    node.clock.advance(timedelta(seconds=30))
    assert (await _code_step(node_client, pyotp.TOTP(secret).at(node.clock.now() - timedelta(seconds=60)))).status == 401
    assert (await _code_step(node_client, pyotp.TOTP(secret).at(node.clock.now()))).status == 303


async def test_recovery_codes_work_once_each(node_client, node_of):
    node = node_of(node_client)
    user, _ = await create_user(node, "alice")
    await sign_in(node_client, "alice")
    _, codes = await _enable(node_client, node)
    await _sign_out(node_client)
    await _password_step(node_client)
    assert (await _code_step(node_client, codes[3].upper())).status == 303
    assert "9 recovery codes left" in await (await node_client.get("/settings/two-factor")).text()
    await _sign_out(node_client)
    await _password_step(node_client)
    assert (await _code_step(node_client, codes[3])).status == 401
    with node.db:
        assert len((await User.get(id=user.id)).otp_recovery_hashes) == 9


async def test_wrong_codes_are_throttled_like_passwords(node_client, node_of):
    node = node_of(node_client)
    await create_user(node, "alice")
    await sign_in(node_client, "alice")
    secret, _ = await _enable(node_client, node)
    await _sign_out(node_client)
    node.clock.advance(timedelta(seconds=60))
    await _password_step(node_client)
    tries = node.config.limits.login_free_per_account + 1
    statuses = [(await _code_step(node_client, "111111")).status for _ in range(tries)]
    assert statuses[-1] == 401 and 401 in statuses
    blocked = await _code_step(node_client, pyotp.TOTP(secret).at(node.clock.now()))
    assert blocked.status == 429 and "Retry-After" in blocked.headers  # even the right code waits
    node.clock.advance(timedelta(seconds=5))
    assert (await _code_step(node_client, pyotp.TOTP(secret).at(node.clock.now()))).status == 303


async def test_pending_sign_in_expires(node_client, node_of):
    node = node_of(node_client)
    user, _ = await create_user(node, "alice")
    await sign_in(node_client, "alice")
    await _enable(node_client, node)
    await _sign_out(node_client)
    await _password_step(node_client)
    with node.db:
        pending = await WebSession.get(user_id=user.id, second_factor_pending=True)
        assert pending.expires_at - pending.created_at <= timedelta(minutes=auth.SECOND_FACTOR_MINUTES, seconds=5)
        await WebSession.filter(id=pending.id).update(expires_at=pending.created_at)
    expired = await _code_step(node_client, "123456")
    assert expired.status == 303 and expired.headers["Location"].startswith("/login?next=")


async def test_password_grant_is_refused_for_a_two_factor_account(node_client, node_of):
    node = node_of(node_client)
    await create_user(node, "alice")
    with node.db:
        app = await OAuthApp.create(name="cli", redirect_uris="urn:ietf:wg:oauth:2.0:oob", scopes="read",
                                    client_id="cid", client_secret="csecret")
    grant = {"grant_type": "password", "client_id": app.client_id, "client_secret": app.client_secret,
             "username": "alice@example.com", "password": PASSWORD, "scope": "read"}
    assert (await node_client.post("/oauth/token", data=grant)).status == 200
    await sign_in(node_client, "alice")
    await _enable(node_client, node)
    refused = await node_client.post("/oauth/token", data=grant)
    body = await refused.json()
    assert refused.status == 400 and body["error"] == "invalid_grant" and "two-factor" in body["error_description"]


async def test_disable_needs_a_code(node_client, node_of):
    node = node_of(node_client)
    user, _ = await create_user(node, "alice")
    await sign_in(node_client, "alice")
    secret, codes = await _enable(node_client, node)
    page = await (await node_client.get("/settings/two-factor")).text()
    wrong = await node_client.post("/settings/two-factor/disable", data={"csrf_token": form_token(page), "code": "1"})
    assert wrong.status == 401 and "not right" in await wrong.text()
    with node.db:
        assert (await User.get(id=user.id)).otp_enabled_at is not None
    off = await node_client.post("/settings/two-factor/disable", allow_redirects=False,
                                 data={"csrf_token": form_token(page), "code": codes[0]})
    assert off.headers["Location"] == "/settings/two-factor?saved=off"
    with node.db:
        row = await User.get(id=user.id)
        assert row.otp_enabled_at is None and row.otp_secret is None and row.otp_recovery_hashes is None
    await _sign_out(node_client)
    assert (await _password_step(node_client)).status == 303  # straight in again
