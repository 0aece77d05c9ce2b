"""The domain event bus: services announce what happened, subscribers (notifications, feeds, federation,
search, plugins) react, without the services knowing who listens.

Events are published after the write has committed. A failing subscriber is logged and does not undo the
write or stop the other subscribers: anything that must not be lost persists its own work (the delivery
queue is a table, not a subscriber's memory).

The catalogue (name: payload keys):
    account.created: account            account.updated: account        (local and remote accounts)
    status.created: status              status.updated: status          status.deleted: status, account
    favourite.created: favourite        favourite.deleted: favourite
    reblog.created: status (the reblog) reblog.deleted: status
    follow.created: follow              follow.requested: request       follow.accepted: follow
    follow.rejected: request            follow.deleted: account, target
    block.created: block                block.deleted: account, target
    poll.voted: poll, account, choices  poll.ended: poll
    notification.created: notification place.created: place
    take.created: take                  take.updated: take              take.deleted: take (before its row goes)
    take.joined_trend: take, trend      take.used_template: take, template
    take.template_published: template   take_trend.joined: trend, participation
    take_trend.left: trend, participation
    token.revoked: token_hash           (an access token was revoked: its open streams close)
"""

from __future__ import annotations

import inspect
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

Handler = Callable[..., Awaitable[None] | None]


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)

    def subscribe(self, name: str, handler: Handler) -> None:
        self._handlers[name].append(handler)

    def on(self, name: str) -> Callable[[Handler], Handler]:
        """Decorator form of subscribe."""

        def register(handler: Handler) -> Handler:
            self.subscribe(name, handler)
            return handler

        return register

    async def publish(self, name: str, **payload: Any) -> None:
        for handler in list(self._handlers.get(name, ())):
            try:
                result = handler(**payload)
                if inspect.isawaitable(result):
                    await result
            except Exception:  # one broken subscriber must not break the others or the caller
                log.exception("event subscriber %r failed on %s", handler, name)
