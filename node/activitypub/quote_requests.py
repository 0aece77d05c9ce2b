"""Quotes of our posts asked for by other servers (FEP-044f, as Mastodon 4.5 sends them): a `QuoteRequest`
naming one of our posts (`object`) and the remote post that quotes it (`instrument`) is answered at once, as
Mastodon's default policy does: public and unlisted posts may be quoted by anyone they have not blocked,
so we `Accept` with a `result` naming a QuoteAuthorization we serve at its own URL; anything else gets a
`Reject`. A quote we approved then shows as accepted here too, until our author revokes it (`revoke`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise.transactions import in_transaction

from federation.as2 import PUBLIC, ParsedActivity, default_context, id_of

from .. import effects
from ..errors import BadRequest, Forbidden, NotFound, ValidationFailed
from ..models import Account, Block, QuoteApproval, Status, StatusQuote, parse_id, snowflake
from . import delivery, outbox, serialize
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


def _declare_terms(doc: dict[str, Any]) -> None:
    """FEP-044f's terms on an activity's context (Mastodon 4.5 reads them from there)."""
    if isinstance(doc.get("@context"), list):
        doc["@context"] = [*doc["@context"], CONTEXT_TERMS]


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
    _declare_terms(doc)
    await delivery.enqueue(node, author, doc, inbox)
    # the quoting post may have reached us before the request: it stands now
    await StatusQuote.filter(status__uri=quoting, quoted_status_id=status.id).update(
        state="accepted", approval_uri=result
    )


async def revoke(node: Node, author: Account, quoted: Status, quoting_id: int | str) -> Status:
    """Take back the approval of a quote of `author`'s post (Mastodon 4.5's revoke): the quote shows as
    revoked here, its QuoteAuthorization is gone (404 to whoever fetches it), and a Delete of it reaches
    the quoting author and both posts' audiences, whose servers then stop showing the quoted post.
    The rows and the queued deliveries are one transaction, so an acknowledged revoke always federates."""
    if quoted.account_id != author.id:
        raise Forbidden("This action is not allowed")
    key = parse_id(quoting_id)
    quote = (
        await StatusQuote.filter(status_id=key, quoted_status_id=quoted.id).select_related("status").first()
        if key is not None
        else None
    )
    if quote is None:
        raise NotFound()
    if quote.state == "revoked":
        return quote.status
    quoting = quote.status
    approval = await QuoteApproval.filter(status_id=quoted.id, quoting_uri=quoting.uri or "").first()
    approval_url = authorization_url(author, approval) if approval is not None else quote.approval_uri
    quoter = await Account.get(id=quoting.account_id)
    inboxes = await outbox.follower_inboxes(author.id)
    if quoting.local:
        inboxes += await outbox.status_inboxes(quoting)
    elif quoter.inbox_url or quoter.shared_inbox_url:
        inboxes.append(quoter.inbox_url or quoter.shared_inbox_url)
    async with in_transaction():
        await StatusQuote.filter(id=quote.id).update(state="revoked")
        if approval is not None:
            await QuoteApproval.filter(id=approval.id).delete()
        if approval_url and inboxes:
            doc = serialize.activity(
                "Delete", f"{approval_url}#delete", author.uri or "", approval_url, to=[PUBLIC]
            )
            _declare_terms(doc)
            await delivery.enqueue(node, author, doc, dict.fromkeys(inboxes))
    return quoting


# ---- quoting from here -------------------------------------------------------------------------------------------


def request_id(status: Status) -> str:
    return f"{status.uri}#quote-request"


async def prepare(node: Node, account: Account, quoted: Status) -> tuple[str, str]:
    """(state, approval URL) of a quote `account` is about to post, or ValidationFailed when the quoted post
    may not be quoted. A post of ours is approved here at once by the same policy we answer other servers
    with; another server's public or unlisted post gets a QuoteRequest once the quote is stored."""
    if quoted.reblog_of_id is not None:
        raise ValidationFailed("Validation failed: A boost cannot be quoted")
    if quoted.account_id == account.id:
        return "accepted", ""
    if quoted.visibility not in ("public", "unlisted"):
        raise ValidationFailed("Validation failed: This post cannot be quoted")
    author = await Account.get(id=quoted.account_id)
    if not quoted.local:
        return "pending", ""
    if not await _may_quote(quoted, author, account):
        raise ValidationFailed("Validation failed: This post cannot be quoted")
    return "accepted", ""


async def write(status: Status, quoted: Status, state: str) -> None:
    """The quote's rows, in the new status's own transaction (so its Create already carries them): a post of
    ours quoted by someone else also gets its QuoteAuthorization, which other servers fetch to check it."""
    approval_url = ""
    if quoted.local and quoted.account_id != status.account_id:
        author = await Account.get(id=quoted.account_id)
        approval = await QuoteApproval.create(
            status_id=quoted.id, quoting_uri=status.uri or "", requester_id=status.account_id
        )
        approval_url = authorization_url(author, approval)
    await StatusQuote.create(
        status_id=status.id,
        quoted_status_id=quoted.id,
        quoted_uri=quoted.uri or "",
        state=state,
        approval_uri=approval_url,
    )


async def stored(node: Node, status: Status, quoted: Status) -> None:
    """After the quote is stored: another server's post gets a QuoteRequest to its author."""
    if quoted.local:
        return
    author = await Account.get(id=quoted.account_id)
    quoter = await Account.get(id=status.account_id)
    note = await serialize.status_object(node, status, quoter)
    doc = serialize.activity(
        "QuoteRequest",
        request_id(status),
        quoter.uri or "",
        quoted.uri or "",
        to=[author.uri or ""],
        instrument=note,
    )
    _declare_terms(doc)
    await delivery.enqueue(node, quoter, doc, [author.inbox_url or author.shared_inbox_url])


async def answered(node: Node, activity: ParsedActivity, accepted: bool) -> bool:
    """An Accept or Reject of one of our QuoteRequests (embedded, or by its id); False when it is none."""
    embedded = activity.object if isinstance(activity.object, dict) else None
    instrument = id_of(embedded.get("instrument")) if embedded else None
    asked = activity.object_id or ""
    if not instrument and not asked.endswith("#quote-request"):
        return False
    uri = instrument or asked.removesuffix("#quote-request")
    quote = (
        await StatusQuote.filter(status__uri=uri, status__local=True)
        .select_related("status", "quoted_status")
        .first()
    )
    if quote is None or quote.quoted_status is None:
        return True
    author = await Account.get(id=quote.quoted_status.account_id)
    if author.uri != activity.actor:
        raise BadRequest("only the quoted author answers a QuoteRequest")
    result = id_of(activity.raw.get("result"))
    if accepted and result and host_of(result) == host_of(author.uri or ""):
        await StatusQuote.filter(id=quote.id).update(state="accepted", approval_uri=result[:1024])
        status = quote.status
        # followers learn of the approval as Mastodon 4.5 tells them: an Update carrying quoteAuthorization
        effect = await effects.record(node, "status.updated", status=status)
        await effects.announce(node, "status.updated", effect, status=status)
    elif not accepted:
        await StatusQuote.filter(id=quote.id).update(state="rejected")
    return True


@registry.on("Accept", "QuoteRequest")
async def on_quote_accepted(activity: ParsedActivity, node: Node) -> None:
    await answered(node, activity, True)


@registry.on("Reject", "QuoteRequest")
async def on_quote_rejected(activity: ParsedActivity, node: Node) -> None:
    await answered(node, activity, False)
