"""Status text: plain text to the HTML Mastodon renders (paragraphs, links, hashtags, h-card mentions),
the hashtags and mentions found in it, and its length as Mastodon counts it.
"""

from __future__ import annotations

import html
import re
import sqlite3
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

import nh3
from tortoise.expressions import Q

from .. import db
from ..models import Account
from ..runtime import Node

URL_LENGTH = 23  # every link counts as this many characters, as in Mastodon
_URL = r"(?P<url>https?://[^\s<>\"'`]+)"
_TAG = r"(?<![\w/#&])#(?P<tag>\w{1,128})"
_MENTION = r"(?<![\w@/:.])@(?P<user>[A-Za-z0-9_]{1,30})(?:@(?P<domain>[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*(?::\d{1,5})?))?"
TOKENS = re.compile(f"{_URL}|{_TAG}|{_MENTION}")
_TRAILING = ".,;:!?'\""
_ALLOWED_TAGS = {"p", "br", "a", "span"}
_ALLOWED_ATTRIBUTES = {"a": {"href", "rel", "class", "target", "translate"}, "span": {"class", "translate"}}


@dataclass
class Rendered:
    html: str
    tags: list[str] = field(default_factory=list)  # as written, first occurrence of each (case-insensitive)
    mentions: list[Account] = field(default_factory=list)


def _trim_url(url: str) -> str:
    """Drop trailing punctuation and an unbalanced closing bracket, as a reader would."""
    while url and (url[-1] in _TRAILING or (url[-1] == ")" and url.count("(") < url.count(")"))):
        url = url[:-1]
    return url


def _is_tag(name: str) -> bool:
    return not name.isdigit()  # "#1" is a number, not a hashtag


def sanitise(markup: str) -> str:
    return nh3.clean(markup, tags=_ALLOWED_TAGS, attributes=_ALLOWED_ATTRIBUTES, link_rel=None,
                     url_schemes={"http", "https"})


def _link(url: str) -> str:
    scheme, _, rest = url.partition("://")
    shown, hidden = rest[:30], rest[30:]
    return (f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener noreferrer" translate="no">'
            f'<span class="invisible">{html.escape(scheme)}://</span>'
            f'<span class="{"ellipsis" if hidden else ""}">{html.escape(shown)}</span>'
            f'<span class="invisible">{html.escape(hidden)}</span></a>')


def _mention_key(user: str, domain: str | None, local_domain: str) -> tuple[str, str]:
    domain = (domain or "").lower()
    return user.lower(), "" if domain == local_domain else domain


def scan(text: str, local_domain: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Hashtags and (username, domain) mention keys in text, without touching the database."""
    tags: dict[str, str] = {}
    mentions: dict[tuple[str, str], None] = {}
    for match in TOKENS.finditer(text):
        if match["tag"] and _is_tag(match["tag"]):
            tags.setdefault(match["tag"].lower(), match["tag"])
        elif match["user"]:
            mentions[_mention_key(match["user"], match["domain"], local_domain)] = None
    return list(tags.values()), list(mentions)


async def resolve_mentions(keys: list[tuple[str, str]]) -> dict[tuple[str, str], Account]:
    """Known accounts for mention keys, in one query; unknown ones are left as plain text."""
    if not keys:
        return {}
    if db.is_sqlite(Account):
        found = await db.read(_mentioned_rows(keys))
    else:
        query = reduce(or_, (Q(username__iexact=user, domain=domain) for user, domain in keys))
        found = await Account.filter(query, suspended_at=None)
    return {(a.username.lower(), a.domain.lower()): a for a in found}


def _mentioned_rows(keys: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    """The ORM query above as plain SQL (SQLite): building it through the ORM cost about a third of a
    millisecond of event-loop time per post, a fifth of all the work of POST /api/v1/statuses. Mention
    usernames are ASCII, so UPPER compares them as the ORM's iexact does."""
    matches = " OR ".join(["(UPPER(username) = UPPER(?) AND domain = ?)"] * len(keys))
    sql = f"SELECT * FROM accounts WHERE suspended_at IS NULL AND ({matches})"
    values = [part for key in keys for part in key]

    def run(connection: sqlite3.Connection) -> list[Account]:
        cursor = connection.execute(sql, values)
        names = [column[0] for column in cursor.description]
        return [Account._init_from_db(**dict(zip(names, row, strict=True))) for row in cursor.fetchall()]

    return run


def _render_line(node: Node, line: str, accounts: dict[tuple[str, str], Account], local_domain: str) -> str:
    out: list[str] = []
    position = 0
    for match in TOKENS.finditer(line):
        start, end = match.span()
        if match["url"]:
            url = _trim_url(match["url"])
            end = start + len(url)
            piece = _link(url)
        elif match["tag"]:
            if not _is_tag(match["tag"]):
                continue
            name = match["tag"]
            piece = (f'<a href="{html.escape(node.urls.tag(name.lower()))}" class="mention hashtag" rel="tag">'
                     f'#<span>{html.escape(name)}</span></a>')
        else:
            account = accounts.get(_mention_key(match["user"], match["domain"], local_domain))
            if account is None:
                continue
            href = account.url or node.urls.profile(account.username)
            piece = (f'<span class="h-card" translate="no"><a href="{html.escape(href)}" class="u-url mention">'
                     f'@<span>{html.escape(account.username)}</span></a></span>')
        out.append(html.escape(line[position:start], quote=False))
        out.append(piece)
        position = end
    out.append(html.escape(line[position:], quote=False))
    return "".join(out)


async def render(node: Node, text: str) -> Rendered:
    """Mastodon's rendering of what a local user typed, with the hashtags and known mentions in it."""
    local_domain = node.config.node.domain.lower()
    tags, keys = scan(text, local_domain)
    accounts = await resolve_mentions(keys)
    paragraphs = [p for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()) if p.strip()]
    body = "".join(
        "<p>" + "<br />".join(_render_line(node, line, accounts, local_domain) for line in p.strip("\n").split("\n"))
        + "</p>" for p in paragraphs)
    mentioned = [accounts[k] for k in keys if k in accounts]
    return Rendered(html=sanitise(body), tags=tags, mentions=list({a.id: a for a in mentioned}.values()))


def counted_length(text: str) -> int:
    """Length as Mastodon counts it: links are 23 characters, remote mentions count only @user."""
    def shorten(match: re.Match[str]) -> str:
        if match["url"]:
            url = _trim_url(match["url"])
            return "x" * URL_LENGTH + match["url"][len(url):]
        if match["user"]:
            return "@" + match["user"]
        return match[0]

    return len(TOKENS.sub(shorten, text))
