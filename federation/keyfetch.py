"""Fetching a signer's public key from the network: dereference the keyId, accept the key from an actor
document that lists it, and confirm a bare key object with its owner's actor document. The node wraps
this in its key cache to build the resolver the SignatureVerifier takes."""

from __future__ import annotations

from urllib.parse import urldefrag, urlsplit

from .as2.actors import key_info_from_document
from .client import FederationClient, FetchError
from .signatures import PublicKeyInfo, SigningKey


async def fetch_public_key(
    client: FederationClient, key_id: str, *, sign_with: SigningKey | None = None
) -> PublicKeyInfo | None:
    """The key `key_id` names and the actor owning it, or None when the documents do not establish it.

    `sign_with` (the instance actor's key) makes the fetches work against servers requiring signed
    GETs. Network failures raise FetchError; the verifier turns that into a rejected signature."""
    document_url, _ = urldefrag(key_id)
    doc = await client.get_activity(document_url, sign_with=sign_with)
    info = key_info_from_document(doc, key_id)
    # A server may only vouch for its own actors: a document from one host claiming an actor on
    # another would let that host sign activities in the other's name.
    if info is None or _origin(info.owner) != _origin(key_id):
        return None
    if info.owner == doc.get("id"):
        # Found on the actor document itself (or not at all): nothing more to confirm.
        return info
    # A bare key object only claims its owner; the owner's actor document must list the same key.
    try:
        owner_doc = await client.get_activity(info.owner, sign_with=sign_with)
    except FetchError:
        return None
    confirmed = key_info_from_document(owner_doc, key_id)
    if confirmed is None or confirmed.owner != info.owner:
        return None
    return confirmed


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()
