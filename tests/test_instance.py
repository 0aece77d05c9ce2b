"""Instance endpoints and the OpenAPI document."""

from support import create_user

from node.api.openapi import api_routes


async def test_instance_v2_reports_limits_and_api_versions(node_client, node_of):
    await create_user(node_of(node_client), "boss", admin=True)
    body = await (await node_client.get("/api/v2/instance")).json()
    assert body["api_versions"] == {"mastodon": 2}
    assert body["configuration"]["statuses"]["max_characters"] == 5000
    assert body["registrations"]["enabled"] is True
    assert body["contact"]["account"]["username"] == "boss"
    assert body["version"].startswith("4.3.0")


async def test_instance_v1_counts_users(node_client, node_of):
    await create_user(node_of(node_client), "a")
    await create_user(node_of(node_client), "b")
    body = await (await node_client.get("/api/v1/instance")).json()
    assert body["stats"]["user_count"] == 2
    assert body["uri"] == "localhost"


async def test_openapi_lists_every_api_route_with_a_summary(node_client):
    document = await (await node_client.get("/api/openapi.json")).json()
    assert document["openapi"].startswith("3.")
    listed = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    missing_docs = []
    for method, path, handler in api_routes(node_client.app):
        normalised = path.replace(":", "")  # patterns are already {name}
        assert any(m == method for m, p in listed if p.split("{")[0] == normalised.split("{")[0]), (method, path)
        if not (handler.__doc__ or "").strip():
            missing_docs.append(f"{method} {path} ({handler.__module__}.{handler.__name__})")
    assert not missing_docs, "handlers without a docstring summary:\n" + "\n".join(missing_docs)
