"""What a plugin may touch: `hookimpl`, the `NodeApi` facade each plugin receives, and the plain records
(AccountInfo, StatusInfo, Job) it sees instead of the node's models.

This module is the stable surface: plugins import it (and `federation/` helpers), never other node modules.
Everything here keeps its meaning across node versions; the models and services behind it may change.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy

from .api.bodies import accepts_upload  # noqa: F401 - a route that takes a body larger than 1 MiB
from .api.endpoint import ANY, FILE, ID, OBJECT, PAGE, endpoint, required  # noqa: F401 - routes declare with these
from .api.params import read_form  # noqa: F401 - a posted form, malformed ones a 400
from .hookspecs import PROJECT
from .models.base import parse_id  # noqa: F401 - part of the plugin surface: a client-given id or None

if TYPE_CHECKING:
    from .runtime import Node

_mark = pluggy.HookimplMarker(PROJECT)
# Hook functions by defining module: a plugin's `models` function stays found after `from .models import X`
# has replaced the package attribute of that name with the submodule.
_DEFINED: dict[str, dict[str, Callable[..., Any]]] = {}


def hookimpl(function: Callable[..., Any] | None = None, **options: bool) -> Any:
    """Marks a function as a hook implementation; options as pluggy's (tryfirst=True, trylast=True)."""

    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        marked = _mark(fn, **options)
        _DEFINED.setdefault(fn.__module__, {})[fn.__name__] = marked
        return marked

    return mark(function) if function is not None else mark


def hook_functions(module: Any) -> dict[str, Callable[..., Any]]:
    """A plugin module's hook implementations: those defined in it and those it imported."""
    marker = f"{PROJECT}_impl"
    imported = {name: value for name, value in vars(module).items() if callable(value) and hasattr(value, marker)}
    return {**imported, **_DEFINED.get(module.__name__, {})}
T = TypeVar("T")

# Mastodon's notification types: clients drop or choke on others, so plugins pick from these.
NOTIFICATION_TYPES = frozenset({"mention", "status", "reblog", "follow", "follow_request", "favourite", "poll",
                                "update", "admin.sign_up", "admin.report", "e2ee_message", "e2ee_call"})


@dataclass(frozen=True)
class AccountInfo:
    """An account as plugins see it; `domain` is "" for accounts on this node."""

    id: int
    username: str
    domain: str
    acct: str
    display_name: str
    uri: str | None
    url: str | None
    locked: bool
    bot: bool
    created_at: datetime | None

    @property
    def local(self) -> bool:
        return self.domain == ""


@dataclass(frozen=True)
class StatusInfo:
    """A status as plugins see it: `text` is the source as typed (local statuses), `content` sanitised HTML."""

    id: int
    account_id: int
    text: str
    content: str
    visibility: str
    uri: str | None
    url: str | None
    in_reply_to_id: int | None
    local: bool
    created_at: datetime | None


@dataclass(frozen=True)
class Job:
    """A periodic job: the scheduler calls `run(api)` every `every_seconds`; tests call it directly."""

    name: str
    run: Callable[[NodeApi], Awaitable[Any]]
    every_seconds: int


def account_info(account: Any) -> AccountInfo:
    return AccountInfo(id=account.id, username=account.username, domain=account.domain, acct=account.acct(),
                       display_name=account.display_name, uri=account.uri, url=account.url,
                       locked=account.locked, bot=account.bot, created_at=account.created_at)


def status_info(status: Any) -> StatusInfo:
    return StatusInfo(id=status.id, account_id=status.account_id, text=status.text, content=status.content,
                      visibility=status.visibility, uri=status.uri, url=status.url,
                      in_reply_to_id=status.in_reply_to_id, local=status.local, created_at=status.created_at)


def public_value(value: Any) -> Any:
    """An event payload value as plugins receive it: accounts and statuses as their Info records, any other
    stored record as a read-only mapping of its column values (ids included), everything else unchanged."""
    from tortoise.models import Model

    from .models import Account, Status

    if isinstance(value, Account):
        return account_info(value)
    if isinstance(value, Status):
        return status_info(value)
    if isinstance(value, Model):
        return MappingProxyType({name: getattr(value, name) for name in value._meta.db_fields})
    return value


class NodeApi:
    """One plugin's handle on the node. Created when the plugin loads; the lookups and actions work once the
    node has started (from `startup` on, and in routes, jobs, event handlers and vetoes)."""

    def __init__(self, name: str, settings: Mapping[str, Any], *, node_name: str, base_url: str, data_dir: Path,
                 theme: str) -> None:
        self.name = name
        self.settings: Mapping[str, Any] = MappingProxyType(dict(settings))
        self.node_name = node_name  # the node's display name ([node] name)
        self.base_url = base_url.rstrip("/")
        self.log = logging.getLogger(f"entativa.plugins.{name}")
        self._data_dir = data_dir / "plugins" / name
        self._theme = theme
        self._template_folder: Path | None = None
        self._node: Node | None = None
        self._templates: Any = None

    def now(self) -> datetime:
        """The node's clock (UTC): read it instead of datetime.now() so tests move time instead of sleeping."""
        return self._node.clock.now() if self._node is not None else datetime.now(UTC)

    # ---- where things are ----------------------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        """This plugin's own folder under the node's data folder (made on first use)."""
        self._data_dir.mkdir(parents=True, exist_ok=True)
        return self._data_dir

    def url(self, path: str) -> str:
        """The node's absolute URL for `path` ("/welcome" -> "https://social.example/welcome")."""
        return f"{self.base_url}/{path.lstrip('/')}"

    def static_url(self, path: str) -> str:
        """The URL of a file in this plugin's static folder."""
        return self.url(f"plugins/{self.name}/static/{path.lstrip('/')}")

    # ---- reading -------------------------------------------------------------------------------------------

    async def get_account(self, account_id: int | str) -> AccountInfo | None:
        """Any known account (local or remote) by id, or None."""
        from .errors import NotFound
        from .services import accounts

        self._running()
        try:
            return account_info(await accounts.get_account(account_id))
        except NotFound:
            return None

    async def get_accounts(self, account_ids: Iterable[int | str]) -> dict[str, AccountInfo]:
        """Many accounts in one query, keyed by the id as given (a string); unknown ids are left out."""
        from .models import Account

        self._running()
        wanted = {str(v): key for v in account_ids if (key := parse_id(v)) is not None}
        found: dict[int, AccountInfo] = {}
        keys = list(set(wanted.values()))
        fields = ("id", "username", "domain", "display_name", "uri", "url", "locked", "bot", "created_at")
        for start in range(0, len(keys), 500):  # stay under every driver's bound-parameter limit
            # Plain rows, not models: a 1,500-member group reads its accounts several times per key share.
            for row in await Account.filter(id__in=keys[start:start + 500], suspended_at=None).values(*fields):
                acct = row["username"] if row["domain"] == "" else f"{row['username']}@{row['domain']}"
                found[row["id"]] = AccountInfo(acct=acct, **row)
        return {given: found[key] for given, key in wanted.items() if key in found}

    async def find_local_account(self, username: str) -> AccountInfo | None:
        """A local account by username (any case), or None."""
        from .errors import NotFound
        from .services import accounts

        self._running()
        try:
            return account_info(await accounts.local_account(username))
        except NotFound:
            return None

    async def admin_accounts(self) -> list[AccountInfo]:
        """The local accounts whose users are admins, oldest first."""
        from .models import Account

        self._running()
        return [account_info(a) for a in await Account.filter(domain="", user__admin=True,
                                                              suspended_at=None).order_by("id")]

    async def get_status(self, status_id: int | str) -> StatusInfo | None:
        """A status by id, or None."""
        from .models import Status

        self._running()
        if (key := parse_id(status_id)) is None:
            return None
        status = await Status.filter(id=key).first()
        return status_info(status) if status is not None else None

    # ---- acting --------------------------------------------------------------------------------------------

    async def post_status(self, account_id: int, text: str, *, visibility: str = "public",
                          in_reply_to_id: int | None = None) -> StatusInfo:
        """Post `text` as a local account, exactly as if its owner had (mentions notify, followers see it,
        vetoes apply). Errors are the node's domain errors (ValidationFailed, Forbidden, NotFound)."""
        from .services import accounts, statuses

        node = self._running()
        account = await accounts.get_account(account_id)
        draft = statuses.Draft(text=text, visibility=visibility, in_reply_to_id=in_reply_to_id)
        status = await statuses.create_status(node, account, draft)
        return status_info(status)

    async def notify(self, recipient_id: int, sender_id: int, kind: str = "mention",
                     status_id: int | None = None, *, subject: int | str | None = None) -> bool:
        """Give a local account a notification of one of Mastodon's types (or `e2ee_message`); False when the
        recipient is not local or has muted/blocked the sender (as every notification on the node).
        `subject` is what a grouping type groups on (e2ee_message: the sender)."""
        from .models import Status
        from .services import notifications

        if kind not in NOTIFICATION_TYPES:
            raise ValueError(f"notification type must be one of {', '.join(sorted(NOTIFICATION_TYPES))}")
        node = self._running()
        status = await Status.filter(id=status_id).first() if status_id is not None else None
        return await notifications.notify(node, recipient_id, kind, sender_id, status, subject=subject) is not None

    async def stream(self, account_id: int, event: str, payload: Any = None) -> None:
        """Send an event to a local account's open `user` streams (Mastodon's streaming API). `event` must be
        a new name (`<plugin>.<what>`), so Mastodon apps ignore it; `payload` is JSON-able (sent as JSON text)."""
        from . import streaming

        if event in streaming.MASTODON_EVENTS or "." not in event:
            raise ValueError("streaming events of plugins need their own dotted name, e.g. 'myplugin.changed'")
        await streaming.publish(self._running(), streaming.user_channel(account_id), event, payload)

    async def run_blocking(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run blocking or CPU-heavy work in the node's executor, off the event loop."""
        return await self._running().run_blocking(fn, *args, **kwargs)

    def render(self, template: str, **context: Any) -> str:
        """Render a template from this plugin's template folder, which may extend the active theme's."""
        if self._templates is None:
            self._templates = self._environment()
        return self._templates.get_template(template).render(api=self, **context)

    # ---- requests and federation (for plugins with their own API and activity types, e.g. E2EE) --------------

    async def authenticate(self, request: Any, scope: str | None = None) -> AccountInfo:
        """The account a request's bearer token (or session) acts for; raises the node's 401/403 errors,
        which answer {"error": ...} as every API route does."""
        from .api.auth import require_account

        self._running()
        return account_info(await require_account(request, scope))

    async def resolve_account(self, handle: str) -> AccountInfo | None:
        """An account by `user@host` (WebFinger and its actor fetched if unknown) or by actor URI, or None."""
        from .activitypub import resolve
        from .activitypub.actors import fetch_actor
        from .errors import DomainError

        node = self._running()
        try:
            if handle.startswith(("http://", "https://")):
                return account_info(await fetch_actor(node, handle))
            return account_info(await resolve.resolve_acct(node, handle))
        except DomainError:
            return None

    async def fetch_document(self, url: str) -> dict[str, Any]:
        """GET an ActivityStreams document, signed by the instance actor (authorized fetch), through the
        node's guarded client; raises federation.client.FetchError on any failure."""
        from .activitypub import state

        fed = state.of(self._running())
        return await fed.client.get_activity(url, sign_with=fed.instance_key)

    async def post_document(self, url: str, document: Mapping[str, Any]) -> tuple[int, Any]:
        """POST a JSON document now (not queued), signed by the instance actor; returns (status, JSON body
        or None). Raises federation.client.FetchError when the server cannot be reached."""
        import json

        from .activitypub import state

        fed = state.of(self._running())
        response = await fed.client.request(
            "POST", url, headers={"Content-Type": "application/activity+json", "Accept": "application/activity+json"},
            body=json.dumps(document).encode(), sign_with=fed.instance_key)
        try:
            return response.status, response.json()
        except ValueError:
            return response.status, None

    @asynccontextmanager
    async def stream_as(self, url: str, account_id: int, *, max_bytes: int,
                        accept: str = "application/octet-stream") -> AsyncIterator[Any]:
        """GET `url` signed by local account `account_id` (the other server checks who asks, e.g. a
        conversation member), through the node's guarded client, the body read piece by piece: use as
        `async with api.stream_as(...) as r:` then `r.status` and `async for chunk in r.chunks()` (at most
        `max_bytes`). Raises federation.client.FetchError when unreachable or larger than the cap."""
        from .activitypub import delivery, state

        node = self._running()
        signer = (await delivery.signing_keys(node, {account_id})).get(account_id)
        if signer is None:
            raise ValueError(f"account {account_id} is not a local account with a key")
        async with state.of(node).client.stream_get(url, headers={"Accept": accept}, sign_with=signer,
                                                    max_bytes=max_bytes) as response:
            yield response

    async def verify_request(self, request: Any, body: bytes) -> str | None:
        """The actor URI whose HTTP signature (cavage or RFC 9421) authenticates `request`, or None."""
        from federation.signatures import SignatureError

        from .activitypub import state
        from .errors import DomainError

        node = self._running()
        verifier = state.of(node).verifier
        if verifier is None:
            return None
        try:
            return (await verifier.verify_request(request, body, scheme=node.config.node.scheme)).owner
        except (SignatureError, DomainError):
            return None

    async def inboxes_of(self, account_ids: list[int]) -> dict[int, str]:
        """The inbox to deliver to for each remote account (its server's shared inbox if it has one)."""
        from .models import Account

        self._running()
        rows = await Account.filter(id__in=list(account_ids)).exclude(domain="")
        return {a.id: a.shared_inbox_url or a.inbox_url for a in rows if a.shared_inbox_url or a.inbox_url}

    async def deliver(self, account_id: int, activity: Mapping[str, Any], inboxes: list[str]) -> int:
        """Queue `activity` (it needs a unique "id"), signed by local account `account_id`, for each inbox in
        the node's persisted delivery queue (retried with backoff, survives restarts); returns how many
        deliveries were queued (0 when federation is off)."""
        from .activitypub import delivery
        from .models import Account

        node = self._running()
        signer = await Account.get(id=account_id, domain="")
        return await delivery.enqueue(node, signer, dict(activity), inboxes)

    async def forget_activity(self, uri: str) -> int:
        """Delete every stored copy of activity `uri` (sent and received, with pending deliveries): for content
        that must not outlive its expiry. Returns how many rows went."""
        from .models import Delivery, InboxActivity, OutboxActivity

        self._running()
        removed = 0
        for outbox in await OutboxActivity.filter(uri=uri):
            removed += await Delivery.filter(activity_id=outbox.id).delete()
            removed += await OutboxActivity.filter(id=outbox.id).delete()
        removed += await InboxActivity.filter(activity_uri=uri).delete()
        return removed

    # ---- internals (the node's plugin manager calls these) -------------------------------------------------

    def _bind(self, node: Node | None) -> None:
        self._node = node

    def _running(self) -> Node:
        if self._node is None:
            raise RuntimeError(f"plugin {self.name!r}: the node has not started yet (use the startup hook)")
        return self._node

    def _environment(self) -> Any:
        import jinja2

        from .web.themes import make_environment

        env = make_environment(self._theme)
        if self._template_folder is not None:
            env.loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(self._template_folder)), env.loader])
        return env
