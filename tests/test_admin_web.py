"""The web admin area over real HTTP with a signed-in browser session: only admins get in (others a 403
page, signed out to the sign-in page), every form needs the session's CSRF token, and each action goes
through the same services as the admin API (a sign-up approved or rejected here is what the API shows).
Also /about, /privacy-policy and /terms in both themes."""

from __future__ import annotations

import re

import pytest
from support import bearer, create_user
from websupport import form_token, sign_in

from node.app import build_app
from node.models import Account, Announcement, CanonicalEmailBlock, InstanceText, IpBlock, Rule, User
from node.services import accounts, instance_info


@pytest.fixture
async def admin_site(aiohttp_client, make_config, node_of):  # type: ignore[no-untyped-def]
    client = await aiohttp_client(build_app(make_config(node={"registrations": "approval"}), scheduler=False))
    node = node_of(client)
    await create_user(node, "root", admin=True)
    await create_user(node, "ana")
    csrf = await sign_in(client, "root@example.com")
    return client, node, csrf


async def test_only_admins_get_in(admin_site):
    client, node, _ = admin_site
    for path in (
        "/admin/accounts",
        "/admin/rules",
        "/admin/announcements",
        "/admin/documents",
        "/admin/blocks",
    ):
        response = await client.get(path)
        assert response.status == 200, path
        assert 'aria-label="Admin"' in await response.text()
    assert (await client.get("/admin", allow_redirects=False)).status == 303
    # the same browser signed out: off to the sign-in page
    client.session.cookie_jar.clear()
    response = await client.get("/admin/rules", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"].startswith("/login")
    # ana, not an admin: the 403 page, no admin link, and her forms write nothing
    await sign_in(client, "ana@example.com")
    refused = await client.get("/admin/accounts")
    assert refused.status == 403 and "admins" in await refused.text()
    home = await (await client.get("/")).text()
    assert 'href="/admin"' not in home
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', home)[1]  # type: ignore[index]
    posted = await client.post("/admin/rules", data={"csrf_token": csrf, "text": "Mine now"})
    assert posted.status == 403
    with node.bound():
        assert await Rule.all().count() == 0


async def test_sign_up_queue_and_account_actions(admin_site):
    client, node, csrf = admin_site
    with node.bound():
        newbie = await accounts.create_local_account(
            node, "newbie", "newbie@example.com", "correct horse battery"
        )
        await User.filter(id=newbie.id).update(approved=False, sign_up_reason="I like gardens")
        spammer = await accounts.create_local_account(
            node, "spammer", "spam@example.com", "correct horse battery"
        )
        await User.filter(id=spammer.id).update(approved=False)
        ana = await Account.get(username="ana")
    listing = await client.get("/admin", allow_redirects=True)
    text = await listing.text()
    assert "newbie" in text and "I like gardens" in text and "Approve" in text
    assert (
        await client.post(f"/admin/accounts/{newbie.account_id}/approve", data={"csrf_token": "wrong"})
    ).status == 403
    approved = await client.post(
        f"/admin/accounts/{newbie.account_id}/approve", data={"csrf_token": csrf}, allow_redirects=False
    )
    assert approved.status == 303 and "done=approve" in approved.headers["Location"]
    rejected = await client.post(f"/admin/accounts/{spammer.account_id}/reject", data={"csrf_token": csrf})
    assert rejected.status == 200
    for action in ("silence", "sensitive", "suspend"):
        response = await client.post(
            f"/admin/accounts/{ana.id}/{action}", data={"csrf_token": csrf}, allow_redirects=False
        )
        assert response.status == 303, action
    with node.bound():
        assert (await User.get(id=newbie.id)).approved
        assert not await Account.filter(id=spammer.account_id).exists()
        ana = await Account.get(id=ana.id)
        assert ana.silenced_at and ana.sensitized_at and ana.suspended_at
    suspended = await (await client.get("/admin/accounts?status=suspended")).text()
    assert f"/admin/accounts/{ana.id}/unsuspend" in suspended
    undone = await client.post(
        f"/admin/accounts/{ana.id}/unsuspend", data={"csrf_token": csrf}, allow_redirects=False
    )
    assert undone.status == 303
    # the API sees the same state: the page called the same services
    _, token = await create_user(node, "api_admin", admin=True, scopes="read write admin:read admin:write")
    body = await (await client.get(f"/api/v1/admin/accounts/{ana.id}", headers=bearer(token))).json()
    assert (body["suspended"], body["silenced"], body["sensitized"]) == (False, True, True)
    # rejecting an approved account is refused, shown on the page, nothing changed
    again = await client.post(f"/admin/accounts/{newbie.account_id}/reject", data={"csrf_token": csrf})
    assert again.status == 403 and 'class="flash error"' in await again.text()
    assert (await client.post("/admin/accounts/123/dance", data={"csrf_token": csrf})).status == 404
    assert (
        await client.post("/admin/accounts/99999999999999999999/silence", data={"csrf_token": csrf})
    ).status == 404


async def test_rules_announcements_documents_and_blocks(admin_site):
    client, node, csrf = admin_site
    added = await client.post(
        "/admin/rules", data={"csrf_token": csrf, "text": "Be kind", "hint": "Really"}, allow_redirects=False
    )
    assert added.status == 303
    empty = await client.post("/admin/rules", data={"csrf_token": csrf, "text": "   "})
    assert empty.status == 422 and "Text can&#39;t be blank" in await empty.text()
    with node.bound():
        rule = await Rule.get(text="Be kind")
        assert await Rule.all().count() == 1
    edited = await client.post(
        f"/admin/rules/{rule.id}",
        data={
            "csrf_token": csrf,
            "text": "Be kind, always",
            "hint": "",
            "priority": "3",
            "translation_language": "fr",
            "translation_text": "Soyez gentils",
        },
        allow_redirects=False,
    )
    assert edited.status == 303
    blank = await client.post(f"/admin/rules/{rule.id}", data={"csrf_token": csrf, "text": ""})
    assert blank.status == 422
    rules = await (await client.get("/api/v1/instance/rules")).json()
    assert rules == [
        {
            "id": str(rule.id),
            "text": "Be kind, always",
            "hint": "",
            "translations": {"fr": {"text": "Soyez gentils", "hint": ""}},
        }
    ]

    made = await client.post(
        "/admin/announcements",
        data={
            "csrf_token": csrf,
            "text": "Party on Friday",
            "published": "1",
            "starts_at": "2026-12-04T18:00",
            "ends_at": "2026-12-04T23:00",
        },
        allow_redirects=False,
    )
    assert made.status == 303
    lopsided = await client.post(
        "/admin/announcements", data={"csrf_token": csrf, "text": "x", "starts_at": "2026-12-04T18:00"}
    )
    assert lopsided.status == 422
    with node.bound():
        [announcement] = await Announcement.all()
    assert announcement.starts_at.isoformat().startswith("2026-12-04T18:00")
    _, token = await create_user(node, "ben")
    listed = await (await client.get("/api/v1/announcements", headers=bearer(token))).json()
    assert [a["content"] for a in listed] == ["<p>Party on Friday</p>"]
    unpublished = await client.post(
        f"/admin/announcements/{announcement.id}",
        data={"csrf_token": csrf, "text": "Party on Friday"},
        allow_redirects=False,
    )
    assert unpublished.status == 303
    assert await (await client.get("/api/v1/announcements", headers=bearer(token))).json() == []
    deleted = await client.post(
        f"/admin/announcements/{announcement.id}/delete", data={"csrf_token": csrf}, allow_redirects=False
    )
    assert deleted.status == 303

    saved = await client.post(
        "/admin/documents/extended_description",
        data={"csrf_token": csrf, "text": "We **garden**."},
        allow_redirects=False,
    )
    assert saved.status == 303
    terms = await client.post(
        "/admin/documents/terms",
        data={"csrf_token": csrf, "text": "Play nice", "effective_date": ""},
        allow_redirects=False,
    )
    assert terms.status == 303
    bad_day = await client.post(
        "/admin/documents/terms", data={"csrf_token": csrf, "text": "x", "effective_date": "someday"}
    )
    assert bad_day.status == 422
    about = await (await client.get("/about")).text()
    assert "<strong>garden</strong>" in about and "Be kind, always" in about and 'href="/terms"' in about
    assert "Play nice" in await (await client.get("/terms")).text()
    with node.bound():
        assert (await InstanceText.get(kind="extended_description")).text == "We **garden**."
        assert len(await instance_info.all_terms()) == 1

    blocked = await client.post(
        "/admin/blocks/email",
        data={"csrf_token": csrf, "email": "Spam.Er+x@Example.com"},
        allow_redirects=False,
    )
    assert blocked.status == 303
    ip = await client.post(
        "/admin/blocks/ip",
        data={
            "csrf_token": csrf,
            "ip": "203.0.113.0/24",
            "severity": "sign_up_block",
            "expires_in_days": "30",
        },
        allow_redirects=False,
    )
    assert ip.status == 303
    bad_ip = await client.post(
        "/admin/blocks/ip", data={"csrf_token": csrf, "ip": "not an ip", "severity": "sign_up_block"}
    )
    assert bad_ip.status == 422
    with node.bound():
        email_block = await CanonicalEmailBlock.get()
        ip_block = await IpBlock.get()
        assert ip_block.expires_at is not None and await IpBlock.all().count() == 1
    page = await (await client.get("/admin/blocks")).text()
    assert "203.0.113.0/24" in page and email_block.canonical_email_hash[:16] in page
    for kind, row in (("email", email_block), ("ip", ip_block)):
        lifted = await client.post(
            f"/admin/blocks/{kind}/{row.id}/delete", data={"csrf_token": csrf}, allow_redirects=False
        )
        assert lifted.status == 303
    with node.bound():
        assert await CanonicalEmailBlock.all().count() == 0 and await IpBlock.all().count() == 0


@pytest.mark.parametrize("theme", ["vignette", "socialink"])
async def test_about_privacy_and_terms_pages_in_both_themes(aiohttp_client, make_config, node_of, theme):
    client = await aiohttp_client(build_app(make_config(node={"theme": theme}), scheduler=False))
    node = node_of(client)
    await create_user(node, "boss", admin=True)
    with node.bound():
        await instance_info.add_rule(instance_info.RuleSpec(text="No spam", hint="Ads included"))
    about = await client.get("/about")
    text = await about.text()
    assert about.status == 200 and f'data-theme="{theme}"' in text
    assert "No spam" in text and "Ads included" in text and "@boss" in text
    assert 'href="/terms"' not in text  # none published yet
    policy = await (await client.get("/privacy-policy")).text()
    assert "What this server keeps" in policy and "localhost" in policy
    assert (await client.get("/terms")).status == 404
    csrf = await sign_in(client, "boss@example.com")
    home = await (await client.get("/")).text()
    assert 'href="/admin"' in home
    await client.post("/admin/documents/terms", data={"csrf_token": csrf, "text": "# Terms\n\nBe good."})
    terms = await (await client.get("/terms")).text()
    assert "<h1>Terms</h1>" in terms and "In effect since" in terms
    page = await client.get("/admin/rules")
    assert page.status == 200 and f'data-theme="{theme}"' in await page.text()
    assert form_token(await page.text()) == csrf


def test_cli_announcements_and_rules(tmp_path):
    from test_cli import entativa, write

    config = write(tmp_path, '[node]\ndomain = "cli.test"\n')
    assert entativa(config, "init").returncode == 0
    added = entativa(
        config,
        "announcement",
        "add",
        "Maintenance tonight",
        "--starts-at",
        "2026-12-24T18:00",
        "--ends-at",
        "2026-12-24T20:00",
    )
    assert added.returncode == 0 and "published" in added.stdout, added.stderr
    draft = entativa(config, "announcement", "add", "Later", "--draft")
    announcement_id = draft.stdout.split()[1]
    listed = entativa(config, "announcement", "list").stdout
    assert "published  Maintenance tonight" in listed and "draft      Later" in listed
    lopsided = entativa(config, "announcement", "add", "Half", "--starts-at", "2026-12-24T18:00")
    assert lopsided.returncode == 2 and "ends at" in lopsided.stderr
    assert entativa(config, "announcement", "delete", announcement_id).returncode == 0
    assert "Later" not in entativa(config, "announcement", "list").stdout
    assert entativa(config, "announcement", "delete", "12345").returncode == 2  # unknown: a readable error

    assert entativa(config, "rule", "add", "Be kind", "--hint", "Really").returncode == 0
    empty = entativa(config, "rule", "add", "  ")
    assert empty.returncode == 2 and "Text can't be blank" in empty.stderr
    assert entativa(config, "rule", "list").stdout.startswith("1. Be kind  (id ")
