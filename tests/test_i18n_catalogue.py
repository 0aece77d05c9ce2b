"""The translation catalogues stay whole: no template shows words outside gettext, translations/messages.pot
and every .po hold exactly the messages the sources use, and French translates every one of them.

Run as a script (`.venv/bin/python tests/test_i18n_catalogue.py`) it lists the untranslated template text.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import jinja2
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from jinja2 import nodes

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted(p for p in (ROOT / "themes").glob("*/templates/**/*") if p.suffix in (".html", ".txt"))
SECOND = "fr"  # the complete second language
# Text a page may show as it is in every language: the software's name, and units read the same everywhere.
WHITELIST = {"Entativa", "TOTP", "CSV", "JSON", "OK"}
# Attributes whose value a person reads (or hears, from a screen reader).
READ_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label", "aria-description", "aria-roledescription",
                   "aria-valuetext", "label", "data-confirm", "data-one", "data-many")
_HOLE = "\x00"  # where the lexer saw something other than plain template text
_LETTER = re.compile(r"[^\W\d_]")
_ENTITY = re.compile(r"&(?:[A-Za-z]+|#\d+|#x[0-9A-Fa-f]+);")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_RAW = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.S | re.I)
_TAG = re.compile(r"<[A-Za-z/!][^>]*>")
_ATTRIBUTE = re.compile(r"""([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _reads(text: str) -> str | None:
    """The text with holes and entities taken out, if it still says something in words."""
    words = _ENTITY.sub(" ", text.replace(_HOLE, " ")).strip()
    if not _LETTER.search(words):
        return None
    if all(word.strip(".,:;!?()·/-") in WHITELIST or not _LETTER.search(word) for word in words.split()):
        return None
    return " ".join(words.split())


def skeleton(source: str) -> str:
    """The template's text as the browser would get it, with every expression, tag and {% trans %} block
    replaced by a hole (keeping the line breaks, for line numbers)."""
    env = jinja2.Environment(extensions=["jinja2.ext.i18n"])
    out: list[str] = []
    in_trans = False
    names: list[str] = []
    for _, kind, value in env.lex(source):
        if kind == "block_begin":
            names = []
        if kind == "name" and not names:
            names.append(value)
            if value == "trans":
                in_trans = True
            elif value == "endtrans":
                in_trans = False
        if kind == "data" and not in_trans:
            out.append(value)
        else:
            out.append(_HOLE + "\n" * value.count("\n"))
    return "".join(out)


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def untranslated_text(path: Path) -> list[tuple[int, str]]:
    """(line, text) of the words a template shows outside gettext: text between tags and the values of
    READ_ATTRIBUTES, in data the lexer did not see inside a {% trans %} block or an expression."""
    text = skeleton(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    if path.suffix == ".txt":  # a plain-text mail: every word is text
        for match in re.finditer(r"[^\x00]+", text):
            if words := _reads(match.group(0)):
                found.append((_line(text, match.start()), words))
        return found
    blanked = _RAW.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), _COMMENT.sub(
        lambda m: re.sub(r"[^\n]", " ", m.group(0)), text))
    position = 0
    for tag in _TAG.finditer(blanked):
        if words := _reads(blanked[position:tag.start()]):
            found.append((_line(blanked, position), words))
        for attribute in _ATTRIBUTE.finditer(tag.group(0)):
            if attribute.group(1).lower() in READ_ATTRIBUTES:
                value = attribute.group(2) if attribute.group(2) is not None else attribute.group(3)
                if words := _reads(value):
                    found.append((_line(blanked, tag.start()), f'{attribute.group(1)}="{words}"'))
        position = tag.end()
    if words := _reads(blanked[position:]):
        found.append((_line(blanked, position), words))
    return found


def _shown_constants(node: nodes.Node) -> list[nodes.Const]:
    """String constants an expression prints as they are: `{{ "posts" }}`, `{{ "a" if x else "b" }}`,
    `{{ {"public": "Everyone"}[v] }}`."""
    if isinstance(node, nodes.Const):
        return [node] if isinstance(node.value, str) else []
    if isinstance(node, nodes.CondExpr):
        return _shown_constants(node.expr1) + (_shown_constants(node.expr2) if node.expr2 else [])
    if isinstance(node, nodes.Concat):
        return [c for part in node.nodes for c in _shown_constants(part)]
    if isinstance(node, nodes.Getitem) and isinstance(node.node, nodes.Dict):
        return [c for pair in node.node.items for c in _shown_constants(pair.value)]
    return []


def untranslated_constants(path: Path) -> list[tuple[int, str]]:
    """(line, text) of string literals a template prints without gettext."""
    env = jinja2.Environment(extensions=["jinja2.ext.i18n", "jinja2.ext.do", "jinja2.ext.loopcontrols"])
    tree = env.parse(path.read_text(encoding="utf-8"))
    found = []
    for output in tree.find_all(nodes.Output):
        for child in output.nodes:
            for const in _shown_constants(child):
                if words := _reads(const.value):
                    found.append((const.lineno, f'"{words}"'))
    return found


def leftovers() -> dict[str, list[tuple[int, str]]]:
    report = {}
    for path in TEMPLATES:
        items = sorted(set(untranslated_text(path) + untranslated_constants(path)))
        if items:
            report[str(path.relative_to(ROOT))] = items
    return report


def test_every_template_word_goes_through_gettext() -> None:
    report = leftovers()
    assert not report, "template text outside gettext:\n" + "\n".join(
        f"{name}:{line}: {text}" for name, items in report.items() for line, text in items)


def test_the_checker_sees_text_attributes_and_literals(tmp_path: Path) -> None:
    """The scan itself: what it must flag, and what it must let through."""
    page = tmp_path / "page.html"
    page.write_text('{% trans n=1 %}Fine {{ n }}{% endtrans %}<p class="x">Loose words</p>'
                    '<img alt="A picture" src="/a.png"><b title="{{ _("Fine") }}">{{ _("Fine") }}</b>'
                    '<script>var words = "not text";</script><!-- a comment --> Entativa &middot; 12'
                    '{{ "seen" if x else _("fine") }}{{ {"a": "Shown"}[v] }}', encoding="utf-8")
    assert untranslated_text(page) == [(1, "Loose words"), (1, 'alt="A picture"')]
    assert untranslated_constants(page) == [(1, '"seen"'), (1, '"Shown"')]


def _extracted() -> set[str]:
    """Every msgid the sources use, extracted as babel.cfg says (what `scripts/translations` writes)."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map, options_map, keywords=_KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return found


_KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2),
             "npgettext": ((1, "c"), 2, 3), "N_": None}


def _catalog(path: Path):  # noqa: ANN202 - babel's Catalog
    with path.open("rb") as source:
        return read_po(source)


def test_catalogues_match_the_sources() -> None:
    used = _extracted()
    assert used, "nothing extracted: babel.cfg reads no source"
    template = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalog(ROOT / "translations/messages.pot") if m.id}
    assert template == used, (f"translations/messages.pot is out of date (run scripts/translations): "
                              f"missing {sorted(used - template)[:20]}, stale {sorted(template - used)[:20]}")
    for po in sorted((ROOT / "translations").glob("*/LC_MESSAGES/messages.po")):
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalog(po) if m.id}
        assert ids == used, (f"{po.relative_to(ROOT)} is out of date (run scripts/translations): "
                             f"missing {sorted(used - ids)[:20]}, stale {sorted(ids - used)[:20]}")


def test_the_second_language_translates_everything() -> None:
    catalog = _catalog(ROOT / f"translations/{SECOND}/LC_MESSAGES/messages.po")
    missing = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings) or len(strings) != (catalog.num_plurals if message.pluralizable else 1):
            missing.append(message.id)
    assert not missing, f"{len(missing)} {SECOND} messages untranslated or fuzzy, e.g. {missing[:10]}"
    errors = [(message.id, [str(e) for e in errs]) for message, errs in catalog.check()]
    assert not errors, f"{SECOND} translations whose placeholders differ from the English: {errors[:10]}"


if __name__ == "__main__":
    report = leftovers()
    for name, items in report.items():
        for line, text in items:
            print(f"{name}:{line}: {text}")
    print(sum(len(i) for i in report.values()), "left", file=sys.stderr)
