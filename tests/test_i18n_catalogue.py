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
WHITELIST = {"Entativa", "TOTP", "CSV", "JSON", "OK", "s", "%{domain}"}
# String literals in template code that read like words but are not shown as they are: CSS classes, the
# composer's language names (each written in its own language), text matched in data from other servers.
LITERAL_WHITELIST = {"media small", "media rejected", "muted autoplay", "Trend started", "English", "Español",
                     "Français", "Deutsch", "Português", "Italiano", "Nederlands", "Polski", "Svenska"}
_GETTEXT = {"_", "gettext", "ngettext", "pgettext", "npgettext"}
_WORDY = re.compile(r"[A-Z][a-z]|[a-z]{2,} [a-z]{2,}")
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
    """The text with holes and entities taken out, if it still says something in words (a path such as
    "/notifications" or a handle is not words)."""
    words = _ENTITY.sub(" ", re.sub(r"[\x00\x01]", " ", text)).strip()
    if not _LETTER.search(words):
        return None
    if all(word.strip(".,:;!?()·-") in WHITELIST or not _LETTER.search(word) or word.startswith(("/", "@", "#"))
           for word in words.split()):
        return None
    return " ".join(words.split())


def skeleton(source: str) -> tuple[str, list[str]]:
    """The template's text as the browser would get it, with each {{ expression }} replaced by a \x01 hole
    (its source kept, in order, in the list) and every other tag, and each {% trans %} block or block whose
    name ends in "class" (a CSS class, not words), by a \x00 hole; line breaks are kept for line numbers."""
    env = jinja2.Environment(extensions=["jinja2.ext.i18n"])
    out: list[str] = []
    expressions: list[str] = []
    skipping: list[str] = []  # the enclosing trans / *class blocks
    names: list[str] = []
    expression: list[str] | None = None
    for _, kind, value in env.lex(source):
        hidden = any(k in ("trans", "class") for k in skipping)
        if kind == "block_begin":
            names = []
        elif kind == "name" and len(names) < 2:
            names.append(value)
            if names == ["trans"]:
                skipping.append("trans")
            elif names == ["endtrans"] and skipping:
                skipping.pop()
            elif len(names) == 2 and names[0] == "block":
                skipping.append("class" if value.endswith(("class", "color")) else "block")
        elif kind == "block_end" and names[:1] == ["endblock"] and skipping and skipping[-1] != "trans":
            skipping.pop()
        if kind == "variable_begin" and not hidden:
            expression = []
            continue
        if expression is not None:
            if kind == "variable_end":
                out.append("\x01" + "\n" * "".join(expression).count("\n"))
                expressions.append("".join(expression))
                expression = None
            else:
                expression.append(value)
            continue
        out.append(value if kind == "data" and not hidden else "\x00" + "\n" * value.count("\n"))
    return "".join(out), expressions


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def untranslated(path: Path) -> list[tuple[int, str]]:
    """(line, text) of the words a template shows outside gettext: text between tags and the values of
    READ_ATTRIBUTES the lexer did not see inside a {% trans %} block, and string literals that an
    {{ expression }} there prints as they are."""
    text, expressions = skeleton(path.read_text(encoding="utf-8"))
    holes = [m.start() for m in re.finditer("\x01", text)]
    found: list[tuple[int, str]] = []

    def words_of(start: int, end: int) -> None:
        if words := _reads(text[start:end]):
            found.append((_line(text, start), words))
        for index, position in enumerate(holes):
            if start <= position < end:
                for literal in _printed_literals(expressions[index]):
                    found.append((_line(text, position), f'"{literal}"'))

    if path.suffix == ".txt":  # a plain-text mail: all of it is text
        words_of(0, len(text))
        return found
    def blank(match: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", match.group(0))
    blanked = _RAW.sub(blank, _COMMENT.sub(blank, text))
    text = blanked
    position = 0
    for tag in _TAG.finditer(blanked):
        words_of(position, tag.start())
        for attribute in _ATTRIBUTE.finditer(tag.group(0)):
            if attribute.group(1).lower() in READ_ATTRIBUTES:
                group = 2 if attribute.group(2) is not None else 3
                words_of(tag.start() + attribute.start(group), tag.start() + attribute.end(group))
        position = tag.end()
    words_of(position, len(blanked))
    return found


def _printed_literals(expression: str) -> list[str]:
    env = jinja2.Environment(extensions=["jinja2.ext.i18n"])
    try:
        tree = env.parse("{{" + expression + "}}")
    except jinja2.TemplateSyntaxError:
        return []
    return [words for output in tree.find_all(nodes.Output) for child in output.nodes
            for const in _shown_constants(child) if (words := _reads(const.value))]


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


def untranslated_literals(path: Path) -> list[tuple[int, str]]:
    """(line, text) of string literals anywhere in the template's code (macro arguments, {% set %} tables)
    that read like words and are not an argument of _() / ngettext."""
    env = jinja2.Environment(extensions=["jinja2.ext.i18n", "jinja2.ext.do"])
    found: list[tuple[int, str]] = []

    def walk(node: nodes.Node, translated: bool) -> None:
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) and node.node.name in _GETTEXT:
            translated = True
        if (isinstance(node, nodes.Const) and isinstance(node.value, str) and not translated
                and _WORDY.search(node.value) and node.value not in LITERAL_WHITELIST
                and not node.value.startswith("/")):
            found.append((node.lineno, f"literal {node.value!r}"))
        for child in node.iter_child_nodes():
            walk(child, translated)

    walk(env.parse(path.read_text(encoding="utf-8")), False)
    return found


def leftovers() -> dict[str, list[tuple[int, str]]]:
    report = {}
    for path in TEMPLATES:
        items = sorted(set(untranslated(path) + untranslated_literals(path)))
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
                    '{{ "seen" if x else _("fine") }}{{ {"a": "Shown"}[v] }}<a class="{{ "here" if x }}">/path</a>'
                    '{% block main_class %}wide col{% endblock %}', encoding="utf-8")
    assert untranslated(page) == [(1, "Loose words"), (1, "A picture"), (1, '"seen"'), (1, '"Shown"')]
    code = tmp_path / "code.html"
    code.write_text('{{ m.toggle(s, "like", "Like") }}{{ m.toggle(s, "like", _("Like")) }}'
                    '{% set KINDS = {"poll": ("poll", "Poll ended")} %}', encoding="utf-8")
    assert untranslated_literals(code) == [(1, "literal 'Like'"), (1, "literal 'Poll ended'")]


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
