"""An unmodified client library, Mastodon.py, registers an app, signs in, reads and follows over real HTTP.

Mastodon.py is synchronous, so it runs in a worker thread while the node serves on the test's event loop.
"""

from __future__ import annotations

import asyncio
import socket

from mastodon import Mastodon, MastodonUnauthorizedError
from support import create_user

from node.app import build_app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_mastodon_py_app_login_and_follow(aiohttp_client, make_config, node_of):
    # The node must know its own address: Mastodon.py follows the token_endpoint in the server metadata.
    port = free_port()
    config = make_config(node={"domain": f"127.0.0.1:{port}"})
    node_client = await aiohttp_client(build_app(config, scheduler=False), server_kwargs={"port": port})
    node = node_of(node_client)
    await create_user(node, "pat")
    target, _ = await create_user(node, "quin")
    base = str(node_client.make_url("/")).rstrip("/")

    def client_session() -> dict:
        client_id, client_secret = Mastodon.create_app("Mastodon.py test", api_base_url=base,
                                                       scopes=["read", "write", "follow"])
        api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base,
                       version_check_mode="none")
        api.log_in("pat@example.com", "correct horse battery", scopes=["read", "write", "follow"],
                   allow_http=True)
        me = api.account_verify_credentials()
        app = api.app_verify_credentials()
        relationship = api.account_follow(target.account.id)
        looked_up = api.account_lookup("quin")
        updated = api.account_update_credentials(display_name="Pat P", fields=[("Home", "Earth")])
        relationships = api.account_relationships([target.account.id])
        api.revoke_access_token(allow_http=True)
        try:
            api.account_verify_credentials()
            revoked = False
        except MastodonUnauthorizedError:
            revoked = True
        return {"revoked": revoked, "me": me, "app": app, "relationship": relationship, "looked_up": looked_up,
                "updated": updated, "relationships": relationships}

    result = await asyncio.to_thread(client_session)
    assert result["me"]["username"] == "pat"
    assert result["app"]["name"] == "Mastodon.py test"
    assert result["relationship"]["following"] is True
    assert str(result["looked_up"]["id"]) == str(target.account.id)
    assert result["updated"]["display_name"] == "Pat P"
    assert result["updated"]["fields"][0]["name"] == "Home"
    assert result["relationships"][0]["following"] is True
    assert result["revoked"] is True
