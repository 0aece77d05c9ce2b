"""Moving an account from the web settings (/settings/moving), across two real nodes: alice2 on node-b names
alice@node-a.test as an alias through the form, alice moves there with her password, and her follower on
node-a follows alice2; a handle that does not exist, a wrong password and a move without the alias show
the page again with why, and change nothing."""

from __future__ import annotations

import html

from federation_nodes import settle
from test_federation_nodes import remote_id
from websupport import PASSWORD, sign_in

from node.models import Account, Follow


async def _post(client, path: str, csrf: str, **data: str):  # type: ignore[no-untyped-def]
    return await client.post(path, data={"csrf_token": csrf, **data}, allow_redirects=False)


async def test_aliases_and_the_move_from_the_settings_pages(cluster):
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    alice, _ = await a.user("alice")
    _, dave_token = await a.user("dave")
    alice2, _ = await b.user("alice2")
    dave_sees_alice = await remote_id(a, dave_token, "alice")
    assert (await a.call("POST", f"/api/v1/accounts/{dave_sees_alice}/follow", dave_token))[0] == 200
    on_a = await sign_in(a.client, "alice")
    on_b = await sign_in(b.client, "alice2")

    page = await (await b.client.get("/settings/moving")).text()
    assert "No aliases yet." in page and 'href="/settings/moving" aria-current="page"' in page

    # moving before the new account names the old one is refused, nothing changes
    refused = await _post(a.client, "/settings/moving/move", on_a, acct="alice2@node-b.test", password=PASSWORD)
    assert refused.status == 422 and "must name this account as an alias" in html.unescape(await refused.text())
    refused = await _post(b.client, "/settings/moving/aliases", on_b, acct="nobody@node-a.test")
    assert refused.status == 404 and 'role="alert"' in await refused.text()
    refused = await _post(b.client, "/settings/moving/aliases", on_b, acct="alice2")
    assert refused.status == 422 and "cannot be an alias of itself" in await refused.text()
    with b.db():
        assert not (await Account.get(id=alice2.account.id)).also_known_as

    added = await _post(b.client, "/settings/moving/aliases", on_b, acct="alice@node-a.test")
    assert added.status == 303 and added.headers["Location"] == "/settings/moving?saved=alias-added"
    page = await (await b.client.get("/settings/moving?saved=alias-added")).text()
    assert "@alice@node-a.test" in page and "that account can now move here" in page
    with b.db():
        assert (await Account.get(id=alice2.account.id)).also_known_as == [alice.account.uri]
    await settle([a, b])

    wrong = await _post(a.client, "/settings/moving/move", on_a, acct="alice2@node-b.test", password="nope")
    assert wrong.status == 422 and "password is not correct" in await wrong.text()
    with a.db():
        assert not (await Account.get(id=alice.account.id)).moved_to_uri
    moved = await _post(a.client, "/settings/moving/move", on_a, acct="alice2@node-b.test", password=PASSWORD)
    assert moved.status == 303 and moved.headers["Location"] == "/settings/moving?saved=moved"
    await settle([a, b])
    page = await (await a.client.get("/settings/moving?saved=moved")).text()
    assert "This account moved to" in page and "@alice2@node-b.test" in page
    assert 'action="/settings/moving/move"' not in page  # no second move form
    with b.db():
        followers = await Account.filter(following_rel__target_account_id=alice2.account.id)
        assert [f.acct() for f in followers] == ["dave@node-a.test"]
    with a.db():
        assert not await Follow.filter(target_account_id=alice.account.id).exists()

    removed = await _post(b.client, "/settings/moving/aliases/remove", on_b, acct="alice@node-a.test")
    assert removed.status == 303
    assert "No aliases yet." in await (await b.client.get("/settings/moving")).text()
    bad_token = await _post(b.client, "/settings/moving/aliases", "forged", acct="alice@node-a.test")
    assert bad_token.status == 403
