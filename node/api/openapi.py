"""The OpenAPI 3.1 document at /api/openapi.json, built from the live router so it lists every route.

Each handler's docstring supplies the summary (first line) and description (the rest); path parameters
come from the route pattern; query parameters, request bodies and responses from the handler's @endpoint
declaration (node/api/endpoint.py). docs/api.md is the prose guide to the same routes.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from ..services.instance import VERSION
from .endpoint import ANY, FILE, ID, OBJECT, Endpoint, Required, declaration, endpoint
from .keys import NODE

routes = web.RouteTableDef()
_PARAM = re.compile(r"\{(\w+)(?::[^}]*)?\}")
DOCUMENTED_PREFIXES = ("/api/", "/oauth/", "/.well-known/", "/nodeinfo", "/users/", "/inbox", "/actor")


def _tag(path: str) -> str:
    parts = [p for p in path.split("/") if p and not p.startswith("{")]
    if parts[:1] == ["api"] and len(parts) >= 3:
        return parts[2]
    return parts[0] if parts else "root"


def api_routes(app: web.Application) -> list[tuple[str, str, Any]]:
    """(method, path pattern, handler) for every documented route, HEAD excluded."""
    found = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("formatter") or info.get("path") or ""
        if route.method in ("HEAD", "*") or not path.startswith(DOCUMENTED_PREFIXES):
            continue
        found.append((route.method, path, route.handler))
    return found

# What any documented route can answer whatever its declaration: a malformed body or parameter (400), a bad
# token (401), a token without the scope or a disabled login (403), a body over its cap (413), the rate limit
# (429). 404 is added where the path or a parameter names a record, 422 where the route reads parameters.
COMMON_ERRORS = {
    400: "Malformed request (body, parameter shape or id)",
    401: "The access token is missing or invalid",
    403: "The token lacks the scope, or the login is pending approval, disabled or unconfirmed",
    413: "The request body is too large",
    429: "Too many requests (see Retry-After)",
}
ERROR_TEXT = {
    404: "Record not found",
    405: "Method not allowed",
    409: "Conflicts with something that already exists",
    410: "Gone",
    415: "Unsupported media type",
    422: "A parameter's value is not accepted (the message names it)",
    503: "Not available on this node right now",
}
_FORM_FLAT = (str, int, float, bool)


def schema_of(kind: Any) -> dict[str, Any]:
    """The JSON Schema of a declared parameter kind (node/api/endpoint.py)."""
    if isinstance(kind, Required):
        return schema_of(kind.kind)
    if kind is str:
        return {"type": "string"}
    if kind is int:
        return {"type": "integer"}
    if kind is float:
        return {"type": "number"}
    if kind is bool:
        return {"type": "boolean"}
    if kind is ID:
        return {"type": "string", "pattern": "^[0-9]+$"}
    if kind is FILE:
        return {"type": "string", "format": "binary"}
    if kind is OBJECT:
        return {"type": "object"}
    if kind is ANY:
        return {}
    if isinstance(kind, tuple):
        return {"type": "string", "enum": list(kind)}
    if isinstance(kind, list):
        return {"type": "array", "items": schema_of(kind[0])}
    if isinstance(kind, dict):
        return _object_schema(kind)
    raise TypeError(f"unknown parameter kind {kind!r} (see node/api/endpoint.py)")


def _object_schema(fields: Mapping[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": {name: schema_of(k) for name, k in fields.items()}}
    if needed := [name for name, k in fields.items() if isinstance(k, Required)]:
        schema["required"] = needed
    return schema


def _query_parameter(name: str, kind: Any) -> dict[str, Any]:
    schema = schema_of(kind)
    # Mastodon's Rails-style arrays: `id[]=1&id[]=2` (node/api/params.py reads them back under `id`).
    shown = f"{name}[]" if schema.get("type") == "array" else name
    return {"name": shown, "in": "query", "required": isinstance(kind, Required), "schema": schema}


def _request_body(declared: Endpoint) -> dict[str, Any] | None:
    if declared.raw_body is not None:
        return {"required": True, "content": {declared.raw_body: {"schema": {"type": "object"}}}}
    if not declared.params:
        return None
    schema = _object_schema(declared.params)
    kinds = [getattr(k, "kind", k) for k in declared.params.values()]
    if any(k is FILE for k in kinds):
        content = {"multipart/form-data": {"schema": schema}}
    else:
        content = {"application/json": {"schema": schema}}
        if all(k in _FORM_FLAT or isinstance(k, tuple) or k is ID for k in kinds):
            content["application/x-www-form-urlencoded"] = {"schema": schema}
    return {"required": "required" in schema, "content": content}


def _media_types(declared: Endpoint) -> set[str]:
    returns = declared.returns
    return {returns} if isinstance(returns, str) else set(returns) if isinstance(returns, tuple) else set()


def _responses(declared: Endpoint, names_record: bool) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for code in declared.ok:
        answer: dict[str, Any] = {"description": "Success"}
        if code != 204 and 300 <= code < 400:
            answer["headers"] = {"Location": {"schema": {"type": "string"}}}
        elif code != 204 and code != 101 and declared.returns is not None:
            if isinstance(declared.returns, (str, tuple)):
                types = (declared.returns,) if isinstance(declared.returns, str) else declared.returns
                answer["content"] = {media: {"schema": {}} for media in types}
            else:
                answer["content"] = {"application/json": {"schema": {
                    "type": "array" if declared.returns is list else "object"}}}
        responses[str(code)] = answer
    errors = dict(COMMON_ERRORS)
    if names_record or declared.names():  # the path, or a parameter, names a record that is not there
        errors[404] = ERROR_TEXT[404]
    if declared.names():
        errors[422] = ERROR_TEXT[422]
    for code in declared.errors:
        errors[code] = ERROR_TEXT.get(code, "Client error")
    content: dict[str, Any] = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    if _media_types(declared) & {"text/html"}:  # pages (and content-negotiated objects) answer errors as pages
        content["text/html"] = {"schema": {"type": "string"}}
    for code in sorted(errors):
        responses[str(code)] = {"description": errors[code], "content": content}
    return responses


def build_document(app: web.Application) -> dict[str, Any]:
    node = app[NODE]
    paths: dict[str, dict[str, Any]] = {}
    for method, path, handler in api_routes(app):
        doc = inspect.getdoc(handler) or ""
        summary, _, description = doc.partition("\n")
        openapi_path = _PARAM.sub(r"{\1}", path)
        declared = declaration(handler)
        operation: dict[str, Any] = {
            "summary": summary.strip() or f"{method} {openapi_path}",
            "tags": [_tag(path)],
            "operationId": f"{method.lower()}_{handler.__module__.rsplit('.', 1)[-1]}_{handler.__name__}",
        }
        if description.strip():
            operation["description"] = description.strip()
        path_names = _PARAM.findall(path)
        parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                      for name in path_names]
        if declared is None:
            operation["x-undeclared"] = True  # tests/test_openapi.py fails on this
            operation["responses"] = _responses(Endpoint(), bool(path_names))
        else:
            has_body = method in ("POST", "PUT", "PATCH")
            query = {**declared.query, **({} if has_body else declared.params)}
            parameters += [_query_parameter(name, kind) for name, kind in query.items()]
            if has_body and (body := _request_body(declared)) is not None:
                operation["requestBody"] = body
            operation["responses"] = _responses(declared, bool(path_names))
        if parameters:
            operation["parameters"] = parameters
        paths.setdefault(openapi_path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": f"{node.config.node.name} (Entativa) API", "version": VERSION,
                 "description": "The Mastodon client API plus Entativa's extensions. See docs/api.md."},
        "servers": [{"url": node.base_url}],
        "components": {
            "schemas": {"Error": {"type": "object", "required": ["error"],
                                  "properties": {"error": {"type": "string"},
                                                 "error_description": {"type": "string"}}}},
            "securitySchemes": {"OAuth2": {"type": "oauth2", "flows": {
                "authorizationCode": {"authorizationUrl": f"{node.base_url}/oauth/authorize",
                                      "tokenUrl": f"{node.base_url}/oauth/token",
                                      "scopes": {"read": "read", "write": "write", "follow": "follow",
                                                 "push": "push"}},
                "password": {"tokenUrl": f"{node.base_url}/oauth/token", "scopes": {}}}}},
        },
        "security": [{"OAuth2": []}, {}],
        "paths": dict(sorted(paths.items())),
    }


@routes.get("/api/openapi.json")
@endpoint()
async def openapi_document(request: web.Request) -> web.Response:
    """This OpenAPI document."""
    return web.json_response(build_document(request.app))
