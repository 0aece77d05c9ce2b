"""The Markdown admins write the node's documents in (extended description, privacy policy, terms of
service) to HTML, as Mastodon renders them: raw HTML is escaped, never passed through, and images are not
rendered. A deliberately small subset: headings, paragraphs, line breaks, bullet and numbered lists,
quotes, rules, **bold**, *emphasis*, `code` and [links](https://...) / bare https links. No dependency is
worth it for documents an admin writes once; what is not in the subset shows as the text that was typed."""

from __future__ import annotations

import html
import re

import nh3

_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)")
_BARE = re.compile(r"(?<![\"'=>])\bhttps?://[^\s<]+[^\s<.,;:!?)'\"]")
_CODE = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_EM = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\w)|(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?![\w])")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s{0,3}[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s{0,3}\d{1,9}[.)]\s+(.*)$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_ALLOWED = {
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "p",
    "br",
    "ul",
    "ol",
    "li",
    "blockquote",
    "hr",
    "strong",
    "em",
    "code",
    "a",
}


def _inline(text: str) -> str:
    """One line's inline marks, on already escaped text (so typed HTML stays text)."""
    codes: list[str] = []

    def keep_code(match: re.Match[str]) -> str:
        codes.append(f"<code>{match[1]}</code>")
        return f"\x00{len(codes) - 1}\x00"

    text = _CODE.sub(keep_code, text)
    links: list[str] = []

    def keep_link(match: re.Match[str]) -> str:
        links.append(f'<a href="{match[2]}">{match[1]}</a>')
        return f"\x01{len(links) - 1}\x01"

    text = _LINK.sub(keep_link, text)
    text = _BARE.sub(lambda m: f'<a href="{m[0]}">{m[0]}</a>', text)
    text = _BOLD.sub(lambda m: f"<strong>{m[1] or m[2]}</strong>", text)
    text = _EM.sub(lambda m: f"<em>{m[1] or m[2]}</em>", text)
    text = re.sub("\x01(\\d+)\x01", lambda m: links[int(m[1])], text)
    return re.sub("\x00(\\d+)\x00", lambda m: codes[int(m[1])], text)


def _blocks(lines: list[str]) -> list[str]:
    out: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    kind = ""
    quote: list[str] = []

    def flush() -> None:
        nonlocal kind
        if paragraph:
            out.append("<p>" + "<br>".join(_inline(line) for line in paragraph) + "</p>")
            paragraph.clear()
        if items:
            out.append(f"<{kind}>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + f"</{kind}>")
            items.clear()
            kind = ""
        if quote:
            out.append("<blockquote>" + "".join(_blocks(list(quote))) + "</blockquote>")
            quote.clear()

    for raw in lines:
        line = raw.rstrip()
        if line.startswith("&gt;"):
            if not quote:
                flush()
            quote.append(line[4:].removeprefix(" "))
            continue
        if quote:
            flush()
        if not line.strip():
            flush()
        elif heading := _HEADING.match(line):
            flush()
            level = len(heading[1])
            out.append(f"<h{level}>{_inline(heading[2])}</h{level}>")
        elif _RULE.match(line):
            flush()
            out.append("<hr>")
        elif (bullet := _BULLET.match(line)) or (number := _NUMBERED.match(line)):
            wanted = "ul" if bullet else "ol"
            if paragraph or (kind and kind != wanted):
                flush()
            kind = wanted
            items.append((bullet or number)[1])  # type: ignore[index]
        elif items and raw.startswith(("  ", "\t")):
            items[-1] += " " + line.strip()  # a list item's continuation line
        else:
            if items:
                flush()
            paragraph.append(line.strip())
    flush()
    return out


_CLEANER = nh3.Cleaner(tags=_ALLOWED, attributes={"a": {"href"}}, url_schemes={"http", "https"},
                       link_rel="nofollow noopener noreferrer")  # built once: see content.sanitise


def render(text: str) -> str:
    """HTML for Markdown `text` ("" for nothing), escaped first and cleaned after."""
    if not text.strip():
        return ""
    escaped = html.escape(text.replace("\r\n", "\n"), quote=False)
    body = "\n".join(_blocks(escaped.split("\n")))
    return _CLEANER.clean(body)
