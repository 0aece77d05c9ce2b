"""Quote posts from other servers (receiving only, for now): which post a remote post quotes, in every shape
servers send (federation.as2.quote_of), and whether the quote stands, as Mastodon 4.5 decides it: a
FEP-044f `quote` is accepted only with a `quoteAuthorization` that the quoted author's server serves and
that names both posts; a self-quote is accepted as it is; the older shapes (quoteUri, quoteUrl,
_misskey_quote, FEP-e232 links) have no approval step and are shown as their servers show them."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from federation.as2 import QuoteRef, id_of, quote_of, type_of
from federation.client import FetchError

from ..models import Account, QuoteApproval, Status, StatusQuote
from . import state
from .actors import host_of

if TYPE_CHECKING:
    from ..runtime import Node

log = logging.getLogger(__name__)


async def _authorized(node: Node, ref: QuoteRef, status: Status, quoted: Status) -> bool:
    """Whether the QuoteAuthorization at `ref.approval` is the quoted author's and names both posts."""
    author = await Account.filter(id=quoted.account_id).first()
    if not ref.approval or author is None or not author.uri or host_of(ref.approval) != host_of(author.uri):
        return False
    fed = state.of(node)
    try:
        doc = await fed.client.get_activity(ref.approval, sign_with=fed.instance_key)
    except FetchError as exc:
        log.info("quote authorization %s not read: %s", ref.approval, exc.reason)
        return False
    return (
        isinstance(doc, dict)
        and type_of(doc) == "QuoteAuthorization"
        and id_of(doc) == ref.approval
        and id_of(doc.get("attributedTo")) == author.uri
        and id_of(doc.get("interactingObject")) == status.uri
        and id_of(doc.get("interactionTarget")) == quoted.uri
    )


async def _state(node: Node, ref: QuoteRef, status: Status, quoted: Status | None) -> str:
    if quoted is None:
        return "pending"  # nothing to show or check yet
    if quoted.account_id == status.account_id or ref.legacy:
        return "accepted"
    if quoted.local:  # approved here, by answering the QuoteRequest (quote_requests.py), or not at all
        approved = await QuoteApproval.filter(status_id=quoted.id, quoting_uri=status.uri or "").exists()
        return "accepted" if approved else "pending"
    return "accepted" if await _authorized(node, ref, status, quoted) else "pending"


async def record(
    node: Node, status: Status, raw: dict[str, Any], find: Callable[[Node, str], Awaitable[Status | None]]
) -> None:
    """Store (or, on an edit, refresh) what `status` quotes; `find` gives the quoted post, known or fetched
    within the inbound object's fetch budget."""
    ref = quote_of(raw)
    if ref is None:
        await StatusQuote.filter(status_id=status.id).delete()  # an edit that dropped the quote
        return
    quoted = await find(node, ref.uri)
    verdict = await _state(node, ref, status, quoted)
    await StatusQuote.update_or_create(
        status_id=status.id,
        defaults={
            "quoted_status_id": quoted.id if quoted else None,
            "quoted_uri": ref.uri[:1024],
            "state": verdict,
            "approval_uri": (ref.approval or "")[:1024],
            "legacy": ref.legacy,
        },
    )
