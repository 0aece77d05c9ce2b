"""Actor documents: building ours (Person, and the instance actor of type Application) and parsing
anyone's (Person, Service, Group, Application, Organization; publicKey as object, list or absent)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..signatures.verifier import PublicKeyInfo
from .context import default_context
from .fields import as_list, bool_of, id_of, ids_of, text_of, type_of, web_url_of
from .objects import ACTOR_TYPES, Tags, parse_tags


class InvalidActorError(ValueError):
    """A document is not a usable actor (no id, or not an actor type)."""


# -- building ------------------------------------------------------------------------------------


def image_object(url: str, media_type: str | None = None, description: str | None = None) -> dict[str, Any]:
    """An Image for icon/image (avatar/header) properties."""
    img: dict[str, Any] = {"type": "Image", "url": url}
    if media_type:
        img["mediaType"] = media_type
    if description:
        img["name"] = description
    return img


def property_value(name: str, value_html: str) -> dict[str, Any]:
    """A profile metadata field as Mastodon shows it (value is HTML)."""
    return {"type": "PropertyValue", "name": name, "value": value_html}


def public_key_object(actor_id: str, public_key_pem: str, key_id: str | None = None) -> dict[str, Any]:
    return {"id": key_id or f"{actor_id}#main-key", "owner": actor_id, "publicKeyPem": public_key_pem}


def build_person(
    actor_id: str,
    username: str,
    public_key_pem: str,
    *,
    name: str | None = None,
    summary_html: str = "",
    url: str | None = None,
    inbox: str | None = None,
    outbox: str | None = None,
    followers: str | None = None,
    following: str | None = None,
    featured: str | None = None,
    featured_tags: str | None = None,
    shared_inbox: str | None = None,
    manually_approves_followers: bool = False,
    discoverable: bool = True,
    indexable: bool = False,
    icon: Mapping[str, Any] | None = None,
    image: Mapping[str, Any] | None = None,
    fields: Sequence[tuple[str, str]] = (),
    published: str | None = None,
    also_known_as: Sequence[str] = (),
    moved_to: str | None = None,
    actor_type: str = "Person",
    extra: Mapping[str, Any] | None = None,
    context: list[Any] | None = None,
) -> dict[str, Any]:
    """A full actor document. Collection URLs default to `<actor_id>/inbox` etc.; `extra` adds or
    overrides properties (e.g. entativa: terms)."""
    base = actor_id.rstrip("/")
    doc: dict[str, Any] = {
        "@context": context or default_context(),
        "id": actor_id,
        "type": actor_type,
        "preferredUsername": username,
        "name": name if name is not None else username,
        "summary": summary_html,
        "url": url or actor_id,
        "inbox": inbox or f"{base}/inbox",
        "outbox": outbox or f"{base}/outbox",
        "followers": followers or f"{base}/followers",
        "following": following or f"{base}/following",
        "featured": featured or f"{base}/collections/featured",
        "manuallyApprovesFollowers": manually_approves_followers,
        "discoverable": discoverable,
        "indexable": indexable,
        "publicKey": public_key_object(actor_id, public_key_pem),
        "attachment": [property_value(n, v) for n, v in fields],
        "tag": [],
    }
    if featured_tags:
        doc["featuredTags"] = featured_tags
    if shared_inbox:
        doc["endpoints"] = {"sharedInbox": shared_inbox}
    if icon:
        doc["icon"] = dict(icon)
    if image:
        doc["image"] = dict(image)
    if published:
        doc["published"] = published
    if also_known_as:
        doc["alsoKnownAs"] = list(also_known_as)
    if moved_to:
        doc["movedTo"] = moved_to
    if extra:
        doc.update(extra)
    return doc


def build_instance_actor(
    actor_id: str,
    domain: str,
    public_key_pem: str,
    *,
    inbox: str | None = None,
    outbox: str | None = None,
    shared_inbox: str | None = None,
    url: str | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """The instance actor (type Application, username = domain) that signs fetches made on behalf
    of the server itself; like Mastodon's, it approves followers manually and is not discoverable."""
    base = actor_id.rstrip("/")
    doc: dict[str, Any] = {
        "@context": default_context(),
        "id": actor_id,
        "type": "Application",
        "preferredUsername": domain,
        "name": name or domain,
        "inbox": inbox or f"{base}/inbox",
        "outbox": outbox or f"{base}/outbox",
        "url": url or actor_id,
        "manuallyApprovesFollowers": True,
        "discoverable": False,
        "publicKey": public_key_object(actor_id, public_key_pem),
    }
    if shared_inbox:
        doc["endpoints"] = {"sharedInbox": shared_inbox}
    return doc


# -- parsing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActorKey:
    id: str
    owner: str | None
    pem: str


@dataclass(frozen=True)
class ParsedActor:
    id: str
    type: str
    username: str | None
    name: str | None
    summary: str | None
    url: str | None
    inbox: str | None
    outbox: str | None
    shared_inbox: str | None
    followers: str | None
    following: str | None
    featured: str | None
    featured_tags: str | None
    manually_approves_followers: bool
    discoverable: bool | None
    indexable: bool | None
    suspended: bool
    memorial: bool
    icon_url: str | None
    image_url: str | None
    fields: tuple[tuple[str, str], ...]
    public_keys: tuple[ActorKey, ...]
    also_known_as: tuple[str, ...]
    moved_to: str | None
    published: str | None
    tags: Tags = field(default_factory=Tags)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def main_key(self) -> ActorKey | None:
        return self.public_keys[0] if self.public_keys else None

    @property
    def delivery_inbox(self) -> str | None:
        """Where to deliver: the shared inbox when the actor offers one."""
        return self.shared_inbox or self.inbox

    def key(self, key_id: str) -> ActorKey | None:
        return next((k for k in self.public_keys if k.id == key_id), None)

    def key_info(self, key_id: str) -> PublicKeyInfo | None:
        """The verifier's view of `key_id`, if this actor publishes it (and owns it)."""
        key = self.key(key_id)
        if key is None or (key.owner is not None and key.owner != self.id):
            return None
        return PublicKeyInfo(owner=self.id, public_key=key.pem, key_id=key.id)


def _image_url(value: Any) -> str | None:
    """The URL of an icon/image: an Image, an IRI, or a list of sizes (the widest wins)."""
    best, best_width = None, -1
    for item in as_list(value):
        url = web_url_of(item.get("url")) if isinstance(item, Mapping) else web_url_of(item)
        width = item.get("width") if isinstance(item, Mapping) else None
        width = width if isinstance(width, int) else 0
        if url and width > best_width:
            best, best_width = url, width
    return best


def _keys(doc: Mapping[str, Any]) -> tuple[ActorKey, ...]:
    keys = []
    for item in as_list(doc.get("publicKey")):
        if isinstance(item, Mapping) and isinstance(item.get("publicKeyPem"), str) and id_of(item):
            keys.append(ActorKey(id_of(item) or "", id_of(item.get("owner")), item["publicKeyPem"]))
    return tuple(keys)


def parse_actor(doc: Mapping[str, Any]) -> ParsedActor:
    """Parse an actor document; raises InvalidActorError when it has no id or no actor type."""
    actor_id = id_of(doc)
    kind = type_of(doc)
    if not actor_id:
        raise InvalidActorError("actor has no id")
    if kind not in ACTOR_TYPES:
        raise InvalidActorError(f"{actor_id} is a {kind}, not an actor")
    endpoints = doc.get("endpoints")
    shared = id_of(endpoints.get("sharedInbox")) if isinstance(endpoints, Mapping) else None
    fields = tuple(
        (a["name"], a["value"])
        for a in as_list(doc.get("attachment"))
        if isinstance(a, Mapping)
        and type_of(a) == "PropertyValue"
        and isinstance(a.get("name"), str)
        and isinstance(a.get("value"), str)
    )
    return ParsedActor(
        id=actor_id,
        type=kind,
        username=text_of(doc.get("preferredUsername")),
        name=text_of(doc.get("name")),
        summary=text_of(doc.get("summary")),
        url=web_url_of(doc.get("url")),
        inbox=id_of(doc.get("inbox")),
        outbox=id_of(doc.get("outbox")),
        shared_inbox=shared,
        followers=id_of(doc.get("followers")),
        following=id_of(doc.get("following")),
        featured=id_of(doc.get("featured")),
        featured_tags=id_of(doc.get("featuredTags")),
        manually_approves_followers=bool(bool_of(doc.get("manuallyApprovesFollowers"), False)),
        discoverable=bool_of(doc.get("discoverable")),
        indexable=bool_of(doc.get("indexable")),
        suspended=bool(bool_of(doc.get("suspended"), False)),
        memorial=bool(bool_of(doc.get("memorial"), False)),
        icon_url=_image_url(doc.get("icon")),
        image_url=_image_url(doc.get("image")),
        fields=fields,
        public_keys=_keys(doc),
        also_known_as=tuple(ids_of(doc.get("alsoKnownAs"))),
        moved_to=id_of(doc.get("movedTo")),
        published=text_of(doc.get("published")),
        tags=parse_tags(doc),
        raw=doc,
    )


def key_info_from_document(doc: Mapping[str, Any], key_id: str) -> PublicKeyInfo | None:
    """Find `key_id` in a fetched document: an actor publishing it, or a bare key object
    (`{"id", "owner", "publicKeyPem"}`, as some servers serve at the key URL). A bare key's owner
    is only a claim: the caller must fetch the owner and check it lists the same key."""
    if type_of(doc) in ACTOR_TYPES:
        try:
            return parse_actor(doc).key_info(key_id)
        except InvalidActorError:
            return None
    if id_of(doc) == key_id and isinstance(doc.get("publicKeyPem"), str) and id_of(doc.get("owner")):
        return PublicKeyInfo(owner=id_of(doc.get("owner")) or "", public_key=doc["publicKeyPem"], key_id=key_id)
    return None
