"""The node starts, migrates a fresh SQLite file, and answers errors in Mastodon's shape."""

from support import bearer, create_user


async def test_unknown_api_route_is_json_404(node_client):
    response = await node_client.get("/api/v1/nope")
    assert response.status == 404
    assert "error" in await response.json()


async def test_bad_token_is_401(node_client, node_of):
    await create_user(node_of(node_client), "alice")
    response = await node_client.get("/api/v1/accounts/verify_credentials", headers=bearer("wrong"))
    assert response.status in (401, 404)
