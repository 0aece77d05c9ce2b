"""Preferences, private notes, endorsements, familiar followers and user-level domain blocks through an
unmodified Mastodon.py (a federated server blocked across two nodes); the refusals."""

from __future__ import annotations

import asyncio

from federation_nodes import settle
from fixtures.social import call, user
from mastodon import MastodonAPIError
from support import create_user
from test_federation_nodes import follow as remote_follow
from test_mastodon_py import served, signed_in


async def test_preferences_notes_endorsements_familiar_followers(aiohttp_client, make_config, node_of):
    client, base = await served(aiohttp_client, make_config)
    node = node_of(client)
    for name in ("ana", "ben", "cy"):
        await create_user(node, name)

    def flows() -> dict:
        ana, ben, cy = (signed_in(base, f"{n}@example.com") for n in ("ana", "ben", "cy"))
        before = ana.preferences()
        ana.account_update_credentials(default_privacy="unlisted", default_sensitive=True)
        ids = {"ben": ben.me()["id"], "cy": cy.me()["id"]}
        ana.account_follow(ids["ben"])
        ben.account_follow(ids["cy"])
        noted = ana.account_note_set(ids["cy"], "met at the market")
        errors = {}
        try:
            ana.account_pin(ids["cy"])  # not followed
        except MastodonAPIError as error:
            errors["pin"] = error.args[1]
        pinned = ana.account_pin(ids["ben"])
        endorsed = ana.endorsements()
        familiar = ana.account_familiar_followers([ids["cy"], ids["ben"]])
        unpinned = ana.account_unpin(ids["ben"])
        plain = ana.status_post("a post with the defaults")
        return {
            "before": before,
            "after": ana.preferences(),
            "noted": noted,
            "pinned": pinned,
            "endorsed": endorsed,
            "familiar": familiar,
            "unpinned": unpinned,
            "errors": errors,
            "ids": ids,
            "plain": plain,
            "cy_sees": cy.account_relationships([ana.me()["id"]])[0],
        }

    r = await asyncio.to_thread(flows)
    assert r["before"] == {
        "posting:default:visibility": "public",
        "posting:default:sensitive": False,
        "posting:default:language": "en",
        "reading:expand:media": "default",
        "reading:expand:spoilers": False,
    }
    assert (
        r["after"]["posting:default:visibility"] == "unlisted"
        and r["after"]["posting:default:sensitive"] is True
    )
    assert r["plain"]["visibility"] == "unlisted"
    assert r["noted"]["note"] == "met at the market" and r["cy_sees"]["note"] == ""  # private to its writer
    assert r["errors"] == {"pin": 422}
    assert r["pinned"]["endorsed"] is True and [a["id"] for a in r["endorsed"]] == [r["ids"]["ben"]]
    assert r["unpinned"]["endorsed"] is False
    by_id = {f["id"]: [a["id"] for a in f["accounts"]] for f in r["familiar"]}
    assert by_id == {r["ids"]["cy"]: [r["ids"]["ben"]], r["ids"]["ben"]: []}


async def test_refusals(node_client, node_of):
    node = node_of(node_client)
    _, ana = await user(node, "ana")
    code, body = await call(node_client, "POST", "/api/v1/domain_blocks", ana, json={})
    assert code == 422 and body["error"] == "Missing parameter: domain"
    code, body = await call(
        node_client, "POST", "/api/v1/domain_blocks", ana, json={"domain": "not a domain!"}
    )
    assert code == 422 and "not a valid domain" in body["error"]
    code, body = await call(node_client, "POST", "/api/v1/domain_blocks", ana, json={"domain": "localhost"})
    assert code == 422 and "own server" in body["error"]
    assert (await call(node_client, "GET", "/api/v1/domain_blocks", ana))[1] == []
    assert (await call(node_client, "POST", "/api/v1/accounts/999/note", ana, json={"comment": "x"}))[
        0
    ] == 404
    assert (await call(node_client, "POST", "/api/v1/accounts/999/pin", ana))[0] == 404
    code, body = await call(
        node_client, "POST", "/api/v1/accounts/999/note", ana, json={"comment": "x" * 2001}
    )
    assert code in (404, 422)
    assert (await call(node_client, "GET", "/api/v1/preferences"))[0] == 401


async def test_a_user_level_domain_block_across_two_nodes(cluster):
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    _, alice = await a.user("alice")
    _, anna = await a.user("anna")
    _, bob = await b.user("bob")
    bob_id = await remote_follow(a, alice, b, "bob@node-b.test")
    await remote_follow(a, anna, b, "bob@node-b.test")
    await remote_follow(b, bob, a, "alice@node-a.test")  # bob follows alice back
    await settle([a, b])
    await b.call("POST", "/api/v1/statuses", bob, json={"status": "hello from b"})
    await settle([a, b])
    _, alice_id = await a.call("GET", "/api/v1/accounts/verify_credentials", alice)
    assert alice_id["followers_count"] == 1
    assert len((await a.call("GET", "/api/v1/timelines/home", alice))[1]) == 1
    assert await a.call("POST", "/api/v1/domain_blocks", alice, json={"domain": "node-b.test"}) == (200, {})
    assert (await a.call("GET", "/api/v1/domain_blocks", alice))[1] == ["node-b.test"]
    assert (await a.call("GET", "/api/v1/timelines/home", alice))[1] == []  # gone from her timeline
    assert len((await a.call("GET", "/api/v1/timelines/home", anna))[1]) == 1  # only hers
    _, rel = await a.call("GET", "/api/v1/accounts/relationships", alice, params={"id[]": bob_id})
    assert rel[0]["domain_blocking"] is True and rel[0]["followed_by"] is False  # her follower there removed
    _, me = await a.call("GET", "/api/v1/accounts/verify_credentials", alice)
    assert me["followers_count"] == 0
    assert await a.call("DELETE", "/api/v1/domain_blocks", alice, json={"domain": "node-b.test"}) == (200, {})
    assert len((await a.call("GET", "/api/v1/timelines/home", alice))[1]) == 1


async def test_suggestions_friends_of_friends_then_popular_and_dismiss(aiohttp_client, make_config, node_of):
    client, base = await served(aiohttp_client, make_config)
    node = node_of(client)
    for name in ("ana", "ben", "cy", "dee", "eve"):
        await create_user(node, name)

    def flows() -> dict:
        ana, ben, cy, dee, eve = (
            signed_in(base, f"{n}@example.com") for n in ("ana", "ben", "cy", "dee", "eve")
        )
        ids = {n: api.me()["id"] for n, api in (("ben", ben), ("cy", cy), ("dee", dee), ("eve", eve))}
        ana.account_follow(ids["ben"])
        ben.account_follow(ids["cy"])  # cy: a friend of a friend
        for api in (ben, cy, dee):
            api.account_follow(ids["eve"])  # eve: popular (and a friend of a friend too)
        first = ana.suggestions_v2()
        ana.suggestion_delete(ids["eve"])
        return {"ids": ids, "first": first, "after": ana.suggestions(), "v1": ana.suggestions_v1()}

    r = await asyncio.to_thread(flows)
    ids = r["ids"]
    first = [(s["account"]["id"], s["sources"]) for s in r["first"]]
    assert first[:2] == [(ids["cy"], ["friends_of_friends"]), (ids["eve"], ["friends_of_friends"])]
    assert (ids["dee"], ["global"]) in first and all(i != ids["ben"] for i, _ in first)  # ben is followed
    assert ids["eve"] not in [a["id"] for a in r["after"]]  # dismissed (suggestions() unpacks the accounts)
    assert [a["id"] for a in r["v1"]] == [a["id"] for a in r["after"]]
