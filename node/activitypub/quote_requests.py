"""Quotes of our posts asked for by other servers (FEP-044f, as Mastodon 4.5 sends them): a `QuoteRequest`
naming one of our posts (`object`) and the remote post that quotes it (`instrument`) is answered at once, as
Mastodon's default policy does: public and unlisted posts may be quoted by anyone they have not blocked,
so we `Accept` with a `result` naming a QuoteAuthorization we serve at its own URL; anything else gets a
`Reject`. A quote we approved then shows as accepted here too."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from federation.as2 import ParsedActivity, default_context, id_of

from ..errors import BadRequest, NotFound
from ..models import Account, Block, QuoteApproval, Status, StatusQuote, parse_id, snowflake
from . import delivery, serialize
from .actors import fetch_actor, host_of
from .handlers import registry

if TYPE_CHECKING:
    from ..runtime import Node

FEP_044F = "https://w3id.org/fep/044f#"
CONTEXT_TERMS = {
    "QuoteRequest": f"{FEP_044F}QuoteRequest",
    "QuoteAuthorization": f"{FEP_044F}QuoteAuthorization",
    "gts": "https://gotosocial.org/ns#",
    "interactingObject": {"@id": "gts:interactingObject", "@type": "@id"},
    "interactionTarget": {"@id": "gts:interactionTarget", "@type": "@id"},
}


def authorization_url(author: Account, approval: QuoteApproval) -> str:
    return f"{author.uri}/quote_authorizations/{approval.id}"


async def authorization_document(node: Node, username: str, approval_id: str) -> dict[str, Any]:
    """GET /users/:username/quote_authorizations/:id: the QuoteAuthorization, while its post exists."""
    key = parse_id(approval_id)
    approval = await QuoteApproval.filter(id=key).first() if key is not None else None
    status = await Status.filter(id=approval.status_id).first() if approval is not None else None
    author = (
        await Account.filter(id=status.account_id, username=username, domain="").first() if status else None
    )
    if approval is None or status is None or author is None:
        raise NotFound()
    return {
        "@context": [*default_context(), CONTEXT_TERMS],
        "id": authorization_url(author, approval),
        "type": "QuoteAuthorization",
        "attributedTo": author.uri,
        "interactingObject": approval.quoting_uri,
        "interactionTarget": status.uri,
    }


async def _may_quote(status: Status, author: Account, requester: Account) -> bool:
    if status.visibility not in ("public", "unlisted") or status.reblog_of_id is not None:
        return False
    if author.suspended_at is not None:
        return False
    return not await Block.filter(
        account_id__in=(author.id, requester.id), target_account_id__in=(author.id, requester.id)
    ).exists()


@registry.on("QuoteRequest")
async def on_quote_request(activity: ParsedActivity, node: Node) -> None:
    status = await Status.filter(uri=activity.object_id, local=True).first() if activity.object_id else None
    if status is None:
        raise NotFound("QuoteRequest for a post that is not ours")
    author = await Account.get(id=status.account_id)
    requester = await fetch_actor(node, activity.actor)
    quoting = id_of(activity.raw.get("instrument"))
    if not quoting or host_of(quoting) != host_of(requester.uri or ""):
        raise BadRequest("a QuoteRequest's instrument must be a post on the requester's server")
    request = {
        "id": activity.id,
        "type": "QuoteRequest",
        "actor": requester.uri,
        "object": status.uri,
        "instrument": quoting,
    }
    inbox = [requester.inbox_url or requester.shared_inbox_url]
    if not await _may_quote(status, author, requester):
        doc = serialize.activity(
            "Reject",
            f"{author.uri}#rejects/quotes/{snowflake()}",
            author.uri or "",
            request,
            to=[requester.uri or ""],
        )
        await delivery.enqueue(node, author, doc, inbox)
        return
    approval, _ = await QuoteApproval.get_or_create(
        status_id=status.id, quoting_uri=quoting[:1024], defaults={"requester_id": requester.id}
    )
    result = authorization_url(author, approval)
    doc = serialize.activity(
        "Accept",
        f"{author.uri}#accepts/quotes/{approval.id}",
        author.uri or "",
        request,
        to=[requester.uri or ""],
        result=result,
    )
    if isinstance(doc.get("@context"), list):
        doc["@context"] = [*doc["@context"], CONTEXT_TERMS]
    await delivery.enqueue(node, author, doc, inbox)
    # the quoting post may have reached us before the request: it stands now
    await StatusQuote.filter(status__uri=quoting, quoted_status_id=status.id).update(
        state="accepted", approval_uri=result
    )
