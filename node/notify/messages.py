"""What a push or a mail says about notifications: one line per notification ("alice mentioned you") and the
summary of several, read from the stored rows so a job replayed after a crash says the same thing."""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass

from ..i18n import N_, gettext, ngettext
from ..models import Account, Notification, Status
from ..runtime import Node

_SENTENCES = {
    "mention": N_("{who} mentioned you"),
    "status": N_("{who} just posted"),
    "reblog": N_("{who} boosted your post"),
    "follow": N_("{who} followed you"),
    "follow_request": N_("{who} requested to follow you"),
    "favourite": N_("{who} liked your post"),
    "poll": N_("A poll you voted in or created has ended"),
    "update": N_("{who} edited a post you boosted"),
    "admin.sign_up": N_("{who} signed up"),
    "admin.report": N_("{who} filed a report"),
    "take_trend_joined": N_("{who} joined your Take trend"),
    "story_reply": N_("{who} replied to your story"),
    "story_reaction": N_("{who} reacted to your story"),
    "story_mention": N_("{who} mentioned you in their story"),
    "story_sticker_answer": N_("{who} answered a sticker on your story"),
    "story_countdown_ended": N_("A countdown by {who} ended"),
    "e2ee_message": N_("New message from {who}"),  # the text is end-to-end encrypted: the node never has it
    "e2ee_call": N_("{who} is calling you"),  # the caller's clear ring hint; the offer itself is encrypted
}
# The type as a word in a mail's footer and a summary's counts ("2 mention, 1 favourite"): what the type's
# name reads in English, marked so each language has its own.
KIND_WORDS = {
    "mention": N_("mention"), "status": N_("status"), "reblog": N_("reblog"), "follow": N_("follow"),
    "follow_request": N_("follow request"), "favourite": N_("favourite"), "poll": N_("poll"),
    "update": N_("update"), "admin.sign_up": N_("admin.sign up"), "admin.report": N_("admin.report"),
    "take_trend_joined": N_("take trend joined"), "story_reply": N_("story reply"),
    "story_reaction": N_("story reaction"), "story_mention": N_("story mention"),
    "story_sticker_answer": N_("story sticker answer"), "story_countdown_ended": N_("story countdown ended"),
    "e2ee_message": N_("e2ee message"), "e2ee_call": N_("e2ee call"), "all": N_("all"), "digest": N_("digest"),
}


def kind_word(kind: str) -> str:
    """The type as a word in the current language."""
    return gettext(KIND_WORDS[kind]) if kind in KIND_WORDS else kind.replace("_", " ")


_BREAKS = re.compile(r"<br\s*/?>|</p>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Line:
    notification: Notification
    sender: Account | None
    status: Status | None
    title: str
    body: str
    icon: str
    url: str


def plain_text(content: str) -> str:
    """A status's HTML as one line of text (paragraph and line breaks become spaces)."""
    return " ".join(html.unescape(_TAGS.sub("", _BREAKS.sub(" ", content))).split())


def _avatar(node: Node, account: Account | None) -> str:
    if account is None or not account.avatar:
        return node.urls.static("avatar.png")
    return (
        account.avatar
        if account.avatar.startswith(("http://", "https://"))
        else node.urls.media(account.avatar)
    )


async def lines_by_id(node: Node, notification_ids: list[int]) -> dict[int, Line]:
    return {line.notification.id: line for line in await lines(node, notification_ids)}


async def lines(node: Node, notification_ids: list[int]) -> list[Line]:
    """The notifications still stored (a dismissed one is left out), newest first."""
    rows = list(await Notification.filter(id__in=notification_ids).order_by("-id"))
    statuses = {s.id: s for s in await Status.filter(id__in=[n.status_id for n in rows if n.status_id])}
    wanted = {n.from_account_id for n in rows} | {s.account_id for s in statuses.values()}
    accounts = {a.id: a for a in await Account.filter(id__in=list(wanted))}
    made = []
    for n in rows:
        sender = accounts.get(n.from_account_id)
        status = statuses.get(n.status_id) if n.status_id else None
        who = (sender.display_name or sender.acct()) if sender else gettext("Someone")
        title = gettext(_SENTENCES[n.type]).format(who=who) if n.type in _SENTENCES else f"{who}: {n.type}"
        body = (
            plain_text(status.content)[:400]
            if status is not None
            else (f"@{sender.acct()}" if sender else "")
        )
        url = ""
        if status is not None:
            owner = accounts.get(status.account_id)
            url = (
                node.urls.status_page(owner.username, status.id)
                if owner is not None and owner.local
                else (status.url or status.uri or "")
            )
        made.append(
            Line(
                n, sender, status, title, body, _avatar(node, sender), url or f"{node.base_url}/notifications"
            )
        )
    return made


def summary_title(made: list[Line]) -> str:
    """ "3 notifications while you were away: 2 likes, 1 mention"-style headline."""
    counts = Counter(line.notification.type for line in made)
    parts = ", ".join(f"{count} {kind_word(kind)}" for kind, count in counts.most_common())
    total = len(made)
    return ngettext("{total} notification during quiet hours ({parts})",
                    "{total} notifications during quiet hours ({parts})", total).format(total=total, parts=parts)
