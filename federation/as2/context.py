"""The JSON-LD @context Entativa emits, the namespaces and media types of ActivityStreams, and the
public-addressing IRI in all the spellings peers use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
AS_NS = "https://www.w3.org/ns/activitystreams#"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
ENTATIVA_NS = "https://entativa.social/ns#"
TOOT_NS = "http://joinmastodon.org/ns#"
SCHEMA_NS = "http://schema.org#"

AS2_MEDIA_TYPE = "application/activity+json"
LD_MEDIA_TYPE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
AS2_ACCEPT = f"{AS2_MEDIA_TYPE}, {LD_MEDIA_TYPE}"

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
# Compacted and legacy forms of the same IRI that real peers put in to/cc.
PUBLIC_ALIASES = frozenset({PUBLIC, "http://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"})

# Terms outside the core AS2 context that we emit: Mastodon's (toot:), schema.org's for profile
# fields, AS2 extensions Mastodon popularised, and our own prefix. Node code adds entativa: terms.
EXTENSION_TERMS: dict[str, Any] = {
    "entativa": ENTATIVA_NS,
    "toot": TOOT_NS,
    "schema": SCHEMA_NS,
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "sensitive": "as:sensitive",
    "Hashtag": "as:Hashtag",
    "movedTo": {"@id": "as:movedTo", "@type": "@id"},
    "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
    "featured": {"@id": "toot:featured", "@type": "@id"},
    "featuredTags": {"@id": "toot:featuredTags", "@type": "@id"},
    "discoverable": "toot:discoverable",
    "indexable": "toot:indexable",
    "suspended": "toot:suspended",
    "memorial": "toot:memorial",
    "Emoji": "toot:Emoji",
    "blurhash": "toot:blurhash",
    "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
    "votersCount": "toot:votersCount",
    "PropertyValue": "schema:PropertyValue",
    "value": "schema:value",
}


def default_context(extra_terms: Mapping[str, Any] | None = None) -> list[Any]:
    """The @context list for documents we serve: AS2, security v1, then one term map."""
    terms = dict(EXTENSION_TERMS)
    if extra_terms:
        terms.update(extra_terms)
    return [AS_CONTEXT, SECURITY_CONTEXT, terms]


def is_public(iri: object) -> bool:
    """True for the public collection in any of its spellings."""
    return isinstance(iri, str) and iri in PUBLIC_ALIASES


def entativa_term(name: str) -> str:
    """The full IRI of one of our vocabulary terms (`take` -> https://entativa.social/ns#take)."""
    return ENTATIVA_NS + name
