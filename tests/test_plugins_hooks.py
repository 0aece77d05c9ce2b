"""One test per hook (test_hook_<name>; test_plugins.py checks none is missing), each against a served node
with real plugins: the bundled welcome plugin and the test plugins in tests/fixtures/plugins."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from support import bearer, create_user

from federation.inbox import ActivityRegistry
from node import db
from node.api.keys import NODE
from node.app import build_app
from node.jobs import start_scheduler
from node.lifecycle import start_node, stop_node
from node.models import Account, Follow, Status
from node.plugin_api import AccountInfo
from node.plugins import PATH_ENV, PluginError, load_plugins

FIXTURES = Path(__file__).parent / "fixtures" / "plugins"


@pytest.fixture
def extra_plugins(monkeypatch, tmp_path) -> Path:
    """Test plugins on the plugin path and sys.path, plus a folder for ad-hoc ones."""
    extra = tmp_path / "more-plugins"
    extra.mkdir()
    monkeypatch.setenv(PATH_ENV, f"{FIXTURES}:{extra}")
    monkeypatch.syspath_prepend(str(FIXTURES / "site"))
    return extra


@pytest.fixture
def serve(aiohttp_client, make_config, extra_plugins):
    async def serve(*enabled: str, **settings: dict):
        config = make_config(plugins={"enabled": list(enabled), **settings})
        return await aiohttp_client(build_app(config, scheduler=False))

    return serve


def ad_hoc(folder: Path, name: str, hooks: list[str], code: str) -> None:
    path = folder / name
    path.mkdir()
    (path / "plugin.toml").write_text(f'name = "{name}"\nversion = "1"\nhooks = {hooks!r}\n'.replace("'", '"'))
    (path / "__init__.py").write_text("from node.plugin_api import hookimpl\n" + textwrap.dedent(code))


async def test_hook_settings(serve):
    client = await serve("welcome", "hooked", welcome={"greeter": "boss", "blocked_email_domains": ["spam.example"]})
    api = client.app[NODE].plugins.api("welcome")
    assert api.settings["greeter"] == "boss" and api.settings["blocked_email_domains"] == ["spam.example"]
    assert api.settings["visibility"] == "direct"  # the default, untouched
    with pytest.raises(TypeError):
        api.settings["greeter"] = "someone else"  # type: ignore[index]
    assert client.app[NODE].plugins.api("hooked").settings["unfollowable"] == []


async def welcome_rows(node) -> tuple[list[dict], list[dict]]:  # type: ignore[no-untyped-def]
    """The plugin's table (it errors if missing) and its migrations recorded, on either database."""
    with node.bound():
        return (await db.query("SELECT count(*) AS n FROM welcome_greetings"),
                await db.query("SELECT app, name FROM tortoise_migrations WHERE app = 'welcome'"))


async def test_hook_models(serve, make_config):
    client = await serve("welcome")
    node = client.app[NODE]
    greetings, applied = await welcome_rows(node)
    assert applied == [{"app": "welcome", "name": "0001_initial"}]
    # Starting again on the same database applies nothing twice, and the core's tables sit beside it.
    again = await start_node(node.config)
    try:
        greetings, applied = await welcome_rows(again)
        with again.bound():
            assert await db.query("SELECT count(*) AS n FROM accounts")
    finally:
        await stop_node(again)
    assert len(applied) == 1


async def test_hook_routes(serve):
    client = await serve("pinger")  # found through its entry point, as a pip-installed plugin is
    response = await client.get("/pinger/ping")
    assert response.status == 200
    assert await response.json() == {"pong": True, "node": "http://localhost", "plugin": "pinger"}


async def test_hook_template_folder(serve):
    client = await serve("welcome")
    response = await client.get("/welcome")
    assert response.status == 200 and response.content_type == "text/html"
    page = await response.text()
    assert "<h1>Welcome to Entativa</h1>" in page
    assert "Welcome to Entativa, @you!" in page and "0 people have been welcomed so far." in page
    assert 'href="/static/base.css"' in page  # the page extends the active theme's base.html
    assert 'href="http://localhost/plugins/welcome/static/welcome.css"' in page


async def test_hook_static_folder(serve):
    client = await serve("welcome")
    response = await client.get("/plugins/welcome/static/welcome.css")
    assert response.status == 200 and response.content_type == "text/css"
    assert ".welcome-card" in await response.text()
    assert (await client.get("/plugins/welcome/static/%2e%2e/plugin.toml")).status in (403, 404)
    assert (await client.get("/plugins/welcome/static/missing.css")).status == 404


async def test_hook_startup(serve, aiohttp_client, make_config):
    client = await serve("hooked")
    assert (client.app[NODE].config.data_dir / "plugins" / "hooked" / "started").read_text() == "yes"
    # A plugin that rejects its settings at start-up stops the node, naming itself and the problem.
    config = make_config(plugins={"enabled": ["welcome"], "welcome": {"visibility": "everyone"}})
    with pytest.raises(PluginError) as caught:
        await aiohttp_client(build_app(config, scheduler=False))
    assert str(caught.value) == ("plugin 'welcome': hook startup failed: ValueError: visibility must be one of "
                                 "public, unlisted, private, direct, got 'everyone'")


async def test_hook_shutdown(serve):
    client = await serve("hooked")
    stopped = client.app[NODE].config.data_dir / "plugins" / "hooked" / "stopped"
    assert not stopped.exists()
    await client.close()
    assert stopped.read_text() == "yes"


async def test_hook_jobs(serve):
    client = await serve("welcome")
    node = client.app[NODE]
    assert [(name, seconds) for name, _, seconds in node.plugins.scheduled_jobs] == [("welcome: send greetings", 60)]
    scheduler = start_scheduler(node)
    try:
        assert "welcome: send greetings" in [job.name for job in scheduler.get_jobs()]
    finally:
        scheduler.shutdown(wait=False)
    _, run, _ = node.plugins.scheduled_jobs[0]
    with node.db:
        assert await run(node) == 0  # nobody to greet yet; tests call jobs directly, never wait for them


async def test_hook_events(serve, extra_plugins):
    ad_hoc(extra_plugins, "recorder", ["events"], """
        SEEN = []

        @hookimpl
        def events():
            async def created(account):
                SEEN.append(account)

            def posted(status, unknown_key_is_fine=None):
                SEEN.append(status)

            return {"account.created": created, "status.created": [posted]}
    """)
    client = await serve("welcome", "recorder")
    node = client.app[NODE]
    user, token = await create_user(node, "newbie")
    response = await client.post("/api/v1/statuses", json={"status": "hello"}, headers=bearer(token))
    assert response.status == 200
    seen = sys.modules["_entativa_plugin_recorder"].SEEN
    # Plugins get the stable records, never the node's models.
    assert isinstance(seen[0], AccountInfo) and seen[0].username == "newbie" and seen[0].local
    assert type(seen[1]).__name__ == "StatusInfo" and seen[1].text == "hello" and seen[1].account_id == user.account.id
    from plugins.welcome.models import Greeting

    with node.db:
        assert await Greeting.filter(account_id=user.account.id, sent_at=None).count() == 1


async def test_hook_activitypub_handlers(serve, extra_plugins, make_config):
    client = await serve("hooked")
    registry: ActivityRegistry = ActivityRegistry()
    for (kind, object_type), handler in (await client.app[NODE].plugins.activity_handlers()).items():
        registry.on(kind, object_type)(handler)
    react = {"id": "https://remote.example/r/1", "type": "EmojiReact", "actor": "https://remote.example/users/ann",
             "object": "http://localhost/users/bob/statuses/1", "content": "🔥"}
    assert await registry.dispatch(react) == ("reacted", "https://remote.example/users/ann", "🔥")
    secret = {"id": "https://remote.example/c/1", "type": "Create", "actor": "https://remote.example/users/ann",
              "object": {"id": "https://remote.example/m/1", "type": "EncryptedMessage"}}
    assert await registry.dispatch(secret) == ("encrypted", "https://remote.example/m/1")
    note = {**secret, "object": {"id": "https://remote.example/n/1", "type": "Note"}}
    assert await registry.dispatch(note) is None  # Create{Note} is not the plugin's
    # Two plugins claiming one activity type is an error naming both.
    ad_hoc(extra_plugins, "rival", ["activitypub_handlers"], """
        @hookimpl
        def activitypub_handlers():
            return {"EmojiReact": lambda activity: None}
    """)
    plugins = load_plugins(make_config(plugins={"enabled": ["hooked", "rival"]}))
    with pytest.raises(PluginError, match="plugin 'rival': EmojiReact/None is already handled by plugin 'hooked'"):
        await plugins.activity_handlers()


async def test_hook_actor_document(serve):
    client = await serve("hooked", hooked={"pronouns": "she/her"})
    node = client.app[NODE]
    user, _ = await create_user(node, "ann")
    document = {"@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                "id": "http://localhost/users/ann", "type": "Person", "preferredUsername": "ann"}
    extended = await node.plugins.extend_actor(user.account, document)
    assert extended["pronouns"] == "she/her" and extended["preferredName"] == "ann (she/her)"
    assert extended["id"] == "http://localhost/users/ann"  # plugins add fields, never replace the node's
    assert extended["@context"] == ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1",
                                    {"pronouns": "https://example.org/ns#pronouns"}]
    assert "pronouns" not in document  # the caller's document is left alone


async def app_token(client) -> str:
    app = await (await client.post("/api/v1/apps", json={"client_name": "Signup", "scopes": "read write",
                                                         "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"})).json()
    response = await client.post("/oauth/token", data={"grant_type": "client_credentials",
                                                        "client_id": app["client_id"],
                                                        "client_secret": app["client_secret"], "scope": "write"})
    return (await response.json())["access_token"]


async def test_hook_may_register(serve):
    client = await serve("welcome", welcome={"blocked_email_domains": ["Spam.example"]})
    signup = {"username": "spammer", "email": "me@spam.EXAMPLE", "password": "a long password", "agreement": "true",
              "locale": "en"}
    response = await client.post("/api/v1/accounts", headers=bearer(await app_token(client)), data=signup)
    assert response.status == 403
    assert await response.json() == {"error": "Sign-ups from spam.example addresses are not accepted here"}
    with client.app[NODE].db:
        assert await Account.all().count() == 0  # refused before anything was written
    response = await client.post("/api/v1/accounts", headers=bearer(await app_token(client)),
                                 data={**signup, "email": "me@fine.example"})
    assert response.status == 200


async def test_hook_may_post(serve, aiohttp_client, make_config, caplog):
    client = await serve("hooked", "pinger", hooked={"forbidden_word": "ping"})
    _, token = await create_user(client.app[NODE], "ann")

    async def post(text: str):  # type: ignore[no-untyped-def]
        response = await client.post("/api/v1/statuses", json={"status": text}, headers=bearer(token))
        return response.status, await response.json()

    # Both plugins refuse; the first listed in [plugins] enabled answers.
    assert await post("ping everyone") == (403, {"error": "Posts about ping are not allowed here"})
    status, body = await post("a quiet post")
    assert status == 200 and body["content"] == "<p>a quiet post</p>"
    with client.app[NODE].db:
        assert await Status.all().count() == 1
    await client.close()

    other = await aiohttp_client(build_app(make_config(plugins={"enabled": ["pinger", "hooked"],
                                                                "hooked": {"forbidden_word": "ping"}}),
                                           scheduler=False))
    _, token = await create_user(other.app[NODE], "bea")
    response = await other.post("/api/v1/statuses", json={"status": "PING"}, headers=bearer(token))
    assert response.status == 403 and await response.json() == {"error": "No pings, please"}


@pytest.mark.logs_errors  # the crashing veto is logged with its traceback, by design
async def test_hook_may_post_refuses_when_the_veto_itself_fails(serve, caplog):
    client = await serve("hooked", hooked={"crash_veto": True})
    _, token = await create_user(client.app[NODE], "ann")
    response = await client.post("/api/v1/statuses", json={"status": "hello"}, headers=bearer(token))
    assert response.status == 403
    assert await response.json() == {"error": "The hooked plugin could not check this request"}
    assert "plugin 'hooked': veto may_post failed" in caplog.text
    with client.app[NODE].db:
        assert await Status.all().count() == 0


async def test_hook_may_follow(serve):
    client = await serve("hooked", hooked={"unfollowable": ["celebrity"]})
    node = client.app[NODE]
    _, token = await create_user(node, "fan")
    celebrity, _ = await create_user(node, "celebrity")
    friend, _ = await create_user(node, "friend")
    response = await client.post(f"/api/v1/accounts/{celebrity.account.id}/follow", headers=bearer(token))
    assert response.status == 403 and await response.json() == {"error": "Refused by the hooked plugin"}
    response = await client.post(f"/api/v1/accounts/{friend.account.id}/follow", headers=bearer(token))
    assert response.status == 200 and (await response.json())["following"] is True
    with node.db:
        assert await Follow.filter(target_account_id=celebrity.account.id).count() == 0
        assert await Follow.filter(target_account_id=friend.account.id).count() == 1
