"""Pages in the reader's language: French from the browser's Accept-Language or from the account's own
setting (settings → preferences), English otherwise, with plurals (ngettext) and dates in that language;
error pages, the scripts' catalogue and mails follow the same choice."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from support import create_user
from websupport import form_token, sign_in

from node import i18n
from node.models import ChannelJob, Status, User
from node.notify import mail
from node.services import relationships, statuses

FRENCH = {"Accept-Language": "fr-CH, fr;q=0.9, en;q=0.5"}
LONG_AGO = datetime(2026, 2, 14, 9, 30, tzinfo=UTC)  # past a week, so a post shows its date


async def _alice_with_two_followers(node):
    alice, _ = await create_user(node, "alice")
    bob, _ = await create_user(node, "bob")
    carol, _ = await create_user(node, "carol")
    with node.db:
        for follower in (bob, carol):
            await relationships.follow(node, follower.account, alice.account)
        status = await statuses.create_status(node, alice.account, statuses.Draft(text="Harbour at dawn"))
        await Status.filter(id=status.id).update(created_at=LONG_AGO)
    return alice, status


def _lang(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


async def test_accept_language_draws_the_profile_in_french_with_plurals_and_dates(node_client, node_of):
    node = node_of(node_client)
    _, status = await _alice_with_two_followers(node)

    french = await node_client.get("/@alice", headers=FRENCH)
    html = await french.text()
    assert french.status == 200 and _lang(html) == "fr"
    assert "<strong>2</strong> abonnés</li>" in html  # plural
    assert "<strong>1</strong> publication</li>" in html  # singular
    assert "Publications et réponses" in html and "Posts and replies" not in html
    assert "Accept-Language" in french.headers["Vary"]
    post = await (await node_client.get(f"/@alice/{status.id}", headers=FRENCH)).text()
    assert ">14 févr. 2026</time>" in post  # the post's date, written the French way

    english = await (await node_client.get("/@alice")).text()
    assert _lang(english) == "en"
    assert "<strong>2</strong> followers</li>" in english and "<strong>1</strong> post</li>" in english
    assert ">14 Feb 2026</time>" in await (await node_client.get(f"/@alice/{status.id}")).text()

    # a language without a catalogue falls back to English, whatever else the header says
    german = await (await node_client.get("/@alice", headers={"Accept-Language": "de-DE, de;q=0.8"})).text()
    assert _lang(german) == "en" and "followers" in german


async def test_french_error_page_and_script_catalogue(node_client):
    missing = await node_client.get("/@nobody", headers=FRENCH)
    html = await missing.text()
    assert missing.status == 404 and _lang(html) == "fr"
    assert "Introuvable" in html and "Retour à l'accueil" in html

    page = await (await node_client.get("/login", headers=FRENCH)).text()
    catalogue = json.loads(re.search(r'<script type="application/json" id="i18n-catalogue">(.*?)</script>',
                                     page, re.S).group(1))
    assert catalogue["Uploading…"] == "Envoi…"
    assert catalogue["{num} unread notification"] == ["{num} notification non lue", "{num} notifications non lues"]
    assert "Record not found" not in catalogue  # only what the scripts use
    assert 'id="i18n-catalogue"' not in await (await node_client.get("/login")).text()  # English needs none


async def test_the_account_setting_beats_the_browser_and_can_be_given_back(node_client, node_of):
    node = node_of(node_client)
    _, status = await _alice_with_two_followers(node)
    await sign_in(node_client, "alice")

    form = await (await node_client.get("/settings/preferences")).text()
    assert '<option value="fr" lang="fr" >Français</option>' in form
    fields = {"csrf_token": form_token(form), "default_visibility": "public", "default_language": "en",
              "expand_media": "default"}
    saved = await node_client.post("/settings/preferences", data={**fields, "ui_locale": "fr"},
                                   allow_redirects=False)
    assert saved.status == 303
    with node.db:
        assert (await User.get(account__username="alice")).ui_locale == "fr"

    # signed in, the account's choice wins over an English browser
    home = await (await node_client.get("/@alice", headers={"Accept-Language": "en"})).text()
    assert _lang(home) == "fr" and "<strong>2</strong> abonnés</li>" in home
    post = await (await node_client.get(f"/@alice/{status.id}", headers={"Accept-Language": "en"})).text()
    assert ">14 févr. 2026</time>" in post
    prefs = await (await node_client.get("/settings/preferences?saved=1")).text()
    assert "Préférences enregistrées." in prefs and '<option value="fr" lang="fr" selected>' in prefs

    refused = await node_client.post("/settings/preferences", data={**fields, "ui_locale": "xx",
                                                                     "default_language": "de"})
    assert refused.status == 422 and "la langue du site" in await refused.text()
    with node.db:
        user = await User.get(account__username="alice")
        assert (user.ui_locale, user.locale) == ("fr", "en")  # nothing half-written

    back = await node_client.post("/settings/preferences", data={**fields, "ui_locale": ""}, allow_redirects=False)
    assert back.status == 303
    english = await (await node_client.get("/@alice", headers={"Accept-Language": "en"})).text()
    assert _lang(english) == "en" and "<strong>2</strong> followers</li>" in english


async def test_a_mail_is_written_in_the_recipients_language(node_client, node_of):
    node = node_of(node_client)
    alice, _ = await create_user(node, "alice")
    with node.db:
        await User.filter(id=alice.id).update(ui_locale="fr")
        job = ChannelJob(account_id=alice.account.id, channel="email", kind="reset",
                         due_at=datetime.now(UTC), created_at=datetime.now(UTC))
        composed = await mail.compose(node, job)
    assert composed.subject == f"Réinitialisez votre mot de passe sur {node.config.node.name}"
    assert "Choisissez un nouveau mot de passe ici" in composed.text
    assert '<html lang="fr">' in composed.html and "Choisir un nouveau mot de passe" in composed.html
    assert i18n.current() == "en"  # the mail's language did not leak into whatever runs next


def test_negotiation_and_locale_formats() -> None:
    assert i18n.negotiate("fr-CA;q=0.8, en;q=0.9") == "en"  # the higher q wins
    assert i18n.negotiate("de, fr-BE;q=0.5") == "fr"  # a region is satisfied by the language
    assert i18n.negotiate("*, de") is None and i18n.negotiate("") is None and i18n.negotiate("fr;q=0") is None
    with i18n.using("fr"):
        assert i18n.format_compact(1234) == "1,2\u00a0k" and i18n.format_number(1234567) == "1\u202f234\u202f567"
        assert i18n.ngettext("%(num)s post", "%(num)s posts", 0) == "%(num)s publication"  # French: 0 is singular
        assert i18n.format_ago(datetime(2026, 2, 14, 9, 0, tzinfo=UTC), now=datetime(2026, 2, 14, 12, 0, tzinfo=UTC)) == "3h"
    with i18n.using("en"):
        assert i18n.format_compact(1234) == "1.2K"
        assert i18n.format_ago(datetime(2026, 2, 14, 9, 0, tzinfo=UTC), now=datetime(2026, 2, 14, 9, 0, 30, tzinfo=UTC)) == "now"


PAGES = ["/", "/explore", "/search?q=harbour", "/takes", "/notifications", "/compose", "/bookmarks", "/about",
         "/privacy-policy", "/settings", "/settings/profile", "/settings/preferences",
         "/settings/notifications", "/settings/privacy", "/settings/account", "/settings/sessions",
         "/settings/two-factor", "/settings/export", "/settings/import", "/settings/delete", "/stories/archive",
         "/stories/close-friends", "/stories/new", "/takes/new", "/admin/accounts", "/admin/rules",
         "/admin/announcements", "/admin/documents", "/admin/blocks", "/tags/harbour"]


async def test_every_page_renders_in_french_with_no_placeholder_left(node_client, node_of):
    """Each page an admin can open, in French: drawn (200), in French, and no %(name)s or {name} of a
    message left unfilled nor a translated message escaped twice."""
    node = node_of(node_client)
    await create_user(node, "root", admin=True)
    await _alice_with_two_followers(node)
    await sign_in(node_client, "root")
    with node.db:
        await User.filter(account__username="root").update(ui_locale="fr")
    for path in PAGES:
        response = await node_client.get(path)
        html = await response.text()
        assert response.status == 200, (path, response.status)
        assert _lang(html) == "fr", path
        body = re.sub(r"<script\b.*?</script>", "", html, flags=re.S)  # the scripts' catalogue holds {names}
        assert not re.search(r"%\([a-z_0-9]+\)s|(?<!%)\{[a-z_]+\}|&amp;[a-z]+;", body), (path, re.findall(
            r".{40}(?:%\([a-z_0-9]+\)s|(?<!%)\{[a-z_]+\}|&amp;[a-z]+;).{40}", body)[:3])
