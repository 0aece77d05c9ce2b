"""A small chat CLI: two people, two terminals, two nodes.

    python -m plugins.e2ee.client.cli --node https://a.example --token T chat @bob@b.example

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

from .api import ApiError, NodeClient
from .attachments import AttachmentRefused
from .client import E2EEClient, Refused
from .messages import Message
from .store import load, save


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m plugins.e2ee.client.cli", description=__doc__.split("\n")[0])
    parser.add_argument("--node", required=True, help="your node's URL, e.g. https://social.example")
    parser.add_argument("--token", required=True, help="an access token with the crypto scope")
    parser.add_argument("--backend", default="vodozemac", choices=["vodozemac", "olm"])
    parser.add_argument("--state", type=Path, help="where this device's keys and sessions are kept")
    parser.add_argument("--downloads", type=Path, help="where received files are saved (default ~/Downloads/entativa)")
    commands = parser.add_subparsers(dest="command", required=True)
    chat = commands.add_parser("chat", help="chat with someone")
    chat.add_argument("handle", help="@user@host")
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


async def chat(args: argparse.Namespace, lines: asyncio.Queue[str | None], session: Any = None) -> int:
    """Run one chat until /quit or end of input; `session` is an aiohttp session to use (tests)."""
    api = NodeClient(args.node, args.token, session)
    client = E2EEClient(api, args.backend)
    key = hashlib.sha256(args.token.encode()).digest()
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
                who = "you (other device)" if message.sender == client.my_uri else message.sender
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
    try:
        return await chat(args, lines)
    finally:
        reader.cancel()


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(_main(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    raise SystemExit(main())
