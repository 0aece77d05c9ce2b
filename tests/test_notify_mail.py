"""Mail through a real SMTP server (aiosmtpd on loopback): per-type notification mails with HTML and plain
text and one-click unsubscribe, retries after a refused delivery, the daily digest, sign-up confirmation and
password reset through the web pages. Mail workers are advanced with drain(), time passed in."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from support import bearer, create_user
from test_notify_push import later, served
from websupport import form_token, sign_in

from node.config import ConfigError
from node.models import ChannelJob
from node.notify import dispatcher, mail


def mail_config(sink) -> dict:  # type: ignore[no-untyped-def]
    return {"smtp_host": "127.0.0.1", "smtp_port": sink.port, "from": "social@entativa.test"}


async def flush(node, now=None) -> int:  # type: ignore[no-untyped-def]
    await node.settle()
    with node.db:
        await dispatcher.drain(node, now or later())
        return await mail.drain(node, now or later())


def link_in(text: str, path: str) -> str:
    match = re.search(r"(https?://\S+" + re.escape(path) + r"\S*)", text)
    assert match, f"no {path} link in {text!r}"
    url = urlsplit(match.group(1))
    return f"{url.path}?{url.query}"


async def test_a_mention_mails_html_and_text_with_one_click_unsubscribe(
    aiohttp_client, make_config, mail_sink
):
    client, node = await served(aiohttp_client, make_config, mail=mail_config(mail_sink))
    _, token = await create_user(node, "alice")
    _, bob_token = await create_user(node, "bob")
    await client.post(
        "/api/v1/statuses", json={"status": "@alice the <b>report</b> is ready"}, headers=bearer(bob_token)
    )
    assert await flush(node) == 1
    [message] = mail_sink.to("alice@example.com")
    assert message["Subject"] == "bob mentioned you"
    assert message["From"] == "social@entativa.test"
    text, html = mail_sink.bodies(message)
    assert "the <b>report</b> is ready" in text
    assert "the &lt;b&gt;report&lt;/b&gt; is ready" in html  # escaped in HTML, never raw markup from a post
    assert "/@bob/" in text
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in text
    path = f"{urlsplit(unsubscribe).path}?{urlsplit(unsubscribe).query}"

    # A GET shows a button and changes nothing; a forged token is refused.
    page = await client.get(path)
    assert page.status == 200 and "mention notifications" in await page.text()
    prefs = await (await client.get("/api/v1/notifications/preferences", headers=bearer(token))).json()
    assert prefs["types"]["mention"]["email"] is True
    forged = path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb")
    assert (await client.post(forged, data={"List-Unsubscribe": "One-Click"})).status == 400

    # What a mail client sends for List-Unsubscribe-Post: no cookie, no CSRF token.
    resp = await client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert resp.status == 200
    prefs = await (await client.get("/api/v1/notifications/preferences", headers=bearer(token))).json()
    assert prefs["types"]["mention"]["email"] is False and prefs["types"]["follow"]["email"] is True
    await client.post("/api/v1/statuses", json={"status": "@alice another"}, headers=bearer(bob_token))
    assert await flush(node, later(10)) == 0
    assert len(mail_sink.messages) == 1


async def test_a_refused_mail_is_retried_and_the_notification_stays(aiohttp_client, make_config, mail_sink):
    client, node = await served(aiohttp_client, make_config, mail=mail_config(mail_sink))
    alice, token = await create_user(node, "alice")
    _, bob_token = await create_user(node, "bob")
    await client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=bearer(bob_token))
    mail_sink.refuse_next = 1
    now = later()
    assert await flush(node, now) == 1
    assert mail_sink.messages == []
    with node.db:
        job = await ChannelJob.get(channel="email")
    assert job.state == "pending" and job.attempts == 1 and "451" in job.last_error
    notes = await (await client.get("/api/v1/notifications", headers=bearer(token))).json()
    assert [n["type"] for n in notes] == ["follow"]
    assert await flush(node, now + timedelta(seconds=5)) == 0  # not due yet
    assert await flush(node, now + timedelta(minutes=2)) == 1
    [message] = mail_sink.messages
    assert message["Subject"] == "bob followed you"


async def test_the_daily_digest_collects_a_day_once(aiohttp_client, make_config, mail_sink):
    client, node = await served(aiohttp_client, make_config, mail=mail_config(mail_sink))
    _, token = await create_user(node, "alice")
    _, bob_token = await create_user(node, "bob")
    resp = await client.put(
        "/api/v1/notifications/preferences",
        headers=bearer(token),
        json={"email_digest": "daily", "types": {"mention": {"email": False}}},
    )
    assert (await resp.json())["email_digest"] == "daily"
    for text in ("@alice first", "@alice second"):
        await client.post("/api/v1/statuses", json={"status": text}, headers=bearer(bob_token))
    assert await flush(node) == 0  # mentions are not mailed one by one
    with node.db:
        assert await dispatcher.run_digests(node, later()) == 1
        assert await dispatcher.run_digests(node, later(3600)) == 0  # once a day
        assert await mail.drain(node, later()) == 1
        assert await dispatcher.run_digests(node, later(86400 + 60)) == 0  # nothing new since
    [digest] = mail_sink.messages
    assert digest["Subject"].startswith("Your 2 notifications")
    text, _ = mail_sink.bodies(digest)
    assert "first" in text and "second" in text
    assert "/unsubscribe?token=" in digest["List-Unsubscribe"]


async def test_sign_up_waits_for_the_confirmation_link(aiohttp_client, make_config, mail_sink):
    client, node = await served(aiohttp_client, make_config, mail=mail_config(mail_sink))
    form = await client.get("/signup")
    resp = await client.post(
        "/signup",
        data={
            "csrf_token": form_token(await form.text()),
            "username": "newbie",
            "email": "newbie@example.org",
            "password": "a long enough one",
        },
    )
    assert resp.status == 200 and "We sent a link to newbie@example.org" in await resp.text()
    login = await client.get("/login")
    refused = await client.post(
        "/login",
        data={
            "login": "newbie",
            "password": "a long enough one",
            "csrf_token": form_token(await login.text()),
        },
    )
    assert refused.status == 401 and "Confirm your email address" in await refused.text()
    await flush(node)
    [message] = mail_sink.to("newbie@example.org")
    assert message["Subject"].startswith("Confirm your email address")
    text, html = mail_sink.bodies(message)
    link = link_in(text, "/auth/confirm")
    assert (await client.get(link.replace("token=", "token=x"))).status == 400
    confirmed = await client.get(link)
    assert confirmed.status == 200 and "is confirmed" in await confirmed.text()
    await sign_in(client, "newbie", "a long enough one")


async def test_api_sign_up_tokens_wait_for_confirmation_too(aiohttp_client, make_config, mail_sink):
    client, node = await served(aiohttp_client, make_config, mail=mail_config(mail_sink))
    app = await (
        await client.post(
            "/api/v1/apps",
            json={"client_name": "x", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read write"},
        )
    ).json()
    assert app["vapid_key"]
    issued = await (
        await client.post(
            "/oauth/token",
            json={
                "grant_type": "client_credentials",
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "scope": "read write",
            },
        )
    ).json()
    resp = await client.post(
        "/api/v1/accounts",
        headers=bearer(issued["access_token"]),
        json={
            "username": "apiuser",
            "email": "api@example.org",
            "password": "a long enough one",
            "agreement": True,
        },
    )
    assert resp.status == 200, await resp.text()
    user_token = (await resp.json())["access_token"]
    blocked = await client.get("/api/v1/accounts/verify_credentials", headers=bearer(user_token))
    assert blocked.status == 403 and "confirmed e-mail" in (await blocked.json())["error"]
    await flush(node)
    text, _ = mail_sink.bodies(mail_sink.to("api@example.org")[0])
    assert (await client.get(link_in(text, "/auth/confirm"))).status == 200
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=bearer(user_token))).status == 200


async def test_password_reset_by_mail_works_once(aiohttp_client, make_config, mail_sink):
    client, node = await served(aiohttp_client, make_config, mail=mail_config(mail_sink))
    await create_user(node, "alice")
    form = await client.get("/auth/password")
    token = form_token(await form.text())
    for email in ("alice@example.com", "nobody@example.com"):  # the same answer whether or not it exists
        resp = await client.post("/auth/password", data={"csrf_token": token, "email": email})
        assert resp.status == 200 and "is on its way" in await resp.text()
    assert (await client.post("/auth/password", data={"csrf_token": token, "email": "nope"})).status == 422
    await flush(node)
    [message] = mail_sink.messages
    link = link_in(mail_sink.bodies(message)[0], "/auth/reset")
    page = await client.get(link)
    assert page.status == 200 and "@alice" in await page.text()
    csrf = form_token(await page.text())
    reset_token = link.split("token=", 1)[1]
    short = await client.post(
        "/auth/reset",
        data={
            "csrf_token": csrf,
            "token": reset_token,
            "password": "short",
            "password_confirmation": "short",
        },
    )
    assert short.status == 422
    done = await client.post(
        "/auth/reset",
        data={
            "csrf_token": csrf,
            "token": reset_token,
            "password": "brand new secret",
            "password_confirmation": "brand new secret",
        },
        allow_redirects=False,
    )
    assert done.status == 303 and done.headers["Location"] == "/login?reset=1"
    assert (await client.get(link)).status == 400  # used once
    await sign_in(client, "alice", "brand new secret")


async def test_mail_is_off_without_smtp_host_and_reset_says_so(aiohttp_client, make_config):
    client, node = await served(aiohttp_client, make_config)
    _, bob_token = await create_user(node, "bob")
    await create_user(node, "alice")
    await client.post("/api/v1/statuses", json={"status": "@alice hi"}, headers=bearer(bob_token))
    assert await flush(node) == 0
    with node.db:
        assert await ChannelJob.filter(channel="email").count() == 0
    form = await client.get("/auth/password")
    resp = await client.post(
        "/auth/password", data={"csrf_token": form_token(await form.text()), "email": "a@b.c"}
    )
    assert resp.status == 400 and "cannot send mail" in await resp.text()


@pytest.mark.parametrize(
    ("mail_section", "message"),
    [
        (
            {"smtp_host": "smtp.example.org", "from": "x@example.org", "tls": True, "starttls": True},
            "choose one",
        ),
        ({"smtp_host": "smtp.example.org", "from": "not an address"}, "mail.from"),
        ({"smtp_host": "smtp.example.org", "from": "x@example.org", "username": "u"}, "give both"),
        ({"from": "x@example.org"}, "mail.smtp_host"),
        ({"smtp_host": "smtp.example.org", "from": "x@example.org", "starttls": "yes"}, "mail.starttls"),
        ({"smtp_host": "smtp.example.org", "from": "x@example.org", "smtp_port": 0}, "mail.smtp_port"),
    ],
)
def test_bad_mail_config_names_the_key(make_config, mail_section, message):
    with pytest.raises(ConfigError, match=message):
        make_config(mail=mail_section)


def test_good_mail_config(make_config):
    config = make_config(
        mail={
            "smtp_host": "smtp.example.org",
            "smtp_port": 587,
            "from": "social@example.org",
            "username": "u",
            "password": "p",
            "starttls": True,
        }
    )
    assert config.mail.starttls and not config.mail.tls and config.mail.sender == "social@example.org"
