"""WebFinger, host-meta and NodeInfo documents: what we serve (NodeInfo checked against the official
JSON schemas) and what we read from peers (the JRDs in the interop payloads), plus one lookup over HTTP."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import jsonschema
import pytest
from aiohttp import web
from fed_interop import INTEROP, load_json, parse_raw_http

from federation.client import FederationClient
from federation.discovery import (
    WebfingerError,
    actor_url_from_jrd,
    host_meta_json,
    host_meta_xml,
    nodeinfo_document,
    nodeinfo_links,
    nodeinfo_url_from_links,
    parse_resource,
    split_acct,
    subject_of_jrd,
    webfinger_jrd,
    webfinger_url,
)
from federation.hostmap import StaticHostResolver


def _nodeinfo(version: str, **overrides) -> dict:
    args = dict(
        software_name="entativa", software_version="0.1.0", open_registrations=False, users_total=3,
        users_active_month=2, users_active_halfyear=3, local_posts=42, local_comments=7,
        repository="https://example.org/entativa.git", homepage="https://entativa.social",
        metadata={"nodeName": "Test node", "features": ["takes", "stories"]},
    )
    args.update(overrides)
    return nodeinfo_document(version, **args)


# -- WebFinger -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "resource,username,host",
    [
        ("acct:alice@node-a.test", "alice", "node-a.test"),
        ("acct:alice@127.0.0.1:18101", "alice", "127.0.0.1:18101"),
        ("alice@Node-A.test", "alice", "node-a.test"),
        ("@alice@node-a.test", "alice", "node-a.test"),
        ("acct:alice%40node-a.test", "alice", "node-a.test"),
    ],
)
def test_account_resources_parse_including_hosts_with_ports(resource, username, host):
    parsed = parse_resource(resource)
    assert (parsed.kind, parsed.username, parsed.host) == ("acct", username, host)
    assert parsed.acct == f"{username}@{host}"


def test_actor_url_resources_parse():
    parsed = parse_resource("http://127.0.0.1:18101/users/alice")
    assert (parsed.kind, parsed.url, parsed.host) == ("url", "http://127.0.0.1:18101/users/alice", "127.0.0.1:18101")


@pytest.mark.parametrize("bad", ["acct:", "alice", "acct:@node-a.test", "alice@", "a@b@c/d", "https://"])
def test_unusable_resources_are_rejected(bad):
    with pytest.raises(WebfingerError):
        parse_resource(bad)


def test_our_jrd_has_subject_aliases_and_as2_self_link():
    jrd = webfinger_jrd("alice", "127.0.0.1:18101", "http://127.0.0.1:18101/users/alice",
                        profile_url="http://127.0.0.1:18101/@alice",
                        subscribe_template="http://127.0.0.1:18101/authorize_interaction?uri={uri}")
    assert jrd["subject"] == "acct:alice@127.0.0.1:18101"
    assert jrd["aliases"] == ["http://127.0.0.1:18101/@alice", "http://127.0.0.1:18101/users/alice"]
    assert actor_url_from_jrd(jrd) == "http://127.0.0.1:18101/users/alice"
    assert subject_of_jrd(jrd) == ("alice", "127.0.0.1:18101")
    assert {link["rel"] for link in jrd["links"]} == {
        "self", "http://webfinger.net/rel/profile-page", "http://ostatus.org/schema/1.0/subscribe"}


@pytest.mark.parametrize(
    "relative,actor,subject",
    [
        ("payloads/webfinger-emelie.json", "https://mastodon.social/users/emelie", ("emelie", "mastodon.social")),
        ("payloads/mastodon-docs/19-sample-webfinger-flow-jrd.json", "https://mastodon.social/users/Gargron",
         ("Gargron", "mastodon.social")),
        ("payloads/mastodon-docs/21-mastodon-s-requirements-for-webfinger-jrd.json",
         "https://host.example/accounts/username", ("username", "host.example")),
    ],
)
def test_remote_jrds_yield_their_actor(relative, actor, subject):
    jrd = load_json(relative)
    assert actor_url_from_jrd(jrd) == actor
    assert subject_of_jrd(jrd) == subject


def test_mastodon_webfinger_http_response_yields_its_actor():
    import json

    _, headers, body = parse_raw_http((INTEROP / "payloads/mastodon-spec-activitypub-webfinger.http.txt").read_text())
    assert dict(headers)["Content-Type"].startswith("application/jrd+json")
    assert actor_url_from_jrd(json.loads(body)) == "https://ap.example.com/users/foo"


def test_ld_json_self_link_with_profile_counts_and_html_does_not():
    jrd = {"links": [
        {"rel": "self", "type": "text/html", "href": "https://x.test/@a"},
        {"rel": "self", "type": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
         "href": "https://x.test/users/a"},
    ]}
    assert actor_url_from_jrd(jrd) == "https://x.test/users/a"
    assert actor_url_from_jrd({"links": "nope"}) is None


def test_webfinger_query_url():
    assert webfinger_url("alice@node-a.test", scheme="http") == (
        "http://node-a.test/.well-known/webfinger?resource=acct:alice@node-a.test")
    assert webfinger_url("@bob@127.0.0.1:18102", scheme="http").startswith("http://127.0.0.1:18102/.well-known/")
    assert split_acct("acct:Bob@EXAMPLE.org") == ("Bob", "example.org")


async def test_webfinger_lookup_over_http_with_a_port_in_the_handle(aiohttp_server):
    async def webfinger(request: web.Request) -> web.Response:
        res = parse_resource(request.query["resource"])
        if res.username != "alice" or res.host != request.host:
            raise web.HTTPNotFound()
        jrd = webfinger_jrd("alice", request.host, f"http://{request.host}/users/alice")
        return web.json_response(jrd, content_type="application/jrd+json")

    app = web.Application()
    app.router.add_get("/.well-known/webfinger", webfinger)
    server = await aiohttp_server(app)
    async with FederationClient(resolver=StaticHostResolver({"node-a.test": "127.0.0.1"}),
                                allow_private_addresses=True) as client:
        jrd = await client.get_json(webfinger_url(f"alice@node-a.test:{server.port}", scheme="http"))
    assert actor_url_from_jrd(jrd) == f"http://node-a.test:{server.port}/users/alice"


# -- host-meta -------------------------------------------------------------------------------------


def test_host_meta_xml_and_json_point_to_webfinger():
    root = ET.fromstring(host_meta_xml("http://127.0.0.1:18101/"))
    (link,) = root.findall("{http://docs.oasis-open.org/ns/xri/xrd-1.0}Link")
    assert link.get("rel") == "lrdd"
    assert link.get("template") == "http://127.0.0.1:18101/.well-known/webfinger?resource={uri}"
    assert host_meta_json("https://a.example")["links"][0]["template"] == (
        "https://a.example/.well-known/webfinger?resource={uri}")


# -- NodeInfo --------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2.0", "2.1"])
def test_nodeinfo_documents_are_valid_against_the_schema(version):
    schema = load_json(f"schemas/nodeinfo-{version}-schema.json")
    doc = _nodeinfo(version)
    jsonschema.validate(doc, schema, cls=jsonschema.Draft4Validator)
    assert doc["version"] == version and doc["protocols"] == ["activitypub"]
    assert doc["usage"]["users"] == {"total": 3, "activeMonth": 2, "activeHalfyear": 3}


def test_nodeinfo_20_leaves_out_21_only_fields():
    assert "repository" not in _nodeinfo("2.0")["software"]
    assert _nodeinfo("2.1")["software"]["homepage"] == "https://entativa.social"


def test_schema_rejects_what_we_must_not_emit():
    schema = load_json("schemas/nodeinfo-2.0-schema.json")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(_nodeinfo("2.1") | {"version": "2.0"}, schema, cls=jsonschema.Draft4Validator)


def test_nodeinfo_links_document_round_trips():
    links = nodeinfo_links("http://127.0.0.1:18101")
    assert links["links"][0] == {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
                                 "href": "http://127.0.0.1:18101/nodeinfo/2.1"}
    assert nodeinfo_url_from_links(links) == "http://127.0.0.1:18101/nodeinfo/2.1"
    assert nodeinfo_url_from_links(links, prefer=("2.0",)) == "http://127.0.0.1:18101/nodeinfo/2.0"
    only_22 = {"links": [{"rel": "https://nodeinfo.diaspora.software/ns/schema/2.2", "href": "https://x/ni"}]}
    assert nodeinfo_url_from_links(only_22) == "https://x/ni"
