"""Moderation across servers: domain blocks (silence: out of public timelines, suspend: nothing in or out)
and reports, local or received as Flag, with the cache of blocked domains every check reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from ..errors import Forbidden, NotFound, ValidationFailed
from ..models import Account, DomainBlock, Follow, FollowRequest, Report, Status, row_id
from ..models.federation import BLOCK_SEVERITIES

REPORT_CATEGORIES = ("spam", "legal", "violation", "other")


@dataclass
class _Cache:
    blocks: dict[str, str] | None = None  # domain -> severity; None = not loaded
    silenced: set[int] | None = None  # accounts an admin silenced; None = not loaded


# One process-wide cache per database would be wrong with several nodes in one process; key it by
# connection object instead.
_caches: dict[int, _Cache] = {}


def _cache() -> _Cache:
    return _caches.setdefault(id(DomainBlock._meta.db), _Cache())


async def blocked_domains() -> dict[str, str]:
    cache = _cache()
    if cache.blocks is None:
        cache.blocks = dict(await DomainBlock.all().values_list("domain", "severity"))
    return cache.blocks


def _candidates(host: str) -> list[str]:
    """`a.b.example` is covered by blocks of itself, `b.example` and `example` (ports ignored)."""
    name = host.lower().split(":")[0] if host.count(":") == 1 else host.lower()
    parts = name.split(".")
    return [host.lower(), *(".".join(parts[i:]) for i in range(len(parts)))]


async def severity_of(host: str) -> str | None:
    if not host:
        return None
    blocks = await blocked_domains()
    if not blocks:
        return None
    order = {"noop": 0, "silence": 1, "suspend": 2}
    found = [blocks[c] for c in _candidates(host) if c in blocks]
    return max(found, key=order.__getitem__) if found else None


async def rejects_media(host: str) -> bool:
    """Whether a domain block of `host` (or of a domain above it) refuses its media: nothing of it is fetched."""
    if not host or not await blocked_domains():
        return False
    return await DomainBlock.filter(domain__in=_candidates(host), reject_media=True).exists()


async def is_suspended(host: str) -> bool:
    return await severity_of(host) == "suspend"


async def ensure_not_suspended(host: str) -> None:
    if await is_suspended(host):
        raise Forbidden(f"{host} is blocked by this server")


async def silenced_accounts() -> set[int]:
    """Accounts an admin silenced (few: read once, forgotten when an admin changes one)."""
    cache = _cache()
    if cache.silenced is None:
        cache.silenced = set(await Account.filter(silenced_at__not_isnull=True).values_list("id", flat=True))
    return cache.silenced


def forget_silenced() -> None:
    _cache().silenced = None


async def silenced_domains() -> list[str]:
    return [d for d, s in (await blocked_domains()).items() if s in ("silence", "suspend")]


# ---- admin: domain blocks ---------------------------------------------------------------------------------


@dataclass
class DomainBlockSpec:
    domain: str | None = None
    severity: str | None = None
    reject_media: bool | None = None
    reject_reports: bool | None = None
    private_comment: str | None = None
    public_comment: str | None = None
    obfuscate: bool | None = None


def _clean_domain(domain: str | None) -> str:
    value = (domain or "").strip().lower().rstrip(".")
    if not value or " " in value or "/" in value or "@" in value:
        raise ValidationFailed("Validation failed: Domain is not a valid domain name")
    return value


async def create_domain_block(spec: DomainBlockSpec) -> DomainBlock:
    domain = _clean_domain(spec.domain)
    severity = spec.severity or "silence"
    if severity not in BLOCK_SEVERITIES:
        raise ValidationFailed(f"Validation failed: Severity must be one of {', '.join(BLOCK_SEVERITIES)}")
    if await DomainBlock.filter(domain=domain).exists():
        raise ValidationFailed("Validation failed: Domain has already been taken")
    values = {k: v for k, v in spec.__dict__.items() if v is not None and k not in ("domain", "severity")}
    block = await DomainBlock.create(domain=domain, severity=severity, **values)
    _cache().blocks = None
    if severity == "suspend":
        await _cut_off(domain)
    return block


async def update_domain_block(block: DomainBlock, spec: DomainBlockSpec) -> DomainBlock:
    if spec.severity is not None and spec.severity not in BLOCK_SEVERITIES:
        raise ValidationFailed(f"Validation failed: Severity must be one of {', '.join(BLOCK_SEVERITIES)}")
    values = {k: v for k, v in spec.__dict__.items() if v is not None and k != "domain"}
    block.update_from_dict(values)
    await block.save()
    _cache().blocks = None
    if block.severity == "suspend":
        await _cut_off(block.domain)
    return block


async def delete_domain_block(block: DomainBlock) -> None:
    await block.delete()
    _cache().blocks = None
    await Account.filter(domain=block.domain, suspended_at__not_isnull=True).update(suspended_at=None)


async def get_domain_block(block_id: int | str) -> DomainBlock:
    key = row_id(block_id)
    block = await DomainBlock.filter(id=key).first()
    if block is None:
        raise NotFound()
    return block


async def _cut_off(domain: str) -> None:
    """A suspension ends every follow between us and the domain's accounts and hides the accounts."""
    remote = list(await Account.filter(domain=domain).values_list("id", flat=True))
    remote += list(await Account.filter(domain__endswith=f".{domain}").values_list("id", flat=True))
    if not remote:
        return
    async with in_transaction():
        await Follow.filter(account_id__in=remote).delete()
        await Follow.filter(target_account_id__in=remote).delete()
        await FollowRequest.filter(account_id__in=remote).delete()
        await FollowRequest.filter(target_account_id__in=remote).delete()
        await Account.filter(id__in=remote).update(suspended_at=datetime.now(UTC))
    await _recount()


async def _recount() -> None:
    """Follower counters of local accounts after a suspension removed follows in bulk."""
    for account in await Account.filter(domain=""):
        followers = await Follow.filter(target_account_id=account.id).count()
        following = await Follow.filter(account_id=account.id).count()
        if (followers, following) != (account.followers_count, account.following_count):
            await Account.filter(id=account.id).update(followers_count=followers, following_count=following)


# ---- reports ----------------------------------------------------------------------------------------------


async def file_report(reporter: Account, target: Account, *, status_ids: Sequence[int] = (), comment: str = "",
                      category: str = "other", forward: bool = False, uri: str | None = None) -> Report:
    """Store a report; statuses must be the target's. A block is not implied (Mastodon's behaviour)."""
    if category not in REPORT_CATEGORIES:
        raise ValidationFailed(f"Validation failed: Category must be one of {', '.join(REPORT_CATEGORIES)}")
    if len(comment) > 1000:
        raise ValidationFailed("Validation failed: Comment is too long (maximum is 1000 characters)")
    ids = list(dict.fromkeys(int(i) for i in status_ids))
    if ids:
        owned = set(await Status.filter(id__in=ids, account_id=target.id).values_list("id", flat=True))
        if owned != set(ids):
            raise NotFound()
    return await Report.create(account_id=reporter.id, target_account_id=target.id, status_ids=ids, comment=comment,
                               category=category, forwarded=forward and not target.local, uri=uri)


async def get_report(report_id: int | str) -> Report:
    key = row_id(report_id)
    report = await Report.filter(id=key).select_related("account", "target_account").first()
    if report is None:
        raise NotFound()
    return report


async def resolve_report(report: Report, resolved: bool = True) -> Report:
    report.action_taken_at = datetime.now(UTC) if resolved else None
    await report.save(update_fields=["action_taken_at", "updated_at"])
    return report
