"""Takes over ActivityPub: the `entativa:` terms a Take's Note carries (Take, sound, Behind-the-Take,
template, trend), reading them off remote Notes, the trend and template documents and the participant
collection an origin serves, the `Add`/`Remove` a participant's server sends the trend's origin, and the
verification of a trend claim by fetching from the origin.

Why a Note and not a Video: Mastodon renders only Note and Question as posts; other types (Video, Article,
Page...) become a title and a link, so the caption and the player would be lost. A Note with a `video/*`
Document attachment is what Mastodon, GoToSocial and Pixelfed show as a playable video with its caption.
"""

from __future__ import annotations

import html
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from federation.as2 import PUBLIC, author_of, collection_items, default_context, id_of, type_of
from federation.client import FetchError, HttpStatusError

from ..errors import BadRequest, DomainError, Forbidden, NotFound, ValidationFailed
from ..models import Account, BehindTheTakeStep, Status, Take, TakeTemplate, TakeTrend, snowflake
from ..services import take_templates, take_trends
from ..services.takes import attribution_html, sound_html
from . import delivery, featured, ingest, moderation, outbox, serialize, state
from .actors import fetch_actor, host_of
from .handlers import registry

if TYPE_CHECKING:
    from federation.as2 import ParsedActivity

    from ..runtime import Node

log = logging.getLogger(__name__)

# Our terms, declared in the @context of every document that uses them (docs/federation.md lists each).
TERMS: dict[str, Any] = {
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "Take": "entativa:Take",
    "take": "entativa:take",
    "views": {"@id": "entativa:views", "@type": "xsd:nonNegativeInteger"},
    "Sound": "entativa:Sound",
    "sound": "entativa:sound",
    "artist": "entativa:artist",
    "BehindTheTake": "entativa:BehindTheTake",
    "behindTheTake": "entativa:behindTheTake",
    "Step": "entativa:Step",
    "steps": {"@id": "entativa:steps", "@container": "@list"},
    "at": {"@id": "entativa:at", "@type": "xsd:double"},
    "TakeTemplate": "entativa:TakeTemplate",
    "template": "entativa:template",
    "fromTemplate": {"@id": "entativa:fromTemplate", "@type": "@id"},
    "segments": {"@id": "entativa:segments", "@type": "@json"},
    "overlays": {"@id": "entativa:overlays", "@type": "@json"},
    "effects": {"@id": "entativa:effects", "@type": "@json"},
    "usages": {"@id": "entativa:usages", "@type": "@id"},
    "usageCount": {"@id": "entativa:usageCount", "@type": "xsd:nonNegativeInteger"},
    "Trend": "entativa:Trend",
    "trend": "entativa:trend",
    "hashtag": "entativa:hashtag",
    "originTake": {"@id": "entativa:originTake", "@type": "@id"},
    "participants": {"@id": "entativa:participants", "@type": "@id"},
}
_DURATION = re.compile(r"^PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$")
_TAGS = re.compile(r"<[^>]+>")
MAX_STEPS = 30
PENDING_SECONDS = 3600  # how long a Take's trend claim may wait for its origin before it counts as unverified


def context() -> list[Any]:
    return default_context(TERMS)


def _term(doc: Any, name: str) -> Any:
    """A term as we write it, or in its prefixed or full-IRI form (peers that compact differently)."""
    if not isinstance(doc, dict):
        return None
    for key in (name, f"entativa:{name}", f"https://entativa.social/ns#{name}"):
        if key in doc:
            return doc[key]
    return None


def iso_duration(seconds: float | None) -> str | None:
    return f"PT{round(seconds, 3):g}S" if seconds else None


def parse_duration(value: Any) -> float | None:
    if isinstance(value, int | float) and value > 0:
        return float(value)
    match = _DURATION.match(value) if isinstance(value, str) else None
    if not match or not any(match.groups()):
        return None
    hours, minutes, seconds = (float(g or 0) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _plain(value: Any, limit: int) -> str:
    return html.unescape(_TAGS.sub("", value))[:limit].strip() if isinstance(value, str) else ""


def _compact(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if v is not None}


def _http(value: Any) -> str:
    uri = id_of(value)
    return uri[:1024] if uri and uri.startswith(("http://", "https://")) else ""


# ---- serialising our Takes ------------------------------------------------------------------------------------


def trend_document(trend: TakeTrend, originator: Account, *, with_context: bool = False) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": trend.uri, "type": "Trend", "name": trend.name, "hashtag": f"#{trend.hashtag}",
                           "originTake": trend.origin_take_uri, "attributedTo": originator.uri,
                           "participants": trend.participants_uri, "url": trend.url or None}
    if with_context:
        doc = {"@context": context(), **doc, "published": serialize.iso(trend.created_at),
               "totalItems": trend.participants_count}
    return _compact(doc)


def template_document(template: TakeTemplate, author: Account, *, with_context: bool = False) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": template.uri, "type": "TakeTemplate", "name": template.name,
                           "attributedTo": author.uri, "originTake": template.take_uri or None,
                           "segments": template.segments, "overlays": template.overlays, "sound": template.sound,
                           "effects": template.effects, "usageCount": template.usage_count,
                           "usages": template.usages_uri or None, "url": template.url or None}
    if with_context:
        doc = {"@context": context(), **doc, "published": serialize.iso(template.created_at),
               "updated": serialize.iso(template.updated_at)}
    return _compact(doc)


async def _steps_document(node: Node, take: Take) -> dict[str, Any] | None:
    steps = await BehindTheTakeStep.filter(take_id=take.id).order_by("position")
    if not steps:
        return None
    media = {}
    if wanted := [s.media_id for s in steps if s.media_id is not None]:
        from ..models import MediaAttachment

        media = {m.id: m for m in await MediaAttachment.filter(id__in=wanted)}
    items = []
    for step in steps:
        item: dict[str, Any] = {"type": "Step", "content": html.escape(step.text)}
        if step.at_seconds is not None:
            item["at"] = step.at_seconds
        found = media.get(step.media_id) if step.media_id is not None else None
        url = node.urls.media(found.file_path) if found is not None and found.file_path else step.media_url
        if url:
            item["attachment"] = {"type": "Document", "url": url,
                                  "mediaType": found.mime_type if found is not None else None}
        items.append(item)
    return {"type": "BehindTheTake", "updated": serialize.iso(take.btt_updated_at), "steps": items}


async def take_fields(node: Node, status: Status, doc: dict[str, Any]) -> None:
    """serialize.OBJECT_EXTENSIONS: a Take's Note gains `take` and the plain-text lines for other servers."""
    take = await Take.filter(status_id=status.id).first()
    if take is None:
        return
    fields: dict[str, Any] = {"type": "Take", "duration": iso_duration(take.duration), "views": take.views_count}
    if take.sound_title:
        fields["sound"] = _compact({"type": "Sound", "name": take.sound_title, "artist": take.sound_author or None,
                                    "url": take.sound_url or None})
    if (btt := await _steps_document(node, take)) is not None:
        fields["behindTheTake"] = btt
    published = await TakeTemplate.filter(take_id=take.id, local=True).first()
    if published is not None:
        fields["template"] = template_document(published, await Account.get(id=published.account_id))
    if take.template_id is not None and (used := await TakeTemplate.filter(id=take.template_id).first()):
        author = await Account.filter(id=used.account_id).first()
        fields["fromTemplate"] = _compact({"id": used.uri, "type": "TakeTemplate", "name": used.name,
                                           "attributedTo": author.uri if author else None,
                                           "usages": used.usages_uri or None})
    if take.trend_id is not None and (trend := await TakeTrend.filter(id=take.trend_id).first()):
        originator = await Account.get(id=trend.originator_id)
        fields["trend"] = trend_document(trend, originator)
        if "Trend started by" not in (doc.get("content") or ""):  # an edit re-rendered the caption
            line = attribution_html(originator, await take_trends.origin_url(trend), node.config.node.domain)
            doc["content"] = (doc.get("content") or "") + line
    if take.sound_title and "<p>Sound:" not in (doc.get("content") or ""):
        doc["content"] = (doc.get("content") or "") + sound_html(
            {"title": take.sound_title, "author": take.sound_author, "url": take.sound_url})
    if "contentMap" in doc:
        doc["contentMap"] = {k: doc["content"] for k in doc["contentMap"]}
    doc["take"] = {k: v for k, v in fields.items() if v is not None}
    doc["@context"] = context()


# ---- reading remote Takes -------------------------------------------------------------------------------------


def take_terms(raw: dict[str, Any]) -> dict[str, Any] | None:
    found = _term(raw, "take")
    return found if isinstance(found, dict) else None


async def _remote_steps(take: Take, btt: Any, *, fresh: bool) -> None:
    steps = _term(btt, "steps") if isinstance(btt, dict) else None
    if not fresh:  # a new Take has no steps to replace
        await BehindTheTakeStep.filter(take_id=take.id).delete()
    rows = []
    for position, step in enumerate(steps[:MAX_STEPS] if isinstance(steps, list) else []):
        if not isinstance(step, dict):
            continue
        at = _term(step, "at")
        attachment = step.get("attachment")
        rows.append(BehindTheTakeStep(take_id=take.id, position=position, text=_plain(step.get("content"), 1000),
                                      media_url=_http(attachment.get("url") if isinstance(attachment, dict) else None),
                                      at_seconds=float(at) if isinstance(at, int | float) and at >= 0 else None))
    if rows:
        await BehindTheTakeStep.bulk_create(rows)
    updated = datetime.now(UTC) if rows else None
    if updated is not None or take.btt_updated_at is not None:
        take.btt_updated_at = updated
        await take.save(update_fields=["btt_updated_at"])


async def _remote_template(node: Node, take: Take, author: Account, value: Any) -> None:
    """A template published from a remote Take: cached so people here can use it."""
    uri = _http(value)
    if not isinstance(value, dict) or not uri or host_of(uri) != host_of(take.uri):
        return
    values = {"name": _plain(value.get("name"), 200) or "Template", "take_id": take.id, "take_uri": take.uri,
              "account_id": author.id, "url": _http(value.get("url")), "usages_uri": _http(_term(value, "usages")),
              "segments": v if isinstance(v := _term(value, "segments"), list) else [],
              "overlays": v if isinstance(v := _term(value, "overlays"), list) else [],
              "sound": v if isinstance(v := _term(value, "sound"), dict) else {},
              "effects": v if isinstance(v := _term(value, "effects"), dict) else {},
              "usage_count": v if isinstance(v := _term(value, "usageCount"), int) and v >= 0 else 0,
              "updated_at": datetime.now(UTC)}
    existing = await TakeTemplate.filter(uri=uri).first()
    if existing is None:
        await TakeTemplate.create(uri=uri, local=False, created_at=datetime.now(UTC), **values)
    elif not existing.local:
        await TakeTemplate.filter(id=existing.id).update(**values)


async def _used_template(node: Node, take: Take, value: Any) -> None:
    uri = _http(value)
    if not uri:
        return
    template = await TakeTemplate.filter(uri=uri).first()
    if template is None and not uri.startswith(node.urls.base + "/"):
        try:
            template = await resolve_template(node, uri)
        except DomainError:
            template = None
    if template is not None:
        if await take_templates.link_use(take, template) and template.local:  # a use of ours, seen arriving
            await node.bus.publish("take.used_template", take=take, template=template)
    elif take.template_uri != uri:
        take.template_uri = uri
        await take.save(update_fields=["template_uri"])


async def _claimed_trend(node: Node, take: Take, author: Account, value: Any) -> None:
    """Record a remote Take's trend claim and settle it: our own trend (accept it into the collection),
    a trend this Take says it started (its own server vouches), or another server's (checked in the
    background against the origin's collection)."""
    uri = _http(value)
    if not isinstance(value, dict) or not uri:
        return
    claim = {"id": uri, "name": _plain(value.get("name"), 100), "hashtag": _plain(_term(value, "hashtag"), 100),
             "originTake": _http(_term(value, "originTake")), "attributedTo": _http(value.get("attributedTo")),
             "participants": _http(_term(value, "participants")), "url": _http(value.get("url"))}
    if take.trend_claim == claim and take.trend_state in ("origin", "verified"):
        return
    take.trend_uri, take.trend_claim, take.trend_state = uri, claim, "pending"
    await Take.filter(id=take.id).update(trend_uri=uri, trend_claim=claim, trend_state="pending")
    if uri.startswith(node.urls.base + "/"):
        trend = await TakeTrend.filter(uri=uri, local=True).first()
        problem = _claim_problem(take, claim, trend, await _originator_uri(trend))
        if trend is None or problem:
            await take_trends.set_state(take, None, "unverified")
            if trend is not None:
                await take_trends.reject(trend, take.uri, author.uri or "", problem or "unknown trend")
            return
        await take_trends.accept(node, trend, take.uri, author, take)
        return
    if claim["originTake"] == take.uri:
        trend = await _own_trend(node, take, author, claim)
        await take_trends.set_state(take, trend, "origin" if trend is not None else "unverified")
        return
    node.spawn(_verify_in_background(node, take.id))


async def _originator_uri(trend: TakeTrend | None) -> str | None:
    if trend is None:
        return None
    originator = await Account.filter(id=trend.originator_id).first()
    return originator.uri if originator else None


def _claim_problem(take: Take, claim: dict[str, Any], trend: TakeTrend | None, originator_uri: str | None) -> str:
    """Why a Take's claim does not match the trend as its origin describes it ("" when it does)."""
    if trend is None:
        return "the trend does not exist at its origin"
    if take.uri == trend.origin_take_uri:
        return ""
    if claim.get("originTake") == take.uri:
        return "the Take claims to have started a trend someone else started"
    if claim.get("originTake") != trend.origin_take_uri:
        return "the Take names another originating Take"
    if claim.get("attributedTo") != originator_uri:
        return "the Take names another originator"
    return ""


async def _own_trend(node: Node, take: Take, author: Account, claim: dict[str, Any]) -> TakeTrend | None:
    """A remote Take that started a trend: believed when the trend, its collection and its originator all
    live on the Take's own server and the originator is the Take's author (who signed it to us)."""
    host = host_of(take.uri)
    if not (host_of(claim["id"]) == host and host_of(claim["participants"] or claim["id"]) == host
            and claim["attributedTo"] == author.uri and claim["hashtag"]):
        return None
    values = {"name": claim["name"] or claim["hashtag"], "hashtag": claim["hashtag"].removeprefix("#"),
              "origin_take_uri": take.uri, "origin_take_id": take.id, "originator_id": author.id,
              "participants_uri": claim["participants"] or f"{claim['id']}/participants", "url": claim["url"],
              "verified_at": datetime.now(UTC)}
    trend = await TakeTrend.filter(uri=claim["id"]).first()
    if trend is None:
        return await TakeTrend.create(uri=claim["id"], local=False, created_at=datetime.now(UTC), **values)
    if trend.local:
        return None
    await TakeTrend.filter(id=trend.id).update(**values)
    return await TakeTrend.get(id=trend.id)


async def remote_take(node: Node, status: Status, raw: dict[str, Any]) -> None:
    """ingest.OBJECT_EXTENSIONS: a remote Note with `take` becomes (or updates) a Take here."""
    terms = take_terms(raw)
    if terms is None or status.local:
        return
    try:
        author = await Account.get(id=status.account_id)
        take = await Take.filter(status_id=status.id).first()
        video = next((a for a in raw.get("attachment") or [] if isinstance(a, dict)
                      and str(a.get("mediaType") or "").startswith("video/")), {}) if isinstance(
            raw.get("attachment"), list) else {}
        values = {"sound_title": "", "sound_author": "", "sound_url": "",
                  "duration": parse_duration(terms.get("duration")),
                  "width": video.get("width") if isinstance(video.get("width"), int) else None,
                  "height": video.get("height") if isinstance(video.get("height"), int) else None}
        sound = _term(terms, "sound")
        if isinstance(sound, dict):
            values.update(sound_title=_plain(sound.get("name"), 200), sound_author=_plain(_term(sound, "artist"), 200),
                          sound_url=_http(sound.get("url")))
        views = _term(terms, "views")
        if isinstance(views, int) and views >= 0:
            values["views_count"] = views
        created = take is None
        if take is None:
            take = await Take.create(status_id=status.id, account_id=author.id, local=False, uri=status.uri or "",
                                     created_at=status.created_at, **values)
        else:
            await Take.filter(id=take.id).update(**values)
            take = await Take.get(id=take.id)
        await _remote_steps(take, _term(terms, "behindTheTake"), fresh=created)
        await _remote_template(node, take, author, _term(terms, "template"))
        await _used_template(node, take, _term(terms, "fromTemplate"))
        await _claimed_trend(node, take, author, _term(terms, "trend"))
        await node.bus.publish("take.created" if created else "take.updated", take=take)
    except Exception:  # a malformed Take still leaves a readable status
        log.exception("could not read the Take terms of %s", status.uri)


# ---- resolving and verifying against the origin -----------------------------------------------------------------


async def _fetch(node: Node, uri: str) -> dict[str, Any]:
    await moderation.ensure_not_suspended(host_of(uri))
    fed = state.of(node)
    try:
        return await fed.client.get_activity(uri, sign_with=fed.instance_key)
    except FetchError as exc:
        raise NotFound(f"Could not fetch {uri}: {exc.reason}") from exc


async def resolve_trend(node: Node, uri: str) -> TakeTrend:
    """A trend by its IRI: ours, or fetched from its origin (which must host its Take, collection and
    originator) and cached."""
    if not uri.startswith(("http://", "https://")):
        raise ValidationFailed("Validation failed: Trend must be an http(s) IRI")
    if uri.startswith(node.urls.base + "/"):
        trend = await TakeTrend.filter(uri=uri, local=True).first()
        if trend is None:
            raise ValidationFailed("Validation failed: Trend not found")
        return trend
    doc = await _fetch(node, uri)
    host = host_of(uri)
    origin, originator_uri = _http(_term(doc, "originTake")), _http(doc.get("attributedTo"))
    collection = _http(_term(doc, "participants"))
    hashtag = _plain(_term(doc, "hashtag"), 100).removeprefix("#")
    if (type_of(doc) != "Trend" or id_of(doc) != uri or not origin or not hashtag
            or {host_of(origin), host_of(originator_uri or ""), host_of(collection or "")} != {host}):
        raise ValidationFailed(f"Validation failed: {uri} is not a trend its server vouches for")
    originator = await fetch_actor(node, originator_uri)
    known_take = await Take.filter(uri=origin).first()
    values = {"name": _plain(doc.get("name"), 100) or hashtag, "hashtag": hashtag, "origin_take_uri": origin,
              "origin_take_id": known_take.id if known_take else None, "originator_id": originator.id,
              "participants_uri": collection, "url": _http(doc.get("url")), "verified_at": datetime.now(UTC)}
    trend = await TakeTrend.filter(uri=uri).first()
    if trend is None:
        return await TakeTrend.create(uri=uri, local=False, created_at=datetime.now(UTC), **values)
    await TakeTrend.filter(id=trend.id).update(**values)
    return await TakeTrend.get(id=trend.id)


async def resolve_template(node: Node, uri: str) -> TakeTemplate:
    """A template by its IRI: ours, or fetched from its server and cached (so it can be used here)."""
    known = await TakeTemplate.filter(uri=uri).first()
    if known is not None and (known.local or uri.startswith(node.urls.base + "/")):
        return known
    if not uri.startswith(("http://", "https://")) or uri.startswith(node.urls.base + "/"):
        raise ValidationFailed("Validation failed: Template not found")
    doc = await _fetch(node, uri)
    author_uri = _http(doc.get("attributedTo"))
    if type_of(doc) != "TakeTemplate" or id_of(doc) != uri or host_of(author_uri or "") != host_of(uri):
        raise ValidationFailed(f"Validation failed: {uri} is not a template its server vouches for")
    author = await fetch_actor(node, author_uri)
    values = {"name": _plain(doc.get("name"), 200) or "Template", "take_uri": _http(_term(doc, "originTake")),
              "account_id": author.id, "url": _http(doc.get("url")), "usages_uri": _http(_term(doc, "usages")),
              "segments": v if isinstance(v := _term(doc, "segments"), list) else [],
              "overlays": v if isinstance(v := _term(doc, "overlays"), list) else [],
              "sound": v if isinstance(v := _term(doc, "sound"), dict) else {},
              "effects": v if isinstance(v := _term(doc, "effects"), dict) else {},
              "usage_count": v if isinstance(v := _term(doc, "usageCount"), int) and v >= 0 else 0,
              "updated_at": datetime.now(UTC)}
    if known is None:
        return await TakeTemplate.create(uri=uri, local=False, created_at=datetime.now(UTC), **values)
    await TakeTemplate.filter(id=known.id).update(**values)
    return await TakeTemplate.get(id=known.id)


async def listed_at_origin(node: Node, trend: TakeTrend, take_uri: str) -> bool:
    """Whether the trend's origin lists `take_uri` in its participant collection (one signed GET)."""
    from federation.as2 import page_url

    doc = await _fetch(node, page_url(trend.participants_uri, page=True, item=take_uri))
    return take_uri in [id_of(i) for i in collection_items(doc)]


async def verify(node: Node, take: Take) -> str:
    """Check a Take's trend claim against the trend's origin: `origin`, `verified` or `unverified`."""
    claim = take.trend_claim or {}
    if not claim.get("id"):
        return take.trend_state
    try:
        trend = await resolve_trend(node, claim["id"])
    except DomainError:
        await take_trends.set_state(take, None, "unverified")
        return "unverified"
    problem = _claim_problem(take, claim, trend, await _originator_uri(trend))
    if problem:
        state_found = "unverified"
    elif take.uri == trend.origin_take_uri:
        state_found = "origin"
    else:
        try:
            listed = (bool(await take_trends.participants(trend, item=take.uri)) if trend.local
                      else await listed_at_origin(node, trend, take.uri))
        except DomainError:
            listed = False
        # The origin may not have read the participant's Add yet: a young Take stays pending (re-checked
        # by the `recheck_pending` job); an old one the origin does not list is unverified.
        young = take.created_at > datetime.now(UTC) - timedelta(seconds=PENDING_SECONDS)
        state_found = "verified" if listed else ("pending" if young else "unverified")
    await take_trends.set_state(take, trend, state_found)
    return state_found


async def _verify_in_background(node: Node, take_id: int) -> None:
    with state.bound(node):
        take = await Take.filter(id=take_id).first()
        if take is not None:
            try:
                await verify(node, take)
            except Exception:
                log.exception("verifying the trend claim of %s failed", take.uri)


async def recheck_pending(node: Node, limit: int = 100) -> int:
    """Verify Takes whose claim is still pending (waiting for the origin to read the Add), least recently
    checked first; returns how many were checked. The scheduler runs it every minute."""
    takes = await Take.filter(trend_state="pending").order_by("trend_checked_at", "id").limit(limit)
    for take in takes:
        await verify(node, take)
    return len(takes)


# ---- Add and Remove --------------------------------------------------------------------------------------------


async def _target(node: Node, activity: ParsedActivity) -> tuple[TakeTrend | None, TakeTemplate | None]:
    target = id_of(activity.raw.get("target"))
    if not target or not target.startswith(node.urls.base + "/"):
        return None, None
    trend = await TakeTrend.filter(participants_uri=target, local=True).first()
    template = None if trend else await TakeTemplate.filter(usages_uri=target, local=True).first()
    return trend, template


@registry.on("Add")
async def on_add(activity: ParsedActivity, node: Node) -> None:
    """A participant's server asks our trend (or template) to list its Take: we read the Take from its
    own server, check it names our trend and its origin, and only then list it."""
    trend, template = await _target(node, activity)
    if trend is None and template is None:
        return await featured.on_add(activity, node)  # Mastodon's pinned posts, or nothing we keep
    take_uri = activity.object_id
    if not take_uri:
        raise BadRequest("Add needs an object")
    if host_of(take_uri) != host_of(activity.actor):
        if trend is not None:
            await take_trends.reject(trend, take_uri, activity.actor, "the Take is not on the sender's server")
        raise Forbidden("only a Take's author can add it")
    try:
        doc = await state.of(node).client.get_activity(take_uri, sign_with=state.of(node).instance_key)
    except HttpStatusError as exc:
        if trend is not None and exc.status is not None and 400 <= exc.status < 500:
            await take_trends.reject(trend, take_uri, activity.actor, f"the Take is not at its origin ({exc.status})")
            raise Forbidden("the Take does not exist at its origin") from None
        raise
    terms = take_terms(doc) or {}
    if id_of(doc) != take_uri or author_of(doc) != activity.actor:
        if trend is not None:
            await take_trends.reject(trend, take_uri, activity.actor, "the Take's origin names another author")
        raise Forbidden("the Take's origin names another id or author")
    if trend is not None:
        claim = _term(terms, "trend")
        claim = claim if isinstance(claim, dict) else {}
        problem = "the Take does not reference this trend" if _http(claim) != trend.uri else _claim_problem(
            Take(uri=take_uri), {"originTake": _http(_term(claim, "originTake")),
                                 "attributedTo": _http(claim.get("attributedTo"))},
            trend, await _originator_uri(trend))
        if problem:
            await take_trends.reject(trend, take_uri, activity.actor, problem)
            raise Forbidden(problem)
    elif _http(_term(terms, "fromTemplate")) != template.uri:  # type: ignore[union-attr]
        raise Forbidden("the Take was not made from this template")
    author = await fetch_actor(node, activity.actor)
    status = await Status.filter(uri=take_uri).first()
    if status is None:
        status = await ingest.create_status(node, author, doc)
    else:
        await ingest.update_status(node, author, doc)
    take = await Take.filter(status_id=status.id).first()
    if trend is not None and (take is None or take.trend_state != "verified"):  # reading it may have listed it
        await take_trends.accept(node, trend, take_uri, author, take)


@registry.on("Remove")
async def on_remove(activity: ParsedActivity, node: Node) -> None:
    """A participant leaves our trend (or stops counting as a use of our template)."""
    trend, template = await _target(node, activity)
    take_uri = activity.object_id
    if trend is None and template is None:
        return await featured.on_remove(activity, node)
    if take_uri is None:
        return
    if trend is not None:
        await take_trends.remove(node, trend, take_uri, actor_uri=activity.actor)
        return
    take = await Take.filter(uri=take_uri, template_id=template.id).first()  # type: ignore[union-attr]
    if take is not None and host_of(take_uri) == host_of(activity.actor):
        await Take.filter(id=take.id).update(template_id=None)
        await take_templates.count_use(template, -1)  # type: ignore[arg-type]


async def _send(node: Node, kind: str, take: Take, target: str, recipient_id: int, fragment: str) -> None:
    author = await Account.get(id=take.account_id)
    recipient = await Account.filter(id=recipient_id).first()
    if recipient is None or recipient.local:
        return
    doc = serialize.activity(kind, f"{take.uri}#{fragment}", author.uri or "", take.uri,
                             to=[recipient.uri or ""], cc=[PUBLIC], target=target)
    doc["@context"] = context()
    await delivery.enqueue(node, author, doc, [recipient.shared_inbox_url or recipient.inbox_url])


def subscribe(node: Node) -> None:
    """Our Takes that join another server's trend (or use its template) tell that server with `Add`;
    deleting them sends `Remove`."""
    bus = node.bus

    def outbound(**_payload: Any) -> bool:
        return node.config.federation.enabled and not state.INBOUND.get()

    def durable(name: str) -> Any:
        return bus.on(name, durable=True, when=outbound)  # queued through the transactional outbox

    @durable("take.joined_trend")
    async def on_joined(take: Take, trend: TakeTrend) -> None:
        if outbound() and take.local and not trend.local:
            await _send(node, "Add", take, trend.participants_uri, trend.originator_id, "trend-join")

    @durable("take.used_template")
    async def on_used(take: Take, template: TakeTemplate) -> None:
        if outbound() and take.local and not template.local and template.usages_uri:
            await _send(node, "Add", take, template.usages_uri, template.account_id, "template-use")

    @durable("take.updated")
    async def on_updated(take: Take) -> None:
        """The trend's origin keeps a copy of each participant: it hears of edits (caption, steps) too."""
        if not (outbound() and take.local and take.trend_id is not None):
            return
        trend = await TakeTrend.filter(id=take.trend_id).first()
        originator = await Account.filter(id=trend.originator_id).first() if trend and not trend.local else None
        status = await Status.filter(id=take.status_id, visibility__in=("public", "unlisted")).first()
        if originator is None or status is None:
            return
        inbox = originator.shared_inbox_url or originator.inbox_url
        if inbox in await outbox.follower_inboxes(take.account_id):
            return  # the ordinary Update already goes there
        doc = await serialize.update_activity(node, status)
        doc["id"] = f"{status.uri}#updates/{snowflake()}"
        await delivery.enqueue(node, await Account.get(id=take.account_id), doc, [inbox])

    @durable("take.deleted")
    async def on_deleted(take: Take) -> None:
        if not (outbound() and take.local):
            return
        if take.trend_id is not None and (trend := await TakeTrend.filter(id=take.trend_id).first()):
            if not trend.local:
                await _send(node, "Remove", take, trend.participants_uri, trend.originator_id, "trend-leave")
        if take.template_id is not None and (template := await TakeTemplate.filter(id=take.template_id).first()):
            if not template.local and template.usages_uri:
                await _send(node, "Remove", take, template.usages_uri, template.account_id, "template-unuse")


def install() -> None:
    """Add our terms to every status object we serialise and read them off every object we store."""
    if take_fields not in serialize.OBJECT_EXTENSIONS:
        serialize.OBJECT_EXTENSIONS.append(take_fields)
    if remote_take not in ingest.OBJECT_EXTENSIONS:
        ingest.OBJECT_EXTENSIONS.append(remote_take)
