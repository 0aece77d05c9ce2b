"""Stories in a real browser (system Chromium via Playwright) at a phone's size (390x844): a story with a
poll posted through the composer (the sticker dragged into place), viewed by a follower from the home
tray, answered in place with the result shown; the viewer's keyboard, tap, hold and swipe navigation, each
reported to the author's insights; every other sticker kind answered in place (quiz, question, countdown,
slider, "add yours" through the composer) and the display ones shown; and the close-friends ring, green only for a close friend, in both
themes, the list managed from its page."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import shot_path
from seed import photo
from test_browser_ui import sign_in

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support import bearer, create_user  # noqa: E402

from node.models import StickerAnswer, StoryResponse, StorySticker, StoryView  # noqa: E402

PHONE = {"width": 390, "height": 844}
GREEN = "rgb(29, 185, 84)"
VIOLATIONS: dict[int, list[str]] = {}  # by page: what Chromium reported on the console


async def _follow(client, token: str, account_id: int) -> None:
    response = await client.post(f"/api/v1/accounts/{account_id}/follow", headers=bearer(token))
    assert response.status == 200, await response.text()


async def _story(client, token: str, kind: str = "sunset", **fields) -> dict:
    form = {"file": photo(kind, (270, 480))}
    response = await client.post("/api/v2/media", data=form, headers=bearer(token))
    media = await response.json()
    assert response.status == 200, media
    response = await client.post("/api/v1/stories", json={"media_id": media["id"], "duration": 15, **fields},
                                 headers=bearer(token))
    body = await response.json()
    assert response.status == 200, body
    return body


async def _phone(browser, base: str, name: str):
    """A signed-in phone-sized page that collects Content-Security-Policy violations Chromium reports."""
    context = await browser.new_context(viewport=PHONE, has_touch=False)
    page = await context.new_page()
    reported = VIOLATIONS[id(page)] = []
    page.on("console", lambda m: reported.append(m.text) if "Content Security Policy" in m.text else None)
    await sign_in(page, base, name)
    return context, page


async def _close(context, page) -> None:
    reported = VIOLATIONS.pop(id(page))
    assert reported == [], reported  # the stories scripts run under the pages' policy
    await context.close()


async def test_compose_a_poll_then_a_follower_answers_it_in_place(serve, browser):
    client = await serve("vignette")
    node = client.node
    alice, _ = await create_user(node, "alice")
    _, bob_token = await create_user(node, "bob")
    await _follow(client, bob_token, alice.account.id)
    base = str(client.make_url("")).rstrip("/")

    # Alice: the composer, a photo, a poll dragged lower on the picture, 15 s
    context, page = await _phone(browser, base, "alice")
    await page.locator(".story-tray .story-ring.new").click()
    await page.wait_for_url(base + "/stories/new")
    await page.set_input_files("[data-file]", files=[{"name": "ridge.jpg", "mimeType": "image/jpeg",
                                                      "buffer": photo("sunset", (540, 960))}])
    await page.locator(".sc-stage img.sc-media").wait_for()
    await page.click('[data-add="poll"]')
    await page.fill('input[name="poll-question"]', "Tea or coffee?")
    await page.fill('input[name="poll-option-0"]', "Tea")
    await page.fill('input[name="poll-option-1"]', "Coffee")
    chip = page.locator('.sc-chip[data-chip="poll"]')
    await chip.wait_for()
    await page.locator("[data-stage]").scroll_into_view_if_needed()
    stage = await page.locator("[data-stage]").bounding_box()
    box = await chip.bounding_box()
    await page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    await page.mouse.down()
    await page.mouse.move(stage["x"] + stage["width"] * 0.5, stage["y"] + stage["height"] * 0.7, steps=5)
    await page.mouse.up()
    await page.select_option('select[name="duration"]', "15")
    assert await page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    await page.screenshot(path=shot_path("stories-composer.png"))
    await page.click("[data-share]")
    await page.wait_for_url(f"{base}/stories/watch/{alice.account.id}")
    await page.locator('[data-story-viewer][data-ready="true"]').wait_for()
    assert await page.locator("[data-owner]").is_visible()  # the author sees "Seen by" and insights
    assert not await page.locator("[data-reply]").is_visible()
    await _close(context, page)
    with node.db:
        sticker = await StorySticker.get(kind="poll")
    assert sticker.data == {"question": "Tea or coffee?", "options": ["Tea", "Coffee"]}
    assert abs(sticker.placement["y"] - 0.7) < 0.05, sticker.placement  # where it was dragged

    # Bob: the unseen ring on his home tray opens the viewer; he answers, the percentages show in place
    context, page = await _phone(browser, base, "bob")
    ring = page.locator(f'.story-tray a.story-ring[data-account="{alice.account.id}"]')
    assert "unseen" in (await ring.get_attribute("class"))
    await ring.click()
    await page.locator('[data-story-viewer][data-ready="true"]').wait_for()
    assert not await page.locator("[data-owner]").is_visible()  # a viewer gets reply and reactions instead
    assert await page.locator("[data-reply]").is_visible() and await page.locator("[data-react]").is_visible()
    poll = page.locator('.sv-sticker[data-type="poll"]')
    assert await poll.locator(".sv-q").inner_text() == "Tea or coffee?"
    assert not await poll.locator(".sv-result").count()  # no results before answering
    await poll.get_by_role("button", name="Coffee").click()
    await poll.locator(".sv-result.mine").wait_for()
    assert [t.strip() for t in await poll.locator(".sv-result").all_inner_texts()] == ["Tea\n0%", "Coffee\n100%"]
    await page.screenshot(path=shot_path("stories-viewer-poll.png"))
    # a reply (a direct message to Alice) and a reaction, from the viewer's footer
    await page.fill('[data-reply] input[name="status"]', "Coffee, always")
    await page.press('[data-reply] input[name="status"]', "Enter")
    await page.wait_for_function('() => document.querySelector("[data-status]").textContent === "Reply sent"')
    await page.click('[data-react] [data-emoji="🔥"]')
    await page.wait_for_function('() => document.querySelector("[data-status]").textContent === "Sent 🔥"')
    await page.keyboard.press("Escape")
    await page.wait_for_url(base + "/")
    ring = page.locator(f'.story-tray a.story-ring[data-account="{alice.account.id}"]')
    assert "seen" in (await ring.get_attribute("class")).split()
    await _close(context, page)
    with node.db:
        answer = await StickerAnswer.get(sticker_id=sticker.id)
        view = await StoryView.get(story_id=sticker.story_id)
        responses = sorted(await StoryResponse.filter(story_id=sticker.story_id).values_list("kind", "emoji"))
    assert answer.choice == 1 and view.exits == 1
    assert responses == [("reaction", "🔥"), ("reply", "")], responses


async def test_viewer_keys_taps_hold_and_swipe(serve, browser):
    client = await serve("vignette")
    node = client.node
    alice, alice_token = await create_user(node, "alice")
    _, bob_token = await create_user(node, "bob")
    await _follow(client, bob_token, alice.account.id)
    ids = [(await _story(client, alice_token, kind))["id"] for kind in ("sunset", "sea", "forest")]
    base = str(client.make_url("")).rstrip("/")
    context, page = await _phone(browser, base, "bob")
    await page.goto(f"{base}/stories/watch/{alice.account.id}")
    viewer = page.locator('[data-story-viewer][data-ready="true"]')
    await viewer.wait_for()

    async def showing(story_id: str) -> None:
        await page.wait_for_function(f'() => document.querySelector("[data-story-viewer]").dataset.story === "{story_id}"')

    await showing(ids[0])
    assert await page.locator(".sv-bar").count() == 3
    await page.keyboard.press("ArrowRight")
    await showing(ids[1])
    await page.keyboard.press("ArrowLeft")
    await showing(ids[0])
    await page.mouse.click(330, 400)  # the right two thirds: next
    await showing(ids[1])
    await page.mouse.click(40, 400)  # the left third: back
    await showing(ids[0])
    await page.mouse.click(330, 400)
    await showing(ids[1])
    # hold: paused while pressed, the same story after letting go
    await page.mouse.move(200, 400)
    await page.mouse.down()
    await page.wait_for_function('() => document.querySelector("[data-story-viewer]").classList.contains("paused")')
    await page.mouse.up()
    await page.wait_for_function('() => !document.querySelector("[data-story-viewer]").classList.contains("paused")')
    await showing(ids[1])
    first_bar = await page.locator(".sv-bar i").first.evaluate("i => i.style.width")
    assert first_bar == "100%"
    await page.screenshot(path=shot_path("stories-viewer.png"))
    # swipe down closes
    await page.mouse.move(200, 300)
    await page.mouse.down()
    await page.mouse.move(200, 520, steps=6)
    await page.mouse.up()
    await page.wait_for_url(base + "/")
    await _close(context, page)

    response = await client.get(f"/api/v1/stories/{ids[0]}/insights", headers=bearer(alice_token))
    first = await response.json()
    response = await client.get(f"/api/v1/stories/{ids[1]}/insights", headers=bearer(alice_token))
    second = await response.json()
    # left story 0 forward three times (key, tap, tap); left story 1 back twice (key, tap) and by the swipe
    assert (first["taps_forward"], first["unique_viewers"]) == (3, 1), first
    assert (second["taps_back"], second["exits"]) == (2, 1), second


@pytest.mark.parametrize("theme", ["vignette", "socialink"])
async def test_close_friends_ring_only_for_a_close_friend(serve, browser, theme):
    client = await serve(theme)
    node = client.node
    alice, alice_token = await create_user(node, "alice")
    _, bob_token = await create_user(node, "bob")
    carol, carol_token = await create_user(node, "carol")
    dan, dan_token = await create_user(node, "dan")
    for token in (bob_token, carol_token):
        await _follow(client, token, alice.account.id)
        await _follow(client, token, dan.account.id)
    await _follow(client, alice_token, carol.account.id)  # the close-friends page offers whom Alice follows
    base = str(client.make_url("")).rstrip("/")

    # Alice puts Carol on her list from the close-friends page
    context, page = await _phone(browser, base, "alice")
    await page.goto(base + "/stories/close-friends")
    toggle = page.locator(f'[data-cf-toggle="{carol.account.id}"]')
    await toggle.click()
    await page.wait_for_function(f'() => document.querySelector(\'[data-cf-toggle="{carol.account.id}"]\')'
                                 '.getAttribute("aria-pressed") === "true"')
    assert await page.locator("[data-cf-count]").inner_text() == "1 on your list"
    await _close(context, page)
    await _story(client, alice_token, "forest", audience="close_friends")
    await _story(client, dan_token, "sea")

    # Carol: Alice's ring is the green close-friends ring; Dan's is the ordinary one
    context, page = await _phone(browser, base, "carol")
    alice_ring = page.locator(f'.story-tray a.story-ring[data-account="{alice.account.id}"]')
    dan_ring = page.locator(f'.story-tray a.story-ring[data-account="{dan.account.id}"]')
    assert "close" in (await alice_ring.get_attribute("class")).split()
    assert "close" not in (await dan_ring.get_attribute("class")).split()
    assert await alice_ring.locator(".ring").evaluate("e => getComputedStyle(e).backgroundColor") == GREEN
    assert await dan_ring.locator(".ring").evaluate("e => getComputedStyle(e).backgroundColor") != GREEN
    assert await page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    await page.screenshot(path=shot_path(f"{theme}-stories-tray-close-friends.png"))
    await alice_ring.click()
    await page.locator('[data-story-viewer][data-ready="true"]').wait_for()
    assert await page.locator("[data-cf]").is_visible()
    await _close(context, page)

    # Bob follows Alice too but is not on her list: no ring for her at all, Dan's unmarked
    context, page = await _phone(browser, base, "bob")
    assert not await page.locator(f'.story-tray a.story-ring[data-account="{alice.account.id}"]').count()
    assert await page.locator(f'.story-tray a.story-ring[data-account="{dan.account.id}"]').count() == 1
    assert not await page.locator(".story-tray a.story-ring.close").count()
    await _close(context, page)


async def test_every_sticker_kind_answers_in_place(serve, browser):
    client = await serve("vignette")
    node = client.node
    alice, alice_token = await create_user(node, "alice")
    bob, bob_token = await create_user(node, "bob")
    await _follow(client, bob_token, alice.account.id)
    ends = (node.clock.now() + timedelta(days=2)).isoformat()

    def at(y: float) -> dict:
        return {"x": 0.5, "y": y, "width": 0.7, "height": 0.15, "rotation": 0}

    first = await _story(client, alice_token, "sunset", stickers=[
        {"type": "quiz", "position": at(0.2), "question": "Highest peak?", "options": ["Everest", "K2"],
         "correct_option": 0},
        {"type": "question", "position": at(0.5), "prompt": "Where next?"},
        {"type": "countdown", "position": at(0.8), "title": "Summit day", "ends_at": ends}])
    second = await _story(client, alice_token, "sea", stickers=[
        {"type": "slider", "position": at(0.15), "question": "How cold?", "emoji": "🥶"},
        {"type": "add_yours", "position": at(0.38), "prompt": "Your view today"},
        {"type": "mention", "position": at(0.55), "account_id": str(bob.account.id)},
        {"type": "hashtag", "position": at(0.68), "name": "coast"},
        {"type": "link", "position": at(0.82), "url": "https://example.org/tides", "text": "Tides"}])
    base = str(client.make_url("")).rstrip("/")
    context, page = await _phone(browser, base, "bob")
    await page.goto(f"{base}/stories/watch/{alice.account.id}")
    await page.locator('[data-story-viewer][data-ready="true"]').wait_for()
    await page.click("[data-pause]")  # paused by hand: stays paused while answering

    quiz = page.locator('.sv-sticker[data-type="quiz"]')
    await quiz.get_by_role("button", name="K2").click()
    await quiz.locator(".sv-verdict").wait_for()
    assert await quiz.locator(".sv-verdict").inner_text() == "Not quite"
    assert await quiz.locator(".sv-result.correct").inner_text() == "Everest\n0%"
    assert await quiz.locator(".sv-result.wrong").inner_text() == "K2\n100%"
    question = page.locator('.sv-sticker[data-type="question"]')
    await question.locator("input").fill("The Alps")
    await question.locator("input").press("Enter")
    await question.locator(".sv-verdict").wait_for()
    assert await question.locator("input").input_value() == "The Alps"
    countdown = page.locator('.sv-sticker[data-type="countdown"]')
    assert (await countdown.locator(".sv-clock").inner_text()).startswith(("1d", "2d"))
    await countdown.get_by_role("button", name="Remind me").click()
    await countdown.get_by_role("button", name="Reminder set ✓").wait_for()
    assert await page.locator("[data-story-viewer]").evaluate("v => v.classList.contains('paused')")
    await page.screenshot(path=shot_path("stories-stickers-1.png"))

    await page.keyboard.press("ArrowRight")
    await page.wait_for_function(f'() => document.querySelector("[data-story-viewer]").dataset.story === "{second["id"]}"')
    await page.click("[data-pause]")
    slider = page.locator('.sv-sticker[data-type="slider"]')
    await slider.locator("input[type=range]").fill("80")
    await slider.locator(".sv-meta").wait_for()
    assert await slider.locator(".sv-meta").inner_text() == "Average 80% · 1 answer"
    assert await page.locator('.sv-sticker[data-type="mention"] a').inner_text() == "@bob"
    assert await page.locator('.sv-sticker[data-type="hashtag"] a').get_attribute("href") == "/tags/coast"
    link = page.locator('.sv-sticker[data-type="link"] a')
    assert (await link.inner_text(), await link.get_attribute("href")) == ("🔗 Tides", "https://example.org/tides")
    await page.screenshot(path=shot_path("stories-stickers-2.png"))
    add = page.locator('.sv-sticker[data-type="add_yours"] a')
    sticker_id = await page.locator('.sv-sticker[data-type="add_yours"]').get_attribute("data-sticker")
    assert await add.get_attribute("href") == f"/stories/new?answers={second['id']}:{sticker_id}"

    # "Add yours" opens the composer; Bob's story answers the prompt
    await add.click()
    await page.wait_for_url(f"{base}/stories/new?answers={second['id']}:{sticker_id}")
    assert await page.locator("[data-answering]").is_visible()
    await page.set_input_files("[data-file]", files=[{"name": "view.jpg", "mimeType": "image/jpeg",
                                                      "buffer": photo("forest", (540, 960))}])
    await page.click("[data-share]")
    await page.wait_for_url(f"{base}/stories/watch/{bob.account.id}")
    await _close(context, page)
    with node.db:
        answered = {s.kind: a for s in await StorySticker.filter(story_id__in=[int(first["id"]), int(second["id"])])
                    for a in await StickerAnswer.filter(sticker_id=s.id, account_id=bob.account.id)}
    assert answered["quiz"].choice == 1 and answered["question"].text == "The Alps"
    assert answered["slider"].value == 0.8 and "countdown" in answered
    assert answered["add_yours"].story_uri.startswith(f"{base}/users/bob/stories/")
