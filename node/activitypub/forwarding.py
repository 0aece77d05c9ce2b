"""Inbox forwarding (ActivityPub 7.1.2) and the signature that makes it possible.

A reply from a third server to a local post, addressed to the local author's followers, reaches only the
servers its author knows of; the spec asks the server that owns the addressed collection to forward it
to the collection's members. We forward when the spec's conditions hold (first time seen: the inbox row
and the outbox both dedupe by activity id; addressed to a local followers collection; about an object of
that collection's owner) and only activities carrying their author's Linked Data Signature, since a
receiver cannot trust a relayed activity otherwise. For the same reason our own replies to remote posts
are signed that way, so their servers can forward them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from federation.as2.fields import id_of
from federation.signatures import ld

from ..models import Account, Status
from . import delivery, outbox
from .actors import host_of

if TYPE_CHECKING:
    from ..runtime import Node

_AUDIENCE = ("to", "cc", "bto", "bcc", "audience")


@dataclass(frozen=True)
class Forward:
    owner: Account  # the local account whose followers collection the activity addresses
    inboxes: list[str]


def _ids(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [i for i in (id_of(v) for v in values) if i]


def _referenced(activity: dict[str, Any]) -> list[str]:
    """Ids the activity is about: its object, and the object's inReplyTo / target / tags."""
    obj = activity.get("object")
    found = _ids(obj) + _ids(activity.get("target"))
    if isinstance(obj, dict):
        found += _ids(obj.get("inReplyTo")) + _ids(obj.get("target")) + _ids(obj.get("tag"))
    return found


async def plan(node: Node, activity: dict[str, Any]) -> Forward | None:
    """Where to forward `activity`, decided before it is applied (a Delete removes what it is about)."""
    if not node.config.federation.enabled or ld.signature_of(activity) is None:
        return None
    base = node.urls.base + "/"
    addressed = [i for field in _AUDIENCE for i in _ids(activity.get(field) or (
        activity["object"].get(field) if isinstance(activity.get("object"), dict) else None))]
    collections = {i for i in addressed if i.startswith(base) and i.endswith("/followers")}
    if not collections:
        return None
    owners = await Account.filter(domain="", uri__in=[c.removesuffix("/followers") for c in collections])
    if not owners:
        return None
    about = await Status.filter(uri__in=_referenced(activity)).values_list("account_id", "in_reply_to_id", "local")
    parents = [p for _, p, local in about if p and not local]
    owned = {account for account, _, local in about if local}
    if parents:  # the object is a remote reply we already hold (an Update or Delete of it)
        owned |= set(await Status.filter(id__in=parents, local=True).values_list("account_id", flat=True))
    owner = next((o for o in owners if o.id in owned), None)
    if owner is None:
        return None
    origin = host_of(str(activity.get("actor", "")))  # the author's server has it already
    inboxes = [i for i in await outbox.follower_inboxes(owner.id) if host_of(i) != origin]
    return Forward(owner, inboxes) if inboxes else None


async def send(node: Node, activity: dict[str, Any], forward: Forward) -> int:
    """Queue the activity, unchanged (its own signature must still verify), signed by the owner."""
    return await delivery.enqueue(node, forward.owner, activity, forward.inboxes)


async def sign_reply(node: Node, author: Account, status: Status, doc: dict[str, Any]) -> dict[str, Any]:
    """`doc` with the author's Linked Data Signature when it is about a reply to a remote post that is
    not direct: the only activities another server has reason to forward."""
    if status.in_reply_to_account_id is None or status.visibility == "direct":
        return doc
    parent_author = await Account.filter(id=status.in_reply_to_account_id).first()
    if parent_author is None or parent_author.local:
        return doc
    keys = await delivery.signing_keys(node, {author.id})
    if author.id not in keys:
        return doc
    return await node.run_blocking(ld.sign, doc, keys[author.id])

