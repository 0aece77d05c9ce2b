"""Mail over SMTP ([mail] in node.toml): notification mails, quiet-hours summaries, digests, sign-up
confirmation and password reset, each HTML + plain text from the theme's mail/ templates, with a signed
one-click unsubscribe link and List-Unsubscribe headers (RFC 2369, RFC 8058) on notification mails.

Every mail is a persisted job (ChannelJob, channel "email"); the worker sends it and, on failure, retries
with backoff and gives up after GIVE_UP. The notification itself is never touched by a failed mail."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import aiosmtplib
import jinja2

from .. import i18n
from ..activitypub.delivery import backoff
from ..models import Account, ChannelJob, User
from ..runtime import Node
from ..web.themes import install_gettext, theme_dirs
from . import links, messages
from .state import of as channels_of

log = logging.getLogger(__name__)

BATCH = 100
GIVE_UP = timedelta(hours=72)
CONFIRM_FOR = timedelta(days=7)
RESET_FOR = timedelta(hours=2)
SMTP_TIMEOUT = 30.0
_ENVIRONMENTS: dict[str, jinja2.Environment] = {}


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str
    unsubscribe_url: str = ""


def _environment(theme: str) -> jinja2.Environment:
    if theme not in _ENVIRONMENTS:
        _ENVIRONMENTS[theme] = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(p / "mail") for p in theme_dirs(theme, "templates")]),
            autoescape=jinja2.select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
            extensions=["jinja2.ext.i18n"],
        )
        install_gettext(_ENVIRONMENTS[theme])
    return _ENVIRONMENTS[theme]


def render(node: Node, name: str, **context: object) -> tuple[str, str]:
    """The (plain text, HTML) pair of mail template `name` in the node's theme."""
    env = _environment(node.config.node.theme)
    context = {"node_name": node.config.node.name, "base_url": node.base_url, "ui_locale": i18n.current(),
               **context}
    return env.get_template(f"{name}.txt").render(**context), env.get_template(f"{name}.html").render(
        **context
    )


def unsubscribe_url(node: Node, account_id: int, kind: str) -> str:
    token = links.sign(channels_of(node).link_secret, "unsubscribe", a=account_id, k=kind)
    return f"{node.base_url}/unsubscribe?token={token}"


def confirm_url(node: Node, user: User, issued: datetime) -> str:
    """The link that proves an address: the sign-up's, or a new one waiting to replace it."""
    token = links.sign(
        channels_of(node).link_secret,
        "confirm",
        u=user.id,
        e=user.unconfirmed_email or user.email,
        exp=int((issued + CONFIRM_FOR).timestamp()),
    )
    return f"{node.base_url}/auth/confirm?token={token}"


def reset_url(node: Node, user: User, issued: datetime) -> str:
    token = links.sign(
        channels_of(node).link_secret,
        "reset",
        u=user.id,
        f=links.password_fingerprint(user.password_hash),
        exp=int((issued + RESET_FOR).timestamp()),
    )
    return f"{node.base_url}/auth/reset?token={token}"


async def compose(node: Node, job: ChannelJob) -> Mail | None:
    """The mail a job sends, built from what is stored now (None when there is nothing left to say), in the
    language the recipient chose for the site (English when they left it to their browser: a mail has none)."""
    user = await User.filter(account_id=job.account_id).first()
    account = await Account.filter(id=job.account_id).first()
    if user is None or account is None or not user.email:
        return None
    with i18n.using(user.ui_locale):
        return await _compose(node, job, user, account)


async def _compose(node: Node, job: ChannelJob, user: User, account: Account) -> Mail | None:
    _ = i18n.gettext
    name = node.config.node.name
    if job.kind == "confirm":
        text, html = render(node, "confirm", account=account, url=confirm_url(node, user, job.created_at))
        subject = _("Confirm your email address for {name}").format(name=name)
        return Mail(user.unconfirmed_email or user.email, subject, text, html)
    if job.kind == "reset":
        text, html = render(node, "reset", account=account, url=reset_url(node, user, job.created_at))
        return Mail(user.email, _("Reset your password on {name}").format(name=name), text, html)
    if job.kind == "archive":
        text, html = render(node, "archive", account=account, url=f"{node.base_url}/settings/export")
        return Mail(user.email, _("Your archive from {name} is ready").format(name=name), text, html)
    if job.kind == "signup_attempt":
        text, html = render(node, "signup_attempt", account=account, signin_url=f"{node.base_url}/login",
                            reset_url=f"{node.base_url}/auth/password")
        return Mail(user.email, _("Someone tried to sign up on {name} with your address").format(name=name), text,
                    html)
    lines = await messages.lines(node, job.notification_ids)
    if not lines:
        return None
    if job.kind == "notification":
        kind = lines[0].notification.type
        subject = lines[0].title
    elif job.kind == "summary":
        kind, subject = "all", messages.summary_title(lines)
    else:
        kind, subject = (
            "digest",
            i18n.ngettext("Your {count} notification on {name}", "Your {count} notifications on {name}",
                          len(lines)).format(count=len(lines), name=name),
        )
    unsubscribe = unsubscribe_url(node, job.account_id, kind)
    text, html = render(
        node,
        "notifications",
        account=account,
        lines=lines,
        heading=subject,
        kind=job.kind,
        unsubscribe_url=unsubscribe,
        settings_url=f"{node.base_url}/settings/notifications",
        type_name=messages.kind_word(kind),
    )
    return Mail(user.email, subject, text, html, unsubscribe)


def message_for(node: Node, mail: Mail, now: datetime) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = node.config.mail.sender
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain=node.config.node.domain.split(":")[0])
    msg["Auto-Submitted"] = "auto-generated"
    if mail.unsubscribe_url:
        msg["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(mail.text)
    msg.add_alternative(mail.html, subtype="html")
    return msg


async def send(node: Node, message: EmailMessage) -> None:
    cfg = node.config.mail
    await aiosmtplib.send(
        message,
        hostname=cfg.smtp_host,
        port=cfg.smtp_port,
        username=cfg.username or None,
        password=cfg.password or None,
        use_tls=cfg.tls,
        start_tls=cfg.starttls,
        timeout=SMTP_TIMEOUT,
    )


async def queue_account_mail(node: Node, user: User, kind: str, now: datetime | None = None) -> None:
    """Queue a confirmation ("confirm") or password reset ("reset") mail; the worker sends it."""
    now = now or datetime.now(UTC)
    await ChannelJob.create(
        account_id=user.account_id, channel="email", kind=kind, due_at=now, created_at=now
    )


def _permanent(exc: Exception) -> bool:
    """A 5xx answer to the recipient means the address will not take mail; anything else may pass later."""
    return isinstance(exc, aiosmtplib.SMTPRecipientsRefused) or (
        isinstance(exc, aiosmtplib.SMTPResponseException)
        and 500 <= exc.code < 600
        and not isinstance(exc, aiosmtplib.SMTPAuthenticationError)
    )


async def run_once(node: Node, now: datetime | None = None) -> int:
    """Send the mail jobs due at `now`, one SMTP session each; returns how many were attempted."""
    now = now or datetime.now(UTC)
    if not node.config.mail.smtp_host:
        return 0
    jobs = list(
        await ChannelJob.filter(channel="email", state="pending", due_at__lte=now)
        .order_by("due_at", "id")
        .limit(BATCH)
    )
    for job in jobs:
        try:
            mail = await compose(node, job)
            if mail is not None:
                await send(node, message_for(node, mail, now))
        except Exception as exc:  # noqa: BLE001 - a failed mail is retried, never lost
            reason = str(exc)[:500]
            if _permanent(exc):
                state, due = "failed", job.due_at
            elif now - job.created_at >= GIVE_UP:
                state, due = "given_up", job.due_at
            else:
                state, due = "pending", now + timedelta(seconds=backoff(job.attempts + 1))
            log.info("mail for account %s failed: %s", job.account_id, reason)
            await ChannelJob.filter(id=job.id).update(
                state=state, due_at=due, attempts=job.attempts + 1, last_error=reason
            )
            continue
        await ChannelJob.filter(id=job.id).update(state="sent", attempts=job.attempts + 1, last_error="")
    return len(jobs)


async def drain(node: Node, now: datetime | None = None) -> int:
    total = 0
    while attempted := await run_once(node, now):
        total += attempted
    return total
