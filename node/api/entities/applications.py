"""Application entity: an OAuth client app as Mastodon 4.3 shows it."""

from __future__ import annotations

from typing import Any

from ...models import OAuthApp
from ...services.oauth import app_redirect_uris, split_scopes


def application_entity(app: OAuthApp, *, credentials: bool = False, vapid_key: str = "") -> dict[str, Any]:
    """With `credentials` (only in the answer to POST /api/v1/apps), the client id and secret too."""
    uris = app_redirect_uris(app)
    entity: dict[str, Any] = {
        "id": str(app.id),
        "name": app.name,
        "website": app.website,
        "scopes": split_scopes(app.scopes),
        "redirect_uri": "\n".join(uris),
        "redirect_uris": uris,
        "vapid_key": vapid_key,  # the node's VAPID public key, as Mastodon answers
    }
    if credentials:
        entity.update(client_id=app.client_id, client_secret=app.client_secret, client_secret_expires_at=0)
    return entity
