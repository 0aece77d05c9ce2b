"""The Place entity (our extension): a named point on the map that statuses can be tagged with."""

from __future__ import annotations

from typing import Any

from ...models import Place


def place_entity(place: Place) -> dict[str, Any]:
    return {
        "id": str(place.id),
        "name": place.name,
        "locality": place.locality,
        "country": place.country,
        "lat": place.lat,
        "lon": place.lon,
        "popularity": place.popularity,
    }
