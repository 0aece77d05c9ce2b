"""Inbox forwarding (ActivityPub 7.1.2) over real HTTP: a third server's reply to alice's followers-only
post, addressed to her followers and signed with its author's Linked Data Signature, is forwarded by
alice's node to her followers' node, which accepts it on that signature; relayed activities without a
valid signature of their own are refused with a reason; our own replies to remote posts carry one."""

from __future__ import annotations

import copy
import json

from federation_nodes import PeerServer, peer_keypair, settle
from test_federation_nodes import follow, post

from federation.client import FederationClient
from federation.signatures import ld, load_public_key
from node.models import Account, Delivery, InboxActivity, OutboxActivity, Status

CAROL = "http://carol.test/users/carol"
MALLORY = "http://carol.test/users/mallory"
CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1",
           {"toot": "http://joinmastodon.org/ns#", "sensitive": "as:sensitive"}]


def reply_to(parent_uri: str, alice_uri: str, number: int) -> dict:
    """A Mastodon-shaped Create{Note} from carol, addressed to alice's followers."""
    note = {"id": f"{CAROL}/statuses/{number}", "type": "Note", "attributedTo": CAROL,
            "content": f"<p>reply {number} for alice's friends</p>", "inReplyTo": parent_uri,
            "published": "2026-12-02T10:00:00Z", "to": [f"{alice_uri}/followers"], "cc": [alice_uri],
            "tag": [{"type": "Mention", "href": alice_uri, "name": "@alice@node-a.test"}]}
    return {"@context": CONTEXT, "id": f"{note['id']}/activity", "type": "Create", "actor": CAROL,
            "published": note["published"], "to": note["to"], "cc": note["cc"], "object": note}


async def test_reply_to_followers_only_post_is_forwarded_and_accepted(cluster):
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    alice, alice_token = await a.user("alice")
    _, bob_token = await b.user("bob")
    await follow(b, bob_token, a, "alice@node-a.test")
    await settle([a, b])
    private_pem, public_pem = peer_keypair()
    peer = PeerServer(cluster.resolver, private_pem=private_pem, public_pem=public_pem)
    peer.add_actor(CAROL)
    peer.add_actor(MALLORY)
    await cluster.serve(peer.app(), "carol.test")

    parent = await post(a, alice_token, status="friends only", visibility="private")
    await settle([a, b])
    alice_uri = alice.account.uri

    signed = ld.sign(reply_to(parent["uri"], alice_uri, 1), peer.key(CAROL))
    assert await peer.send(f"{a.base}/inbox", signed) == 202
    unsigned = reply_to(parent["uri"], alice_uri, 2)  # no signature of its own: not forwarded
    assert await peer.send(f"{a.base}/inbox", unsigned) == 202
    await settle([a, b])

    with a.db():
        forwarded = await OutboxActivity.filter(uri=signed["id"]).first()
        assert forwarded is not None and forwarded.actor_id == alice.account.id
        assert await Delivery.filter(activity_id=forwarded.id, inbox_url__startswith=b.base).count() == 1
        assert not await OutboxActivity.filter(uri=unsigned["id"]).exists()
    with b.db():
        row = await InboxActivity.get(activity_uri=signed["id"])
        assert row.state == "done", row.error
        reply = await Status.get(uri=signed["object"]["id"])
        assert "reply 1" in reply.content
        assert (await Account.get(id=reply.account_id)).uri == CAROL
        assert not await Status.filter(uri=unsigned["object"]["id"]).exists()

    # Replays are not forwarded twice: the outbox dedupes by the activity's id.
    assert await peer.send(f"{a.base}/inbox", signed) == 202
    await settle([a, b])
    with a.db():
        assert await OutboxActivity.filter(uri=signed["id"]).count() == 1


async def test_relayed_activities_need_their_authors_signature(cluster):
    b = await cluster.add_node("node-b")
    await b.user("bob")
    private_pem, public_pem = peer_keypair()
    peer = PeerServer(cluster.resolver, private_pem=private_pem, public_pem=public_pem)
    peer.add_actor(CAROL)
    peer.add_actor(MALLORY)
    await cluster.serve(peer.app(), "carol.test")
    note = reply_to(f"{b.base}/users/bob/statuses/1", f"{b.base}/users/bob", 3)

    async def relay(doc: dict) -> tuple[int, str]:
        async with FederationClient(allow_private_addresses=True, resolver=cluster.resolver) as client:
            response = await client.request("POST", f"{b.base}/inbox", body=json.dumps(doc).encode(),
                                            headers={"Content-Type": "application/activity+json"},
                                            sign_with=peer.key(MALLORY))
            return response.status, response.body.decode()

    status, reason = await relay(note)  # mallory relays carol's activity with no signature of carol's
    assert status == 401 and "relayed by" in reason, reason
    tampered = ld.sign(note, peer.key(CAROL))
    tampered["object"]["content"] = "<p>words carol never wrote</p>"
    status, reason = await relay(tampered)
    assert status == 401 and "does not verify" in reason, reason
    by_mallory = ld.sign(note, peer.key(MALLORY))  # a valid signature, but not by the activity's actor
    status, reason = await relay(by_mallory)
    assert status == 401 and "not by its actor" in reason, reason
    status, reason = await relay(ld.sign(note, peer.key(CAROL)))
    assert status == 202, reason
    with b.db():
        assert await InboxActivity.filter(activity_uri=note["id"]).count() == 1


async def test_our_replies_to_remote_posts_carry_a_linked_data_signature(cluster):
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    _, alice_token = await a.user("alice")
    bob, bob_token = await b.user("bob")
    await follow(b, bob_token, a, "alice@node-a.test")
    await settle([a, b])
    await post(a, alice_token, status="hello", visibility="public")
    await settle([a, b])
    _, home = await b.call("GET", "/api/v1/timelines/home", bob_token)
    reply = await post(b, bob_token, status="@alice@node-a.test hi", in_reply_to_id=home[0]["id"])
    with b.db():
        sent = json.loads((await OutboxActivity.get(uri=f"{reply['uri']}/activity")).body)
        public = load_public_key((await Account.get(id=bob.account.id)).public_key_pem)
        assert sent["signature"]["creator"] == f"{bob.account.uri}#main-key"
        assert ld.verify(sent, public)
    forged = copy.deepcopy(sent)
    forged["object"]["content"] = "<p>edited in transit</p>"
    assert not ld.verify(forged, public)
