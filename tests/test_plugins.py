"""Plugin discovery and loading: bundled folders, ENTATIVA_PLUGIN_PATH folders and entry points, manifests,
settings, and the one-line start-up errors a broken or misconfigured plugin gives. Also the rule that every
hook is documented in docs/plugins.md and has a test_hook_<name> test."""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import pytest
from support import REPO, write_config

from node import cli, hookspecs
from node.app import build_app
from node.plugins import HOOK_NAMES, PATH_ENV, PluginError, Plugins, discover, load_plugins

FIXTURES = Path(__file__).parent / "fixtures" / "plugins"


@pytest.fixture
def plugin_path(monkeypatch, tmp_path):
    """The test plugins on the plugin path, the entry-point one on sys.path, and a folder for ad-hoc ones."""
    extra = tmp_path / "more-plugins"
    extra.mkdir()
    monkeypatch.setenv(PATH_ENV, f"{FIXTURES}:{extra}")
    monkeypatch.syspath_prepend(str(FIXTURES / "site"))
    return extra


def make_plugin(folder: Path, name: str, code: str, hooks: list[str], **manifest: object) -> Path:
    """An ad-hoc plugin folder. Names must be unique per test: a folder plugin is imported once per process."""
    path = folder / name
    path.mkdir()
    fields = {"name": name, "version": "1.0", "hooks": hooks, **manifest}
    lines = [f"{key} = {value!r}".replace("'", '"') for key, value in fields.items()]
    (path / "plugin.toml").write_text("\n".join(lines).replace("True", "true") + "\n")
    (path / "__init__.py").write_text("from node.plugin_api import hookimpl, Job\n" + textwrap.dedent(code))
    return path


def config_with(tmp_path: Path, *enabled: str, **settings: dict) -> object:
    return write_config(tmp_path, plugins={"enabled": list(enabled), **settings})


def failure(tmp_path: Path, *enabled: str, **settings: dict) -> str:
    with pytest.raises(PluginError) as caught:
        load_plugins(config_with(tmp_path, *enabled, **settings))
    return str(caught.value)


# ---- discovery -----------------------------------------------------------------------------------------------


def test_discovery_finds_bundled_folder_and_entry_point_plugins(plugin_path):
    found = discover()
    assert [s.origin for s in found["welcome"]] == ["bundled"]
    assert [s.origin for s in found["hooked"]] == ["folder"]
    assert [s.origin for s in found["pinger"]] == ["entry point"]
    assert found["pinger"][0].where == "entativa-pinger (pinger_plugin)"
    assert "site" not in found  # a folder without plugin.toml is not a plugin


def test_no_plugins_enabled_loads_nothing(tmp_path):
    plugins = load_plugins(config_with(tmp_path))
    assert plugins.names == () and plugins.tortoise_apps() == {}


async def test_no_plugins_means_every_veto_allows():
    await Plugins.none().ensure_allowed("may_post", account=None, text="anything", visibility="public")


def test_plugins_load_in_enabled_order_with_manifest_and_hooks(plugin_path, tmp_path):
    plugins = load_plugins(config_with(tmp_path, "pinger", "hooked"))
    assert plugins.names == ("pinger", "hooked")
    assert plugins.get("pinger").manifest.version == "1.0"
    assert plugins.hooks_of("pinger") == ["may_post", "routes"]
    assert plugins.api("hooked").settings["forbidden_word"] == ""


# ---- start-up errors: one line naming the plugin -------------------------------------------------------------


def test_unknown_plugin_is_named_with_the_available_ones(plugin_path, tmp_path):
    message = failure(tmp_path, "welcome", "nope")
    assert message.startswith("plugins.enabled: unknown plugin 'nope' (available: ")
    assert "broken" in message and "hooked" in message and "pinger" in message and "welcome" in message


def test_broken_plugin_fails_start_up_with_its_name_and_error(plugin_path, tmp_path):
    message = failure(tmp_path, "broken")
    assert message.startswith("plugin 'broken': cannot import from ")
    assert message.endswith("RuntimeError: the frobnicator is missing")
    with pytest.raises(PluginError, match="plugin 'broken'"):
        build_app(config_with(tmp_path, "broken"), scheduler=False)


def test_broken_plugin_makes_the_cli_print_one_line_not_a_traceback(plugin_path, tmp_path, capsys):
    config = config_with(tmp_path, "broken")
    assert cli.main(["--config", str(config.path), "check"]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [err.strip()]
    assert "entativa: plugin 'broken':" in err and "the frobnicator is missing" in err and "Traceback" not in err


def test_cli_check_lists_enabled_plugins_and_their_hooks(plugin_path, tmp_path, capsys):
    config = config_with(tmp_path, "welcome", "pinger")
    assert cli.main(["--config", str(config.path), "check"]) == 0
    out = capsys.readouterr().out
    assert "welcome 1.0.0 (bundled)" in out and "pinger 1.0 (entry point" in out
    assert "hooks: may_post, routes" in out
    assert "config OK" in out


def test_plugin_listed_twice(plugin_path, tmp_path):
    assert failure(tmp_path, "hooked", "hooked") == "plugins.enabled: 'hooked' is listed twice"


def test_plugin_found_twice_must_be_resolved(plugin_path, tmp_path):
    make_plugin(plugin_path, "welcome", "", [])
    message = failure(tmp_path, "welcome")
    assert message.startswith("plugin 'welcome': found more than once (")


def test_manifest_name_must_match_its_folder(plugin_path, tmp_path):
    make_plugin(plugin_path, "misnamed", "", [], description="x")
    (plugin_path / "misnamed" / "plugin.toml").write_text('name = "other"\nversion = "1"\nhooks = []\n')
    assert failure(tmp_path, "misnamed") == "plugin 'misnamed': plugin.toml name is 'other', must be 'misnamed'"


def test_manifest_must_be_valid_toml_with_known_keys(plugin_path, tmp_path):
    make_plugin(plugin_path, "badtoml", "", [])
    (plugin_path / "badtoml" / "plugin.toml").write_text('name = "badtoml"\nversion = \n')
    assert "is not valid TOML" in failure(tmp_path, "badtoml")
    make_plugin(plugin_path, "extrakey", "", [], colour="blue")
    assert failure(tmp_path, "extrakey").startswith("plugin 'extrakey': plugin.toml has unknown key 'colour'")


def test_manifest_hooks_must_match_the_code(plugin_path, tmp_path):
    make_plugin(plugin_path, "undeclared", """
        @hookimpl
        def startup(api): pass
    """, [])
    assert failure(tmp_path, "undeclared") == ("plugin 'undeclared': the hooks in plugin.toml do not match the code "
                                               "(implements startup but does not list it)")
    make_plugin(plugin_path, "overdeclared", "", ["shutdown"])
    assert "lists shutdown but does not implement it" in failure(tmp_path, "overdeclared")
    make_plugin(plugin_path, "unknownhook", "", ["on_everything"])
    assert failure(tmp_path, "unknownhook").startswith("plugin 'unknownhook': plugin.toml lists unknown hook "
                                                       "'on_everything'")


def test_misspelt_hook_fails_instead_of_never_running(plugin_path, tmp_path):
    make_plugin(plugin_path, "typo", """
        @hookimpl
        def start_up(api): pass
    """, [])
    message = failure(tmp_path, "typo")
    assert message.startswith("plugin 'typo': ") and "start_up" in message and "hooks: settings" in message


def test_hook_arguments_must_be_the_specs(plugin_path, tmp_path):
    make_plugin(plugin_path, "wrongargs", """
        @hookimpl
        def may_post(api, text, mood): pass
    """, ["may_post"])
    message = failure(tmp_path, "wrongargs")
    assert message.startswith("plugin 'wrongargs': ") and "mood" in message


def test_settings_are_type_checked_and_unknown_keys_refused(plugin_path, tmp_path):
    assert failure(tmp_path, "hooked", hooked={"forbidden_word": 3}) == \
        "plugins.hooked.forbidden_word: must be str, got 3"
    assert failure(tmp_path, "hooked", hooked={"crash_veto": "yes"}) == \
        "plugins.hooked.crash_veto: must be bool, got 'yes'"
    assert failure(tmp_path, "hooked", hooked={"colour": "red"}).startswith(
        "plugins.hooked.colour: unknown setting (known: forbidden_word, unfollowable, crash_veto, pronouns)")
    assert failure(tmp_path, "pinger", pinger={"x": 1}) == "plugins.pinger.x: unknown setting (known: none)"


def test_settings_of_a_disabled_plugin_are_ignored(plugin_path, tmp_path):
    assert load_plugins(config_with(tmp_path, "pinger", hooked={"anything": 1})).names == ("pinger",)


def test_build_time_hooks_must_not_be_async(plugin_path, tmp_path):
    make_plugin(plugin_path, "asyncroutes", """
        @hookimpl
        async def routes(api): return []
    """, ["routes"])
    plugins = load_plugins(config_with(tmp_path, "asyncroutes"))
    from aiohttp import web

    with pytest.raises(PluginError, match="plugin 'asyncroutes': hook routes must be a plain function, not async"):
        plugins.add_to_app(web.Application())


def test_failing_build_hook_names_plugin_and_hook(plugin_path, tmp_path):
    make_plugin(plugin_path, "badsettings", """
        @hookimpl
        def settings(): raise KeyError("oops")
    """, ["settings"])
    assert failure(tmp_path, "badsettings") == "plugin 'badsettings': hook settings failed: KeyError: 'oops'"


def test_required_plugin_must_be_enabled_first(plugin_path, tmp_path):
    make_plugin(plugin_path, "needy", "", [], requires=["pinger"])
    assert failure(tmp_path, "needy") == ("plugin 'needy': requires plugin 'pinger', enabled before it in "
                                          "[plugins] enabled")
    assert load_plugins(config_with(tmp_path, "pinger", "needy")).names == ("pinger", "needy")


def test_models_without_migrations_are_refused(plugin_path, tmp_path):
    folder = make_plugin(plugin_path, "nomigrations", """
        @hookimpl
        def models(): return [".models"]
    """, ["models"])
    (folder / "models.py").write_text("from tortoise import fields, models\n\n"
                                      "class Thing(models.Model):\n    id = fields.IntField(primary_key=True)\n")
    message = failure_at_start(tmp_path, "nomigrations")
    assert message.startswith("plugin 'nomigrations': has models but no migrations/ package; make one with "
                              "`tortoise -c node.plugins.TORTOISE_ORM makemigrations nomigrations`")


def failure_at_start(tmp_path: Path, *enabled: str) -> str:
    plugins = load_plugins(config_with(tmp_path, *enabled))
    with pytest.raises(PluginError) as caught:
        plugins.tortoise_apps()
    return str(caught.value)


def test_tortoise_config_for_making_plugin_migrations():
    from node import plugins

    config = plugins.TORTOISE_ORM
    assert config["apps"]["models"]["migrations"] == "node.migrations"
    assert config["apps"]["welcome"] == {"models": ["plugins.welcome.models"], "migrations": "plugins.welcome.migrations",
                                         "default_connection": "default"}


# ---- every hook documented and tested ------------------------------------------------------------------------


def test_every_hook_has_a_one_line_docstring_docs_and_a_test():
    source = ast.parse(Path(hookspecs.__file__).read_text())
    specs = {f.name: ast.get_docstring(f) for f in source.body if isinstance(f, ast.FunctionDef)}
    assert set(specs) == set(HOOK_NAMES) and len(HOOK_NAMES) >= 14
    docs = (REPO / "docs" / "plugins.md").read_text()
    tests = "\n".join(p.read_text() for p in (REPO / "tests").rglob("*.py"))
    problems = []
    for name, doc in specs.items():
        if not doc or "\n" in doc.strip():
            problems.append(f"{name}: needs a one-line docstring")
        if not re.search(rf"^#+ `{name}\(", docs, re.M):
            problems.append(f"{name}: no '### `{name}(...)`' section in docs/plugins.md")
        if not re.search(rf"def test_hook_{name}\b", tests):
            problems.append(f"{name}: no test_hook_{name} test")
    assert not problems, "\n".join(problems)
