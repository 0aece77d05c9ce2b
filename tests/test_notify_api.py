"""/api/v1/notifications/preferences and /api/v1/push/subscription: shapes, and every kind of bad input
answered with a 4xx naming the field, with nothing stored."""

from __future__ import annotations

import base64

import pytest
from push_receiver import Browser, b64, unb64
from support import bearer, create_user
from test_notify_push import served

from node.models import NotificationSettings, PushSubscription
from node.notify import preferences

PREFS = "/api/v1/notifications/preferences"
PUSH = "/api/v1/push/subscription"


async def test_preferences_default_shape_and_partial_updates(aiohttp_client, make_config):
    client, node = await served(aiohttp_client, make_config)
    _, token = await create_user(node, "alice")
    body = await (await client.get(PREFS, headers=bearer(token))).json()
    assert set(body) == {"types", "quiet_hours", "email_digest"}
    assert set(body["types"]) == set(preferences.TYPES)
    assert "take_trend_joined" in body["types"] and "admin.report" in body["types"]
    assert body["types"]["mention"] == {"push": True, "email": True}
    assert body["types"]["favourite"] == {"push": True, "email": False}
    assert body["quiet_hours"] == {"enabled": False, "start": "22:00", "end": "07:00", "timezone": "UTC"}
    assert body["email_digest"] == "off"

    resp = await client.put(
        PREFS,
        headers=bearer(token),
        json={
            "types": {"favourite": {"email": True}, "reblog": {"push": False}},
            "quiet_hours": {"enabled": True, "timezone": "America/Sao_Paulo"},
            "email_digest": "weekly",
        },
    )
    assert resp.status == 200
    body = await resp.json()
    assert body["types"]["favourite"] == {"push": True, "email": True}
    assert body["types"]["reblog"] == {"push": False, "email": False}
    assert body["quiet_hours"] == {
        "enabled": True,
        "start": "22:00",
        "end": "07:00",
        "timezone": "America/Sao_Paulo",
    }
    assert body["email_digest"] == "weekly"
    assert await (await client.get(PREFS, headers=bearer(token))).json() == body
    # Another account is untouched.
    _, other = await create_user(node, "bob")
    assert (await (await client.get(PREFS, headers=bearer(other))).json())["email_digest"] == "off"


BAD_PREFERENCES = [
    ({"quiet_hours": {"timezone": "Mars/Olympus_Mons"}}, "quiet_hours.timezone"),
    ({"quiet_hours": {"timezone": "../../etc/passwd"}}, "quiet_hours.timezone"),
    ({"quiet_hours": {"timezone": 5}}, "quiet_hours.timezone"),
    ({"quiet_hours": {"start": "25:00"}}, "quiet_hours.start"),
    ({"quiet_hours": {"end": "7:00"}}, "quiet_hours.end"),
    ({"quiet_hours": {"end": "07:60"}}, "quiet_hours.end"),
    ({"quiet_hours": {"enabled": "maybe"}}, "quiet_hours.enabled"),
    ({"quiet_hours": {"colour": "blue"}}, "quiet_hours.colour"),
    ({"quiet_hours": []}, "quiet_hours"),
    ({"types": {"poke": {"push": True}}}, "types.poke"),
    ({"types": {"mention": {"sms": True}}}, "types.mention.sms"),
    ({"types": {"mention": {"push": "loud"}}}, "types.mention.push"),
    ({"types": {"mention": True}}, "types.mention"),
    ({"types": ["mention"]}, "types"),
    ({"email_digest": "hourly"}, "email_digest"),
    ({"dark_mode": True}, "dark_mode"),
]


async def test_bad_preferences_are_422_naming_the_field_and_store_nothing(aiohttp_client, make_config):
    client, node = await served(aiohttp_client, make_config)
    _, token = await create_user(node, "alice")
    for body, field in BAD_PREFERENCES:
        # A valid change beside the bad one must not be stored either.
        sent = body if "email_digest" in body else {"email_digest": "daily", **body}
        resp = await client.put(PREFS, headers=bearer(token), json=sent)
        assert resp.status == 422, body
        error = (await resp.json())["error"]
        assert error.startswith(field + ":"), (body, error)
        with node.db:
            assert not await NotificationSettings.exists()


async def test_preferences_need_a_token_with_the_scope_and_a_json_object(aiohttp_client, make_config):
    client, node = await served(aiohttp_client, make_config)
    _, token = await create_user(node, "alice", scopes="read:accounts")
    assert (await client.get(PREFS)).status == 401
    assert (await client.get(PREFS, headers=bearer(token))).status == 403
    _, good = await create_user(node, "bob")
    resp = await client.put(
        PREFS, headers={**bearer(good), "Content-Type": "application/json"}, data=b"{nope"
    )
    assert resp.status == 400 and "error" in await resp.json()
    resp = await client.put(PREFS, headers=bearer(good), json=["types"])
    assert resp.status == 400


def subscription(endpoint: str, browser: Browser | None = None, **extra) -> dict:  # type: ignore[no-untyped-def]
    browser = browser or Browser("x")
    return {
        "subscription": {"endpoint": endpoint, "keys": {"p256dh": browser.p256dh, "auth": b64(browser.auth)}},
        **extra,
    }


BAD_SUBSCRIPTIONS = [
    (False, subscription("http://push.example.org/x"), "subscription[endpoint]"),
    (False, subscription("https://10.1.2.3/x"), "subscription[endpoint]"),
    (False, subscription("https://127.0.0.1:8443/x"), "subscription[endpoint]"),
    (False, subscription("https://[::1]/x"), "subscription[endpoint]"),
    (False, subscription("https://169.254.169.254/latest"), "subscription[endpoint]"),
    (False, subscription("https://localhost/x"), "subscription[endpoint]"),
    (False, subscription("https://printer.local/x"), "subscription[endpoint]"),
    (False, subscription("https://user:pw@push.example.org/x"), "subscription[endpoint]"),
    (False, subscription("ftp://push.example.org/x"), "subscription[endpoint]"),
    (False, subscription(""), "subscription[endpoint]"),
    (True, subscription("http://push.example.org/x"), "subscription[endpoint]"),  # http only to loopback
    (
        True,
        {
            "subscription": {
                "endpoint": "https://push.example.org/x",
                "keys": {"p256dh": "bm90IGEga2V5", "auth": b64(b"0" * 16)},
            }
        },
        "subscription[keys][p256dh]",
    ),
    (
        True,
        {
            "subscription": {
                "endpoint": "https://push.example.org/x",
                "keys": {"p256dh": Browser("y").p256dh, "auth": "c2hvcnQ"},
            }
        },
        "subscription[keys][auth]",
    ),
    (
        True,
        {"subscription": {"endpoint": "https://push.example.org/x", "keys": {"auth": b64(b"0" * 16)}}},
        "subscription[keys][p256dh]",
    ),
    (
        True,
        {
            "subscription": {
                "endpoint": "https://push.example.org/x",
                "keys": {"p256dh": "%%%", "auth": b64(b"0" * 16)},
            }
        },
        "subscription[keys][p256dh]",
    ),
    (True, subscription("https://push.example.org/x", data={"alerts": {"poke": True}}), "data[alerts][poke]"),
    (
        True,
        subscription("https://push.example.org/x", data={"alerts": {"mention": "loud"}}),
        "data[alerts][mention]",
    ),
    (True, subscription("https://push.example.org/x", data={"policy": "friends"}), "data[policy]"),
]


@pytest.mark.parametrize("allow_private", [False, True])
async def test_bad_subscriptions_are_refused_and_nothing_is_stored(
    aiohttp_client, make_config, allow_private
):
    client, node = await served(
        aiohttp_client, make_config, federation={"enabled": False, "allow_private_addresses": allow_private}
    )
    _, token = await create_user(node, "alice")
    for private, body, field in BAD_SUBSCRIPTIONS:
        if private != allow_private:
            continue
        resp = await client.post(PUSH, headers=bearer(token), json=body)
        assert resp.status == 422, (body, await resp.text())
        assert (await resp.json())["error"].startswith(field), await resp.text()
        with node.db:
            assert not await PushSubscription.exists()


async def test_public_endpoints_are_accepted(aiohttp_client, make_config):
    client, node = await served(aiohttp_client, make_config, federation={"enabled": False})
    _, token = await create_user(node, "alice")
    for endpoint in (
        "https://fcm.googleapis.com/fcm/send/abc",
        "https://updates.push.services.mozilla.com/wpush/v2/x",
        "https://[2606:4700::1111]/push",
        "https://8.8.8.8/push",
    ):
        resp = await client.post(PUSH, headers=bearer(token), json=subscription(endpoint))
        assert resp.status == 200, (endpoint, await resp.text())
        assert (await resp.json())["endpoint"] == endpoint


async def test_subscription_routes_answer_like_mastodon(aiohttp_client, make_config):
    client, node = await served(aiohttp_client, make_config, federation={"enabled": False})
    _, token = await create_user(node, "alice")
    _, plain = await create_user(node, "bob", scopes="read write")
    assert (await client.get(PUSH)).status == 401
    assert (
        await client.post(PUSH, headers=bearer(plain), json=subscription("https://push.example.org/a"))
    ).status == 403
    missing = await client.get(PUSH, headers=bearer(token))
    assert missing.status == 404 and (await missing.json())["error"] == "Record not found"
    assert (await client.put(PUSH, headers=bearer(token), json={"data": {"policy": "none"}})).status == 404
    # A form body as Mastodon.py sends it (base64 keys with padding, booleans as strings, policy at the top).
    browser = Browser("form")
    form = {
        "subscription[endpoint]": "https://push.example.org/a",
        "subscription[keys][p256dh]": base64.b64encode(unb64(browser.p256dh)).decode(),
        "subscription[keys][auth]": base64.b64encode(browser.auth).decode(),
        "data[alerts][mention]": "1",
        "data[alerts][admin.sign_up]": "true",
        "policy": "follower",
    }
    created = await client.post(PUSH, headers=bearer(token), data=form)
    assert created.status == 200, await created.text()
    body = await created.json()
    assert body["alerts"]["mention"] is True and body["alerts"]["admin.sign_up"] is False  # not an admin
    assert body["policy"] == "follower" and body["standard"] is False and isinstance(body["id"], str)
    # Creating again replaces it: one per token.
    again = await (
        await client.post(PUSH, headers=bearer(token), json=subscription("https://push.example.org/b"))
    ).json()
    assert again["id"] != body["id"] and again["endpoint"] == "https://push.example.org/b"
    with node.db:
        assert await PushSubscription.all().count() == 1
    bad_update = await client.put(PUSH, headers=bearer(token), json={"data": {"alerts": {"mention": []}}})
    assert bad_update.status == 422
    assert (await (await client.get(PUSH, headers=bearer(token))).json())["alerts"]["mention"] is False
