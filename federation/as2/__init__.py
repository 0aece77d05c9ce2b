"""ActivityStreams 2.0 vocabulary: the context we emit, builders for our documents, and tolerant
parsers for what real peers send."""

from .activities import InvalidActivityError, ParsedActivity, build_activity, parse_activity
from .actors import (
    ActorKey,
    InvalidActorError,
    ParsedActor,
    build_instance_actor,
    build_person,
    image_object,
    key_info_from_document,
    parse_actor,
    property_value,
)
from .audience import Audience, Visibility, audience_of, visibility_of
from .collections import collection_items, next_page_of, ordered_collection, ordered_collection_page, page_url
from .context import (
    AS2_ACCEPT,
    AS2_MEDIA_TYPE,
    AS_CONTEXT,
    ENTATIVA_NS,
    PUBLIC,
    PUBLIC_ALIASES,
    SECURITY_CONTEXT,
    default_context,
    entativa_term,
    is_public,
)
from .fields import as_list, bool_of, id_of, ids_of, language_value, strip_as_prefix, type_of, types_of
from .objects import (
    ACTOR_TYPES,
    Attachment,
    CustomEmoji,
    Hashtag,
    Mention,
    ParsedObject,
    Poll,
    PollOption,
    QuoteRef,
    Tags,
    author_of,
    link_of,
    parse_attachments,
    parse_object,
    parse_poll,
    parse_tags,
    quote_of,
)

__all__ = [
    "ACTOR_TYPES", "AS2_ACCEPT", "AS2_MEDIA_TYPE", "AS_CONTEXT", "ENTATIVA_NS", "PUBLIC", "PUBLIC_ALIASES",
    "SECURITY_CONTEXT", "ActorKey", "Attachment", "Audience", "CustomEmoji", "Hashtag", "InvalidActivityError",
    "InvalidActorError", "Mention", "ParsedActivity", "ParsedActor", "ParsedObject", "Poll", "PollOption", "QuoteRef", "Tags",
    "Visibility", "as_list", "audience_of", "author_of", "bool_of", "build_activity", "build_instance_actor",
    "build_person", "collection_items", "default_context", "entativa_term", "id_of", "ids_of", "image_object",
    "is_public", "key_info_from_document", "language_value", "link_of", "next_page_of", "ordered_collection",
    "ordered_collection_page", "page_url", "parse_activity", "parse_actor", "parse_attachments", "parse_object",
    "parse_poll", "parse_tags", "property_value", "quote_of", "strip_as_prefix", "type_of", "types_of", "visibility_of",
]
