"""Scheduled statuses through an unmodified Mastodon.py: posting with scheduled_at (media and a poll), listing,
showing, rescheduling and cancelling; publication by the scheduler's job on the node's clock (moved, never
slept on), once only, and after a restart; the refusals (too soon, past, garbage, held media, someone else's)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from fixtures.social import call, png_bytes, upload, user
from support import create_user
from test_mastodon_py import served, signed_in

from node.api.keys import NODE
from node.app import build_app
from node.models import MediaAttachment, ScheduledStatus, Status
from node.services import scheduled_statuses


def ahead(minutes: float) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


async def test_schedule_list_reschedule_cancel_and_publish_with_mastodon_py(
    aiohttp_client, make_config, node_of
):
    client, base = await served(aiohttp_client, make_config)
    node = node_of(client)
    await create_user(node, "ana")

    def schedule() -> dict:
        ana = signed_in(base, "ana@example.com")
        media = ana.media_post(png_bytes((32, 24)), mime_type="image/png", description="later square")
        with_media = ana.status_post("Square, later #soon", media_ids=[media["id"]], scheduled_at=ahead(10))
        poll = ana.make_poll(["now", "later"], expires_in=3600)
        with_poll = ana.status_post("When?", poll=poll, scheduled_at=ahead(15), visibility="unlisted")
        dropped = ana.status_post("never mind", scheduled_at=ahead(30))
        moved = ana.scheduled_status_update(with_poll["id"], ahead(20))
        ana.scheduled_status_delete(dropped["id"])
        return {
            "media": with_media,
            "poll": with_poll,
            "moved": moved,
            "listed": ana.scheduled_statuses(),
            "one": ana.scheduled_status(with_media["id"]),
            "home": ana.timeline_home(),
        }

    r = await asyncio.to_thread(schedule)
    assert r["media"]["params"]["text"] == "Square, later #soon"
    assert [m["description"] for m in r["media"]["media_attachments"]] == ["later square"]
    assert r["poll"]["params"]["poll"] == {
        "options": ["now", "later"],
        "expires_in": 3600,
        "multiple": False,
        "hide_totals": False,
    }
    assert r["poll"]["params"]["visibility"] == "unlisted"
    assert r["moved"]["scheduled_at"] > r["poll"]["scheduled_at"]
    assert [s["id"] for s in r["listed"]] == [
        r["poll"]["id"],
        r["media"]["id"],
    ]  # newest first; one cancelled
    assert r["one"]["id"] == r["media"]["id"] and r["home"] == []  # nothing published yet

    with node.db:
        assert await scheduled_statuses.publish_due(node) == 0
        node.clock.advance(timedelta(minutes=11))
        assert await scheduled_statuses.publish_due(node) == 1
        assert await scheduled_statuses.publish_due(node) == 0  # once only
        node.clock.advance(timedelta(minutes=10))
        assert await scheduled_statuses.publish_due(node) == 1
        assert await ScheduledStatus.all().count() == 0

    def published() -> dict:
        ana = signed_in(base, "ana@example.com")
        return {
            "home": ana.timeline_home(),
            "tag": ana.timeline_hashtag("soon"),
            "left": ana.scheduled_statuses(),
        }

    p = await asyncio.to_thread(published)
    assert p["left"] == []
    by_text = {s["content"]: s for s in p["home"]}
    square = next(s for s in p["home"] if s["media_attachments"])
    assert (
        square["media_attachments"][0]["description"] == "later square"
        and "Square, later" in square["content"]
    )
    assert [s["id"] for s in p["tag"]] == [square["id"]]
    when = next(s for s in p["home"] if s["poll"])
    assert when["visibility"] == "unlisted" and [o["title"] for o in when["poll"]["options"]] == [
        "now",
        "later",
    ]
    # the poll runs from publication, by the node's clock
    assert when["poll"]["expires_at"] > ahead(21 + 59)
    assert len(by_text) == 2


async def test_refusals_leave_nothing_behind(node_client, node_of):
    node = node_of(node_client)
    _, ana = await user(node, "ana")
    _, ben = await user(node, "ben")
    for when, message in [
        ((datetime.now(UTC) + timedelta(minutes=4)).isoformat(), "must be in the future"),
        ((datetime.now(UTC) - timedelta(days=1)).isoformat(), "must be in the future"),
        ("next tuesday", "not a valid time"),
    ]:
        code, body = await call(
            node_client, "POST", "/api/v1/statuses", ana, json={"status": "x", "scheduled_at": when}
        )
        assert code == 422 and message in body["error"], body
    code, body = await call(
        node_client,
        "POST",
        "/api/v1/statuses",
        ana,
        json={"status": "", "scheduled_at": ahead(10).isoformat()},
    )
    assert code == 422 and body["error"] == "Validation failed: Text can't be blank"
    code, body = await call(
        node_client,
        "POST",
        "/api/v1/statuses",
        ana,
        json={"status": "x", "scheduled_at": ahead(10).isoformat(), "in_reply_to_id": "1"},
    )
    assert code == 404
    with node.db:
        assert await ScheduledStatus.all().count() == 0

    _, media = await upload(node_client, ana, png_bytes(), "a.png", "image/png")
    code, held = await call(
        node_client,
        "POST",
        "/api/v1/statuses",
        ana,
        json={"status": "later", "media_ids": [media["id"]], "scheduled_at": ahead(10).isoformat()},
    )
    assert code == 200 and held["media_attachments"][0]["id"] == media["id"]
    code, body = await call(
        node_client, "POST", "/api/v1/statuses", ana, json={"status": "now", "media_ids": [media["id"]]}
    )
    assert code == 422 and "already used" in body["error"]  # held for the scheduled status
    path = f"/api/v1/scheduled_statuses/{held['id']}"
    assert (await call(node_client, "GET", path, ben))[0] == 404  # someone else's
    assert (await call(node_client, "DELETE", path, ben))[0] == 404
    assert (await call(node_client, "GET", "/api/v1/scheduled_statuses/12345", ana))[0] == 404
    assert (await call(node_client, "GET", "/api/v1/scheduled_statuses/nope", ana))[0] == 404
    code, body = await call(node_client, "PUT", path, ana, json={"scheduled_at": ahead(2).isoformat()})
    assert code == 422 and "must be in the future" in body["error"]
    code, body = await call(node_client, "PUT", path, ana, json={})
    assert code == 422 and body["error"] == "Missing parameter: scheduled_at"
    _, shown = await call(node_client, "GET", path, ana)
    assert shown["scheduled_at"] == held["scheduled_at"]  # unchanged
    assert (await call(node_client, "GET", "/api/v1/scheduled_statuses"))[0] == 401
    # cancelling frees the media again
    assert await call(node_client, "DELETE", path, ana) == (200, {})
    code, now = await call(
        node_client, "POST", "/api/v1/statuses", ana, json={"status": "now", "media_ids": [media["id"]]}
    )
    assert code == 200 and now["media_attachments"][0]["id"] == media["id"]


async def test_daily_limit(node_client, node_of):
    node = node_of(node_client)
    _, ana = await user(node, "ana")
    day = (datetime.now(UTC) + timedelta(days=2)).replace(hour=12, minute=0)
    for n in range(scheduled_statuses.DAILY_LIMIT):
        code, _ = await call(
            node_client,
            "POST",
            "/api/v1/statuses",
            ana,
            json={"status": f"n{n}", "scheduled_at": (day + timedelta(minutes=n)).isoformat()},
        )
        assert code == 200
    code, body = await call(
        node_client,
        "POST",
        "/api/v1/statuses",
        ana,
        json={"status": "one too many", "scheduled_at": (day + timedelta(hours=1)).isoformat()},
    )
    assert code == 422 and "limit of 25 scheduled posts for today" in body["error"]
    code, page = await call(node_client, "GET", "/api/v1/scheduled_statuses?limit=40", ana)
    assert len(page) == 25


async def test_published_after_a_restart(aiohttp_client, make_config):
    config = make_config()
    first = await aiohttp_client(build_app(config, scheduler=False))
    _, ana = await user(first.app[NODE], "ana")
    _, media = await upload(first, ana, png_bytes(), "a.png", "image/png")
    code, held = await call(
        first,
        "POST",
        "/api/v1/statuses",
        ana,
        json={"status": "survives", "media_ids": [media["id"]], "scheduled_at": ahead(6).isoformat()},
    )
    assert code == 200
    await first.close()  # the node stops with the status still waiting

    again = await aiohttp_client(build_app(config, scheduler=False))
    node = again.app[NODE]
    with node.db:
        assert await scheduled_statuses.publish_due(node) == 0
        node.clock.advance(timedelta(minutes=7))
        assert await scheduled_statuses.publish_due(node) == 1
        status = await Status.get(text="survives")
        attached = await MediaAttachment.get(id=int(media["id"]))
    assert attached.status_id == status.id and attached.scheduled_status_id is None
    assert (await call(again, "GET", f"/api/v1/scheduled_statuses/{held['id']}", ana))[0] == 404
    code, shown = await call(again, "GET", f"/api/v1/statuses/{status.id}", ana)
    assert code == 200 and shown["media_attachments"][0]["id"] == media["id"]
