"""RFC 9421 HTTP Message Signatures: covered components (derived `@...` ones and header fields), the
signature base, the `Signature-Input`/`Signature` headers, and signing/verifying one message."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

from .keys import ALGORITHMS, SigningKey, VerifyKey, default_algorithm, sign_bytes, verify_bytes
from .message import HttpMessage
from .structured import (
    BareItem,
    InnerList,
    Item,
    StructuredFieldError,
    parse_dictionary,
    parse_item,
    parse_list,
    serialize_bare_item,
    serialize_dictionary,
    serialize_inner_list,
    serialize_item,
    serialize_list,
    serialize_member,
)

DERIVED = (
    "@method",
    "@target-uri",
    "@authority",
    "@scheme",
    "@request-target",
    "@path",
    "@query",
    "@query-param",
    "@status",
)

# Fields whose structured type we know, for the `sf` and `key` component parameters.
_DICTIONARY_FIELDS = {"signature", "signature-input", "content-digest", "repr-digest", "want-content-digest",
                      "priority", "cache-status"}
_LIST_FIELDS = {"accept-ch", "proxy-status"}

# Keep only the characters the WHATWG form-urlencoded percent-encode set leaves alone.
_QUERY_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789*-._")


class ComponentError(ValueError):
    """A covered component cannot be computed for this message (missing field, bad parameter...)."""


@dataclass(frozen=True)
class Component:
    """A component identifier: a lower-case field name or a derived `@name`, with its parameters."""

    name: str
    params: tuple[tuple[str, BareItem], ...] = ()

    @classmethod
    def parse(cls, text: str) -> Component:
        """From `content-type`, `@method`, or the serialised form `"@query-param";name="x"`."""
        text = text.strip()
        if not text.startswith('"'):
            return cls(text.lower())
        try:
            item = parse_item(text)
        except StructuredFieldError as exc:
            raise ComponentError(f"bad component identifier {text!r}: {exc}") from exc
        return cls.from_item(item)

    @classmethod
    def from_item(cls, item: Item) -> Component:
        if not isinstance(item.value, str) or isinstance(item.value, bool):
            raise ComponentError("component identifiers are strings")
        return cls(item.value, tuple(item.params.items()))

    @property
    def param_dict(self) -> dict[str, BareItem]:
        return dict(self.params)

    def as_item(self) -> Item:
        return Item(self.name, dict(self.params))

    def identifier(self) -> str:
        return serialize_item(self.as_item())


def _component(spec: str | Component) -> Component:
    return spec if isinstance(spec, Component) else Component.parse(spec)


# -- component values ----------------------------------------------------------------------------


def _form_encode(raw: bytes) -> str:
    return "".join(chr(b) if b in _QUERY_SAFE else f"%{b:02X}" for b in raw)


def _query_param(message: HttpMessage, name: str) -> str:
    query = message.query[1:]
    found: list[bytes] = []
    for pair in query.split("&") if query else []:
        key, _, value = pair.partition("=")
        key_bytes = unquote_to_bytes(key.replace("+", " "))
        if _form_encode(key_bytes) == _form_encode(unquote_to_bytes(name)):
            found.append(unquote_to_bytes(value.replace("+", " ")))
    if len(found) != 1:
        raise ComponentError(f"query parameter {name!r} occurs {len(found)} times; exactly one is signable")
    return _form_encode(found[0])


def _derived_value(message: HttpMessage, comp: Component) -> str:
    if comp.name == "@status":
        if message.status is None:
            raise ComponentError("@status is only defined for responses")
        return f"{message.status:03d}"
    if not message.url:
        raise ComponentError(f"{comp.name} needs a request")
    if comp.name == "@method":
        return message.method
    if comp.name == "@target-uri":
        return message.url
    if comp.name == "@authority":
        return message.authority
    if comp.name == "@scheme":
        return message.scheme
    if comp.name == "@request-target":
        return message.request_target
    if comp.name == "@path":
        return message.path
    if comp.name == "@query":
        return message.query
    if comp.name == "@query-param":
        name = comp.param_dict.get("name")
        if not isinstance(name, str):
            raise ComponentError('@query-param needs a name="..." parameter')
        return _query_param(message, name)
    raise ComponentError(f"unknown derived component {comp.name!r}")


def _field_value(message: HttpMessage, comp: Component) -> str:
    params = comp.param_dict
    if "tr" in params:
        raise ComponentError("trailer fields are not supported")
    values = message.header_values(comp.name)
    if not values:
        raise ComponentError(f"covered field {comp.name!r} is missing from the message")
    if params.get("bs"):
        if "sf" in params or "key" in params:
            raise ComponentError("bs cannot be combined with sf or key")
        return ", ".join(serialize_bare_item(v.strip().encode("latin-1")) for v in values)
    combined = message.combined_header(comp.name) or ""
    if "key" in params or params.get("sf"):
        try:
            if comp.name in _DICTIONARY_FIELDS or "key" in params:
                members = parse_dictionary(combined)
                if "key" in params:
                    key = params["key"]
                    if not isinstance(key, str) or key not in members:
                        raise ComponentError(f"dictionary field {comp.name!r} has no member {key!r}")
                    return serialize_member(members[key])
                return serialize_dictionary(members)
            if comp.name in _LIST_FIELDS:
                return serialize_list(parse_list(combined))
            return serialize_item(parse_item(combined))
        except StructuredFieldError as exc:
            raise ComponentError(f"field {comp.name!r} is not a valid structured field: {exc}") from exc
    return combined


def component_value(message: HttpMessage, comp: Component) -> str:
    """The canonical value of one covered component of `message`."""
    if comp.param_dict.get("req"):
        if message.request is None:
            raise ComponentError(f"{comp.name};req needs the request the response answers")
        message = message.request
        comp = Component(comp.name, tuple((k, v) for k, v in comp.params if k != "req"))
    if comp.name.startswith("@"):
        return _derived_value(message, comp)
    return _field_value(message, comp)


# -- signature base --------------------------------------------------------------------------------


def signature_params(components: Sequence[Component], params: dict[str, BareItem]) -> str:
    """The serialised `@signature-params` value (also the Signature-Input member value)."""
    return serialize_inner_list(InnerList([c.as_item() for c in components], dict(params)))


def signature_base(message: HttpMessage, components: Sequence[Component], params: dict[str, BareItem]) -> str:
    """The exact text signed for `components` and signature `params` of `message`."""
    seen: set[Component] = set()
    lines = []
    for comp in components:
        if comp in seen:
            raise ComponentError(f"component {comp.identifier()} is covered twice")
        if comp.name == "@signature-params":
            raise ComponentError("@signature-params cannot be covered")
        seen.add(comp)
        value = component_value(message, comp)
        if "\n" in value or "\r" in value:
            raise ComponentError(f"component {comp.identifier()} contains a newline")
        lines.append(f"{comp.identifier()}: {value}")
    lines.append(f'"@signature-params": {signature_params(components, params)}')
    return "\n".join(lines)


# -- signing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureHeaders:
    """The two header members one signature adds: put them in `Signature-Input` and `Signature`."""

    label: str
    signature_input: str
    signature: str


def sign_message(
    message: HttpMessage,
    key: SigningKey,
    components: Sequence[str | Component],
    *,
    label: str = "sig1",
    created: int | None = None,
    expires: int | None = None,
    nonce: str | None = None,
    tag: str | None = None,
    alg: str | None = None,
    include_alg: bool = False,
) -> SignatureHeaders:
    """Sign `message`; `created` defaults to now. `alg` defaults to what the key implies, and is
    only written into the parameters when `include_alg` (peers then cannot be downgraded)."""
    comps = [_component(c) for c in components]
    algorithm = alg or default_algorithm(key.key)
    if algorithm not in ALGORITHMS:
        raise ComponentError(f"unsupported algorithm {algorithm!r}")
    params: dict[str, BareItem] = {"created": int(time.time()) if created is None else created}
    if expires is not None:
        params["expires"] = expires
    params["keyid"] = key.key_id
    if include_alg:
        params["alg"] = algorithm
    if nonce is not None:
        params["nonce"] = nonce
    if tag is not None:
        params["tag"] = tag
    base = signature_base(message, comps, params)
    raw = sign_bytes(key.key, algorithm, base.encode("utf-8"))
    return SignatureHeaders(
        label,
        serialize_dictionary({label: InnerList([c.as_item() for c in comps], params)}),
        serialize_dictionary({label: Item(raw)}),
    )


def add_signature_headers(headers: dict[str, str], signed: SignatureHeaders) -> None:
    """Add one signature to a header dict, appending to any signatures already there."""
    for name, value in (("Signature-Input", signed.signature_input), ("Signature", signed.signature)):
        headers[name] = f"{headers[name]}, {value}" if headers.get(name) else value


# -- verifying -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageSignature:
    """One labelled signature found on a message."""

    label: str
    components: tuple[Component, ...]
    params: dict[str, BareItem] = field(hash=False)
    signature: bytes = b""

    def _str(self, name: str) -> str | None:
        value = self.params.get(name)
        return value if isinstance(value, str) and not isinstance(value, bool) else None

    def _int(self, name: str) -> int | None:
        value = self.params.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def key_id(self) -> str | None:
        return self._str("keyid")

    @property
    def alg(self) -> str | None:
        return self._str("alg")

    @property
    def created(self) -> int | None:
        return self._int("created")

    @property
    def expires(self) -> int | None:
        return self._int("expires")

    @property
    def covered_names(self) -> set[str]:
        return {c.name for c in self.components}


def parse_signatures(message: HttpMessage) -> list[MessageSignature]:
    """Every signature whose label appears in both `Signature-Input` and `Signature`."""
    inputs_text = message.combined_header("Signature-Input")
    sigs_text = message.combined_header("Signature")
    if not inputs_text or not sigs_text:
        return []
    try:
        inputs = parse_dictionary(inputs_text)
        sigs = parse_dictionary(sigs_text)
    except StructuredFieldError as exc:
        raise ComponentError(f"Signature-Input/Signature are not structured dictionaries: {exc}") from exc
    found = []
    for label, member in inputs.items():
        sig = sigs.get(label)
        if not isinstance(member, InnerList) or not isinstance(sig, Item) or not isinstance(sig.value, bytes):
            continue
        comps = tuple(Component.from_item(i) for i in member.items)
        found.append(MessageSignature(label, comps, dict(member.params), sig.value))
    return found


def verify_message(
    message: HttpMessage, signature: MessageSignature, key: VerifyKey, *, key_alg: str | None = None
) -> bool:
    """True when `signature` is valid over `message` for `key` (no time or coverage policy here).

    The algorithm is the signature's `alg`, else `key_alg` (what the key's owner says it is for),
    else what the key type implies (RSA keys mean rsa-v1_5-sha256 in the fediverse)."""
    algorithm = signature.alg or key_alg or default_algorithm(key)
    if algorithm not in ALGORITHMS or (key_alg and signature.alg and key_alg != signature.alg):
        return False
    base = signature_base(message, signature.components, signature.params)
    return verify_bytes(key, algorithm, base.encode("utf-8"), signature.signature)
