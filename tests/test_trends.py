"""Trending hashtags (growth between windows, 7-day history as Mastodon shapes it) and related hashtags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from support import bearer, create_user

from node.models import Status, snowflake


async def backdate(node, status_id: str, hours: float) -> None:  # type: ignore[no-untyped-def]
    """Move a status back in time: its id carries its time (snowflake), as remote back-dated posts do."""
    from node.models import StatusTag

    moment = datetime.now(UTC) - timedelta(hours=hours)
    new_id = snowflake(moment)
    with node.db:
        status = await Status.get(id=int(status_id))
        tags = list(await StatusTag.filter(status_id=status.id).values_list("tag_id", flat=True))
        await Status.create(id=new_id, account_id=status.account_id, content=status.content, text=status.text,
                            visibility=status.visibility, created_at=moment)
        await status.delete()
        for tag_id in tags:
            await StatusTag.create(status_id=new_id, tag_id=tag_id)


async def post(client, token, text, **extra):  # type: ignore[no-untyped-def]
    response = await client.post("/api/v1/statuses", json={"status": text, **extra}, headers=bearer(token))
    assert response.status == 200
    return (await response.json())["id"]


async def test_trending_tags_growth_and_history(node_client, node_of) -> None:
    node = node_of(node_client)
    tokens = [(await create_user(node, name))[1] for name in ("ann", "ben", "cat")]
    # #rising: 3 people today, 1 use yesterday; #steady: 2 uses each window by one person; #hidden: private only
    for token in tokens:
        await post(node_client, token, "look #Rising")
    await backdate(node, await post(node_client, tokens[0], "early #rising"), 30)
    for hours in (1, 2, 30, 31):
        await backdate(node, await post(node_client, tokens[1], "again #steady"), hours)
    await post(node_client, tokens[2], "shh #hidden", visibility="private")

    response = await node_client.get("/api/v1/trends/tags")
    assert response.status == 200
    body = await response.json()
    assert [t["name"] for t in body] == ["Rising", "steady"]
    rising = body[0]
    assert rising["url"].endswith("/tags/rising")
    assert len(rising["history"]) == 7
    today = rising["history"][0]
    assert today["day"] == str(int(datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()))
    assert all(isinstance(v, str) for entry in rising["history"] for v in entry.values())
    assert sum(int(d["uses"]) for d in rising["history"]) == 4
    assert rising["growth"]["uses"] == 3 and rising["growth"]["previous_uses"] == 1
    assert rising["growth"]["rate"] == 2.0 and rising["growth"]["accounts"] == 3
    assert rising["growth"]["uses_per_hour"] == round(3 / 24, 3)
    steady = body[1]["growth"]
    assert steady["uses"] == 2 and steady["previous_uses"] == 2 and steady["rate"] == 0.0

    response = await node_client.get("/api/v1/trends/tags", params={"window_hours": 6, "limit": 1})
    assert [t["name"] for t in await response.json()] == ["Rising"]
    for params in ({"limit": 0}, {"window_hours": 1000}, {"offset": -1}):
        response = await node_client.get("/api/v1/trends/tags", params=params)
        assert response.status == 422 and "error" in await response.json()


async def test_related_tags(node_client, node_of) -> None:
    node = node_of(node_client)
    _, token = await create_user(node, "ann")
    await post(node_client, token, "#film #camera #analog")
    await post(node_client, token, "#film #camera")
    await post(node_client, token, "#film #darkroom")
    await post(node_client, token, "#unrelated")
    response = await node_client.get("/api/v1/trends/tags/film/related")
    body = await response.json()
    assert [(t["name"], t["shared"]) for t in body][:1] == [("camera", 2)]
    assert {t["name"] for t in body} == {"camera", "analog", "darkroom"}
    response = await node_client.get("/api/v1/trends/tags/nosuchtag/related")
    assert response.status == 404 and "error" in await response.json()
