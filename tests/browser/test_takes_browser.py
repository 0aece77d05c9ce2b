"""Takes in a real browser (system Chromium via Playwright): the /takes feed's video element has a source
the browser can play (it loads its metadata), the Take page opens Behind the Take, and a step's timestamp
seeks the video; the trend credit is shown with its badge."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import shot_path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fixtures.video import take_form, webm  # noqa: E402
from support import bearer, create_user  # noqa: E402


async def test_takes_feed_plays_and_behind_the_take_opens(serve, browser):
    client = await serve("vignette")
    _, token = await create_user(client.node, "alice")
    form = take_form(webm(), filename="dance.webm", content_type="video/webm", caption="Rooftop dance",
                     **{"trend[name]": "Rooftop", "trend[hashtag]": "rooftop", "steps[0][text]": "Find the light",
                        "steps[0][at]": "0.5", "steps[1][text]": "Count in"})
    response = await client.post("/api/v1/takes", data=form, headers=bearer(token))
    take = await response.json()
    assert response.status == 200, take
    base = str(client.make_url("")).rstrip("/")
    context = await browser.new_context(viewport={"width": 420, "height": 860})
    page = await context.new_page()

    await page.goto(base + "/takes?feed=local")
    video = page.locator(f'video.take-video[data-take="{take["id"]}"]')
    await video.wait_for()
    src = await video.get_attribute("src")
    assert src and src.endswith(".webm")
    assert await video.evaluate("v => v.canPlayType('video/webm; codecs=\"vp9\"')") in ("probably", "maybe")
    # the browser really loads it: metadata arrives with the right size and length
    await page.wait_for_function(
        f'() => document.querySelector(\'video[data-take="{take["id"]}"]\').readyState >= 1', timeout=10000)
    size = await video.evaluate("v => [v.videoWidth, v.videoHeight, Math.round(v.duration)]")
    assert size == [48, 64, 1]
    assert await page.locator(".take-trend .badge").first.inner_text() == "started it"
    await page.screenshot(path=shot_path("vignette-takes.png"))

    await page.goto(base + f"/takes/{take['id']}")
    assert await page.locator("details.btt").get_attribute("open") is not None  # open on the Take page
    step = page.locator(".btt-step", has_text="Find the light")
    await step.wait_for()
    assert await step.is_visible()
    await page.wait_for_function('() => document.querySelector("video.take-video").readyState >= 1', timeout=10000)
    await step.locator("button.seek").click()
    await page.wait_for_function('() => Math.abs(document.querySelector("video.take-video").currentTime - 0.5) < 0.3',
                                 timeout=10000)
    assert await page.locator(".take-trend", has_text="Trend started by @alice").count() == 1
    await page.screenshot(path=shot_path("vignette-take-btt.png"))
    await context.close()
