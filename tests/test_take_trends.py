"""Trend attribution across three nodes: A starts a trend, B and C join, A's collection lists both and
notifies its originator once per participant, C verifies A as originator through B's Take, forged claims
from a fourth (test) actor are refused or shown unverified, a deleted participant leaves the collection,
and trending trends are ranked by growth. Also what Mastodon-style servers receive: a Note with a playable
video, the caption and a plain attribution line, and the documented entativa: terms."""

from __future__ import annotations

from datetime import UTC, datetime

from federation_nodes import FedNode, PeerServer, peer_keypair, settle
from fixtures.video import mp4, take_form

from federation.as2 import PUBLIC
from node.activitypub import takes as federated
from node.models import Account, Notification, Status, Take, TakeTrend, TrendHour, TrendParticipation
from node.services import take_trends

AS2 = {"Accept": "application/activity+json"}


async def post_take(fed: FedNode, token: str, **fields) -> dict:  # type: ignore[no-untyped-def]
    code, body = await fed.call("POST", "/api/v1/takes", token, data=take_form(mp4(), **fields))
    assert code == 200, body
    return body


async def follow(fed: FedNode, token: str, handle: str) -> None:
    code, found = await fed.call("GET", "/api/v2/search", token, params={"q": handle, "resolve": "true",
                                                                          "type": "accounts"})
    assert code == 200 and found["accounts"], found
    code, body = await fed.call("POST", f"/api/v1/accounts/{found['accounts'][0]['id']}/follow", token)
    assert code == 200, body


async def collection(fed: FedNode, uri: str) -> list[str]:
    """Every item of an AS2 collection, page by page, as a remote server reads it."""
    path = uri.replace(fed.base, "")
    code, summary = await fed.call("GET", path, headers=AS2)
    assert code == 200 and summary["type"] == "OrderedCollection", summary
    items, page = [], summary["first"]
    while page:
        code, doc = await fed.call("GET", page.replace(fed.base, ""), headers=AS2)
        assert code == 200 and doc["type"] == "OrderedCollectionPage", doc
        items += doc["orderedItems"]
        page = doc.get("next")
    assert summary["totalItems"] == len(items)
    return items


async def test_three_nodes_trend_attribution(cluster):
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    c = await cluster.add_node("node-c")
    _, alice = await a.user("alice")
    _, bob = await b.user("bob")
    _, carol = await c.user("carol")
    await follow(a, alice, "bob@node-b.test")  # A also receives bob's Take as a Create: still one notification
    await follow(c, carol, "bob@node-b.test")
    await settle([a, b, c])

    origin = await post_take(a, alice, caption="Try this moonwalk", **{"trend[name]": "Moonwalk",
                                                                      "trend[hashtag]": "moonwalk"})
    trend = origin["trend"]
    assert trend["is_origin"] and trend["verification"] == "origin" and trend["hashtag"] == "moonwalk"
    assert trend["attribution"] == "Trend started by @alice@node-a.test"
    assert trend["uri"] == origin["uri"] + "/trend" and [t["name"] for t in origin["status"]["tags"]] == ["moonwalk"]

    # B and C join by the trend's IRI: their servers fetch it from A and send A an Add
    joined_b = await post_take(b, bob, caption="my go", trend_uri=trend["uri"])
    joined_c = await post_take(c, carol, caption="and mine", trend_uri=trend["uri"])
    for joined in (joined_b, joined_c):
        assert joined["trend"]["attribution"] == "Trend started by @alice@node-a.test"
        assert joined["trend"]["verification"] == "pending"  # until A lists it
        assert joined["trend"]["origin_url"] == origin["uri"]  # its id: browsers are sent on to its page
        assert "Trend started by" in joined["status"]["content"] and joined["status"]["tags"][0]["name"] == "moonwalk"
    await settle([a, b, c])

    with a.db():
        trend_row = await TakeTrend.get(uri=trend["uri"])
        participants = set(await TrendParticipation.filter(trend_id=trend_row.id, state="accepted").values_list(
            "take_uri", flat=True))
        notes = await Notification.filter(type=take_trends.NOTIFICATION).count()
    assert participants == {joined_b["uri"], joined_c["uri"]}
    assert set(await collection(a, trend_row.participants_uri)) == participants
    assert notes == 2  # once per participant, though bob's Take also arrived as a Create
    code, notifications = await a.call("GET", "/api/v1/notifications", alice)
    joined_notes = [n for n in notifications if n["type"] == take_trends.NOTIFICATION]
    assert {n["account"]["acct"] for n in joined_notes} == {"bob@node-b.test", "carol@node-c.test"}
    assert {n["status"]["uri"] for n in joined_notes} == {joined_b["uri"], joined_c["uri"]}
    code, grouped = await a.call("GET", "/api/v2/notifications?types[]=take_trend_joined", alice)
    assert [(g["group_key"].rsplit("-", 1)[0], g["notifications_count"]) for g in grouped["notification_groups"]] == [
        (f"take_trend_joined-{trend_row.id}", 2)]

    # A's API: the trend with its participants (authoritative) and growth
    code, shown = await a.call("GET", f"/api/v1/take_trends/{trend['id']}")
    assert code == 200 and shown["participants_count"] == 2 and shown["growth"]["participants"] == 2
    code, listed = await a.call("GET", f"/api/v1/take_trends/{trend['id']}/participants")
    assert {p["take_uri"] for p in listed} == participants and {p["state"] for p in listed} == {"accepted"}

    # B asks A whether it is listed: verified
    code, checked = await b.call("POST", f"/api/v1/takes/{joined_b['id']}/verify", bob)
    assert code == 200 and checked["trend"]["verification"] == "verified"

    # C holds bob's Take (it follows bob) and verifies A as originator through it, by asking A (the job
    # re-checks claims still pending because A had not yet read bob's Add when C first asked)
    with c.db():
        await federated.recheck_pending(c.node)
        bobs_on_c = await Take.get(uri=joined_b["uri"])
    code, seen = await c.call("GET", f"/api/v1/takes/{bobs_on_c.status_id}", carol)
    assert code == 200, seen
    assert seen["trend"]["verification"] == "verified" and seen["trend"]["started_by"]["acct"] == "alice@node-a.test"
    assert seen["trend"]["origin_take_uri"] == seen["trend"]["origin_url"] == origin["uri"]

    # a participant that deletes its Take leaves A's collection (Remove), and the counts follow
    code, _ = await b.call("DELETE", f"/api/v1/takes/{joined_b['id']}", bob)
    assert code == 200
    await settle([a, b, c])
    assert set(await collection(a, trend_row.participants_uri)) == {joined_c["uri"]}
    code, shown = await a.call("GET", f"/api/v1/take_trends/{trend['id']}")
    assert shown["participants_count"] == 1 and shown["growth"]["participants"] == 1
    with a.db():
        assert await Notification.filter(type=take_trends.NOTIFICATION).count() == 1  # its Take is gone too
        assert not await Status.filter(uri=joined_b["uri"]).exists()


async def test_forged_claims_are_refused_or_unverified(cluster):
    a = await cluster.add_node("node-a")
    c = await cluster.add_node("node-c")
    _, alice = await a.user("alice")
    _, carol = await c.user("carol")
    b = await cluster.add_node("node-b")
    _, bob = await b.user("bob")
    origin = await post_take(a, alice, caption="original", **{"trend[name]": "Flip", "trend[hashtag]": "flip"})
    honest = await post_take(b, bob, caption="honest", trend_uri=origin["trend"]["uri"])
    await settle([a, b, c])

    private_pem, public_pem = peer_keypair()
    peer = PeerServer(cluster.resolver, private_pem=private_pem, public_pem=public_pem)
    await cluster.serve(peer.app(), "evil.test")
    mallory = "http://evil.test/users/mallory"
    peer.add_actor(mallory)
    with a.db():
        trend_row = await TakeTrend.get(uri=origin["trend"]["uri"])
    alice_uri = f"{a.base}/users/alice"

    def take_note(number: int, **trend: str) -> dict:
        uri = f"http://evil.test/users/mallory/statuses/{number}"
        claim = {"id": trend_row.uri, "type": "Trend", "name": "Flip", "hashtag": "#flip",
                 "originTake": origin["uri"], "attributedTo": alice_uri, "participants": trend_row.participants_uri,
                 **trend}
        note = {"@context": ["https://www.w3.org/ns/activitystreams", {"entativa": "https://entativa.social/ns#",
                                                                       "take": "entativa:take"}],
                "id": uri, "type": "Note", "attributedTo": mallory, "to": [PUBLIC], "content": "<p>forged</p>",
                "published": "2026-01-01T00:00:00Z",
                "attachment": [{"type": "Document", "mediaType": "video/mp4", "url": "http://evil.test/v.mp4"}],
                "take": {"type": "Take", "duration": "PT3S", "trend": claim}}
        peer.docs[uri] = note
        return note

    def add(obj: str, number: int) -> dict:
        return {"id": f"{mallory}#adds/{number}", "type": "Add", "actor": mallory, "object": obj,
                "target": trend_row.participants_uri, "to": [alice_uri]}

    thief = take_note(1, originTake="http://evil.test/users/mallory/statuses/1", attributedTo=mallory)
    wrong_origin = take_note(2, originTake="http://evil.test/users/mallory/statuses/99")
    other_trend = take_note(3, id="http://evil.test/users/mallory/statuses/3/trend")
    forged_adds = [
        add(thief["id"], 1),  # claims to have started alice's trend
        add(wrong_origin["id"], 2),  # names another originating Take
        add(other_trend["id"], 3),  # references another trend altogether
        add("http://evil.test/users/mallory/statuses/404", 4),  # does not exist at its origin
        add(honest["uri"], 5),  # someone else's Take
    ]
    for activity in forged_adds:
        assert await peer.send(f"{a.base}/inbox", activity) == 202
    await settle([a, b, c])
    assert set(await collection(a, trend_row.participants_uri)) == {honest["uri"]}
    with a.db():
        rejected = {r.take_uri: r.reason for r in await TrendParticipation.filter(state="rejected")}
        assert await Notification.filter(type=take_trends.NOTIFICATION).count() == 1
    assert "started a trend someone else started" in rejected[thief["id"]]
    assert "another originating Take" in rejected[wrong_origin["id"]]
    assert "does not reference this trend" in rejected[other_trend["id"]]
    assert "not at its origin (404)" in rejected["http://evil.test/users/mallory/statuses/404"]
    assert honest["uri"] not in rejected  # the honest participant stays accepted

    # a third node that sees a Take claiming alice's trend without being listed shows it unverified;
    # a Take claiming to have started it is unverified too, and neither changes the trend's record on C
    unlisted = take_note(6)
    for note in (unlisted, thief):
        create = {"id": f"{note['id']}/activity", "type": "Create", "actor": mallory, "object": note,
                  "to": [PUBLIC]}
        peer.docs[note["id"]] = note
        assert await peer.send(f"{c.base}/inbox", create) == 202
    await settle([a, b, c])
    with c.db():
        states = {t.uri: t.trend_state for t in await Take.filter(account_id__gt=0)}
        trend_on_c = await TakeTrend.get(uri=trend_row.uri)
        originator_on_c = await Account.get(id=trend_on_c.originator_id)
    assert states[unlisted["id"]] == "unverified" and states[thief["id"]] == "unverified"
    assert trend_on_c.origin_take_uri == origin["uri"] and originator_on_c.acct() == "alice@node-a.test"
    with c.db():
        take = await Take.get(uri=unlisted["id"])
    code, shown = await c.call("GET", f"/api/v1/takes/{take.status_id}", carol)
    assert code == 200 and shown["trend"]["verified"] is False
    assert shown["trend"]["attribution"] == "Trend started by @alice@node-a.test"


async def test_what_other_servers_receive(cluster):
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    _, alice = await a.user("alice")
    _, bob = await b.user("bob")
    origin = await post_take(a, alice, caption="Lights", **{"trend[name]": "Lights", "trend[hashtag]": "lights"},
                             **{"sound[title]": "Glow", "sound[author]": "Neon"})
    joined = await post_take(b, bob, caption="mine", trend_uri=origin["trend"]["uri"],
                             **{"steps[0][text]": "Dim the room", "steps[0][at]": "0.5"})
    await settle([a, b])
    code, note = await b.call("GET", joined["uri"].replace(b.base, ""), headers=AS2)
    assert code == 200, note
    # what Mastodon, GoToSocial and Pixelfed render: a Note, its caption, a playable video, a credit line
    assert note["type"] == "Note" and note["attachment"][0]["mediaType"] == "video/mp4"
    assert note["attachment"][0]["url"].endswith(".mp4") and note["attachment"][0]["width"] == 48
    assert "mine" in note["content"]
    assert "Trend started by" in note["content"] and "@alice@node-a.test" in note["content"]
    assert f'href="{origin["uri"]}"' in note["content"]
    assert {"type": "Hashtag", "href": f"{b.base}/tags/lights", "name": "#lights"} in note["tag"]
    # what Entativa nodes read: the structured terms, declared in the context
    terms = note["@context"][2]
    for term in ("take", "Take", "trend", "Trend", "originTake", "participants", "behindTheTake", "steps", "at",
                 "sound", "fromTemplate", "template", "hashtag", "views"):
        assert term in terms, term
    take = note["take"]
    assert take["type"] == "Take" and take["duration"] == "PT1S"
    assert take["trend"] == {"id": origin["trend"]["uri"], "type": "Trend", "name": "Lights", "hashtag": "#lights",
                             "originTake": origin["uri"], "attributedTo": f"{a.base}/users/alice",
                             "participants": origin["trend"]["uri"] + "/participants",
                             "url": take["trend"]["url"]}
    assert take["behindTheTake"]["steps"] == [{"type": "Step", "content": "Dim the room", "at": 0.5}]
    code, origin_note = await a.call("GET", origin["uri"].replace(a.base, ""), headers=AS2)
    assert origin_note["take"]["sound"] == {"type": "Sound", "name": "Glow", "artist": "Neon"}
    assert "Sound: Glow by Neon" in origin_note["content"]
    code, trend_doc = await a.call("GET", origin["trend"]["uri"].replace(a.base, ""), headers=AS2)
    assert code == 200 and trend_doc["type"] == "Trend" and trend_doc["totalItems"] == 1
    assert trend_doc["attributedTo"] == f"{a.base}/users/alice" and "originTake" in trend_doc["@context"][2]
    async with a.client.get(origin["trend"]["uri"].replace(a.base, ""), allow_redirects=False) as response:
        assert response.status == 302  # browsers go to the trend's page
    # the Create that reached A carried the structured terms: A knows the BTT of bob's Take
    with a.db():
        on_a = await Take.get(uri=joined["uri"])
    code, seen = await a.call("GET", f"/api/v1/takes/{on_a.status_id}", alice)
    assert seen["behind_the_take"]["steps"][0] == {"position": 0, "text": "Dim the room", "at": 0.5, "media": None}
    # an edit of the steps federates as an Update
    code, _ = await b.call("PUT", f"/api/v1/takes/{joined['id']}/behind_the_take", bob,
                           json={"steps": [{"text": "Dim the room"}, {"text": "Count to three", "at": 0.8}]})
    assert code == 200
    await settle([a, b])
    code, seen = await a.call("GET", f"/api/v1/takes/{on_a.status_id}", alice)
    assert [s["text"] for s in seen["behind_the_take"]["steps"]] == ["Dim the room", "Count to three"]


async def test_trending_ranks_by_growth(cluster):
    a = await cluster.add_node("node-a")
    _, alice = await a.user("alice")
    _, bob = await a.user("bob")
    steady = await post_take(a, alice, **{"trend[name]": "Steady", "trend[hashtag]": "steady"})
    rising = await post_take(a, alice, **{"trend[name]": "Rising", "trend[hashtag]": "rising"})
    quiet = await post_take(a, alice, **{"trend[name]": "Quiet", "trend[hashtag]": "quiet"})
    now = datetime.now(UTC)
    hour = int(now.timestamp()) // 3600
    with a.db():
        ids = {name: (await TakeTrend.get(uri=t["trend"]["uri"])).id
               for name, t in (("steady", steady), ("rising", rising), ("quiet", quiet))}
        # steady: 30 joins this window, 30 the window before; rising: 12 now, none before; quiet: none now
        await TrendHour.bulk_create([TrendHour(trend_id=ids["steady"], hour=hour - 1, joins=30),
                                     TrendHour(trend_id=ids["steady"], hour=hour - 8, joins=30),
                                     TrendHour(trend_id=ids["rising"], hour=hour, joins=12),
                                     TrendHour(trend_id=ids["quiet"], hour=hour - 7, joins=50)])
    await post_take(a, bob, trend_id=ids["rising"])  # a real join: one more this hour
    code, ranked = await a.call("GET", "/api/v1/take_trends")
    assert code == 200
    assert [t["hashtag"] for t in ranked] == ["rising", "steady"]
    assert ranked[0]["growth"] == {"window_hours": 6, "participants": 13, "previous_participants": 0,
                                   "per_hour": round(13 / 6, 4), "previous_per_hour": 0.0, "rate": round(13 / 6, 4)}
    assert ranked[1]["growth"]["rate"] == 0.0 and ranked[1]["growth"]["per_hour"] == 5.0
    assert ranked[0]["attribution"] == "Trend started by @alice@node-a.test"
    code, wide = await a.call("GET", "/api/v1/take_trends", params={"window": "12"})
    # in a 12 h window steady's 60 and quiet's 50 joins (7 hours ago) are all recent: they outgrow rising
    assert [t["hashtag"] for t in wide] == ["steady", "quiet", "rising"]
    code, body = await a.call("GET", "/api/v1/take_trends", params={"window": "0"})
    assert code == 422 and "error" in body
    code, takes_in = await a.call("GET", f"/api/v1/take_trends/{ids['rising']}/takes")
    assert code == 200 and len(takes_in) == 2 and takes_in[1]["trend"]["is_origin"]
    code, body = await a.call("GET", "/api/v1/take_trends/424242")
    assert code == 404 and body == {"error": "Record not found"}
