"""A loopback server that speaks Pixelfed's story protocol and nothing else of it: NodeInfo naming the
software `pixelfed`, an actor with a real RSA key, stories served only to `Authorization: Bearer <token>`,
their media, an inbox that keeps what it is sent (signature checked), and signed `Add` (with a bearcap
URL), `Delete`, `Accept` sent as Pixelfed shapes them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from aiohttp import web

from federation.as2 import build_person
from federation.client import FederationClient
from federation.hostmap import StaticHostResolver
from federation.signatures import SignatureVerifier, SigningKey

AS = "https://www.w3.org/ns/activitystreams"


@dataclass
class PixelfedPeer:
    resolver: StaticHostResolver
    host: str
    private_pem: str
    public_pem: str
    media: bytes
    token: str = "pixelfed-bearer-token-0123456789"
    inbox: list[dict[str, Any]] = field(default_factory=list)
    fetches: list[tuple[str, str]] = field(default_factory=list)  # (path, Authorization)

    @property
    def base(self) -> str:
        return f"http://{self.host}"

    def actor(self, name: str) -> str:
        return f"{self.base}/users/{name}"

    def story_url(self, number: int) -> str:
        return f"{self.base}/stories/pixie/{number}"

    def story(self, number: int, *, now: datetime) -> dict[str, Any]:
        """The document Pixelfed's bearer fetch answers."""
        actor = self.actor("pixie")
        return {"@context": AS, "id": self.story_url(number), "type": "Story", "to": [f"{actor}/followers"], "cc": [],
                "attributedTo": actor, "published": now.isoformat().replace("+00:00", "Z"),
                "expiresAt": (now + timedelta(hours=24)).isoformat().replace("+00:00", "Z"), "duration": 3,
                "can_reply": True, "can_react": True,
                "attachment": {"type": "Image", "url": f"{self.base}/storage/stories/{number}.png",
                               "mediaType": "image/png"}}

    def app(self) -> web.Application:
        verifier = SignatureVerifier(self._key_of)

        async def nodeinfo_links(_: web.Request) -> web.Response:
            return web.json_response({"links": [{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
                                                 "href": f"{self.base}/api/nodeinfo/2.0.json"}]})

        async def nodeinfo(_: web.Request) -> web.Response:
            return web.json_response({"version": "2.0", "software": {"name": "pixelfed", "version": "0.12.4"},
                                      "protocols": ["activitypub"], "usage": {"users": {"total": 1}},
                                      "openRegistrations": False, "services": {"inbound": [], "outbound": []},
                                      "metadata": {}})

        async def person(request: web.Request) -> web.Response:
            uri = self.actor(request.match_info["name"])
            doc = build_person(uri, request.match_info["name"], self.public_pem, shared_inbox=f"{self.base}/f/inbox")
            return web.json_response(doc, content_type="application/activity+json")

        async def story(request: web.Request) -> web.Response:
            self.fetches.append((request.path, request.headers.get("Authorization", "")))
            if request.headers.get("Authorization") != f"Bearer {self.token}":
                return web.json_response({"error": "forbidden"}, status=403)
            return web.json_response(self.story(int(request.match_info["number"]), now=datetime.now(UTC)),
                                     content_type="application/activity+json")

        async def media(_: web.Request) -> web.Response:
            return web.Response(body=self.media, content_type="image/png")

        async def receive(request: web.Request) -> web.Response:
            body = await request.read()
            verified = await verifier.verify_request(request, body, scheme="http")
            doc = json.loads(body)
            verified.require_actor(doc["actor"])
            self.inbox.append(doc)
            return web.Response(status=202)

        app = web.Application()
        app.router.add_get("/.well-known/nodeinfo", nodeinfo_links)
        app.router.add_get("/api/nodeinfo/2.0.json", nodeinfo)
        app.router.add_get("/users/{name}", person)
        app.router.add_get("/stories/pixie/{number}", story)
        app.router.add_get("/storage/stories/{file}", media)
        app.router.add_post("/f/inbox", receive)
        app.router.add_post("/users/{name}/inbox", receive)
        return app

    async def _key_of(self, key_id: str, refresh: bool) -> Any:
        """The peer checks our signatures by fetching the signer's actor, as Pixelfed does."""
        from federation.signatures import PublicKeyInfo

        async with FederationClient(allow_private_addresses=True, resolver=self.resolver) as client:
            actor = await client.get_activity(key_id.split("#")[0])
        key = actor["publicKey"]
        return PublicKeyInfo(owner=key["owner"], public_key=key["publicKeyPem"], key_id=key["id"])

    async def send(self, inbox: str, activity: dict[str, Any]) -> int:
        key = SigningKey.from_pem(f"{activity['actor']}#main-key", self.private_pem)
        async with FederationClient(allow_private_addresses=True, resolver=self.resolver) as client:
            response = await client.request("POST", inbox, body=json.dumps(activity).encode(), sign_with=key,
                                            headers={"Content-Type": 'application/ld+json; profile="' + AS + '"'})
            return response.status

    def add_story(self, number: int) -> dict[str, Any]:
        """Pixelfed's CreateStory: an Add whose object carries a bearcap URL, addressed to followers."""
        actor = self.actor("pixie")
        capability = f"bear:?t={quote(self.token, safe='')}&u={quote(self.story_url(number), safe='')}"
        return {"@context": AS, "id": f"{self.story_url(number)}/activity", "type": "Add", "actor": actor,
                "to": [f"{actor}/followers"],
                "object": {"id": self.story_url(number), "type": "Story", "object": capability}}

    def delete_story(self, number: int) -> dict[str, Any]:
        return {"@context": AS, "id": f"{self.story_url(number)}#delete", "type": "Delete",
                "actor": self.actor("pixie"), "object": {"id": self.story_url(number), "type": "Story"}}
