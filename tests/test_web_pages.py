"""Pages render the node's real data (through the same services and entities as the API), and the no-JS
forms behind like/share/save/delete/follow/compose work and redirect back."""

from __future__ import annotations

import asyncio
import io
import re

from PIL import Image
from support import bearer, create_user
from websupport import sign_in

from node.models import Account, Bookmark, Favourite, Follow, MediaAttachment, Status
from node.services import interactions, statuses


def png(color: str = "orange") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buffer, "PNG")
    return buffer.getvalue()


async def post(node, user, text: str, **draft) -> Status:
    with node.db:
        return await statuses.create_status(node, user.account, statuses.Draft(text=text, **draft))


async def test_landing_page_shows_node_and_local_public_posts(node_client, node_of):
    node = node_of(node_client)
    alice, _ = await create_user(node, "alice")
    await post(node, alice, "Hello from the landing page")
    await post(node, alice, "a secret for followers", visibility="private")
    response = await node_client.get("/")
    text = await response.text()
    assert response.status == 200
    assert node.config.node.name in text and "Sign in" in text and "/signup" in text
    assert "Hello from the landing page" in text
    assert "a secret for followers" not in text


async def test_home_feed_profile_and_post_page_show_real_data(node_client, node_of):
    node = node_of(node_client)
    alice, _ = await create_user(node, "alice")
    bob, _ = await create_user(node, "bob")
    first = await post(node, alice, "First light over the #harbour")
    with node.db:
        await interactions.favourite(node, bob.account, first.id)
    reply = await post(node, bob, "@alice lovely shot", in_reply_to_id=first.id)
    await sign_in(node_client, "alice")

    home = await (await node_client.get("/")).text()
    assert "First light over the" in home and 'action="/compose"' in home
    assert f'data-count="favourite-{first.id}">1<' in home

    profile = await node_client.get("/@alice")
    text = await profile.text()
    assert profile.status == 200
    assert "<strong>1</strong> post<" in text and "Edit profile" in text
    assert "First light over the" in text

    page = await node_client.get(f"/@alice/{first.id}")
    text = await page.text()
    assert page.status == 200
    assert "First light over the" in text and "lovely shot" in text  # the post and its comment
    assert f'id="s-{reply.id}"' in text and 'name="in_reply_to_id"' in text
    assert "Comments <span class=\"muted\">1</span>" in text

    tag = await (await node_client.get("/tags/harbour")).text()
    assert "First light over the" in tag
    assert (await node_client.get(f"/@bob/{first.id}")).status == 404  # wrong author in the URL
    missing = await node_client.get("/@nobody")
    assert missing.status == 404 and "<!doctype html>" in (await missing.text()).lower()


async def test_cw_poll_and_counts_render(node_client, node_of):
    node = node_of(node_client)
    alice, _ = await create_user(node, "alice")
    status = await post(node, alice, "Which one?", spoiler_text="food talk",
                        poll={"options": ["Tea", "Coffee"], "expires_in": 3600})
    text = await (await node_client.get(f"/@alice/{status.id}")).text()
    assert "<details class=\"cw\">" in text and "food talk" in text
    assert "Tea" in text and "Coffee" in text


async def test_no_js_like_share_save_forms_toggle_and_redirect_back(node_client, node_of):
    node = node_of(node_client)
    alice, _ = await create_user(node, "alice")
    await create_user(node, "bob")
    status = await post(node, alice, "Like me without JavaScript")
    token = await sign_in(node_client, "bob")
    back = f"/@alice/{status.id}"
    for action in ("favourite", "reblog", "bookmark"):
        response = await node_client.post(f"/web/statuses/{status.id}/{action}",
                                          data={"csrf_token": token, "back": back}, allow_redirects=False)
        assert response.status == 303 and response.headers["Location"] == back
    with node.db:
        fresh = await Status.get(id=status.id)
        assert (fresh.favourites_count, fresh.reblogs_count) == (1, 1)
        assert await Bookmark.filter(status_id=status.id).count() == 1
    text = await (await node_client.get(back)).text()
    assert f'action="/web/statuses/{status.id}/unfavourite"' in text
    assert f'action="/web/statuses/{status.id}/unbookmark"' in text
    for action in ("unfavourite", "unreblog", "unbookmark"):
        response = await node_client.post(f"/web/statuses/{status.id}/{action}",
                                          data={"csrf_token": token, "back": back}, allow_redirects=False)
        assert response.status == 303
    with node.db:
        fresh = await Status.get(id=status.id)
        assert (fresh.favourites_count, fresh.reblogs_count) == (0, 0)
        assert await Bookmark.filter(status_id=status.id).count() == 0
    forged = await node_client.post(f"/web/statuses/{status.id}/favourite", data={"csrf_token": "x"})
    assert forged.status == 403
    with node.db:
        assert await Favourite.all().count() == 0


async def test_js_api_calls_with_session_cookie_need_the_csrf_header(node_client, node_of):
    node = node_of(node_client)
    alice, _ = await create_user(node, "alice")
    status = await post(node, alice, "Fetch me")
    token = await sign_in(node_client, "alice")
    refused = await node_client.post(f"/api/v1/statuses/{status.id}/favourite")
    assert refused.status == 403 and "error" in await refused.json()
    liked = await node_client.post(f"/api/v1/statuses/{status.id}/favourite", headers={"X-CSRF-Token": token})
    body = await liked.json()
    assert liked.status == 200 and body["favourited"] is True and body["favourites_count"] == 1


async def test_compose_with_image_and_alt_text_then_delete(node_client, node_of):
    node = node_of(node_client)
    await create_user(node, "alice")
    token = await sign_in(node_client, "alice")
    response = await node_client.post("/compose", data={
        "csrf_token": token, "back": "/compose", "status": "Sunset #golden", "visibility": "public",
        "spoiler_text": "", "media_0": io.BytesIO(png()), "media_0_description": "An orange sky"},
        allow_redirects=False)
    assert response.status == 303, await response.text()
    location = response.headers["Location"]
    assert location.startswith("/@alice/")
    text = await (await node_client.get(location)).text()
    assert "Sunset" in text and 'alt="An orange sky"' in text
    with node.db:
        status = await Status.get(text="Sunset #golden")
        media = await MediaAttachment.get(status_id=status.id)
        assert media.description == "An orange sky"
    image = await node_client.get(re.search(r'<img src="(/media/[^"]+|http[^"]+/media/[^"]+)"', text).group(1)
                                  .replace(node.base_url, ""))
    assert image.status == 200
    deleted = await node_client.post(f"/web/statuses/{status.id}/delete", data={"csrf_token": token},
                                     allow_redirects=False)
    assert deleted.status == 303 and deleted.headers["Location"] == "/@alice"
    with node.db:
        assert not await Status.filter(id=status.id).exists()


async def test_compose_bad_input_is_4xx_and_writes_nothing(node_client, node_of):
    node = node_of(node_client)
    await create_user(node, "alice")
    token = await sign_in(node_client, "alice")
    too_long = await node_client.post("/compose", data={"csrf_token": token, "status": "x" * 6000})
    assert too_long.status == 422 and "character limit" in await too_long.text()
    not_image = await node_client.post("/compose", data={"csrf_token": token, "status": "hi",
                                                         "media_0": io.BytesIO(b"not an image at all")})
    assert 400 <= not_image.status < 500
    bad_visibility = await node_client.post("/compose", data={"csrf_token": token, "status": "hi",
                                                              "visibility": "everyone"})
    assert bad_visibility.status == 422
    no_token = await node_client.post("/compose", data={"status": "sneaky"})
    assert no_token.status == 403
    with node.db:
        assert await Status.all().count() == 0
        assert await MediaAttachment.all().count() == 0


async def test_follow_and_unfollow_buttons(node_client, node_of):
    node = node_of(node_client)
    await create_user(node, "alice")
    bob, _ = await create_user(node, "bob")
    token = await sign_in(node_client, "alice")
    profile = await (await node_client.get("/@bob")).text()
    assert f'action="/web/accounts/{bob.account.id}/follow"' in profile
    followed = await node_client.post(f"/web/accounts/{bob.account.id}/follow",
                                      data={"csrf_token": token, "back": "/@bob"}, allow_redirects=False)
    assert followed.status == 303
    profile = await (await node_client.get("/@bob")).text()
    assert "Following" in profile and "<strong>1</strong> follower<" in profile
    await node_client.post(f"/web/accounts/{bob.account.id}/unfollow", data={"csrf_token": token})
    with node.db:
        assert await Follow.all().count() == 0
        assert (await Account.get(username="bob")).followers_count == 0


async def test_settings_profile_updates_name_bio_fields_and_avatar(node_client, node_of):
    node = node_of(node_client)
    await create_user(node, "alice")
    token = await sign_in(node_client, "alice")
    form = await node_client.get("/settings/profile")
    assert form.status == 200
    response = await node_client.post("/settings/profile", data={
        "csrf_token": token, "display_name": "Alice Liddell", "note": "Down the rabbit hole",
        "fields_attributes[0][name]": "Home", "fields_attributes[0][value]": "Wonderland",
        "avatar": io.BytesIO(png("purple"))}, allow_redirects=False)
    assert response.status == 303
    with node.db:
        account = await Account.get(username="alice")
        assert account.display_name == "Alice Liddell" and account.note_source == "Down the rabbit hole"
        assert account.fields_json == [{"name": "Home", "value": "Wonderland"}]
        assert account.avatar
    profile = await (await node_client.get("/@alice")).text()
    assert "Alice Liddell" in profile and "Down the rabbit hole" in profile and "Wonderland" in profile
    too_long = await node_client.post("/settings/profile", data={"csrf_token": token, "display_name": "x" * 200})
    assert too_long.status == 422
    with node.db:
        assert (await Account.get(username="alice")).display_name == "Alice Liddell"


async def test_notifications_and_bookmarks_pages(node_client, node_of):
    node = node_of(node_client)
    alice, _ = await create_user(node, "alice")
    bob, _ = await create_user(node, "bob")
    status = await post(node, alice, "Notice me")
    with node.db:
        await interactions.favourite(node, bob.account, status.id)
        await interactions.bookmark(alice.account, status.id)
    await node.settle()
    await sign_in(node_client, "alice")
    text = await (await node_client.get("/notifications")).text()
    assert "liked your post" in text and "Notice me" in text
    saved = await (await node_client.get("/bookmarks")).text()
    assert "Notice me" in saved


async def test_signed_out_private_pages_redirect_to_login(node_client):
    for path in ("/notifications", "/bookmarks", "/settings/profile", "/compose"):
        response = await node_client.get(path, allow_redirects=False)
        assert response.status == 303
        assert response.headers["Location"].startswith("/login?next=")


async def test_static_files_and_default_images(node_client):
    for name in ("avatar.png", "header.png", "base.css", "theme.css", "app.js"):
        response = await node_client.get(f"/static/{name}")
        assert response.status == 200, name
    assert (await node_client.get("/static/../node.toml")).status == 404
    assert (await node_client.get("/static/%2e%2e/%2e%2e/pyproject.toml")).status == 404


async def test_concurrent_requests_all_succeed(node_client, node_of):
    # Browsers fetch a page's images in parallel; every request must get its own database context.
    node = node_of(node_client)
    alice, _ = await create_user(node, "alice")
    await post(node, alice, "Many at once")
    responses = await asyncio.gather(*[node_client.get(path) for path in ["/", "/@alice", "/static/avatar.png",
                                                                            "/explore"] * 5])
    assert [r.status for r in responses] == [200] * 20


async def test_settings_preferences_are_what_the_api_answers(node_client, node_of):
    node = node_of(node_client)
    _, api_token = await create_user(node, "alice")
    token = await sign_in(node_client, "alice")
    form = await node_client.get("/settings/preferences")
    assert form.status == 200 and 'name="expand_media"' in await form.text()
    response = await node_client.post("/settings/preferences", data={
        "csrf_token": token, "default_visibility": "private", "default_sensitive": "1", "default_language": "fr",
        "expand_media": "show_all", "expand_spoilers": "1"}, allow_redirects=False)
    assert response.status == 303
    prefs = await (await node_client.get("/api/v1/preferences", headers=bearer(api_token))).json()
    assert prefs == {"posting:default:visibility": "private", "posting:default:sensitive": True,
                     "posting:default:language": "fr", "reading:expand:media": "show_all",
                     "reading:expand:spoilers": True}
    bad = await node_client.post("/settings/preferences", data={"csrf_token": token, "expand_media": "sometimes"})
    assert bad.status == 422
    assert (await (await node_client.get("/api/v1/preferences", headers=bearer(api_token))).json()) == prefs
