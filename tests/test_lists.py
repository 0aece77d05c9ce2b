"""Lists through an unmodified Mastodon.py (and toot): create, rename, members (followed accounts only),
which lists hold an account, the list timeline with each replies_policy, exclusive lists leaving the home
timeline, unfollowing taking a member off; the refusals (blank title, someone else's list, unknown ids)."""

from __future__ import annotations

import asyncio

from fixtures.social import call, follow, post, user
from mastodon import MastodonAPIError, MastodonNotFoundError
from support import create_user
from test_mastodon_py import served, signed_in

from node.models import List, ListAccount


async def test_lists_with_mastodon_py(aiohttp_client, make_config, node_of):
    client, base = await served(aiohttp_client, make_config)
    node = node_of(client)
    for name in ("ana", "ben", "cy", "dee"):
        await create_user(node, name)

    def flows() -> dict:
        ana, ben, cy, dee = (signed_in(base, f"{n}@example.com") for n in ("ana", "ben", "cy", "dee"))
        ids = {n: api.me()["id"] for n, api in (("ben", ben), ("cy", cy), ("dee", dee))}
        for target in ("ben", "cy", "dee"):
            ana.account_follow(ids[target])
        friends = ana.list_create("Friends")
        quiet = ana.list_create("Quiet", replies_policy="none", exclusive=True)
        ana.list_accounts_add(friends, [ids["ben"], ids["cy"]])
        ana.list_accounts_add(quiet, [ids["dee"]])
        renamed = ana.list_update(friends, "Close friends", replies_policy="list")
        hello = ben.status_post("ben says hello")
        to_cy = ben.status_reply(cy.status_post("cy asks"), "ben answers cy")
        muses = dee.status_post("dee muses")
        to_dee = ben.status_reply(muses, "ben answers dee")
        quiet_post = dee.status_post("dee alone")
        dee_reply = dee.status_reply(hello, "dee answers ben")
        errors = {}
        try:
            ana.list_accounts_add(friends, [ids["ben"]])
        except MastodonAPIError as error:
            errors["twice"] = error.args[1]
        try:
            ben.list(friends["id"])
        except MastodonNotFoundError:
            errors["other"] = 404
        try:
            ana.list_create("  ")
        except MastodonAPIError as error:
            errors["blank"] = error.args[1]
        return {
            "ids": ids,
            "friends": renamed,
            "quiet": quiet,
            "posts": [hello, to_cy, to_dee, quiet_post, dee_reply, muses],
            "lists": ana.lists(),
            "one": ana.list(friends["id"]),
            "members": ana.list_accounts(friends),
            "ben_in": ana.account_lists(ids["ben"]),
            "friends_tl": ana.timeline_list(friends),
            "quiet_tl": ana.timeline_list(quiet),
            "home": ana.timeline_home(limit=40),
            "errors": errors,
        }

    r = await asyncio.to_thread(flows)
    hello, to_cy, to_dee, quiet_post, dee_reply, muses = (p["id"] for p in r["posts"])
    assert r["friends"]["title"] == "Close friends" and r["friends"]["replies_policy"] == "list"
    assert r["quiet"]["exclusive"] is True and r["quiet"]["replies_policy"] == "none"
    assert [li["title"] for li in r["lists"]] == ["Close friends", "Quiet"]
    assert r["one"]["id"] == r["friends"]["id"]
    assert sorted(a["id"] for a in r["members"]) == sorted([r["ids"]["ben"], r["ids"]["cy"]])
    assert [li["id"] for li in r["ben_in"]] == [r["friends"]["id"]]
    friends_tl = [s["id"] for s in r["friends_tl"]]
    assert hello in friends_tl and to_cy in friends_tl  # cy is on the list: the reply shows
    assert to_dee not in friends_tl  # dee is not: replies_policy "list" leaves it out
    assert [s["id"] for s in r["quiet_tl"]] == [quiet_post, muses]  # "none": no replies to others
    home = [s["id"] for s in r["home"]]
    assert quiet_post not in home and dee_reply not in home  # dee is on an exclusive list
    assert hello in home
    assert r["errors"] == {"twice": 422, "other": 404, "blank": 422}


async def test_refusals_and_unfollow(node_client, node_of):
    node = node_of(node_client)
    _, ana = await user(node, "ana")
    ben_id, ben = await user(node, "ben")
    cy_id, _ = await user(node, "cy")
    code, made = await call(node_client, "POST", "/api/v1/lists", ana, json={"title": "Mine"})
    assert code == 200 and made["replies_policy"] == "list" and made["exclusive"] is False
    path = f"/api/v1/lists/{made['id']}"
    for bad, message in [
        ({"title": ""}, "Title can't be blank"),
        ({"title": "x", "replies_policy": "everyone"}, "Replies policy must be one of"),
    ]:
        code, body = await call(node_client, "POST", "/api/v1/lists", ana, json=bad)
        assert code == 422 and message in body["error"], body
    code, body = await call(node_client, "PUT", path, ana, json={"replies_policy": "nobody"})
    assert code == 422
    code, body = await call(node_client, "POST", f"{path}/accounts", ana, json={"account_ids": [cy_id]})
    assert code == 404  # not followed
    code, body = await call(node_client, "POST", f"{path}/accounts", ana, json={})
    assert code == 422 and body["error"] == "Missing parameter: account_ids"
    for method, target in [
        ("GET", path),
        ("PUT", path),
        ("DELETE", path),
        ("GET", f"{path}/accounts"),
        ("POST", f"{path}/accounts"),
        ("GET", f"/api/v1/timelines/list/{made['id']}"),
    ]:
        assert (await call(node_client, method, target, ben, json={"title": "x", "account_ids": [cy_id]}))[
            0
        ] == 404
    assert (await call(node_client, "GET", "/api/v1/lists/999", ana))[0] == 404
    assert (await call(node_client, "GET", "/api/v1/lists/abc", ana))[0] == 404
    assert (await call(node_client, "GET", "/api/v1/accounts/999/lists", ana))[0] == 404
    assert (await call(node_client, "GET", "/api/v1/lists"))[0] == 401
    with node.db:
        assert await List.all().count() == 1 and await ListAccount.all().count() == 0

    await follow(node_client, ana, ben_id)
    assert (await call(node_client, "POST", f"{path}/accounts", ana, json={"account_ids": [ben_id]})) == (
        200,
        {},
    )
    shown = await post(node_client, ben, "on the list")
    code, timeline = await call(node_client, "GET", f"/api/v1/timelines/list/{made['id']}", ana)
    assert [s["id"] for s in timeline] == [shown["id"]]
    code, everyone = await call(node_client, "GET", f"{path}/accounts?limit=0", ana)
    assert [a["id"] for a in everyone] == [ben_id]
    await call(node_client, "POST", f"/api/v1/accounts/{ben_id}/unfollow", ana)
    code, members = await call(node_client, "GET", f"{path}/accounts", ana)
    assert members == []  # unfollowing takes the account off the owner's lists
    assert await call(node_client, "DELETE", path, ana) == (200, {})
    assert (await call(node_client, "GET", path, ana))[0] == 404
