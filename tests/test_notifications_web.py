"""The notifications page in both themes: groups read as sentences ("Bea and 2 others liked your post") with
avatars and a link to the post, every type has its sentence, unread groups and the navigation's badge follow
the read marker, and "Mark all as read" works as a plain form."""

from __future__ import annotations

import re

import pytest
from support import create_user
from websupport import form_token, sign_in

from node.api.keys import NODE
from node.app import build_app
from node.models import Account
from node.services import interactions, notifications, relationships, statuses


def badge(html: str) -> str | None:
    found = re.search(r'<span class="unread-badge" data-unread-badge( hidden)?[^>]*>([^<]*)</span>', html)
    assert found, "no badge in the navigation"
    return None if found.group(1) else found.group(2)


@pytest.mark.parametrize("theme", ["vignette", "socialink"])
async def test_grouped_sentences_badge_and_mark_read(aiohttp_client, make_config, theme):
    client = await aiohttp_client(build_app(make_config(node={"theme": theme}), scheduler=False))
    node = client.app[NODE]
    alice, _ = await create_user(node, "alice")
    fans = [(await create_user(node, name))[0] for name in ("bea", "cal", "dot")]
    with node.db:
        await Account.filter(id=fans[2].account_id).update(display_name="Dot Matrix")
        mine = await statuses.create_status(node, alice.account, statuses.Draft(text="Look at my garden"))
        for fan in fans:
            await interactions.favourite(node, (await Account.get(id=fan.account_id)), mine.id)
        await relationships.follow(node, await Account.get(id=fans[0].account_id), alice.account)
        await statuses.create_status(
            node, await Account.get(id=fans[1].account_id), statuses.Draft(text="@alice come and see")
        )
    await node.settle()
    await sign_in(client, "alice")
    html = await (await client.get("/notifications")).text()
    assert "Dot Matrix</strong></a> and 2 others liked your post" in html
    assert f'href="/@alice/{mine.id}"' in html and "Look at my garden" in html
    assert "cal</strong></a> mentioned you" in html and "bea</strong></a> followed you" in html
    assert html.count('class="notification kind-') == 3 and html.count(' unread"') == 3
    assert html.count("/media/") + html.count("avatar.png") >= 3  # the likers' faces
    assert badge(html) == "3"
    # mark all as read (no JS): the badge goes, the groups stay, read
    token = form_token(html.split('action="/notifications/read"', 1)[1])
    response = await client.post(
        "/notifications/read", data={"csrf_token": token, "back": "/notifications"}, allow_redirects=False
    )
    assert response.status == 303 and response.headers["Location"] == "/notifications"
    html = await (await client.get("/notifications")).text()
    assert badge(html) is None and ' unread"' not in html and "Mark all as read" not in html
    # one more like: a read group becomes unread again, and the badge counts groups, not likes
    with node.db:
        extra, _ = await create_user(node, "eve")
        await interactions.favourite(node, await Account.get(id=extra.account_id), mine.id)
    home = await (await client.get("/")).text()
    assert badge(home) == "1"
    assert (
        "eve</strong></a> and 3 others liked your post" in await (await client.get("/notifications")).text()
    )
    forged = await client.post("/notifications/read", data={"csrf_token": "nope"}, allow_redirects=False)
    assert forged.status == 403


async def test_every_type_has_a_sentence(node_client, node_of):
    node = node_of(node_client)
    alice, _ = await create_user(node, "alice")
    bob, _ = await create_user(node, "bob")
    kinds = {
        "mention": "mentioned you",
        "status": "posted",
        "reblog": "shared your post",
        "follow": "followed you",
        "follow_request": "asked to follow you",
        "favourite": "liked your post",
        "update": "edited a post you shared",
        "admin.sign_up": "signed up",
        "admin.report": "filed a report",
        "take_trend_joined": "joined your trend with a Take",
        "take_template_used": "made a Take from your template",
    }
    with node.db:
        post = await statuses.create_status(node, alice.account, statuses.Draft(text="a post"))
        for kind in kinds:
            await notifications.notify(node, alice.account, kind, bob.account, post, subject=1)
        await notifications.notify(node, alice.account, "poll", alice.account, post, about_self=True)
    await sign_in(node_client, "alice")
    html = await (await node_client.get("/notifications")).text()
    for kind, words in kinds.items():
        assert f"bob</strong></a> {words}" in html, kind
    assert "Your poll has ended" in html and "sent you a notification" not in html
