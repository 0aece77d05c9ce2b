"""Filters v2 (and v1 from the same rows) through an unmodified Mastodon.py: whole-word and anywhere keywords,
status filters, contexts, expiry on the node's clock, warn (a FilterResult in `filtered`) and hide (dropped
server-side) in the home, public, account, thread, list and notification views; the refusals."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fixtures.social import call, post, user
from support import create_user
from test_mastodon_py import served, signed_in

from node.models import Filter, FilterKeyword
from node.services.filters import keyword_pattern

EVERYWHERE = ["home", "notifications", "public", "thread", "account"]


def test_keyword_patterns_match_as_mastodon():
    assert keyword_pattern("cat", True).search("My Cat sleeps")
    assert not keyword_pattern("cat", True).search("concatenate")
    assert keyword_pattern("cat", False).search("concatenate")
    assert keyword_pattern("#tag", True).search("see #tag here") and not keyword_pattern("#tag", True).search(
        "#tagged"
    )
    assert keyword_pattern("c++", True).search("I like c++!")


async def test_filters_warn_and_hide_everywhere_with_mastodon_py(aiohttp_client, make_config, node_of):
    client, base = await served(aiohttp_client, make_config)
    node = node_of(client)
    await create_user(node, "ana")
    await create_user(node, "ben")

    def setup() -> dict:
        ana, ben = signed_in(base, "ana@example.com"), signed_in(base, "ben@example.com")
        ana.account_follow(ben.me()["id"])
        spoilers = ana.create_filter_v2(
            "Spoilers", EVERYWHERE, "warn", keywords_attributes=[{"keyword": "dragon", "whole_word": True}]
        )
        cats = ana.create_filter_v2(
            "No cats",
            ["home", "public", "notifications", "account"],
            "hide",
            keywords_attributes=[{"keyword": "cat", "whole_word": True}],
        )
        soon = ana.create_filter_v2(
            "For an hour",
            ["home"],
            "hide",
            expires_in=3600,
            keywords_attributes=[{"keyword": "strings", "whole_word": False}],
        )
        posts = {
            "dragon": ben.status_post("a dragon appears"),
            "cat": ben.status_post("my cat sleeps"),
            "concat": ben.status_post("concatenate strings"),
            "fly": ben.status_post("a dragonfly"),
            "mention_cat": ben.status_post("@ana look, a cat"),
            "mention_dragon": ben.status_post("@ana a dragon!"),
        }
        posts["thread_cat"] = ben.status_reply(posts["dragon"], "and a cat too")
        ana.add_filter_status_v2(spoilers["id"], posts["fly"]["id"])
        return {
            "spoilers": spoilers,
            "cats": cats,
            "soon": soon,
            "posts": posts,
            "ben": ben.me()["id"],
            "home": ana.timeline_home(limit=40),
            "public": ana.timeline_public(limit=40),
            "account": ana.account_statuses(ben.me()["id"], limit=40),
            "thread": ana.status_context(posts["dragon"]["id"]),
            "notifications": ana.notifications(types=["mention"]),
            "filters": ana.filters_v2(),
            "v1": ana.filters(),
        }

    r = await asyncio.to_thread(setup)
    ids = {k: v["id"] for k, v in r["posts"].items()}
    home = {s["id"]: s for s in r["home"]}
    assert (
        ids["cat"] not in home and ids["thread_cat"] not in home and ids["mention_cat"] not in home
    )  # hidden
    assert ids["concat"] not in home  # "strings" anywhere, hidden for now
    warned = home[ids["dragon"]]["filtered"]
    assert [f["filter"]["title"] for f in warned] == ["Spoilers"]
    assert warned[0]["keyword_matches"] == ["dragon"] and warned[0]["status_matches"] is None
    fly = home[ids["fly"]][
        "filtered"
    ]  # no whole-word "dragon" in "dragonfly", but the status itself is filtered
    assert fly[0]["keyword_matches"] is None and fly[0]["status_matches"] == [ids["fly"]]
    public = {s["id"]: s for s in r["public"]}
    assert ids["cat"] not in public and ids["concat"] in public and public[ids["concat"]]["filtered"] == []
    assert public[ids["dragon"]]["filtered"][0]["filter"]["filter_action"] == "warn"
    account = {s["id"] for s in r["account"]}
    assert ids["cat"] not in account and ids["dragon"] in account
    thread = [s["id"] for s in r["thread"]["descendants"]]
    assert thread == [ids["thread_cat"]]  # "No cats" is not for threads
    noted = [n["status"]["id"] for n in r["notifications"]]
    assert ids["mention_cat"] not in noted and ids["mention_dragon"] in noted
    dragon_note = next(n for n in r["notifications"] if n["status"]["id"] == ids["mention_dragon"])
    assert dragon_note["status"]["filtered"][0]["keyword_matches"] == ["dragon"]
    assert [f["title"] for f in r["filters"]] == ["Spoilers", "No cats", "For an hour"]
    assert r["filters"][0]["statuses"][0]["status_id"] == ids["fly"]
    assert sorted(f["phrase"] for f in r["v1"]) == ["cat", "dragon", "strings"]
    assert next(f for f in r["v1"] if f["phrase"] == "cat")["irreversible"] is True

    node.clock.advance(timedelta(hours=2))  # "For an hour" has expired

    def later() -> dict:
        ana = signed_in(base, "ana@example.com")
        made = ana.filter_create("sleeps", ["home"], irreversible=True, whole_word=True)
        home = ana.timeline_home(limit=40)
        ana.filter_delete(made["id"])
        ana.delete_filter_v2(r["cats"]["id"])
        return {"made": made, "home": home, "after": ana.timeline_home(limit=40), "v1": ana.filters()}

    r2 = await asyncio.to_thread(later)
    home_ids = [s["id"] for s in r2["home"]]
    assert ids["concat"] in home_ids  # the expired filter no longer hides
    assert r2["made"]["phrase"] == "sleeps" and r2["made"]["irreversible"] is True
    after = [s["id"] for s in r2["after"]]
    assert ids["cat"] in after and ids["thread_cat"] in after  # "No cats" deleted
    assert sorted(f["phrase"] for f in r2["v1"]) == ["dragon", "strings"]


async def test_keywords_statuses_updates_and_refusals(node_client, node_of):
    node = node_of(node_client)
    _, ana = await user(node, "ana")
    _, ben = await user(node, "ben")
    for bad, message in [
        ({"context": ["home"]}, "Title can't be blank"),
        ({"title": "x"}, "Context can't be blank"),
        ({"title": "x", "context": ["everywhere"]}, "invalid context"),
        ({"title": "x", "context": ["home"], "filter_action": "shout"}, "Filter action must be one of"),
        ({"title": "x", "context": ["home"], "expires_in": "soon"}, "Expires in must be"),
        (
            {"title": "x", "context": ["home"], "keywords_attributes": [{"keyword": " "}]},
            "Keyword can't be blank",
        ),
    ]:
        code, body = await call(node_client, "POST", "/api/v2/filters", ana, json=bad)
        assert code == 422 and message in body["error"], (bad, body)
    code, body = await call(node_client, "POST", "/api/v1/filters", ana, json={"context": ["home"]})
    assert (
        code == 422 and body["error"] == "Validation failed: Keyword can't be blank"
    )  # a v1 filter needs one
    with node.db:
        assert await Filter.all().count() == 0

    code, made = await call(
        node_client,
        "POST",
        "/api/v2/filters",
        ana,
        json={
            "title": "Words",
            "context": ["home"],
            "keywords_attributes": [{"keyword": "alpha"}, {"keyword": "beta"}],
        },
    )
    assert (
        code == 200
        and made["filter_action"] == "warn"
        and [k["whole_word"] for k in made["keywords"]] == [True, True]
    )
    fid = made["id"]
    alpha, beta = made["keywords"]
    code, changed = await call(
        node_client,
        "PUT",
        f"/api/v2/filters/{fid}",
        ana,
        json={
            "title": "Greek",
            "filter_action": "blur",
            "keywords_attributes": [
                {"id": alpha["id"], "_destroy": True},
                {"id": beta["id"], "keyword": "gamma", "whole_word": False},
                {"keyword": "delta"},
            ],
        },
    )
    assert code == 200 and changed["title"] == "Greek" and changed["filter_action"] == "blur"
    assert [(k["keyword"], k["whole_word"]) for k in changed["keywords"]] == [
        ("gamma", False),
        ("delta", True),
    ]
    code, added = await call(
        node_client, "POST", f"/api/v2/filters/{fid}/keywords", ana, json={"keyword": "eps"}
    )
    assert code == 200
    code, kw = await call(
        node_client, "PUT", f"/api/v2/filters/keywords/{added['id']}", ana, json={"keyword": "epsilon"}
    )
    assert kw["keyword"] == "epsilon"
    assert (await call(node_client, "GET", f"/api/v2/filters/{fid}/keywords", ana))[1][-1][
        "keyword"
    ] == "epsilon"
    assert await call(node_client, "DELETE", f"/api/v2/filters/keywords/{added['id']}", ana) == (200, {})
    status = await post(node_client, ben, "hello")
    code, row = await call(
        node_client, "POST", f"/api/v2/filters/{fid}/statuses", ana, json={"status_id": status["id"]}
    )
    assert code == 200 and row["status_id"] == status["id"]
    code, body = await call(
        node_client, "POST", f"/api/v2/filters/{fid}/statuses", ana, json={"status_id": status["id"]}
    )
    assert code == 422
    assert (await call(node_client, "POST", f"/api/v2/filters/{fid}/statuses", ana, json={"status_id": "9"}))[
        0
    ] == 404
    assert (await call(node_client, "GET", f"/api/v2/filters/statuses/{row['id']}", ana))[1] == row
    code, v1 = await call(
        node_client,
        "PUT",
        f"/api/v1/filters/{changed['keywords'][0]['id']}",
        ana,
        json={"context": ["public"]},
    )
    assert code == 422 and "several keywords" in v1["error"]  # as Mastodon: v1 cannot change a shared filter

    # someone else's filter, keyword, status and v1 filter are unknown
    for method, path in [
        ("GET", f"/api/v2/filters/{fid}"),
        ("PUT", f"/api/v2/filters/{fid}"),
        ("DELETE", f"/api/v2/filters/{fid}"),
        ("GET", f"/api/v2/filters/{fid}/keywords"),
        ("POST", f"/api/v2/filters/{fid}/keywords"),
        ("GET", f"/api/v2/filters/statuses/{row['id']}"),
        ("GET", f"/api/v1/filters/{changed['keywords'][0]['id']}"),
        ("DELETE", f"/api/v1/filters/{changed['keywords'][0]['id']}"),
    ]:
        code, _ = await call(node_client, method, path, ben, json={"keyword": "x", "title": "y"})
        assert code == 404, (method, path)
    assert (await call(node_client, "GET", "/api/v2/filters/999", ana))[0] == 404
    assert (await call(node_client, "GET", "/api/v2/filters"))[0] == 401
    assert await call(node_client, "DELETE", f"/api/v2/filters/{fid}", ana) == (200, {})
    with node.db:
        assert await Filter.all().count() == 0 and await FilterKeyword.all().count() == 0
