"""The bundled welcome plugin end to end, as docs/plugins.md describes it: a sign-up is remembered, the job
greets it with a direct status from the greeter, and the newcomer sees a mention notification over HTTP."""

from __future__ import annotations

import pytest
from support import bearer, create_user

from node.api.keys import NODE
from node.app import build_app
from node.models import Status
from plugins.welcome import send_greetings
from plugins.welcome.models import Greeting


@pytest.fixture
def serve(aiohttp_client, make_config):
    async def serve(**settings: object):
        config = make_config(plugins={"enabled": ["welcome"], "welcome": settings})
        return await aiohttp_client(build_app(config, scheduler=False))

    return serve


async def test_newcomer_is_greeted_once_by_the_oldest_admin(serve):
    client = await serve()
    node = client.app[NODE]
    await create_user(node, "boss", admin=True)
    newcomer, token = await create_user(node, "newbie")
    api = node.plugins.api("welcome")
    with node.db:
        assert await send_greetings(api) == 1
        assert await send_greetings(api) == 0  # greeted once, never twice
        greeting = await Greeting.get(account_id=newcomer.account.id)
        status = await Status.get(id=greeting.status_id)
    assert status.visibility == "direct" and greeting.sent_at is not None
    assert status.text == "Welcome to Entativa, @newbie! Say hello and tell us what you are into."
    notifications = await (await client.get("/api/v1/notifications", headers=bearer(token))).json()
    assert [(n["type"], n["account"]["acct"]) for n in notifications] == [("mention", "boss")]
    assert notifications[0]["status"]["visibility"] == "direct"
    page = await (await client.get("/welcome")).text()
    assert "1 person has been welcomed so far." in page and "Every newcomer hears from @boss." in page


async def test_greetings_wait_for_a_greeter_and_use_the_configured_one(serve):
    client = await serve(greeter="host", message="Hi {username}, this is {node}.", visibility="unlisted")
    node = client.app[NODE]
    newcomer, _ = await create_user(node, "newbie")
    api = node.plugins.api("welcome")
    with node.db:
        assert await send_greetings(api) == 0  # no account called "host" yet: nothing is lost, it waits
        assert await Greeting.filter(sent_at=None).count() == 1
    await create_user(node, "host")
    with node.db:
        assert await send_greetings(api) == 1  # greets newbie; the host's own greeting is dropped
        assert await Greeting.all().count() == 1
        status = await Status.get(account__username="host")
    assert status.text == "@newbie Hi newbie, this is Entativa." and status.visibility == "unlisted"


async def test_a_bad_message_template_stops_start_up(aiohttp_client, make_config):
    from node.plugins import PluginError

    config = make_config(plugins={"enabled": ["welcome"], "welcome": {"message": "Hi {name}"}})
    with pytest.raises(PluginError, match=r"^plugin 'welcome': hook startup failed: ValueError: message may use "):
        await aiohttp_client(build_app(config, scheduler=False))
