"""Sign-up does not tell who is registered. With mail on (a real SMTP server on loopback), the web form and
POST /api/v1/accounts answer a taken address exactly as a free one, and the address's owner gets a mail
instead; the API's token for a taken address behaves as a new unconfirmed account's. With mail off a node
cannot prove who owns an address, so it says the address is taken (docs/api.md)."""

from __future__ import annotations

import re

from support import bearer, create_user
from test_notify_mail import flush, mail_config
from test_notify_push import served
from websupport import form_token

from node.models import ChannelJob, SignUpDecoy, User

PASSWORD = "a long enough one"


def _page_body(html: str) -> str:
    """The page without what differs on every load (its form tokens)."""
    return re.sub(r'name="csrf_token" value="[^"]*"', "", re.sub(r'content="[^"]*" name="csrf-token"', "", html))


async def _web_sign_up(client, username: str, email: str):  # type: ignore[no-untyped-def]
    form = await client.get("/signup")
    return await client.post("/signup", data={"csrf_token": form_token(await form.text()), "username": username,
                                              "email": email, "password": PASSWORD})


async def _app_token(client) -> str:  # type: ignore[no-untyped-def]
    app = await (await client.post("/api/v1/apps", json={
        "client_name": "x", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read write"})).json()
    issued = await (await client.post("/oauth/token", json={
        "grant_type": "client_credentials", "client_id": app["client_id"], "client_secret": app["client_secret"],
        "scope": "read write"})).json()
    return issued["access_token"]


async def test_the_web_form_answers_a_taken_address_as_a_free_one_and_mails_its_owner(
        aiohttp_client, make_config, mail_sink):
    client, node = await served(aiohttp_client, make_config, mail=mail_config(mail_sink))
    await create_user(node, "owner")  # owner@example.com
    free = await _web_sign_up(client, "newcomer", "newcomer@example.com")
    taken = await _web_sign_up(client, "intruder", "Owner@Example.com")
    assert free.status == taken.status == 200
    free_html, taken_html = await free.text(), await taken.text()
    assert "We sent a link to newcomer@example.com" in free_html
    assert "We sent a link to owner@example.com" in taken_html
    assert "already" not in taken_html.lower()
    assert _page_body(free_html).replace("newcomer@", "owner@") == _page_body(taken_html)
    with node.db:
        assert not await User.filter(account__username="intruder").exists()

    await flush(node)
    [notice] = mail_sink.to("owner@example.com")
    assert notice["Subject"].startswith("Someone tried to sign up on")
    text, html = mail_sink.bodies(notice)
    assert "@owner" in text and "/login" in text and "/auth/password" in text and "Sign in" in html
    [confirm] = mail_sink.to("newcomer@example.com")
    assert confirm["Subject"].startswith("Confirm your email address")

    # A stranger retrying cannot flood the owner's inbox: one notice an hour.
    await _web_sign_up(client, "intruder2", "owner@example.com")
    await flush(node)
    assert len(mail_sink.to("owner@example.com")) == 1


async def test_the_api_answers_a_taken_address_with_a_token_like_a_new_ones(aiohttp_client, make_config,
                                                                             mail_sink):
    client, node = await served(aiohttp_client, make_config, mail=mail_config(mail_sink))
    await create_user(node, "owner")
    app_token = await _app_token(client)
    answers = {}
    for username, email in (("fresh", "fresh@example.com"), ("copycat", "owner@example.com")):
        answer = await client.post("/api/v1/accounts", headers=bearer(app_token), json={
            "username": username, "email": email, "password": PASSWORD, "agreement": True})
        assert answer.status == 200, await answer.text()
        answers[username] = await answer.json()
    assert set(answers["fresh"]) == set(answers["copycat"]) == {"access_token", "token_type", "scope", "created_at"}
    assert answers["fresh"]["scope"] == answers["copycat"]["scope"]
    # Both tokens wait for a confirmation, with the same answer on every route.
    for path in ("/api/v1/accounts/verify_credentials", "/api/v1/timelines/public", "/api/v1/lists"):
        seen = []
        for name in ("fresh", "copycat"):
            answer = await client.get(path, headers=bearer(answers[name]["access_token"]))
            seen.append((answer.status, await answer.json()))
        assert seen[0] == seen[1] == (403, {"error": "Your login is missing a confirmed e-mail address"}), path
    with node.db:
        assert not await User.filter(account__username="copycat").exists()
        assert await SignUpDecoy.all().count() == 1
    await flush(node)
    assert mail_sink.to("owner@example.com")[0]["Subject"].startswith("Someone tried to sign up")

    # Other problems are still reported, without a word about the address.
    answer = await client.post("/api/v1/accounts", headers=bearer(app_token), json={
        "username": "owner", "email": "owner@example.com", "password": "short", "agreement": True})
    body = await answer.json()
    assert answer.status == 422 and set(body["details"]) == {"username", "password"}, body


async def test_with_mail_off_a_taken_address_is_reported(node_client, node_of):
    node = node_of(node_client)
    await create_user(node, "owner")
    app_token = await _app_token(node_client)
    answer = await node_client.post("/api/v1/accounts", headers=bearer(app_token), json={
        "username": "copycat", "email": "owner@example.com", "password": PASSWORD, "agreement": True})
    body = await answer.json()
    assert answer.status == 422 and body["details"]["email"][0]["error"] == "ERR_TAKEN"
    taken = await _web_sign_up(node_client, "copycat", "owner@example.com")
    assert taken.status == 422 and "already registered" in await taken.text()
    with node.db:
        assert await ChannelJob.filter(kind="signup_attempt").count() == 0
