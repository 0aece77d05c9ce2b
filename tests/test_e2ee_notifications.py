"""A new encrypted message notifies its recipient ("New message from alice"), on their own node and across
nodes, 1:1 and in groups, once per message however many devices they have; receipts, group keys and edits
notify nobody; and nothing the node shows, pushes or mails about it holds a word of the text."""

from __future__ import annotations

import secrets

from e2ee_support import E2EECluster, account_id_on, crypto_user

from node.models import Notification
from node.notify import messages as notify_messages

CLUSTER = E2EECluster


async def _notifications(fed, account_id: int) -> list[Notification]:  # type: ignore[no-untyped-def]
    with fed.node.db:
        return list(await Notification.filter(account_id=account_id, type="e2ee_message").order_by("id"))


async def test_new_messages_notify_without_their_text_across_nodes_and_in_groups(cluster):
    a = await cluster.add_node("node-a")
    b = await cluster.add_node("node-b")
    alice_user, alice_token = await crypto_user(a, "alice")
    bob_user, bob_token = await crypto_user(b, "bob")
    carol_user, carol_token = await crypto_user(a, "carol")
    alice = await cluster.device(a, alice_token)
    bob = await cluster.device(b, bob_token)
    await cluster.device(b, await _second_token(b, bob_user))  # bob's second device
    carol = await cluster.device(a, carol_token)
    await cluster.settle()
    bob_on_a = await account_id_on(alice, "bob@node-b.test")
    secret = f"secret-{secrets.token_hex(6)}"
    await alice.send_text(bob_on_a, secret)
    await cluster.settle()
    got = await bob.receive()
    assert [m.text for m in got] == [secret]
    found = await _notifications(b, bob_user.account.id)
    assert len(found) == 1  # one for the message, not one per device
    with b.node.db:
        line = (await notify_messages.lines(b.node, [found[0].id]))[0]
    assert line.title == "New message from alice"
    assert secret not in line.title + line.body + line.url
    # a receipt (and the group key below) is a ciphertext too, but notifies nobody
    await bob.send(got[0].sender_account_id, "receipt", ids=[got[0].id], status="read")
    await cluster.settle()
    assert await _notifications(a, alice_user.account.id) == []

    # in a group, every member hears of it, here and on the other node; the API shows its own type, no text
    group = await alice.create_group([bob_on_a, str(carol_user.account.id)], name="g")
    await alice.send_group(group["id"], "text", text=secret)
    await cluster.settle()
    assert [m.text for m in await carol.receive()] == [secret]
    assert len(await _notifications(a, carol_user.account.id)) == 1
    assert len(await _notifications(b, bob_user.account.id)) == 2
    status, listed = await a.call("GET", "/api/v1/notifications", carol_token)
    assert status == 200 and [n["type"] for n in listed] == ["e2ee_message"] and listed[0].get("status") is None
    assert listed[0]["account"]["acct"] == "alice"
    assert secret not in str(listed)
    # an edit travels like a text but is silent
    await alice.send_group(group["id"], "edit", target="x", text="changed")
    await cluster.settle()
    assert len(await _notifications(a, carol_user.account.id)) == 1


async def _second_token(fed, user) -> str:  # type: ignore[no-untyped-def]
    from e2ee_support import SCOPES

    from node.services import auth

    with fed.node.bound():
        return await auth.issue_token(user, None, SCOPES)
