"""The welcome plugin: greets every new local account with a message from the node, and refuses sign-ups
from email domains the operator blocked. docs/plugins.md walks through it line by line.

How it fits together: the `account.created` event records a pending Greeting row (cheap, in the sign-up's
own request); a job sends pending greetings every minute as a status from the greeter account, so a slow
or failed greeting never holds up a sign-up and nothing is lost across a restart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

from node.plugin_api import AccountInfo, Job, NodeApi, hookimpl

HERE = Path(__file__).parent
VISIBILITIES = ("public", "unlisted", "private", "direct")
BATCH = 50  # greetings sent per job run, so one run stays short however many people joined


@hookimpl
def settings() -> dict:
    return {
        "greeter": "",  # username of the local account that greets; "" = the oldest admin
        "message": "Welcome to {node}, @{username}! Say hello and tell us what you are into.",
        "visibility": "direct",  # of the greeting status: "direct" reaches only the newcomer
        "blocked_email_domains": [],  # sign-ups with an email at these domains are refused
    }


@hookimpl
def models() -> list[str]:
    return [".models"]


@hookimpl
def template_folder() -> Path:
    return HERE / "templates"


@hookimpl
def static_folder() -> Path:
    return HERE / "static"


@hookimpl
def startup(api: NodeApi) -> None:
    # Settings are type-checked by the node; what their values may be is this plugin's to check.
    if api.settings["visibility"] not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}, got {api.settings['visibility']!r}")
    try:
        api.settings["message"].format(node="", username="")
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"message may use {{node}} and {{username}} only ({exc!r})") from None


@hookimpl
def events(api: NodeApi) -> dict:
    from .models import Greeting

    async def remember_newcomer(account: AccountInfo) -> None:
        if account.local:
            await Greeting.get_or_create(account_id=account.id)

    return {"account.created": remember_newcomer}


@hookimpl
def jobs(api: NodeApi) -> list[Job]:
    return [Job("send greetings", send_greetings, every_seconds=60)]


async def greeter_of(api: NodeApi) -> AccountInfo | None:
    """The account greetings come from: the configured one, else the oldest admin."""
    if api.settings["greeter"]:
        return await api.find_local_account(api.settings["greeter"])
    admins = await api.admin_accounts()
    return admins[0] if admins else None


async def send_greetings(api: NodeApi) -> int:
    """Greet everyone waiting; returns how many were greeted (tests call this directly)."""
    from .models import Greeting

    greeter = await greeter_of(api)
    if greeter is None:
        api.log.warning("no greeter account (set [plugins.welcome] greeter or make an admin); greetings wait")
        return 0
    sent = 0
    for greeting in await Greeting.filter(sent_at=None).order_by("id").limit(BATCH):
        newcomer = await api.get_account(greeting.account_id)
        if newcomer is None or newcomer.id == greeter.id:  # gone since, or the greeter itself
            await Greeting.filter(id=greeting.id).delete()
            continue
        text = api.settings["message"].format(node=api.node_name, username=newcomer.username)
        if f"@{newcomer.username}" not in text:  # a direct status reaches only the accounts it mentions
            text = f"@{newcomer.username} {text}"
        status = await api.post_status(greeter.id, text, visibility=api.settings["visibility"])
        greeting.sent_at, greeting.status_id = datetime.now(UTC), status.id
        await greeting.save(update_fields=["sent_at", "status_id"])
        sent += 1
    return sent


@hookimpl
def may_register(api: NodeApi, email: str) -> str | None:
    domain = email.rpartition("@")[2].lower()
    blocked = {d.lower().lstrip("@") for d in api.settings["blocked_email_domains"]}
    if domain in blocked:
        return f"Sign-ups from {domain} addresses are not accepted here"
    return None


@hookimpl
def routes(api: NodeApi) -> web.RouteTableDef:
    from .models import Greeting

    routes = web.RouteTableDef()

    @routes.get("/welcome")
    async def welcome_page(request: web.Request) -> web.Response:
        """The welcome page: what newcomers are told and who greets them."""
        greeter = await greeter_of(api)
        message = api.settings["message"].format(node=api.node_name, username="you")
        html = api.render("welcome/page.html", node={"name": api.node_name}, me=None, csrf_token="",
                          request_path=request.path, message=message, greeter=greeter,
                          greeted=await Greeting.exclude(sent_at=None).count())
        return web.Response(text=html, content_type="text/html")

    return routes
