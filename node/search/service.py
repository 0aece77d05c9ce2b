"""Searching as a viewer: one query over every kind at once (or the kinds asked for), the index narrowed to
what the viewer may see and every hit checked again against the database (visibility, blocks, suspended
accounts and servers), so the index can lag but never leak."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import ValidationFailed
from ..models import Account, DomainBlock, Follow, Place, Status, Tag
from ..services import visibility
from .backend import KINDS, SUGGESTIBLE, Audience, Filters, Hit, domain_suffixes
from .query import Parsed

if TYPE_CHECKING:
    from ..runtime import Node

# Filters that only make sense for posts: asking for them leaves accounts, hashtags and places out.
POST_ONLY = ("author_ids", "since", "until", "has_media", "language", "min_engagement")


@dataclass
class Found:
    accounts: list[Account] = field(default_factory=list)
    statuses: list[Status] = field(default_factory=list)
    hashtags: list[Tag] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    takes: list[dict[str, Any]] = field(default_factory=list)  # already entities: rendered by their owner


def applies(kind: str, filters: Filters) -> bool:
    if kind in ("statuses", "takes"):
        return True
    if any(getattr(filters, name) not in (None, []) for name in POST_ONLY):
        return False
    return filters.near is None or kind == "places"


async def suspended_domains() -> frozenset[str]:
    return frozenset(await DomainBlock.filter(severity="suspend").values_list("domain", flat=True))


async def audience_of(viewer: Account | None) -> Audience:
    domains = await suspended_domains()
    if viewer is None:
        return Audience(hidden_domains=domains)
    following = frozenset(await Follow.filter(account_id=viewer.id).values_list("target_account_id", flat=True))
    hidden = frozenset(await visibility.blocked_either_way(viewer.id))
    return Audience(viewer_id=viewer.id, following=following, hidden_authors=hidden, hidden_domains=domains)


async def resolve_authors(node: Node, parsed: Parsed) -> None:
    """`from:name` / `from:name@host` to account ids (an unknown author matches nothing)."""
    if not parsed.author_accts:
        return
    ids: list[int] = list(parsed.filters.author_ids or [])
    local_domain = node.config.node.domain.lower()
    for acct in parsed.author_accts:
        username, _, domain = acct.partition("@")
        domain = "" if domain in ("", local_domain) else domain
        ids += await Account.filter(username__iexact=username, domain=domain).values_list("id", flat=True)
    parsed.filters.author_ids = ids


def _in_order(rows: Sequence[Any], hits: Sequence[Hit]) -> list[Any]:
    found = {r.id: r for r in rows}
    return [found[h.id] for h in hits if h.id in found]


def _shown(account: Account, audience: Audience) -> bool:
    if account.suspended_at is not None or account.id in audience.hidden_authors:
        return False
    return not (audience.hidden_domains and set(domain_suffixes(account.domain)) & audience.hidden_domains)


async def hydrate(node: Node, viewer: Account | None, hits: dict[str, list[Hit]], audience: Audience) -> Found:
    """Hits -> rows the viewer may see, in rank order."""
    found = Found()
    if hits.get("accounts"):
        found.accounts = [a for a in _in_order(await Account.filter(id__in=[h.id for h in hits["accounts"]]),
                                               hits["accounts"]) if _shown(a, audience)]
    if hits.get("statuses"):
        statuses = _in_order(await Status.filter(id__in=[h.id for h in hits["statuses"]]), hits["statuses"])
        authors = {a.id: a for a in await Account.filter(id__in={s.account_id for s in statuses})}
        statuses = [s for s in statuses if s.account_id in authors and _shown(authors[s.account_id], audience)]
        for status in statuses:
            status.account = authors[status.account_id]
        found.statuses = await visibility.visible(viewer, statuses)
    if hits.get("hashtags"):
        found.hashtags = _in_order(await Tag.filter(id__in=[h.id for h in hits["hashtags"]]), hits["hashtags"])
    if hits.get("places"):
        found.places = _in_order(await Place.filter(id__in=[h.id for h in hits["places"]]), hits["places"])
    if hits.get("takes") and "takes" in node.search.extra:
        found.takes = await node.search.extra["takes"].render(node, [h.id for h in hits["takes"]], viewer)
    return found


async def search(node: Node, viewer: Account | None, parsed: Parsed, kinds: Sequence[str], *, limit: int,
                 offset: int = 0) -> Found:
    """Every asked-for kind searched with the same words and filters; kinds a filter cannot apply to are empty."""
    await resolve_authors(node, parsed)
    if parsed.query.empty and parsed.filters == Filters():
        return Found()
    audience = await audience_of(viewer)
    wanted = [k for k in kinds if k in KINDS and applies(k, parsed.filters)
              and (k != "takes" or "takes" in node.search.extra)]
    if parsed.query.empty:  # filters alone (a map view of posts near a point) list posts and places only
        wanted = [k for k in wanted if k in ("statuses", "takes", "places")]
    hits = await node.search.search(wanted, parsed.query, parsed.filters, audience, limit=limit, offset=offset)
    return await hydrate(node, viewer, hits, audience)


async def autocomplete(node: Node, viewer: Account | None, prefix: str, kinds: Sequence[str], *,
                       limit: int) -> Found:
    """Type-ahead over account names (local and known remote), hashtags and places."""
    prefix = prefix.strip()
    if len(prefix) > 100:
        raise ValidationFailed("Parameter q is too long (maximum is 100 characters)")
    wanted = [k for k in kinds if k in SUGGESTIBLE]
    if not prefix.lstrip("@#") or not wanted:
        return Found()
    audience = await audience_of(viewer)
    hits = await node.search.suggest(wanted, prefix, limit=limit + 5)  # a few spare for hidden ones
    found = await hydrate(node, viewer, hits, audience)
    found.accounts = found.accounts[:limit]
    return found
