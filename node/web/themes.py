"""Themes: a jinja2 environment whose template search path is the active theme, then vignette, and the
/static/ files looked up the same way, so a theme overrides only the files it changes."""

from __future__ import annotations

import mimetypes
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from markupsafe import Markup, escape

from .. import i18n

THEMES_DIR = Path(__file__).resolve().parents[2] / "themes"
FALLBACK = "vignette"


class Theme:
    """The active theme: its jinja environment and static folders. Filled in at start-up, when the node's
    config is known (setup runs before the node exists)."""

    def __init__(self) -> None:
        self.name = FALLBACK
        self.env = make_environment(FALLBACK)
        self.static_dirs = theme_dirs(FALLBACK, "static")
        self.pages: frozenset[str] = frozenset()  # the app's fixed GET paths, so the nav links only real pages

    def use(self, name: str) -> None:
        self.name = name
        self.env = make_environment(name)
        self.static_dirs = theme_dirs(name, "static")

    def render(self, template: str, context: dict[str, Any], locale: str | None = None) -> str:
        """The template drawn in `locale` (by default the language this request is already in)."""
        with i18n.using(locale or i18n.current()) as lang:
            return self.env.get_template(template).render(**{**context, "ui_locale": lang})


THEME = web.AppKey("theme", Theme)


def theme_dirs(theme: str, kind: str) -> list[Path]:
    """The theme's own folder first, then the fallback theme's, for templates or static files."""
    names = [theme] if theme == FALLBACK else [theme, FALLBACK]
    return [THEMES_DIR / name / kind for name in names if (THEMES_DIR / name / kind).is_dir()]


def ago(value: str | datetime | None) -> str:
    """A short relative time ("now", "5m", "3h", "2d", or a date) for an ISO timestamp or datetime, in the
    language of the page being drawn."""
    return i18n.format_ago(value)


def compact(number: int | None) -> str:
    """Counts the way people read them: 999, 1.2K, 3.4M (in the page's language: 1,2 k)."""
    return i18n.format_compact(number)


_TAG = re.compile(r"(<[^>]*>)")
_SHORTCODE = re.compile(r"(?<![A-Za-z0-9_:]):([A-Za-z0-9_]{2,64}):(?![A-Za-z0-9_:])")


def emojify(text: Any, emojis: Any) -> Markup:
    """`:shortcode:` as the emoji's picture (alt and title keep the shortcode, as Mastodon's web does). Markup
    (content marked |safe) is HTML and only its text between tags changes; anything else is escaped first."""
    html = str(text) if isinstance(text, Markup) else str(escape(text or ""))
    urls = {e.get("shortcode"): e.get("url") for e in emojis or () if isinstance(e, dict)}
    if not urls:
        return Markup(html)

    def picture(match: re.Match[str]) -> str:
        url = urls.get(match.group(1))
        if not url:
            return match.group(0)
        code = f":{match.group(1)}:"
        return (f'<img class="custom-emoji" src="{escape(url)}" alt="{code}" title="{code}" width="20" height="20" '
                f'draggable="false">')

    parts = _TAG.split(html)
    return Markup("".join(part if part.startswith("<") else _SHORTCODE.sub(picture, part) for part in parts))


def counted(number: int | None, one: str, many: str | None = None) -> str:
    """A count with its noun in the right form: "1 follower", "2 followers", "1 person", "3 people"."""
    number = number or 0
    return f"{compact(number)} {one if number == 1 else (many or one + 's')}"


BLOCK_BREAK = re.compile(r"<(?:br|/p|/li|/h\d|/blockquote|/div)\s*/?>", re.IGNORECASE)
TAG = re.compile(r"<[^>]+>")


def plain(html: str | None) -> str:
    """Post HTML as one line of text for snippets and titles: paragraphs and line breaks become spaces, so
    "<p>#lighting</p><p>Sound: x</p>" reads "#lighting Sound: x", never "#lightingSound: x"."""
    from markupsafe import Markup

    text = TAG.sub("", BLOCK_BREAK.sub(" ", html or ""))
    return " ".join(Markup(text).unescape().split())


def make_environment(theme: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in theme_dirs(theme, "templates")]),
        autoescape=jinja2.select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    install_gettext(env)
    env.filters["ago"] = ago
    env.filters["compact"] = compact
    env.filters["emojify"] = emojify
    env.filters["plain"] = plain
    env.globals["theme"] = theme
    return env


def install_gettext(env: jinja2.Environment) -> None:
    """_(), gettext, ngettext and {% trans %} in the current render's language (node/i18n.py), new-style
    (_("%(n)s posts", n=3) formats and escapes its arguments), with a trans block's whitespace collapsed
    so a translator sees one clean sentence; and the locale-aware date and number filters."""
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext,
                                  npgettext=i18n.npgettext)
    env.globals["js_catalogue"] = i18n.script_catalogue
    env.filters["datetime"] = i18n.format_datetime
    env.filters["date"] = i18n.format_date
    env.filters["number"] = i18n.format_number
    env.filters["timedelta"] = i18n.format_timedelta


async def static_file(request: web.Request) -> web.StreamResponse:
    """GET /static/{path}: the active theme's file, else vignette's."""
    relative = request.match_info["path"]
    for folder in request.app[THEME].static_dirs:
        candidate = (folder / relative).resolve()
        if candidate.is_relative_to(folder.resolve()) and candidate.is_file():
            content_type = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
            return web.FileResponse(candidate, headers={"Content-Type": content_type,
                                                        "Cache-Control": "public, max-age=3600"})
    raise web.HTTPNotFound(reason="No such file")


def setup_themes(app: web.Application) -> None:
    from ..api.keys import NODE

    app[THEME] = Theme()

    async def choose(app: web.Application) -> None:  # runs after the lifecycle context has opened the node
        app[THEME].use(app[NODE].config.node.theme)
        # a plugin or later feature (e.g. /messages) gets its nav link by adding its route, nothing else
        app[THEME].pages = frozenset(r.canonical for r in app.router.resources()
                                     if any(route.method == "GET" for route in r))

    app.on_startup.append(choose)
    app.router.add_get("/static/{path:.+}", static_file, name="static")
