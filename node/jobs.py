"""Periodic jobs on apscheduler's AsyncIOScheduler. Each job is a plain `run_once(node)` coroutine that
tests call directly; the scheduler only decides when."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from .runtime import Node

log = logging.getLogger(__name__)

Job = Callable[[Node], Awaitable[object]]


def periodic_jobs() -> list[tuple[str, Job, int]]:
    """(name, job, every N seconds) for everything the core runs on a timer."""
    from . import db, effects
    from .activitypub import archive, remote_media, resolve, takes
    from .notify import dispatcher, mail, webpush
    from .services import account_imports, polls, preview_cards, relationships, retention, scheduled_statuses
    from .services.stories import answers as story_answers
    from .services.stories import posting as story_posting

    return [("carry out pending effects", effects.run_due, 60),
            ("close expired polls", polls.close_expired, 30),
            ("expire stories and their media", story_posting.expire, 60),
            ("tell countdown subscribers a countdown ended", story_answers.notify_ended, 30),
            ("publish scheduled statuses", scheduled_statuses.publish_due, 10),
            ("fetch preview cards", preview_cards.run_once, 5),
            ("copy remote media", remote_media.run_once, 5),
            ("prune cached remote media", remote_media.run_prune, 3600),
            ("apply account data imports",
             lambda node: account_imports.run_once(node, resolve.resolve_acct, resolve.resolve_url), 5),
            ("build requested account archives", archive.run_once, 10),
            ("lift expired mutes", lambda _node: relationships.expire_mutes(), 60),
            ("re-check pending trend claims", takes.recheck_pending, 60),
            ("dispatch notifications to push and mail", dispatcher.run_once, 2),
            ("send web pushes", webpush.run_once, 2),
            ("send notification mails", mail.run_once, 5),
            ("write email digests", dispatcher.run_digests, 600),
            ("prune finished push and mail jobs", dispatcher.prune, 3600),
            ("prune old bookkeeping rows", retention.run_once, 3600),
            ("refresh query planner statistics", lambda _node: db.refresh_statistics(), 3600)]


def _jobs(node: Node) -> list[tuple[str, Job, int]]:
    jobs = [*periodic_jobs(), *node.plugins.scheduled_jobs]
    if node.shared:
        from .processes import ABSORB_SECONDS, absorb_index_work

        jobs.append(("index what the other processes journaled", absorb_index_work, ABSORB_SECONDS))
    return jobs


def start_scheduler(node: Node) -> AsyncIOScheduler:
    # apscheduler logs every run at INFO; the push and mail jobs run every few seconds, so only problems are logged.
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    scheduler = AsyncIOScheduler(timezone="UTC")
    for name, job, seconds in _jobs(node):
        scheduler.add_job(_in_node_context(node, name, job), "interval", seconds=seconds, name=name,
                          max_instances=1, coalesce=True)
    scheduler.start()
    node.scheduler = scheduler
    return scheduler


async def run_all_once(node: Node) -> None:
    """Every job once and all at the same time, as the scheduler runs them when they fall due together
    (tests call this for a cycle; errors are logged exactly as the scheduler's runs log them)."""
    await asyncio.gather(*(_in_node_context(node, name, job)() for name, job, _ in _jobs(node)))


def _in_node_context(node: Node, name: str, job: Job) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        with node.bound():  # jobs run concurrently: each keeps its own context token
            try:
                await job(node)
            except Exception:
                log.exception("job %r failed", name)

    return run
