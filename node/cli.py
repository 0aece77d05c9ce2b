"""The `entativa` command (also `python -m node`): init, serve, user add, backup, reindex, emoji, media prune,
check; announcement and rule (cli_content.py).

Errors a person can fix (bad config, taken username, unwritable destination) print one readable line and
exit 2; nothing here should end in a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from . import config as config_module
from .config import Config, ConfigError
from .db import APPS, MigrationError
from .errors import DomainError


class CliError(Exception):
    """A problem the person running the command can fix; printed without a traceback."""


def _instance_key(config: Config) -> Path:
    """The instance actor's key, made once by `init` (the federation layer signs instance fetches with it)."""
    from federation.signatures import generate_rsa_keypair

    path = config.data_dir / "instance-key.pem"
    config.data_dir.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        private_pem, _ = generate_rsa_keypair()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(private_pem)
    return path


async def _with_node(config: Config, work):  # type: ignore[no-untyped-def]
    from .lifecycle import start_node, stop_node

    node = await start_node(config)
    try:
        with node.bound():
            return await work(node)
    finally:
        await stop_node(node)


def cmd_init(config: Config, _args: argparse.Namespace) -> None:
    async def nothing(_node: object) -> None:
        return None

    asyncio.run(_with_node(config, nothing))
    _instance_key(config)
    _notification_keys(config)
    print(f"Ready: data in {config.data_dir}, database {config.database_url}")


def _notification_keys(config: Config) -> None:
    """The VAPID key that signs Web Push requests and the secret that signs links in mails."""
    from .notify import keys

    keys.vapid_private_key(config.data_dir)
    keys.link_secret(config.data_dir)


def cmd_serve(config: Config, args: argparse.Namespace) -> None:
    from aiohttp import web

    from . import processes
    from .app import build_app
    from .lifecycle import event_loop

    if args.workers < 1:
        raise CliError("--workers must be at least 1")
    if args.workers > 1 or args.shared:
        processes.require_postgres(config, "--workers" if args.workers > 1 else "--shared")
    _instance_key(config)
    if args.workers > 1:
        print(f"Entativa is serving {config.base_url} on http://{config.server.host}:{config.server.port} "
              f"with {args.workers} web processes", flush=True)
        processes.supervise(args.config, args.workers)
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    print(f"Entativa is serving {config.base_url} on http://{config.server.host}:{config.server.port}", flush=True)
    # A shared process binds with SO_REUSEPORT: the kernel spreads connections over the processes on the port.
    web.run_app(build_app(config, freeze_heap=True, shared=args.shared), host=config.server.host, port=config.server.port,
                print=None, access_log=None, loop=event_loop(), reuse_port=args.shared or None)


def cmd_worker(config: Config, _args: argparse.Namespace) -> None:
    """Drain the queues (and run the scheduler when elected) without serving HTTP: one of the node's
    processes on PostgreSQL, e.g. on another machine."""
    from . import activitypub, processes
    from .lifecycle import event_loop, start_node, stop_node

    processes.require_postgres(config, "`entativa worker`")
    _instance_key(config)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def run() -> None:
        node = await start_node(config, shared=True)
        election = processes.Election(node)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        try:
            with node.bound():
                await node.plugins.startup()
            election.start()
            activitypub.start_workers(node)
            print(f"Entativa worker for {config.base_url} is running", flush=True)
            await stop.wait()
            with node.bound():
                await node.plugins.shutdown()
        finally:
            await election.close()
            await stop_node(node)

    runner = asyncio.Runner(loop_factory=event_loop)
    with runner:
        runner.run(run())


def cmd_user_add(config: Config, args: argparse.Namespace) -> None:
    from .services.accounts import create_local_account

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        generated = False
    elif sys.stdin.isatty():
        password = getpass.getpass(f"Password for {args.name}: ")
        generated = False
    else:
        password, generated = secrets.token_urlsafe(12), True
    email = args.email or f"{args.name}@{config.node.domain.split(':')[0]}"

    async def add(node):  # type: ignore[no-untyped-def]
        return await create_local_account(node, args.name, email, password, admin=args.admin)

    user = asyncio.run(_with_node(config, add))
    role = "admin" if args.admin else "user"
    print(f"Created {role} @{args.name} ({user.email}); sign in at {config.base_url}/login")
    if generated:
        print(f"Password: {password}")


def cmd_user_disable_2fa(config: Config, args: argparse.Namespace) -> None:
    """For someone who lost both their phone and their recovery codes: sign-in needs the password only again."""
    from .models import User
    from .services import two_factor

    async def disable(node):  # type: ignore[no-untyped-def]
        user = await User.filter(account__username=args.name, account__domain="").first()
        if user is None:
            raise CliError(f"no local user named {args.name}")
        was_on = two_factor.enabled(user)
        await two_factor.turn_off(user)
        return was_on

    was_on = asyncio.run(_with_node(config, disable))
    print(f"Two-factor sign-in for @{args.name} is off" + ("" if was_on else " (it was not on)"))


def cmd_backup(config: Config, args: argparse.Namespace) -> None:
    """A consistent copy while the node runs: SQLite's online backup API (or pg_dump), then the media files."""
    postgres = not config.database_url.startswith("sqlite://")
    source = Path(config.database_url.removeprefix("sqlite://"))
    if not postgres and not source.exists():
        raise CliError(f"no database at {source}: run `entativa init` first")
    dump = _pg_dump() if postgres else None  # before making the folder: a missing tool leaves nothing behind
    dest = Path(args.dest)
    if dest.exists() and any(dest.iterdir()):
        raise CliError(f"{dest} exists and is not empty; choose a new folder")
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"cannot create {dest}: {exc.strerror}") from None
    if dump is not None:
        name = "node.pgdump"
        # pg_dump reads in one snapshot, so the dump is one consistent state; restore with pg_restore.
        done = subprocess.run([dump, "--format=custom", "--no-owner", f"--file={dest / name}",
                               _libpq_url(config.database_url)], capture_output=True, text=True)
        if done.returncode != 0:
            raise CliError(f"pg_dump failed: {' '.join(done.stderr.split())}")
    else:
        name = source.name
        with sqlite3.connect(source) as src, sqlite3.connect(dest / name) as dst:
            src.backup(dst)  # one step: a single read transaction, so the copy is one consistent state
    if config.media_dir.exists():
        shutil.copytree(config.media_dir, dest / "media", dirs_exist_ok=True)
    # plugins' own files (the e2ee plugin's ciphertext attachments): a file newer than the database copy has no
    # row there and is swept after a restore, one the copy names but that went meanwhile was expiring anyway
    plugin_files = config.data_dir / "plugins"
    if plugin_files.exists():
        shutil.copytree(plugin_files, dest / "plugins", dirs_exist_ok=True)
    key = config.data_dir / "instance-key.pem"
    if key.exists():
        shutil.copy2(key, dest / key.name)
    print(f"Backed up {name}, media and plugin files to {dest}")


def _pg_dump() -> str:
    found = shutil.which("pg_dump") or next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"),
                                                         reverse=True)), None)
    if found is None:
        raise CliError("backing up PostgreSQL needs pg_dump (Debian: apt-get install postgresql-client); "
                       "or back the database up with your own PostgreSQL tooling and copy the data folder")
    return str(found)


def _libpq_url(url: str) -> str:
    """The database URL as libpq tools read it (tortoise's own query options stripped)."""
    return url.split("?", 1)[0]


def cmd_migrate_to_postgres(config: Config, args: argparse.Namespace) -> None:
    """Copy this node's SQLite database into an empty PostgreSQL one, with a progress bar per table."""
    from .plugins import load_plugins
    from .postgres_copy import CopyError, copy_to_postgres

    if not config.database_url.startswith("sqlite://"):
        raise CliError(f"this node already uses {config.database_url.split('://')[0]}; migrate-to-postgres "
                       "copies a SQLite node")
    if not args.url.startswith(("postgres://", "postgresql://")):
        raise CliError("give the PostgreSQL database as postgres://user:password@host:port/database")
    if not Path(config.database_url.removeprefix("sqlite://")).exists():
        raise CliError(f"no database at {config.database_url.removeprefix('sqlite://')}: nothing to copy")
    apps = {**APPS, **load_plugins(config).tortoise_apps()}

    def progress(table: str, done: int, total: int) -> None:
        if total == 0:  # an empty table: nothing to show
            return
        width = 30
        filled = width * done // max(total, 1)
        end = "\n" if done == total else ""
        print(f"\r{table:<28} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}", end=end,
              file=sys.stderr, flush=True)

    try:
        counts = asyncio.run(copy_to_postgres(config.database_url, args.url, apps, progress))
    except CopyError as exc:
        raise CliError(str(exc)) from None
    print(f"Copied {sum(counts.values()):,} rows in {len(counts)} tables. Stop the node, set "
          f'storage.database = "{args.url}" in {config.path.name}, and start it again.')


def cmd_reindex(config: Config, _args: argparse.Namespace) -> None:
    """Rebuild the search index from the database, with a progress bar on stderr."""
    shown = {"kind": ""}

    def progress(kind: str, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        if shown["kind"] and shown["kind"] != kind:
            print(file=sys.stderr)
        shown["kind"] = kind
        print(f"\r{kind:<10} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}", end="", file=sys.stderr,
              flush=True)

    async def rebuild(node):  # type: ignore[no-untyped-def]
        await node.search.drain()  # let the start-up recovery finish before emptying the index
        return await node.search.rebuild(progress=progress)

    counts = asyncio.run(_with_node(config, rebuild))
    if shown["kind"]:
        print(file=sys.stderr)
    where = "the search tables of the node's PostgreSQL database" if config.search.backend == "postgres" else \
        config.search_dir
    print("Reindexed " + ", ".join(f"{n:,} {kind}" for kind, n in counts.items()) + f" into {where}")


def cmd_emoji_add(config: Config, args: argparse.Namespace) -> None:
    from .services import emoji

    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {args.file}: {exc.strerror}") from None

    async def add(node):  # type: ignore[no-untyped-def]
        return await emoji.add_local(node, args.shortcode, data, category=args.category or "")

    added = asyncio.run(_with_node(config, add))
    print(f"Added :{added.shortcode}:" + (f" in {added.category}" if added.category else ""))


def cmd_emoji_list(config: Config, _args: argparse.Namespace) -> None:
    from .services import emoji

    async def listed(_node):  # type: ignore[no-untyped-def]
        return await emoji.local_emojis()

    rows = asyncio.run(_with_node(config, listed))
    for row in rows:
        print(f":{row.shortcode}:\t{row.category or '-'}\t{row.content_type}\t{row.image_size:,} bytes")
    print(f"{len(rows)} custom emoji")


def cmd_emoji_remove(config: Config, args: argparse.Namespace) -> None:
    from .services import emoji

    async def remove(node):  # type: ignore[no-untyped-def]
        await emoji.remove_local(node, args.shortcode.strip(":"))

    asyncio.run(_with_node(config, remove))
    print(f"Removed :{args.shortcode.strip(':')}:")


def cmd_media_prune(config: Config, args: argparse.Namespace) -> None:
    """Delete the cached copies of other servers' media older than --older-than days (default: the
    configured media.remote_retention_days); local uploads are never touched."""
    from datetime import timedelta

    from .activitypub import remote_media

    days = args.older_than if args.older_than is not None else config.media.remote_retention_days
    if days < 0:
        raise CliError("--older-than must be 0 days or more")
    if args.older_than is None and not days:
        print("media.remote_retention_days is 0 (copies are kept); pass --older-than DAYS to prune anyway")
        return

    async def prune(node):  # type: ignore[no-untyped-def]
        return await remote_media.prune(node, timedelta(days=days))

    pruned = asyncio.run(_with_node(config, prune))
    print(f"Pruned {pruned:,} cached remote media files older than {days} days "
          "(they are fetched again when someone asks for them)")


def cmd_check(config: Config, _args: argparse.Namespace) -> None:
    print(f"config     {config.path}")
    print(f"node       {config.base_url} ({config.node.name}), theme {config.node.theme}, "
          f"registrations {config.node.registrations}")
    print(f"listen     http://{config.server.host}:{config.server.port}")
    print(f"database   {config.database_url}")
    print(f"media      {config.media_dir}")
    kept = (f"kept {config.media.remote_retention_days} days" if config.media.remote_retention_days
            else "kept for ever")
    print(f"remote     media copies up to {config.media.remote_max_bytes:,} bytes each, {kept}")
    if config.search.backend == "postgres":
        print("search     postgres: full-text tables in the node's database (every process writes them)")
    else:
        print(f"search     {config.search.backend} at {config.search_dir}")
    print(f"federation {'on' if config.federation.enabled else 'off'}"
          f"{', private addresses allowed' if config.federation.allow_private_addresses else ''}")
    print(f"mail       {config.mail.smtp_host + ':' + str(config.mail.smtp_port) if config.mail.smtp_host else 'off'}")
    _check_plugins(config)
    print("config OK")


def _check_plugins(config: Config) -> None:
    """Load the enabled plugins (a broken one fails here, as it would at start) and list their hooks."""
    from .plugins import load_plugins

    plugins = load_plugins(config)
    plugins.tortoise_apps()  # imports their models and checks their migrations folders
    print(f"plugins    {', '.join(plugins.names) or 'none'}")
    for name in plugins.names:
        plugin = plugins.get(name)
        origin = plugin.source.origin
        where = origin if origin == "bundled" else f"{origin}: {plugin.source.where}"
        print(f"  {name} {plugin.manifest.version} ({where}) hooks: {', '.join(plugins.hooks_of(name))}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="entativa", description="Run and manage an Entativa node.")
    parser.add_argument("--config", help="path to node.toml (default: $ENTATIVA_CONFIG, else ./node.toml)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("init", help="create the data folder and database, or upgrade them").set_defaults(
        run=cmd_init)
    serve = commands.add_parser("serve", help="run the node")
    serve.add_argument("--workers", type=int, default=1, metavar="N",
                       help="run N web processes on the port (PostgreSQL only; each also drains the queues)")
    serve.add_argument("--shared", action="store_true",
                       help="be one of several processes of this node (PostgreSQL only; --workers starts these)")
    serve.set_defaults(run=cmd_serve)
    commands.add_parser("worker", help="drain the queues and run the scheduler without serving HTTP "
                                       "(PostgreSQL only)").set_defaults(run=cmd_worker)
    user = commands.add_parser("user", help="manage local users").add_subparsers(dest="user_command",
                                                                                   required=True, metavar="ACTION")
    add = user.add_parser("add", help="create a local user")
    add.add_argument("name")
    add.add_argument("--email")
    add.add_argument("--admin", action="store_true")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(run=cmd_user_add)
    off = user.add_parser("disable-2fa", help="turn off a user's two-factor sign-in (lost phone and codes)")
    off.add_argument("name")
    off.set_defaults(run=cmd_user_disable_2fa)
    backup = commands.add_parser("backup", help="copy the database and media, consistently, while serving")
    backup.add_argument("dest")
    backup.set_defaults(run=cmd_backup)
    emoji = commands.add_parser("emoji", help="manage the node's custom emoji").add_subparsers(
        dest="emoji_command", required=True, metavar="ACTION")
    emoji_add = emoji.add_parser("add", help="add a custom emoji (PNG, GIF or WebP, at most 256 KB)")
    emoji_add.add_argument("shortcode")
    emoji_add.add_argument("file")
    emoji_add.add_argument("--category")
    emoji_add.set_defaults(run=cmd_emoji_add)
    emoji.add_parser("list", help="list the custom emoji").set_defaults(run=cmd_emoji_list)
    emoji_remove = emoji.add_parser("remove", help="remove a custom emoji")
    emoji_remove.add_argument("shortcode")
    emoji_remove.set_defaults(run=cmd_emoji_remove)
    media = commands.add_parser("media", help="manage the cached copies of other servers' media").add_subparsers(
        dest="media_command", required=True, metavar="ACTION")
    prune = media.add_parser("prune", help="delete cached remote media files (never local uploads)")
    prune.add_argument("--older-than", type=int, metavar="DAYS",
                       help="copies made more than DAYS days ago (default: media.remote_retention_days)")
    prune.set_defaults(run=cmd_media_prune)
    move = commands.add_parser("migrate-to-postgres",
                               help="copy this node's SQLite database into an empty PostgreSQL database")
    move.add_argument("url", help="postgres://user:password@host:port/database (empty)")
    move.set_defaults(run=cmd_migrate_to_postgres)
    commands.add_parser("check", help="validate the config and print what would run").set_defaults(run=cmd_check)
    commands.add_parser("reindex", help="rebuild the search index from the database").set_defaults(run=cmd_reindex)
    from .cli_content import add_commands

    add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = config_module.load(args.config)
        args.run(config, args)
    except (ConfigError, CliError) as exc:
        print(f"entativa: {exc}", file=sys.stderr)
        return 2
    except MigrationError as exc:
        print(f"entativa: {exc}", file=sys.stderr)
        return 1
    except DomainError as exc:
        print(f"entativa: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0
