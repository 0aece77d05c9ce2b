"""Instance information apps show, through an unmodified Mastodon.py where it has methods (rules,
extended description, privacy policy, languages, activity, peers, announcements with dismiss and
reactions) and over HTTP for the rest (terms of service, Mastodon 4.4; domain blocks): shapes as Mastodon's,
activity counted from real rows on an injected clock, announcement events on the user stream."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from mastodon import MastodonAPIError, MastodonNotFoundError
from streaming_support import Socket
from support import bearer, create_user
from test_mastodon_py import served, signed_in

from node.models import Account, Announcement, AnnouncementReaction, DomainBlock, Peer, Status
from node.services import announcements, instance_info
from node.services.announcements import AnnouncementSpec
from node.services.instance_info import RuleSpec


async def test_rules_documents_languages_activity_and_peers_through_mastodon_py(
    aiohttp_client, make_config, node_of
):
    client, base = await served(aiohttp_client, make_config)
    node = node_of(client)
    await create_user(node, "ana")
    with node.bound():
        await instance_info.add_rule(RuleSpec(text="Be kind", hint="No harassment, no slurs"))
        second = await instance_info.add_rule(
            RuleSpec(text="No spam", translations={"fr": {"text": "Pas de spam"}})
        )
        await instance_info.set_text(
            node, "extended_description", "# Welcome\n\nA **small** place on %{domain}."
        )
        await Account.create(username="zed", domain="remote.example", uri="https://remote.example/users/zed")
        await Peer.create(host="peer.example")
        await Peer.create(host="bad.example")
        await DomainBlock.create(domain="bad.example", severity="suspend")

    def read() -> dict:
        ana = signed_in(base, "ana@example.com")
        ana.status_post("one")
        ana.status_post("two")
        return {
            "rules": ana.instance_rules(),
            "v2": ana.instance_v2(),
            "v1": ana.instance_v1(),
            "extended": ana.instance_extended_description(),
            "languages": ana.instance_languages(),
            "activity": ana.instance_activity(),
            "peers": ana.instance_peers(),
        }

    r = await asyncio.to_thread(read)
    assert [(x["text"], x["hint"]) for x in r["rules"]] == [
        ("Be kind", "No harassment, no slurs"),
        ("No spam", ""),
    ]
    assert r["rules"][1]["id"] == str(second.id)
    assert r["rules"][1]["translations"] == {"fr": {"text": "Pas de spam", "hint": ""}}
    assert (
        [x["text"] for x in r["v2"]["rules"]]
        == ["Be kind", "No spam"]
        == [x["text"] for x in r["v1"]["rules"]]
    )
    assert r["extended"]["content"] == (
        f"<h1>Welcome</h1>\n<p>A <strong>small</strong> place on {node.config.node.domain}.</p>"
    )
    assert r["extended"]["updated_at"] is not None
    assert {"code": "fr", "name": "French"} in [dict(x) for x in r["languages"]]
    assert len(r["activity"]) == 12
    this_week = r["activity"][0]
    # Mastodon.py turns the numeric strings into numbers and the week into a datetime
    assert (int(this_week["statuses"]), int(this_week["logins"]), int(this_week["registrations"])) == (
        2,
        1,
        1,
    )
    assert all(int(w["statuses"]) == 0 for w in r["activity"][1:])
    assert r["peers"] == ["peer.example", "remote.example"]

    # three weeks on (an injected clock), this week's rows are in the fourth week
    node.clock.advance(timedelta(days=21))
    body = await (await client.get("/api/v1/instance/activity")).json()
    assert [w["statuses"] for w in body[:4]] == ["0", "0", "0", "2"]
    assert int(body[0]["week"]) - int(body[1]["week"]) == 7 * 86400
    assert all(isinstance(v, str) for w in body for v in w.values())


async def test_privacy_policy_and_terms_of_service(node_client, node_of):
    node = node_of(node_client)
    policy = await (await node_client.get("/api/v1/instance/privacy_policy")).json()
    assert "localhost" in policy["content"] and policy["updated_at"].endswith(
        "Z"
    )  # the default, with %{domain}
    assert (await node_client.get("/api/v1/instance/terms_of_service")).status == 404
    instance = await (await node_client.get("/api/v2/instance")).json()
    assert instance["configuration"]["urls"]["terms_of_service"] is None
    today = node.clock.now().date()
    with node.bound():
        await instance_info.set_text(node, "privacy_policy", "We keep *little*. <script>x</script>")
        await instance_info.publish_terms(node, "Old terms", effective_date=today - timedelta(days=30))
        await instance_info.publish_terms(node, "Be **nice** on %{domain}", effective_date=today)
        await instance_info.publish_terms(node, "Future terms", effective_date=today + timedelta(days=10))
    policy = await (await node_client.get("/api/v1/instance/privacy_policy")).json()
    assert policy["content"] == "<p>We keep <em>little</em>. &lt;script&gt;x&lt;/script&gt;</p>"
    terms = await (await node_client.get("/api/v1/instance/terms_of_service")).json()
    assert terms == {
        "effective_date": today.isoformat(),
        "effective": True,
        "content": "<p>Be <strong>nice</strong> on localhost</p>",
        "succeeded_by": (today + timedelta(days=10)).isoformat(),
    }
    future = await (
        await node_client.get(f"/api/v1/instance/terms_of_service/{today + timedelta(days=10)}")
    ).json()
    assert future["effective"] is False and future["succeeded_by"] is None
    assert (await node_client.get("/api/v1/instance/terms_of_service/2001-01-01")).status == 404
    assert (await node_client.get("/api/v1/instance/terms_of_service/not-a-date")).status == 404
    instance = await (await node_client.get("/api/v2/instance")).json()
    assert instance["configuration"]["urls"]["terms_of_service"].endswith("/terms")


async def test_bad_rules_and_terms_are_refused_with_nothing_written(node_client, node_of):
    node = node_of(node_client)
    with node.bound():
        for spec in (
            RuleSpec(text="   "),
            RuleSpec(text="x" * 301),
            RuleSpec(text="ok", hint="h" * 2001),
            RuleSpec(text="ok", translations={"xx-nope": {"text": "t"}}),
            RuleSpec(text="ok", translations={"fr": {"hint": "only a hint"}}),
        ):
            try:
                await instance_info.add_rule(spec)
            except Exception as error:  # noqa: BLE001
                assert getattr(error, "status", None) == 422, error
            else:
                raise AssertionError(spec)
        assert await instance_info.rules() == []
        await instance_info.publish_terms(node, "Terms", effective_date=date(2026, 1, 1))
        for text, day in (("", None), ("Again", date(2026, 1, 1))):
            try:
                await instance_info.publish_terms(node, text, effective_date=day)
            except Exception as error:  # noqa: BLE001
                assert getattr(error, "status", None) == 422
            else:
                raise AssertionError(text)
        assert len(await instance_info.all_terms()) == 1


async def test_domain_blocks_follow_the_visibility_setting(aiohttp_client, make_config, node_of):
    from node.app import build_app

    client = await aiohttp_client(
        build_app(
            make_config(node={"show_domain_blocks": "users", "show_domain_blocks_rationale": "all"}),
            scheduler=False,
        )
    )
    node = node_of(client)
    _, token = await create_user(node, "ana")
    with node.bound():
        await DomainBlock.create(domain="spam.example", severity="suspend", public_comment="spam")
        await DomainBlock.create(domain="hidden-name.example", severity="silence", obfuscate=True)
        await DomainBlock.create(domain="noop.example", severity="noop")
    assert (await client.get("/api/v1/instance/domain_blocks")).status == 404  # signed out
    body = await (await client.get("/api/v1/instance/domain_blocks", headers=bearer(token))).json()
    assert [(b["domain"], b["severity"], b["comment"]) for b in body] == [
        ("spam.example", "suspend", "spam"),
        ("hidde******.***mple", "silence", None),
    ]
    assert len(body[0]["digest"]) == 64


async def test_announcements_through_mastodon_py_with_streaming(aiohttp_client, make_config, node_of):
    client, base = await served(aiohttp_client, make_config)
    node = node_of(client)
    await create_user(node, "ana")
    _, ben_token = await create_user(node, "ben")
    with node.bound():
        first = await announcements.create(node, AnnouncementSpec(text="Maintenance tonight #ops, ask @ana"))
        draft = await announcements.create(node, AnnouncementSpec(text="Not yet", published=False))

    def flows() -> dict:
        ana = signed_in(base, "ana@example.com")
        listed = ana.announcements()
        ana.announcement_reaction_create(first.id, "🎉")
        ana.announcement_reaction_create(first.id, "👍🏽")
        twice = _error(lambda: ana.announcement_reaction_create(first.id, "🎉"))
        not_emoji = _error(lambda: ana.announcement_reaction_create(first.id, "blobcat"))
        ana.announcement_dismiss(first.id)
        after = ana.announcements()
        ana.announcement_reaction_delete(first.id, "👍🏽")
        gone = _error(lambda: ana.announcement_reaction_delete(first.id, "👍🏽"))
        unknown = _error(lambda: ana.announcement_dismiss(draft.id))
        return {
            "listed": listed,
            "twice": twice,
            "not_emoji": not_emoji,
            "after": after,
            "gone": gone,
            "unknown": unknown,
            "final": ana.announcements(),
        }

    socket = await Socket.open(client, ben_token, "user")
    r = await asyncio.to_thread(flows)
    [entity] = r["listed"]
    assert entity["id"] == str(first.id) and entity["read"] is False and entity["reactions"] == []
    assert 'class="mention hashtag"' in entity["content"] and entity["tags"][0]["name"] == "ops"
    assert entity["mentions"][0]["acct"] == "ana" and entity["all_day"] is False
    assert r["twice"][0] == 422 and r["not_emoji"][0] == 422
    assert r["twice"][1] == "Validation failed: Name has already been taken"
    [after] = r["after"]
    assert after["read"] is True
    assert [(x["name"], x["count"], x["me"]) for x in after["reactions"]] == [
        ("🎉", 1, True),
        ("👍🏽", 1, True),
    ]
    assert r["gone"][0] == 404 and r["unknown"][0] == 404
    assert [x["name"] for x in r["final"][0]["reactions"]] == ["🎉"]

    # ben's user stream heard each reaction change with its count
    events = [await socket.event() for _ in range(3)]
    assert [e[1] for e in events] == ["announcement.reaction"] * 3
    assert events[0][2] == {"name": "🎉", "count": 1, "announcement_id": str(first.id)}
    assert events[2][2] == {"name": "👍🏽", "count": 0, "announcement_id": str(first.id)}
    with node.bound():
        await announcements.update(node, draft, AnnouncementSpec(published=True))
        stream, name, payload = await socket.event()
        assert (stream, name, payload["id"], payload["content"]) == (
            ["user"],
            "announcement",
            str(draft.id),
            "<p>Not yet</p>",
        )
        assert "read" not in payload  # no viewer in a broadcast, as Mastodon's
        await announcements.delete(node, first)
        frame = await socket.receive()  # the bare id as the payload, as Mastodon's `delete`
        assert (frame["event"], frame["payload"]) == ("announcement.delete", str(first.id))
        assert await AnnouncementReaction.filter(announcement_id=first.id).count() == 0
        assert not await Announcement.filter(id=first.id).exists()
    assert (await client.get("/api/v1/announcements")).status == 401
    assert (await client.put(f"/api/v1/announcements/{draft.id}/reactions/%F0%9F%8E%89")).status == 401
    await socket.ws.close()


async def test_reaction_kinds_are_capped_at_eight(node_client, node_of):
    node = node_of(node_client)
    _, token = await create_user(node, "ana")
    with node.bound():
        post = await announcements.create(node, AnnouncementSpec(text="Vote with emoji"))
    for emoji in "😀😁😂🤣😃😄😅😆":
        response = await node_client.put(
            f"/api/v1/announcements/{post.id}/reactions/{emoji}", headers=bearer(token)
        )
        assert response.status == 200, await response.text()
    ninth = await node_client.put(f"/api/v1/announcements/{post.id}/reactions/😇", headers=bearer(token))
    assert ninth.status == 422 and "limit" in (await ninth.json())["error"]
    missing = await node_client.post(
        "/api/v1/announcements/99999999999999999999/dismiss", headers=bearer(token)
    )
    assert missing.status == 404 and (await missing.json())["error"]
    with node.bound():
        assert await Status.all().count() == 0


def _error(call) -> tuple:  # type: ignore[no-untyped-def]
    try:
        call()
    except MastodonNotFoundError as error:
        return 404, error.args[-1]
    except MastodonAPIError as error:
        return error.args[1], error.args[-1]
    raise AssertionError("no error")
