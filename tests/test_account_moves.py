"""Moving an account across servers over real HTTP: the new account names the old as an alias, the old
one moves (password confirmed), its followers on its own node and on a third node follow the new account,
and every profile says where it went; moves without the alias, with a wrong password, or within 30 days
of the last are refused and change nothing."""

from __future__ import annotations

from datetime import timedelta

from federation_nodes import settle
from test_federation_nodes import follow, remote_id

from node.models import Account, Follow

PASSWORD = "correct horse battery"


async def test_move_to_another_server_takes_the_followers_along(cluster):
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    c = await cluster.add_node("node-c")
    alice, alice_token = await a.user("alice")
    _, dave_token = await a.user("dave")
    alice2, alice2_token = await b.user("alice2")
    _, carol_token = await c.user("carol")
    await follow(c, carol_token, a, "alice@node-a.test")
    dave_sees_alice = await remote_id(a, dave_token, "alice")
    assert (await a.call("POST", f"/api/v1/accounts/{dave_sees_alice}/follow", dave_token))[0] == 200
    await settle([a, b, c])

    move = {"acct": "alice2@node-b.test", "password": PASSWORD}
    status, body = await a.call("POST", "/api/v1/accounts/move", alice_token, json=move)
    assert status == 422 and "alias" in body["error"], body
    status, body = await b.call("POST", "/api/v1/accounts/aliases", alice2_token, json={"acct": "alice@node-a.test"})
    assert status == 200 and body == [{"uri": alice.account.uri, "acct": "alice@node-a.test"}], body
    status, body = await b.call("POST", "/api/v1/accounts/aliases", alice2_token, json={"acct": "alice2"})
    assert status == 422, body
    status, body = await a.call("POST", "/api/v1/accounts/move", alice_token,
                                json={**move, "password": "wrong"})
    assert status == 422 and "password" in body["error"], body
    with a.db():
        assert not (await Account.get(id=alice.account.id)).moved_to_uri

    status, body = await a.call("POST", "/api/v1/accounts/move", alice_token, json=move)
    assert status == 200, body
    assert body["moved"]["acct"] == "alice2@node-b.test"
    await settle([a, b, c])

    # Everyone who followed alice now follows alice2: dave (alice's own node) and carol (a third node).
    with b.db():
        followers = await Account.filter(following_rel__target_account_id=alice2.account.id)
        assert sorted(f.acct() for f in followers) == ["carol@node-c.test", "dave@node-a.test"]
    with a.db():
        assert not await Follow.filter(target_account_id=alice.account.id).exists()
    with c.db():
        old = await Account.get(uri=alice.account.uri)
        assert old.moved_to_uri == alice2.account.uri
        assert not await Follow.filter(target_account_id=old.id).exists()
    status, profile = await c.call("GET", f"/api/v1/accounts/{old.id}", carol_token)
    assert profile["moved"]["acct"] == "alice2@node-b.test", profile
    status, actor = await a.call("GET", "/users/alice", headers={"Accept": "application/activity+json"})
    assert actor["movedTo"] == alice2.account.uri

    # A second move needs 30 days; aliases can be removed again.
    _, elsewhere_token = await c.user("alice3")
    await c.call("POST", "/api/v1/accounts/aliases", elsewhere_token, json={"acct": "alice@node-a.test"})
    again = {"acct": "alice3@node-c.test", "password": PASSWORD}
    status, body = await a.call("POST", "/api/v1/accounts/move", alice_token, json=again)
    assert status == 422 and "30 days" in body["error"], body
    a.node.clock.advance(timedelta(days=31))
    status, body = await a.call("POST", "/api/v1/accounts/move", alice_token, json=again)
    assert status == 200 and body["moved"]["acct"] == "alice3@node-c.test", body
    status, body = await b.call("DELETE", "/api/v1/accounts/aliases", alice2_token, json={"acct": "alice@node-a.test"})
    assert status == 200 and body == [], body
    status, body = await b.call("DELETE", "/api/v1/accounts/aliases", alice2_token, json={"acct": "nobody@node-a.test"})
    assert status == 422, body
