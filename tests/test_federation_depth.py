"""Federation depth (issue 14): what real servers send that a plain Create/Like/Follow test misses.

A loopback "remote server" serves its actors (real RSA keys) and objects by URL and signs what it POSTs
to our shared inbox, as Mastodon (cavage rsa-sha256) and newer servers (RFC 9421) do; the queue is
drained and the effect is read back over our client API."""

from __future__ import annotations

from typing import Any

import pytest
from federation_nodes import Cluster, FedNode, PeerServer, peer_keypair, settle

from federation.as2 import PUBLIC
from node.models import InboxActivity

GTS = "http://gts.example"
AKKOMA = "http://akkoma.example"
MASTO = "http://masto.example"
AS2 = "application/activity+json"
CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]


class Remote:
    """Our node, the remote server, and alice (a local user) with her token."""

    def __init__(self, cluster: Cluster, fed: FedNode, peer: PeerServer) -> None:
        self.cluster, self.fed, self.peer = cluster, fed, peer

    @property
    def inbox(self) -> str:
        return f"{self.fed.base}/inbox"

    def actor(self, uri: str, **extra: Any) -> str:
        if uri not in self.peer.docs:
            self.peer.add_actor(uri, **extra)
        return uri

    async def deliver(self, activity: dict[str, Any], *, scheme: str = "cavage") -> None:
        self.actor(activity["actor"])
        assert await self.peer.send(self.inbox, activity, scheme=scheme) == 202
        await settle([self.fed])

    async def create(self, note: dict[str, Any], *, scheme: str = "cavage") -> None:
        actor = note["attributedTo"]
        await self.deliver(
            {
                "@context": CONTEXT,
                "id": f"{note['id']}/activity",
                "type": "Create",
                "actor": actor,
                "published": note.get("published", "2026-11-30T10:00:00Z"),
                "to": note.get("to"),
                "cc": note.get("cc"),
                "object": note,
            },
            scheme=scheme,
        )

    async def status_of(self, uri: str, token: str | None = None) -> dict[str, Any]:
        """A remote status as our client API shows it (found through search by URL)."""
        status, found = await self.fed.call(
            "GET",
            "/api/v2/search",
            token or self.alice_token,
            params={"q": uri, "type": "statuses", "resolve": "false"},
        )
        assert status == 200 and found["statuses"], (uri, found)
        return found["statuses"][0]

    async def failures(self) -> list[tuple[str, str]]:
        with self.fed.db():
            return list(await InboxActivity.filter(state="failed").values_list("type", "error"))


@pytest.fixture
async def remote(tmp_path):
    cluster = Cluster(tmp_path)
    fed = await cluster.add_node("entativa")
    private_pem, public_pem = peer_keypair()
    peer = PeerServer(cluster.resolver, private_pem=private_pem, public_pem=public_pem)
    await cluster.serve(peer.app(), "gts.example", "akkoma.example", "masto.example", "misskey.example")
    made = Remote(cluster, fed, peer)
    alice, made.alice_token = await fed.user("alice")
    made.alice = alice.account
    yield made
    await cluster.close()


def note(author: str, number: int, html: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"{author}/statuses/{number}",
        "type": "Note",
        "attributedTo": author,
        "content": html,
        "published": "2026-11-30T10:00:00Z",
        "to": [PUBLIC],
        "cc": [f"{author}/followers"],
        "url": f"{author.replace('/users/', '/@')}/{number}",
        "sensitive": False,
        "tag": [],
        **extra,
    }


# ---- 1. formatting survives ------------------------------------------------------------------------------------


async def test_formatting_survives_as_mastodon_keeps_it(remote):
    # GoToSocial renders Markdown to HTML; Akkoma sends headings and code blocks; someone sends a payload
    gts = remote.actor(f"{GTS}/users/tobi")
    markdown = (
        "<p><strong>bold</strong> <em>italic</em> <del>gone</del> <u>under</u> <b>b</b> <i>i</i> "
        '<s>s</s></p><ul><li>one</li><li>two</li></ul><ol start="3"><li value="3">three</li></ol>'
        "<blockquote><p>quoted</p></blockquote><pre><code>x = 1\n</code></pre>"
        "<p>see <code>inline</code><br>line two</p>"
    )
    await remote.create(note(gts, 1, markdown, contentMap={"en": markdown}))
    kept = (await remote.status_of(f"{gts}/statuses/1"))["content"]
    for piece in (
        "<strong>bold</strong>",
        "<em>italic</em>",
        "<del>gone</del>",
        "<u>under</u>",
        "<b>b</b>",
        "<i>i</i>",
        "<s>s</s>",
        "<ul><li>one</li><li>two</li></ul>",
        '<ol start="3"><li value="3">',
        "<blockquote><p>quoted</p></blockquote>",
        "<pre><code>x = 1\n</code></pre>",
        "<code>inline</code>",
        "<br>",
    ):
        assert piece in kept, (piece, kept)

    akkoma = remote.actor(f"{AKKOMA}/users/lain")
    article = (
        '<h1 id="t" style="color:red">Release notes</h1><h3>Fixes</h3><p lang="fr">bonjour</p>'
        '<p><span class="h-card"><a class="u-url mention" href="http://masto.example/@bob" rel="ugc">@'
        '<span>bob</span></a></span> <a href="http://akkoma.example/tag/x" class="hashtag" rel="tag">#x</a> '
        '<a href="gemini://capsule.example/">capsule</a></p>'
        '<p>math: <math><semantics><mi>x</mi><annotation encoding="application/x-tex">x^2</annotation>'
        "</semantics></math></p>"
    )
    await remote.create(note(akkoma, 2, article), scheme="rfc9421")
    kept = (await remote.status_of(f"{akkoma}/statuses/2"))["content"]
    assert "<p><strong>Release notes</strong></p><p><strong>Fixes</strong></p>" in kept
    assert '<p lang="fr">bonjour</p>' in kept and "math: $x^2$" in kept
    assert (
        '<span class="h-card"><a class="u-url mention" href="http://masto.example/@bob" target="_blank" '
        'rel="nofollow noopener">@<span>bob</span></a></span>'
    ) in kept
    assert '<a href="gemini://capsule.example/"' in kept and 'class="hashtag"' in kept
    assert "style" not in kept and 'id="t"' not in kept and "ugc" not in kept

    # and everything unsafe still goes, whichever server sends it
    masto = remote.actor(f"{MASTO}/users/mallory")
    hostile = (
        '<p onclick="steal()">hi<script>alert(1)</script><style>p{}</style><img src=x onerror=alert(1)>'
        '<a href="javascript:alert(1)">click</a> <a href="/relative">rel</a> '
        '<iframe src="http://evil.example/"></iframe><span class="evil mention" translate="yes">m</span>'
        "<table><tr><td>cell</td></tr></table><form><input name=x></form></p>"
    )
    await remote.create(note(masto, 3, hostile))
    kept = (await remote.status_of(f"{MASTO}/users/mallory/statuses/3"))["content"]
    assert kept == '<p>hiclick rel <span class="mention">m</span></p>cell<p></p>', kept  # tables close a p
    assert await remote.failures() == []


# ---- 2. page URLs negotiate --------------------------------------------------------------------------------------


async def test_page_urls_answer_activitystreams_and_link_their_documents(cluster):
    a, b = await cluster.add_node("node-a"), await cluster.add_node("node-b")
    _, alice_token = await a.user("alice")
    _, bob_token = await b.user("bob")
    _, post = await a.call("POST", "/api/v1/statuses", alice_token, json={"status": "paste me"})
    _, private = await a.call(
        "POST", "/api/v1/statuses", alice_token, json={"status": "friends only", "visibility": "private"}
    )

    for accept in (AS2, 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'):
        status, person = await a.call("GET", "/@alice", headers={"Accept": accept})
        assert status == 200 and person["type"] == "Person" and person["id"] == f"{a.base}/users/alice"
        status, obj = await a.call("GET", f"/@alice/{post['id']}", headers={"Accept": accept})
        assert status == 200 and obj["type"] == "Note" and obj["id"] == post["uri"]
    assert (await a.call("GET", f"/@alice/{private['id']}", headers={"Accept": AS2}))[0] == 404
    assert (await a.call("GET", "/@nobody", headers={"Accept": AS2}))[0] == 404

    # browsers still get the pages, and each names its ActivityStreams document
    link = '<link rel="alternate" type="application/activity+json" href="{}">'
    status, page = await a.call("GET", "/@alice", headers={"Accept": "text/html"})
    assert status == 200 and link.format(f"{a.base}/users/alice") in page
    status, page = await a.call("GET", f"/@alice/{post['id']}", headers={"Accept": "text/html"})
    assert status == 200 and link.format(post["uri"]) in page
    status, page = await a.call(
        "GET", f"/@alice/{private['id']}", alice_token, headers={"Accept": "text/html"}
    )
    assert 'rel="alternate"' not in page

    # so another server resolves a pasted page link (search with resolve=true follows the same negotiation)
    status, found = await b.call(
        "GET", "/api/v2/search", bob_token, params={"q": f"{a.base}/@alice/{post['id']}", "resolve": "true"}
    )
    assert status == 200 and [s["uri"] for s in found["statuses"]] == [post["uri"]], found
    status, found = await b.call(
        "GET",
        "/api/v2/search",
        bob_token,
        params={"q": f"{a.base}/@alice", "resolve": "true", "type": "accounts"},
    )
    assert status == 200 and [x["acct"] for x in found["accounts"]] == ["alice@node-a.test"], found


# ---- 3. hashtags as Mastodon treats them -------------------------------------------------------------------------


async def test_hashtags_validated_case_kept_and_folded(remote):
    masto = remote.actor(f"{MASTO}/users/ana")
    misskey = remote.actor("http://misskey.example/users/9abc")

    def hashtag(name: str, host: str) -> dict[str, str]:
        return {"type": "Hashtag", "href": f"{host}/tags/{name.lstrip('#').lower()}", "name": name}

    # Mastodon writes "#Name"; Misskey sends the name with its case and accents; Lemmy-style names without '#'
    await remote.create(
        note(
            masto,
            10,
            "<p>#Café #Fediverse #2024</p>",
            tag=[
                hashtag("#Café", MASTO),
                hashtag("#Fediverse", MASTO),
                hashtag("#2024", MASTO),
                hashtag("#", MASTO),
                {"type": "Hashtag", "name": ""},
            ],
        )
    )
    await remote.create(
        note(
            misskey,
            11,
            "<p>#cafe #FEDIVERSE</p>",
            tag=[
                hashtag("#cafe", "http://misskey.example"),
                hashtag("FEDIVERSE", "http://misskey.example"),
                hashtag("#foo bar!", "http://misskey.example"),
            ],
        ),
        scheme="rfc9421",
    )
    _, local = await remote.fed.call(
        "POST",
        "/api/v1/statuses",
        remote.alice_token,
        json={"status": "at the #CAFÉ, not #1 and #２０２４ but #Ｗｉｄｅ"},
    )

    with remote.fed.db():
        from node.models import Tag

        tags = {t.name: t.display_name for t in await Tag.all()}
    # one tag per folded name, shown as first written; numbers are not hashtags
    assert tags == {
        "café": "Café",
        "cafe": "cafe",
        "fediverse": "Fediverse",
        "foobar": "foobar",
        "wide": "Wide",
    }, tags

    first = await remote.status_of(f"{masto}/statuses/10")
    assert [t["name"] for t in first["tags"]] == ["café", "fediverse"]
    assert (
        'href="http://entativa.test/tags/caf%C3%A9"' in local["content"] or 'tags/café"' in local["content"]
    )
    assert "#1 " in local["content"]

    for spelled, expected in (
        ("Café", {f"{masto}/statuses/10", local["uri"]}),
        ("CAFÉ", {f"{masto}/statuses/10", local["uri"]}),
        ("cafe", {f"{misskey}/statuses/11"}),
        ("FeDiVeRsE", {f"{masto}/statuses/10", f"{misskey}/statuses/11"}),
    ):
        status, timeline = await remote.fed.call("GET", f"/api/v1/timelines/tag/{spelled}")
        assert status == 200
        assert {s["uri"] for s in timeline} == expected, spelled
    _, timeline = await remote.fed.call("GET", "/api/v1/timelines/tag/2024")
    assert timeline == []
    assert await remote.failures() == []


# ---- 4. pinned posts ---------------------------------------------------------------------------------------------


async def _search_account(fed: FedNode, token: str, q: str) -> dict[str, Any]:
    status, found = await fed.call(
        "GET", "/api/v2/search", token, params={"q": q, "resolve": "true", "type": "accounts"}
    )
    assert status == 200 and found["accounts"], found
    return found["accounts"][0]


async def _pinned(fed: FedNode, token: str, account_id: str) -> list[str]:
    status, rows = await fed.call(
        "GET", f"/api/v1/accounts/{account_id}/statuses", token, params={"pinned": "true"}
    )
    assert status == 200, rows
    return [s["uri"] for s in rows]


async def test_pinned_posts_local_served_federated_and_read(cluster):
    a, b = await cluster.add_node("node-a"), await cluster.add_node("node-b")
    alice, alice_token = await a.user("alice")
    _, carol_token = await a.user("carol")
    _, bob_token = await b.user("bob")
    posts = []
    for n in range(6):
        status, body = await a.call("POST", "/api/v1/statuses", alice_token, json={"status": f"post {n}"})
        posts.append(body)
    _, direct = await a.call(
        "POST", "/api/v1/statuses", alice_token, json={"status": "psst", "visibility": "direct"}
    )
    _, carols = await a.call("POST", "/api/v1/statuses", carol_token, json={"status": "mine"})

    status, pinned = await a.call("POST", f"/api/v1/statuses/{posts[0]['id']}/pin", alice_token)
    assert status == 200 and pinned["pinned"] is True
    assert (await a.call("POST", f"/api/v1/statuses/{posts[0]['id']}/pin", alice_token))[
        0
    ] == 200  # idempotent
    for refused, message in (
        (carols, "Someone else's post cannot be pinned"),
        (direct, "only visible to mentioned users"),
    ):
        status, body = await a.call("POST", f"/api/v1/statuses/{refused['id']}/pin", alice_token)
        assert status == 422 and message in body["error"], body
    for post in posts[1:5]:
        assert (await a.call("POST", f"/api/v1/statuses/{post['id']}/pin", alice_token))[0] == 200
    status, body = await a.call("POST", f"/api/v1/statuses/{posts[5]['id']}/pin", alice_token)
    assert status == 422 and "maximum number" in body["error"]
    assert (await a.call("POST", "/api/v1/statuses/404/pin", alice_token))[0] == 404
    assert (await a.call("POST", f"/api/v1/statuses/{posts[0]['id']}/pin"))[0] == 401
    assert await _pinned(a, alice_token, str(alice.account.id)) == [p["uri"] for p in reversed(posts[:5])]
    for post in posts[1:4]:
        _, body = await a.call("POST", f"/api/v1/statuses/{post['id']}/unpin", alice_token)
        assert body["pinned"] is False

    # the featured collection inlines the pinned Notes, as Mastodon's does
    status, featured = await a.call("GET", "/users/alice/collections/featured", headers={"Accept": AS2})
    assert status == 200 and featured["type"] == "OrderedCollection" and featured["totalItems"] == 2
    assert [n["id"] for n in featured["orderedItems"]] == [posts[4]["uri"], posts[0]["uri"]]
    assert (
        featured["orderedItems"][0]["type"] == "Note" and "post 4" in featured["orderedItems"][0]["content"]
    )

    # another server reads it when it first finds alice, then follows her pins through Add and Remove
    alice_on_b = await _search_account(b, bob_token, "alice@node-a.test")
    await settle([b])  # the featured collection is read in the background
    assert await _pinned(b, bob_token, alice_on_b["id"]) == [posts[4]["uri"], posts[0]["uri"]], [
        p["uri"] for p in posts
    ]
    assert (await b.call("POST", f"/api/v1/accounts/{alice_on_b['id']}/follow", bob_token))[0] == 200
    await settle([a, b])
    await a.call("POST", f"/api/v1/statuses/{posts[5]['id']}/pin", alice_token)
    await a.call("POST", f"/api/v1/statuses/{posts[0]['id']}/unpin", alice_token)
    await settle([a, b])
    assert set(await _pinned(b, bob_token, alice_on_b["id"])) == {posts[4]["uri"], posts[5]["uri"]}

    # a Mastodon server: its featured collection (Notes inline), and an Add signed as Mastodon signs it
    private_pem, public_pem = peer_keypair()
    peer = PeerServer(cluster.resolver, private_pem=private_pem, public_pem=public_pem)
    await cluster.serve(peer.app(), "masto.example")
    ana = f"{MASTO}/users/ana"
    peer.add_actor(ana, featured=f"{ana}/collections/featured")
    pinned_note = note(ana, 1, "<p>pinned on mastodon</p>")
    later = note(ana, 2, "<p>pinned later</p>")
    peer.docs[later["id"]] = later
    peer.docs[f"{ana}/collections/featured"] = {
        "@context": CONTEXT,
        "id": f"{ana}/collections/featured",
        "type": "OrderedCollection",
        "totalItems": 2,
        "orderedItems": [pinned_note, f"{MASTO}/users/mallory/statuses/9"],
    }  # someone else's post is ignored
    ana_on_b = await _search_account(b, bob_token, ana)
    await settle([b])
    assert await _pinned(b, bob_token, ana_on_b["id"]) == [pinned_note["id"]]
    add = {
        "@context": CONTEXT,
        "id": f"{ana}#add/1",
        "type": "Add",
        "actor": ana,
        "object": later["id"],
        "target": f"{ana}/collections/featured",
    }
    assert await peer.send(f"{b.base}/inbox", add) == 202
    await settle([b])
    assert set(await _pinned(b, bob_token, ana_on_b["id"])) == {pinned_note["id"], later["id"]}
    remove = {
        "@context": CONTEXT,
        "id": f"{ana}#remove/1",
        "type": "Remove",
        "actor": ana,
        "object": pinned_note["id"],
        "target": f"{ana}/collections/featured",
    }
    assert await peer.send(f"{b.base}/inbox", remove, scheme="rfc9421") == 202
    await settle([b])
    assert await _pinned(b, bob_token, ana_on_b["id"]) == [later["id"]]
    gone = {**add, "id": f"{ana}#add/2", "object": f"{ana}/statuses/404"}  # a pin we cannot read: ignored
    assert await peer.send(f"{b.base}/inbox", gone) == 202
    await settle([b])
    assert await _pinned(b, bob_token, ana_on_b["id"]) == [later["id"]]
    with b.db():
        assert await InboxActivity.filter(state="failed").count() == 0


# ---- 5. deletes purge ------------------------------------------------------------------------------------------


async def test_actor_delete_purges_and_tombstones_stay(remote):
    from node.models import (
        Account,
        Bookmark,
        Favourite,
        Follow,
        MediaAttachment,
        Notification,
        Poll,
        PollVote,
        Status,
        Tombstone,
    )

    fed, token = remote.fed, remote.alice_token
    _, mine = await fed.call("POST", "/api/v1/statuses", token, json={"status": "boost me"})
    _, poll = await fed.call(
        "POST",
        "/api/v1/statuses",
        token,
        json={"status": "tea?", "poll": {"options": ["yes", "no"], "expires_in": 3600}},
    )
    ana = remote.actor(f"{MASTO}/users/ana")
    zed = remote.actor(f"{MASTO}/users/zed")
    pic = {"type": "Document", "mediaType": "image/png", "url": f"{MASTO}/media/1.png", "name": "a cat"}
    first = note(ana, 1, "<p>hello</p>", attachment=[pic])
    await remote.create(first)
    await remote.create(note(ana, 2, "<p>again</p>", inReplyTo=mine["uri"]))
    await remote.deliver(
        {
            "@context": CONTEXT,
            "id": f"{ana}#follows/1",
            "type": "Follow",
            "actor": ana,
            "object": remote.alice.uri,
        }
    )
    await remote.deliver(
        {"@context": CONTEXT, "id": f"{ana}#likes/1", "type": "Like", "actor": ana, "object": mine["uri"]}
    )
    await remote.deliver(
        {
            "@context": CONTEXT,
            "id": f"{ana}/statuses/3/activity",
            "type": "Announce",
            "actor": ana,
            "object": mine["uri"],
            "to": [PUBLIC],
            "cc": [f"{ana}/followers"],
            "published": "2026-11-30T10:00:00Z",
        }
    )
    await remote.deliver(
        {
            "@context": CONTEXT,
            "id": f"{ana}#votes/1/activity",
            "type": "Create",
            "actor": ana,
            "object": {
                "id": f"{ana}#votes/1",
                "type": "Note",
                "name": "yes",
                "attributedTo": ana,
                "to": [remote.alice.uri],
                "inReplyTo": poll["uri"],
            },
        }
    )
    await remote.deliver(
        {
            "@context": CONTEXT,
            "id": f"{zed}/statuses/9/activity",
            "type": "Announce",
            "actor": zed,
            "object": first["id"],
            "to": [PUBLIC],
            "published": "2026-11-30T10:00:00Z",
        }
    )
    with fed.db():
        stored = await Status.get(uri=first["id"])
    await fed.call("POST", f"/api/v1/statuses/{stored.id}/favourite", token)
    await fed.call("POST", f"/api/v1/statuses/{stored.id}/bookmark", token)
    with fed.db():
        account = await Account.get(uri=ana)
        assert await Status.filter(account_id=account.id).count() == 3  # two notes and a boost
        assert await MediaAttachment.filter(account_id=account.id).exists()
        assert (await Poll.get(status_id=int(poll["id"]))).cached_tallies == [1, 0]

    # Mastodon's Delete of an actor (signed by the actor's own key, which we hold)
    await remote.deliver(
        {
            "@context": CONTEXT,
            "id": f"{ana}#delete",
            "type": "Delete",
            "actor": ana,
            "object": {"type": "Person", "id": ana, "atomUri": ana},
            "to": [PUBLIC],
        }
    )
    with fed.db():
        account = await Account.get(uri=ana)
        assert account.suspended_at is not None and account.display_name == "" and account.statuses_count == 0
        assert not await Status.filter(account_id=account.id).exists()
        assert not await Status.filter(uri=f"{zed}/statuses/9/activity").exists()  # zed's boost of her note
        assert not await MediaAttachment.filter(account_id=account.id).exists()
        assert not await Favourite.filter(account_id=account.id).exists()
        assert not await Favourite.filter(status__uri=first["id"]).exists()
        assert not await Bookmark.filter(account_id=remote.alice.id).exists()
        assert not await Follow.filter(account_id=account.id).exists()
        assert not await PollVote.filter(account_id=account.id).exists()
        assert not await Notification.filter(from_account_id=account.id).exists()
        mine_now = await Status.get(id=int(mine["id"]))
        assert (mine_now.favourites_count, mine_now.reblogs_count, mine_now.replies_count) == (0, 0, 0)
        assert (await Poll.get(status_id=int(poll["id"]))).cached_tallies == [0, 0]
        assert (await Account.get(id=remote.alice.id)).followers_count == 0
        assert set(await Tombstone.all().values_list("uri", flat=True)) >= {
            ana,
            first["id"],
            f"{ana}/statuses/2",
        }

    # a replayed Create stays deleted, and a later boost of the deleted note is not fetched again
    remote.peer.docs[first["id"]] = first
    await remote.peer.send(
        remote.inbox,
        {
            "@context": CONTEXT,
            "id": f"{first['id']}/activity-again",
            "type": "Create",
            "actor": ana,
            "object": first,
            "to": [PUBLIC],
        },
    )
    asked = len(remote.peer.requests)
    await remote.deliver(
        {
            "@context": CONTEXT,
            "id": f"{zed}/statuses/10/activity",
            "type": "Announce",
            "actor": zed,
            "object": first["id"],
            "to": [PUBLIC],
            "published": "2026-11-30T10:00:00Z",
        }
    )
    with fed.db():
        assert not await Status.filter(uri=first["id"]).exists()
    assert first["id"] not in remote.peer.requests[asked:]

    # a Delete{Tombstone} that arrives before its Create (Mastodon may deliver them out of order)
    early = note(zed, 20, "<p>short-lived</p>")
    await remote.deliver(
        {
            "@context": CONTEXT,
            "id": f"{early['id']}#delete",
            "type": "Delete",
            "actor": zed,
            "object": {"id": early["id"], "type": "Tombstone", "atomUri": early["id"]},
            "to": [PUBLIC],
        }
    )
    await remote.create(early)
    with fed.db():
        assert not await Status.filter(uri=early["id"]).exists()

    # our own deleted post answers 410 Gone with a Tombstone for whoever refetches it
    _, gone = await fed.call("POST", "/api/v1/statuses", token, json={"status": "oops"})
    assert (await fed.call("DELETE", f"/api/v1/statuses/{gone['id']}", token))[0] == 200
    status, doc = await fed.call("GET", f"/users/alice/statuses/{gone['id']}", headers={"Accept": AS2})
    assert status == 410 and doc["type"] == "Tombstone" and doc["id"] == gone["uri"], doc
    assert (await fed.call("GET", "/users/alice/statuses/1", headers={"Accept": AS2}))[0] == 404
    assert await remote.failures() == []


# ---- 6. threads complete -------------------------------------------------------------------------------------


async def test_threads_arrive_complete(remote):
    from node.models import Mention, Status

    fed, token = remote.fed, remote.alice_token
    ana, zed = remote.actor(f"{MASTO}/users/ana"), remote.actor(f"{MASTO}/users/zed")
    bob = remote.actor(f"{AKKOMA}/users/bob")
    # a reply whose parent and grandparent we have never seen (Mastodon shapes, served by their server)
    root = note(ana, 100, "<p>root</p>")
    middle = note(zed, 101, "<p>middle</p>", inReplyTo=root["id"])
    leaf = note(
        ana,
        102,
        '<p><span class="h-card"><a href="http://akkoma.example/users/bob" class="u-url mention">'
        "@<span>bob</span></a></span> leaf</p>",
        inReplyTo=middle["id"],
        tag=[{"type": "Mention", "href": bob, "name": "@bob@akkoma.example"}],
    )
    remote.peer.docs.update({root["id"]: root, middle["id"]: middle})
    await remote.create(leaf)
    with fed.db():
        stored = {s.uri: s for s in await Status.filter(uri__in=[root["id"], middle["id"], leaf["id"]])}
        assert set(stored) == {root["id"], middle["id"], leaf["id"]}
        assert stored[leaf["id"]].in_reply_to_id == stored[middle["id"]].id
        assert stored[middle["id"]].in_reply_to_id == stored[root["id"]].id
        # the mentioned account we did not know was looked up
        assert await Mention.filter(status_id=stored[leaf["id"]].id, account__uri=bob).exists()
    status, context = await fed.call("GET", f"/api/v1/statuses/{stored[leaf['id']].id}/context", token)
    assert status == 200 and [s["uri"] for s in context["ancestors"]] == [root["id"], middle["id"]]

    # a chain longer than the bound: only the nearest ancestors are fetched
    chain = [note(zed, 200, "<p>0</p>")]
    for n in range(1, 14):
        chain.append(note(zed, 200 + n, f"<p>{n}</p>", inReplyTo=chain[-1]["id"]))
    remote.peer.docs.update({n["id"]: n for n in chain[:-1]})
    await remote.create(chain[-1])
    with fed.db():
        have = set(await Status.filter(uri__in=[n["id"] for n in chain]).values_list("uri", flat=True))
    assert chain[-1]["id"] in have and len(have) == 9  # the reply and 8 ancestors
    assert chain[0]["id"] not in have

    # a boost of the Create itself (relays and groups send it so): the post is read from its own server
    shared = note(ana, 300, "<p>shared via a group</p>")
    remote.peer.docs[shared["id"]] = shared
    group = remote.actor(f"{AKKOMA}/c/tea")
    forged = {**shared, "content": "<p>not what ana wrote</p>"}
    await remote.deliver(
        {
            "@context": CONTEXT,
            "id": f"{group}/activities/announce/1",
            "type": "Announce",
            "actor": group,
            "to": [PUBLIC],
            "cc": [f"{group}/followers"],
            "object": {
                "id": f"{shared['id']}/activity",
                "type": "Create",
                "actor": ana,
                "object": forged,
                "to": [PUBLIC],
            },
        }
    )
    with fed.db():
        original = await Status.get(uri=shared["id"])
        assert "shared via a group" in original.content and original.reblogs_count == 1
        assert await Status.filter(reblog_of_id=original.id, account__uri=group).exists()

    # a parent on a server our delivery queue found down is not waited for: the reply is stored unthreaded
    from node.models import Peer

    with fed.db():
        await Peer.update_or_create(host="akkoma.example", defaults={"available": False, "failures": 8})
    far = note(f"{AKKOMA}/users/bob", 500, "<p>far away</p>")
    remote.peer.docs[far["id"]] = far
    asked = len(remote.peer.requests)
    await remote.create(note(zed, 501, "<p>re</p>", inReplyTo=far["id"]))
    with fed.db():
        assert (await Status.get(uri=f"{zed}/statuses/501")).in_reply_to_id is None
    assert far["id"] not in remote.peer.requests[asked:]
    assert await remote.failures() == []


async def test_opening_a_remote_thread_fetches_its_missing_replies(remote):
    from node.models import Status

    fed, token = remote.fed, remote.alice_token
    ana, zed = remote.actor(f"{MASTO}/users/ana"), remote.actor(f"{MASTO}/users/zed")
    other = remote.actor(f"{AKKOMA}/users/kim")
    post = note(ana, 400, "<p>what do you think?</p>")
    # Mastodon's replies collection: a first page with the author's own replies inline and others by id
    self_reply = note(ana, 401, "<p>me again</p>", inReplyTo=post["id"])
    zed_reply = note(zed, 402, "<p>agreed</p>", inReplyTo=post["id"])
    kim_reply = note(other, 1, "<p>from elsewhere</p>", inReplyTo=post["id"])
    post["replies"] = {
        "id": f"{post['id']}/replies",
        "type": "Collection",
        "first": {
            "type": "CollectionPage",
            "next": f"{post['id']}/replies?page=true",
            "partOf": f"{post['id']}/replies",
            "items": [self_reply, zed_reply["id"], kim_reply["id"]],
        },
    }
    remote.peer.docs.update({post["id"]: post, zed_reply["id"]: zed_reply, kim_reply["id"]: kim_reply})
    await remote.create(post)
    with fed.db():
        stored = await Status.get(uri=post["id"])
    _, context = await fed.call("GET", f"/api/v1/statuses/{stored.id}/context", token)
    assert context["descendants"] == []
    await settle([fed])
    _, context = await fed.call("GET", f"/api/v1/statuses/{stored.id}/context", token)
    assert {s["uri"] for s in context["descendants"]} == {self_reply["id"], zed_reply["id"], kim_reply["id"]}
    # read once per while, not on every look
    asked = len(remote.peer.requests)
    await fed.call("GET", f"/api/v1/statuses/{stored.id}/context", token)
    await settle([fed])
    assert len(remote.peer.requests) == asked
    # signed-out readers do not make us fetch anything
    await fed.call("GET", f"/api/v1/statuses/{stored.id}/context")
    await settle([fed])
    assert len(remote.peer.requests) == asked
