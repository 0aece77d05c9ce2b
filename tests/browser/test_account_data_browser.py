"""Issue 14's pages in a real browser (system Chromium), in both themes: custom emoji drawn as pictures in
posts and names (alt = the shortcode), the export page's CSV download, an import uploaded through the form
with its progress, and an account archive requested, built and downloaded."""

from __future__ import annotations

import io
import zipfile

import pytest
from conftest import shot_path, sign_in_page
from PIL import Image
from support import create_user

from node.activitypub import archive, resolve
from node.services import account_imports, emoji, relationships

PASSWORD = "correct horse battery"


def picture() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (64, 64), "gold").save(out, "PNG")
    return out.getvalue()


async def sign_in(page, base: str, name: str) -> None:  # type: ignore[no-untyped-def]
    await sign_in_page(page, base, name)


@pytest.mark.parametrize("theme", ["vignette", "socialink"])
async def test_emoji_export_import_and_archive_in_the_browser(serve, browser, tmp_path, theme):
    client = await serve(theme)
    node = client.node
    alice, token = await create_user(node, "alice")
    bob, _ = await create_user(node, "bob")
    with node.bound():
        await emoji.add_local(node, "blobcat", picture())
        await relationships.follow(node, alice.account, bob.account, notify=True)
    auth = {"Authorization": f"Bearer {token}"}
    await client.patch(
        "/api/v1/accounts/update_credentials", headers=auth, data={"display_name": "Alice :blobcat:"}
    )
    posted = await (
        await client.post("/api/v1/statuses", headers=auth, json={"status": "hello :blobcat: !"})
    ).json()
    base = str(client.make_url("")).rstrip("/")
    context = await browser.new_context(viewport={"width": 390, "height": 844}, accept_downloads=True)
    page = await context.new_page()
    await sign_in(page, base, "alice")

    # emoji: loaded pictures, inline with the text, the shortcode as alt
    await page.goto(f"{base}/@alice/{posted['id']}")
    pictures = page.locator('img.custom-emoji[alt=":blobcat:"]')
    await pictures.first.wait_for()
    assert await pictures.count() >= 2  # the post and the author's name
    size = await pictures.first.evaluate(
        "i => [i.naturalWidth, i.getBoundingClientRect().height, getComputedStyle(i).display]"
    )
    assert size[0] == 64 and 10 < size[1] < 40 and size[2] == "inline"  # loaded, drawn in the line of text
    await page.screenshot(path=shot_path(f"{theme}-emoji.png"))
    spread = await page.locator(".content", has_text="hello").first.evaluate(
        """c => { const r = document.createRange(); r.selectNodeContents(c.querySelector('p') || c);
                 const mids = [...r.getClientRects()].map(b => b.top + b.height / 2);
                 return Math.max(...mids) - Math.min(...mids); }"""
    )
    assert spread < 8  # "hello", the picture and "!" share one line on a phone

    # export: the follows file downloads in Mastodon's format
    await page.goto(base + "/settings/export")
    async with page.expect_download() as waiting:
        await page.click('a[href="/settings/exports/follows.csv"]')
    download = await waiting.value
    exported = (await download.path()).read_text()
    assert exported.splitlines() == [
        "Account address,Show boosts,Notify on new posts,Languages",
        f"bob@{node.config.node.domain},true,true,",
    ]

    # import: a blocks file through the form, progress shown, then finished
    blocks = tmp_path / "blocked_accounts.csv"
    blocks.write_text(f"bob@{node.config.node.domain}\nnobody@{node.config.node.domain}\n")
    await page.goto(base + "/settings/import")
    await page.select_option('select[name="type"]', "blocking")
    await page.set_input_files('input[name="data"]', str(blocks))
    await page.click('form[action="/settings/import"] button[type="submit"]')
    await page.wait_for_url(base + "/settings/import?started=1")
    assert "0 of 2 done" in await page.locator(".imports").inner_text()
    with node.bound():
        while await account_imports.run_once(node, resolve.resolve_acct, resolve.resolve_url):
            pass
    await page.reload()
    assert "finished, 1 of 2 imported" in await page.locator(".imports").inner_text()
    await page.screenshot(path=shot_path(f"{theme}-import.png"))

    # archive: requested, built by the job, downloaded
    await page.goto(base + "/settings/export")
    await page.click('form[action="/settings/export/archive"] button')
    await page.wait_for_url(base + "/settings/export?requested=1")
    assert "being built" in await page.locator(".archives").inner_text()
    with node.bound():
        assert await archive.run_once(node) == 1
    await page.reload()
    async with page.expect_download() as waiting:
        await page.click(".archives a.btn")
    zipped = zipfile.ZipFile(await (await waiting.value).path())
    assert {"actor.json", "outbox.json", "likes.json", "bookmarks.json"} <= set(zipped.namelist())
    await page.screenshot(path=shot_path(f"{theme}-export.png"))
    await context.close()
