"""The request path's fast reads (issue 18): timelines read their page in one trip to SQLite with plain
statements, hydrated without the ORM. They must answer exactly what the ORM path answers (PostgreSQL's, and
SQLite's before), and every rule takes effect on the very next request: blocks either way, mutes, a user's
domain blocks, exclusive lists, followers-only and direct visibility, reblogs of hidden originals,
suspensions, filters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import postgres_databases
import pytest
from fixtures.social import call, follow, png_bytes, post, relate, upload, user

from node import db
from node.activitypub import moderation
from node.models import Account, DomainBlock, HomeFeedEntry, Status, StatusTag, Tag, User, snowflake
from node.services import auth

pytestmark = pytest.mark.skipif(bool(postgres_databases.CLUSTER), reason="compares SQLite's reads with the ORM's")


async def ids_of(client: Any, path: str, token: str | None = None) -> list[str]:
    code, body = await call(client, "GET", path, token)
    assert code == 200, body
    return [s["id"] for s in body]


async def remote_status(node: Any, reader_id: str, text: str) -> str:
    """A status by an account on far.test, in the reader's home feed (as if it had come in by federation)."""
    with node.db:
        account = await Account.get_or_none(username="faraway", domain="far.test") or await Account.create(
            username="faraway", domain="far.test", uri="https://far.test/users/faraway",
            url="https://far.test/@faraway")
        status_id = snowflake()
        await Status.create(id=status_id, account=account, local=False, uri=f"https://far.test/s/{status_id}",
                            url=f"https://far.test/@faraway/{status_id}", content=f"<p>{text}</p>",
                            visibility="public", created_at=datetime.now(UTC))
        await HomeFeedEntry.create(account_id=int(reader_id), status_id=status_id, author_id=account.id)
    return str(status_id)


async def test_home_rules_take_effect_on_the_next_page(node_client, node_of):
    node = node_of(node_client)
    alice_id, alice = await user(node, "alice")
    bob_id, bob = await user(node, "bob")
    carol_id, carol = await user(node, "carol")
    dave_id, dave = await user(node, "dave")
    erin_id, erin = await user(node, "erin")
    for other in (bob_id, carol_id, dave_id, erin_id):
        await follow(node_client, alice, other)
    bobs = await post(node_client, bob, "bob, followers only", visibility="private")
    carols = await post(node_client, carol, "carol")
    daves = await post(node_client, dave, "dave")
    _, erin_reblogs_carol = await call(node_client, "POST", f"/api/v1/statuses/{carols['id']}/reblog", erin)
    erins = await post(node_client, erin, "erin")
    far = await remote_status(node, alice_id, "from far away")
    home = "/api/v1/timelines/home"
    assert await ids_of(node_client, home, alice) == [
        far, erins["id"], erin_reblogs_carol["id"], daves["id"], carols["id"], bobs["id"]]

    assert (await call(node_client, "GET", f"/api/v1/statuses/{carols['id']}", alice))[0] == 200
    await relate(node_client, carol, alice_id, "block")  # blocked BY carol: her post and its reblog go
    assert await ids_of(node_client, home, alice) == [far, erins["id"], daves["id"], bobs["id"]]
    for hidden in (carols["id"], erin_reblogs_carol["id"]):  # and each on its own
        assert (await call(node_client, "GET", f"/api/v1/statuses/{hidden}", alice))[0] == 404
    await relate(node_client, alice, dave_id, "mute")
    assert await ids_of(node_client, home, alice) == [far, erins["id"], bobs["id"]]
    await relate(node_client, alice, dave_id, "unmute")
    assert daves["id"] in await ids_of(node_client, home, alice)
    code, _ = await call(node_client, "POST", "/api/v1/domain_blocks", alice, data={"domain": "far.test"})
    assert code == 200
    assert far not in await ids_of(node_client, home, alice)
    code, made = await call(node_client, "POST", "/api/v1/lists", alice, json={"title": "e", "exclusive": True})
    assert code == 200, made
    code, _ = await call(node_client, "POST", f"/api/v1/lists/{made['id']}/accounts", alice,
                         json={"account_ids": [erin_id]})
    assert code == 200
    assert await ids_of(node_client, home, alice) == [daves["id"], bobs["id"]]  # erin is read in the list now
    await relate(node_client, alice, bob_id, "block")
    assert await ids_of(node_client, home, alice) == [daves["id"]]
    with node.db:  # an admin suspends dave: nothing of his is shown anywhere
        await Account.filter(id=int(dave_id)).update(suspended_at=datetime.now(UTC))
    assert await ids_of(node_client, home, alice) == []


async def test_the_fast_reads_answer_as_the_orm_does(node_client, node_of, monkeypatch):
    """The same requests answered through the SQLite reads and through the ORM path (db.is_sqlite false),
    bodies and Link headers compared, over pages, reblogs, private, direct, media-less and mentioned posts."""
    node = node_of(node_client)
    alice_id, alice = await user(node, "alice")
    bob_id, bob = await user(node, "bob")
    carol_id, carol = await user(node, "carol")
    await follow(node_client, alice, bob_id)
    await follow(node_client, alice, carol_id)
    made = []
    for n in range(7):
        made.append(await post(node_client, bob, f"#tea bob {n} @carol", visibility="private" if n % 3 == 0 else "public"))
        made.append(await post(node_client, carol, f"#tea carol {n}"))
    await call(node_client, "POST", f"/api/v1/statuses/{made[1]['id']}/reblog", bob)
    await call(node_client, "POST", f"/api/v1/statuses/{made[2]['id']}/favourite", alice)
    await call(node_client, "POST", f"/api/v1/statuses/{made[3]['id']}/bookmark", alice)
    await post(node_client, carol, "psst @alice", visibility="direct")
    await relate(node_client, alice, carol_id, "mute")
    dave_id, dave = await user(node, "dave")  # silenced by an admin: out of public and tag timelines
    erin_id, erin = await user(node, "erin")
    code, media = await upload(node_client, erin, png_bytes(), "a.png", "image/png")
    assert code == 200, media
    await post(node_client, erin, "#tea #coffee with a picture", media_ids=[media["id"]])
    await post(node_client, erin, "#coffee only")
    await post(node_client, dave, "#tea from dave")
    await remote_status(node, alice_id, "far #tea")
    await remote_status(node, alice_id, "far again")
    with node.db:
        await Status.filter(account__domain="far.test").update(visibility="public")
        await StatusTag.create(status_id=(await Status.filter(account__domain="far.test").first()).id,
                               tag_id=(await Tag.get(name="tea")).id)
        await Account.filter(id=int(dave_id)).update(silenced_at=datetime.now(UTC))
        moderation.forget_silenced()
    middle = made[6]["id"]
    paths = [
        "/api/v1/timelines/home", f"/api/v1/timelines/home?max_id={middle}", f"/api/v1/timelines/home?min_id={middle}",
        f"/api/v1/timelines/home?since_id={middle}&limit=3", "/api/v1/timelines/public",
        f"/api/v1/timelines/public?max_id={middle}&limit=4", "/api/v1/timelines/public?local=true",
        "/api/v1/timelines/tag/tea", f"/api/v1/timelines/tag/tea?min_id={middle}", f"/api/v1/accounts/{bob_id}/statuses",
        f"/api/v1/accounts/{carol_id}/statuses?max_id={middle}", "/api/v1/favourites", "/api/v1/bookmarks",
        *(f"/api/v1/statuses/{s['id']}" for s in made[:4]), f"/api/v1/statuses/{made[0]['id']}/context",
        "/api/v1/timelines/public?remote=true", "/api/v1/timelines/public?only_media=true",
        "/api/v1/timelines/public?local=true&only_media=true", "/api/v1/timelines/tag/tea?local=true",
        "/api/v1/timelines/tag/tea?remote=true", "/api/v1/timelines/tag/tea?only_media=true",
        "/api/v1/timelines/tag/tea?any[]=coffee", "/api/v1/timelines/tag/tea?all[]=coffee",
        "/api/v1/timelines/tag/tea?none[]=coffee", "/api/v1/timelines/tag/tea?all[]=nosuchtag",
        "/api/v1/timelines/tag/nosuchtag?any[]=coffee", "/api/v1/timelines/tag/TEA?none[]=nosuchtag&limit=2",
        f"/api/v1/timelines/tag/tea?max_id={middle}&limit=3",
        "/api/v1/accounts/verify_credentials", "/api/v1/notifications", "/api/v1/notifications?limit=2", f"/api/v1/notifications?max_id={middle}",
        "/api/v1/notifications?types[]=mention", "/api/v1/notifications?exclude_types[]=mention",
        "/api/v1/notifications?types[]=mention&exclude_types[]=mention", "/api/v1/notifications?include_filtered=true",
        f"/api/v1/notifications?account_id={carol_id}", f"/api/v1/notifications?account_id={alice_id}&min_id=1",
    ]

    asked: list[tuple[str, str | None]] = []

    async def answers() -> list[tuple[int, Any, str]]:
        asked.clear()
        found = []
        for path in paths:
            for token in (alice, bob, None):
                if token is None and not path.startswith(("/api/v1/timelines/public", "/api/v1/timelines/tag",
                                                          "/api/v1/accounts", "/api/v1/statuses")):
                    continue
                asked.append((path, token))
                response = await node_client.get(path, headers={"Authorization": f"Bearer {token}"} if token else {})
                found.append((response.status, await response.json(), response.headers.get("Link", "")))
        return found

    fast = await answers()
    listings = [body for (code, body, _), (path, _) in zip(fast, asked, strict=True) if "notifications" in path]
    assert any(len(body) >= 2 for body in listings) and any(body == [] for body in listings)
    with node.db:  # an admin's domain block silences far.test: out of the public and tag timelines
        await moderation.create_domain_block(moderation.DomainBlockSpec(domain="far.test", severity="silence"))
    fast_blocked = await answers()
    assert fast_blocked != fast
    monkeypatch.setattr(db, "is_sqlite", lambda model: False)
    slow_blocked = await answers()
    with node.db:
        await DomainBlock.filter(domain="far.test").delete()
        moderation._cache().blocks = None
    slow = await answers()
    assert fast == slow and fast_blocked == slow_blocked
    assert any(len(body) > 3 for _, body, _ in fast)


async def test_a_revoked_token_or_disabled_login_is_refused_on_the_next_request(node_client, node_of):
    """Authentication reads the token, its user and account in one hand-written query on every request
    (nothing cached): revoking, disabling or suspending counts at once."""
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    bob_id, bob = await user(node, "bob")
    _, carol = await user(node, "carol")
    me = "/api/v1/accounts/verify_credentials"
    assert (await call(node_client, "GET", me, alice))[0] == 200
    with node.db:
        await auth.revoke_token(alice)
    assert (await call(node_client, "GET", me, alice))[0] == 401
    assert (await call(node_client, "GET", me, bob))[0] == 200
    with node.db:
        await User.filter(account_id=int(bob_id)).update(disabled=True)
    assert (await call(node_client, "GET", "/api/v1/timelines/home", bob))[0] == 403
    code, body = await call(node_client, "GET", me, carol)
    assert code == 200 and body["username"] == "carol"
    with node.db:
        await Account.filter(username="carol").update(suspended_at=datetime.now(UTC))
    assert (await call(node_client, "GET", me, carol))[0] == 401


async def test_hydrate_makes_what_the_orm_makes(node_client, node_of, monkeypatch):
    """db.hydrate (rows read by position) gives the same instances as the ORM's own reads: booleans, JSON,
    dates with and without values, nulls; and refuses a read that is not the table's whole row. The token's
    grant, split by position from one joined row, is the one the portable read makes."""
    node = node_of(node_client)
    alice_id, alice = await user(node, "alice")
    made = await post(node_client, alice, "to be edited")
    code, _ = await call(node_client, "PUT", f"/api/v1/statuses/{made['id']}", alice, json={"status": "edited"})
    assert code == 200
    with node.db:
        await Account.filter(id=int(alice_id)).update(
            fields_json=[{"name": "site", "value": "https://example.test"}], emojis_json=[{"shortcode": "x"}],
            bot=True, sensitized_at=datetime.now(UTC), moved_to_uri=None)

        def read(connection):  # type: ignore[no-untyped-def]
            return (db.hydrate(Account, connection.execute("SELECT * FROM accounts WHERE id = ?", [int(alice_id)])),
                    db.hydrate(Status, connection.execute("SELECT * FROM statuses WHERE id = ?", [int(made["id"])])))

        (account,), (status,) = await db.read(read)
        for fast, orm in ((account, await Account.get(id=int(alice_id))), (status, await Status.get(id=int(made["id"])))):
            assert type(fast) is type(orm)
            assert fast.__dict__ == orm.__dict__
        assert account.bot is True and account.fields_json[0]["name"] == "site" and account.suspended_at is None
        assert status.edited_at is not None and status.edited_at.tzinfo is not None
        with pytest.raises(ValueError):
            await db.read(lambda c: db.hydrate(Account, c.execute("SELECT id, username FROM accounts")))
        fast = await auth.grant_for_token(alice)
        assert await auth.grant_for_token("not a token") is None
        monkeypatch.setattr(db, "is_sqlite", lambda model: False)
        slow = await auth.grant_for_token(alice)
        assert fast is not None and slow is not None and fast.scopes == slow.scopes and fast.app == slow.app
        assert fast.user.__dict__.keys() == slow.user.__dict__.keys()
        assert {k: v for k, v in fast.user.__dict__.items() if k != "_account"} == {
            k: v for k, v in slow.user.__dict__.items() if k != "_account"}
        assert fast.user.account.__dict__ == slow.user.account.__dict__ and fast.user.account.bot is True
        assert await auth.grant_for_token("not a token") is None


async def test_mentions_are_found_whatever_their_case(node_client, node_of, monkeypatch):
    """Mentions are looked up by the (username, domain) index and only the rest case-insensitively: an
    account stored as "Gargron" is found from @gargron, @GARGRON and @Gargron alike, as the ORM's iexact
    finds it; an unknown one stays text."""
    node = node_of(node_client)
    alice_id, _ = await user(node, "alice")
    _, bob = await user(node, "bob")
    with node.db:
        far = await Account.create(username="Gargron", domain="far.test", uri="https://far.test/users/Gargron",
                                   url="https://far.test/@Gargron")
    text = "hi @alice and @ALICE, @gargron@far.test @GARGRON@far.test and @nobody@far.test"

    async def mentioned() -> list[tuple[str, str]]:
        made = await post(node_client, bob, text)
        return sorted((m["id"], m["acct"]) for m in made["mentions"])

    fast = await mentioned()
    assert fast == sorted([(alice_id, "alice"), (str(far.id), "Gargron@far.test")])
    monkeypatch.setattr(db, "is_sqlite", lambda model: False)
    assert await mentioned() == fast


async def test_a_favourite_counts_once_however_often_it_is_asked(node_client, node_of, monkeypatch):
    """A favourite is one grouped write on SQLite (row, count, effect): asked five times at once and once
    more, it leaves one row, a count of one and one notification, as the ORM path does."""
    import asyncio

    from node.models import Favourite, Notification

    node = node_of(node_client)
    alice_id, alice = await user(node, "alice")
    _, bob = await user(node, "bob")
    for fast in (True, False):
        if not fast:
            monkeypatch.setattr(db, "is_sqlite", lambda model: False)
        made = await post(node_client, alice, f"like me ({fast})")
        path = f"/api/v1/statuses/{made['id']}/favourite"
        answers = await asyncio.gather(*(call(node_client, "POST", path, bob) for _ in range(5)))
        answers.append(await call(node_client, "POST", path, bob))
        assert all(code == 200 and body["favourited"] for code, body in answers), answers
        shown = (await call(node_client, "GET", f"/api/v1/statuses/{made['id']}", alice))[1]
        assert shown["favourites_count"] == 1
        with node.db:
            assert await Favourite.filter(status_id=int(made["id"])).count() == 1
            assert await Notification.filter(account_id=int(alice_id), type="favourite",
                                             status_id=int(made["id"])).count() == 1
        assert (await call(node_client, "POST", f"/api/v1/statuses/{made['id']}/unfavourite", bob))[0] == 200
        assert (await call(node_client, "GET", f"/api/v1/statuses/{made['id']}", alice))[1]["favourites_count"] == 0
