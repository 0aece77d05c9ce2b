"""The Takes pages without a browser: the feed, a Take with its steps and trend credit, the trend and
template pages, and posting a Take through the page form (CSRF checked, bad videos shown on the form and
nothing stored)."""

from __future__ import annotations

import aiohttp
from fixtures.social import call, user
from fixtures.video import mp4, take_form
from websupport import sign_in

from node.models import MediaAttachment, Status, Take


async def test_pages_show_takes_trends_and_templates(node_client, node_of):
    node = node_of(node_client)
    _, alice = await user(node, "alice")
    code, origin = await call(node_client, "POST", "/api/v1/takes", alice, data=take_form(
        mp4(), caption="Sunrise run", **{"trend[name]": "Sunrise", "trend[hashtag]": "sunrise",
                                         "steps[0][text]": "Leave at five", "steps[0][at]": "0.2"}))
    assert code == 200, origin
    code, template = await call(node_client, "POST", f"/api/v1/takes/{origin['id']}/template", alice,
                                json={"name": "Sunrise cut", "segments": [{"start": 0, "end": 1, "label": "go"}]})
    feed = await (await node_client.get("/takes")).text()
    assert f'data-take="{origin["id"]}"' in feed and 'src="http://localhost/media/attachments/' in feed
    assert "Trend started by @alice@localhost" in feed and "Behind the Take" in feed
    one = await node_client.get(f"/takes/{origin['id']}")
    text = await one.text()
    assert one.status == 200 and 'data-seek="0.2"' in text and "Leave at five" in text and "started it" in text
    trend = await node_client.get(f"/takes/trends/{origin['trend']['id']}")
    text = await trend.text()
    assert trend.status == 200 and "Sunrise" in text and "#sunrise" in text and f"/takes/{origin['id']}" in text
    page = await node_client.get(f"/takes/templates/{template['id']}")
    text = await page.text()
    assert page.status == 200 and "Sunrise cut" in text and "0:00–0:01</span> go" in text
    for missing in ("/takes/123", "/takes/trends/9", "/takes/templates/9"):
        assert (await node_client.get(missing)).status == 404


async def test_posting_a_take_from_the_page_form(node_client, node_of):
    node = node_of(node_client)
    await user(node, "alice")
    token = await sign_in(node_client, "alice")
    form_page = await node_client.get("/takes/new?template_id=")
    assert form_page.status == 200 and 'name="video"' in await form_page.text()

    def form(data: bytes, name: str, csrf: str) -> aiohttp.FormData:
        made = aiohttp.FormData()
        made.add_field("csrf_token", csrf)
        made.add_field("caption", "from the page")
        made.add_field("video", data, filename=name, content_type="video/mp4")
        return made

    refused = await node_client.post("/takes/new", data=form(mp4(), "a.mp4", "wrong"), allow_redirects=False)
    assert refused.status == 403
    bad = await node_client.post("/takes/new", data=form(b"not a video" * 50, "a.mp4", token), allow_redirects=False)
    assert bad.status == 422 and "not a playable video" in await bad.text()
    with node.db:
        assert await Status.all().count() == await Take.all().count() == await MediaAttachment.all().count() == 0
    posted = await node_client.post("/takes/new", data=form(mp4(), "a.mp4", token), allow_redirects=False)
    assert posted.status == 303
    with node.db:
        take = await Take.get()
    assert posted.headers["Location"] == f"/takes/{take.status_id}"
