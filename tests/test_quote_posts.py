"""Quote posts received from other servers (issue 14), in every shape they send: Mastodon 4.5's FEP-044f
`quote` with a `quoteAuthorization` the quoted author's server serves, Misskey's `_misskey_quote`,
Fedibird's `quoteUri`, Akkoma's `quoteUrl` and FEP-e232 object links; shown as Mastodon 4.5's `quote`
(state + quoted_status, a ShallowQuote one level down) on our client API, signed deliveries over loopback."""

from __future__ import annotations

from typing import Any

import pytest
from federation_nodes import Cluster, FedNode, PeerServer, peer_keypair, settle

from federation.as2 import PUBLIC

MASTO = "http://masto.example/users/ann"
OTHER = "http://misskey.example/users/kit"
AS2 = "application/activity+json"
CONTEXT = ["https://www.w3.org/ns/activitystreams", {"quote": "https://w3id.org/fep/044f#quote"}]
AS2_LINK = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


@pytest.fixture
async def remote(tmp_path):
    cluster = Cluster(tmp_path)
    fed = await cluster.add_node("entativa")
    private_pem, public_pem = peer_keypair()
    server = PeerServer(cluster.resolver, private_pem=private_pem, public_pem=public_pem)
    await cluster.serve(server.app(), "masto.example", "misskey.example")
    server.add_actor(MASTO)
    server.add_actor(OTHER)
    _, token = await fed.user("alice")
    yield fed, server, token
    await cluster.close()


def note(author: str, number: int, text: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"{author}/statuses/{number}",
        "type": "Note",
        "attributedTo": author,
        "content": text,
        "published": "2026-11-30T10:00:00Z",
        "to": [PUBLIC],
        "cc": [f"{author}/followers"],
        **extra,
    }


SENT = [0]


async def deliver(fed: FedNode, server: PeerServer, obj: dict[str, Any], kind: str = "Create") -> None:
    SENT[0] += 1  # each activity its own id: a repeated one is ignored as already received
    activity = {
        "@context": CONTEXT,
        "id": f"{obj['id']}/{kind}/{SENT[0]}",
        "type": kind,
        "actor": obj["attributedTo"],
        "to": obj["to"],
        "cc": obj["cc"],
        "object": obj,
    }
    assert await server.send(f"{fed.base}/inbox", activity) == 202
    await settle([fed])


async def shown(fed: FedNode, token: str, uri: str) -> dict[str, Any]:
    status, found = await fed.call("GET", "/api/v2/search", token, params={"q": uri, "type": "statuses"})
    assert status == 200 and found["statuses"], found
    return found["statuses"][0]


async def test_legacy_quote_shapes_are_shown(remote):
    fed, server, token = remote
    quoted = note(OTHER, 1, "<p>the original</p>")
    server.docs[quoted["id"]] = quoted  # fetched when a quote of it arrives
    for number, extra in (
        (10, {"_misskey_quote": quoted["id"], "quoteUri": quoted["id"]}),  # Misskey sends both
        (11, {"quoteUrl": quoted["id"]}),  # Akkoma
        (
            12,
            {
                "tag": [
                    {
                        "type": "Link",
                        "mediaType": AS2_LINK,
                        "href": quoted["id"],
                        "name": f"RE: {quoted['id']}",
                    }
                ]
            },
        ),
        (13, {"tag": [{"type": "Link", "mediaType": "application/activity+json", "href": quoted["id"]}]}),
    ):
        await deliver(fed, server, note(MASTO, number, f"<p>quoting {number}</p>", **extra))
        status = await shown(fed, token, f"{MASTO}/statuses/{number}")
        assert status["quote"]["state"] == "accepted", (number, status["quote"])
        inner = status["quote"]["quoted_status"]
        assert inner["uri"] == quoted["id"] and "the original" in inner["content"]
        assert inner["quote"] is None and status["quote_approval"]["current_user"] == "manual"
    page = await (await fed.client.get(f"/@ann@masto.example/{status['id']}")).text()
    assert (
        '<blockquote class="quote-post">' in page
        and "the original" in page
        and "@kit@misskey.example" in page
    )
    plain = note(
        MASTO, 14, "<p>no quote</p>", tag=[{"type": "Link", "mediaType": "text/html", "href": quoted["id"]}]
    )
    await deliver(fed, server, plain)
    assert (await shown(fed, token, plain["id"]))["quote"] is None  # a plain link is no quote


async def test_mastodon_quotes_need_the_quoted_authors_authorization(remote):
    fed, server, token = remote
    quoted = note(OTHER, 2, "<p>quote me if you dare</p>")
    server.docs[quoted["id"]] = quoted
    approval = "http://misskey.example/users/kit/quote_authorizations/1"

    def authorization(quoting: str, target: str = quoted["id"], by: str = OTHER) -> dict[str, Any]:
        return {
            "@context": CONTEXT,
            "id": approval,
            "type": "QuoteAuthorization",
            "attributedTo": by,
            "interactingObject": quoting,
            "interactionTarget": target,
        }

    # no authorization yet: pending, the quoted post not shown
    quoting = note(MASTO, 20, "<p>look</p>", quote=quoted["id"])
    await deliver(fed, server, quoting)
    status = await shown(fed, token, quoting["id"])
    assert status["quote"] == {"state": "pending", "quoted_status": None}
    # an authorization that names another post does not count
    server.docs[approval] = authorization(f"{MASTO}/statuses/999")
    await deliver(
        fed,
        server,
        {**quoting, "quoteAuthorization": approval, "updated": "2026-11-30T11:00:00Z"},
        kind="Update",
    )
    assert (await shown(fed, token, quoting["id"]))["quote"]["state"] == "pending"
    # one served by another server than the quoted author's neither
    forged = "http://masto.example/quote_authorizations/1"
    server.docs[forged] = {**authorization(quoting["id"]), "id": forged}
    await deliver(
        fed,
        server,
        {**quoting, "quoteAuthorization": forged, "updated": "2026-11-30T11:30:00Z"},
        kind="Update",
    )
    assert (await shown(fed, token, quoting["id"]))["quote"]["state"] == "pending"
    # Mastodon 4.5 sends the approval with an Update once the quoted author accepts
    server.docs[approval] = authorization(quoting["id"])
    await deliver(
        fed,
        server,
        {**quoting, "quoteAuthorization": approval, "updated": "2026-11-30T12:00:00Z"},
        kind="Update",
    )
    status = await shown(fed, token, quoting["id"])
    assert status["quote"]["state"] == "accepted" and status["quote"]["quoted_status"]["uri"] == quoted["id"]

    # the quoted author takes it back: Mastodon 4.5 deletes the authorization
    revoke = {
        "@context": CONTEXT,
        "id": f"{approval}#delete",
        "type": "Delete",
        "actor": OTHER,
        "object": approval,
        "to": [PUBLIC],
    }
    assert await server.send(f"{fed.base}/inbox", revoke) == 202
    await settle([fed])
    assert (await shown(fed, token, quoting["id"]))["quote"] == {"state": "revoked", "quoted_status": None}
    server.docs[approval] = authorization(quoting["id"])
    await deliver(
        fed,
        server,
        {**quoting, "quoteAuthorization": approval, "updated": "2026-11-30T13:00:00Z"},
        kind="Update",
    )  # (a test peer that serves it again: re-approved, as a new authorization would)

    # a self-quote needs no authorization; one level down a quote is a ShallowQuote
    own = note(MASTO, 21, "<p>as I said</p>", quote=quoting["id"])
    await deliver(fed, server, own)
    status = await shown(fed, token, own["id"])
    assert status["quote"]["state"] == "accepted"
    inner = status["quote"]["quoted_status"]
    assert inner["uri"] == quoting["id"]
    assert inner["quote"]["state"] == "accepted" and set(inner["quote"]) == {"state", "quoted_status_id"}


async def test_quotes_of_our_posts(remote):
    fed, server, token = remote
    _, mine = await fed.call("POST", "/api/v1/statuses", token, json={"status": "local words"})
    # FEP-044f asks us first (QuoteRequest); we approve none yet, so such a quote stays pending
    await deliver(fed, server, note(MASTO, 30, "<p>hm</p>", quote=mine["uri"]))
    assert (await shown(fed, token, f"{MASTO}/statuses/30"))["quote"] == {
        "state": "pending",
        "quoted_status": None,
    }
    await deliver(fed, server, note(OTHER, 31, "<p>lol</p>", _misskey_quote=mine["uri"]))
    status = await shown(fed, token, f"{OTHER}/statuses/31")
    assert status["quote"]["state"] == "accepted" and status["quote"]["quoted_status"]["id"] == mine["id"]
    # the quoted post is deleted: the quote says so
    assert (await fed.call("DELETE", f"/api/v1/statuses/{mine['id']}", token))[0] == 200
    await settle([fed])
    assert (await shown(fed, token, f"{OTHER}/statuses/31"))["quote"] == {
        "state": "deleted",
        "quoted_status": None,
    }


async def test_quote_requests_for_our_posts_are_answered(tmp_path):
    cluster = Cluster(tmp_path)
    fed = await cluster.add_node("entativa")
    private_pem, public_pem = peer_keypair()
    server = PeerServer(
        cluster.resolver, private_pem=private_pem, public_pem=public_pem, accepts_deliveries=True
    )
    await cluster.serve(server.app(), "masto.example")
    server.add_actor(MASTO)
    _, token = await fed.user("alice")
    try:
        _, public = await fed.call("POST", "/api/v1/statuses", token, json={"status": "quote me"})
        _, private = await fed.call(
            "POST", "/api/v1/statuses", token, json={"status": "friends only", "visibility": "private"}
        )
        # our notes say who may quote them, as Mastodon 4.5 reads it
        _, doc = await fed.call(
            "GET", f"/users/alice/statuses/{public['id']}", headers={"Accept": "application/activity+json"}
        )
        assert doc["interactionPolicy"] == {"canQuote": {"automaticApproval": [PUBLIC]}}

        quoting = note(MASTO, 40, "<p>so true</p>", quote=public["uri"])
        request = {
            "@context": CONTEXT,
            "id": f"{MASTO}/quote_requests/1",
            "type": "QuoteRequest",
            "actor": MASTO,
            "object": public["uri"],
            "instrument": quoting,
        }
        assert await server.send(f"{fed.base}/inbox", request) == 202
        await settle([fed])
        [accept] = [a for a in server.received if a["type"] == "Accept"]
        assert accept["actor"].endswith("/users/alice") and accept["object"]["id"] == request["id"]
        assert accept["object"]["instrument"] == quoting["id"]
        status, authorization = await fed.call(
            "GET",
            accept["result"].split("entativa.test", 1)[1],
            headers={"Accept": "application/activity+json"},
        )
        assert status == 200 and authorization["type"] == "QuoteAuthorization"
        assert authorization["id"] == accept["result"] and authorization["attributedTo"] == accept["actor"]
        assert authorization["interactingObject"] == quoting["id"]
        assert authorization["interactionTarget"] == public["uri"]

        # the quote then arrives with the authorization: accepted here too
        await deliver(fed, server, {**quoting, "quoteAuthorization": accept["result"]})
        shown_quote = (await shown(fed, token, quoting["id"]))["quote"]
        assert shown_quote["state"] == "accepted" and shown_quote["quoted_status"]["id"] == public["id"]

        # a followers-only post is not quotable: Reject, and no authorization
        other = note(MASTO, 41, "<p>leak</p>", quote=private["uri"])
        assert (
            await server.send(
                f"{fed.base}/inbox",
                {**request, "id": f"{MASTO}/quote_requests/2", "object": private["uri"], "instrument": other},
            )
            == 202
        )
        await settle([fed])
        [reject] = [a for a in server.received if a["type"] == "Reject"]
        assert reject["object"]["object"] == private["uri"]
        await deliver(fed, server, other)
        assert (await shown(fed, token, other["id"]))["quote"]["state"] == "pending"
        # a request naming a post of another server than the requester's is refused outright
        assert (
            await server.send(
                f"{fed.base}/inbox",
                {
                    **request,
                    "id": f"{MASTO}/quote_requests/3",
                    "instrument": "http://elsewhere.example/notes/1",
                },
            )
            == 202
        )
        await settle([fed])
        assert len([a for a in server.received if a["type"] in ("Accept", "Reject")]) == 2
    finally:
        await cluster.close()


async def _found(fed: FedNode, token: str, uri: str) -> dict[str, Any]:
    status, found = await fed.call(
        "GET", "/api/v2/search", token, params={"q": uri, "type": "statuses", "resolve": "true"}
    )
    assert status == 200 and found["statuses"], found
    return found["statuses"][0]


async def test_quoting_across_two_nodes(cluster: Cluster):
    a, b = await cluster.add_node("node-a"), await cluster.add_node("node-b")
    alice, alice_token = await a.user("alice")
    _, carol_token = await a.user("carol")
    _, bob_token = await b.user("bob")
    _, original = await a.call("POST", "/api/v1/statuses", alice_token, json={"status": "quotable"})
    _, secret = await a.call(
        "POST", "/api/v1/statuses", alice_token, json={"status": "friends only", "visibility": "private"}
    )

    # on alice's own node: carol's quote is approved at once and its Note carries the authorization
    status, local = await a.call(
        "POST", "/api/v1/statuses", carol_token, json={"status": "+1", "quoted_status_id": original["id"]}
    )
    assert status == 200 and local["quote"]["state"] == "accepted"
    assert local["quote"]["quoted_status"]["id"] == original["id"]
    _, note = await a.call("GET", f"/users/carol/statuses/{local['id']}", headers={"Accept": AS2})
    assert note["quote"] == note["_misskey_quote"] == note["quoteUri"] == original["uri"]
    _, authorization = await a.call(
        "GET", note["quoteAuthorization"].split("node-a.test", 1)[1], headers={"Accept": AS2}
    )
    assert (
        authorization["interactingObject"] == local["uri"]
        and authorization["interactionTarget"] == original["uri"]
    )
    status, refused = await a.call(
        "POST", "/api/v1/statuses", carol_token, json={"status": "x", "quoted_status_id": secret["id"]}
    )
    assert status == 404  # carol cannot see it, so it does not exist for her
    status, refused = await a.call(
        "POST", "/api/v1/statuses", alice_token, json={"status": "me again", "quoted_status_id": secret["id"]}
    )
    assert status == 200 and refused["quote"]["state"] == "accepted"  # a self-quote always stands

    # from node-b: bob's quote asks node-a, which approves; bob's node then says so, and so does node-a
    await a.call(
        "POST", f"/api/v1/accounts/{(await _account(a, alice_token, 'bob@node-b.test'))}/follow", alice_token
    )
    await settle([a, b])
    seen = await _found(b, bob_token, original["uri"])
    assert seen["quote_approval"]["current_user"] == "manual"
    status, quoting = await b.call(
        "POST",
        "/api/v1/statuses",
        bob_token,
        json={"status": "worth reading", "quoted_status_id": seen["id"]},
    )
    assert status == 200 and quoting["quote"] == {"state": "pending", "quoted_status": None}
    await settle([a, b])
    _, mine = await b.call("GET", f"/api/v1/statuses/{quoting['id']}", bob_token)
    assert mine["quote"]["state"] == "accepted" and mine["quote"]["quoted_status"]["uri"] == original["uri"]
    _, home = await a.call("GET", "/api/v1/timelines/home", alice_token)
    there = next(s for s in home if s["uri"] == quoting["uri"])
    assert there["quote"]["state"] == "accepted" and there["quote"]["quoted_status"]["id"] == original["id"]
    _, note = await b.call("GET", f"/users/bob/statuses/{quoting['id']}", headers={"Accept": AS2})
    assert note["quoteAuthorization"].startswith("http://node-a.test/users/alice/quote_authorizations/")


async def _account(fed: FedNode, token: str, acct: str) -> str:
    status, found = await fed.call(
        "GET", "/api/v2/search", token, params={"q": acct, "type": "accounts", "resolve": "true"}
    )
    assert status == 200 and found["accounts"], found
    return found["accounts"][0]["id"]


async def test_the_quotes_of_a_post_as_each_viewer_may_see_them(cluster: Cluster):
    """GET /api/v1/statuses/:id/quotes (Mastodon 4.5): the accepted quotes, newest first, paginated by the
    quote; a followers-only quote only for its author's followers, a blocked quoter's never."""
    a = await cluster.add_node("node-a")
    _, alice_token = await a.user("alice")
    _, carol_token = await a.user("carol")
    dan, dan_token = await a.user("dan")
    _, erin_token = await a.user("erin")
    _, original = await a.call("POST", "/api/v1/statuses", alice_token, json={"status": "quotable"})
    quoted = []
    for token, extra in ((carol_token, {}), (dan_token, {"visibility": "private"}), (erin_token, {})):
        status, body = await a.call("POST", "/api/v1/statuses", token,
                                    json={"status": "so true", "quoted_status_id": original["id"], **extra})
        assert status == 200 and body["quote"]["state"] == "accepted", body
        quoted.append(body["id"])
    carol_q, dan_q, erin_q = quoted

    status, seen = await a.call("GET", f"/api/v1/statuses/{original['id']}/quotes")
    assert status == 200 and [s["id"] for s in seen] == [erin_q, carol_q]  # dan's is for his followers
    assert seen[0]["quote"]["quoted_status"]["id"] == original["id"]
    _, erin_id = await a.call("GET", "/api/v1/accounts/verify_credentials", erin_token)
    await a.call("POST", f"/api/v1/accounts/{dan.account.id}/follow", alice_token)
    await a.call("POST", f"/api/v1/accounts/{erin_id['id']}/block", alice_token)
    _, seen = await a.call("GET", f"/api/v1/statuses/{original['id']}/quotes", alice_token)
    assert [s["id"] for s in seen] == [dan_q, carol_q]  # a follower of dan's now; erin blocked
    status, first = await a.call("GET", f"/api/v1/statuses/{original['id']}/quotes?limit=1", carol_token)
    assert status == 200 and [s["id"] for s in first] == [erin_q]
    status, _ = await a.call("GET", "/api/v1/statuses/999999999/quotes")
    assert status == 404


async def test_the_quoted_author_revokes_a_quote_across_two_nodes(cluster: Cluster):
    """POST /api/v1/statuses/:id/quotes/:quoting_status_id/revoke (Mastodon 4.5): the quote is revoked on
    both nodes (node-a deletes its QuoteAuthorization and tells node-b with a Delete of it)."""
    a, b = await cluster.add_node("node-a"), await cluster.add_node("node-b")
    _, alice_token = await a.user("alice")
    _, carol_token = await a.user("carol")
    _, bob_token = await b.user("bob")
    _, original = await a.call("POST", "/api/v1/statuses", alice_token, json={"status": "quotable"})
    _, local = await a.call(
        "POST", "/api/v1/statuses", carol_token, json={"status": "+1", "quoted_status_id": original["id"]}
    )
    await b.call(
        "POST", f"/api/v1/accounts/{(await _account(b, bob_token, 'alice@node-a.test'))}/follow", bob_token
    )
    seen = await _found(b, bob_token, original["uri"])
    _, quoting = await b.call(
        "POST", "/api/v1/statuses", bob_token, json={"status": "worth it", "quoted_status_id": seen["id"]}
    )
    await settle([a, b])
    _, note = await b.call("GET", f"/users/bob/statuses/{quoting['id']}", headers={"Accept": AS2})
    authorization = note["quoteAuthorization"].split("node-a.test", 1)[1]
    assert (await a.call("GET", authorization, headers={"Accept": AS2}))[0] == 200
    there = await _found(a, alice_token, quoting["uri"])
    assert there["quote"]["state"] == "accepted"

    revoke = f"/api/v1/statuses/{original['id']}/quotes/{there['id']}/revoke"
    status, body = await a.call("POST", revoke, carol_token)  # only the quoted author may
    assert status == 403 and "error" in body
    status, body = await a.call("POST", f"/api/v1/statuses/{original['id']}/quotes/{local['id']}0/revoke",
                                alice_token)
    assert status == 404 and "error" in body
    status, body = await a.call("POST", revoke, alice_token)
    assert status == 200 and body["id"] == there["id"] and body["quote"] == {"state": "revoked",
                                                                            "quoted_status": None}
    await settle([a, b])
    assert (await a.call("GET", authorization, headers={"Accept": AS2}))[0] == 404
    _, mine = await b.call("GET", f"/api/v1/statuses/{quoting['id']}", bob_token)
    assert mine["quote"] == {"state": "revoked", "quoted_status": None}
    _, note = await b.call("GET", f"/users/bob/statuses/{quoting['id']}", headers={"Accept": AS2})
    assert "quoteAuthorization" not in note
    status, again = await a.call("POST", revoke, alice_token)  # idempotent
    assert status == 200 and again["quote"]["state"] == "revoked"
    _, listed = await a.call("GET", f"/api/v1/statuses/{original['id']}/quotes", alice_token)
    assert [s["id"] for s in listed] == [local["id"]]

    # a quote by a local account: revoked at once, the post stays
    status, body = await a.call("POST", f"/api/v1/statuses/{original['id']}/quotes/{local['id']}/revoke",
                                alice_token)
    assert status == 200 and body["quote"]["state"] == "revoked"
    _, carol_sees = await a.call("GET", f"/api/v1/statuses/{local['id']}", carol_token)
    assert carol_sees["quote"] == {"state": "revoked", "quoted_status": None}
    _, note = await a.call("GET", f"/users/carol/statuses/{local['id']}", headers={"Accept": AS2})
    assert "quoteAuthorization" not in note
