"""Stories pages that change in place, in real Chromium at a phone's size: the home tray following the user
stream (a followed account's new story appears, a seen ring turns unseen, a deleted or expired story leaves
its ring and an empty ring goes), in both themes."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import shot_path
from test_stories_browser import _close, _follow, _phone, _story

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support import bearer, create_user  # noqa: E402

from node.services.stories import posting  # noqa: E402


def _ring(account_id: int) -> str:
    return f'.story-tray a.story-ring[data-account="{account_id}"]'


async def _classes(page, selector: str) -> list[str]:
    return (await page.locator(selector).get_attribute("class")).split()


@pytest.mark.parametrize("theme", ["vignette", "socialink"])
async def test_tray_follows_the_stream(serve, browser, theme):
    client = await serve(theme)
    node = client.node
    _, ann_token = await create_user(node, "ann")
    bob, bob_token = await create_user(node, "bob")
    cid, cid_token = await create_user(node, "cid")
    for target in (bob, cid):
        await _follow(client, ann_token, target.account.id)
    first = await _story(client, bob_token, "sea")
    response = await client.post(f"/api/v1/stories/{first['id']}/view", json={"completed": True},
                                 headers=bearer(ann_token))
    assert response.status == 200, await response.text()
    base = str(client.make_url("")).rstrip("/")

    context, page = await _phone(browser, base, "ann")
    await page.locator('[data-story-tray][data-live="true"]').wait_for()
    assert "seen" in await _classes(page, _ring(bob.account.id))
    assert not await page.locator(_ring(cid.account.id)).count()

    # Cid, followed, posts: his ring appears unseen, before Bob's seen one, without a reload
    posted = await _story(client, cid_token, "forest")
    await page.locator(_ring(cid.account.id)).wait_for()
    assert "unseen" in await _classes(page, _ring(cid.account.id))
    order = await page.eval_on_selector_all(".story-tray a.story-ring[data-account]", "els => els.map(e => e.dataset.account)")
    assert order == [str(cid.account.id), str(bob.account.id)]

    # Bob posts again: his seen ring turns unseen and holds both stories
    second = await _story(client, bob_token, "sunset")
    await page.wait_for_function(
        '(id) => document.querySelector(`a.story-ring[data-account="${id}"]`).classList.contains("unseen")',
        arg=str(bob.account.id))
    assert (await page.locator(_ring(bob.account.id)).get_attribute("data-stories")).split() == [first["id"], second["id"]]

    # Cid deletes his only story: the ring goes; Bob deletes one of two: his ring stays
    for story, token in ((posted, cid_token), (second, bob_token)):
        response = await client.delete(f"/api/v1/stories/{story['id']}", headers=bearer(token))
        assert response.status == 200, await response.text()
    await page.locator(_ring(cid.account.id)).wait_for(state="detached")
    await page.wait_for_function(
        '([account, story]) => document.querySelector(`a.story-ring[data-account="${account}"]`).dataset.stories === story',
        arg=[str(bob.account.id), first["id"]])

    # Bob's first story expires (the sweep, clock moved past a day): his ring goes too
    with node.db:
        assert await posting.expire(node, node.clock.now() + timedelta(hours=24, seconds=1)) >= 1
    await page.locator(_ring(bob.account.id)).wait_for(state="detached")
    assert await page.locator(".story-tray a.story-ring.new").count() == 1  # "Your story" is still offered
    await _close(context, page)


async def test_reply_to_and_share_a_question_answer(serve, browser):
    client = await serve()
    node = client.node
    alice, alice_token = await create_user(node, "alice")
    bob, bob_token = await create_user(node, "bob")
    await _follow(client, bob_token, alice.account.id)
    posted = await _story(client, alice_token, "sea", stickers=[
        {"type": "question", "position": {"x": 0.5, "y": 0.5}, "prompt": "What should I cook?"}])
    sticker = posted["stickers"][0]["id"]
    response = await client.post(f"/api/v1/stories/{posted['id']}/stickers/{sticker}/answer",
                                 json={"text": "Pasta alla norma"}, headers=bearer(bob_token))
    assert response.status == 200, await response.text()
    base = str(client.make_url("")).rstrip("/")

    # Alice, on her story's insights: a private reply to Bob's answer, then the answer shared as a story
    context, page = await _phone(browser, base, "alice")
    await page.goto(f"{base}/stories/{posted['id']}/insights")
    form = page.locator("form[data-answer-reply]")
    await form.locator('input[name="status"]').fill("Great idea!")
    await form.get_by_role("button", name="Reply").click()
    await form.locator("[data-answer-status]", has_text="Reply sent").wait_for()
    await form.get_by_role("button", name="Share as story").click()
    await form.get_by_role("link", name="Shared to your story").click()
    await page.locator('[data-story-viewer][data-ready="true"]').wait_for()
    await _close(context, page)

    # Bob: the reply is a direct message quoting his answer; the shared story shows it, not his name
    response = await client.get("/api/v1/conversations", headers=bearer(bob_token))
    (conversation,) = await response.json()
    assert "Great idea!" in conversation["last_status"]["content"]
    assert "Pasta alla norma" in conversation["last_status"]["content"]
    context, page = await _phone(browser, base, "bob")
    await page.goto(f"{base}/stories/watch/{alice.account.id}")
    await page.locator('[data-story-viewer][data-ready="true"]').wait_for()
    await page.keyboard.press("ArrowRight")  # past the question story to the shared answer
    card = page.locator('.sv-sticker[data-type="shared_answer"]')
    await card.wait_for()
    assert await card.locator(".sv-q").inner_text() == "What should I cook?"
    assert await card.locator(".sv-shared").inner_text() == "Pasta alla norma"
    assert "bob" not in (await card.inner_text()).lower()
    await _close(context, page)


@pytest.mark.parametrize("theme", ["vignette", "socialink"])
async def test_highlight_edited_from_the_profile_and_archive(serve, browser, theme):
    client = await serve(theme)
    node = client.node
    alice, alice_token = await create_user(node, "alice")
    first, second, third = [await _story(client, alice_token, kind) for kind in ("sea", "forest", "sunset")]
    response = await client.post("/api/v1/highlights", json={"title": "Trips", "story_ids": [first["id"], second["id"]]},
                                 headers=bearer(alice_token))
    made = await response.json()
    assert response.status == 200, made
    base = str(client.make_url("")).rstrip("/")

    async def shown() -> dict:
        response = await client.get(f"/api/v1/highlights/{made['id']}", headers=bearer(alice_token))
        return await response.json()

    context, page = await _phone(browser, base, "alice")
    await page.goto(f"{base}/@alice")
    await page.get_by_role("link", name="Edit highlights").click()  # to the archive, which lists them
    await page.get_by_role("link", name="Edit Trips").click()
    await page.wait_for_url(f"{base}/highlights/{made['id']}/edit")
    await page.fill('input[name="title"]', "Summer trips")
    await page.check(f'input[name="story_ids[]"][value="{third["id"]}"]')    # add one from the archive
    await page.uncheck(f'input[name="story_ids[]"][value="{first["id"]}"]')  # remove one
    await page.check(f'input[name="cover_story_id"][value="{third["id"]}"]')  # a new cover
    await page.get_by_role("button", name="Save").click()
    await page.locator("[data-status]", has_text="Saved").wait_for()
    edited = await shown()
    assert edited["title"] == "Summer trips" and edited["cover_story_id"] == third["id"]
    assert sorted(s["id"] for s in edited["stories"]) == sorted([second["id"], third["id"]])
    assert await page.evaluate("() => document.documentElement.scrollWidth") <= 390

    # nothing ticked is refused in the page, nothing sent
    for box in await page.locator('input[name="story_ids[]"]').all():
        await box.uncheck()
    await page.get_by_role("button", name="Save").click()
    await page.locator("[data-error]", has_text="Keep at least one story").wait_for()
    assert len((await shown())["stories"]) == 2

    # the archive lists it with its new name; deleting it from the editor goes back to the profile
    await page.goto(f"{base}/stories/archive")
    await page.screenshot(path=shot_path(f"{theme}-stories-archive-highlights.png"))
    await page.get_by_role("link", name="Edit Summer trips").click()
    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Delete highlight").click()
    await page.wait_for_url(f"{base}/@alice")
    assert not await page.locator("a.story-ring.highlight").count()
    response = await client.get(f"/api/v1/highlights/{made['id']}", headers=bearer(alice_token))
    assert response.status == 404
    await _close(context, page)


@pytest.mark.parametrize("theme", ["vignette", "socialink"])
async def test_the_new_stories_pages_pass_axe(serve, browser, theme):
    from test_accessibility_browser import _axe
    from test_browser_ui import sign_in

    client = await serve(theme)
    alice, alice_token = await create_user(client.node, "alice")
    _, bob_token = await create_user(client.node, "bob")
    await _follow(client, bob_token, alice.account.id)
    posted = await _story(client, alice_token, "sea", stickers=[
        {"type": "question", "position": {"x": 0.5, "y": 0.5}, "prompt": "What should I cook?"}])
    response = await client.post(f"/api/v1/stories/{posted['id']}/stickers/{posted['stickers'][0]['id']}/answer",
                                 json={"text": "Pasta"}, headers=bearer(bob_token))
    assert response.status == 200
    response = await client.post("/api/v1/highlights", json={"title": "Trips", "story_ids": [posted["id"]]},
                                 headers=bearer(alice_token))
    made = await response.json()
    base = str(client.make_url("")).rstrip("/")
    context = await browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)  # axe is injected
    page = await context.new_page()
    await sign_in(page, base, "alice")
    found = []
    for path in ("/", f"/stories/{posted['id']}/insights", "/stories/archive", f"/highlights/{made['id']}/edit",
                 "/@alice"):
        found += [f"{path}: {v}" for v in await _axe(page, base, path)]
    assert not found, "\n".join(found)
    await context.close()
