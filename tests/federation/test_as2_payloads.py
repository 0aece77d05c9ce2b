"""The tolerant AS2 parsers against every real-peer document in the interop payloads: each one parses,
and many have their extracted values checked."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest
from fed_interop import INTEROP, load_json, parse_raw_http

from federation.as2 import (
    ACTOR_TYPES,
    PUBLIC,
    ParsedActivity,
    ParsedActor,
    ParsedObject,
    audience_of,
    id_of,
    parse_activity,
    parse_actor,
    parse_object,
    type_of,
    visibility_of,
)
from federation.discovery import actor_url_from_jrd
from federation.signatures import load_public_key

PAYLOADS = INTEROP / "payloads"
FILES = sorted(p for p in [*PAYLOADS.glob("*.json"), *(PAYLOADS / "mastodon-docs").glob("*.json")])


def parse_document(doc: Mapping) -> ParsedActor | ParsedActivity | ParsedObject | str | None:
    """Route a document to the parser its shape calls for, as the node's inbox and fetcher will."""
    if "subject" in doc or ("links" in doc and "type" not in doc):
        return actor_url_from_jrd(doc)
    if type_of(doc) in ACTOR_TYPES:
        return parse_actor(doc)
    if "actor" in doc:
        activity = parse_activity(doc)
        if activity.object is not None:
            if type_of(activity.object) in ACTOR_TYPES:
                parse_actor(activity.object)
            else:
                parse_object(activity.object)
        return activity
    return parse_object(doc)


def _payload(name: str):
    return parse_document(load_json(f"payloads/{name}"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PAYLOADS)))
def test_every_payload_parses(path: Path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert parse_document(doc) is not None


def test_payload_folder_is_complete():
    assert len(FILES) >= 65


# -- activities ------------------------------------------------------------------------------------


def test_follow_actor_and_object():
    follow = _payload("mastodon-follow.json")
    assert (follow.type, follow.actor, follow.object_id) == (
        "Follow", "http://mastodon.example.org/users/admin", "http://localtesting.pleroma.lol/users/lain")
    assert follow.object is None


def test_accept_embeds_the_follow():
    accept = _payload("mastodon-accept-follow.json")
    assert accept.type == "Accept" and accept.object_type == "Follow"
    assert accept.object_id == "http://localtesting.pleroma.lol/users/lain#follows/4"
    assert id_of(accept.object["actor"]) == "http://localtesting.pleroma.lol/users/lain"
    assert _payload("mastodon-reject-follow.json").object_type == "Follow"


def test_undo_with_embedded_and_compact_objects():
    undo = _payload("mastodon-undo-like.json")
    compact = _payload("mastodon-undo-like-compact.json")
    assert undo.object_type == "Like" and compact.object is None
    assert undo.object_id == compact.object_id == "http://mastodon.example.org/users/admin#likes/2"
    assert _payload("mastodon-undo-follow.json").object_type == "Follow"
    undo_announce = _payload("mastodon-undo-announce.json")
    # http:// spelling of the public IRI is normalised.
    assert audience_of(undo_announce.object).to == (PUBLIC,)


def test_create_note_content_and_mentions():
    create = _payload("mastodon-create-note-mention.json")
    note = parse_object(create.object)
    assert note.type == "Note"
    assert note.attributed_to == "http://mastodon.example.org/users/admin"
    assert "lain" in note.content
    assert [m.href for m in note.tags.mentions] == ["http://localtesting.pleroma.lol/users/lain"]
    assert note.tags.mentions[0].name == "@lain@localtesting.pleroma.lol"
    assert visibility_of(create.object) == "public"


def test_hashtags_and_content_warning():
    note = parse_object(_payload("mastodon-create-note-hashtag.json").object)
    assert [h.name for h in note.tags.hashtags] == ["moo"]
    assert note.tags.hashtags[0].href == "http://mastodon.example.org/tags/moo"
    assert note.summary == "cw" and note.sensitive
    cw = parse_object(_payload("mastodon-create-note-cw-sensitive.json").object)
    assert [h.name for h in cw.tags.hashtags] == ["NSFW"] and cw.sensitive and cw.summary == "cw"
    assert [h.name for h in _payload("mastodon-docs/16-hashtags-Note.json").tags.hashtags] == ["cats"]
    assert [h.name for h in _payload("peertube-video.json").tags.hashtags] == ["feels"]


def test_content_map_only_note_gets_content_and_language():
    note = parse_object(_payload("mastodon-create-note-contentmap.json").object)
    assert note.language == "en"
    assert note.content.startswith('<p><span class="h-card">')
    both = parse_object(_payload("mitra-create-post.json").object)
    assert (both.content, both.language) == ("<p>Remote post 5</p>", "da")


def test_attachments():
    note = parse_object(_payload("mastodon-create-note-attachment.json").object)
    (att,) = note.attachments
    assert att.type == "Document" and att.media_type == "image/jpeg"
    assert att.url.endswith("/334ce029e7bfb920.jpg") and att.description is None
    (focal,) = _payload("mastodon-docs/17-focal-points-Note.json").attachments
    assert focal.focal_point == (-0.55, 0.43) and focal.url == "https://example.com/files/cats.png"
    (blur,) = _payload("mastodon-docs/18-blurhash-Note.json").attachments
    assert blur.blurhash == "UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH"


def test_visibility_of_real_activities():
    private = _payload("mastodon-announce-private.json")
    assert visibility_of(private.raw) == "private"
    assert visibility_of(private.object) == "private"
    assert visibility_of(private.raw, followers="http://mastodon.example.org/users/admin/followers") == "private"
    assert visibility_of(_payload("mastodon-announce.json").raw) == "public"
    assert visibility_of(_payload("mastodon-create-note-2.json").raw) == "unlisted"
    assert visibility_of(_payload("friendica-update-note.json").raw) == "unlisted"
    vote = _payload("mastodon-poll-vote.json")
    assert visibility_of(vote.raw) == "direct"
    assert audience_of(vote.raw).to == ("https://testing.uguu.ltd/users/rin",)


def test_questions_become_polls():
    poll = parse_object(_payload("mastodon-create-question.json").object).poll
    assert not poll.multiple and poll.end_time == "2019-05-11T09:03:36Z"
    assert [(o.name, o.votes) for o in poll.options] == [
        ("Dunno", 0), ("Everyone knows that!", 1), ("25 char limit is dumb", 0), ("I can't even fit a funny", 1)]
    docs_poll = _payload("mastodon-docs/04-polls-Question.json").poll
    assert docs_poll.multiple and docs_poll.voters_count == 7
    assert [o.votes for o in docs_poll.options] == [3, 7, 6]
    misskey = _payload("misskey-question-no-end.json").poll
    assert misskey.end_time is None and [o.name for o in misskey.options] == ["Working", "Broken af"]
    vote = parse_object(_payload("mastodon-poll-vote.json").object)
    assert vote.name and vote.poll is None and vote.in_reply_to


def test_reactions():
    assert _payload("misskey-like-reaction.json").reaction == "pudding"
    react = _payload("pleroma-emojireact.json")
    assert (react.type, react.reaction) == ("EmojiReact", "👌")
    assert _payload("mastodon-like.json").reaction is None


def test_flag_move_block_delete():
    flag = _payload("mastodon-docs/02-reporting-profiles-and-posts-flag-Flag.json")
    assert flag.objects == ("https://example.com/users/1", "https://example.com/posts/380590",
                            "https://example.com/posts/380591")
    move = _payload("mastodon-docs/03-account-migration-move-Move.json")
    assert move.target == "https://alice.com/users/109835986274379"
    assert move.object_id == move.actor
    assert _payload("mastodon-block.json").object_id == "http://localtesting.pleroma.lol/users/lain"
    delete = _payload("mastodon-delete-note.json")
    assert delete.object_type == "Tombstone"
    assert delete.object_id == "http://mastodon.example.org/users/gargron/statuses/99620895606148759"
    assert _payload("mastodon-delete-actor.json").object_type == "Person"


def test_peertube_video_and_announce():
    video = _payload("peertube-video.json")
    assert video.type == "Video" and video.name == "Friday Night"
    assert video.attributed_to == "https://peertube.moe/accounts/7even"  # the Person, not the channel
    assert video.url == "https://peertube.moe/videos/watch/df5f464b-be8d-46fb-ad81-2d4c2d1630e3"
    announce = _payload("peertube-announce-video.json")
    assert announce.actor == "https://tilvids.com/video-channels/thelinuxexperiment_channel"


def test_bare_objects():
    tomb = _payload("lemmy-tombstone.json")
    assert (tomb.type, tomb.id) == ("Tombstone", "https://lemmy.ml/comment/110273")
    smithereen = _payload("smithereen-note.json")
    assert smithereen.in_reply_to == "https://ds9.lemmy.ml/post/1723"
    assert [m.href for m in smithereen.tags.mentions] == ["https://ds9.lemmy.ml/u/nutomic"]


# -- actors ----------------------------------------------------------------------------------------


def test_mastodon_person_public_key_and_endpoints():
    actor = _payload("mastodon-person-2.json")
    assert actor.type == "Person" and actor.username == "mastodon"
    key = actor.main_key
    assert key.id == "https://masto.qa.urbanwildlife.biz/users/mastodon#main-key"
    assert key.owner == actor.id
    assert key.pem.startswith("-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtBdE55VmV9")
    assert load_public_key(key.pem).key_size == 2048
    assert actor.shared_inbox == "https://masto.qa.urbanwildlife.biz/inbox"
    assert actor.delivery_inbox == actor.shared_inbox
    assert actor.featured == "https://masto.qa.urbanwildlife.biz/users/mastodon/collections/featured"
    assert actor.discoverable is False and actor.manually_approves_followers is False
    assert actor.icon_url.endswith("/2cf61ff96e94cb1d.png")
    info = actor.key_info(key.id)
    assert info.owner == actor.id and actor.key_info("https://elsewhere/#k") is None


@pytest.mark.parametrize(
    "name,kind,username",
    [
        ("guppe-group-actor.json", "Group", "Bernie2020"),
        ("lemmy-group.json", "Group", "tenforward"),
        ("peertube-group-channel.json", "Group", "thelinuxexperiment_channel"),
        ("lemmy-instance-application.json", "Application", "enterprise.lemmy.ml"),
        ("mastodon-application-actor.json", "Application", "{{DOMAIN}}"),
        ("hollo-person.json", "Person", "hongminhee"),
        ("oeee-cafe-person.json", "Person", "hongminhee"),
        ("pleroma-person.json", "Person", "lanodan"),
        ("wordpress-person.json", "Person", "matthias"),
    ],
)
def test_actor_kinds_parse_with_keys(name, kind, username):
    actor = _payload(name)
    assert (actor.type, actor.username) == (kind, username)
    assert actor.main_key is not None and actor.main_key.pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert actor.inbox


def test_actor_details_from_several_servers():
    wordpress = _payload("wordpress-person.json")
    assert [name for name, _ in wordpress.fields] == ["Blog", "Profile"]
    assert wordpress.discoverable is True and wordpress.indexable is True
    pleroma = _payload("pleroma-person.json")
    assert [e.shortcode for e in pleroma.tags.emojis] == ["anarchy", "bzh", "gentoo"]
    assert pleroma.tags.emojis[1].icon_url == "https://queer.hacktivis.me/emoji/custom/mastodon.xyz/bzh.png"
    peertube = _payload("peertube-group-channel.json")
    assert peertube.icon_url and peertube.image_url  # lists of sizes
    assert _payload("hollo-person.json").manually_approves_followers is True
    assert _payload("oeee-cafe-person.json").shared_inbox == "https://oeee.cafe/inbox"
    assert _payload("mastodon-docs/14-suspended-flag-Person.json").suspended
    assert _payload("mastodon-docs/15-memorial-flag-Person.json").memorial
    assert _payload("mastodon-docs/13-indexable-flag-Person.json").indexable is True
    assert _payload("mastodon-docs/09-featured-tags-Person.json").featured_tags == (
        "https://example.com/@alice/collections/tags")
    assert _payload("mastodon-docs/10-profile-metadata-Person.json").fields[0][0] == "Patreon"
    assert _payload("mastodon-docs/11-identity-proofs-deprecated-Person.json").fields == ()


def test_update_person_embeds_a_parsable_actor():
    update = _payload("mastodon-update-person.json")
    actor = parse_actor(update.object)
    assert actor.id == update.actor and actor.summary == "<p>Some bio</p>"
    assert actor.main_key is not None


def test_public_key_as_a_list_and_missing_owner():
    doc = {"id": "https://x.test/u/a", "type": "Service", "inbox": "https://x.test/u/a/inbox", "publicKey": [
        {"id": "https://x.test/u/a#rsa", "owner": "https://x.test/u/a", "publicKeyPem": "PEM-1"},
        {"id": "https://x.test/u/a#other", "publicKeyPem": "PEM-2"},
        "https://x.test/u/a#bare-iri",
    ]}
    actor = parse_actor(doc)
    assert [k.id for k in actor.public_keys] == ["https://x.test/u/a#rsa", "https://x.test/u/a#other"]
    assert actor.key_info("https://x.test/u/a#other").owner == "https://x.test/u/a"


def test_mastodon_actor_http_response_parses():
    _, headers, body = parse_raw_http((INTEROP / "payloads/mastodon-spec-activitypub-actor.http.txt").read_text())
    actor = parse_actor(json.loads(body))
    assert actor.id == "https://ap.example.com/users/foo" and actor.username == "foo"
    assert actor.shared_inbox == "https://ap.example.com/inbox"
    assert actor.main_key.id == "https://ap.example.com/users/foo#main-key"
