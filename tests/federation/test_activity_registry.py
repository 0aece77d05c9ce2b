"""The inbox plumbing the node builds on: body decoding with 4xx errors, and dispatch of activities to
registered handlers by type and object type, with a fallback for unknown types."""

from __future__ import annotations

import json

import pytest
from fed_interop import load_json

from federation.inbox import ActivityRegistry, InboxRejected, decode_inbox_body


def test_body_decoding_accepts_activitystreams_json():
    body = json.dumps({"type": "Follow", "actor": "a", "object": "b"}).encode()
    for ctype in ("application/activity+json", 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
                  "application/json; charset=utf-8"):
        assert decode_inbox_body(body, ctype)["type"] == "Follow"


@pytest.mark.parametrize(
    "body,ctype,status",
    [
        (b"x" * 2000, "application/activity+json", 413),
        (b"{}", "text/html", 415),
        (b"{}", None, 415),
        (b"{not json", "application/activity+json", 400),
        (b"[1, 2]", "application/activity+json", 400),
        (b"\xff\xfe", "application/activity+json", 400),
    ],
)
def test_bad_bodies_get_a_4xx(body, ctype, status):
    with pytest.raises(InboxRejected) as err:
        decode_inbox_body(body, ctype, max_bytes=1000)
    assert err.value.status == status


async def test_dispatch_by_type_and_object_type():
    registry: ActivityRegistry[dict] = ActivityRegistry()
    calls = []

    @registry.on("Follow")
    async def on_follow(activity, ctx):
        calls.append(("follow", activity.actor, ctx["node"]))
        return "followed"

    @registry.on("Create")
    async def on_create(activity, ctx):
        calls.append(("create", activity.object_type))

    @registry.on("Create", "Question")
    def on_poll(activity, ctx):  # plain functions work too
        calls.append(("poll", activity.object_id))

    result = await registry.dispatch(load_json("payloads/mastodon-follow.json"), {"node": "b"})
    assert result == "followed"
    await registry.dispatch(load_json("payloads/mastodon-create-note-hashtag.json"))
    await registry.dispatch(load_json("payloads/mastodon-create-question.json"))
    assert calls == [
        ("follow", "http://mastodon.example.org/users/admin", "b"),
        ("create", "Note"),
        ("poll", "https://mastodon.sdf.org/users/rinpatch/statuses/102070944809637304"),
    ]
    assert registry.activity_types == {"Follow", "Create"}


async def test_unknown_types_go_to_the_fallback_or_are_ignored():
    registry = ActivityRegistry()
    assert await registry.dispatch({"type": "Bite", "actor": "a", "object": "b"}) is None
    seen = []

    @registry.fallback
    async def store(activity, ctx):
        seen.append(activity.type)
        return "stored"

    assert await registry.dispatch({"type": "Bite", "actor": "a"}) == "stored"
    assert await registry.dispatch(load_json("payloads/pleroma-emojireact.json")) == "stored"
    assert seen == ["Bite", "EmojiReact"]


async def test_prefixed_and_array_types_are_matched():
    registry = ActivityRegistry()

    @registry.on("as:Like")
    async def like(activity, ctx):
        return f"like:{activity.reaction}"

    full_iri = {"type": "https://www.w3.org/ns/activitystreams#Like", "actor": "a", "object": "o"}
    assert await registry.dispatch(full_iri) == "like:None"
    assert await registry.dispatch(load_json("payloads/misskey-like-reaction.json")) == "like:pudding"
    assert await registry.dispatch({"type": ["entativa:Cheer", "Like"], "actor": "a", "object": "o"}) == "like:None"


async def test_non_activities_are_rejected_with_400_and_duplicates_refused():
    registry = ActivityRegistry()
    with pytest.raises(InboxRejected) as err:
        await registry.dispatch({"type": "Follow"})
    assert err.value.status == 400
    with pytest.raises(InboxRejected):
        await registry.dispatch({"actor": "a"})

    @registry.on("Follow")
    async def first(activity, ctx):
        pass

    with pytest.raises(ValueError):
        registry.on("Follow")(first)
