"""What the node says about itself beyond its limits: the rules, the extended description, the privacy
policy and the terms of service (admin-edited, Markdown), the weekly activity, the servers it knows and
the languages posts can carry (Mastodon's /api/v1/instance/* answers)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from ..errors import NotFound, ValidationFailed
from ..models import (
    Account,
    DomainBlock,
    InstanceText,
    OAuthToken,
    Peer,
    Rule,
    Status,
    TermsOfService,
    User,
    WebSession,
    row_id,
    snowflake_floor,
)
from ..models.instance_info import RULE_HINT_LIMIT, RULE_TEXT_LIMIT, TEXT_KINDS
from ..runtime import Node
from .language_names import LANGUAGES

TEXT_LIMIT = 100_000  # characters of one document
ACTIVITY_WEEKS = 12

# ---- rules --------------------------------------------------------------------------------------------------


async def rules() -> list[Rule]:
    """The rules in the order admins gave them."""
    return list(await Rule.all().order_by("priority", "id"))


async def get_rule(rule_id: object) -> Rule:
    found = await Rule.filter(id=row_id(rule_id)).first()
    if found is None:
        raise NotFound()
    return found


@dataclass
class RuleSpec:
    text: str | None = None
    hint: str | None = None
    priority: int | None = None
    translations: dict[str, dict[str, str]] | None = None


def _checked(spec: RuleSpec, *, creating: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if spec.text is not None or creating:
        text = (spec.text or "").strip()
        if not text:
            raise ValidationFailed("Validation failed: Text can't be blank")
        if len(text) > RULE_TEXT_LIMIT:
            raise ValidationFailed(
                f"Validation failed: Text is too long (maximum is {RULE_TEXT_LIMIT} characters)"
            )
        values["text"] = text
    if spec.hint is not None:
        if len(spec.hint) > RULE_HINT_LIMIT:
            raise ValidationFailed(
                f"Validation failed: Hint is too long (maximum is {RULE_HINT_LIMIT} characters)"
            )
        values["hint"] = spec.hint.strip()
    if spec.priority is not None:
        values["priority"] = spec.priority
    if spec.translations is not None:
        values["translations"] = _translations(spec.translations)
    return values


def _translations(given: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for language, parts in given.items():
        text = str(parts.get("text") or "").strip()
        hint = str(parts.get("hint") or "").strip()
        if not text and not hint:
            continue  # an emptied translation is removed
        if language not in LANGUAGES and language.split("-")[0] not in LANGUAGES:
            raise ValidationFailed(f"Validation failed: Language {language!r} is not a known language code")
        if not text:
            raise ValidationFailed(f"Validation failed: Translation text ({language}) can't be blank")
        if len(text) > RULE_TEXT_LIMIT or len(hint) > RULE_HINT_LIMIT:
            raise ValidationFailed(f"Validation failed: Translation ({language}) is too long")
        out[language] = {"text": text, "hint": hint}
    return out


async def add_rule(spec: RuleSpec) -> Rule:
    values = _checked(spec, creating=True)
    if "priority" not in values:  # a new rule goes last
        last = await Rule.all().order_by("-priority").first()
        values["priority"] = (last.priority + 1) if last else 0
    return await Rule.create(**values)


async def update_rule(rule: Rule, spec: RuleSpec) -> Rule:
    values = _checked(spec, creating=False)
    if values:
        await rule.update_from_dict(values).save()
    return rule


async def delete_rule(rule: Rule) -> None:
    await rule.delete()


# ---- documents ----------------------------------------------------------------------------------------------


async def text_of(kind: str) -> InstanceText | None:
    """The extended description or privacy policy, or None while nobody wrote one."""
    assert kind in TEXT_KINDS
    return await InstanceText.filter(kind=kind).first()


async def set_text(node: Node, kind: str, text: str) -> InstanceText:
    if kind not in TEXT_KINDS:
        raise NotFound()
    if len(text) > TEXT_LIMIT:
        raise ValidationFailed(f"Validation failed: Text is too long (maximum is {TEXT_LIMIT} characters)")
    row = await InstanceText.filter(kind=kind).first()
    now = node.clock.now()
    if row is None:
        return await InstanceText.create(kind=kind, text=text, updated_at=now)
    row.text, row.updated_at = text, now
    await row.save(update_fields=["text", "updated_at"])
    return row


def with_domain(node: Node, text: str) -> str:
    """Mastodon's documents may say %{domain} for the node's domain."""
    return text.replace("%{domain}", node.config.node.domain)


# ---- terms of service ---------------------------------------------------------------------------------------


async def publish_terms(
    node: Node, text: str, changelog: str = "", effective_date: date | None = None
) -> TermsOfService:
    """Publish a new version of the terms, in effect from `effective_date` (today when not given; a version
    for a day that already has one replaces nothing: 422)."""
    text = text.strip()
    if not text:
        raise ValidationFailed("Validation failed: Text can't be blank")
    if len(text) > TEXT_LIMIT or len(changelog) > TEXT_LIMIT:
        raise ValidationFailed(f"Validation failed: Text is too long (maximum is {TEXT_LIMIT} characters)")
    now = node.clock.now()
    day = effective_date or now.astimezone(UTC).date()
    async with in_transaction():
        if await TermsOfService.filter(effective_date=day).exists():
            raise ValidationFailed("Validation failed: Effective date has already been taken")
        return await TermsOfService.create(
            text=text, changelog=changelog.strip(), effective_date=day, published_at=now
        )


async def current_terms(node: Node, on: date | None = None) -> TermsOfService:
    """The version in effect (the newest whose day has come, else the next one to come), or the one that
    took effect on `on`; NotFound when there is none."""
    if on is not None:
        found = await TermsOfService.filter(effective_date=on).first()
    else:
        today = node.clock.now().astimezone(UTC).date()
        found = (
            await TermsOfService.filter(effective_date__lte=today).order_by("-effective_date").first()
            or await TermsOfService.all().order_by("effective_date").first()
        )
    if found is None:
        raise NotFound()
    return found


async def successor(terms: TermsOfService) -> TermsOfService | None:
    return (
        await TermsOfService.filter(effective_date__gt=terms.effective_date)
        .order_by("effective_date")
        .first()
    )


async def has_terms() -> bool:
    return await TermsOfService.exists()


async def all_terms() -> list[TermsOfService]:
    return list(await TermsOfService.all().order_by("-effective_date"))


# ---- activity, peers, languages -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Week:
    starts: datetime
    statuses: int
    logins: int
    registrations: int


async def _logins(starts: datetime, ends: datetime) -> int:
    """People who signed in during the week: a sign-in makes a web session or an access token."""
    users = set(
        await WebSession.filter(created_at__gte=starts, created_at__lt=ends).values_list("user_id", flat=True)
    )
    users.update(
        await OAuthToken.filter(
            created_at__gte=starts, created_at__lt=ends, user_id__not_isnull=True
        ).values_list("user_id", flat=True)
    )
    return len(users)


async def activity(node: Node) -> list[Week]:
    """The last twelve weeks, this week first, each starting at midnight UTC seven days after the next:
    local statuses posted (reblogs are not posts), people who signed in, and local sign-ups, counted from
    the rows themselves."""
    today = node.clock.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    weeks = []
    for i in range(ACTIVITY_WEEKS):
        starts = today - timedelta(days=7 * i)
        ends = starts + timedelta(days=7)
        statuses = await Status.filter(
            local=True, reblog_of_id=None, id__gte=snowflake_floor(starts), id__lt=snowflake_floor(ends)
        ).count()
        registrations = await User.filter(created_at__gte=starts, created_at__lt=ends).count()
        weeks.append(Week(starts, statuses, await _logins(starts, ends), registrations))
    return weeks


async def peers() -> list[str]:
    """The servers we know (accounts we have seen, peers we talked to), less those an admin blocked."""
    domains = set(await Account.exclude(domain="").distinct().values_list("domain", flat=True))
    domains.update(await Peer.all().values_list("host", flat=True))
    blocked = set(await DomainBlock.all().values_list("domain", flat=True))
    return sorted(
        d for d in domains if d and d not in blocked and not any(d.endswith("." + b) for b in blocked)
    )


def languages() -> list[dict[str, str]]:
    return [{"code": code, "name": name} for code, name in LANGUAGES.items()]


@dataclass(frozen=True)
class PublicBlock:
    domain: str  # obfuscated when the admin asked
    digest: str  # SHA-256 of the real domain, so a server can check whether it is the one
    severity: str
    comment: str | None


def public_domain(block: DomainBlock) -> str:
    """An obfuscated block shows the first and last quarter of the domain and stars between (dots kept)."""
    if not block.obfuscate:
        return block.domain
    length = len(block.domain)
    shown = length // 4
    return "".join(
        c if i <= shown or i >= length - shown or c == "." else "*" for i, c in enumerate(block.domain)
    )


def _allowed(setting: str, signed_in: bool) -> bool:
    return setting == "all" or (setting == "users" and signed_in)


async def visible_domain_blocks(node: Node, signed_in: bool) -> list[PublicBlock] | None:
    """The moderated servers as `node.show_domain_blocks` lets this reader see them (None: not at all),
    their public comments as `node.show_domain_blocks_rationale` says; suspensions first."""
    settings = node.config.node
    if not _allowed(settings.show_domain_blocks, signed_in):
        return None
    with_comment = _allowed(settings.show_domain_blocks_rationale, signed_in)
    rows = [b for b in await DomainBlock.all() if b.severity in ("silence", "suspend") or b.reject_media]
    order = {"suspend": 0, "silence": 1}
    rows.sort(key=lambda b: (order.get(b.severity, 2), b.domain))
    return [
        PublicBlock(
            public_domain(b),
            hashlib.sha256(b.domain.encode()).hexdigest(),
            b.severity,
            (b.public_comment or None) if with_comment else None,
        )
        for b in rows
    ]
