"""The OpenAPI document is built from each handler's @endpoint declaration (node/api/endpoint.py), and
params.py enforces the declarations under tests: a route without one, or a handler reading a parameter it
did not declare, fails here rather than drifting from /api/openapi.json. tests/test_api_fuzz.py then runs
schemathesis over the document against a real node."""

from __future__ import annotations

import pytest
from aiohttp import web
from support import create_user

from node.api import params as params_module
from node.api.endpoint import ID, PAGE, declaration, endpoint, required
from node.api.middleware import errors
from node.api.openapi import DOCUMENTED_PREFIXES, api_routes
from node.api.params import read_params
from node.app import build_app

HOW = "declare it with @endpoint(...) beside the handler (docs/api.md, 'Declaring a route')"


@pytest.fixture
async def full_client(aiohttp_client, make_config):  # type: ignore[no-untyped-def]
    """A node with every bundled plugin that serves routes, so their routes are checked too."""
    return await aiohttp_client(build_app(make_config(plugins={"enabled": ["e2ee", "welcome"]}), scheduler=False))


async def test_every_documented_route_has_a_declaration(full_client):
    missing = [f"{method} {path} ({handler.__module__}.{handler.__qualname__})"
               for method, path, handler in api_routes(full_client.app) if declaration(handler) is None]
    assert not missing, f"routes under {', '.join(DOCUMENTED_PREFIXES)} without a declaration ({HOW}):\n" + \
        "\n".join(missing)


async def test_the_document_describes_parameters_bodies_and_responses(full_client):
    answer = await full_client.get("/api/openapi.json")
    document = await answer.json()
    paths = document["paths"]
    assert not [(m, p) for p, ops in paths.items() for m, op in ops.items() if op.get("x-undeclared")]
    operations = [op for ops in paths.values() for op in ops.values()]
    assert len(operations) > 250
    for op in operations:
        codes = set(op["responses"])
        assert codes & {"200", "201", "202", "204", "101"}, op["operationId"]
        assert {"400", "401", "413", "429"} <= codes, op["operationId"]
        for code in codes - {"200", "201", "202", "204", "101", "302", "303"}:
            assert op["responses"][code]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"}, (op["operationId"], code)
    assert document["components"]["schemas"]["Error"]["required"] == ["error"]

    # Query parameters with types, required ones marked, Rails-style arrays, enums where declared.
    search = {p["name"]: p for p in paths["/api/v2/search"]["get"]["parameters"]}
    assert search["type"]["schema"]["enum"] == ["accounts", "statuses", "hashtags", "takes", "places", ""]
    assert search["limit"]["schema"] == {"type": "integer"} and not search["limit"]["required"]
    lookup = {p["name"]: p for p in paths["/api/v1/accounts/lookup"]["get"]["parameters"]}
    assert lookup["acct"]["required"] is True
    assert "id[]" in {p["name"] for p in paths["/api/v1/accounts"]["get"]["parameters"]}
    assert {"max_id", "since_id", "min_id", "limit"} <= {
        p["name"] for p in paths["/api/v1/timelines/home"]["get"]["parameters"]}
    assert paths["/api/v1/timelines/home"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"] == {"type": "array"}

    # Bodies: JSON (and a form where every field is flat), multipart where a file is taken, nested objects.
    status_body = paths["/api/v1/statuses"]["post"]["requestBody"]["content"]
    assert set(status_body) == {"application/json"}  # poll[...] is nested
    poll = status_body["application/json"]["schema"]["properties"]["poll"]
    assert poll["properties"]["options"] == {"type": "array", "items": {"type": "string"}}
    list_body = paths["/api/v1/lists"]["post"]["requestBody"]["content"]
    assert set(list_body) == {"application/json", "application/x-www-form-urlencoded"}
    media = paths["/api/v2/media"]["post"]["requestBody"]
    assert set(media["content"]) == {"multipart/form-data"}
    assert media["content"]["multipart/form-data"]["schema"]["properties"]["file"]["format"] == "binary"
    assert media["required"] is True
    assert paths["/inbox"]["post"]["requestBody"]["content"] == {
        "application/activity+json": {"schema": {"type": "object"}}}
    assert set(paths["/inbox"]["post"]["responses"]) >= {"202", "401", "415"}
    assert "/api/v1/crypto/keys/upload" in paths and "/welcome" not in paths  # pages are not the API


@endpoint(params={"q": required(str), "page": PAGE, "ids": [ID]})
async def _declared(request: web.Request) -> web.Response:
    params = await read_params(request)
    params.str("q")
    return web.json_response({"undeclared": params.str("secret")})


async def _undeclared(request: web.Request) -> web.Response:
    return web.json_response({"q": (await read_params(request)).str("q")})


@pytest.mark.logs_errors
async def test_a_handler_reading_an_undeclared_parameter_fails_loudly(aiohttp_client, monkeypatch):
    monkeypatch.setattr(params_module, "STRICT", True)
    app = web.Application(middlewares=[errors])
    app.router.add_get("/declared", _declared)
    app.router.add_get("/undeclared", _undeclared)
    client = await aiohttp_client(app)
    answer = await client.get("/declared?q=x&secret=y")
    assert answer.status == 500  # a programming error, caught by any test that reaches the handler
    answer = await client.get("/undeclared?q=x")
    assert answer.status == 500


def test_strict_mode_names_the_parameter_and_what_was_declared(monkeypatch):
    monkeypatch.setattr(params_module, "STRICT", True)
    strict = params_module.Params({"a": "1", "b": {"c": "2"}}, {"a": int, "b": {"c": str}})
    assert strict.int("a") == 1
    assert strict.nested("b").str("c") == "2"  # nested declarations are checked too
    with pytest.raises(params_module.UndeclaredParameter, match="'z' is read but not declared; declared: a, b"):
        strict.str("z")
    with pytest.raises(params_module.UndeclaredParameter):
        strict.nested("b").str("d")
    monkeypatch.setattr(params_module, "STRICT", False)
    assert params_module.Params({"z": "1"}, {"a": int}).str("z") == "1"  # production: never breaks a route


async def test_declared_routes_still_answer_their_own_validation_errors(node_client, node_of):
    """A declaration documents; the services keep their Mastodon-style messages (nothing pre-empts them)."""
    _, token = await create_user(node_of(node_client), "decl")
    headers = {"Authorization": f"Bearer {token}"}
    answer = await node_client.get("/api/v2/search?q=x&type=nonsense", headers=headers)
    assert answer.status == 422
    assert (await answer.json())["error"] == "Parameter type must be one of: accounts, statuses, hashtags, takes, places, "
    answer = await node_client.get("/api/v1/accounts/lookup", headers=headers)
    assert (answer.status, (await answer.json())["error"]) == (422, "Missing parameter: acct")
    answer = await node_client.post("/api/v1/lists", json={"title": "x", "exclusive": {"a": 1}}, headers=headers)
    assert (answer.status, (await answer.json())["error"]) == (422, "Parameter exclusive must be true or false")
