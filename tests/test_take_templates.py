"""Take templates: publishing a Take as a template (validated JSON), making Takes from it on the same node
and on another node (the remote use reaches the template's server as an Add and is counted there), the
popular list, its Takes, and a deleted use that stops counting."""

from __future__ import annotations

import json

from federation_nodes import FedNode, settle
from fixtures.social import call, user
from fixtures.video import mp4, take_form

from node.models import TakeTemplate

AS2 = {"Accept": "application/activity+json"}
SEGMENTS = [{"start": 0, "end": 0.4, "label": "intro"}, {"start": 0.4, "end": 1.0}]
OVERLAYS = [{"text": "Wait for it", "at": 0.1, "position": "top"}]
EFFECTS = {"filter": "warm", "speed": 1.5}


async def post_take(client, token: str, **fields):  # type: ignore[no-untyped-def]
    code, body = await call(client, "POST", "/api/v1/takes", token, data=take_form(mp4(), **fields))
    assert code == 200, body
    return body


async def test_publish_and_use_a_template(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    _, bob = await user(node, "bob")
    source = await post_take(node_client, alice, caption="the original", sound={"title": "Tick", "author": "Clock"})
    path = f"/api/v1/takes/{source['id']}/template"
    code, template = await call(node_client, "POST", path, alice, json={
        "name": "Wait for it", "segments": SEGMENTS, "overlays": OVERLAYS, "effects": EFFECTS})
    assert code == 200, template
    assert template["name"] == "Wait for it" and template["usage_count"] == 0 and template["take_id"] == source["id"]
    assert template["segments"][0] == {"start": 0.0, "end": 0.4, "label": "intro"}
    assert template["sound"] == {"title": "Tick", "author": "Clock"}  # taken from the Take when not given
    assert template["overlays"] == OVERLAYS and template["effects"] == EFFECTS
    assert template["account"]["username"] == "alice" and template["url"].endswith(f"/takes/templates/{template['id']}")
    code, shown = await call(node_client, "GET", f"/api/v1/takes/{source['id']}", bob)
    assert shown["template"] == {"id": template["id"], "name": "Wait for it", "usage_count": 0}

    made = await post_take(node_client, bob, caption="my version", template_id=template["id"])
    assert made["from_template"]["id"] == template["id"] and made["from_template"]["account"]["username"] == "alice"
    code, again = await call(node_client, "GET", f"/api/v1/take_templates/{template['id']}")
    assert again["usage_count"] == 1
    code, popular = await call(node_client, "GET", "/api/v1/take_templates")
    assert [t["id"] for t in popular] == [template["id"]]
    code, uses = await call(node_client, "GET", f"/api/v1/take_templates/{template['id']}/takes")
    assert [t["id"] for t in uses] == [made["id"]]
    code, heard = await call(node_client, "GET", "/api/v1/notifications?types[]=take_template_used", alice)
    assert [(n["account"]["username"], n["status"]["id"]) for n in heard] == [("bob", made["id"])]
    assert heard[0]["group_key"].startswith(f"take_template_used-{template['id']}-")
    # publishing again updates the same template
    code, renamed = await call(node_client, "POST", path, alice, data={"name": "Wait!", "segments": json.dumps(SEGMENTS)})
    assert code == 200 and renamed["id"] == template["id"] and renamed["name"] == "Wait!"
    code, _ = await call(node_client, "DELETE", f"/api/v1/takes/{made['id']}", bob)
    await node.settle()
    code, again = await call(node_client, "GET", f"/api/v1/take_templates/{template['id']}")
    assert again["usage_count"] == 0


async def test_bad_templates_are_refused(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    _, bob = await user(node, "bob")
    source = await post_take(node_client, alice)
    path = f"/api/v1/takes/{source['id']}/template"
    cases = [
        ({"segments": SEGMENTS}, "name must be"),
        ({"name": "x" * 201}, "name must be"),
        ({"name": "t", "segments": "not json"}, "segments is not valid JSON"),
        ({"name": "t", "segments": {"start": 0}}, "must be a JSON list"),
        ({"name": "t", "segments": [{"start": 0.5, "end": 0.2}]}, "Segment 1 must satisfy"),
        ({"name": "t", "segments": [{"start": 0, "end": 9}]}, "Segment 1 must satisfy"),
        ({"name": "t", "segments": [{"start": "a", "end": 1}]}, "numeric start and end"),
        ({"name": "t", "effects": ["list"]}, "must be a JSON object"),
        ({"name": "t", "overlays": [{"text": "x" * 20000}]}, "too large"),
    ]
    for body, message in cases:
        code, answer = await call(node_client, "POST", path, alice, json=body)
        assert code == 422 and message in answer["error"], (body, answer)
    code, answer = await call(node_client, "POST", path, bob, json={"name": "mine"})
    assert code == 403 and answer == {"error": "This action is not allowed"}
    code, answer = await call(node_client, "POST", "/api/v1/takes/123/template", alice, json={"name": "x"})
    assert code == 404
    with node.db:
        assert await TakeTemplate.all().count() == 0
    code, answer = await call(node_client, "GET", "/api/v1/take_templates/nope")
    assert code == 404 and answer == {"error": "Record not found"}


async def fed_take(fed: FedNode, token: str, **fields) -> dict:  # type: ignore[no-untyped-def]
    code, body = await fed.call("POST", "/api/v1/takes", token, data=take_form(mp4(), **fields))
    assert code == 200, body
    return body


async def test_a_remote_template_is_used_and_counted_at_its_origin(cluster):
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    _, alice = await a.user("alice")
    _, bob = await b.user("bob")
    source = await fed_take(a, alice, caption="template source")
    code, template = await a.call("POST", f"/api/v1/takes/{source['id']}/template", alice,
                                  json={"name": "Spin", "segments": SEGMENTS, "effects": EFFECTS})
    assert code == 200
    code, doc = await a.call("GET", source["uri"].replace(a.base, "") + "/template", headers=AS2)
    assert code == 200 and doc["type"] == "TakeTemplate" and doc["segments"][1]["end"] == 1.0
    # bob's server looks the template up by its IRI, and bob makes a Take from it
    code, remote = await b.call("GET", "/api/v1/take_templates/lookup", bob, params={"uri": doc["id"]})
    assert code == 200, remote
    assert remote["local"] is False and remote["name"] == "Spin" and remote["effects"] == EFFECTS
    assert remote["account"]["acct"] == "alice@node-a.test"
    made = await fed_take(b, bob, caption="spun", template_id=remote["id"])
    assert made["from_template"]["uri"] == doc["id"]
    await settle([a, b])
    code, counted = await a.call("GET", f"/api/v1/take_templates/{template['id']}")
    assert counted["usage_count"] == 1
    code, heard = await a.call("GET", "/api/v1/notifications?types[]=take_template_used", alice)
    assert [n["account"]["acct"] for n in heard] == ["bob@node-b.test"]  # once, though bob's server sent it twice
    code, usages = await a.call("GET", doc["usages"].replace(a.base, "") + "?page=true", headers=AS2)
    assert usages["orderedItems"] == [made["uri"]]
    code, note = await b.call("GET", made["uri"].replace(b.base, ""), headers=AS2)
    assert note["take"]["fromTemplate"]["id"] == doc["id"]
    code, _ = await b.call("DELETE", f"/api/v1/takes/{made['id']}", bob)
    await settle([a, b])
    code, counted = await a.call("GET", f"/api/v1/take_templates/{template['id']}")
    assert counted["usage_count"] == 0
    code, body = await b.call("GET", "/api/v1/take_templates/lookup", bob,
                              params={"uri": "http://node-a.test/users/alice/statuses/1/template"})
    assert code == 404 and "error" in body
