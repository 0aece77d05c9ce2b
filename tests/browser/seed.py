"""A small, believable community for browser tests and screenshots: people with avatars and bios, photo
posts, a text post with a content warning, likes, shares and comments. Everything goes through services."""

from __future__ import annotations

import io
import math
import sys
from pathlib import Path

from aiohttp.web_request import FileField
from multidict import CIMultiDict, CIMultiDictProxy
from PIL import Image, ImageDraw
from support import create_user

from node.runtime import Node
from node.services import interactions, media, profiles, relationships, statuses, take_templates, takes


def photo(kind: str, size: tuple[int, int] = (1080, 1080)) -> bytes:
    """A synthetic but photo-like picture: a sunset, mountains, sea or a portrait-ish gradient avatar."""
    w, h = size
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    palettes = {
        "sunset": ((255, 94, 98), (255, 195, 113)), "sea": ((15, 76, 129), (125, 211, 252)),
        "forest": ((20, 83, 45), (187, 247, 208)), "dusk": ((49, 46, 129), (244, 114, 182)),
        "avatar1": ((236, 72, 153), (251, 191, 36)), "avatar2": ((59, 130, 246), (16, 185, 129)),
        "avatar3": ((124, 58, 237), (56, 189, 248)), "header": ((251, 113, 133), (129, 140, 248)),
    }
    top, bottom = palettes[kind]
    for y in range(h):
        t = y / h
        draw.line([(0, y), (w, y)], fill=tuple(int(top[i] + (bottom[i] - top[i]) * t) for i in range(3)))
    if kind.startswith("avatar"):
        draw.ellipse((w * .3, h * .18, w * .7, h * .58), fill=(255, 255, 255))
        draw.ellipse((w * .15, h * .62, w * .85, h * 1.3), fill=(255, 255, 255))
        return _png(image)
    if kind in ("sunset", "dusk"):
        draw.ellipse((w * .35, h * .45, w * .65, h * .75), fill=(255, 240, 200))
    for layer, shade in enumerate(((40, 40, 70), (25, 25, 45))):
        points = [(0, h)]
        for x in range(0, w + 40, 40):
            points.append((x, h * (.62 + .08 * layer) - 90 * abs(math.sin(x / (170 + 60 * layer) + layer))))
        points.append((w, h))
        draw.polygon(points, fill=shade if kind != "forest" else (10, 60 - 15 * layer, 30))
    if kind == "sea":
        for y in range(int(h * .7), h, 14):
            draw.line([(0, y), (w, y)], fill=(200, 230, 255), width=2)
    return _png(image)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def upload(data: bytes, name: str = "photo.jpg") -> FileField:
    return FileField(name="file", filename=name, file=io.BytesIO(data), content_type="image/jpeg",
                     headers=CIMultiDictProxy(CIMultiDict()))


async def seed(node: Node) -> dict[str, object]:
    """Create the community; returns the users and the statuses the tests click on."""
    people = {}
    for name, display, bio, avatar in [
            ("maya", "Maya Lin", "Chasing golden hour. Film and digital, mostly mountains.", "avatar1"),
            ("theo", "Theo Park", "Sailing, coffee and long walks on the #coast.", "avatar2"),
            ("alice", "Alice Moreau", "Trail runner. Mountains over beaches, always.", "avatar3")]:
        user, _ = await create_user(node, name)
        with node.db:
            await profiles.update_profile(node, user, profiles.ProfileChanges(
                display_name=display, note=bio, avatar=upload(photo(avatar, (256, 256))),
                header=upload(photo("header", (1500, 500))),
                fields=[{"name": "Based in", "value": "Lisbon"}]))
        people[name] = user
    with node.db:
        maya, theo, alice = people["maya"].account, people["theo"].account, people["alice"].account
        await relationships.follow(node, alice, maya)
        await relationships.follow(node, alice, theo)
        await relationships.follow(node, maya, alice)

        async def post(account, text, pictures=(), **extra):
            attached = [await media.upload_media(node, account, upload(photo(p)), description=f"A {p} photo")
                        for p in pictures]
            return await statuses.create_status(node, account, statuses.Draft(
                text=text, media_ids=[m.id for m in attached], **extra))

        sea = await post(theo, "Morning swell at the #coast, nobody else out yet.", ["sea"])
        sunset = await post(maya, "Last light over the ridge tonight. #goldenhour", ["sunset"])
        await post(maya, "Three frames from the weekend hike.", ["forest", "dusk", "sunset"])
        await post(theo, "Spoilers for the finale, you have been warned!", spoiler_text="TV spoilers")
        await post(alice, "New personal best on the hill loop today!")
        for fan in (theo, alice):
            await interactions.favourite(node, fan, sunset.id)
        await interactions.reblog(node, alice, sea.id)
        await post(alice, "@maya this is stunning", in_reply_to_id=sunset.id)
    await node.settle()
    return {"people": people, "sunset": sunset, "sea": sea}


def video_upload(data: bytes, name: str = "take.webm") -> FileField:
    return FileField(name="video", filename=name, file=io.BytesIO(data), content_type="video/webm",
                     headers=CIMultiDictProxy(CIMultiDict()))


async def seed_takes(node: Node, people: dict[str, object]) -> dict[str, object]:
    """Two Takes: Maya starts a trend with Behind-the-Take steps and publishes it as a template; Theo joins
    the trend from the template. Needs the people from seed()."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from fixtures.video import webm

    with node.db:
        maya, theo = people["maya"].account, people["theo"].account  # type: ignore[attr-defined]
        first = await takes.create_take(node, maya, takes.TakeDraft(
            caption="Golden hour in one take #lighting", video=video_upload(webm()),
            sound={"title": "Warm Nights", "author": "Lumen"}, trend_name="Golden hour", trend_hashtag="goldenhour",
            steps=[takes.StepSpec(text="Face the window", media_id=None, at_seconds=0.2),
                   takes.StepSpec(text="Count to three", media_id=None, at_seconds=None)]))
        template = await take_templates.publish(node, maya, first.status_id, name="Window light", segments=None,
                                                overlays=None, sound=None, effects=None)
        second = await takes.create_take(node, theo, takes.TakeDraft(
            caption="My try at the window light", video=video_upload(webm()), template_id=template.id,
            trend_id=first.trend_id))
    await node.settle()
    return {"take": first, "joined": second, "template": template}


async def seed_stories(node: Node, people: dict[str, object]) -> dict[str, object]:
    """Stories for the pages: Maya's story with a poll and a text overlay (seen by Alice, who answered),
    Theo's close-friends story (Alice is on his list), and Maya's highlight of her story. Needs seed()."""
    from node.services.stories import answers, audience, highlights, posting, viewing

    where = {"x": 0.5, "y": 0.6, "width": 0.6, "height": 0.2, "rotation": 0}
    with node.db:
        maya, theo, alice = (people[n].account for n in ("maya", "theo", "alice"))  # type: ignore[attr-defined]
        await relationships.follow(node, theo, maya)
        picture = await media.upload_media(node, maya, upload(photo("sunset", (540, 960))))
        story = await posting.create_story(node, maya, posting.StoryDraft(
            media_id=picture.id, duration=15, overlays=[{"text": "Ridge run", "color": "#ffffff", "position": where}],
            stickers=[{"type": "poll", "position": where, "question": "Sunrise or sunset?",
                       "options": ["Sunrise", "Sunset"]}]))
        await audience.add_close_friends(node, theo, [alice.id])
        picture = await media.upload_media(node, theo, upload(photo("sea", (540, 960))))
        close = await posting.create_story(node, theo, posting.StoryDraft(media_id=picture.id, duration=15,
                                                                          audience="close_friends"))
        await viewing.record_view(node, alice, story, "next", True)
        sticker = (await story.stickers.all())[0]
        await answers.answer(node, alice, story, sticker, answers.AnswerInput(choice=1))
        highlight = await highlights.create(node, maya, "Ridges", [story.id], None)
    await node.settle()
    return {"story": story, "close": close, "highlight": highlight}
