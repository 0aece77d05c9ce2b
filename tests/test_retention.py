"""Retention over a real node's database: the hourly job prunes finished deliveries (then the activities
they carried), applied inbound activities, revoked tokens, expired codes and sessions and old
Idempotency-Keys, keeps everything still pending or young, and reads its periods from [retention]."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support import create_user, write_config

from node.config import ConfigError, parse
from node.models import (
    Delivery,
    IdempotencyKey,
    InboxActivity,
    OAuthApp,
    OAuthCode,
    OAuthToken,
    OutboxActivity,
    SignUpDecoy,
    WebSession,
)
from node.services import retention


async def test_old_bookkeeping_goes_and_pending_work_stays(aiohttp_client, tmp_path):
    from node.api.keys import NODE
    from node.app import build_app

    config = write_config(
        tmp_path, retention={"deliveries_days": 10, "inbox_days": 5, "revoked_tokens_days": 2}
    )
    client = await aiohttp_client(build_app(config, scheduler=False))
    node = client.app[NODE]
    now = datetime.now(UTC)
    old, young = now - timedelta(days=11), now - timedelta(days=1)
    with node.db:
        user, _ = await create_user(node, "alice")
        activities = [
            await OutboxActivity.create(
                uri=f"https://here/a/{n}", actor_id=user.account.id, type="Create", body="{}"
            )
            for n in range(3)
        ]
        await OutboxActivity.filter(id__in=[a.id for a in activities]).update(created_at=old)
        for n, (activity, state) in enumerate(
            zip(activities, ("delivered", "pending", "given_up"), strict=True)
        ):
            await Delivery.create(
                activity=activity,
                inbox_url=f"https://there/{n}",
                host="there",
                state=state,
                next_attempt_at=old,
                created_at=old,
            )
        await Delivery.create(
            activity=activities[0],
            inbox_url="https://fresh/inbox",
            host="fresh",
            state="delivered",
            next_attempt_at=young,
            created_at=young,
        )
        for n, (state, at) in enumerate((("done", old), ("pending", old), ("done", young))):
            row = await InboxActivity.create(
                activity_uri=f"https://there/act/{n}",
                actor_uri="https://there/u",
                type="Like",
                payload={},
                state=state,
            )
            await InboxActivity.filter(id=row.id).update(received_at=at)
        app = await OAuthApp.create(
            name="t", client_id="c", client_secret="s", redirect_uris="urn:x", scopes="read"
        )
        await OAuthToken.create(
            token_hash="a" * 64, app=app, user=user, scopes="read", revoked_at=now - timedelta(days=3)
        )
        await OAuthToken.create(token_hash="b" * 64, app=app, user=user, scopes="read", revoked_at=young)
        await OAuthToken.create(token_hash="c" * 64, app=app, user=user, scopes="read")
        await OAuthCode.create(
            code_hash="d" * 64,
            app=app,
            user=user,
            redirect_uri="urn:x",
            scopes="read",
            expires_at=now - timedelta(minutes=1),
        )
        await WebSession.create(
            session_hash="e" * 64, user=user, csrf_token="x", expires_at=now - timedelta(minutes=1)
        )
        await WebSession.create(
            session_hash="f" * 64, user=user, csrf_token="x", expires_at=now + timedelta(days=1)
        )
        await IdempotencyKey.create(
            account_id=user.account.id, key="old", status_id=1, created_at=now - timedelta(hours=2)
        )
        await IdempotencyKey.create(account_id=user.account.id, key="new", status_id=2, created_at=now)
        await SignUpDecoy.filter(id=(await SignUpDecoy.create(token_hash="g" * 64)).id).update(
            created_at=now - timedelta(days=8))
        await SignUpDecoy.create(token_hash="h" * 64)

        removed = await retention.run_once(node, now)
        assert removed == {
            "deliveries": 2,
            "outbound activities": 1,
            "inbound activities": 1,
            "revoked tokens": 1,
            "authorization codes": 1,
            "web sessions": 1,
            "idempotency keys": 1,
            "sign-up decoys": 1,
        }
        assert sorted(await Delivery.all().values_list("state", flat=True)) == ["delivered", "pending"]
        # The activity of the given-up delivery went; the others still have deliveries (one pending, one young).
        assert await OutboxActivity.filter(id=activities[2].id).count() == 0
        assert await OutboxActivity.filter(id__in=[activities[0].id, activities[1].id]).count() == 2
        assert sorted(await InboxActivity.all().values_list("activity_uri", flat=True)) == [
            "https://there/act/1",
            "https://there/act/2",
        ]
        assert not await OAuthToken.filter(token_hash="a" * 64).exists()
        assert await OAuthToken.filter(token_hash__in=["b" * 64, "c" * 64]).count() == 2
        assert await WebSession.all().count() == 1
        assert await SignUpDecoy.filter(token_hash="h" * 64).exists()
        assert await IdempotencyKey.all().values_list("key", flat=True) == ["new"]
        assert await retention.run_once(node, now) == dict.fromkeys(removed, 0)  # nothing left to prune


def test_retention_periods_are_validated(tmp_path):
    assert parse({}, tmp_path / "node.toml").retention.deliveries_days == 30
    with pytest.raises(ConfigError, match=r"retention.inbox_days: must be between 1 and 3650, got 0"):
        parse({"retention": {"inbox_days": 0}}, tmp_path / "node.toml")
    with pytest.raises(ConfigError, match=r"retention.forever: unknown key"):
        parse({"retention": {"forever": True}}, tmp_path / "node.toml")
