"""Stories over ActivityPub, to and from the servers that understand them, and never to any other server
(an ephemeral story must not become a permanent post elsewhere). What a server understands is read from
its NodeInfo software name: `entativa` (our story documents with stickers and overlays, `entativa:`
terms) or `pixelfed` (Pixelfed's story protocol: `Add` of a bearcap URL, a bearer fetch, `View`,
`Story:Reply`, `Story:Reaction`, `Delete`).

The author's node is authoritative: viewers' nodes send views, answers, replies, reactions and countdown
subscriptions to the author only, signed; a story is fetched only with a signature from someone in its
audience (or, from Pixelfed, with its bearer token). Receivers drop a story at its `expiresAt` whatever
arrives, and on `Delete`. "Add yours" answers are checked as Take trend joins are: the answering story is
read from its own server, must be its actor's and must name the prompt, before the originator lists it.
"""

from __future__ import annotations

import hmac
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlsplit

from federation.as2 import default_context, id_of, type_of
from federation.client import FetchError, HttpStatusError

from ..errors import BadRequest, DomainError, Forbidden, NotFound
from ..models import (
    Account,
    CloseFriend,
    Delivery,
    Follow,
    Peer,
    StickerAnswer,
    Story,
    StoryAudience,
    StoryResponse,
    StorySticker,
    StoryView,
    snowflake,
)
from ..models.story import ANSWERABLE, STICKER_KINDS
from ..services import media as media_service
from ..services.stories import LIFETIME, answers, audience, posting, stickers, viewing
from . import delivery, ingest, remote_media, serialize, state
from .actors import fetch_actor, host_of
from .handlers import registry
from .takes import iso_duration, parse_duration

if TYPE_CHECKING:
    from federation.as2 import ParsedActivity

    from ..runtime import Node

log = logging.getLogger(__name__)

AWARE = ("entativa", "pixelfed")
SOFTWARE_TTL = timedelta(days=7)
RETRY_UNKNOWN = timedelta(hours=1)
MAX_MEDIA = 100 * 1024 * 1024
TERMS: dict[str, Any] = {
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "Story": "entativa:Story",
    "StorySticker": "entativa:StorySticker",
    "StickerAnswer": "entativa:StickerAnswer",
    "Highlight": "entativa:Highlight",
    "expiresAt": {"@id": "entativa:expiresAt", "@type": "xsd:dateTime"},
    "storyAudience": "entativa:storyAudience",
    "canReply": {"@id": "entativa:canReply", "@type": "xsd:boolean"},
    "canReact": {"@id": "entativa:canReact", "@type": "xsd:boolean"},
    "overlays": {"@id": "entativa:overlays", "@type": "@json"},
    "stickers": {"@id": "entativa:stickers", "@container": "@list"},
    "stickerType": "entativa:stickerType",
    "position": {"@id": "entativa:position", "@type": "@json"},
    "stickerData": {"@id": "entativa:stickerData", "@type": "@json"},
    "participants": {"@id": "entativa:participants", "@type": "@id"},
    "addYoursOf": {"@id": "entativa:addYoursOf", "@type": "@id"},
    "originator": {"@id": "entativa:originator", "@type": "@id"},
    "choice": {"@id": "entativa:choice", "@type": "xsd:nonNegativeInteger"},
    "value": {"@id": "entativa:value", "@type": "xsd:double"},
    "subscribe": {"@id": "entativa:subscribe", "@type": "xsd:boolean"},
    "answeringStory": {"@id": "entativa:answeringStory", "@type": "@id"},
    "results": {"@id": "entativa:results", "@type": "@json"},
    "viewAction": "entativa:viewAction",
    "completed": {"@id": "entativa:completed", "@type": "xsd:boolean"},
    "highlights": {"@id": "entativa:highlights", "@type": "@id"},
}


def context() -> list[Any]:
    return default_context(TERMS)


def _term(doc: Any, name: str) -> Any:
    if not isinstance(doc, dict):
        return None
    for key in (name, f"entativa:{name}", f"https://entativa.social/ns#{name}"):
        if key in doc:
            return doc[key]
    return None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _http(value: Any) -> str:
    uri = id_of(value)
    return uri[:1024] if uri and uri.startswith(("http://", "https://")) else ""


def bearcap(url: str, token: str) -> str:
    return f"bear:?t={quote(token, safe='')}&u={quote(url, safe='')}"


def parse_bearcap(value: Any) -> tuple[str, str] | None:
    """(url, token) of a `bear:?t=...&u=...` capability URL, or None."""
    if not isinstance(value, str) or not value.startswith("bear:?"):
        return None
    query = parse_qs(urlsplit(value).query if "?" in value else "")
    if not query:
        query = parse_qs(value[len("bear:?"):])
    url, token = (query.get("u") or [""])[0], (query.get("t") or [""])[0]
    if not url.startswith(("http://", "https://")) or len(token) < 10:
        return None
    return url, token


# ---- which servers understand stories --------------------------------------------------------------------------


async def _probe(node: Node, host: str, scheme: str) -> str:
    fed = state.of(node)
    try:
        links = await fed.client.get_json(f"{scheme}://{host}/.well-known/nodeinfo")
        hrefs = [link.get("href") for link in (links.get("links") or []) if isinstance(link, dict)]
        href = next((h for h in hrefs if isinstance(h, str) and h.startswith(("http://", "https://"))
                     and host_of(h) == host), None)
        if href is None:
            return ""
        doc = await fed.client.get_json(href)
        name = (doc.get("software") or {}).get("name") if isinstance(doc, dict) else None
        return str(name or "").lower()[:64]
    except (FetchError, ValueError, AttributeError):
        return ""


async def learn_software(node: Node, urls: list[str]) -> None:
    """Read the NodeInfo software of the servers behind `urls` that we do not know yet (or not lately),
    before a story is written, so the outbox's subscriber can choose the protocol without a request."""
    if not node.config.federation.enabled or node.federation is None:
        return
    now = datetime.now(UTC)
    wanted = {host_of(u): urlsplit(u).scheme or "https" for u in urls if u}
    known = {p.host: p for p in await Peer.filter(host__in=list(wanted))}
    for host, scheme in wanted.items():
        peer = known.get(host)
        if peer is not None and peer.software_checked_at is not None and (
                now - peer.software_checked_at < (SOFTWARE_TTL if peer.software else RETRY_UNKNOWN)):
            continue
        software = await _probe(node, host, scheme)
        if peer is None:
            await Peer.bulk_create([Peer(host=host)], ignore_conflicts=True)
        await Peer.filter(host=host).update(software=software, software_checked_at=now)


async def software_of(hosts: set[str]) -> dict[str, str]:
    return dict(await Peer.filter(host__in=list(hosts)).values_list("host", "software")) if hosts else {}


async def audience_accounts(story: Story) -> list[Account]:
    """The remote accounts a local story is for."""
    if story.audience == "close_friends":
        ids = await CloseFriend.filter(account_id=story.account_id).values_list("friend_id", flat=True)
    else:
        ids = await Follow.filter(target_account_id=story.account_id).values_list("account_id", flat=True)
    return list(await Account.filter(id__in=list(ids), suspended_at=None).exclude(domain=""))


async def prepare(node: Node, account: Account, audience_name: str) -> None:
    """Before posting: learn the software of the audience's servers (see learn_software)."""
    probe = Story(account_id=account.id, audience=audience_name)
    await learn_software(node, [a.inbox_url or a.uri or "" for a in await audience_accounts(probe)])


# ---- our documents ---------------------------------------------------------------------------------------------


def _attachment(node: Node, story: Story) -> dict[str, Any]:
    doc = {"type": "Video" if story.media_type == "video" else "Image",
           "url": node.urls.media(story.file_path) if story.file_path else story.remote_url,
           "mediaType": story.mime_type or None, "width": story.width, "height": story.height,
           "blurhash": story.blurhash, "name": story.description or None}
    return {k: v for k, v in doc.items() if v is not None}


def sticker_document(sticker: StorySticker, *, results: dict[str, Any] | None = None) -> dict[str, Any]:
    data = dict(sticker.data)
    if sticker.kind == "mention":
        data.pop("account_id", None)
    if sticker.kind == "location":
        data.pop("place_id", None)
    doc: dict[str, Any] = {"id": sticker.uri, "type": "StorySticker", "stickerType": sticker.kind,
                           "position": sticker.placement, "stickerData": data}
    if sticker.kind == "add_yours":
        doc["participants"] = f"{sticker.uri}/participants"
    if results is not None:
        doc["results"] = results
    return doc


async def story_document(node: Node, story: Story, author: Account, *, to: list[str]) -> dict[str, Any]:
    """Our Story, as Entativa nodes read it."""
    stickers_ = await StorySticker.filter(story_id=story.id).order_by("position")
    doc: dict[str, Any] = {
        "@context": context(), "id": story.uri, "type": "Story", "attributedTo": author.uri, "to": to, "cc": [],
        "published": serialize.iso(story.created_at), "expiresAt": serialize.iso(story.expires_at),
        "duration": iso_duration(story.duration), "storyAudience": story.audience,
        "canReply": story.can_reply, "canReact": story.can_react, "attachment": _attachment(node, story),
        "overlays": story.overlays, "stickers": [sticker_document(s) for s in stickers_],
    }
    if story.add_yours_uri:
        doc["addYoursOf"] = story.add_yours_uri
        doc["originator"] = story.add_yours_author_uri
    return doc


def pixelfed_document(node: Node, story: Story, author: Account) -> dict[str, Any]:
    """The story as Pixelfed's bearer fetch answers it."""
    attachment = _attachment(node, story)
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": story.uri, "type": "Story",
            "to": [serialize.followers_of(author)], "cc": [], "attributedTo": author.uri,
            "published": serialize.iso(story.created_at), "expiresAt": serialize.iso(story.expires_at),
            "duration": round(story.duration), "can_reply": story.can_reply, "can_react": story.can_react,
            "attachment": {"type": attachment["type"], "url": attachment["url"],
                           "mediaType": attachment.get("mediaType")}}


def _addressing(story: Story, author: Account, friends: list[Account]) -> list[str]:
    if story.audience == "close_friends":
        return [f.uri or "" for f in friends]  # each close friend by name: never a collection
    return [serialize.followers_of(author)]


def _inbox(account: Account) -> str:
    return account.inbox_url or account.shared_inbox_url


async def send_story(node: Node, story: Story) -> None:
    author = await Account.get(id=story.account_id)
    people = await audience_accounts(story)
    software = await software_of({host_of(_inbox(a)) for a in people if _inbox(a)})
    by_host: dict[str, list[Account]] = {}
    for person in people:
        if _inbox(person):
            by_host.setdefault(host_of(_inbox(person)), []).append(person)
    followers_docs: list[str] = []
    for host, members in sorted(by_host.items()):
        kind = software.get(host, "")
        if kind == "entativa":
            if story.audience == "close_friends":  # one Create per server, naming only that server's friends
                doc = await story_document(node, story, author, to=_addressing(story, author, members))
                activity = serialize.activity("Create", f"{story.uri}#create-{host}", author.uri or "", doc,
                                              to=doc["to"])
                await delivery.enqueue(node, author, activity, [_inbox(m) for m in members])
            else:
                followers_docs += [m.shared_inbox_url or m.inbox_url for m in members]
        elif kind == "pixelfed" and story.audience == "followers":
            activity = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{story.uri}#add", "type": "Add",
                        "actor": author.uri, "to": [serialize.followers_of(author)],
                        "object": {"id": story.uri, "type": "Story", "object": bearcap(story.uri, story.bearer_token)}}
            await delivery.enqueue(node, author, activity, [m.shared_inbox_url or m.inbox_url for m in members])
    if followers_docs:
        doc = await story_document(node, story, author, to=_addressing(story, author, []))
        activity = serialize.activity("Create", f"{story.uri}#create", author.uri or "", doc, to=doc["to"])
        await delivery.enqueue(node, author, activity, followers_docs)


async def send_delete(node: Node, story: Story) -> None:
    """A Delete wherever the story went (Entativa and Pixelfed read the same shape)."""
    sent = await Delivery.filter(activity__uri__in=[f"{story.uri}#create", f"{story.uri}#add"]).values_list(
        "inbox_url", flat=True)
    # a range on the unique uri index, not LIKE 'prefix%' (which SQLite cannot answer from that index):
    # the expiry sweep asks this of every expiring story
    prefix = f"{story.uri}#create-"
    per_host = await Delivery.filter(activity__uri__gte=prefix, activity__uri__lt=prefix + "\U0010ffff").values_list(
        "inbox_url", "activity__uri")
    author = await Account.filter(id=story.account_id).first()
    if author is None:
        return
    obj = {"id": story.uri, "type": "Story"}
    if sent:
        doc = serialize.activity("Delete", f"{story.uri}#delete", author.uri or "", obj,
                                 to=[serialize.followers_of(author)])
        await delivery.enqueue(node, author, doc, list(sent))
    hosts: dict[str, list[str]] = {}
    for inbox, uri in per_host:
        hosts.setdefault(uri.rsplit("#create-", 1)[1], []).append(inbox)
    for host, inboxes in hosts.items():
        doc = serialize.activity("Delete", f"{story.uri}#delete-{host}", author.uri or "", obj)
        await delivery.enqueue(node, author, doc, inboxes)


async def _to_author(node: Node, sender_id: int, story: Story, doc: dict[str, Any]) -> None:
    sender = await Account.get(id=sender_id)
    author = await Account.filter(id=story.account_id).first()
    if author is None or author.local:
        return
    doc.setdefault("actor", sender.uri)
    doc["to"] = [author.uri]
    await delivery.enqueue(node, sender, doc, [author.inbox_url or author.shared_inbox_url])


def _view_object(story: Story) -> dict[str, Any]:
    return {"type": "Story", "object": story.uri}


def subscribe(node: Node) -> None:
    """Durable subscribers (the transactional outbox): what local people do with stories goes out."""
    bus = node.bus

    def outbound(**_payload: Any) -> bool:
        return node.config.federation.enabled and not state.INBOUND.get()

    def durable(name: str) -> Any:
        return bus.on(name, durable=True, when=outbound)

    @durable("story.created")
    async def on_created(story: Story) -> None:
        if story.local:
            await send_story(node, story)

    @durable("story.deleted")
    async def on_deleted(story: Story) -> None:
        if story.local:
            await send_delete(node, story)

    @durable("story.expired")
    async def on_expired(stories: list[Story]) -> None:
        for story in stories:
            if story.local:
                await send_delete(node, story)

    @durable("story.viewed")
    async def on_viewed(story: Story, view: StoryView, action: str, completed: bool) -> None:
        if story.local:
            return
        viewer = await Account.get(id=view.account_id)
        doc = {"@context": context(), "id": f"{viewer.uri}#stories/{story.id}/views/{snowflake()}", "type": "View",
               "object": _view_object(story), "completed": completed}
        if action:
            doc["viewAction"] = action
        await _to_author(node, view.account_id, story, doc)

    @durable("story.replied")
    async def on_replied(story: Story, response: StoryResponse, text: str) -> None:
        if story.local:
            return
        doc = {"@context": "https://www.w3.org/ns/activitystreams", "id": response.uri, "type": "Story:Reply",
               "content": text, "inReplyTo": story.uri, "published": serialize.iso(response.created_at)}
        await _to_author(node, response.account_id, story, doc)

    @durable("story.reacted")
    async def on_reacted(story: Story, response: StoryResponse) -> None:
        if story.local:
            return
        reactor = await Account.get(id=response.account_id)
        doc = {"@context": "https://www.w3.org/ns/activitystreams",
               "id": f"{reactor.uri}#stories/{story.id}/reactions/{response.id}", "type": "Story:Reaction",
               "content": response.emoji, "inReplyTo": story.uri, "published": serialize.iso(response.created_at)}
        await _to_author(node, response.account_id, story, doc)

    @durable("story.answered")
    async def on_answered(story: Story, sticker: StorySticker, answer: StickerAnswer,
                          subscribed: bool | None = None) -> None:
        if story.local or story.protocol != "entativa":
            return
        viewer = await Account.get(id=answer.account_id)
        obj: dict[str, Any] = {"id": f"{viewer.uri}#stories/answers/{sticker.id}/{snowflake()}",
                               "type": "StickerAnswer", "attributedTo": viewer.uri, "inReplyTo": sticker.uri}
        if sticker.kind in ("poll", "quiz"):
            obj["choice"] = answer.choice
        elif sticker.kind == "slider":
            obj["value"] = answer.value
        elif sticker.kind == "question":
            obj["content"] = answer.text
        elif sticker.kind == "add_yours":
            obj["answeringStory"] = answer.story_uri
        elif sticker.kind == "countdown":
            obj["subscribe"] = bool(subscribed)
        doc = serialize.activity("Create", f"{obj['id']}/activity", viewer.uri or "", obj)
        doc["@context"] = context()
        await _to_author(node, answer.account_id, story, doc)

    @bus.on("follow.created")
    async def on_follow(follow: Follow) -> None:
        """A new remote follower's server: learn whether it reads stories before the next one is posted."""
        follower = await Account.filter(id=follow.account_id).first()
        if follower is not None and not follower.local and follower.inbox_url:
            node.spawn(_learn_later(node, follower.inbox_url))


async def _learn_later(node: Node, url: str) -> None:
    with state.bound(node):
        try:
            await learn_software(node, [url])
        except Exception:
            log.exception("reading the NodeInfo of %s failed", url)


# ---- serving our stories ----------------------------------------------------------------------------------------


async def served_story(node: Node, username: str, story_id: str) -> tuple[Story, Account]:
    author = await Account.filter(username=username, domain="").first()
    try:
        key = int(story_id)
    except ValueError:
        raise NotFound() from None
    story = await Story.filter(id=key, account_id=author.id if author else -1, local=True).first()
    if story is None or author is None:
        raise NotFound()
    return story, author


async def signer_account(node: Node, request: Any) -> Account:
    """The account whose signature the request carries (403 without a valid one)."""
    from federation.signatures import SignatureError

    verifier = state.of(node).verifier
    assert verifier is not None
    try:
        verified = await verifier.verify_request(request, b"", scheme=node.config.node.scheme)
    except SignatureError as exc:
        raise Forbidden(f"A story is only for its audience: sign the request ({exc.reason})") from None
    try:
        return await fetch_actor(node, verified.owner)
    except DomainError:
        raise Forbidden("The signer is not an account of its server") from None


async def fetch_response(node: Node, request: Any, username: str, story_id: str) -> dict[str, Any]:
    """A story for a signed request from its audience, or (Pixelfed) with its bearer token."""
    story, author = await served_story(node, username, story_id)
    if not audience.active(story, node.clock.now()):
        raise Gone()
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        if not story.bearer_token or not hmac.compare_digest(header[7:].strip(), story.bearer_token):
            raise Forbidden("Wrong bearer token for this story")
        if story.audience != "followers":
            raise Forbidden("This story is not shared by bearer token")
        return pixelfed_document(node, story, author)
    viewer = await signer_account(node, request)
    if viewer.local or not await audience.can_see(viewer, story, node.clock.now()):
        raise Forbidden("The signer is not in this story's audience")
    friends = [viewer] if story.audience == "close_friends" else []
    return await story_document(node, story, author, to=_addressing(story, author, friends))


class Gone(DomainError):
    status = 410

    def __init__(self) -> None:
        super().__init__("This story has expired")


async def sticker_response(node: Node, request: Any, username: str, story_id: str, sticker_id: str) -> dict[str, Any]:
    """A sticker with the results its signer may read (the authoritative ones, for a viewer's node)."""
    story, _ = await served_story(node, username, story_id)
    sticker = await answers.sticker_of(story, sticker_id)
    viewer = await signer_account(node, request)
    if viewer.local or not await audience.can_see(viewer, story, node.clock.now()):
        raise Forbidden("The signer is not in this story's audience")
    answered = await StickerAnswer.filter(sticker_id=sticker.id, account_id=viewer.id).exists()
    results = None
    if sticker.kind in ANSWERABLE and stickers.may_see_results(sticker, False, answered):
        rows = await StickerAnswer.filter(sticker_id=sticker.id)
        results = stickers.tally(sticker, rows, subscribers=len(rows))
    return {"@context": context(), **sticker_document(sticker, results=results)}


async def participants_response(node: Node, username: str, story_id: str, sticker_id: str) -> dict[str, Any]:
    """The stories accepted as answers to an add-yours prompt: public, so any server can check a credit."""
    story, _ = await served_story(node, username, story_id)
    sticker = await answers.sticker_of(story, sticker_id)
    if sticker.kind != "add_yours":
        raise NotFound()
    items = await StickerAnswer.filter(sticker_id=sticker.id).exclude(story_uri="").order_by("id").values_list(
        "story_uri", flat=True)
    return {"@context": context(), "id": f"{sticker.uri}/participants", "type": "OrderedCollection",
            "totalItems": len(items), "orderedItems": list(items)}


# ---- reading remote stories ---------------------------------------------------------------------------------------


async def _cache_media(node: Node, url: str) -> tuple[Any, str, str]:
    fetched = await remote_media.download(node, url, MAX_MEDIA)
    try:
        return await media_service.store_fetched(node, fetched)
    finally:
        fetched.close()


async def _local_followers_of(author: Account) -> bool:
    return await Follow.filter(target_account_id=author.id, account__domain="").exists()


def _sticker_rows(story: Story, raw: Any, now: datetime) -> list[StorySticker]:
    rows = []
    for position, item in enumerate(raw[: stickers.MAX_STICKERS] if isinstance(raw, list) else []):
        kind = _term(item, "stickerType")
        uri = _http(item)
        if kind not in STICKER_KINDS or not uri or host_of(uri) != host_of(story.uri):
            continue
        data = _term(item, "stickerData")
        data = data if isinstance(data, dict) else {}
        spot = _term(item, "position")
        try:
            placement = stickers.placement(spot, "Sticker")
        except DomainError:
            placement = stickers.placement(None, "Sticker")
        ends = _time(data.get("ends_at")) if kind == "countdown" else None
        rows.append(StorySticker(id=snowflake(), story_id=story.id, uri=uri, position=position, kind=kind,
                                 placement=placement, data={k: v for k, v in data.items() if isinstance(k, str)},
                                 ends_at=ends))
    return rows


async def store_remote(node: Node, author: Account, doc: dict[str, Any], *, protocol: str,
                       addressed: list[str]) -> Story | None:
    """Keep a remote story (and a cached copy of its media) for the local accounts it is for."""
    uri = _http(doc)
    if not uri or host_of(uri) != host_of(author.uri or "") or type_of(doc) != "Story":
        raise Forbidden("a story must be on its author's server")
    if _http(doc.get("attributedTo")) != author.uri:
        raise Forbidden("the story names another author")
    if await Story.filter(uri=uri).exists():
        return None
    now = node.clock.now()
    published = _time(doc.get("published")) or now
    expires = _time(_term(doc, "expiresAt")) or published + LIFETIME
    expires = min(expires, published + LIFETIME, now + LIFETIME)  # never longer than a day, whatever it says
    if expires <= now:
        return None
    cf = _term(doc, "storyAudience") == "close_friends"
    local_named = list(await Account.filter(uri__in=addressed, domain="").values_list("id", flat=True))
    if cf and not local_named:
        return None
    if not cf and not await _local_followers_of(author):
        return None
    attachment = doc.get("attachment")
    attachment = attachment[0] if isinstance(attachment, list) and attachment else attachment
    media_url = _http(attachment.get("url") if isinstance(attachment, dict) else None)
    if not media_url:
        raise BadRequest("a story needs an attachment")
    processed, file_path, preview_path = await _cache_media(node, media_url)
    duration = parse_duration(doc.get("duration")) or 5.0
    if processed.kind == "video" and processed.duration:
        duration = processed.duration
    story = Story(account_id=author.id, local=False, uri=uri, url=_http(doc.get("url")) or uri, protocol=protocol,
                  media_type=processed.kind, mime_type=processed.mime_type, file_path=file_path,
                  preview_path=preview_path, remote_url=media_url, width=processed.width, height=processed.height,
                  blurhash=processed.blurhash, duration=min(float(duration), 60.0),
                  description=str(attachment.get("name") or "")[:1500] if isinstance(attachment, dict) else "",
                  audience="close_friends" if cf else "followers",
                  can_reply=bool(_term(doc, "canReply") if _term(doc, "canReply") is not None else doc.get("can_reply", True)),
                  can_react=bool(_term(doc, "canReact") if _term(doc, "canReact") is not None else doc.get("can_react", True)),
                  overlays=_overlays(_term(doc, "overlays")), add_yours_uri=_http(_term(doc, "addYoursOf")),
                  add_yours_author_uri=_http(_term(doc, "originator")), created_at=published, expires_at=expires)
    try:
        await story.save(force_create=True)
        rows = _sticker_rows(story, _term(doc, "stickers"), now)
        for row in rows:
            if row.kind == "mention":
                known = await Account.filter(uri=row.data.get("account_uri") or "-").first()
                row.data["account_id"] = str(known.id) if known else None
        if rows:
            await StorySticker.bulk_create(rows)
        if cf:
            await StoryAudience.bulk_create([StoryAudience(story_id=story.id, account_id=i) for i in local_named])
    except BaseException:
        await Story.filter(id=story.id).delete()
        await media_service.remove_files(node, [file_path, preview_path])
        raise
    await node.bus.publish("story.created", story=story)
    return story


def _overlays(raw: Any) -> list[dict[str, Any]]:
    try:
        return stickers.checked_overlays(raw)
    except DomainError:
        return []


def _addressed(activity: ParsedActivity, doc: dict[str, Any]) -> list[str]:
    found = []
    for key in ("to", "cc"):
        for source in (doc.get(key), activity.raw.get(key)):
            values = source if isinstance(source, list) else [source]
            found += [v for v in values if isinstance(v, str)]
    return found


@registry.on("Create", "Story")
async def on_create_story(activity: ParsedActivity, node: Node) -> None:
    author = await fetch_actor(node, activity.actor)
    await store_remote(node, author, dict(activity.object or {}), protocol="entativa",
                       addressed=_addressed(activity, dict(activity.object or {})))


@registry.on("Add", "Story")
async def on_add_story(activity: ParsedActivity, node: Node) -> None:
    """Pixelfed: the story is fetched from the bearcap URL with its bearer token."""
    obj = activity.object or {}
    capability = parse_bearcap(obj.get("object"))
    if capability is None:
        raise BadRequest("Add{Story} needs a bearcap URL")
    url, token = capability
    if host_of(url) != host_of(activity.actor):
        raise Forbidden("the story is not on the sender's server")
    author = await fetch_actor(node, activity.actor)
    if not await _local_followers_of(author):
        return
    fed = state.of(node)
    response = await fed.client.request("GET", url, headers={
        "Accept": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
        "Authorization": f"Bearer {token}"})
    if not 200 <= response.status < 300:
        raise HttpStatusError(url, response.status, response.body)
    doc = response.json()
    if not isinstance(doc, dict):
        raise BadRequest("the story is not a JSON object")
    await store_remote(node, author, doc, protocol="pixelfed", addressed=[])


@registry.on("Delete", "Story")
async def on_delete_story(activity: ParsedActivity, node: Node) -> None:
    story = await Story.filter(uri=activity.object_id or "-", local=False).first()
    if story is None:
        return
    author = await Account.filter(id=story.account_id).first()
    if author is None or author.uri != activity.actor:
        raise Forbidden("only the author may delete a story")
    await posting.forget_remote(node, [story])


async def _local_story(uri: str | None) -> Story:
    story = await Story.filter(uri=uri or "-", local=True).first()
    if story is None:
        raise NotFound("no such story here")
    return story


async def _audience_member(node: Node, activity: ParsedActivity, story: Story) -> Account:
    actor = await fetch_actor(node, activity.actor)
    if not await audience.can_see(actor, story, node.clock.now()):
        raise Forbidden("the actor is not in this story's audience, or it expired")
    return actor


@registry.on("View")
async def on_view(activity: ParsedActivity, node: Node) -> None:
    obj = activity.object
    uri = id_of(obj.get("object")) if isinstance(obj, dict) and type_of(obj) == "Story" else activity.object_id
    story = await _local_story(uri)
    viewer = await _audience_member(node, activity, story)
    action = _term(activity.raw, "viewAction")
    await viewing.record_view(node, viewer, story, action if action in viewing.ACTIONS else None,
                              bool(_term(activity.raw, "completed")), federate=False)


@registry.on("Story:Reply")
async def on_reply(activity: ParsedActivity, node: Node) -> None:
    """A reply becomes a direct message from the replier to the author, threaded to the story."""
    story = await _local_story(id_of(activity.raw.get("inReplyTo")))
    replier = await _audience_member(node, activity, story)
    if not story.can_reply:
        raise Forbidden("this story takes no replies")
    if not activity.id or host_of(activity.id) != host_of(replier.uri or ""):
        raise BadRequest("a reply needs an id on the replier's server")
    if await StoryResponse.filter(uri=activity.id).exists():
        return
    author = await Account.get(id=story.account_id)
    content = activity.raw.get("content")
    if not isinstance(content, str) or not content.strip():
        raise BadRequest("a reply needs content")
    note = {"id": activity.id, "type": "Note", "attributedTo": replier.uri, "to": [author.uri], "cc": [],
            "content": content[:viewing.MAX_REPLY * 2], "published": activity.raw.get("published"),
            "tag": [{"type": "Mention", "href": author.uri, "name": f"@{author.username}"}]}
    status = await ingest.create_status(node, replier, note)
    response = await StoryResponse.create(story_id=story.id, account_id=replier.id, kind="reply", status_id=status.id,
                                          uri=activity.id[:1024], created_at=node.clock.now())
    await node.bus.publish("story.replied", story=story, response=response, text=content)


@registry.on("Story:Reaction")
async def on_reaction(activity: ParsedActivity, node: Node) -> None:
    story = await _local_story(id_of(activity.raw.get("inReplyTo")))
    reactor = await _audience_member(node, activity, story)
    if activity.id and await StoryResponse.filter(uri=activity.id).exists():
        return
    content = activity.raw.get("content")
    await viewing.react(node, reactor, story, content if isinstance(content, str) else None,
                        uri=activity.id or "", federate=False)


@registry.on("Create", "StickerAnswer")
async def on_answer(activity: ParsedActivity, node: Node) -> None:
    """An answer to one of our stickers, from a viewer's server (the author's node keeps the results)."""
    obj = activity.object or {}
    if _http(obj.get("attributedTo")) != activity.actor:
        raise Forbidden("an answer is its actor's own")
    sticker = await StorySticker.filter(uri=_http(obj.get("inReplyTo")) or "-").first()
    story = await Story.filter(id=sticker.story_id, local=True).first() if sticker else None
    if sticker is None or story is None:
        raise NotFound("no such sticker here")
    viewer = await _audience_member(node, activity, story)
    given = answers.AnswerInput(choice=_term(obj, "choice"), value=_term(obj, "value"),
                                text=obj.get("content"), subscribe=_term(obj, "subscribe"))
    if sticker.kind == "add_yours":
        given.story_uri = await verified_participation(node, sticker, story, viewer, _http(_term(obj, "answeringStory")))
    await answers.answer(node, viewer, story, sticker, given, uri=_http(obj))


async def verified_participation(node: Node, sticker: StorySticker, story: Story, viewer: Account,
                                 answering_uri: str) -> str:
    """An add-yours answer is listed only after its story is read from its own server (signed as the
    prompt's author, whom an answering story admits), is the viewer's, and names this prompt."""
    if not answering_uri or host_of(answering_uri) != host_of(viewer.uri or ""):
        raise Forbidden("the answering story is not on the answerer's server")
    author = await Account.get(id=story.account_id)
    key = (await delivery.signing_keys(node, {author.id})).get(author.id)
    try:
        doc = await state.of(node).client.get_activity(answering_uri, sign_with=key)
    except HttpStatusError as exc:
        raise Forbidden(f"the answering story cannot be read at its origin ({exc.status})") from None
    if id_of(doc) != answering_uri or _http(doc.get("attributedTo")) != viewer.uri:
        raise Forbidden("the answering story's origin names another id or author")
    if _http(_term(doc, "addYoursOf")) != sticker.uri or _http(_term(doc, "originator")) != author.uri:
        raise Forbidden("the answering story does not answer this prompt")
    return answering_uri


# ---- reading what the author's node holds ---------------------------------------------------------------------


async def remote_results(node: Node, viewer: Account, story: Story, sticker: StorySticker) -> dict[str, Any]:
    """A remote sticker's results, read from the author's node signed as the viewer."""
    from ..errors import ValidationFailed

    if sticker.kind not in ANSWERABLE:
        raise ValidationFailed(f"Validation failed: A {sticker.kind} sticker has no results")
    mine = await StickerAnswer.filter(sticker_id=sticker.id, account_id=viewer.id).first()
    if not stickers.may_see_results(sticker, False, mine is not None):
        if sticker.kind in ("question", "add_yours"):
            raise Forbidden("Only the story's author sees these answers")
        raise Forbidden("Answer first to see the results")
    key = (await delivery.signing_keys(node, {viewer.id})).get(viewer.id)
    try:
        doc = await state.of(node).client.get_activity(sticker.uri, sign_with=key)
    except FetchError as exc:
        raise Unavailable(f"The story's server did not answer: {exc.reason}") from None
    results = _term(doc, "results")
    if not isinstance(results, dict):
        raise Unavailable("The story's server has no results for you yet")
    shown = {k: v for k, v in results.items() if k in ("options", "answers_count", "correct_option", "average",
                                                         "subscribers_count")}
    shown["own_answer"] = stickers.own_answer(sticker, mine)
    return shown


class Unavailable(DomainError):
    status = 502


async def highlights_collection(node: Node, account: Account) -> dict[str, Any]:
    """An account's highlights as a public collection on its actor (followers-audience stories only)."""
    from ..services.stories import highlights

    actor = account.uri or node.urls.actor(account.username)
    items = []
    for shown in await highlights.of_account(None, account):
        stories_ = [s for s in shown.stories if s.audience == "followers"]
        if not stories_:
            continue
        cover = next((s for s in stories_ if s.id == shown.highlight.cover_story_id), stories_[0])
        items.append({"id": f"{actor}/highlights/{shown.highlight.id}", "type": "Highlight",
                      "name": shown.highlight.title, "icon": _attachment(node, cover),
                      "published": serialize.iso(shown.highlight.created_at),
                      "updated": serialize.iso(shown.highlight.updated_at),
                      "orderedItems": [{"id": s.uri, "type": "Story", "attributedTo": actor,
                                        "published": serialize.iso(s.created_at),
                                        "duration": iso_duration(s.duration), "attachment": _attachment(node, s)}
                                       for s in stories_]})
    return {"@context": context(), "id": f"{actor}/collections/highlights", "type": "OrderedCollection",
            "totalItems": len(items), "orderedItems": items}


HIGHLIGHTS_FRESH = timedelta(minutes=15)
HIGHLIGHTS_KEPT = 1000  # remote accounts whose highlights are held in memory at most


async def remote_highlights(node: Node, account: Account) -> list[dict[str, Any]]:
    """A remote account's highlights from its actor's `highlights` collection, held for 15 minutes (a
    profile page reads them on every visit); past that they are read again, and while the account's server
    does not answer the last copy is shown rather than nothing."""
    fed = state.of(node)
    now = node.clock.now()
    held = fed.highlights.get(account.id)
    if held is not None and now - held[0] < HIGHLIGHTS_FRESH:
        return held[1]
    try:
        fresh = await _read_remote_highlights(node, account)
    except Unavailable:
        if held is not None:
            return held[1]
        raise
    fed.highlights.pop(account.id, None)
    if len(fed.highlights) >= HIGHLIGHTS_KEPT:
        fed.highlights.pop(next(iter(fed.highlights)))  # the oldest read goes first (dicts keep insertion order)
    fed.highlights[account.id] = (now, fresh)
    return fresh


async def _read_remote_highlights(node: Node, account: Account) -> list[dict[str, Any]]:
    from ..api.entities.accounts import account_entity

    fed = state.of(node)
    author = account_entity(node, account)
    try:
        actor = await fed.client.get_activity(account.uri or "", sign_with=fed.instance_key)
        url = _http(_term(actor, "highlights"))
        if not url or host_of(url) != host_of(account.uri or ""):
            return []
        doc = await fed.client.get_activity(url, sign_with=fed.instance_key)
    except FetchError as exc:
        raise Unavailable(f"The account's server did not answer: {exc.reason}") from None
    shown = []
    for item in doc.get("orderedItems") or []:
        if not isinstance(item, dict) or type_of(item) != "Highlight":
            continue
        stories_ = []
        for story in item.get("orderedItems") or []:
            media = story.get("attachment") if isinstance(story, dict) else None
            if not isinstance(media, dict) or not _http(media.get("url")):
                continue
            # shaped as a Story entity enough for the viewer: nothing to answer, reply to or report
            stories_.append({"id": str(len(stories_)), "uri": _http(story), "url": _http(story), "account": author,
                             "created_at": story.get("published"), "seen": True, "can_reply": False,
                             "can_react": False, "audience": "followers", "overlays": [], "stickers": [],
                             "duration": parse_duration(story.get("duration")) or 5.0,
                             "media_attachment": {"type": "video" if media.get("type") == "Video" else "image",
                                                  "preview_url": _http(media.get("url")),
                                                  "url": _http(media.get("url")), "remote_url": _http(media.get("url"))}})
        icon = item.get("icon") if isinstance(item.get("icon"), dict) else {}
        if not stories_:
            continue
        shown.append({"id": _http(item), "title": str(item.get("name") or "")[:100],
                      "cover_url": _http(icon.get("url")) or None, "stories": stories_,
                      "created_at": item.get("published"), "updated_at": item.get("updated")})
    return shown
