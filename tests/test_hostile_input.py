"""Bodies and ids an attacker or a fuzzer sends: each gets a clear 4xx with {"error": ...}, never a 500.

Deeply nested JSON (a RecursionError in the decoder), ids past 64 bits (an OverflowError in the database
driver) and bodies far larger than a route needs (parsed, then refused) all reached a 500 or ate memory.
"""

from __future__ import annotations

import pytest
from support import bearer, create_user

HUGE = str(2**63)  # one past the largest signed 64-bit id
DEEP = b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
JUST_TOO_DEEP = b'{"a":' + b"[" * 900 + b"]" * 900 + b"}"  # parses in Python, but nests far past anything real


async def _error(response, status: int) -> str:
    assert response.status == status, (response.status, await response.text())
    body = await response.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    return body["error"]


@pytest.mark.parametrize("body", [DEEP, JUST_TOO_DEEP], ids=["100k-deep", "900-deep"])
async def test_deeply_nested_json_is_a_400(node_client, node_of, body):
    _, token = await create_user(node_of(node_client), "alice")
    json_type = {"Content-Type": "application/json"}
    for path, headers in [("/api/v1/apps", {}), ("/oauth/token", {}), ("/api/v1/statuses", bearer(token))]:
        async with node_client.post(path, data=body, headers={**json_type, **headers}) as response:
            await _error(response, 400)


async def test_deeply_nested_json_to_the_inbox_is_a_400_before_the_signature_check(cluster):
    fed = await cluster.add_node("node-a")
    await fed.user("alice")
    for path in ("/inbox", "/users/alice/inbox"):
        async with fed.client.post(path, data=DEEP, headers={"Content-Type": "application/activity+json"}) as response:
            assert response.status == 400, await response.text()
            assert "deeper" in (await response.json())["error"]


async def test_ids_past_64_bits_are_unknown_ids(node_client, node_of):
    user, token = await create_user(node_of(node_client), "alice")
    for path in (f"/api/v1/accounts/{HUGE}", f"/api/v1/statuses/{HUGE}", f"/api/v1/statuses/{HUGE}/context",
                 f"/api/v1/accounts/{HUGE}/statuses", f"/api/v1/media/{HUGE}", f"/api/v1/lists/{HUGE}",
                 f"/api/v1/polls/{HUGE}", f"/api/v1/notifications/{HUGE}", f"/api/v1/scheduled_statuses/{HUGE}",
                 f"/api/v2/filters/{HUGE}", f"/api/v1/statuses/{2**64}", "/api/v1/statuses/-9223372036854775809"):
        async with node_client.get(path, headers=bearer(token)) as response:
            await _error(response, 404)
    for path in (f"/api/v1/statuses/{HUGE}/favourite", f"/api/v1/accounts/{HUGE}/follow",
                 f"/api/v1/statuses/{HUGE}/reblog", f"/api/v1/statuses/{HUGE}/bookmark"):
        async with node_client.post(path, headers=bearer(token)) as response:
            await _error(response, 404)
    async with node_client.get(f"/@alice/{HUGE}") as response:
        assert response.status == 404
    async with node_client.get(f"/users/alice/statuses/{HUGE}", headers={"Accept": "application/activity+json"}) as r:
        assert r.status in (404, 410)


async def test_ids_past_64_bits_on_stories_and_admin_routes_are_unknown_ids(node_client, node_of):
    _, token = await create_user(node_of(node_client), "alice", admin=True,
                                 scopes="read write follow push admin:read admin:write")
    for path in (f"/api/v1/stories/{HUGE}", f"/api/v1/stories/{HUGE}/viewers", f"/api/v1/stories/{HUGE}/insights",
                 f"/api/v1/highlights/{HUGE}", f"/api/v1/admin/accounts/{HUGE}",
                 f"/api/v1/admin/canonical_email_blocks/{HUGE}", f"/api/v1/admin/ip_blocks/{HUGE}"):
        async with node_client.get(path, headers=bearer(token)) as response:
            await _error(response, 404)
    for path in (f"/api/v1/stories/{HUGE}/view", f"/api/v1/stories/{HUGE}/stickers/{HUGE}/answer",
                 f"/api/v1/stories/{HUGE}/stickers/{HUGE}/answers/{HUGE}/reply",
                 f"/api/v1/stories/{HUGE}/stickers/{HUGE}/answers/{HUGE}/share"):
        async with node_client.post(path, json={"choice": 0, "status": "hi"}, headers=bearer(token)) as response:
            await _error(response, 404)
    async with node_client.delete(f"/api/v1/close_friends/{HUGE}", headers=bearer(token)) as response:
        await _error(response, 404)


async def test_paging_ids_past_64_bits_are_a_400(node_client, node_of):
    user, token = await create_user(node_of(node_client), "alice")
    for query in ("max_id", "since_id", "min_id"):
        for path in ("/api/v1/timelines/public", "/api/v1/timelines/home", f"/api/v1/accounts/{user.id}/statuses",
                     "/api/v1/notifications", "/api/v1/favourites", "/api/v1/bookmarks"):
            async with node_client.get(path, params={query: HUGE}, headers=bearer(token)) as response:
                assert "must be an id" in await _error(response, 400)
    async with node_client.get("/api/v1/timelines/public", params={"limit": HUGE}) as response:
        await _error(response, 422)
    async with node_client.post("/api/v1/statuses", json={"status": "hi", "in_reply_to_id": HUGE},
                                headers=bearer(token)) as response:
        await _error(response, 422)
    async with node_client.post("/api/v1/statuses", json={"status": "hi", "media_ids": [HUGE]},
                                headers=bearer(token)) as response:
        await _error(response, 422)


async def test_json_and_form_bodies_are_capped_at_one_mebibyte(node_client, node_of):
    big = b'{"client_name": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    async with node_client.post("/api/v1/apps", data=big, headers={"Content-Type": "application/json"}) as response:
        assert "too large" in await _error(response, 413)

    async def chunked():  # no Content-Length: refused while reading, all the same
        for _ in range(40):
            yield b"x" * 65536

    async with node_client.post("/api/v1/apps", data=chunked(),
                                headers={"Content-Type": "application/x-www-form-urlencoded"}) as response:
        await _error(response, 413)
    # A body just under the cap is read and judged on its content.
    async with node_client.post("/api/v1/apps", data=b'{"client_name": "' + b"x" * 900_000 + b'"}',
                                headers={"Content-Type": "application/json"}) as response:
        assert response.status == 422


async def test_uploads_are_capped_at_their_configured_maximum(aiohttp_client, make_config):
    from aiohttp import FormData

    from node.api.keys import NODE
    from node.app import build_app

    client = await aiohttp_client(build_app(make_config(storage={"max_image_mb": 2, "max_video_mb": 3}),
                                            scheduler=False))
    _, token = await create_user(client.app[NODE], "alice")

    def upload(size: int) -> FormData:
        form = FormData()
        form.add_field("file", b"\0" * size, filename="big.png", content_type="image/png")
        return form

    async with client.post("/api/v2/media", data=upload(4 * 1024 * 1024), headers=bearer(token)) as response:
        assert "too large" in await _error(response, 413)
    # Over the JSON cap but within the upload maximum: read whole and checked by content (not an image).
    async with client.post("/api/v2/media", data=upload(2 * 1024 * 1024), headers=bearer(token)) as response:
        assert response.status == 422, await response.text()
    # Other routes keep the small cap even for multipart bodies.
    async with client.post("/api/v1/statuses", data=upload(2 * 1024 * 1024), headers=bearer(token)) as response:
        await _error(response, 413)
