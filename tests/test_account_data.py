"""Account data export and import in Mastodon's CSV formats (issue 14): the export page and its files, byte
for byte as Mastodon writes them; imports of each type from files in Mastodon's format (with and without
header rows), merge and overwrite, bad files refused whole, a following import across two real nodes
resolved by WebFinger in the background, and an import that a restart interrupts carrying on."""

from __future__ import annotations

import html

from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer
from federation_nodes import Cluster, settle
from support import create_user, write_config
from websupport import sign_in

from node.activitypub import resolve
from node.api.keys import NODE
from node.app import build_app
from node.models import (
    Account,
    AccountDomainBlock,
    AccountImport,
    AccountImportRow,
    Block,
    Follow,
    List,
    Mute,
)
from node.services import account_imports, lists, relationships


async def upload(
    client: TestClient, csrf: str, kind: str, text: str, mode: str = "merge", name: str = "x.csv"
):
    form = FormData()
    form.add_field("csrf_token", csrf)
    form.add_field("type", kind)
    form.add_field("mode", mode)
    form.add_field("data", text.encode(), filename=name, content_type="text/csv")
    return await client.post("/settings/import", data=form, allow_redirects=False)


async def drain(node) -> None:  # type: ignore[no-untyped-def]
    with node.bound():
        while await account_imports.run_once(node, resolve.resolve_acct, resolve.resolve_url):
            pass


async def test_export_files_are_mastodons_formats(node_client, node_of):
    node = node_of(node_client)
    alice, token = await create_user(node, "alice")
    people = {name: (await create_user(node, name))[0].account for name in ("bob", "carol", "dave", "erin")}
    me = alice.account
    auth = {"Authorization": f"Bearer {token}"}
    with node.bound():
        await relationships.follow(node, me, people["bob"])
        await relationships.follow(node, me, people["carol"], reblogs=False, notify=True)
        await relationships.follow(node, people["erin"], me)
        await relationships.block(node, me, people["dave"])
        await relationships.mute(me, people["erin"], notifications=False)
        await AccountDomainBlock.create(account_id=me.id, domain="spam.example")
        friends = await lists.create(me, "Friends & co", None, False)
        await lists.add_members(me, friends.id, [people["bob"].id, people["carol"].id])
    post = await (await node_client.post("/api/v1/statuses", headers=auth, json={"status": "keep"})).json()
    await node_client.post(f"/api/v1/statuses/{post['id']}/bookmark", headers=auth)

    await sign_in(node_client, "alice")
    page = await (await node_client.get("/settings/export")).text()
    for name in (
        "follows.csv",
        "followers.csv",
        "blocks.csv",
        "mutes.csv",
        "domain_blocks.csv",
        "bookmarks.csv",
        "lists.csv",
    ):
        assert f'href="/settings/exports/{name}"' in page
    files = {}
    for name in ("follows", "followers", "blocks", "mutes", "domain_blocks", "bookmarks", "lists"):
        response = await node_client.get(f"/settings/exports/{name}.csv")
        assert response.status == 200 and response.content_type == "text/csv"
        assert response.headers["Content-Disposition"] == f'attachment; filename="{name}.csv"'
        files[name] = await response.text()
    assert files["follows"] == (
        "Account address,Show boosts,Notify on new posts,Languages\n"
        "carol@localhost,false,true,\nbob@localhost,true,false,\n"
    )
    assert files["followers"] == "Account address\nerin@localhost\n"
    assert files["blocks"] == "dave@localhost\n"
    assert files["mutes"] == "Account address,Hide notifications\nerin@localhost,false\n"
    assert files["domain_blocks"] == "spam.example\n"
    assert files["bookmarks"] == f"{post['uri']}\n"
    assert files["lists"] == "Friends & co,bob@localhost\nFriends & co,carol@localhost\n"
    assert (await node_client.get("/settings/exports/secrets.csv")).status == 404
    node_client.session.cookie_jar.clear()
    assert (await node_client.get("/settings/exports/follows.csv", allow_redirects=False)).status in (
        302,
        303,
        401,
    )


async def test_imports_of_every_type_merge_overwrite_and_bad_files(node_client, node_of):
    node = node_of(node_client)
    alice, _ = await create_user(node, "alice")
    people = {name: (await create_user(node, name))[0].account for name in ("bob", "carol", "dave", "erin")}
    me = alice.account
    with node.bound():
        await relationships.follow(node, me, people["dave"])  # not in the file: an overwrite unfollows
    csrf = await sign_in(node_client, "alice")

    # bad files: a readable error and nothing stored
    for kind, text, message in (
        ("following", "", "The file is empty"),
        ("following", 'Account address,Show boosts\n"bob@localhost,true\n', "not valid CSV"),
        ("domain_blocking", "Account address,Show boosts\nbob@localhost,true\n", "columns of another type"),
        ("blocking", "bob@localhost\nnot an address\n", "Row 2: 'not an address' is not an account address"),
        ("bookmarks", "ftp://x/1\n", "is not a post URL"),
        ("lists", "Friends,\n", "Row 1 has no acct"),
        ("nonsense", "a@b\n", "Type must be one of"),
    ):
        response = await upload(node_client, csrf, kind, text)
        body = html.unescape(await response.text())
        assert response.status == 422 and message in body, (kind, body[:2000])
    with node.bound():
        assert not await AccountImport.exists() and not await AccountImportRow.exists()

    # following as Mastodon writes it, overwrite: bob and carol followed with their options, dave unfollowed
    text = (
        "Account address,Show boosts,Notify on new posts,Languages\n"
        'bob@localhost,true,true,\ncarol@localhost,false,false,"en, fr"\nghost@localhost,true,false,\n'
    )
    response = await upload(
        node_client, csrf, "following", text, mode="overwrite", name="following_accounts.csv"
    )
    assert response.status == 303 and response.headers["Location"] == "/settings/import?started=1"
    page = await (await node_client.get("/settings/import?started=1")).text()
    assert "0 of 3 done" in page and "Import started" in page
    await drain(node)
    with node.bound():
        follows = {f.target_account_id: f for f in await Follow.filter(account_id=me.id)}
        assert set(follows) == {people["bob"].id, people["carol"].id}
        assert follows[people["bob"].id].notify and not follows[people["carol"].id].show_reblogs
    page = await (await node_client.get("/settings/import")).text()
    assert "finished, 2 of 3 imported" in page and "ghost@localhost" in page

    # blocks without a header (Mastodon writes none), mutes with one, domain blocks, bookmarks, lists
    for kind, text in (
        ("blocking", "erin@localhost\n"),
        ("muting", "Account address,Hide notifications\ndave@localhost,false\n"),
        ("domain_blocking", "spam.example\nBad.Example\n"),
        ("lists", "Close,bob@localhost\nClose,dave@localhost\nWork,carol@localhost\n"),
    ):
        assert (await upload(node_client, csrf, kind, text)).status == 303
    await drain(node)
    with node.bound():
        assert await Block.filter(account_id=me.id).values_list("target_account_id", flat=True) == [
            people["erin"].id
        ]
        mute = await Mute.get(account_id=me.id)
        assert mute.target_account_id == people["dave"].id and mute.hide_notifications is False
        assert sorted(await AccountDomainBlock.filter(account_id=me.id).values_list("domain", flat=True)) == [
            "bad.example",
            "spam.example",
        ]
        titles = {lst.title: lst for lst in await List.filter(account_id=me.id)}
        assert set(titles) == {"Close", "Work"}
        assert await Follow.filter(
            account_id=me.id, target_account_id=people["dave"].id
        ).exists()  # lists follow

    # bookmarks by URL, then an overwrite that keeps only the file's
    auth_token = (await create_user(node, "writer"))[1]
    posts = [
        await (
            await node_client.post(
                "/api/v1/statuses",
                headers={"Authorization": f"Bearer {auth_token}"},
                json={"status": f"p{n}"},
            )
        ).json()
        for n in range(3)
    ]
    assert (
        await upload(node_client, csrf, "bookmarks", f"{posts[0]['uri']}\n{posts[1]['uri']}\n")
    ).status == 303
    await drain(node)
    assert (
        await upload(node_client, csrf, "bookmarks", f"{posts[2]['uri']}\n", mode="overwrite")
    ).status == 303
    await drain(node)
    exported = await (await node_client.get("/settings/exports/bookmarks.csv")).text()
    assert exported == f"{posts[2]['uri']}\n"
    assert (await upload(node_client, csrf, "lists", "A,bob@localhost\n", mode="overwrite")).status == 422


async def test_an_import_carries_on_after_a_restart(tmp_path):
    config = write_config(tmp_path)
    client = TestClient(TestServer(build_app(config, scheduler=False), host="127.0.0.1"))
    await client.start_server()
    node = client.app[NODE]
    alice, _ = await create_user(node, "alice")
    for n in range(5):
        await create_user(node, f"user{n}")
    with node.bound():
        made = await account_imports.start(
            alice.account, "blocking", "merge", "".join(f"user{n}@localhost\n" for n in range(5)).encode()
        )
        assert await account_imports.run_once(node, resolve.resolve_acct, resolve.resolve_url, batch=2) == 2
    await client.close()  # the process stops with three rows to go

    again = TestClient(TestServer(build_app(config, scheduler=False), host="127.0.0.1"))
    await again.start_server()
    node = again.app[NODE]
    with node.bound():
        assert (await AccountImport.get(id=made.id)).processed_items == 2
    await drain(node)
    with node.bound():
        done = await AccountImport.get(id=made.id)
        assert done.state == "finished" and done.imported_items == 5 and done.finished_at is not None
        me = await Account.get(username="alice", domain="")
        assert await Block.filter(account_id=me.id).count() == 5
    await again.close()


async def test_following_import_resolves_remote_accounts_across_two_nodes(cluster: Cluster):
    a, b = await cluster.add_node("node-a"), await cluster.add_node("node-b")
    await a.user("alice")
    _, bob_token = await b.user("bob")
    await b.user("carol")
    await b.call("PATCH", "/api/v1/accounts/update_credentials", bob_token, data={"locked": "false"})
    csrf = await sign_in(a.client, "alice")
    text = (
        "Account address,Show boosts,Notify on new posts,Languages\n"
        "bob@node-b.test,true,true,\ncarol@node-b.test,false,false,\nnobody@node-b.test,true,false,\n"
    )
    response = await upload(a.client, csrf, "following", text)
    assert response.status == 303
    with a.node.bound():  # one row at a time, as the job goes
        assert await account_imports.run_once(a.node, resolve.resolve_acct, resolve.resolve_url, batch=1) == 1
    assert "1 of 3 done" in await (await a.client.get("/settings/import")).text()
    await drain(a.node)
    await settle([a, b])
    page = await (await a.client.get("/settings/import")).text()
    assert "finished, 2 of 3 imported" in page and "nobody@node-b.test" in page
    _, bob = await b.call("GET", "/api/v1/accounts/verify_credentials", bob_token)
    assert bob["followers_count"] == 1  # the Follow reached node-b and was accepted
    with a.node.bound():
        follows = await Follow.filter(account__username="alice").prefetch_related("target_account")
        assert {
            (f.target_account.username, f.target_account.domain, f.show_reblogs, f.notify) for f in follows
        } == {("bob", "node-b.test", True, True), ("carol", "node-b.test", False, False)}
    exported = await (await a.client.get("/settings/exports/follows.csv")).text()
    assert "bob@node-b.test,true,true," in exported and "carol@node-b.test,false,false," in exported
