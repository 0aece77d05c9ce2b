"""Quiet hours with the clock passed in: a mention during quiet hours is in the app at once, but sends no
push and no mail until the window ends; then one summary push and one summary mail say what happened."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from support import bearer, create_user
from test_notify_push import deliver, later, served, subscribe, vapid_key

from node.models import ChannelJob
from node.notify import dispatcher, mail, preferences


def window_around(now: datetime, zone: str) -> tuple[str, str, datetime]:
    """Quiet hours from an hour before `now` to an hour after, as HH:MM in `zone`, and the end in UTC."""
    local = now.astimezone(ZoneInfo(zone))
    start, end = local - timedelta(hours=1), local + timedelta(hours=1)
    end_exact = end.replace(second=0, microsecond=0)
    return start.strftime("%H:%M"), end.strftime("%H:%M"), end_exact.astimezone(UTC)


def test_quiet_windows_follow_the_zone_and_span_midnight():
    quiet = preferences.QuietHours(True, "22:00", "07:00", "Europe/Berlin")
    winter_night = datetime(2026, 1, 15, 22, 30, tzinfo=UTC)  # 23:30 in Berlin
    assert quiet.ends_after(winter_night) == datetime(2026, 1, 16, 7, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert quiet.active(datetime(2026, 1, 16, 5, 59, tzinfo=UTC))  # 06:59 Berlin
    assert not quiet.active(datetime(2026, 1, 16, 6, 0, tzinfo=UTC))  # 07:00 Berlin: over
    assert not quiet.active(datetime(2026, 1, 15, 20, 59, tzinfo=UTC))  # 21:59 Berlin
    summer = datetime(2026, 7, 15, 20, 30, tzinfo=UTC)  # 22:30 in Berlin (UTC+2)
    assert quiet.active(summer)
    daytime = preferences.QuietHours(True, "09:00", "17:00", "Asia/Tokyo")
    assert daytime.active(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))  # 10:00 Tokyo
    assert not daytime.active(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))  # 18:00 Tokyo
    assert not preferences.QuietHours(False, "00:00", "23:59", "UTC").active(summer)


async def test_a_mention_in_quiet_hours_is_held_and_summarised_once(
    aiohttp_client, make_config, push_receiver, mail_sink
):
    client, node = await served(
        aiohttp_client,
        make_config,
        mail={"smtp_host": "127.0.0.1", "smtp_port": mail_sink.port, "from": "social@entativa.test"},
    )
    alice, token = await create_user(node, "alice")
    _, bob_token = await create_user(node, "bob")
    push_receiver.vapid_public = await vapid_key(client)
    await subscribe(client, token, push_receiver, "phone")
    now = datetime.now(UTC)
    start, end, quiet_end = window_around(now, "Asia/Tokyo")
    resp = await client.put(
        "/api/v1/notifications/preferences",
        headers=bearer(token),
        json={
            "quiet_hours": {"enabled": True, "start": start, "end": end, "timezone": "Asia/Tokyo"},
            "types": {"mention": {"push": True, "email": True}},
        },
    )
    assert resp.status == 200, await resp.text()

    post = await (
        await client.post("/api/v1/statuses", json={"status": "mine"}, headers=bearer(token))
    ).json()
    await client.post("/api/v1/statuses", json={"status": "@alice are you up?"}, headers=bearer(bob_token))
    await client.post("/api/v1/statuses", json={"status": "@alice hello??"}, headers=bearer(bob_token))
    await client.post(f"/api/v1/statuses/{post['id']}/favourite", headers=bearer(bob_token))

    # In-app at once.
    notes = await (await client.get("/api/v1/notifications", headers=bearer(token))).json()
    assert [n["type"] for n in notes] == ["favourite", "mention", "mention"]

    # During quiet hours: held, nothing sent, however often the workers run.
    assert await deliver(node, later()) == 0
    with node.db:
        assert await mail.drain(node, later()) == 0
        assert await dispatcher.run_once(node, quiet_end - timedelta(minutes=1)) == 0
        # Held: 3 pushes and 2 mails (mentions are mailed, likes are not).
        assert await ChannelJob.filter(state="held").count() == 5
    assert push_receiver.received == [] and mail_sink.messages == []

    # After the window: one push and one mail, each a summary.
    after = quiet_end + timedelta(minutes=1)
    assert await deliver(node, after) == 1
    with node.db:
        assert await mail.drain(node, after) == 1
        assert await dispatcher.run_once(node, after + timedelta(minutes=5)) == 0
        assert await mail.drain(node, after + timedelta(hours=1)) == 0
    assert await deliver(node, after + timedelta(hours=1)) == 0
    assert len(push_receiver.received) == 1 and push_receiver.rejected == []
    summary = push_receiver.received[0].payload
    assert summary["title"].startswith("3 notifications during quiet hours")
    assert summary["notification_id"] == notes[0]["id"]
    assert len(mail_sink.messages) == 1
    message = mail_sink.messages[0]
    assert message["To"] == "alice@example.com"
    assert message["Subject"].startswith("2 notifications during quiet hours")
    text, html = mail_sink.bodies(message)
    assert "are you up?" in text and "hello??" in text and "are you up?" in html
    assert (
        message["List-Unsubscribe"].startswith("<http")
        and message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    )
