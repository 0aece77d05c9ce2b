"""OAuth 2 over real HTTP: app registration, the authorization-code flow with PKCE, password and client
credentials grants, revocation, scopes, and the RFC 8414 metadata."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

from support import bearer, create_user

from node.models import OAuthApp, OAuthCode, OAuthToken
from node.services import oauth

REDIRECT = "https://client.example/callback"
VERIFIER = "v" * 20 + "-._~" + "A1" * 12  # 48 unreserved characters


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


async def register(client, scopes: str = "read write follow push", redirect: object = REDIRECT) -> dict:
    response = await client.post("/api/v1/apps", json={"client_name": "Tester", "redirect_uris": redirect,
                                                       "scopes": scopes, "website": "https://client.example"})
    assert response.status == 200, await response.text()
    return await response.json()


async def make_code(node, app_json: dict, user, *, redirect: str = REDIRECT, scopes: str = "read write",
                    challenge: str = "", method: str = "") -> str:
    with node.db:
        app = await oauth.find_app(app_json["client_id"])
        return await oauth.create_authorization_code(app, user, redirect, scopes, challenge, method)


def exchange(app_json: dict, code: str, **extra: str) -> dict:
    return {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "client_id": app_json["client_id"], "client_secret": app_json["client_secret"], **extra}


async def test_register_app_returns_application_with_credentials(node_client):
    body = await register(node_client, redirect="urn:ietf:wg:oauth:2.0:oob\nhttps://client.example/cb")
    assert body["name"] == "Tester" and body["website"] == "https://client.example"
    assert body["scopes"] == ["read", "write", "follow", "push"]
    assert body["redirect_uris"] == ["urn:ietf:wg:oauth:2.0:oob", "https://client.example/cb"]
    assert body["redirect_uri"] == "urn:ietf:wg:oauth:2.0:oob\nhttps://client.example/cb"
    assert body["client_id"] and body["client_secret"] and body["client_secret_expires_at"] == 0
    instance = await (await node_client.get("/api/v2/instance")).json()
    assert body["vapid_key"] == instance["configuration"]["vapid"]["public_key"] != ""  # the node's Web Push key
    as_array = await register(node_client, redirect=[REDIRECT, "myapp://oauth"])
    assert as_array["redirect_uris"] == [REDIRECT, "myapp://oauth"]
    form = await node_client.post("/api/v1/apps", data={"client_name": "F", "redirect_uris": REDIRECT})
    assert (await form.json())["scopes"] == ["read"]


async def test_register_app_rejects_bad_input_without_rows(node_client, node_of):
    cases = [
        {"client_name": "x", "redirect_uris": "not a uri"},
        {"client_name": "x", "redirect_uris": "https://a.example/cb#frag"},
        {"client_name": "x", "redirect_uris": "javascript:alert(1)"},
        {"client_name": "", "redirect_uris": REDIRECT},
        {"client_name": "x"},
        {"client_name": "x", "redirect_uris": REDIRECT, "scopes": "read destroy:everything"},
        {"client_name": "x", "redirect_uris": REDIRECT, "website": "ftp://nope"},
    ]
    for payload in cases:
        response = await node_client.post("/api/v1/apps", json=payload)
        assert response.status == 422, payload
        assert "error" in await response.json()
    bad_json = await node_client.post("/api/v1/apps", data=b"{nope", headers={"Content-Type": "application/json"})
    assert bad_json.status == 400 and "error" in await bad_json.json()
    with node_of(node_client).db:
        assert await OAuthApp.all().count() == 0


async def test_authorization_code_flow_with_pkce_s256(node_client, node_of):
    node = node_of(node_client)
    user, _ = await create_user(node, "alice")
    app_json = await register(node_client)
    code = await make_code(node, app_json, user, challenge=s256(VERIFIER), method="S256")
    with node.db:
        assert await OAuthCode.filter(code_hash=code).count() == 0  # only the hash is stored
        assert await OAuthCode.all().count() == 1

    response = await node_client.post("/oauth/token", data=exchange(app_json, code, code_verifier=VERIFIER))
    assert response.status == 200, await response.text()
    assert response.headers["Cache-Control"] == "no-store"
    token = await response.json()
    assert token["token_type"] == "Bearer" and token["scope"] == "read write"
    assert isinstance(token["created_at"], int)

    me = await node_client.get("/api/v1/apps/verify_credentials", headers=bearer(token["access_token"]))
    assert me.status == 200
    assert (await me.json())["name"] == "Tester" and "client_secret" not in await me.json()

    again = await node_client.post("/oauth/token", data=exchange(app_json, code, code_verifier=VERIFIER))
    assert again.status == 400
    assert (await again.json())["error"] == "invalid_grant"


async def test_a_replayed_code_is_refused_and_revokes_the_token_it_gave(node_client, node_of):
    """RFC 6749 4.1.2: a code used twice may have been stolen, so the first exchange's token is revoked."""
    node = node_of(node_client)
    user, _ = await create_user(node, "replayed")
    app_json = await register(node_client)
    code = await make_code(node, app_json, user, challenge=s256(VERIFIER), method="S256")
    first = await node_client.post("/oauth/token", data=exchange(app_json, code, code_verifier=VERIFIER))
    assert first.status == 200, await first.text()
    token = (await first.json())["access_token"]
    assert (await node_client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))).status == 200

    replay = await node_client.post("/oauth/token", data=exchange(app_json, code, code_verifier=VERIFIER))
    assert replay.status == 400
    assert (await replay.json())["error"] == "invalid_grant"
    revoked = await node_client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
    assert revoked.status == 401
    again = await node_client.post("/oauth/token", data=exchange(app_json, code, code_verifier=VERIFIER))
    assert again.status == 400  # still refused, and nothing new issued
    with node.db:
        assert await OAuthToken.filter(user_id=user.id, app__client_id=app_json["client_id"]).count() == 1
        assert await OAuthToken.filter(user_id=user.id, revoked_at=None, app__client_id=app_json["client_id"]
                                       ).count() == 0


async def test_a_replay_with_a_wrong_verifier_still_revokes(node_client, node_of):
    """Whoever replays the code cannot know the verifier; the token must go all the same."""
    node = node_of(node_client)
    user, _ = await create_user(node, "stolen")
    app_json = await register(node_client)
    code = await make_code(node, app_json, user, challenge=s256(VERIFIER), method="S256")
    token = (await (await node_client.post("/oauth/token", data=exchange(app_json, code, code_verifier=VERIFIER))
                    ).json())["access_token"]
    replay = await node_client.post("/oauth/token", data=exchange(app_json, code, code_verifier="x" * 43))
    assert (replay.status, (await replay.json())["error"]) == (400, "invalid_grant")
    assert (await node_client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))).status == 401


async def test_authorization_code_plain_pkce_and_basic_auth(node_client, node_of):
    node = node_of(node_client)
    user, _ = await create_user(node, "bob")
    app_json = await register(node_client)
    code = await make_code(node, app_json, user, challenge=VERIFIER, method="plain")
    basic = base64.b64encode(f"{app_json['client_id']}:{app_json['client_secret']}".encode()).decode()
    response = await node_client.post("/oauth/token", headers={"Authorization": f"Basic {basic}"}, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": VERIFIER})
    assert response.status == 200, await response.text()


async def test_authorization_code_failures(node_client, node_of):
    node = node_of(node_client)
    user, _ = await create_user(node, "carol")
    app_json = await register(node_client)
    other_app = await register(node_client)
    challenge = s256(VERIFIER)

    async def attempt(data: dict) -> tuple[int, dict]:
        response = await node_client.post("/oauth/token", data=data)
        return response.status, await response.json()

    code = await make_code(node, app_json, user, challenge=challenge, method="S256")
    assert await attempt(exchange(app_json, code, code_verifier="w" * 43)) == (400, {
        "error": "invalid_grant", "error_description": oauth._DESCRIPTIONS["invalid_grant"]})
    status, body = await attempt(exchange(app_json, code))  # verifier missing
    assert (status, body["error"]) == (400, "invalid_grant")
    status, body = await attempt(exchange(app_json, code, code_verifier=VERIFIER,
                                          redirect_uri="https://client.example/other"))
    assert (status, body["error"]) == (400, "invalid_grant")
    status, body = await attempt(exchange(app_json, code, code_verifier=VERIFIER, client_secret="wrong"))
    assert (status, body["error"]) == (401, "invalid_client")
    status, body = await attempt(exchange(other_app, code, code_verifier=VERIFIER))  # another client's code
    assert (status, body["error"]) == (400, "invalid_grant")
    # None of those failures used the code up.
    status, body = await attempt(exchange(app_json, code, code_verifier=VERIFIER))
    assert status == 200, body

    expired = await make_code(node, app_json, user)
    with node.db:
        await OAuthCode.all().update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    status, body = await attempt(exchange(app_json, expired))
    assert (status, body["error"]) == (400, "invalid_grant")

    status, body = await attempt({"grant_type": "authorization_code", "code": "x", "redirect_uri": REDIRECT,
                                  "client_id": "nobody", "client_secret": "nothing"})
    assert (status, body["error"]) == (401, "invalid_client")
    status, body = await attempt({**exchange(app_json, "x"), "grant_type": "implicit"})
    assert (status, body["error"]) == (400, "unsupported_grant_type")
    status, body = await attempt({k: v for k, v in exchange(app_json, "x").items() if k != "grant_type"})
    assert (status, body["error"]) == (400, "invalid_request")
    response = await node_client.post("/oauth/token", data=b"{", headers={"Content-Type": "application/json"})
    assert response.status == 400 and (await response.json())["error"] == "invalid_request"
    with node.db:
        assert await OAuthToken.filter(app__client_id=app_json["client_id"]).count() == 1


async def test_authorize_request_validation_for_the_web_ui(node_client, node_of):
    node = node_of(node_client)
    app_json = await register(node_client, scopes="read write")
    with node.db:
        app = await oauth.find_app(app_json["client_id"])
        assert oauth.check_authorize_request(app, REDIRECT, "read", "code", "", "") == "read"
        assert oauth.check_authorize_request(app, REDIRECT, "", "code", "", "") == "read"
        assert oauth.check_authorize_request(app, REDIRECT, "read:statuses+write", "code", "", "") == \
            "read:statuses write"
        bad = [
            (REDIRECT, "read", "token", "", ""),
            ("https://evil.example/cb", "read", "code", "", ""),
            (REDIRECT, "follow", "code", "", ""),
            (REDIRECT, "read nonsense", "code", "", ""),
            (REDIRECT, "read", "code", "short", "S256"),
            (REDIRECT, "read", "code", s256(VERIFIER), "S512"),
            (REDIRECT, "read", "code", "", "S256"),
        ]
        for args in bad:
            try:
                oauth.check_authorize_request(app, *args)
            except oauth.ValidationFailed as exc:
                assert exc.message
            else:
                raise AssertionError(f"accepted {args}")
        try:
            await oauth.find_app("missing")
        except oauth.NotFound:
            pass
        else:
            raise AssertionError("unknown client_id accepted")


async def test_password_grant_by_email_and_username(node_client, node_of):
    node = node_of(node_client)
    await create_user(node, "dana")
    app_json = await register(node_client, scopes="read write")
    creds = {"grant_type": "password", "client_id": app_json["client_id"],
             "client_secret": app_json["client_secret"]}
    for login in ("dana@example.com", "DANA@example.com", "dana"):
        response = await node_client.post("/oauth/token", data={**creds, "username": login,
                                                                "password": "correct horse battery",
                                                                "scope": "read write"})
        assert response.status == 200, await response.text()
        token = (await response.json())["access_token"]
        me = await node_client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
        assert (await me.json())["username"] == "dana"
    wrong = await node_client.post("/oauth/token", data={**creds, "username": "dana", "password": "nope nope"})
    assert wrong.status == 400 and (await wrong.json())["error"] == "invalid_grant"
    too_much = await node_client.post("/oauth/token", data={**creds, "username": "dana",
                                                            "password": "correct horse battery",
                                                            "scope": "read write follow"})
    assert too_much.status == 400 and (await too_much.json())["error"] == "invalid_scope"
    default = await node_client.post("/oauth/token", data={**creds, "username": "dana",
                                                           "password": "correct horse battery"})
    assert (await default.json())["scope"] == "read"


async def test_client_credentials_token_is_app_only(node_client):
    app_json = await register(node_client)
    response = await node_client.post("/oauth/token", json={
        "grant_type": "client_credentials", "client_id": app_json["client_id"],
        "client_secret": app_json["client_secret"], "scope": "read write"})
    assert response.status == 200
    token = (await response.json())["access_token"]
    app = await node_client.get("/api/v1/apps/verify_credentials", headers=bearer(token))
    assert app.status == 200 and (await app.json())["name"] == "Tester"
    me = await node_client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
    assert me.status in (401, 422) and "error" in await me.json()


async def test_revocation(node_client, node_of):
    node = node_of(node_client)
    await create_user(node, "erin")
    app_json = await register(node_client)
    other = await register(node_client)
    creds = {"client_id": app_json["client_id"], "client_secret": app_json["client_secret"]}
    response = await node_client.post("/oauth/token", data={
        "grant_type": "password", "username": "erin", "password": "correct horse battery", **creds})
    token = (await response.json())["access_token"]
    assert (await node_client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))).status == 200

    refused = await node_client.post("/oauth/revoke", data={
        "token": token, "client_id": other["client_id"], "client_secret": other["client_secret"]})
    assert refused.status == 403 and (await refused.json())["error"] == "unauthorized_client"
    assert (await node_client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))).status == 200

    revoked = await node_client.post("/oauth/revoke", data={"token": token, **creds})
    assert revoked.status == 200 and await revoked.json() == {}
    after = await node_client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
    assert after.status == 401 and (await after.json())["error"] == "The access token is invalid"
    unknown = await node_client.post("/oauth/revoke", data={"token": "no-such-token", **creds})
    assert unknown.status == 200 and await unknown.json() == {}
    twice = await node_client.post("/oauth/revoke", data={"token": token, **creds})
    assert twice.status == 200


async def test_read_only_token_cannot_post(node_client, node_of):
    node = node_of(node_client)
    await create_user(node, "fay")
    _, target_token = await create_user(node, "gus")
    app_json = await register(node_client)
    response = await node_client.post("/oauth/token", data={
        "grant_type": "password", "username": "fay", "password": "correct horse battery", "scope": "read",
        "client_id": app_json["client_id"], "client_secret": app_json["client_secret"]})
    token = (await response.json())["access_token"]
    gus = await (await node_client.get("/api/v1/accounts/verify_credentials",
                                       headers=bearer(target_token))).json()
    follow = await node_client.post(f"/api/v1/accounts/{gus['id']}/follow", headers=bearer(token))
    assert follow.status == 403
    assert "outside the authorized scopes" in (await follow.json())["error"]
    update = await node_client.patch("/api/v1/accounts/update_credentials", headers=bearer(token),
                                     data={"display_name": "x"})
    assert update.status == 403


async def test_authorization_server_metadata(node_client):
    response = await node_client.get("/.well-known/oauth-authorization-server")
    assert response.status == 200
    body = await response.json()
    assert body["issuer"] == "http://localhost/"
    assert body["token_endpoint"] == "http://localhost/oauth/token"
    assert body["authorization_endpoint"] == "http://localhost/oauth/authorize"
    assert body["revocation_endpoint"] == "http://localhost/oauth/revoke"
    assert body["app_registration_endpoint"] == "http://localhost/api/v1/apps"
    assert body["response_types_supported"] == ["code"]
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert {"authorization_code", "password", "client_credentials"} <= set(body["grant_types_supported"])
    assert {"read", "write", "follow", "push", "read:statuses", "admin:read"} <= set(body["scopes_supported"])
    assert body["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "client_secret_post"]
