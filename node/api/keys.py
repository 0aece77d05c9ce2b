"""Typed keys for what the aiohttp Application carries."""

from __future__ import annotations

from aiohttp import web

from ..runtime import Node

NODE = web.AppKey("node", Node)
