"""Every payload in ../shared/interop/payloads that we claim to accept, as real peers send it: its actor
is served (with a real RSA key) by a loopback "remote server", the activity is signed (cavage, and RFC
9421 for some) and POSTed to our shared inbox over HTTP, the queue is drained, and the effect is
checked in our database and API. Then the ways an inbox POST must be refused."""

from __future__ import annotations

import json
import time
from email.utils import formatdate
from typing import Any

import aiohttp
import pytest
from federation_nodes import Cluster, FedNode, PeerServer, peer_keypair, settle
from support import INTEROP

from federation.as2 import PUBLIC
from federation.signatures import sign_request
from node.models import (
    Account,
    Block,
    Delivery,
    Favourite,
    Follow,
    FollowRequest,
    InboxActivity,
    MediaAttachment,
    Mention,
    Notification,
    Poll,
    PollVote,
    Report,
    Status,
    StatusTag,
)
from node.services import relationships

PAYLOADS = INTEROP / "payloads"
REMOTE_HOSTS = ("mastodon.example.org", "mastodon.sdf.org", "misskey.xyz", "mastodon.madrid", "mastodon.example",
                "greenish.red", "pirati.ca", "mitra.social", "tilvids.com", "relay.mastodon.host", "alice.com")
ACCEPTED = {  # payload file -> test that proves it
    "mastodon-follow.json": "test_follows", "mastodon-accept-follow.json": "test_follows",
    "mastodon-reject-follow.json": "test_follows", "mastodon-undo-follow.json": "test_follows",
    "relay-accept-follow.json": "test_follows",
    "mastodon-create-note-mention.json": "test_content", "mastodon-create-note-attachment.json": "test_content",
    "mastodon-create-note-hashtag.json": "test_content", "mastodon-create-note-cw-sensitive.json": "test_content",
    "mastodon-create-note-contentmap.json": "test_content", "mastodon-create-question.json": "test_content",
    "mastodon-create-note-2.json": "test_content", "pleroma-create-note.json": "test_content",
    "mitra-create-post.json": "test_content", "friendica-update-note.json": "test_content",
    "mastodon-delete-note.json": "test_content", "mastodon-delete-tombstone.json": "test_content",
    "mastodon-poll-vote.json": "test_interactions", "mastodon-announce.json": "test_interactions",
    "mastodon-undo-announce.json": "test_interactions", "mastodon-like.json": "test_interactions",
    "misskey-like-reaction.json": "test_interactions", "pleroma-emojireact.json": "test_interactions",
    "mastodon-undo-like.json": "test_interactions", "mastodon-undo-like-compact.json": "test_interactions",
    "peertube-announce-video.json": "test_interactions",
    "mastodon-block.json": "test_actors_and_moderation", "mastodon-update-person.json": "test_actors_and_moderation",
    "mastodon-delete-actor.json": "test_actors_and_moderation", "mastodon-flag.json": "test_actors_and_moderation",
    "mastodon-docs/03-account-migration-move-Move.json": "test_actors_and_moderation",
}


class World:
    def __init__(self, cluster: Cluster, fed: FedNode, peer: PeerServer) -> None:
        self.cluster, self.fed, self.peer = cluster, fed, peer
        self.local: dict[str, str] = {}

    @property
    def inbox(self) -> str:
        return f"{self.fed.base}/inbox"

    def load(self, name: str, **extra: str) -> dict[str, Any]:
        """A payload with our accounts and posts in place of the originals' local ones, over http."""
        text = (PAYLOADS / name).read_text()
        for old, new in {**self.local, **extra}.items():
            text = text.replace(old, new)
        return json.loads(text.replace("https://", "http://"))

    async def deliver(self, doc: dict[str, Any], *, scheme: str = "cavage", serve_actor: bool = True) -> None:
        if serve_actor and doc["actor"] not in self.peer.docs:
            self.peer.add_actor(doc["actor"])
        status = await self.peer.send(self.inbox, doc, scheme=scheme)
        assert status == 202
        await settle([self.fed])

    async def send(self, name: str, *, scheme: str = "cavage", **extra: str) -> dict[str, Any]:
        doc = self.load(name, **extra)
        await self.deliver(doc, scheme=scheme)
        return doc

    def db(self) -> Any:
        return self.fed.db()


@pytest.fixture
async def world(tmp_path):
    cluster = Cluster(tmp_path)
    fed = await cluster.add_node("entativa")
    private_pem, public_pem = peer_keypair()
    peer = PeerServer(cluster.resolver, private_pem=private_pem, public_pem=public_pem)
    await cluster.serve(peer.app(), *REMOTE_HOSTS)
    made = World(cluster, fed, peer)
    alice, made.alice_token = await fed.user("alice")
    made.alice = alice.account
    _, note = await fed.call("POST", "/api/v1/statuses", made.alice_token, json={"status": "hello fediverse"})
    _, poll = await fed.call("POST", "/api/v1/statuses", made.alice_token,
                             json={"status": "snacks?", "poll": {"options": ["suya..", "chips"], "expires_in": 3600}})
    made.note, made.poll = note, poll
    made.local = {
        "http://localtesting.pleroma.lol/users/lain": alice.account.uri,
        "http://localtesting.pleroma.lol/objects/eb92579d-3417-42a8-8652-2492c2d4f454": note["uri"],
        "https://testing.pleroma.lol/objects/c331bbf7-2eb9-4801-a709-2a6103492a5a": note["uri"],
        "https://testing.uguu.ltd/objects/9d300947-2dcb-445d-8978-9a3b4b84fa14": poll["uri"],
        "https://example.com/users/1": alice.account.uri,
        "https://example.com/posts/380590": note["uri"],
        "https://example.com/posts/380591": poll["uri"],
    }
    yield made
    await cluster.close()


async def _inbox_failures(world: World) -> list[tuple[str, str]]:
    with world.db():
        return list(await InboxActivity.filter(state="failed").values_list("type", "error"))


async def test_every_claimed_payload_is_tested():
    for name in ACCEPTED:
        assert (PAYLOADS / name).is_file(), name
    assert set(ACCEPTED.values()) <= {n for n in globals() if n.startswith("test_")}


async def test_follows(world):
    admin = "http://mastodon.example.org/users/admin"
    follow = await world.send("mastodon-follow.json")
    with world.db():
        remote = await Account.get(uri=admin)
        row = await Follow.get(account_id=remote.id, target_account_id=world.alice.id)
        assert row.uri == follow["id"]
        accept = await Delivery.filter(activity__type="Accept").first()
        assert accept is not None and accept.inbox_url == f"{admin}/inbox"
        assert await Notification.filter(account_id=world.alice.id, type="follow").exists()
    await world.send("mastodon-undo-follow.json", scheme="rfc9421")
    with world.db():
        assert not await Follow.filter(account_id=remote.id).exists()

    # alice asks to follow admin; admin accepts, then (after a new request) rejects
    with world.db():
        await relationships.follow(world.fed.node, world.alice, remote)
    await world.send("mastodon-accept-follow.json")
    with world.db():
        assert await Follow.filter(account_id=world.alice.id, target_account_id=remote.id).exists()
        await relationships.unfollow(world.fed.node, world.alice, remote)
        await relationships.follow(world.fed.node, world.alice, remote)
    await world.send("mastodon-reject-follow.json")
    with world.db():
        assert not await FollowRequest.filter(account_id=world.alice.id).exists()
        assert not await Follow.filter(account_id=world.alice.id).exists()

    # a relay's Accept of a follow we never sent is stored and ignored
    await world.send("relay-accept-follow.json")
    assert await _inbox_failures(world) == []


async def test_content(world):
    admin = "http://mastodon.example.org/users/admin/statuses/"
    await world.send("mastodon-create-note-mention.json")
    with world.db():
        status = await Status.get(uri=f"{admin}99512778738411822")
        assert not status.local and status.spoiler_text == "cw" and status.sensitive
        assert await Mention.filter(status_id=status.id, account_id=world.alice.id).exists()
        assert await Notification.filter(account_id=world.alice.id, type="mention").exists()
        await status.delete()  # the next payloads reuse this id (with new activity ids: inboxes are idempotent)
    await world.send("mastodon-create-note-hashtag.json", scheme="rfc9421", **{"1822/activity": "1822/activity2"})
    with world.db():
        status = await Status.get(uri=f"{admin}99512778738411822")
        assert await StatusTag.filter(status_id=status.id, tag__name="moo").exists()
        await status.delete()
    await world.send("mastodon-create-note-cw-sensitive.json", **{"1822/activity": "1822/activity3"})
    with world.db():
        status = await Status.get(uri=f"{admin}99512778738411822")
        assert status.sensitive and status.spoiler_text == "cw"  # from #nsfw, without the flag
        await status.delete()
    await world.send("mastodon-create-note-contentmap.json", **{"1822/activity": "1822/activity4"})
    with world.db():
        status = await Status.get(uri=f"{admin}99512778738411822")
        assert status.language == "en" and "lain" in status.content
    await world.send("mastodon-create-note-attachment.json")
    with world.db():
        status = await Status.get(uri=f"{admin}99541822081679796")
        media = await MediaAttachment.get(status_id=status.id)
        assert media.type == "image" and media.remote_url.endswith("334ce029e7bfb920.jpg")
    _, entity = await world.fed.call("GET", f"/api/v1/statuses/{status.id}", world.alice_token)
    assert entity["media_attachments"][0]["remote_url"].endswith(".jpg")

    await world.send("mastodon-create-question.json")
    with world.db():
        question = await Status.get(uri="http://mastodon.sdf.org/users/rinpatch/statuses/102070944809637304")
        poll = await Poll.get(status_id=question.id)
        assert poll.options[1] == "Everyone knows that!" and poll.cached_tallies == [0, 1, 0, 1]

    for name, uri in (("mastodon-create-note-2.json", "http://mastodon.madrid/users/felix/statuses/107224289116410645"),
                      ("pleroma-create-note.json", "http://greenish.red/objects/1a522f2e-d5ab-454b-93d7-e58bc0650c2a"),
                      ("mitra-create-post.json", "http://mitra.social/objects/019f57cf-693a-77f2-b006-c4c76338956a"),
                      ("friendica-update-note.json", "http://pirati.ca/objects/ec054ce7-4762-3c1c-3c25-0cc665717210")):
        await world.send(name)
        with world.db():
            assert await Status.filter(uri=uri, local=False).exists(), name

    # a silenced server's posts leave the public timeline (and come back when the block is lifted)
    _, moderator_token = await world.fed.user("moderator", admin=True, scopes="read write admin:read admin:write")
    mitra_post = "http://mitra.social/objects/019f57cf-693a-77f2-b006-c4c76338956a"

    async def public_uris() -> list[str]:
        _, timeline = await world.fed.call("GET", "/api/v1/timelines/public", params={"limit": "40"})
        return [s["uri"] for s in timeline]

    assert mitra_post in await public_uris()
    status, block = await world.fed.call("POST", "/api/v1/admin/domain_blocks", moderator_token,
                                         json={"domain": "mitra.social", "severity": "silence"})
    assert status == 200, block
    assert mitra_post not in await public_uris()
    await world.fed.call("DELETE", f"/api/v1/admin/domain_blocks/{block['id']}", moderator_token)
    assert mitra_post in await public_uris()

    # deletes: Mastodon's Delete{Tombstone} for statuses we hold
    gargron = "http://mastodon.example.org/users/gargron"
    note = {"id": f"{gargron}/statuses/99620895606148759", "type": "Note", "attributedTo": gargron,
            "content": "<p>soon gone</p>", "to": [PUBLIC]}
    await world.deliver({"id": f"{note['id']}/activity", "type": "Create", "actor": gargron, "object": note,
                         "to": [PUBLIC]})
    with world.db():
        assert await Status.filter(uri=note["id"]).exists()
    await world.send("mastodon-delete-note.json")
    await world.send("mastodon-delete-tombstone.json")
    with world.db():
        assert not await Status.filter(uri=note["id"]).exists()
        assert not await Status.filter(uri="http://mastodon.madrid/users/felix/statuses/107773559874184870").exists()
    assert await _inbox_failures(world) == []


async def test_interactions(world):
    note_id = int(world.note["id"])
    await world.send("mastodon-like.json")
    with world.db():
        assert (await Status.get(id=note_id)).favourites_count == 1
        assert await Notification.filter(account_id=world.alice.id, type="favourite").exists()
    await world.send("mastodon-undo-like.json")
    with world.db():
        assert (await Status.get(id=note_id)).favourites_count == 0
    await world.send("mastodon-like.json", **{"#likes/2": "#likes/3"})
    await world.send("mastodon-undo-like-compact.json", **{"#likes/2": "#likes/3"})
    with world.db():
        assert (await Status.get(id=note_id)).favourites_count == 0
    await world.send("misskey-like-reaction.json", scheme="rfc9421")
    with world.db():
        assert (await Status.get(id=note_id)).favourites_count == 1
        await Favourite.all().delete()
        await Status.filter(id=note_id).update(favourites_count=0)
    await world.send("pleroma-emojireact.json")
    with world.db():
        assert (await Status.get(id=note_id)).favourites_count == 1

    # a remote vote in alice's poll, and the Update{Question} back to the voter
    await world.send("mastodon-poll-vote.json")
    with world.db():
        poll = await Poll.get(status_id=int(world.poll["id"]))
        assert poll.cached_tallies == [1, 0] and await PollVote.filter(poll_id=poll.id).count() == 1
        assert await Delivery.filter(activity__type="Update", inbox_url="http://mastodon.sdf.org/inbox").exists()

    # an Announce of a post we do not have: it is fetched from its server, then the share is undone
    original = "http://mastodon.example.org/@admin/99541947525187367"
    world.peer.docs[original] = {"id": original, "type": "Note", "attributedTo": "http://mastodon.example.org/users/admin",
                                 "content": "<p>boost me</p>", "to": [PUBLIC]}
    await world.send("mastodon-announce.json")
    with world.db():
        shared = await Status.get(uri=original)
        assert shared.reblogs_count == 1
        assert await Status.filter(reblog_of_id=shared.id).count() == 1
    await world.send("mastodon-undo-announce.json")
    with world.db():
        assert await Status.filter(reblog_of_id=shared.id).count() == 0
        assert (await Status.get(id=shared.id)).reblogs_count == 0

    # PeerTube: a channel (Group) announces a Video attributed to the channel and its account
    video = "http://tilvids.com/videos/watch/e7946124-7b72-4ad7-9d22-844a84bb2de1"
    account = "http://tilvids.com/accounts/thelinuxexperiment"
    channel = "http://tilvids.com/video-channels/thelinuxexperiment_channel"
    world.peer.add_actor(account)
    world.peer.docs[channel] = {**world.peer.add_actor(channel), "type": "Group"}
    world.peer.docs[video] = {"id": video, "type": "Video", "name": "A video", "to": [PUBLIC],
                              "attributedTo": [{"type": "Group", "id": channel}, {"type": "Person", "id": account}],
                              "content": "<p>about it</p>",
                              "url": [{"type": "Link", "mediaType": "text/html", "href": video},
                                      {"type": "Link", "mediaType": "video/mp4", "href": f"{video}.mp4"}]}
    await world.send("peertube-announce-video.json")
    with world.db():
        stored = await Status.get(uri=video)
        assert "A video" in stored.content
        assert (await MediaAttachment.get(status_id=stored.id)).type == "video"
    assert await _inbox_failures(world) == []


async def test_actors_and_moderation(world):
    _, moderator_token = await world.fed.user("moderator", admin=True, scopes="read write admin:read admin:write")
    await world.send("mastodon-block.json")
    with world.db():
        remote = await Account.get(uri="http://mastodon.example.org/users/admin")
        assert await Block.filter(account_id=remote.id, target_account_id=world.alice.id).exists()

    gargron = "http://mastodon.example.org/users/gargron"
    world.peer.add_actor(gargron)
    await world.send("mastodon-update-person.json")
    with world.db():
        account = await Account.get(uri=gargron)
        assert account.display_name == "gargle" and account.fields_json[0]["value"] == "updated"

    await world.send("mastodon-delete-actor.json")
    with world.db():
        assert (await Account.get(id=remote.id)).suspended_at is not None

    await world.send("mastodon-flag.json")
    with world.db():
        report = await Report.get(target_account_id=world.alice.id)
        assert report.comment.startswith("Please take a look")
        assert sorted(report.status_ids) == sorted([int(world.note["id"]), int(world.poll["id"])])
    status, reports = await world.fed.call("GET", "/api/v1/admin/reports", moderator_token)
    assert status == 200 and reports[0]["target_account"]["username"] == "alice"

    # Move: alice follows the old account; the new one lists it in alsoKnownAs, so alice now asks to follow it
    old, new = "http://mastodon.example/users/alice", "http://alice.com/users/109835986274379"
    world.peer.add_actor(old)
    world.peer.add_actor(new, alsoKnownAs=[old])
    with world.db():
        mover = await Account.create(username="alice", domain="mastodon.example", uri=old,
                                     public_key_pem=world.peer.public_pem, inbox_url=f"{old}/inbox")
        await Follow.create(account_id=world.alice.id, target_account_id=mover.id)
    await world.send("mastodon-docs/03-account-migration-move-Move.json")
    with world.db():
        moved_to = await Account.get(uri=new)
        assert not await Follow.filter(account_id=world.alice.id, target_account_id=mover.id).exists()
        assert await FollowRequest.filter(account_id=world.alice.id, target_account_id=moved_to.id).exists()
    assert await _inbox_failures(world) == []


# ---- refused POSTs ---------------------------------------------------------------------------------------------


async def _post(world: World, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    connector = aiohttp.TCPConnector(resolver=world.cluster.resolver)
    async with aiohttp.ClientSession(connector=connector) as session, session.post(
            world.inbox, data=body, headers=headers) as response:
        return response.status, await response.json(content_type=None)


async def test_refused_inbox_posts_store_nothing(world):
    actor = "http://mastodon.example.org/users/admin"
    world.peer.add_actor(actor)
    doc = {"id": f"{actor}#likes/9", "type": "Like", "actor": actor, "object": world.note["uri"]}
    body = json.dumps(doc).encode()
    key = world.peer.key(actor)

    def signed(payload: bytes = body, **overrides: Any) -> dict[str, str]:
        headers = {"Content-Type": "application/activity+json", **overrides.pop("headers", {})}
        return sign_request("POST", world.inbox, overrides.pop("key", key), body=payload, headers=headers,
                            **overrides)

    cases: list[tuple[str, bytes, dict[str, str], int]] = []
    cases.append(("unsigned", body, {"Content-Type": "application/activity+json"}, 401))
    bad = signed()
    bad["Signature"] = bad["Signature"].replace('signature="', 'signature="AAAA')
    cases.append(("bad signature", body, bad, 401))
    cases.append(("digest mismatch", body + b" ", signed(), 401))
    cases.append(("stale date", body, signed(headers={"Date": formatdate(time.time() - 13 * 3600, usegmt=True)}),
                  401))
    cases.append(("future date", body, signed(now=time.time() + 7200), 401))
    other = "http://mastodon.example.org/users/mallory"
    world.peer.add_actor(other)
    cases.append(("key owner is not the actor", body, signed(key=world.peer.key(other)), 401))
    big = json.dumps({**doc, "pad": "x" * (1024 * 1024)}).encode()
    cases.append(("oversize", big, signed(big), 413))
    cases.append(("malformed JSON", b"{nope", signed(b"{nope"), 400))
    no_actor = json.dumps({"type": "Like", "object": "x"}).encode()
    cases.append(("no actor", no_actor, signed(no_actor), 400))
    plain = {**signed(), "Content-Type": "text/plain"}
    cases.append(("wrong content type", body, plain, 415))
    for label, payload, headers, expected in cases:
        status, answer = await _post(world, payload, headers)
        assert status == expected, (label, answer)
        assert "error" in answer, label
    with world.db():
        assert await InboxActivity.all().count() == 0
        assert (await Status.get(id=int(world.note["id"]))).favourites_count == 0

    # the same activity twice: stored once (idempotent by id), applied once
    assert await world.peer.send(world.inbox, doc) == 202
    assert await world.peer.send(world.inbox, doc) == 202
    await settle([world.fed])
    with world.db():
        assert await InboxActivity.all().count() == 1
        assert (await Status.get(id=int(world.note["id"]))).favourites_count == 1


async def test_key_rotation_refetches_once(world):
    """A peer that rotated its key: the cached key fails, the actor is fetched again, the POST passes."""
    from federation.signatures import generate_rsa_keypair

    actor = "http://mastodon.example.org/users/rotating"
    world.peer.add_actor(actor)
    first = {"id": f"{actor}#likes/1", "type": "Like", "actor": actor, "object": world.note["uri"]}
    assert await world.peer.send(world.inbox, first) == 202
    fetches = len([u for u in world.peer.requests if u.startswith(actor)])
    new_private, new_public = generate_rsa_keypair()
    world.peer.docs[actor]["publicKey"]["publicKeyPem"] = new_public
    world.peer.private_pem = new_private
    second = {"id": f"{actor}#undo/1", "type": "Undo", "actor": actor, "object": first}
    assert await world.peer.send(world.inbox, second) == 202
    assert len([u for u in world.peer.requests if u.startswith(actor)]) == fetches + 1
    await settle([world.fed])
    with world.db():
        assert (await Status.get(id=int(world.note["id"]))).favourites_count == 0


async def test_urls_other_than_http_are_dropped_on_ingest(world):
    """An actor and a post whose `url`s are javascript:/data: links (apps render `url` as a link): none of
    them leaves the node; the http(s) ones next to them do."""
    evil = "javascript:alert(document.cookie)"
    actor = "http://mastodon.example/users/mallory"
    world.peer.add_actor(actor, "mallory", url=evil,
                         icon={"type": "Image", "url": "javascript:alert(1)"},
                         image={"type": "Image", "url": "data:text/html,<script>alert(1)</script>"})
    note = f"{actor}/statuses/1"
    await world.deliver({
        "@context": "https://www.w3.org/ns/activitystreams", "id": f"{note}/activity", "type": "Create",
        "actor": actor, "to": [PUBLIC], "published": "2026-12-01T10:00:00Z",
        "object": {"id": note, "type": "Note", "attributedTo": actor, "to": [PUBLIC], "content": "<p>hi #x</p>",
                   "published": "2026-12-01T10:00:00Z", "url": [evil, {"type": "Link", "href": "vbscript:x"}],
                   "tag": [{"type": "Hashtag", "name": "#x", "href": evil}],
                   "attachment": [
                       {"type": "Document", "mediaType": "image/png", "url": evil},
                       {"type": "Document", "mediaType": "image/png", "url": "http://mastodon.example/a.png"},
                       "javascript:alert(2)"]}})
    status, found = await world.fed.call("GET", "/api/v2/search", world.alice_token,
                                         params={"q": "@mallory@mastodon.example", "resolve": "true"})
    assert status == 200 and found["accounts"], found
    account = found["accounts"][0]
    assert account["url"] == actor  # the actor's own id stands in for the dropped url
    assert account["avatar"].startswith("http://entativa.test/") and account["header"].startswith("http://entativa.test/")
    status, timeline = await world.fed.call("GET", f"/api/v1/accounts/{account['id']}/statuses", world.alice_token)
    assert status == 200 and len(timeline) == 1
    post = timeline[0]
    assert post["url"] == note
    assert [m["remote_url"] for m in post["media_attachments"]] == ["http://mastodon.example/a.png"]
    assert "javascript:" not in json.dumps(timeline) and "javascript:" not in json.dumps(found)
    assert "vbscript:" not in json.dumps(timeline) and "data:text" not in json.dumps(found)
