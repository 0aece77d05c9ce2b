"""Places: adding them, finding them, and tagging a status with one (an existing place by id, or a new
one from `location[name]`, `location[lat]`, `location[lon]` given with the post)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import F

from ..errors import NotFound, ValidationFailed
from ..models import Account, Place, Status, StatusPlace, row_id
from ..runtime import Node


@dataclass
class PlaceSpec:
    name: str | None = None
    locality: str = ""
    country: str = ""
    lat: Any = None
    lon: Any = None


def _coordinate(value: Any, name: str, bound: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationFailed(f"Validation failed: {name} must be a number") from None
    if not math.isfinite(number) or not -bound <= number <= bound:
        raise ValidationFailed(f"Validation failed: {name} must be between {-bound:g} and {bound:g}")
    return number


def check_point(lat: Any, lon: Any) -> tuple[float, float]:
    return _coordinate(lat, "Latitude", 90), _coordinate(lon, "Longitude", 180)


def _checked(spec: PlaceSpec) -> dict[str, Any]:
    name = (spec.name or "").strip()
    if not name:
        raise ValidationFailed("Validation failed: Name can't be blank")
    if len(name) > 200 or len(spec.locality) > 200 or len(spec.country) > 100:
        raise ValidationFailed("Validation failed: Name, locality or country is too long")
    lat, lon = check_point(spec.lat, spec.lon)
    return {"name": name, "locality": spec.locality.strip(), "country": spec.country.strip(), "lat": lat, "lon": lon}


async def create_place(node: Node, account: Account | None, spec: PlaceSpec) -> Place:
    """A new place (the same name at the same point is the same place: returned, not duplicated)."""
    values = _checked(spec)
    existing = await Place.filter(name=values["name"], lat=values["lat"], lon=values["lon"]).first()
    if existing is not None:
        return existing
    place = await Place.create(account_id=account.id if account else None, **values)
    await node.bus.publish("place.created", place=place)
    return place


async def get_place(place_id: Any) -> Place:
    key = row_id(place_id)
    place = await Place.filter(id=key).first()
    if place is None:
        raise NotFound()
    return place


async def place_for_post(node: Node, account: Account, place_id: Any, location: Any) -> Place | None:
    """The place a new status is tagged with: by `place_id`, or made from the `location[...]` mapping.
    Checked before the status is written, so a bad place leaves no status behind."""
    if place_id not in (None, ""):
        try:
            return await get_place(place_id)
        except NotFound:
            raise ValidationFailed("Validation failed: Place does not exist") from None
    if location in (None, "", {}):
        return None
    if not isinstance(location, Mapping):
        raise ValidationFailed("Validation failed: location must have name, lat and lon")
    spec = PlaceSpec(name=_text(location.get("name")), locality=_text(location.get("locality")),
                     country=_text(location.get("country")), lat=location.get("lat"), lon=location.get("lon"))
    return await create_place(node, account, spec)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


async def link(status: Status, place: Place) -> None:
    """Tag the status with the place (inside the caller's transaction) and count it for the place."""
    await StatusPlace.create(status_id=status.id, place_id=place.id)
    await Place.filter(id=place.id).update(popularity=F("popularity") + 1)


async def places_of(status_ids: Sequence[int]) -> dict[int, Place]:
    """The place of each of these statuses that has one, in one query."""
    if not status_ids:
        return {}
    return {link.status_id: link.place for link in  # type: ignore[attr-defined]
            await StatusPlace.filter(status_id__in=list(status_ids)).select_related("place")}


async def places_in_order(ids: Sequence[int]) -> list[Place]:
    found = {p.id: p for p in await Place.filter(id__in=list(ids))}
    return [found[i] for i in ids if i in found]
