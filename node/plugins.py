"""Plugins: discovery (bundled folders, ENTATIVA_PLUGIN_PATH folders, the `entativa.plugins` entry points),
manifest checks, loading into a pluggy manager, and calling hooks (sync or async; first refusal wins).

A plugin that cannot load stops start-up with a PluginError naming it and saying what is wrong; the CLI prints
that one line, never a traceback from inside the plugin. Once the node runs, a failing hook is logged and
contained, except a failing veto, which refuses (a check that cannot run must not wave things through).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import logging
import os
import re
import sys
import tomllib
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import TYPE_CHECKING, Any

import pluggy
from aiohttp import web

from . import hookspecs
from .config import Config, ConfigError
from .errors import Forbidden
from .plugin_api import Job, NodeApi, hook_functions, public_value

if TYPE_CHECKING:
    from .runtime import Node

log = logging.getLogger(__name__)

BUNDLED_DIR = Path(__file__).resolve().parents[1] / "plugins"
PATH_ENV = "ENTATIVA_PLUGIN_PATH"  # extra folders of plugin folders, os.pathsep-separated (plugin development)
ENTRY_POINT_GROUP = "entativa.plugins"
MANIFEST = "plugin.toml"
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
RESERVED = {"models", "node", "federation", "plugins"}  # "models" is the core's tortoise app label
BUILD_HOOKS = ("settings", "models", "routes", "template_folder", "static_folder")
HOOK_NAMES = tuple(name for name, value in vars(hookspecs).items()
                   if callable(value) and hasattr(value, f"{hookspecs.PROJECT}_spec"))


class PluginError(ConfigError):
    """A plugin that cannot be used; the message starts with the plugin's name."""


@dataclass(frozen=True)
class Manifest:
    """plugin.toml: name, version and description, the plugins it requires, the hooks it implements."""

    name: str
    version: str
    description: str = ""
    requires: tuple[str, ...] = ()
    hooks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Source:
    """Where a plugin was found: a folder (bundled or on ENTATIVA_PLUGIN_PATH) or an entry point."""

    name: str
    origin: str  # "bundled", "folder" or "entry point"
    where: str  # the folder, or "distribution (module)"
    folder: Path | None = None
    entry_point: metadata.EntryPoint | None = None


@dataclass
class LoadedPlugin:
    manifest: Manifest
    source: Source
    module: ModuleType
    api: NodeApi
    static_folder: Path | None = None


def read_manifest(path: Path, name: str) -> Manifest:
    """Parse and check a plugin.toml; `name` is what the folder or entry point calls the plugin."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PluginError(f"plugin {name!r}: no {MANIFEST} in {path.parent}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PluginError(f"plugin {name!r}: {path} is not valid TOML ({exc})") from None
    unknown = set(data) - {"name", "version", "description", "requires", "hooks"}
    if unknown:
        raise PluginError(f"plugin {name!r}: {MANIFEST} has unknown key {sorted(unknown)[0]!r} "
                          "(known: name, version, description, requires, hooks)")
    if data.get("name") != name:
        raise PluginError(f"plugin {name!r}: {MANIFEST} name is {data.get('name')!r}, must be {name!r}")
    if not isinstance(data.get("version"), str) or not data["version"]:
        raise PluginError(f"plugin {name!r}: {MANIFEST} needs a version string")
    if not isinstance(data.get("description", ""), str):
        raise PluginError(f"plugin {name!r}: {MANIFEST} description must be a string")
    for key in ("requires", "hooks"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise PluginError(f"plugin {name!r}: {MANIFEST} {key} must be a list of names")
    unknown_hooks = [h for h in data.get("hooks", []) if h not in HOOK_NAMES]
    if unknown_hooks:
        raise PluginError(f"plugin {name!r}: {MANIFEST} lists unknown hook {unknown_hooks[0]!r} "
                          f"(hooks: {', '.join(HOOK_NAMES)})")
    return Manifest(name=name, version=data["version"], description=data.get("description", ""),
                    requires=tuple(data.get("requires", [])), hooks=tuple(data.get("hooks", [])))


# ---- discovery -------------------------------------------------------------------------------------------


def _folders() -> list[tuple[str, Path]]:
    extra = [Path(p) for p in os.environ.get(PATH_ENV, "").split(os.pathsep) if p]
    return [("bundled", BUNDLED_DIR), *(("folder", p) for p in extra)]


def discover(*, entry_points: bool = True) -> dict[str, list[Source]]:
    """Every plugin this node could run, by name (a name found twice lists both sources)."""
    found: dict[str, list[Source]] = {}
    for origin, parent in _folders():
        if not parent.is_dir():
            continue
        for folder in sorted(parent.iterdir()):
            if (folder / MANIFEST).is_file() and (folder / "__init__.py").is_file():
                found.setdefault(folder.name, []).append(Source(folder.name, origin, str(folder), folder=folder))
    if entry_points:
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = ep.dist.name if ep.dist is not None else "?"
            found.setdefault(ep.name, []).append(Source(ep.name, "entry point", f"{dist} ({ep.value})",
                                                        entry_point=ep))
    return found


def _import(source: Source) -> ModuleType:
    if source.entry_point is not None:
        module = source.entry_point.load()
        if not isinstance(module, ModuleType) or not hasattr(module, "__path__"):
            raise TypeError(f"entry point {source.entry_point.value!r} must name a package (with {MANIFEST})")
        return module
    assert source.folder is not None
    if source.origin == "bundled":
        return importlib.import_module(f"{BUNDLED_DIR.name}.{source.name}")
    module_name = f"_entativa_plugin_{source.name}"  # folders off sys.path: imported by file, under this name
    if module_name in sys.modules:  # another node in this process loaded it already
        loaded = sys.modules[module_name]
        if Path(loaded.__path__[0]) != source.folder:
            raise ImportError(f"a plugin {source.name!r} from {loaded.__path__[0]} is already loaded")
        return loaded
    spec = importlib.util.spec_from_file_location(module_name, source.folder / "__init__.py",
                                                  submodule_search_locations=[str(source.folder)])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module


# ---- loading ---------------------------------------------------------------------------------------------

def _hook_functions(module: ModuleType) -> SimpleNamespace:
    return SimpleNamespace(**hook_functions(module))


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _failure(name: str, what: str, exc: BaseException) -> PluginError:
    return PluginError(f"plugin {name!r}: {what}: {type(exc).__name__}: {_one_line(exc)}")


def _check_settings(name: str, defaults: Any, given: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(defaults, Mapping):
        raise PluginError(f"plugin {name!r}: the settings hook must return a dict of defaults")
    values = dict(defaults)
    for key, value in given.items():
        dotted = f"plugins.{name}.{key}"
        if key not in defaults:
            known = ", ".join(defaults) or "none"
            raise PluginError(f"{dotted}: unknown setting (known: {known})")
        default = defaults[key]
        if isinstance(default, bool) or isinstance(value, bool):
            ok = isinstance(value, bool) and isinstance(default, bool)
        elif isinstance(default, float):
            ok = isinstance(value, int | float)
        else:
            ok = default is None or isinstance(value, type(default))
        if not ok:
            raise PluginError(f"{dotted}: must be {type(default).__name__}, got {value!r}")
        values[key] = value
    return values


def _call_sync(plugin: str, impl: pluggy.HookImpl, hook: str, **available: Any) -> Any:
    """Call a build-time hook, which must answer without awaiting (the app is not running yet)."""
    try:
        result = impl.function(**{n: available[n] for n in impl.argnames})
        if callable(result) and not isinstance(result, type):
            result = result()
    except PluginError:
        raise
    except Exception as exc:
        raise _failure(plugin, f"hook {hook} failed", exc) from exc
    if inspect.isawaitable(result):
        if inspect.iscoroutine(result):
            result.close()
        raise PluginError(f"plugin {plugin!r}: hook {hook} must be a plain function, not async")
    return result


async def await_me_maybe(value: Any) -> Any:
    """A hook may return a value, a callable that makes it, or an awaitable of it: answer the value."""
    if callable(value) and not isinstance(value, type):
        value = value()
    if inspect.isawaitable(value):
        value = await value
    return value


def _manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    return manager


def _resolve_module(package: str, name: str) -> str:
    return package + name if name.startswith(".") else name


def load_plugins(config: Config) -> Plugins:
    """Find, import, check and register the plugins [plugins] enabled names, in that order."""
    enabled = config.plugins.enabled
    if not enabled:
        return Plugins([], _manager())
    if len(set(enabled)) != len(enabled):
        twice = next(n for n in enabled if enabled.count(n) > 1)
        raise PluginError(f"plugins.enabled: {twice!r} is listed twice")
    sources = discover()
    manager = _manager()
    registered: dict[str, tuple[Manifest, Source, ModuleType]] = {}
    # pluggy calls the most recently registered plugin first: register backwards so hooks run in listed order.
    for name in reversed(enabled):
        found = sources.get(name, [])
        if not NAME.match(name) or name in RESERVED or not found:
            available = ", ".join(sorted(n for n in sources if NAME.match(n) and n not in RESERVED)) or "none"
            raise PluginError(f"plugins.enabled: unknown plugin {name!r} (available: {available})")
        if len(found) > 1:
            raise PluginError(f"plugin {name!r}: found more than once ({'; '.join(s.where for s in found)}); "
                              "remove one")
        source = found[0]
        if source.folder is not None:
            read_manifest(source.folder / MANIFEST, name)  # a bad manifest fails before any plugin code runs
        try:
            module = _import(source)
        except Exception as exc:
            raise _failure(name, f"cannot import from {source.where}", exc) from exc
        manifest = read_manifest(Path(module.__path__[0]) / MANIFEST, name)
        try:
            manager.register(_hook_functions(module), name=name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"plugin {name!r}: {_one_line(exc)}") from None
        except ValueError as exc:  # the same module registered under two names
            raise _failure(name, "cannot register", exc) from None
        registered[name] = (manifest, source, module)
    _check_pending(manager)
    plugins = []
    for name in enabled:
        manifest, source, module = registered[name]
        _check_manifest(manifest, manager, enabled)
        defaults: Any = {}
        for impl in _impls_of(manager, "settings", name):
            defaults = _call_sync(name, impl, "settings")
        api = NodeApi(name, _check_settings(name, defaults, config.plugins.settings.get(name, {})),
                      node_name=config.node.name, base_url=config.base_url, data_dir=config.data_dir,
                      theme=config.node.theme)
        plugin = LoadedPlugin(manifest, source, module, api)
        for hook in ("template_folder", "static_folder"):
            for impl in _impls_of(manager, hook, name):
                folder = _call_sync(name, impl, hook, api=api)
                if folder is None:
                    continue
                if not Path(folder).is_dir():
                    raise PluginError(f"plugin {name!r}: {hook} {folder} is not a folder")
                if hook == "template_folder":
                    api._template_folder = Path(folder)
                else:
                    plugin.static_folder = Path(folder)
        plugins.append(plugin)
    return Plugins(plugins, manager)


def _check_pending(manager: pluggy.PluginManager) -> None:
    try:
        manager.check_pending()  # a misspelt hook would otherwise never run, silently
    except pluggy.PluginValidationError as exc:
        name = manager.get_name(exc.plugin) or "?"
        raise PluginError(f"plugin {name!r}: {_one_line(exc)} (hooks: {', '.join(HOOK_NAMES)})") from None


def _impls_of(manager: pluggy.PluginManager, hook: str, name: str) -> list[pluggy.HookImpl]:
    return [impl for impl in getattr(manager.hook, hook).get_hookimpls() if impl.plugin_name == name]


def _check_manifest(manifest: Manifest, manager: pluggy.PluginManager, enabled: tuple[str, ...]) -> None:
    name = manifest.name
    implemented = {caller.name for caller in manager.get_hookcallers(manager.get_plugin(name)) or []}
    declared = set(manifest.hooks)
    if implemented != declared:
        missing, extra = sorted(implemented - declared), sorted(declared - implemented)
        detail = "; ".join(filter(None, [missing and f"implements {', '.join(missing)} but does not list it",
                                         extra and f"lists {', '.join(extra)} but does not implement it"]))
        raise PluginError(f"plugin {name!r}: the hooks in {MANIFEST} do not match the code ({detail})")
    for required in manifest.requires:
        if required not in enabled[: enabled.index(name)]:
            raise PluginError(f"plugin {name!r}: requires plugin {required!r}, enabled before it in "
                              "[plugins] enabled")


# ---- the loaded set --------------------------------------------------------------------------------------


@dataclass(eq=False)
class Plugins:
    """The enabled plugins, in [plugins] enabled order, and the calls the node makes into them."""

    loaded: list[LoadedPlugin]
    manager: pluggy.PluginManager
    scheduled_jobs: list[tuple[str, Callable[[Node], Awaitable[Any]], int]] = field(default_factory=list)
    _node: Node | None = field(default=None, repr=False)

    @classmethod
    def none(cls) -> Plugins:
        return cls([], _manager())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.manifest.name for p in self.loaded)

    def get(self, name: str) -> LoadedPlugin:
        return next(p for p in self.loaded if p.manifest.name == name)

    def api(self, name: str) -> NodeApi:
        return self.get(name).api

    def _impls(self, hook: str) -> Iterable[tuple[LoadedPlugin, pluggy.HookImpl]]:
        """Implementations in calling order (pluggy's, which is [plugins] enabled order, tryfirst/trylast aside)."""
        by_name = {p.manifest.name: p for p in self.loaded}
        for impl in reversed(getattr(self.manager.hook, hook).get_hookimpls()):
            yield by_name[impl.plugin_name], impl

    async def _call(self, plugin: LoadedPlugin, impl: pluggy.HookImpl, **available: Any) -> Any:
        available["api"] = plugin.api
        kwargs = {n: available[n] for n in (*impl.argnames, *impl.kwargnames) if n in available}
        return await await_me_maybe(impl.function(**kwargs))

    # ---- build time --------------------------------------------------------------------------------------

    def tortoise_apps(self) -> dict[str, dict[str, Any]]:
        """Each plugin with models as its own tortoise app (label = plugin name) with its migrations package."""
        apps: dict[str, dict[str, Any]] = {}
        for plugin, impl in self._impls("models"):
            name, package = plugin.manifest.name, plugin.module.__name__
            modules = _call_sync(name, impl, "models", api=plugin.api) or []
            if isinstance(modules, str) or not all(isinstance(m, str) for m in modules):
                raise PluginError(f"plugin {name!r}: the models hook must return a list of module names")
            resolved = [_resolve_module(package, m) for m in modules]
            for module in resolved:
                try:
                    importlib.import_module(module)
                except Exception as exc:
                    raise _failure(name, f"cannot import models {module}", exc) from exc
            if not (Path(plugin.module.__path__[0]) / "migrations" / "__init__.py").is_file():
                raise PluginError(f"plugin {name!r}: has models but no migrations/ package; make one with "
                                  f"`tortoise -c node.plugins.TORTOISE_ORM makemigrations {name}`")
            apps[name] = {"models": resolved, "migrations": f"{package}.migrations",
                          "default_connection": "default"}
        return apps

    def add_to_app(self, app: web.Application) -> None:
        """Add each plugin's routes and its static folder (at /plugins/<name>/static/)."""
        for plugin, impl in self._impls("routes"):
            name = plugin.manifest.name
            table = _call_sync(name, impl, "routes", api=plugin.api) or []
            try:
                app.router.add_routes(table)
            except Exception as exc:
                raise _failure(name, "its routes cannot be added", exc) from exc
        for plugin in self.loaded:
            if plugin.static_folder is not None:
                name = plugin.manifest.name
                app.router.add_static(f"/plugins/{name}/static", plugin.static_folder, name=f"plugin-{name}-static")

    # ---- run time ----------------------------------------------------------------------------------------

    async def attach(self, node: Node) -> None:
        """Bind every plugin's api to the started node, subscribe their event handlers and collect their jobs
        (start_node calls this, so CLI commands see the same events and vetoes as the server)."""
        self._node = node
        for plugin in self.loaded:
            plugin.api._bind(node)
        for plugin, impl in self._impls("events"):
            name = plugin.manifest.name
            try:
                subscriptions = dict(await self._call(plugin, impl) or {})
                for event, handlers in subscriptions.items():
                    for handler in handlers if isinstance(handlers, list | tuple) else [handlers]:
                        node.bus.subscribe(event, _public_handler(name, handler))
            except Exception as exc:
                raise _failure(name, "hook events failed", exc) from exc
        self.scheduled_jobs = await self._collect_jobs()

    async def startup(self) -> None:
        """Run the startup hooks (the app calls this as it starts serving); a failure stops start-up naming
        the plugin."""
        for plugin, impl in self._impls("startup"):
            try:
                await self._call(plugin, impl)
            except Exception as exc:
                raise _failure(plugin.manifest.name, "hook startup failed", exc) from exc

    async def shutdown(self) -> None:
        for plugin, impl in self._impls("shutdown"):
            try:
                await self._call(plugin, impl)
            except Exception:
                log.exception("plugin %r: hook shutdown failed", plugin.manifest.name)
        for plugin in self.loaded:
            plugin.api._bind(None)

    async def _collect_jobs(self) -> list[tuple[str, Callable[[Node], Awaitable[Any]], int]]:
        """(name, run(node), every N seconds) for node/jobs.py; names are "<plugin>: <job name>"."""
        collected = []
        for plugin, impl in self._impls("jobs"):
            try:
                jobs = await self._call(plugin, impl) or []
            except Exception as exc:
                raise _failure(plugin.manifest.name, "hook jobs failed", exc) from exc
            for job in jobs:
                if not isinstance(job, Job) or job.every_seconds < 1:
                    raise PluginError(f"plugin {plugin.manifest.name!r}: jobs must be Job(name, run, every_seconds"
                                      f" >= 1), got {job!r}")
                collected.append((f"{plugin.manifest.name}: {job.name}", _job_runner(plugin.api, job),
                                  job.every_seconds))
        return collected

    async def ensure_allowed(self, hook: str, **arguments: Any) -> None:
        """Ask every plugin's `hook` veto in turn; the first refusal raises Forbidden with its reason."""
        if hook not in hookspecs.VETO_HOOKS:
            raise ValueError(f"{hook} is not a veto hook")
        public = {key: public_value(value) for key, value in arguments.items()}
        for plugin, impl in self._impls(hook):
            name = plugin.manifest.name
            try:
                answer = await self._call(plugin, impl, **public)
            except Exception:
                log.exception("plugin %r: veto %s failed; refusing", name, hook)
                raise Forbidden(f"The {name} plugin could not check this request") from None
            if answer is None or answer is True:
                continue
            reason = answer if isinstance(answer, str) and answer else f"Refused by the {name} plugin"
            raise Forbidden(reason)

    async def activity_handlers(self) -> dict[tuple[str, str | None], Callable[[Any, Any], Awaitable[Any]]]:
        """{(activity type, object type or None): handler(activity, context)} from every plugin, ready for
        federation.inbox.ActivityRegistry.on(); two plugins claiming the same key is a PluginError."""
        handlers: dict[tuple[str, str | None], Callable[[Any, Any], Awaitable[Any]]] = {}
        owners: dict[tuple[str, str | None], str] = {}
        for plugin, impl in self._impls("activitypub_handlers"):
            name = plugin.manifest.name
            for key, handler in dict(await self._call(plugin, impl) or {}).items():
                kind, object_type = (key, None) if isinstance(key, str) else tuple(key)
                if (kind, object_type) in handlers:
                    raise PluginError(f"plugin {name!r}: {kind}/{object_type} is already handled by plugin "
                                      f"{owners[(kind, object_type)]!r}")
                handlers[(kind, object_type)] = _activity_handler(handler)
                owners[(kind, object_type)] = name
        return handlers

    async def extend_actor(self, account: Any, document: dict[str, Any]) -> dict[str, Any]:
        """The actor document with every plugin's extra fields added; plugins add fields and "@context"
        entries but never replace one already there (id, keys, inbox stay the node's)."""
        extended = dict(document)
        info = public_value(account)
        for plugin, impl in self._impls("actor_document"):
            name = plugin.manifest.name
            try:
                extra = await self._call(plugin, impl, account=info, document=dict(extended)) or {}
                extra = dict(extra)
            except Exception:
                log.exception("plugin %r: hook actor_document failed; its fields are left out", name)
                continue
            context = extra.pop("@context", None)
            if context is not None:
                current = extended.get("@context", [])
                current = list(current) if isinstance(current, list) else [current]
                for entry in context if isinstance(context, list) else [context]:
                    if entry not in current:
                        current.append(entry)
                extended["@context"] = current
            for key, value in extra.items():
                if key in extended:
                    log.warning("plugin %r: actor_document may not replace %r; ignored", name, key)
                else:
                    extended[key] = value
        return extended

    def hooks_of(self, name: str) -> list[str]:
        return sorted(c.name for c in self.manager.get_hookcallers(self.manager.get_plugin(name)) or [])


def _accepted(handler: Callable[..., Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    """The payload keys `handler` takes, so a new key in an event never breaks an older plugin."""
    parameters = inspect.signature(handler).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return dict(payload)
    return {k: v for k, v in payload.items() if k in parameters}


def _public_handler(plugin: str, handler: Callable[..., Any]) -> Callable[..., Awaitable[None]]:
    async def deliver(**payload: Any) -> None:
        public = {k: public_value(v) for k, v in payload.items()}
        await await_me_maybe(handler(**_accepted(handler, public)))

    deliver.__qualname__ = f"plugin {plugin}: {getattr(handler, '__qualname__', handler)!s}"
    return deliver


def _activity_handler(handler: Callable[..., Any]) -> Callable[[Any, Any], Awaitable[Any]]:
    async def handle(activity: Any, _context: Any = None) -> Any:
        return await await_me_maybe(handler(activity))

    return handle


def _job_runner(api: NodeApi, job: Job) -> Callable[[Node], Awaitable[Any]]:
    async def run(_node: Node) -> Any:
        return await await_me_maybe(job.run(api))

    return run


def __getattr__(name: str) -> Any:
    """`node.plugins.TORTOISE_ORM`: the core's apps plus every discoverable plugin's, for making a plugin's
    migrations with `tortoise -c node.plugins.TORTOISE_ORM makemigrations <plugin>`."""
    if name != "TORTOISE_ORM":
        raise AttributeError(name)
    from . import config as config_module
    from .db import TORTOISE_ORM

    names = sorted(n for n, found in discover().items() if NAME.match(n) and n not in RESERVED and len(found) == 1)
    config = config_module.parse({"plugins": {"enabled": names}}, Path("node.toml"))
    return {**TORTOISE_ORM, "apps": {**TORTOISE_ORM["apps"], **load_plugins(config).tortoise_apps()}}
