"""Mastodon.py's grouped notification and notification policy calls, unmodified and with version checks on."""

from __future__ import annotations

import asyncio

from support import create_user
from test_mastodon_py import served, signed_in


async def test_grouped_notifications_policy_and_requests(aiohttp_client, make_config, node_of):
    client, base = await served(aiohttp_client, make_config)
    for name in ("ana", "ben", "cy", "dee"):
        await create_user(node_of(client), name)

    def flows() -> dict:
        ana, ben, cy, dee = (signed_in(base, f"{n}@example.com") for n in ("ana", "ben", "cy", "dee"))
        post = ana.status_post("like this")
        ben.status_favourite(post["id"])
        cy.status_favourite(post["id"])
        ben.account_follow(ana.me()["id"])
        grouped = ana.grouped_notifications()
        full = ana.grouped_notifications(expand_accounts="full")
        key = grouped.notification_groups[0].group_key
        one = ana.grouped_notification(key)
        people = ana.grouped_notification_accounts(key)
        unread = ana.unread_grouped_notifications_count()
        ana.dismiss_grouped_notification(grouped.notification_groups[1].group_key)
        after_dismiss = ana.grouped_notifications()
        policy = ana.update_notifications_policy(for_not_following="filter")
        dee.status_post(f"@ana hello from dee {post['id']}")
        requests = ana.notification_requests()
        ana.accept_notification_request(requests[0])
        return {
            "grouped": grouped,
            "full": full,
            "one": one,
            "people": people,
            "unread": unread,
            "after_dismiss": after_dismiss,
            "policy": policy,
            "read_policy": ana.notifications_policy(),
            "requests": requests,
            "merged": ana.notifications_merged(),
            "after_accept": ana.grouped_notifications(),
            "dee": dee.me()["id"],
            "cy": cy.me()["id"],
            "ben": ben.me()["id"],
        }

    got = await asyncio.to_thread(flows)
    groups = got["grouped"].notification_groups
    assert [g.type for g in groups] == ["follow", "favourite"]
    likes = groups[1]
    assert likes.notifications_count == 2 and likes.sample_account_ids == [got["cy"], got["ben"]]
    assert [a.id for a in got["grouped"].accounts] == [got["ben"], got["cy"]]  # newest of each group in full
    assert [a.id for a in got["full"].accounts] == [got["ben"], got["cy"]]
    assert got["one"].notification_groups[0].group_key == groups[0].group_key
    assert [a.id for a in got["people"]] == [got["ben"]]
    assert got["unread"] == 2
    assert [g.type for g in got["after_dismiss"].notification_groups] == ["follow"]
    assert got["policy"].for_not_following == "filter" == got["read_policy"].for_not_following
    assert [r.account.id for r in got["requests"]] == [got["dee"]] and got["requests"][
        0
    ].notifications_count == "1"
    assert got["merged"] is True
    assert [g.type for g in got["after_accept"].notification_groups] == ["mention", "follow"]
