"""A small chat CLI: two people, two terminals, two nodes.

    python -m plugins.e2ee.client.cli --node https://a.example login alice       (prompts for the password)
    python -m plugins.e2ee.client.cli --node https://a.example login --code      (OAuth, out-of-band code)
    python -m plugins.e2ee.client.cli chat @bob@b.example
    python -m plugins.e2ee.client.cli group create "Weekend" @bob@b.example @carol | add ID @dan | remove ID @dan
                                      | leave ID | list

The token is kept in the 0600 login file (--login, default ~/.entativa-e2ee-login.json), never typed on a
command line. Senders show as @user@host; what you send is echoed as "you: ...".

Lines you type are sent encrypted to every device of the other person (and your own other devices); their
messages appear as they arrive (over the stream). `/send-file PATH` sends a file (encrypted here, only
ciphertext uploaded); files you receive are decrypted into --downloads and shown as a line. `/timer N` makes
the conversation disappear after N seconds, `/quit` leaves. The device's keys and sessions are kept in --state (default ~/.entativa-e2ee-<acct>.json).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sys
from pathlib import Path
from typing import Any

from . import signin
from .api import ApiError, NodeClient
from .attachments import AttachmentRefused
from .client import E2EEClient, Refused
from .messages import Message
from .store import load, save


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m plugins.e2ee.client.cli", description=__doc__.split("\n")[0])
    parser.add_argument("--node", help="your node's URL, e.g. https://social.example (login remembers it)")
    parser.add_argument("--login", type=Path, help="the 0600 file the token is kept in")
    parser.add_argument("--backend", default="vodozemac", choices=["vodozemac", "olm"])
    parser.add_argument("--state", type=Path, help="where this device's keys and sessions are kept")
    parser.add_argument("--downloads", type=Path, help="where received files are saved (default ~/Downloads/entativa)")
    commands = parser.add_subparsers(dest="command", required=True)
    chat = commands.add_parser("chat", help="chat with someone")
    chat.add_argument("handle", help="@user@host")
    login = commands.add_parser("login", help="sign in (password prompt, or --code for an OAuth code)")
    login.add_argument("username", nargs="?", help="your username or e-mail (password grant)")
    login.add_argument("--code", action="store_true", help="open the authorization page and paste the code")
    group = commands.add_parser("group", help="encrypted groups: create, add, remove, leave, list")
    group.add_argument("action", choices=["create", "add", "remove", "leave", "list"])
    group.add_argument("rest", nargs="*", help="create NAME HANDLE...; add/remove ID HANDLE...; leave ID")
    return parser


def human_size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000  # type: ignore[assignment]
    return str(size)


def free_name(folder: Path, name: str) -> Path:
    """`name` (its last path part only, so a sender cannot aim outside the folder) in `folder`, numbered
    when taken."""
    base = Path(name.replace("\\", "/")).name.lstrip(".") or "file"
    candidate, n = folder / base, 1
    while candidate.exists():
        stem, suffix = Path(base).stem, Path(base).suffix
        candidate, n = folder / f"{stem} ({n}){suffix}", n + 1
    return candidate


async def save_attachment(client: E2EEClient, message: Message, folder: Path) -> str:
    """Download, check and decrypt an attachment into `folder`; the line the CLI shows for it."""
    name, size = str(message.content.get("name") or "file"), int(message.content.get("size") or 0)
    label = f"[{message.content.get('media', 'file')}] {Path(name).name} ({human_size(size)})"
    try:
        data = await client.download(message)
    except (AttachmentRefused, ApiError) as exc:
        return f"{label} could not be opened: {exc}"
    folder.mkdir(parents=True, exist_ok=True)
    path = free_name(folder, name)
    path.write_bytes(data)
    return f"{label} saved to {path}"


async def login(args: argparse.Namespace, ask: Any, session: Any = None) -> int:
    """Sign in and keep the token in the login file; `ask(prompt, secret)` reads an answer (tests pass one)."""
    import aiohttp

    if not args.node:
        print("error: --node is needed to sign in", file=sys.stderr)
        return 2
    node = args.node.rstrip("/")
    own = session is None
    session = session or aiohttp.ClientSession()
    try:
        app = await signin.register_app(session, node)
        if args.code:
            print(f"Open this page, approve, and paste the code it shows:\n{signin.authorize_url(node, app)}")
            token = await signin.token_by_code(session, node, app, (await ask("code: ", False)).strip())
        else:
            username = args.username or (await ask("username: ", False)).strip()
            token = await signin.token_by_password(session, node, app, username, await ask("password: ", True))
        path = args.login or signin.default_path()
        signin.save_login(path, node, token)
        me = await NodeClient(node, token, session).me()
        print(f"signed in as {signin.handle_of(me.get('url') or '') if me.get('url') else me['acct']}; token kept in {path}")
        return 0
    except ApiError as exc:
        print(f"error: not signed in: {exc.error}", file=sys.stderr)
        return 1
    finally:
        if own:
            await session.close()


def credentials(args: argparse.Namespace) -> tuple[str, str] | None:
    saved = signin.load_login(args.login or signin.default_path())
    if saved is None:
        print("error: not signed in: run `login` first", file=sys.stderr)
        return None
    return (args.node or saved["node"]).rstrip("/"), saved["token"]


async def group_command(args: argparse.Namespace, session: Any = None) -> int:
    found = credentials(args)
    if found is None:
        return 2
    api = NodeClient(*found, session)
    try:
        async def ids(handles: list[str]) -> list[str]:
            return [str((await api.lookup(h.lstrip("@")))["id"]) for h in handles]

        rest = args.rest
        if args.action == "list":
            for g in await api.groups():
                print(f"{g['id']}  {g.get('name') or '(no name)'}  {len(g.get('members') or [])} members")
            return 0
        if args.action == "create" and rest:
            g = await api.create_group(await ids(rest[1:]), name=rest[0])
            print(f"created group {g['id']} {g.get('name')!r}")
            return 0
        if args.action in ("add", "remove") and len(rest) >= 2:
            for account_id in await ids(rest[1:]):
                if args.action == "add":
                    await api.add_members(rest[0], [account_id])
                else:
                    await api.remove_member(rest[0], account_id)
            print(f"{'added to' if args.action == 'add' else 'removed from'} group {rest[0]}: {' '.join(rest[1:])}")
            return 0
        if args.action == "leave" and len(rest) == 1:
            await api.remove_member(rest[0], str((await api.me())["id"]))
            print(f"left group {rest[0]}")
            return 0
        print(f"error: usage: group {args.action} " + {"create": "NAME HANDLE...", "add": "ID HANDLE...",
              "remove": "ID HANDLE...", "leave": "ID"}.get(args.action, ""), file=sys.stderr)
        return 2
    except ApiError as exc:
        print(f"error: {exc.error}", file=sys.stderr)
        return 1
    finally:
        await api.close()


async def chat(args: argparse.Namespace, lines: asyncio.Queue[str | None], session: Any = None) -> int:
    """Run one chat until /quit or end of input; `session` is an aiohttp session to use (tests)."""
    found = credentials(args)
    if found is None:
        return 2
    node, token = found
    api = NodeClient(node, token, session)
    client = E2EEClient(api, args.backend)
    key = hashlib.sha256(token.encode()).digest()
    try:
        me = await api.me()
        state = args.state or Path.home() / f".entativa-e2ee-{me['acct']}.json"
        if not load(client, state, key):
            await client.setup()
        downloads = args.downloads or Path.home() / "Downloads" / "entativa"
        peer = await api.lookup(args.handle.lstrip("@"))
        peer_id = str(peer["id"])
        print(f"chatting with {peer['acct']} as {me['acct']} (device {client.device_id}); /quit to leave")

        async def show() -> None:
            for message in await client.receive():
                who = "you (other device)" if message.sender == client.my_uri else signin.handle_of(message.sender)
                if message.type == "text":
                    print(f"{who}: {message.text}")
                elif message.type == "attachment":
                    print(f"{who}: {await save_attachment(client, message, downloads)}")
                elif message.type == "timer":
                    print(f"{who} set messages to disappear after {message.content.get('seconds')} s")
                else:
                    print(f"{who} [{message.type}] {message.content}")
            save(client, state, key)

        async def listen() -> None:
            async with api.stream() as ws:
                async for frame in ws:
                    data = frame.json()
                    if data.get("event") == "encrypted_message":
                        await show()
                    elif data.get("event") == "e2ee.typing":
                        print("(typing...)")

        listener = asyncio.get_running_loop().create_task(listen())
        await show()
        while (line := await lines.get()) is not None:
            line = line.strip()
            if not line:
                continue
            if line == "/quit":
                break
            try:
                if line.startswith("/send-file "):
                    path = Path(line.split(" ", 1)[1].strip()).expanduser()
                    await client.send_file(peer_id, path.read_bytes(), path.name)
                    print(f"sent {path.name} ({human_size(path.stat().st_size)})")
                elif line.startswith("/timer "):
                    await client.send(peer_id, "timer", seconds=int(line.split()[1]))
                else:
                    await client.send_text(peer_id, line)
                    print(f"you: {line}")  # echoed once sent: what the other side will read
            except (Refused, ApiError, ValueError, OSError) as exc:
                print(f"not sent: {exc}")
            save(client, state, key)
        listener.cancel()
        return 0
    except ApiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        await api.close()


async def _stdin(lines: asyncio.Queue[str | None]) -> None:
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            await lines.put(None)
            return
        await lines.put(line)


async def _main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    lines: asyncio.Queue[str | None] = asyncio.Queue()
    reader = asyncio.get_running_loop().create_task(_stdin(lines))
    if args.command == "login":
        async def ask(prompt: str, secret: bool) -> str:
            import getpass

            if secret:
                return await asyncio.get_running_loop().run_in_executor(None, getpass.getpass, prompt)
            print(prompt, end="", flush=True)
            line = await lines.get()
            return line or ""
    try:
        if args.command == "login":
            return await login(args, ask)
        if args.command == "group":
            return await group_command(args)
        return await chat(args, lines)
    finally:
        reader.cancel()


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(_main(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    raise SystemExit(main())
