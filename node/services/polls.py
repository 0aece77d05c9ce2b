"""Polls: validating a poll given with a status, voting, and closing expired polls (a periodic job).

Limits are Mastodon's defaults: 2 to 4 options of up to 50 characters, open from 5 minutes to a month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from .. import effects
from ..errors import NotFound, ValidationFailed
from ..models import Account, Poll, PollVote, Status, row_id
from ..runtime import Node
from . import visibility

MAX_OPTIONS = 4
MIN_OPTIONS = 2
MAX_OPTION_CHARS = 50
MIN_EXPIRATION = 300
MAX_EXPIRATION = 2_629_746  # Mastodon's "one month"


@dataclass(frozen=True)
class PollSpec:
    """A validated poll request, before it is stored with its status."""

    options: list[str]
    expires_in: int
    multiple: bool
    hide_totals: bool

    def build(self, status: Status, start: datetime | None = None) -> Poll:
        """The poll row, open for expires_in from `start` (now unless given: a new status's creation)."""
        return Poll(status=status, options=self.options, cached_tallies=[0] * len(self.options),
                    multiple=self.multiple, hide_totals=self.hide_totals,
                    expires_at=(start or datetime.now(UTC)) + timedelta(seconds=self.expires_in))

    def as_params(self) -> dict:
        """The poll as Mastodon's ScheduledStatus entity shows it in `params`."""
        return {"options": self.options, "expires_in": self.expires_in, "multiple": self.multiple,
                "hide_totals": self.hide_totals}


def parse_poll(raw: object) -> PollSpec | None:
    """Validate `poll[...]` parameters (already nested into a mapping); None when no poll was given."""
    if raw is None or raw == "" or raw == {}:
        return None
    if not isinstance(raw, dict):
        raise ValidationFailed("Validation failed: Poll must be an object")
    options = raw.get("options")
    if isinstance(options, dict):  # options[0]=a&options[1]=b
        options = [options[k] for k in sorted(options, key=lambda k: (len(k), k))]
    if isinstance(options, str):
        options = [options]
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
        raise ValidationFailed("Validation failed: Poll options must be a list of strings")
    options = [o.strip() for o in options]
    if len(options) < MIN_OPTIONS:
        raise ValidationFailed("Validation failed: Poll must have at least 2 options")
    if len(options) > MAX_OPTIONS:
        raise ValidationFailed(f"Validation failed: Poll must not have more than {MAX_OPTIONS} options")
    if any(not o for o in options):
        raise ValidationFailed("Validation failed: Poll options can't be blank")
    if any(len(o) > MAX_OPTION_CHARS for o in options):
        raise ValidationFailed(f"Validation failed: Poll options must not be longer than {MAX_OPTION_CHARS} characters")
    if len({o for o in options}) != len(options):
        raise ValidationFailed("Validation failed: Poll options must be unique")
    try:
        expires_in = int(raw.get("expires_in"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationFailed("Validation failed: Poll expires_in must be a number of seconds") from None
    if not MIN_EXPIRATION <= expires_in <= MAX_EXPIRATION:
        raise ValidationFailed(f"Validation failed: Poll duration must be between {MIN_EXPIRATION} seconds "
                               f"and {MAX_EXPIRATION} seconds")
    return PollSpec(options=options, expires_in=expires_in, multiple=_flag(raw.get("multiple")),
                    hide_totals=_flag(raw.get("hide_totals")))


def _flag(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "on", "yes")
    return bool(value)


def expired(poll: Poll) -> bool:
    return poll.expires_at is not None and poll.expires_at <= datetime.now(UTC)


async def visible_poll(viewer: Account | None, poll_id: int | str) -> Poll:
    key = row_id(poll_id)
    poll = await Poll.filter(id=key).first()
    if poll is None:
        raise NotFound()
    status = await Status.filter(id=poll.status_id).first()
    if status is None or not await visibility.can_see(viewer, status):
        raise NotFound()
    poll.status = status
    return poll


async def vote(node: Node, account: Account, poll_id: int | str, choices: list[int]) -> Poll:
    """Cast the account's vote; one vote per account per poll, as Mastodon allows."""
    poll = await visible_poll(account, poll_id)
    status = poll.status
    if status.account_id == account.id:
        raise ValidationFailed("Validation failed: You cannot vote in your own polls")
    if expired(poll):
        raise ValidationFailed("Validation failed: The poll has already ended")
    choices = list(dict.fromkeys(choices))
    if not choices:
        raise ValidationFailed("Validation failed: You must choose an option")
    if any(not 0 <= c < len(poll.options) for c in choices):
        raise ValidationFailed("Validation failed: That option does not exist")
    if len(choices) > 1 and not poll.multiple:
        raise ValidationFailed("Validation failed: This poll allows only one choice")
    async with in_transaction():
        if await PollVote.filter(poll_id=poll.id, account_id=account.id).exists():
            raise ValidationFailed("Validation failed: You have already voted on this poll")
        await PollVote.bulk_create([PollVote(poll_id=poll.id, account_id=account.id, choice=c) for c in choices])
        fresh = await Poll.filter(id=poll.id).first()  # read after our insert took the write lock
        assert fresh is not None
        tallies = list(fresh.cached_tallies)
        for choice in choices:
            tallies[choice] += 1
        await Poll.filter(id=poll.id).update(cached_tallies=tallies, votes_count=F("votes_count") + len(choices),
                                             voters_count=F("voters_count") + 1)
        poll = await Poll.get(id=poll.id)
        # The vote leaves the node (to the poll's server, or an Update to the voters' ones): stored with it.
        effect = await effects.record(node, "poll.voted", poll=poll, account=account, choices=choices)
    poll.status = status
    await effects.announce(node, "poll.voted", effect, poll=poll, account=account, choices=choices)
    return poll


async def close_expired(node: Node) -> int:
    """Announce each poll that has ended, exactly once ("poll.ended"); returns how many."""
    now = datetime.now(UTC)
    ended = 0
    for poll in await Poll.filter(ended_notified=False, expires_at__lte=now).order_by("expires_at").limit(500):
        # Claiming the row first makes the announcement once-only even if two runs overlap.
        async with in_transaction():
            claimed = await Poll.filter(id=poll.id, ended_notified=False).update(ended_notified=True)
            effect = await effects.record(node, "poll.ended", poll=poll) if claimed else None
        if claimed:
            ended += 1
            await effects.announce(node, "poll.ended", effect, poll=poll)
    return ended


async def own_votes(viewer: Account | None, poll: Poll) -> list[int]:
    if viewer is None:
        return []
    return list(await PollVote.filter(poll_id=poll.id, account_id=viewer.id).values_list("choice", flat=True))
