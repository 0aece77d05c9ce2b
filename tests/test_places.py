"""Places: adding, finding by name and near a point, tagging a status with one, and bad input."""

from __future__ import annotations

import pytest
from support import bearer, create_user

from node.models import Place, Status, StatusPlace

pytestmark = pytest.mark.search_backends  # with each backend on the PostgreSQL run


async def test_create_find_and_tag_a_status(node_client, node_of) -> None:
    node = node_of(node_client)
    _, token = await create_user(node, "alice")
    response = await node_client.post("/api/v1/places", json={"name": "Blue Bottle Coffee", "locality": "Oakland",
                                                              "country": "US", "lat": 37.8, "lon": -122.27},
                                      headers=bearer(token))
    assert response.status == 200
    place = await response.json()
    assert place["name"] == "Blue Bottle Coffee" and place["popularity"] == 0
    again = await node_client.post("/api/v1/places", json={"name": "Blue Bottle Coffee", "lat": 37.8, "lon": -122.27},
                                   headers=bearer(token))
    assert (await again.json())["id"] == place["id"]  # the same place, not a duplicate

    response = await node_client.post("/api/v1/statuses", json={"status": "flat white", "place_id": place["id"]},
                                      headers=bearer(token))
    status = await response.json()
    assert status["place"]["id"] == place["id"]
    response = await node_client.get(f"/api/v1/statuses/{status['id']}")
    assert (await response.json())["place"]["name"] == "Blue Bottle Coffee"
    plain = await node_client.post("/api/v1/statuses", json={"status": "no place"}, headers=bearer(token))
    assert (await plain.json())["place"] is None

    form = await node_client.post("/api/v1/statuses", data={"status": "new spot", "location[name]": "Lake Merritt",
                                                            "location[lat]": "37.80", "location[lon]": "-122.26"},
                                  headers=bearer(token))
    assert form.status == 200
    assert (await form.json())["place"]["name"] == "Lake Merritt"
    await node.search.drain()

    response = await node_client.get("/api/v1/places", params={"q": "blue"})
    found = await response.json()
    assert [p["name"] for p in found] == ["Blue Bottle Coffee"] and found[0]["popularity"] == 1
    response = await node_client.get("/api/v1/places", params={"q": "lake mer"})
    assert [p["name"] for p in await response.json()] == ["Lake Merritt"]
    response = await node_client.get("/api/v1/places", params={"lat": 37.8, "lon": -122.27, "radius_km": 5})
    assert {p["name"] for p in await response.json()} == {"Blue Bottle Coffee", "Lake Merritt"}
    response = await node_client.get("/api/v1/places", params={"lat": 48.85, "lon": 2.35, "radius_km": 5})
    assert await response.json() == []
    response = await node_client.get(f"/api/v1/places/{place['id']}")
    assert (await response.json())["name"] == "Blue Bottle Coffee"


async def test_bad_places_and_bad_locations_leave_nothing(node_client, node_of) -> None:
    node = node_of(node_client)
    _, token = await create_user(node, "alice")
    bad_places = [
        ({"lat": 1, "lon": 1}, "Name"),
        ({"name": "x", "lat": 91, "lon": 0}, "Latitude"),
        ({"name": "x", "lat": 0, "lon": 181}, "Longitude"),
        ({"name": "x", "lat": "north", "lon": 0}, "Latitude"),
        ({"name": "x", "lat": "nan", "lon": 0}, "Latitude"),
        ({"name": "x" * 201, "lat": 0, "lon": 0}, "name"),
    ]
    for body, message in bad_places:
        response = await node_client.post("/api/v1/places", json=body, headers=bearer(token))
        assert response.status == 422, body
        assert message in (await response.json())["error"], body
    response = await node_client.post("/api/v1/places", json={"name": "x", "lat": 0, "lon": 0})
    assert response.status == 401

    bad_posts = [
        {"status": "hi", "place_id": "123456"},
        {"status": "hi", "place_id": "abc"},
        {"status": "hi", "location": {"name": "Somewhere", "lat": 100, "lon": 0}},
        {"status": "hi", "location": {"lat": 1, "lon": 1}},
        {"status": "hi", "location": "here"},
    ]
    for body in bad_posts:
        response = await node_client.post("/api/v1/statuses", json=body, headers=bearer(token))
        assert response.status == 422, body
        assert "error" in await response.json()
    for params in ({}, {"lat": "x", "lon": "1"}, {"q": "x" * 101}):
        response = await node_client.get("/api/v1/places", params=params)
        assert response.status == 422, params
    response = await node_client.get("/api/v1/places/999")
    assert response.status == 404 and (await response.json())["error"] == "Record not found"
    with node.db:
        assert await Place.all().count() == 0
        assert await Status.all().count() == 0
        assert await StatusPlace.all().count() == 0
