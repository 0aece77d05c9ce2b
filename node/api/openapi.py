"""The OpenAPI 3.1 document at /api/openapi.json, built from the live router so it lists every route.

Each handler's docstring supplies the summary (first line) and description (the rest); path parameters
come from the route pattern. docs/api.md is the prose guide to the same routes.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from aiohttp import web

from ..services.instance import VERSION
from .keys import NODE

routes = web.RouteTableDef()
_PARAM = re.compile(r"\{(\w+)(?::[^}]*)?\}")
DOCUMENTED_PREFIXES = ("/api/", "/oauth/", "/.well-known/", "/nodeinfo", "/users/", "/inbox")


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


def build_document(app: web.Application) -> dict[str, Any]:
    node = app[NODE]
    paths: dict[str, dict[str, Any]] = {}
    for method, path, handler in api_routes(app):
        doc = inspect.getdoc(handler) or ""
        summary, _, description = doc.partition("\n")
        openapi_path = _PARAM.sub(r"{\1}", path)
        operation: dict[str, Any] = {
            "summary": summary.strip() or f"{method} {openapi_path}",
            "tags": [_tag(path)],
            "operationId": f"{method.lower()}_{handler.__module__.rsplit('.', 1)[-1]}_{handler.__name__}",
            "responses": {
                "200": {"description": "Success (the Mastodon entity or list named in the summary)"},
                "4XX": {"description": "Client error", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Error"}}}},
            },
        }
        if description.strip():
            operation["description"] = description.strip()
        parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                      for name in _PARAM.findall(path)]
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
async def openapi_document(request: web.Request) -> web.Response:
    """This OpenAPI document."""
    return web.json_response(build_document(request.app))
