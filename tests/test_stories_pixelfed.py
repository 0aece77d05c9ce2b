"""Pixelfed's story protocol both ways, against a loopback peer that speaks exactly its shapes: the peer's
story (Add + bearcap, fetched with the bearer token) reaches a local follower's tray and is viewed, replied
to and reacted to in Pixelfed's format; a local story reaches the peer as Add + bearcap, whose bearer fetch
works only with the right token; a Delete removes the peer's story. A close-friends story is never sent to
it (Pixelfed would show it to every follower), and nothing goes to servers that read no stories."""

from __future__ import annotations

from aiohttp import FormData
from federation_nodes import PeerServer, peer_keypair, settle
from fixtures.social import png_bytes
from pixelfed_peer import PixelfedPeer

from federation.client import FederationClient
from node.activitypub.stories import parse_bearcap
from node.models import Delivery, Peer, Story

AS2 = "application/activity+json"


async def post_story(fed, token: str, **fields) -> dict:  # type: ignore[no-untyped-def]
    form = FormData()
    form.add_field("file", png_bytes((64, 112)), filename="s.png", content_type="image/png")
    code, media = await fed.call("POST", "/api/v2/media", token, data=form)
    assert code == 200, media
    code, body = await fed.call("POST", "/api/v1/stories", token, json={"media_id": media["id"], **fields})
    assert code == 200, body
    return body


async def test_pixelfed_story_protocol_both_ways(cluster):
    a = await cluster.add_node("node-a")
    private_pem, public_pem = peer_keypair()
    peer = PixelfedPeer(cluster.resolver, "pixel.test", private_pem, public_pem, png_bytes((40, 70)))
    await cluster.serve(peer.app(), "pixel.test")
    masto = PeerServer(cluster.resolver, private_pem=private_pem, public_pem=public_pem)
    await cluster.serve(masto.app(), "masto.test")
    masto.docs["http://masto.test/.well-known/nodeinfo"] = {"links": [
        {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": "http://masto.test/nodeinfo/2.0"}]}
    masto.docs["http://masto.test/nodeinfo/2.0"] = {"version": "2.0", "software": {"name": "mastodon", "version": "4.3.0"}}
    gargron = "http://masto.test/users/gargron"
    masto.add_actor(gargron)
    _, lena = await a.user("lena")
    pixie = peer.actor("pixie")
    assert await masto.send(f"{a.base}/inbox", {"@context": "https://www.w3.org/ns/activitystreams",
                                                "id": f"{gargron}#follows/1", "type": "Follow", "actor": gargron,
                                                "object": f"{a.base}/users/lena"}) == 202

    # lena follows pixie (the peer accepts), pixie follows lena
    code, found = await a.call("GET", "/api/v2/search", lena, params={"q": pixie, "resolve": "true", "type": "accounts"})
    assert code == 200 and found["accounts"], found
    pixie_id = found["accounts"][0]["id"]
    code, _ = await a.call("POST", f"/api/v1/accounts/{pixie_id}/follow", lena)
    await settle([a])
    follow = next(d for d in peer.inbox if d["type"] == "Follow")
    assert await peer.send(f"{a.base}/inbox", {"@context": "https://www.w3.org/ns/activitystreams",
                                               "id": f"{pixie}#accepts/1", "type": "Accept", "actor": pixie,
                                               "object": follow}) == 202
    assert await peer.send(f"{a.base}/inbox", {"@context": "https://www.w3.org/ns/activitystreams",
                                               "id": f"{pixie}#follows/1", "type": "Follow", "actor": pixie,
                                               "object": f"{a.base}/users/lena"}) == 202
    await settle([a])

    # the peer's story: Add with a bearcap URL, fetched with the bearer token, in lena's tray
    assert await peer.send(f"{a.base}/inbox", peer.add_story(7)) == 202
    await settle([a])
    assert ("/stories/pixie/7", f"Bearer {peer.token}") in peer.fetches
    code, tray = await a.call("GET", "/api/v1/stories", lena)
    assert [(e["account"]["acct"], [s["uri"] for s in e["stories"]]) for e in tray] == [
        ("pixie@pixel.test", [peer.story_url(7)])]
    story = tray[0]["stories"][0]
    assert story["duration"] == 3.0 and story["media_attachment"]["url"].startswith(a.base + "/media/")

    # viewed, replied to and reacted to: Pixelfed's shapes, to pixie only
    peer.inbox.clear()
    assert (await a.call("POST", f"/api/v1/stories/{story['id']}/view", lena, json={"completed": True}))[0] == 200
    assert (await a.call("POST", f"/api/v1/stories/{story['id']}/reply", lena, json={"status": "nice!"}))[0] == 200
    assert (await a.call("POST", f"/api/v1/stories/{story['id']}/react", lena, json={"emoji": "❤️"}))[0] == 200
    await settle([a])
    sent = {d["type"]: d for d in peer.inbox}
    assert set(sent) == {"View", "Story:Reply", "Story:Reaction"}  # the reply is no second Create of a Note
    assert sent["View"]["object"] == {"type": "Story", "object": peer.story_url(7)}
    assert sent["View"]["to"] == [pixie] and sent["View"]["actor"] == f"{a.base}/users/lena"
    for kind, content in (("Story:Reply", "nice!"), ("Story:Reaction", "❤️")):
        assert sent[kind]["inReplyTo"] == peer.story_url(7) and sent[kind]["content"] == content
        assert sent[kind]["to"] == [pixie] and sent[kind]["actor"] == f"{a.base}/users/lena"

    # the peer deletes it
    with a.db():
        cached = await Story.get(uri=peer.story_url(7))
        cached_file = a.node.config.media_dir / cached.file_path
    assert cached_file.exists()
    assert await peer.send(f"{a.base}/inbox", peer.delete_story(7)) == 202
    await settle([a])
    code, tray = await a.call("GET", "/api/v1/stories", lena)
    assert tray == [] and not cached_file.exists()

    # a local story reaches the peer as Add + bearcap; the bearer fetch needs the right token
    peer.inbox.clear()
    mine = await post_story(a, lena)
    secret = await post_story(a, lena, audience="close_friends")
    await settle([a])
    with a.db():
        assert (await Peer.get(host="pixel.test")).software == "pixelfed"
        assert not await Delivery.filter(activity__uri__startswith=secret["uri"]).exists()
        assert (await Peer.get(host="masto.test")).software == "mastodon"
        # a Mastodon follower gets no story: it would keep it as a permanent post
        assert not await Delivery.filter(host="masto.test", activity__uri__startswith=mine["uri"]).exists()
        assert await Delivery.filter(host="masto.test").exists()  # it does get lena's Accept of its follow
    adds = [d for d in peer.inbox if d["type"] == "Add"]
    assert len(adds) == 1 and adds[0]["object"]["type"] == "Story" and adds[0]["object"]["id"] == mine["uri"]
    assert adds[0]["to"] == [f"{a.base}/users/lena/followers"]
    url, token = parse_bearcap(adds[0]["object"]["object"])
    assert url == mine["uri"]
    async with FederationClient(allow_private_addresses=True, resolver=cluster.resolver) as client:
        good = await client.request("GET", url, headers={"Accept": AS2, "Authorization": f"Bearer {token}"})
        bad = await client.request("GET", url, headers={"Accept": AS2, "Authorization": "Bearer not-the-token-at-all"})
        none = await client.request("GET", url, headers={"Accept": AS2})
    assert good.status == 200
    doc = good.json()
    assert {k: doc[k] for k in ("id", "type", "attributedTo", "can_reply", "can_react")} == {
        "id": mine["uri"], "type": "Story", "attributedTo": f"{a.base}/users/lena", "can_reply": True,
        "can_react": True}
    assert doc["duration"] == 5 and doc["attachment"]["type"] == "Image" and doc["attachment"]["mediaType"] == "image/png"
    assert doc["expiresAt"] and doc["published"] and doc["to"] == [f"{a.base}/users/lena/followers"]
    assert bad.status == 403 and "error" in bad.json()
    assert none.status == 403 and "error" in none.json()

    # Pixelfed's View, Story:Reply and Story:Reaction for our story
    view = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{pixie}#stories/1/view", "type": "View",
            "to": f"{a.base}/users/lena", "actor": pixie, "object": {"type": "Story", "object": mine["uri"]}}
    reply = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{peer.base}/p/pixie/99", "type": "Story:Reply",
             "to": f"{a.base}/users/lena", "actor": pixie, "content": "wow", "inReplyTo": mine["uri"],
             "published": "2026-12-02T10:00:00Z"}
    reaction = {**reply, "id": f"{peer.base}/p/pixie/100", "type": "Story:Reaction", "content": "🔥"}
    for activity in (view, reply, reaction):
        assert await peer.send(f"{a.base}/users/lena/inbox", activity) == 202
    await settle([a])
    code, viewers = await a.call("GET", f"/api/v1/stories/{mine['id']}/viewers", lena)
    assert [v["account"]["acct"] for v in viewers] == ["pixie@pixel.test"]
    code, notes = await a.call("GET", "/api/v1/notifications", lena)
    kinds = {n["type"] for n in notes if n["account"]["acct"] == "pixie@pixel.test"}
    assert {"story_reply", "story_reaction"} <= kinds
    reply_note = next(n for n in notes if n["type"] == "story_reply")
    assert "wow" in reply_note["status"]["content"] and reply_note["status"]["visibility"] == "direct"

    # deleting our story sends Pixelfed's Delete
    peer.inbox.clear()
    assert (await a.call("DELETE", f"/api/v1/stories/{mine['id']}", lena))[0] == 200
    await settle([a])
    assert [(d["type"], d["object"]) for d in peer.inbox] == [("Delete", {"id": mine["uri"], "type": "Story"})]
