"""The page flows of issue 16 by clicking, in real Chromium: a Take liked and commented on from its page
and its view counted; a Behind-the-Take step added and the Take published as a template, then used; a post
with photos (uploaded with progress, alt text, reordered, one removed) and a poll composed, then voted on
by someone else; the empty post refused inline; a reply shows whom it answers; a share shows once; a
direct post is marked and cannot be shared."""

from __future__ import annotations

import re

import pytest
from conftest import shot_path
from seed import photo, seed, seed_takes
from test_browser_ui import sign_in

from node.models import (
    BehindTheTakeStep,
    Favourite,
    MediaAttachment,
    Poll,
    PollVote,
    Status,
    Take,
    TakeTemplate,
)
from node.services import statuses

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


async def test_a_take_is_liked_commented_and_its_view_counted_on_its_page(serve, browser):
    client = await serve("vignette")
    node = client.node
    made = await seed_takes(node, (await seed(node))["people"])
    take_id = made["take"].status_id
    base = str(client.make_url("")).rstrip("/")
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    await sign_in(page, base, "alice")
    await page.goto(base + f"/takes/{take_id}")
    assert await page.locator(".take-sound").count() == 1 and await page.locator(".take-trend").count() == 1
    assert "Sound:" not in await page.locator(".take-caption").inner_text()  # the credit is shown once

    like = page.locator('.take-side form.toggle[data-kind="favourite"] button')
    await page.evaluate("window.__stayed = true")
    await like.click()
    await page.locator(f'.take-side [data-count="favourite-{take_id}"]', has_text="1").wait_for()
    assert await like.get_attribute("aria-pressed") == "true" and await page.evaluate("window.__stayed === true")
    with node.db:
        assert await Favourite.filter(status_id=take_id).count() == 1

    # playing it counts one view, shown in place; playing again in the same session does not
    await page.evaluate("document.querySelector('video.take-video').play()")
    await page.locator(f'[data-views="{take_id}"]', has_text="1").wait_for()
    await page.reload()
    await page.evaluate("document.querySelector('video.take-video').play()")
    with node.db:
        assert (await Take.get(status_id=take_id)).views_count == 1

    await page.fill("#reply textarea[name=status]", "That light is unreal")
    await page.click("#reply button[type=submit]")
    await page.locator(".take-comments .comment", has_text="That light is unreal").wait_for()
    assert page.url.startswith(base + f"/takes/{take_id}")
    assert await page.locator(".take-comments h2").inner_text() == "1 comment"
    await page.screenshot(path=shot_path("vignette-take-liked-commented.png"), full_page=True)
    with node.db:
        assert (await Status.get(id=take_id)).replies_count == 1
    await context.close()


async def test_behind_the_take_step_and_template_made_on_the_page_and_used(serve, browser):
    client = await serve("socialink")
    node = client.node
    made = await seed_takes(node, (await seed(node))["people"])
    take_id = made["take"].status_id
    base = str(client.make_url("")).rstrip("/")
    context = await browser.new_context(viewport=DESKTOP)
    page = await context.new_page()
    await sign_in(page, base, "maya")
    await page.goto(base + f"/takes/{take_id}")
    add = page.locator('form[action$="/steps"]')
    await page.locator("details.make summary", has_text="Add a Behind-the-Take step").click()
    await add.locator('input[name="text"]').fill("Dim the lamp")
    await add.locator('input[name="at"]').fill("0:00.5")
    await add.locator('button[type="submit"]').click()
    await page.locator(".btt-step", has_text="Dim the lamp").wait_for()
    assert await page.locator(".btt-step", has_text="Dim the lamp").locator("button.seek").inner_text() == "0:00.5"
    with node.db:
        steps = await BehindTheTakeStep.filter(take__status_id=take_id).order_by("position")
        assert [s.text for s in steps] == ["Face the window", "Count to three", "Dim the lamp"]
        assert steps[-1].at_seconds == 0.5

    # a bad time is refused next to the form, nothing written
    await page.locator("details.make summary", has_text="Add a Behind-the-Take step").click()
    await add.locator('input[name="text"]').fill("Too late")
    await add.locator('input[name="at"]').fill("9:99")
    await add.locator('button[type="submit"]').click()
    await page.locator(".take-side .flash.error").wait_for()
    with node.db:
        assert await BehindTheTakeStep.filter(take__status_id=take_id).count() == 3

    # remove the step again
    await page.locator(".btt-step", has_text="Dim the lamp").locator("form.inline button").click()
    await page.locator(".btt-step", has_text="Dim the lamp").wait_for(state="detached")

    # update the template from the page, then use it from its page
    publish = page.locator('form[action$="/template"]')
    await page.locator("details.make summary", has_text="template").click()
    await publish.locator('input[name="name"]').fill("Window light, slow")
    await publish.locator('input[name="overlay"]').fill("wait for it")
    await publish.locator('button[type="submit"]').click()
    await page.wait_for_url(re.compile(r"/takes/templates/\d+$"))
    assert await page.locator("h1").inner_text() == "Window light, slow"
    with node.db:
        assert (await TakeTemplate.get(id=made["template"].id)).overlays == [{"text": "wait for it"}]
    await page.click("a.use-template")
    await page.wait_for_url(re.compile(r"/takes/new\?template_id=\d+$"))
    notice = await page.locator(".notice").inner_text()
    assert "Window light, slow" in notice and str(made["template"].id) not in notice
    await page.goto(base + f"/takes/new?trend_id={made['take'].trend_id}")
    notice = await page.locator(".notice").inner_text()
    assert "Joining #goldenhour" in notice and str(made["take"].trend_id) not in notice
    await page.goto(base + f"/takes/trends/{made['take'].trend_id}")
    assert "1 participant across" in await page.locator(".take-trend-head").inner_text()  # theo joined maya's
    assert "/h" not in await page.locator(".take-trend-head").inner_text()
    await context.close()


async def test_compose_with_photos_and_a_poll_then_vote(serve, browser, tmp_path):
    client = await serve("vignette")
    node = client.node
    await seed(node)
    base = str(client.make_url("")).rstrip("/")
    pictures = []
    for kind in ("sea", "forest", "dusk"):
        pictures.append(tmp_path / f"{kind}.jpg")
        pictures[-1].write_bytes(photo(kind))
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    await sign_in(page, base, "alice")
    await page.goto(base + "/compose")
    form = page.locator("main form.compose")

    # an empty post is refused in place, without a round trip
    await form.locator('button[type="submit"]').click()
    assert await form.locator("#c-text-error").inner_text() == "Write something, or add a photo, video or poll, before posting."
    assert page.url == base + "/compose"

    await form.locator('textarea[name="status"]').fill("Which one goes on the wall?")
    await form.locator("input[data-media-input]").set_input_files([str(p) for p in pictures])
    items = form.locator(".media-item")
    await page.wait_for_function("() => document.querySelectorAll('main .media-item input[name=\"media_ids[]\"]').length === 3")
    with node.db:
        assert await MediaAttachment.filter(status_id=None).count() == 3  # uploaded already, not attached yet
    await items.nth(0).locator('textarea').fill("Sea at dawn")
    await items.nth(2).locator('textarea').fill("Dusk over the hills")
    await items.nth(1).locator("[data-remove]").click()  # drop the forest
    await items.nth(1).drag_to(items.nth(0))  # drag dusk before sea
    assert [await i.locator("textarea").input_value() for i in await items.all()] == ["Dusk over the hills", "Sea at dawn"]

    assert await form.locator("button[data-panel$='-poll']").is_disabled()  # media or a poll, not both
    await form.locator('button[data-panel$="-cw"]').click()
    await form.locator('input[name="spoiler_text"]').fill("art opinions")
    await form.locator('select[name="visibility"]').select_option("unlisted")
    await form.locator('select[name="language"]').select_option("fr")
    await page.screenshot(path=shot_path("vignette-compose-phone.png"), full_page=True)
    await form.locator('button[type="submit"]').click()
    await page.wait_for_url(re.compile(r"/@alice/\d+$"))
    with node.db:
        status = await Status.get(text="Which one goes on the wall?")
        attached = await MediaAttachment.filter(status_id=status.id).order_by("position", "id")
    assert [m.description for m in attached] == ["Dusk over the hills", "Sea at dawn"]
    assert (status.spoiler_text, status.visibility, status.language) == ("art opinions", "unlisted", "fr")

    await page.goto(base + "/compose")
    await form.locator('textarea[name="status"]').fill("Dusk or sea?")
    await form.locator("button[data-panel$='-poll']").click()
    assert await form.locator("[data-pick-media]").is_disabled()
    options = form.locator('input[name="poll[options][]"]')
    await options.nth(0).fill("Dusk")
    await options.nth(1).fill("Sea")
    await form.locator("[data-add-option]").click()
    await options.nth(2).fill("Neither")
    await form.locator('select[name="poll[expires_in]"]').select_option("3600")
    await form.locator('button[type="submit"]').click()
    await page.wait_for_url(re.compile(r"/@alice/\d+$"))
    with node.db:
        status = await Status.get(text="Dusk or sea?")
        poll = await Poll.get(status_id=status.id)
    assert poll.options == ["Dusk", "Sea", "Neither"] and not poll.multiple and poll.expires_at is not None
    await context.close()

    context = await browser.new_context(viewport=DESKTOP)
    page = await context.new_page()
    await sign_in(page, base, "maya")
    await page.goto(base + f"/@alice/{status.id}")
    await page.locator(".poll label", has_text="Dusk").click()
    await page.locator(".poll button[type=submit]").click()
    await page.locator(".poll-option.result.mine", has_text="Dusk").wait_for()
    assert "1 person" in await page.locator(".poll-meta").inner_text()
    with node.db:
        assert [v.choice for v in await PollVote.filter(poll_id=poll.id)] == [0]
    await context.close()


@pytest.mark.parametrize("theme", ["vignette", "socialink"])
async def test_feeds_show_reply_context_shares_once_and_mark_direct_posts(serve, browser, theme):
    client = await serve(theme)
    node = client.node
    seeded = await seed(node)
    people = seeded["people"]
    with node.db:
        direct = await statuses.create_status(node, people["maya"].account, statuses.Draft(
            text="@alice dinner on friday?", visibility="direct"))
    base = str(client.make_url("")).rstrip("/")
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    await sign_in(page, base, "maya")
    reply = page.locator("article.post", has_text="this is stunning")
    context_line = reply.locator(".reply-context")
    assert await context_line.inner_text() == "Replying to @maya"
    assert await context_line.locator("a").get_attribute("href") == f"/@maya/{seeded['sunset'].id}"
    await context.close()
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    await sign_in(page, base, "alice")
    # alice follows theo and shared his post: it is on her feed once, as her share
    assert await page.locator(f'article[data-status="{seeded["sea"].id}"]').count() == 1
    assert "shared" in await page.locator(f'article[data-status="{seeded["sea"].id}"] .shared-by').inner_text()
    mine = page.locator(f'article[data-status="{direct.id}"]')
    assert "Direct" in await mine.locator(".audience-direct").inner_text()
    assert await mine.locator('form[data-kind="reblog"]').count() == 0
    # the profile's count counts replies too, as every app does; "Posts and replies" shows them all
    await page.goto(base + "/@alice?with_replies=1")
    count = int(re.search(r"(\d+) posts?", await page.locator(".stats").inner_text()).group(1))
    with node.db:
        assert count == await Status.filter(account_id=people["alice"].account.id).count()
    await context.close()
