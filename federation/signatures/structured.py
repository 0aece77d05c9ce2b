"""RFC 8941 Structured Field Values: the parser and serialiser that RFC 9421's Signature-Input,
Signature and component identifiers, and RFC 9530's Content-Digest are written in."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal


class StructuredFieldError(ValueError):
    """A header value is not a valid structured field."""


class Token(str):
    """An sf-token (bare word such as `sha-256`), kept apart from sf-string when serialising."""


BareItem = int | Decimal | str | Token | bytes | bool


@dataclass
class Item:
    value: BareItem
    params: dict[str, BareItem] = field(default_factory=dict)


@dataclass
class InnerList:
    items: list[Item]
    params: dict[str, BareItem] = field(default_factory=dict)


Member = Item | InnerList

_KEY_RE = re.compile(r"[a-z*][a-z0-9_\-.*]*")
_TOKEN_RE = re.compile(r"[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*")
_NUMBER_RE = re.compile(r"-?\d{1,15}(\.\d{1,3})?")


# -- serialising ---------------------------------------------------------------------------------


def serialize_bare_item(value: BareItem) -> str:
    # bool before int: bool is an int subclass in Python.
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        if abs(value) > 999_999_999_999_999:
            raise StructuredFieldError("integer out of range")
        return str(value)
    if isinstance(value, Decimal):
        rounded = value.quantize(Decimal("0.001"), rounding=ROUND_HALF_EVEN)
        text = format(rounded, "f").rstrip("0")
        return text + "0" if text.endswith(".") else text
    if isinstance(value, Token):
        if not _TOKEN_RE.fullmatch(value):
            raise StructuredFieldError(f"invalid token {value!r}")
        return str(value)
    if isinstance(value, str):
        if any(not 0x20 <= ord(c) <= 0x7E for c in value):
            raise StructuredFieldError("strings must be printable ASCII")
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bytes):
        return ":" + base64.b64encode(value).decode("ascii") + ":"
    raise StructuredFieldError(f"cannot serialise {type(value).__name__}")


def serialize_params(params: dict[str, BareItem]) -> str:
    out = []
    for key, value in params.items():
        _check_key(key)
        out.append(f";{key}" if value is True else f";{key}={serialize_bare_item(value)}")
    return "".join(out)


def serialize_item(item: Item) -> str:
    return serialize_bare_item(item.value) + serialize_params(item.params)


def serialize_inner_list(inner: InnerList) -> str:
    return "(" + " ".join(serialize_item(i) for i in inner.items) + ")" + serialize_params(inner.params)


def serialize_member(member: Member) -> str:
    if isinstance(member, InnerList):
        return serialize_inner_list(member)
    return serialize_item(member)


def serialize_list(members: list[Member]) -> str:
    return ", ".join(serialize_member(m) for m in members)


def serialize_dictionary(members: dict[str, Member]) -> str:
    out = []
    for key, member in members.items():
        _check_key(key)
        if isinstance(member, Item) and member.value is True:
            out.append(key + serialize_params(member.params))
        else:
            out.append(f"{key}={serialize_member(member)}")
    return ", ".join(out)


def _check_key(key: str) -> None:
    if not _KEY_RE.fullmatch(key):
        raise StructuredFieldError(f"invalid key {key!r}")


# -- parsing -------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def fail(self, what: str) -> StructuredFieldError:
        return StructuredFieldError(f"{what} at offset {self.i} in {self.s!r}")

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def skip_sp(self) -> None:
        while self.peek() == " ":
            self.i += 1

    def skip_ows(self) -> None:
        while self.peek() and self.peek() in " \t":
            self.i += 1

    def done(self) -> bool:
        return self.i >= len(self.s)

    def key(self) -> str:
        m = _KEY_RE.match(self.s, self.i)
        if not m:
            raise self.fail("expected key")
        self.i = m.end()
        return m.group()

    def params(self) -> dict[str, BareItem]:
        params: dict[str, BareItem] = {}
        while self.peek() == ";":
            self.i += 1
            self.skip_sp()
            name = self.key()
            value: BareItem = True
            if self.peek() == "=":
                self.i += 1
                value = self.bare_item()
            params[name] = value
        return params

    def item(self) -> Item:
        value = self.bare_item()
        return Item(value, self.params())

    def member(self) -> Member:
        if self.peek() == "(":
            return self.inner_list()
        return self.item()

    def inner_list(self) -> InnerList:
        self.i += 1  # "("
        items: list[Item] = []
        while not self.done():
            self.skip_sp()
            if self.peek() == ")":
                self.i += 1
                return InnerList(items, self.params())
            items.append(self.item())
            if self.peek() not in (" ", ")"):
                raise self.fail("expected space or ')' in inner list")
        raise self.fail("unterminated inner list")

    def bare_item(self) -> BareItem:
        c = self.peek()
        if c == "-" or c.isdigit():
            return self.number()
        if c == '"':
            return self.string()
        if c == ":":
            return self.byte_sequence()
        if c == "?":
            return self.boolean()
        if c == "*" or c.isalpha():
            m = _TOKEN_RE.match(self.s, self.i)
            assert m is not None
            self.i = m.end()
            return Token(m.group())
        raise self.fail("expected bare item")

    def number(self) -> int | Decimal:
        m = _NUMBER_RE.match(self.s, self.i)
        if not m:
            raise self.fail("bad number")
        self.i = m.end()
        if self.peek().isdigit() or (self.peek() == "." and not m.group(1)):
            raise self.fail("number too long")
        text = m.group()
        if m.group(1):
            if len(text.lstrip("-").split(".")[0]) > 12:
                raise self.fail("decimal too long")
            return Decimal(text)
        return int(text)

    def string(self) -> str:
        self.i += 1
        out = []
        while not self.done():
            c = self.s[self.i]
            self.i += 1
            if c == "\\":
                nxt = self.peek()
                if nxt not in ('"', "\\"):
                    raise self.fail("bad escape in string")
                out.append(nxt)
                self.i += 1
            elif c == '"':
                return "".join(out)
            elif not 0x20 <= ord(c) <= 0x7E:
                raise self.fail("non-printable character in string")
            else:
                out.append(c)
        raise self.fail("unterminated string")

    def byte_sequence(self) -> bytes:
        end = self.s.find(":", self.i + 1)
        if end < 0:
            raise self.fail("unterminated byte sequence")
        raw = self.s[self.i + 1 : end]
        if not re.fullmatch(r"[A-Za-z0-9+/=]*", raw):
            raise self.fail("bad base64 in byte sequence")
        self.i = end + 1
        try:
            return base64.b64decode(raw + "=" * (-len(raw) % 4))
        except ValueError as exc:
            raise self.fail("bad base64 in byte sequence") from exc

    def boolean(self) -> bool:
        value = self.s[self.i + 1 : self.i + 2]
        if value not in ("0", "1"):
            raise self.fail("bad boolean")
        self.i += 2
        return value == "1"


def parse_item(text: str) -> Item:
    p = _Parser(text.strip(" "))
    item = p.item()
    if not p.done():
        raise p.fail("trailing characters after item")
    return item


def parse_list(text: str) -> list[Member]:
    p = _Parser(text.strip(" "))
    members: list[Member] = []
    while not p.done():
        members.append(p.member())
        p.skip_ows()
        if p.done():
            break
        if p.peek() != ",":
            raise p.fail("expected ','")
        p.i += 1
        p.skip_ows()
        if p.done():
            raise p.fail("trailing comma")
    return members


def parse_dictionary(text: str) -> dict[str, Member]:
    p = _Parser(text.strip(" "))
    members: dict[str, Member] = {}
    while not p.done():
        name = p.key()
        if p.peek() == "=":
            p.i += 1
            members[name] = p.member()
        else:
            members[name] = Item(True, p.params())
        p.skip_ows()
        if p.done():
            break
        if p.peek() != ",":
            raise p.fail("expected ','")
        p.i += 1
        p.skip_ows()
        if p.done():
            raise p.fail("trailing comma")
    return members
