"""Discovery and documents: WebFinger (acct with a port, actor URLs), host-meta, NodeInfo 2.1/2.0 valid
against the official schemas, actor documents with their key, collections, content negotiation on
object URLs, authorized fetch, and federation switched off."""

from __future__ import annotations

import json

import jsonschema
import pytest
from federation_nodes import Cluster, PeerServer, peer_keypair
from support import INTEROP, bearer, create_user, write_config

from federation.client import FederationClient
from federation.signatures import SigningKey
from node.api.keys import NODE
from node.app import build_app


@pytest.fixture
async def served(aiohttp_client, tmp_path):
    config = write_config(tmp_path, node={"domain": "127.0.0.1:18101", "scheme": "http"},
                          federation={"enabled": True, "allow_private_addresses": True})
    return await aiohttp_client(build_app(config, scheduler=False))


async def test_webfinger_acct_with_port_and_actor_url(served):
    await create_user(served.app[NODE], "alice")
    response = await served.get("/.well-known/webfinger", params={"resource": "acct:alice@127.0.0.1:18101"})
    assert response.status == 200
    assert response.content_type == "application/jrd+json"
    jrd = await response.json()
    assert jrd["subject"] == "acct:alice@127.0.0.1:18101"
    self_link = next(link for link in jrd["links"] if link["rel"] == "self")
    assert self_link == {"rel": "self", "type": "application/activity+json",
                         "href": "http://127.0.0.1:18101/users/alice"}
    by_url = await (await served.get("/.well-known/webfinger",
                                     params={"resource": "http://127.0.0.1:18101/users/alice"})).json()
    assert by_url["subject"] == jrd["subject"]
    for resource, status in (("acct:bob@127.0.0.1:18101", 404), ("acct:alice@elsewhere.example", 404),
                             ("not a handle", 400), ("", 400)):
        answer = await served.get("/.well-known/webfinger", params={"resource": resource})
        assert answer.status == status, resource
        assert "error" in await answer.json()
    instance = await (await served.get("/.well-known/webfinger",
                                       params={"resource": "acct:127.0.0.1:18101@127.0.0.1:18101"})).json()
    assert instance["links"][-1]["href"].endswith("/actor")


async def test_host_meta_and_nodeinfo_against_schemas(served):
    xml = await (await served.get("/.well-known/host-meta")).text()
    assert 'template="http://127.0.0.1:18101/.well-known/webfinger?resource={uri}"' in xml
    assert (await (await served.get("/.well-known/host-meta.json")).json())["links"][0]["rel"] == "lrdd"
    links = await (await served.get("/.well-known/nodeinfo")).json()
    assert [link["href"] for link in links["links"]] == ["http://127.0.0.1:18101/nodeinfo/2.1",
                                                           "http://127.0.0.1:18101/nodeinfo/2.0"]
    for version in ("2.1", "2.0"):
        doc = await (await served.get(f"/nodeinfo/{version}")).json()
        schema = json.loads((INTEROP / "schemas" / f"nodeinfo-{version}-schema.json").read_text())
        jsonschema.validate(doc, schema)
        assert doc["software"]["name"] == "entativa" and doc["protocols"] == ["activitypub"]
        # what megalodon-style detectors read to treat a fork as Mastodon-compatible
        assert doc["metadata"]["upstream"] == {"name": "mastodon", "version": "4.3.0"}
        assert "mastodon_api" in doc["metadata"]["features"]


async def test_actor_documents_collections_and_content_negotiation(served):
    node = served.app[NODE]
    _, token = await create_user(node, "alice")
    _, bob_token = await create_user(node, "bob")
    alice_id = (await (await served.get("/api/v1/accounts/verify_credentials", headers=bearer(token))).json())["id"]
    await served.post(f"/api/v1/accounts/{alice_id}/follow", headers=bearer(bob_token))
    posted = await (await served.post("/api/v1/statuses", headers=bearer(token),
                                      json={"status": "hello #world"})).json()
    as2 = {"Accept": "application/activity+json"}
    person = await (await served.get("/users/alice", headers=as2)).json()
    assert person["type"] == "Person" and person["preferredUsername"] == "alice"
    assert person["publicKey"]["id"] == "http://127.0.0.1:18101/users/alice#main-key"
    assert person["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert person["endpoints"]["sharedInbox"] == "http://127.0.0.1:18101/inbox"
    for name in ("inbox", "outbox", "followers", "following", "featured"):
        assert person[name].startswith("http://127.0.0.1:18101/users/alice")
    html = await served.get("/users/alice", headers={"Accept": "text/html"}, allow_redirects=False)
    assert html.status == 302 and html.headers["Location"] == "/@alice"
    instance = await (await served.get("/actor", headers=as2)).json()
    assert instance["type"] == "Application" and instance["preferredUsername"] == "127.0.0.1:18101"

    note = await (await served.get(f"/users/alice/statuses/{posted['id']}", headers=as2)).json()
    assert note["type"] == "Note" and note["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    assert note["cc"] == ["http://127.0.0.1:18101/users/alice/followers"]
    assert note["tag"][0] == {"type": "Hashtag", "href": "http://127.0.0.1:18101/tags/world", "name": "#world"}
    page = await served.get(f"/users/alice/statuses/{posted['id']}", allow_redirects=False)
    assert page.status == 302 and page.headers["Location"] == f"/@alice/{posted['id']}"

    outbox = await (await served.get("/users/alice/outbox", headers=as2)).json()
    assert outbox["type"] == "OrderedCollection" and outbox["totalItems"] == 1
    first = await (await served.get("/users/alice/outbox?page=true", headers=as2)).json()
    assert first["orderedItems"][0]["object"]["id"] == posted["uri"]
    followers = await (await served.get("/users/alice/followers?page=true", headers=as2)).json()
    assert followers["orderedItems"] == ["http://127.0.0.1:18101/users/bob"]
    featured = await (await served.get("/users/alice/collections/featured", headers=as2)).json()
    assert featured["orderedItems"] == []
    for path in ("/users/nobody", "/users/nobody/outbox", "/users/alice/statuses/1"):
        assert (await served.get(path, headers=as2)).status == 404


async def test_authorized_fetch_requires_signed_gets(tmp_path):
    cluster = Cluster(tmp_path)
    try:
        fed = await cluster.add_node("secure", federation={"authorized_fetch": True})
        await fed.user("alice")
        status, body = await fed.call("GET", "/users/alice", headers={"Accept": "application/activity+json"})
        assert status == 401 and "error" in body
        assert (await fed.call("GET", "/actor", headers={"Accept": "application/activity+json"}))[0] == 200
        # a peer whose actor we can fetch signs its GET: allowed
        private_pem, public_pem = peer_keypair()
        peer = PeerServer(cluster.resolver, private_pem=private_pem, public_pem=public_pem)
        await cluster.serve(peer.app(), "peer.test")
        peer.add_actor("http://peer.test/users/p")
        async with FederationClient(allow_private_addresses=True, resolver=cluster.resolver) as client:
            doc = await client.get_activity("http://secure.test/users/alice",
                                            sign_with=SigningKey.from_pem("http://peer.test/users/p#main-key",
                                                                          private_pem))
        assert doc["preferredUsername"] == "alice"
    finally:
        await cluster.close()


async def test_federation_disabled_inbox_answers_503(node_client):
    response = await node_client.post("/inbox", data=b"{}", headers={"Content-Type": "application/activity+json"})
    assert response.status == 503
    assert "disabled" in (await response.json())["error"]
