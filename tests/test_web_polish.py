"""Page polish without a browser: the composer's post (inline errors in plain words, a poll and ordered
media with alt text from the form, nothing half-written), the Take page's making forms (CSRF, owner only,
refused input shown on the page), the empty home feed's starting points and hashtag follow, profile field
links, and the text filters pages use (plurals, snippets that do not run together)."""

from __future__ import annotations

import io

from fixtures.social import call, user
from fixtures.video import mp4, take_form
from PIL import Image
from support import create_user
from websupport import sign_in

from node.api.entities.accounts import field_value_html
from node.models import BehindTheTakeStep, MediaAttachment, Poll, Status, Tag, TagFollow, TakeTemplate
from node.services import statuses
from node.web.themes import counted, plain


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(out, "JPEG")
    return out.getvalue()


def test_counts_and_snippets_read_naturally():
    assert (counted(1, "follower"), counted(2, "follower"), counted(1, "person", "people"),
            counted(3, "person", "people"), counted(1200, "post")) == (
        "1 follower", "2 followers", "1 person", "3 people", "1.2K posts")
    html = '<p><a href="/tags/lighting" class="hashtag">#<span>lighting</span></a></p><p>Sound: A &amp; B</p>'
    assert plain(html) == "#lighting Sound: A & B"
    assert plain("line one<br>line two") == "line one line two"


def test_a_website_field_is_a_link_others_are_text():
    link = field_value_html("https://maya.example/portfolio/")
    assert link == ('<a href="https://maya.example/portfolio/" rel="me nofollow noopener" target="_blank" '
                    'translate="no">maya.example/portfolio</a>')
    assert field_value_html("Lisbon <3") == "Lisbon &lt;3"
    assert field_value_html('https://x.example/"><script>') == "https://x.example/&quot;&gt;&lt;script&gt;"


async def test_compose_form_errors_in_plain_words_and_keeps_what_was_typed(node_client, node_of):
    node = node_of(node_client)
    await create_user(node, "alice")
    token = await sign_in(node_client, "alice")
    empty = await node_client.post("/compose", data={"csrf_token": token, "status": "  ", "back": "/compose"})
    text = await empty.text()
    assert empty.status == 422 and "Write something, or add a photo, video or poll, before posting." in text
    assert "Validation failed" not in text and 'aria-invalid="true"' in text
    bad_poll = await node_client.post("/compose", data=[
        ("csrf_token", token), ("status", "Pick one"), ("poll[options][]", "Only"), ("poll[options][]", ""),
        ("poll[expires_in]", "3600")])
    text = await bad_poll.text()
    assert bad_poll.status == 422 and "Poll options can&#39;t be blank" in text and ">Pick one</textarea>" in text
    with node.db:
        assert await Status.all().count() == await Poll.all().count() == 0


async def test_compose_form_posts_a_poll_and_ordered_media_with_alt_text(node_client, node_of):
    node = node_of(node_client)
    await create_user(node, "alice")
    token = await sign_in(node_client, "alice")
    ids = []
    for _ in range(2):  # as compose.js does: upload first (session + CSRF header), then post the ids
        response = await node_client.post("/api/v2/media", data={"file": io.BytesIO(jpeg())},
                                          headers={"X-CSRF-Token": token})
        assert response.status == 200
        ids.append((await response.json())["id"])
    posted = await node_client.post("/compose", allow_redirects=False, data=[
        ("csrf_token", token), ("status", "two pictures"), ("media_ids[]", ids[1]), ("media_ids[]", ids[0]),
        (f"media_description[{ids[0]}]", "first upload"), (f"media_description[{ids[1]}]", "second upload"),
        ("visibility", "unlisted"), ("language", "de"), ("spoiler_text", "food"), ("back", "/")])
    assert posted.status == 303
    with node.db:
        status = await Status.get(text="two pictures")
        media = await MediaAttachment.filter(status_id=status.id).order_by("position", "id")
        assert [m.description for m in media] == ["second upload", "first upload"]
        assert (status.visibility, status.language, status.spoiler_text, status.sensitive) == ("unlisted", "de", "food", True)
    polled = await node_client.post("/compose", allow_redirects=False, data=[
        ("csrf_token", token), ("status", "tea or coffee"), ("poll[options][]", "tea"), ("poll[options][]", "coffee"),
        ("poll[expires_in]", "86400"), ("poll[multiple]", "true")])
    assert polled.status == 303
    with node.db:
        poll = await Poll.get(status__text="tea or coffee")
        assert poll.options == ["tea", "coffee"] and poll.multiple


async def test_take_page_forms_add_steps_and_publish_templates_for_the_author_only(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    await create_user(node, "bob")
    code, take = await call(node_client, "POST", "/api/v1/takes", alice, data=take_form(mp4(), caption="Spin"))
    assert code == 200
    url = f"/takes/{take['id']}"
    token = await sign_in(node_client, "bob")
    assert (await node_client.post(url + "/steps", data={"csrf_token": "wrong", "text": "x"})).status == 403
    assert (await node_client.post(url + "/steps", data={"csrf_token": token, "text": "x"})).status == 403  # not hers
    page = await (await node_client.get(url)).text()
    assert 'action="' + url + '/steps"' not in page  # the forms are the author's
    await node_client.post("/logout", data={"csrf_token": token})
    token = await sign_in(node_client, "alice")
    assert 'action="' + url + '/steps"' in await (await node_client.get(url)).text()
    added = await node_client.post(url + "/steps", data={"csrf_token": token, "text": "Plant the foot", "at": "0:00.5"},
                                   allow_redirects=False)
    assert added.status == 303 and added.headers["Location"] == url + "#btt"
    refused = await node_client.post(url + "/steps", data={"csrf_token": token, "text": "Late", "at": "soon"})
    assert refused.status == 422 and "must be seconds" in await refused.text()
    refused = await node_client.post(url + "/steps", data={"csrf_token": token, "text": " ", "at": ""})
    assert refused.status == 422 and "Write what this step shows" in await refused.text()
    with node.db:
        steps = await BehindTheTakeStep.all()
        assert [(s.text, s.at_seconds) for s in steps] == [("Plant the foot", 0.5)]
    removed = await node_client.post(url + "/steps/0/delete", data={"csrf_token": token}, allow_redirects=False)
    assert removed.status == 303
    assert (await node_client.post(url + "/steps/5/delete", data={"csrf_token": token})).status == 404
    published = await node_client.post(url + "/template", allow_redirects=False, data={
        "csrf_token": token, "name": "Spin cut", "cuts": "0.5", "overlay": "now"})
    assert published.status == 303
    with node.db:
        template = await TakeTemplate.get()
        assert await BehindTheTakeStep.all().count() == 0
    assert published.headers["Location"] == f"/takes/templates/{template.id}"
    assert template.name == "Spin cut" and template.overlays == [{"text": "now"}]
    assert [(s["start"], s["end"]) for s in template.segments] == [(0.0, 0.5), (0.5, take["duration"])]
    nameless = await node_client.post(url + "/template", data={"csrf_token": token, "name": ""})
    assert nameless.status == 422 and "Template name must be 1 to 200 characters" in await nameless.text()


async def test_an_empty_home_feed_suggests_people_and_hashtags(node_client, node_of):
    node = node_of(node_client)
    maya, _ = await create_user(node, "maya")
    await create_user(node, "newbie")
    with node.db:
        await statuses.create_status(node, maya.account, statuses.Draft(text="Morning light #goldenhour"))
    token = await sign_in(node_client, "newbie")
    home = await (await node_client.get("/")).text()
    assert "Your feed is waiting" in home and 'href="/@maya"' in home
    assert f'action="/web/accounts/{maya.account.id}/follow"' in home
    assert 'action="/web/tags/goldenhour/follow"' in home
    followed = await node_client.post("/web/tags/goldenhour/follow", data={"csrf_token": token, "back": "/"},
                                      allow_redirects=False)
    assert followed.status == 303
    with node.db:
        tag = await Tag.get(name="goldenhour")
        assert await TagFollow.filter(tag_id=tag.id).count() == 1
    assert (await node_client.post("/web/tags/goldenhour/follow", data={"csrf_token": "x"})).status == 403
