"""Slowing down whoever sends too much, over real HTTP with the node's clock moved instead of slept on:
wrong passwords back off exponentially per account and per address (password grant and the web form),
and the API answers Mastodon's X-RateLimit-* headers and 429 past its window."""

from __future__ import annotations

from datetime import datetime, timedelta

from support import bearer, create_user
from websupport import form_token

from node.api.keys import NODE
from node.app import build_app

RIGHT = "correct horse battery"


async def _app(client) -> dict:
    response = await client.post("/api/v1/apps", json={"client_name": "Guesser", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                                                       "scopes": "read"})
    return await response.json()


async def _grant(client, app: dict, username: str, password: str, ip: str = "203.0.113.9"):
    return await client.post("/oauth/token", headers={"X-Forwarded-For": ip}, data={
        "grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"],
        "username": username, "password": password, "scope": "read"})


async def test_password_grant_backs_off_per_account(node_client, node_of):
    node = node_of(node_client)
    await create_user(node, "dana")
    app = await _app(node_client)
    for _ in range(5):  # the free attempts
        assert (await _grant(node_client, app, "dana", "wrong")).status == 400
    assert (await _grant(node_client, app, "dana", "wrong")).status == 400  # the 6th: a 1 s wait starts
    refused = await _grant(node_client, app, "dana", RIGHT)  # even the right password waits, unhashed
    assert refused.status == 429 and refused.headers["Retry-After"] == "1"
    assert "Too many failed sign-ins" in (await refused.json())["error"]
    # The account is throttled from any address, by email as by name.
    assert (await _grant(node_client, app, "dana@example.com", RIGHT, ip="198.51.100.7")).status == 429
    node.clock.advance(timedelta(seconds=1))
    assert (await _grant(node_client, app, "dana", RIGHT)).status == 200  # a success clears the account

    # Guessing as fast as allowed for a minute of clock time: how many passwords get checked?
    start, checked = node.clock.now(), 0
    while node.clock.now() - start < timedelta(minutes=1):
        response = await _grant(node_client, app, "dana", "wrong")
        if response.status == 429:
            node.clock.advance(timedelta(seconds=int(response.headers["Retry-After"])))
        else:
            assert response.status == 400
            checked += 1
    assert checked == 11  # 5 free, then waits of 1, 2, 4, 8, 16 and 32 s
    # The waits keep doubling to the 15-minute cap: the next hour checks only a few more.
    start, later = node.clock.now(), 0
    while node.clock.now() - start < timedelta(hours=1):
        response = await _grant(node_client, app, "dana", "wrong")
        if response.status == 429:
            node.clock.advance(timedelta(seconds=int(response.headers["Retry-After"])))
        else:
            later += 1
    assert later == 7  # at 64, 128, 256, 512 s, then every 900 s (4 an hour from then on)


async def test_password_grant_backs_off_per_address(node_client, node_of):
    node = node_of(node_client)
    for n in range(21):
        await create_user(node, f"user{n}")
    app = await _app(node_client)
    for n in range(20):  # one wrong guess each for 20 accounts from one address
        assert (await _grant(node_client, app, f"user{n}", "wrong")).status == 400
    assert (await _grant(node_client, app, "user20", "wrong")).status == 400  # the address's 21st: it waits now
    assert (await _grant(node_client, app, "user20", RIGHT)).status == 429
    assert (await _grant(node_client, app, "user20", RIGHT, ip="198.51.100.7")).status == 200  # others go on


async def test_web_sign_in_backs_off_with_a_readable_page(node_client, node_of):
    node = node_of(node_client)
    await create_user(node, "erin")

    async def attempt(password: str):
        form = await node_client.get("/login")
        return await node_client.post("/login", allow_redirects=False, data={
            "login": "erin", "password": password, "csrf_token": form_token(await form.text())})

    for _ in range(6):
        assert (await attempt("wrong")).status == 401
    refused = await attempt(RIGHT)
    assert refused.status == 429 and refused.headers["Retry-After"] == "1"
    assert "Too many failed sign-ins: try again in 1 seconds" in await refused.text()
    node.clock.advance(timedelta(seconds=1))
    assert (await attempt(RIGHT)).status == 303


async def test_api_rate_limit_per_token_and_per_address(aiohttp_client, make_config):
    client = await aiohttp_client(build_app(make_config(limits={"api_per_token": 3, "api_per_ip": 2,
                                                                "api_period_seconds": 60}), scheduler=False))
    node = client.app[NODE]
    # Start at a window boundary so the window does not roll over mid-test.
    now = node.clock.now()
    node.clock.advance(timedelta(seconds=60 - now.timestamp() % 60))
    _, alice = await create_user(node, "alice")
    _, bob = await create_user(node, "bob")
    remaining = []
    for _ in range(3):
        response = await client.get("/api/v1/accounts/verify_credentials", headers=bearer(alice))
        assert response.status == 200
        assert response.headers["X-RateLimit-Limit"] == "3"
        remaining.append(response.headers["X-RateLimit-Remaining"])
        reset = datetime.fromisoformat(response.headers["X-RateLimit-Reset"].replace("Z", "+00:00"))
        assert timedelta(0) < reset - node.clock.now() <= timedelta(seconds=60)
    assert remaining == ["2", "1", "0"]
    over = await client.get("/api/v1/accounts/verify_credentials", headers=bearer(alice))
    assert over.status == 429 and (await over.json()) == {"error": "Too many requests"}
    assert 1 <= int(over.headers["Retry-After"]) <= 60 and over.headers["X-RateLimit-Remaining"] == "0"
    # Another token has its own window; so do callers without one, per address.
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=bearer(bob))).status == 200
    for _ in range(2):
        assert (await client.get("/api/v1/instance")).status == 200
    assert (await client.get("/api/v1/instance")).status == 429
    assert (await client.get("/api/v1/instance", headers={"X-Forwarded-For": "198.51.100.7"})).status == 200
    # A bad token counts against the address, and still gets its 401.
    bad = {"X-Forwarded-For": "198.51.100.8", **bearer("nope")}
    for _ in range(2):
        assert (await client.get("/api/v1/accounts/verify_credentials", headers=bad)).status == 401
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=bad)).status == 429
    # Pages and federation are not API calls: no limit headers there.
    assert "X-RateLimit-Limit" not in (await client.get("/about")).headers
    node.clock.advance(timedelta(seconds=60))
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=bearer(alice))).status == 200
