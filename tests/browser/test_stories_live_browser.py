"""Stories pages that change in place, in real Chromium at a phone's size: the home tray following the user
stream (a followed account's new story appears, a seen ring turns unseen, a deleted or expired story leaves
its ring and an empty ring goes), in both themes."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest
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
