"""Deleting an account in the settings federates: two real nodes, bob on node-b follows alice on node-a and
holds her post; alice deletes her account through the web form, node-a sends Delete{Person} to the
servers that know her, and node-b purges her account, posts and follow."""

from __future__ import annotations

from federation_nodes import settle
from test_federation_nodes import follow, post
from websupport import PASSWORD, form_token, sign_in

from node.models import Account, Follow, OutboxActivity, Status


async def test_deleted_account_is_purged_on_the_remote_node(cluster):
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    alice, alice_token = await a.user("alice")
    _, bob_token = await b.user("bob")
    alice_on_b = await follow(b, bob_token, a, "alice@node-a.test")
    await settle([a, b])
    hello = await post(a, alice_token, status="Goodbye soon", visibility="public")
    await settle([a, b])
    with b.db():
        remote = await Account.get(id=int(alice_on_b))
        assert await Status.filter(uri=hello["uri"]).exists()
        assert await Follow.filter(target_account_id=remote.id).exists()

    await sign_in(a.client, "alice")
    page = await a.client.get("/settings/delete")
    response = await a.client.post("/settings/delete", allow_redirects=False, data={
        "csrf_token": form_token(await page.text()), "current_password": PASSWORD, "confirm": "yes"})
    assert response.status == 303
    await settle([a, b])

    with a.db():
        sent = await OutboxActivity.filter(type="Delete", uri=f"{alice.account.uri}#delete").first()
        assert sent is not None and f'"object": "{alice.account.uri}"' in sent.body.replace('":"', '": "')
        assert (await Account.get(id=alice.account_id)).suspended_at is not None
        assert not await Status.filter(account_id=alice.account_id).exists()
    with b.db():
        remote = await Account.get(id=int(alice_on_b))
        assert remote.suspended_at is not None and remote.display_name == ""
        assert not await Status.filter(uri=hello["uri"]).exists()
        assert not await Follow.filter(target_account_id=remote.id).exists()
    status, home = await b.call("GET", "/api/v1/timelines/home", bob_token)
    assert status == 200 and all(s["uri"] != hello["uri"] for s in home)
