"""The renderings a node shares between viewers (issue 18): a status's text, media, mentions, tags, card and
place, and an account's profile, are rendered once and reused while what they were made from is unchanged
(node/api/entities/common.py). They must never carry one viewer's view to another (favourites, reblogs,
bookmarks, pins, poll votes, the app a post came from, filters), never show what a viewer may not see
(visibility, blocks, mutes, suspensions), and everything that changes must show on the very next request:
edits, counters, profiles, media descriptions and fetched files, cards, custom emoji, an admin's sensitive
mark. Each test also checks that the shared renderings were in fact reused, so it exercises that path."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fixtures.social import call, follow, png_bytes, post, relate, upload, user
from support import create_user

from node.api.entities.common import Renderings, renderings
from node.models import Account, MediaAttachment, PreviewCard, StatusCard
from node.services import auth, emoji, oauth


async def status_of(client: Any, status_id: str, token: str | None) -> dict[str, Any]:
    code, body = await call(client, "GET", f"/api/v1/statuses/{status_id}", token)
    assert code == 200, body
    return body


async def listed(client: Any, path: str, token: str | None) -> list[dict[str, Any]]:
    code, body = await call(client, "GET", path, token)
    assert code == 200, body
    return body


def flags(entity: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(entity.get(k) for k in ("favourited", "reblogged", "bookmarked", "pinned"))


def test_renderings_compare_inputs_by_value_and_forget_the_least_recently_used():
    kept = Renderings(2)
    kept.put(1, ("a", [1]), "one")
    kept.put(2, ("b", []), "two")
    assert kept.get(1, ("a", [1])) == "one"  # equal, not the same object
    assert kept.get(1, ("a", [2])) is None  # made from something else: not reused
    kept.put(3, ("c",), "three")  # 2 was used least recently
    assert kept.get(2, ("b", [])) is None and kept.get(1, ("a", [1])) == "one" and kept.get(3, ("c",)) == "three"


async def test_no_viewer_sees_another_viewers_flags_or_what_they_may_not_see(node_client, node_of):
    node = node_of(node_client)
    alice_id, alice = await user(node, "alice")
    bob_id, _ = await user(node, "bob")
    carol_id, carol = await user(node, "carol")
    with node.bound():  # bob posts through a named app: only bob is shown it
        app = await oauth.register_app("Bob's App", "urn:ietf:wg:oauth:2.0:oob", "read write", "https://app.test")
        bob_user = await Account.get(id=int(bob_id)).prefetch_related("user")
        bob = await auth.issue_token(bob_user.user, app, "read write follow")  # type: ignore[attr-defined]
    await follow(node_client, alice, bob_id)
    public = await post(node_client, bob, "tea time #tea")
    private = await post(node_client, bob, "followers only tea", visibility="private")
    for action in ("favourite", "bookmark", "reblog"):
        assert (await call(node_client, "POST", f"/api/v1/statuses/{public['id']}/{action}", alice))[0] == 200
    assert (await call(node_client, "POST", f"/api/v1/statuses/{public['id']}/pin", bob))[0] == 200
    kept = renderings(node, "status", 1)
    before = kept.hits

    for _ in range(2):  # the second round reads the kept renderings
        assert flags(await status_of(node_client, public["id"], alice)) == (True, True, True, False)
        assert flags(await status_of(node_client, public["id"], carol)) == (False, False, False, False)
        assert flags(await status_of(node_client, public["id"], bob)) == (False, False, False, True)
        signed_out = await status_of(node_client, public["id"], None)
        assert "favourited" not in signed_out and signed_out["application"] is None
        assert (await status_of(node_client, public["id"], bob))["application"]["name"] == "Bob's App"
        assert (await status_of(node_client, public["id"], carol))["application"] is None
        home = await listed(node_client, "/api/v1/timelines/home", alice)
        assert [s["id"] for s in home][:3] == [home[0]["id"], private["id"], public["id"]]  # her reblog first
        assert home[0]["reblog"]["id"] == public["id"] and home[0]["reblog"]["favourited"] is True
        assert (await status_of(node_client, private["id"], alice))["content"] == "<p>followers only tea</p>"
        assert (await call(node_client, "GET", f"/api/v1/statuses/{private['id']}", carol))[0] == 404
        assert (await call(node_client, "GET", f"/api/v1/statuses/{private['id']}", None))[0] == 404
        carols_view = await listed(node_client, f"/api/v1/accounts/{bob_id}/statuses", carol)
        assert private["id"] not in [s["id"] for s in carols_view]
        assert all(not s["favourited"] and not s["bookmarked"] for s in carols_view)
    assert kept.hits > before

    # a warn filter is carol's alone; a hide filter drops the status for her only
    code, made = await call(node_client, "POST", "/api/v2/filters", carol, json={
        "title": "No tea", "context": ["public", "home", "account"], "filter_action": "warn",
        "keywords_attributes": [{"keyword": "tea", "whole_word": True}]})
    assert code == 200, made
    tagged = "/api/v1/timelines/tag/tea"
    for _ in range(2):
        assert (await listed(node_client, tagged, carol))[0]["filtered"][0]["filter"]["title"] == "No tea"
        assert (await listed(node_client, tagged, alice))[0]["filtered"] == []
        assert (await listed(node_client, tagged, None))[0]["filtered"] == []
    code, _ = await call(node_client, "PUT", f"/api/v2/filters/{made['id']}", carol, json={"filter_action": "hide"})
    assert code == 200
    assert await listed(node_client, tagged, carol) == []
    assert [s["id"] for s in await listed(node_client, tagged, alice)] == [public["id"]]

    # blocks and mutes count on the next request, whatever was rendered before
    await relate(node_client, alice, bob_id, "mute")
    assert [s for s in await listed(node_client, "/api/v1/timelines/home", alice)
            if s["account"]["id"] == bob_id or (s["reblog"] or {}).get("account", {}).get("id") == bob_id] == []
    assert [s["id"] for s in await listed(node_client, tagged, None)] == [public["id"]]
    await relate(node_client, bob, alice_id, "block")
    assert (await call(node_client, "GET", f"/api/v1/statuses/{private['id']}", alice))[0] == 404
    assert (await call(node_client, "GET", f"/api/v1/statuses/{public['id']}", alice))[0] == 404
    assert (await status_of(node_client, public["id"], carol))["id"] == public["id"]
    with node.bound():  # an admin suspends bob: nothing of his anywhere
        await Account.filter(id=int(bob_id)).update(suspended_at=datetime.now(UTC))
    assert (await call(node_client, "GET", f"/api/v1/statuses/{public['id']}", carol))[0] == 404
    assert await listed(node_client, tagged, None) == []
    assert carol_id


async def test_what_changes_shows_on_the_next_request(node_client, node_of):
    node = node_of(node_client)
    alice_id, alice = await user(node, "alice")
    _, carol = await user(node, "carol")
    code, media = await upload(node_client, alice, png_bytes(), "a.png", "image/png", description="first words")
    assert code == 200, media
    made = await post(node_client, alice, "a link https://example.test/page and :blobcat:", media_ids=[media["id"]],
                      poll=None)
    polled = await post(node_client, alice, "pick one", poll={"options": ["tea", "coffee"], "expires_in": 3600})
    path = f"/api/v1/statuses/{made['id']}"
    kept = renderings(node, "status", 1)

    async def seen(token: str | None = carol) -> dict[str, Any]:
        """The status as the next request shows it, read twice: the second read reuses what the first kept."""
        first = await status_of(node_client, made["id"], token)
        hits = kept.hits
        again = await status_of(node_client, made["id"], token)
        assert kept.hits > hits and again == first
        return again

    shown = await seen()
    assert shown["media_attachments"][0]["description"] == "first words" and shown["card"] is None
    assert shown["emojis"] == [] and shown["sensitive"] is False and shown["favourites_count"] == 0

    code, _ = await call(node_client, "PUT", f"/api/v1/media/{media['id']}", alice, json={"description": "new words"})
    assert code == 200
    assert (await seen())["media_attachments"][0]["description"] == "new words"

    with node.bound():  # a file fetched (or pruned) behind the status's back changes its URL
        await MediaAttachment.filter(id=int(media["id"])).update(file_path="elsewhere/b.png")
    assert (await seen())["media_attachments"][0]["url"].endswith("/elsewhere/b.png")

    code, edited = await call(node_client, "PUT", path, alice, json={"status": "edited words :blobcat:",
                                                                    "media_ids": [media["id"]]})
    assert code == 200, edited
    shown = await seen()
    assert shown["content"] == "<p>edited words :blobcat:</p>" and shown["edited_at"] is not None

    assert (await call(node_client, "POST", f"{path}/favourite", carol))[0] == 200
    shown = await seen()
    assert shown["favourites_count"] == 1 and shown["favourited"] is True
    assert (await seen(alice))["favourited"] is False

    code, _ = await call(node_client, "PATCH", "/api/v1/accounts/update_credentials", alice,
                         data={"display_name": "Alice Renamed"})
    assert code == 200
    shown = await seen()
    assert shown["account"]["display_name"] == "Alice Renamed" and shown["account"]["statuses_count"] == 2

    with node.bound():  # the link's card arrives after posting (it waits for its fetch until then)
        card, _ = await PreviewCard.get_or_create(url="https://example.test/page")
        await PreviewCard.filter(id=card.id).update(state="fetched", title="The page")
        await StatusCard.get_or_create(status_id=int(made["id"]), defaults={"card": card})
    assert (await seen())["card"]["title"] == "The page"
    with node.bound():
        await PreviewCard.filter(id=card.id).update(title="The page, retitled")
    assert (await seen())["card"]["title"] == "The page, retitled"

    with node.bound():  # an emoji added later shows, and goes once removed
        await emoji.add_local(node, "blobcat", png_bytes())
    assert [e["shortcode"] for e in (await seen())["emojis"]] == ["blobcat"]
    with node.bound():
        await emoji.remove_local(node, "blobcat")
    assert (await seen())["emojis"] == []

    with node.bound():  # an admin marks alice's media sensitive
        await Account.filter(id=int(alice_id)).update(sensitized_at=datetime.now(UTC))
    assert (await seen())["sensitive"] is True

    # a poll: counts for everyone, the vote only for the voter
    poll_id = polled["poll"]["id"]
    assert (await call(node_client, "POST", f"/api/v1/polls/{poll_id}/votes", carol, json={"choices": [1]}))[0] == 200
    _, dave = await create_user(node, "dave")
    for _ in range(2):
        carols = (await status_of(node_client, polled["id"], carol))["poll"]
        daves = (await status_of(node_client, polled["id"], dave))["poll"]
        assert carols["voted"] is True and carols["own_votes"] == [1] and carols["votes_count"] == 1
        assert daves["voted"] is False and daves["own_votes"] == [] and daves["options"][1]["votes_count"] == 1

    code, _ = await call(node_client, "DELETE", path, alice)
    assert code == 200
    assert (await call(node_client, "GET", path, carol))[0] == 404
