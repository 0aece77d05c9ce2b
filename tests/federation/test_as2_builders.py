"""The documents we emit: actor (Person and instance Application), collections and activities, each
read back through our own tolerant parsers; plus the @context and addressing helpers."""

from __future__ import annotations

from federation.as2 import (
    AS_CONTEXT,
    ENTATIVA_NS,
    PUBLIC,
    SECURITY_CONTEXT,
    Audience,
    audience_of,
    build_activity,
    build_instance_actor,
    build_person,
    collection_items,
    default_context,
    entativa_term,
    image_object,
    key_info_from_document,
    next_page_of,
    ordered_collection,
    ordered_collection_page,
    page_url,
    parse_activity,
    parse_actor,
    visibility_of,
)

ALICE = "http://127.0.0.1:18101/users/alice"


def test_context_has_as2_security_and_our_namespace():
    ctx = default_context({"entativa:take": {"@id": "entativa:take", "@type": "@id"}})
    assert ctx[0] == AS_CONTEXT and ctx[1] == SECURITY_CONTEXT
    terms = ctx[2]
    assert terms["entativa"] == "https://entativa.social/ns#" == ENTATIVA_NS
    assert terms["toot"] == "http://joinmastodon.org/ns#" and terms["schema"] == "http://schema.org#"
    assert terms["PropertyValue"] == "schema:PropertyValue" and terms["discoverable"] == "toot:discoverable"
    assert "entativa:take" in terms
    assert "entativa:take" not in default_context()[2]  # extra terms never leak into the shared default
    assert entativa_term("trendOrigin") == "https://entativa.social/ns#trendOrigin"


def test_person_document_round_trips_through_the_parser(rsa_keypair):
    doc = build_person(
        ALICE, "alice", rsa_keypair[1], name="Alice", summary_html="<p>hi</p>",
        url="http://127.0.0.1:18101/@alice", shared_inbox="http://127.0.0.1:18101/inbox",
        manually_approves_followers=True, discoverable=False,
        icon=image_object("http://127.0.0.1:18101/media/a.png", "image/png"),
        image=image_object("http://127.0.0.1:18101/media/h.jpg"),
        fields=[("Site", '<a href="https://alice.example">alice.example</a>')],
        also_known_as=["https://old.example/users/alice"],
        featured_tags=f"{ALICE}/collections/tags",
    )
    assert doc["@context"] == default_context()
    assert doc["publicKey"] == {"id": f"{ALICE}#main-key", "owner": ALICE, "publicKeyPem": rsa_keypair[1]}
    assert doc["endpoints"] == {"sharedInbox": "http://127.0.0.1:18101/inbox"}
    assert doc["attachment"][0]["type"] == "PropertyValue"
    actor = parse_actor(doc)
    assert (actor.type, actor.username, actor.name) == ("Person", "alice", "Alice")
    assert (actor.inbox, actor.outbox) == (f"{ALICE}/inbox", f"{ALICE}/outbox")
    assert (actor.followers, actor.following, actor.featured) == (
        f"{ALICE}/followers", f"{ALICE}/following", f"{ALICE}/collections/featured")
    assert actor.manually_approves_followers and actor.discoverable is False
    assert actor.icon_url.endswith("a.png") and actor.image_url.endswith("h.jpg")
    assert actor.fields == (("Site", '<a href="https://alice.example">alice.example</a>'),)
    assert actor.also_known_as == ("https://old.example/users/alice",)
    info = key_info_from_document(doc, f"{ALICE}#main-key")
    assert info.owner == ALICE and info.public_key == rsa_keypair[1]


def test_extra_properties_are_added(rsa_keypair):
    doc = build_person(ALICE, "alice", rsa_keypair[1], extra={"entativa:theme": "vignette"})
    assert doc["entativa:theme"] == "vignette"


def test_instance_actor_is_an_application(rsa_keypair):
    doc = build_instance_actor("http://127.0.0.1:18101/actor", "127.0.0.1:18101", rsa_keypair[1],
                               shared_inbox="http://127.0.0.1:18101/inbox")
    actor = parse_actor(doc)
    assert (actor.type, actor.username) == ("Application", "127.0.0.1:18101")
    assert actor.manually_approves_followers and actor.main_key.id == "http://127.0.0.1:18101/actor#main-key"
    assert actor.inbox == "http://127.0.0.1:18101/actor/inbox"


def test_bare_key_documents_and_foreign_keys():
    bare = {"id": f"{ALICE}#main-key", "owner": ALICE, "publicKeyPem": "PEM"}
    assert key_info_from_document(bare, f"{ALICE}#main-key").owner == ALICE
    assert key_info_from_document(bare, "http://other/#k") is None
    hijack = {"id": ALICE, "type": "Person", "publicKey": {"id": "k", "owner": "http://evil/", "publicKeyPem": "P"}}
    assert key_info_from_document(hijack, "k") is None
    assert key_info_from_document({"type": "Note", "id": "n"}, "n") is None


def test_collection_paging_documents():
    outbox = f"{ALICE}/outbox"
    first = page_url(outbox, page=True)
    assert first == f"{outbox}?page=true"
    summary = ordered_collection(outbox, total_items=3, first=first, last=page_url(outbox, page=True, min_id=0))
    assert summary["type"] == "OrderedCollection" and summary["totalItems"] == 3
    assert next_page_of(summary) == first
    page = ordered_collection_page(first, outbox, ["a", "b"], next_page=page_url(outbox, page=True, max_id=7))
    assert page["partOf"] == outbox and page["orderedItems"] == ["a", "b"]
    assert next_page_of(page) == f"{outbox}?page=true&max_id=7"
    last = ordered_collection_page(page_url(outbox, page=True, max_id=7), outbox, ["c"], with_context=False)
    assert "@context" not in last and next_page_of(last) is None
    assert collection_items(page) == ["a", "b"]


def test_small_collections_inline_their_items_and_counts_can_be_hidden():
    featured = ordered_collection(f"{ALICE}/collections/featured", items=[{"id": "n1", "type": "Note"}])
    assert featured["totalItems"] == 1 and collection_items(featured)[0]["id"] == "n1"
    hidden = ordered_collection(f"{ALICE}/followers", first=f"{ALICE}/followers?page=1")
    assert "totalItems" not in hidden
    embedded = {"type": "Collection", "first": {"type": "CollectionPage", "items": ["x"], "next": "p2"}}
    assert collection_items(embedded) == ["x"] and next_page_of(embedded) == "p2"


def test_activities_round_trip():
    follow = build_activity("Follow", f"{ALICE}#follows/1", ALICE, "http://node-b.test/users/bob")
    parsed = parse_activity(follow)
    assert (parsed.type, parsed.actor, parsed.object_id) == ("Follow", ALICE, "http://node-b.test/users/bob")
    accept = build_activity("Accept", "http://node-b.test/users/bob#accepts/1", "http://node-b.test/users/bob",
                            follow, to=[ALICE])
    assert parse_activity(accept).object_type == "Follow"
    assert "@context" not in accept["object"] and accept["object"]["id"] == follow["id"]
    create = build_activity("Create", f"{ALICE}/s/1/activity", ALICE, {"id": f"{ALICE}/s/1", "type": "Note"},
                            to=[PUBLIC], cc=[f"{ALICE}/followers"], published="2024-01-01T00:00:00Z")
    assert visibility_of(create) == "public"
    move = build_activity("Move", f"{ALICE}#moves/1", ALICE, ALICE, target="https://new.example/users/alice")
    assert parse_activity(move).target == "https://new.example/users/alice"


def test_visibility_rules():
    followers = f"{ALICE}/followers"
    assert visibility_of({"to": "as:Public"}) == "public"
    assert visibility_of({"to": ["Public"]}) == "public"
    assert visibility_of({"to": [followers], "cc": ["https://www.w3.org/ns/activitystreams#Public"]}) == "unlisted"
    assert visibility_of({"to": [followers]}, followers=followers) == "private"
    assert visibility_of({"to": [followers]}, followers="https://x/other-followers") == "direct"
    assert visibility_of({"to": [f"{ALICE}/followers"]}, actor=ALICE) == "private"
    assert visibility_of({"to": ["http://node-b.test/users/bob"]}) == "direct"
    assert visibility_of({}) == "direct"


def test_audience_handles_objects_singletons_and_blind_fields():
    aud = audience_of({"to": {"id": "http://b/u"}, "cc": "as:Public", "bcc": ["http://c/u"], "audience": "http://g"})
    assert aud.to == ("http://b/u",) and aud.cc == (PUBLIC,)
    assert aud.recipients == ("http://b/u", PUBLIC, "http://c/u", "http://g")
    assert aud.without_blind() == Audience(("http://b/u",), (PUBLIC,), (), (), ("http://g",))
