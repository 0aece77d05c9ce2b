"""The web UI's languages: the gettext catalogues in translations/, which one a page is drawn in, and dates
and numbers written the way that language writes them.

The catalogues are the committed .po files, compiled in memory the first time they are needed (Babel's
read_po then write_mo into a buffer): a node runs from its checkout with no build step, and there is no
compiled .mo in the repository that could drift from the .po a translator edited.

The language of the current render is a context variable: pages set it from the request (node/web/
languages.py), mails from the recipient's setting, so the templates' _() and the Python handlers'
gettext() agree without passing a translator around.
"""

from __future__ import annotations

import contextlib
import functools
import io
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from babel import Locale, negotiate_locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

TRANSLATIONS_DIR = Path(__file__).resolve().parents[1] / "translations"
DEFAULT = "en"  # the language the sources are written in: it needs no catalogue
DOMAIN = "messages"

_current: ContextVar[str] = ContextVar("entativa.locale", default=DEFAULT)


@functools.cache
def catalogues() -> dict[str, NullTranslations]:
    """Every language with a translations/<lang>/LC_MESSAGES/messages.po, compiled; English as the identity."""
    found: dict[str, NullTranslations] = {DEFAULT: NullTranslations()}
    for po in sorted(TRANSLATIONS_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        lang = po.parents[1].name
        with po.open("rb") as source:
            catalog = read_po(source, locale=lang, domain=DOMAIN)
        compiled = io.BytesIO()
        write_mo(compiled, catalog, use_fuzzy=False)
        compiled.seek(0)
        found[lang.replace("_", "-")] = Translations(fp=compiled, domain=DOMAIN)
    return found


@functools.cache
def script_catalogues() -> dict[str, dict[str, str | list[str]]]:
    """Per language, the translations of the messages the themes' scripts use (those whose source location
    is a .js file): what document.html embeds for static/i18n.js. A plural is the list of its forms."""
    found: dict[str, dict[str, str | list[str]]] = {}
    for po in sorted(TRANSLATIONS_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with po.open("rb") as source:
            catalog = read_po(source)
        messages: dict[str, str | list[str]] = {}
        for message in catalog:
            if not message.id or message.fuzzy or not any(path.endswith(".js") for path, _ in message.locations):
                continue
            if isinstance(message.id, tuple | list):
                if all(message.string):
                    messages[message.id[0]] = list(message.string)
            elif message.string:
                messages[message.id] = message.string
        found[po.parents[1].name.replace("_", "-")] = messages
    return found


def script_catalogue(lang: str | None = None) -> dict[str, str | list[str]]:
    """The scripts' catalogue for `lang` (the current language by default); empty for English."""
    return script_catalogues().get(lang or _current.get(), {})


def available() -> list[str]:
    """The languages a page can be drawn in: English first, then the translations in order."""
    return [DEFAULT] + sorted(lang for lang in catalogues() if lang != DEFAULT)


def names() -> list[tuple[str, str]]:
    """Each available language with its name written in itself ("English", "Français"), for a menu."""
    return [(lang, Locale.parse(lang, sep="-").get_display_name(lang.replace("-", "_")).capitalize())
            for lang in available()]


def supported(lang: str | None) -> str | None:
    """`lang` if a page can be drawn in it (case and _/- insensitive), else None."""
    if not lang:
        return None
    wanted = lang.replace("_", "-").lower()
    return next((code for code in available() if code.lower() == wanted), None)


def negotiate(accept_language: str | None) -> str | None:
    """The best available language for an Accept-Language header (RFC 9110 q-values; "fr-CH" is
    satisfied by "fr"), or None when it names none of them."""
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.strip().partition(";")
        tag = tag.strip()
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, index, tag))
    preferred = [tag for _, _, tag in sorted(ranked)]
    return negotiate_locale(preferred, available(), sep="-") if preferred else None


def current() -> str:
    return _current.get()


@contextlib.contextmanager
def using(lang: str | None) -> Iterator[str]:
    """Draw what runs inside in `lang` (English when it is not available)."""
    chosen = supported(lang) or DEFAULT
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


def set_current(lang: str | None) -> Any:
    """Set the language for the rest of this task (a request's middleware); returns the reset token."""
    return _current.set(supported(lang) or DEFAULT)


def reset(token: Any) -> None:
    _current.reset(token)


def _translations() -> NullTranslations:
    return catalogues().get(_current.get()) or catalogues()[DEFAULT]


def gettext(message: str) -> str:
    return _translations().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations().ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return _translations().pgettext(context, message)


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return _translations().npgettext(context, singular, plural, n)


_ = gettext


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Marks a message for the catalogue where it is defined; it is translated where it is shown."""
    return message


def _babel_locale() -> Locale:
    return Locale.parse(_current.get(), sep="-")


def _moment(value: str | datetime | None) -> datetime | None:
    if not value:
        return None
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return value


def format_datetime(value: str | datetime | None, format: str = "medium") -> str:
    """A date and time in the current language ("Dec 3, 2026, 5:33:00 AM" / "3 déc. 2026, 05:33:00")."""
    moment = _moment(value)
    return babel_dates.format_datetime(moment, format, locale=_babel_locale()) if moment else ""


def format_date(value: str | datetime | None, format: str = "d MMM y") -> str:
    """A date in the current language; the default pattern reads "3 Dec 2026" / "3 déc. 2026"."""
    moment = _moment(value)
    return babel_dates.format_date(moment, format, locale=_babel_locale()) if moment else ""


def format_number(value: float | int | None) -> str:
    """1234567 as "1,234,567" / "1 234 567"."""
    return babel_numbers.format_decimal(value or 0, locale=_babel_locale())


def format_compact(value: int | None) -> str:
    """Counts the way people read them: 999, 1.2K, 3.4M (in French 1,2 k, 3,4 M)."""
    number = value or 0
    if number < 1000:
        return babel_numbers.format_decimal(number, locale=_babel_locale())
    return babel_numbers.format_compact_decimal(number, format_type="short", fraction_digits=1,
                                                locale=_babel_locale())


def format_timedelta(value: timedelta | float, format: str = "long", threshold: float = 0.85) -> str:
    """A duration in words: "3 hours" / "3 heures"."""
    return babel_dates.format_timedelta(value, format=format, threshold=threshold, locale=_babel_locale())


def format_ago(value: str | datetime | None, now: datetime | None = None) -> str:
    """A short relative time ("now", "5m", "3h", "2d"; "5 min", "3 h", "2 j" in French), and past a week
    the date."""
    moment = _moment(value)
    if moment is None:
        return ""
    seconds = int(((now or datetime.now(UTC)) - moment.astimezone(UTC)).total_seconds())
    if seconds < 60:
        return gettext("now")
    if seconds < 7 * 86400:
        unit = "minute" if seconds < 3600 else "hour" if seconds < 86400 else "day"
        size = {"minute": 60, "hour": 3600, "day": 86400}[unit]
        return babel_dates.format_timedelta(timedelta(seconds=(seconds // size) * size), granularity=unit,
                                            threshold=1000, format="narrow", locale=_babel_locale())
    return format_date(moment)
