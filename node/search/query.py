"""Reading what a person typed into the search box, safely: quoted phrases, `word*` prefixes and Mastodon's
operators (from:, has:media, language:, before:, after:) are recognised; everything else is words. No input
can make a query that fails to parse: unbalanced quotes, `*`, `~`, `field:` names and other syntax are
treated as text, so the worst a strange query gets is no results.

`build` turns a parsed query into a Whoosh query over a kind's fields, with typo tolerance (fuzzy terms on
the stemmed words) and the same analyzers the index used.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ..errors import ValidationFailed
from .backend import Filters, ParsedQuery

MAX_WORDS = 24  # more words than this add cost, not precision
MAX_QUERY_CHARS = 500
_PHRASE = re.compile(r'"([^"]*)"')
_OPERATOR = re.compile(r"(?<!\S)(from|has|is|language|lang|before|after|during):(\S+)", re.IGNORECASE)
_PREFIX = re.compile(r"(\w+)\*")
_WORD = re.compile(r"\w+")


@dataclass
class Parsed:
    query: ParsedQuery
    filters: Filters = field(default_factory=Filters)
    author_accts: list[str] = field(default_factory=list)  # from:name, resolved to ids by the service


def _day(value: str, operator: str) -> datetime:
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise ValidationFailed(f"{operator}: must be a date like 2024-05-31") from None


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def parse(text: str, *, fuzzy: bool = True) -> Parsed:
    """Split user input into words, phrases, prefixes and operator filters. Never raises for syntax;
    only an operator with an unreadable value (a bad date) is a 422."""
    text = (text or "")[:MAX_QUERY_CHARS]
    filters = Filters()
    authors: list[str] = []

    def operator(match: re.Match[str]) -> str:
        name, value = match.group(1).lower(), match.group(2)
        if name == "from":
            authors.append(value.lstrip("@").lower())
        elif name in ("has", "is") and value.lower() == "media":
            filters.has_media = True
        elif name in ("language", "lang"):
            filters.language = value.lower()[:16]
        elif name == "after":
            filters.since = (_day(value, name) + timedelta(days=1)).timestamp()
        elif name == "before":
            filters.until = _day(value, name).timestamp()
        elif name == "during":
            start = _day(value, name)
            filters.since, filters.until = start.timestamp(), (start + timedelta(days=1)).timestamp()
        else:
            return match.group(0)  # `has:poll` and the like: not a filter we know, so plain words
        return " "

    text = _OPERATOR.sub(operator, text)
    phrases = [words for words in (_words(p) for p in _PHRASE.findall(text)) if words]
    text = _PHRASE.sub(" ", text)
    prefixes = [p.lower() for p in _PREFIX.findall(text)]
    text = _PREFIX.sub(" ", text)
    words = _words(text)
    budget = MAX_WORDS
    phrases = [p[:budget] for p in phrases][:4]
    words = list(dict.fromkeys(words))[:budget]
    prefixes = list(dict.fromkeys(prefixes))[:4]
    return Parsed(ParsedQuery(words=words, phrases=phrases, prefixes=prefixes, fuzzy=fuzzy), filters, authors)


# ---- Whoosh ----------------------------------------------------------------------------------------------


def _terms(schema: Any, fieldname: str, word: str) -> list[str]:
    """The word as the field's analyzer indexed it (lower-cased, stemmed); empty for a stop word."""
    try:
        return [t for t in schema[fieldname].process_text(word, mode="query") if t]
    except Exception:  # an analyzer that cannot take this input: the word simply does not match
        return []


def _fuzzy_distance(term: str) -> int:
    if len(term) < 4:
        return 0
    return 1 if len(term) < 8 else 2


def build(schema: Any, fields: Sequence[tuple[str, float]], query: ParsedQuery, *, fuzzy_fields: Sequence[str] = (),
          conjunction: bool = True, reader: Any = None) -> Any:
    """A Whoosh query: each word must match (any field), each phrase must match, each prefix must match.
    A word the index does not hold (a typo) matches its near spellings instead; with a `reader` to ask,
    known words skip that expansion, which is what keeps common queries fast. With `conjunction=False`
    any part may match (the fallback when all-of finds nothing)."""
    from whoosh import query as wq

    parts: list[Any] = []
    for word in query.words:
        options: list[Any] = []
        for name, boost in fields:
            for term in _terms(schema, name, word):
                options.append(wq.Term(name, term, boost=boost))
                distance = _fuzzy_distance(term) if query.fuzzy and name in fuzzy_fields else 0
                if distance and reader is not None and reader.doc_frequency(name, term) > 0:
                    distance = 0  # spelled as indexed: no typo to forgive
                if distance:
                    options.append(wq.FuzzyTerm(name, term, boost=boost * 0.4, maxdist=distance, prefixlength=1))
        if options:
            parts.append(wq.Or(options))
    for phrase in query.phrases:
        options = []
        for name, boost in fields:
            terms = [t for word in phrase for t in _terms(schema, name, word)]
            if len(terms) == 1:
                options.append(wq.Term(name, terms[0], boost=boost))
            elif terms and getattr(schema[name], "format", None) is not None and schema[name].format.supports(
                    "positions"):
                options.append(wq.Phrase(name, terms, boost=boost * 1.5))
        if options:
            parts.append(wq.Or(options))
    for prefix in query.prefixes:
        options = [wq.Prefix(name, prefix.lower(), boost=boost) for name, boost in fields]
        parts.append(wq.Or(options))
    if not parts:
        return wq.NullQuery
    if len(parts) == 1:
        return parts[0]
    return wq.And(parts) if conjunction else wq.Or(parts)
