"""`entativa announcement ...` and `entativa rule ...`: what the web admin area does for announcements and
server rules, from a shell (through the same services; a running node's open apps get the announcement
events only from the process that publishes them, so a CLI change reaches them on their next refresh)."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from typing import Any

from .config import Config


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        from .cli import CliError

        raise CliError(f"{value!r} is not a date and time (use e.g. 2026-12-24T18:00)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _run(config: Config, work: Any) -> Any:
    from .cli import _with_node

    return asyncio.run(_with_node(config, work))


def cmd_announcement_add(config: Config, args: argparse.Namespace) -> None:
    from .services import announcements

    spec = announcements.AnnouncementSpec(
        text=args.text,
        starts_at=_moment(args.starts_at),
        ends_at=_moment(args.ends_at),
        all_day=args.all_day,
        published=not args.draft,
    )
    row = _run(config, lambda node: announcements.create(node, spec))
    print(f"Announcement {row.id} {'saved as a draft' if args.draft else 'published'}")


def cmd_announcement_list(config: Config, _args: argparse.Namespace) -> None:
    from .services import announcements

    for row in _run(config, lambda _node: announcements.everything()):
        state = "published" if row.published else "draft"
        print(f"{row.id}  {state:<9}  {row.text[:70].replace(chr(10), ' ')}")


def cmd_announcement_delete(config: Config, args: argparse.Namespace) -> None:
    from .services import announcements

    async def delete(node):  # type: ignore[no-untyped-def]
        await announcements.delete(node, await announcements.get(args.id, only_published=False))

    _run(config, delete)
    print(f"Deleted announcement {args.id}")


def cmd_rule_add(config: Config, args: argparse.Namespace) -> None:
    from .services import instance_info

    row = _run(
        config, lambda _node: instance_info.add_rule(instance_info.RuleSpec(text=args.text, hint=args.hint))
    )
    print(f"Rule {row.id} added")


def cmd_rule_list(config: Config, _args: argparse.Namespace) -> None:
    from .services import instance_info

    for number, row in enumerate(_run(config, lambda _node: instance_info.rules()), 1):
        print(f"{number}. {row.text}  (id {row.id})" + (f"\n   {row.hint}" if row.hint else ""))


def cmd_rule_delete(config: Config, args: argparse.Namespace) -> None:
    from .services import instance_info

    async def delete(_node):  # type: ignore[no-untyped-def]
        await instance_info.delete_rule(await instance_info.get_rule(args.id))

    _run(config, delete)
    print(f"Deleted rule {args.id}")


def add_commands(commands: Any) -> None:
    """Add `announcement` and `rule` to the `entativa` parser's subcommands."""
    announcement = commands.add_parser(
        "announcement", help="announcements to every local user"
    ).add_subparsers(dest="announcement_command", required=True, metavar="ACTION")
    add = announcement.add_parser("add", help="publish an announcement (or save a draft)")
    add.add_argument("text")
    add.add_argument("--starts-at", help="when the event it announces starts (ISO 8601; UTC unless given)")
    add.add_argument("--ends-at", help="when it ends")
    add.add_argument("--all-day", action="store_true")
    add.add_argument("--draft", action="store_true", help="save without publishing")
    add.set_defaults(run=cmd_announcement_add)
    announcement.add_parser("list", help="every announcement, newest first").set_defaults(
        run=cmd_announcement_list
    )
    delete = announcement.add_parser("delete", help="delete an announcement")
    delete.add_argument("id")
    delete.set_defaults(run=cmd_announcement_delete)

    rule = commands.add_parser("rule", help="the server rules").add_subparsers(
        dest="rule_command", required=True, metavar="ACTION"
    )
    add = rule.add_parser("add", help="add a rule at the end")
    add.add_argument("text")
    add.add_argument("--hint", default="", help="a longer explanation shown under the rule")
    add.set_defaults(run=cmd_rule_add)
    rule.add_parser("list", help="the rules in order").set_defaults(run=cmd_rule_list)
    delete = rule.add_parser("delete", help="remove a rule")
    delete.add_argument("id")
    delete.set_defaults(run=cmd_rule_delete)
