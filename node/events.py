"""The domain event bus: services announce what happened, subscribers (notifications, feeds, federation,
search, plugins) react, without the services knowing who listens.

Events are published after the write has committed. A failing in-memory subscriber is logged and does not
undo the write or stop the other subscribers. What must not be lost (outbound federation) subscribes
`durable=True`: it runs from a PendingEffect row through node/effects.py (the transactional outbox), which
the write records in its own transaction where it can (`effects.record` + `effects.announce`) and the bus
records otherwise, so a crash or a failing durable subscriber is retried, never dropped.

The catalogue (name: payload keys):
    account.created: account            account.updated: account        (local and remote accounts)
    account.moved: account, target      (a local account moved to target: node/services/moves.py)
    account.deleted: account, inboxes   (a local account deleted itself; inboxes: servers that know it)
    status.created: status              status.updated: status          status.deleted: status, account
    favourite.created: favourite        favourite.deleted: favourite
    reblog.created: status (the reblog) reblog.deleted: status
    follow.created: follow              follow.requested: request       follow.accepted: follow
    follow.rejected: request            follow.deleted: account, target
    block.created: block                block.deleted: account, target
    poll.voted: poll, account, choices  poll.ended: poll
    notification.created: notification place.created: place
    notifications.merged: account       (accepted notification requests joined the other notifications)
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
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

log = logging.getLogger(__name__)

Handler = Callable[..., Awaitable[None] | None]
Gate = Callable[..., bool]  # given the event's payload


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)
        self._durable: dict[str, list[tuple[Handler, Gate | None]]] = defaultdict(list)
        # Set by node.effects' owner at start: carries out durable subscribers for an unrecorded event.
        self.unrecorded: Callable[[str, dict[str, Any]], Awaitable[None]] | None = None

    def subscribe(self, name: str, handler: Handler, *, durable: bool = False, when: Gate | None = None) -> None:
        """`durable` subscribers only write to the database and run from the transactional outbox; `when` is
        a cheap check of the event's payload made as it is raised (an effect is recorded only if some
        subscriber wants it: most posts have nothing for most subscribers to do)."""
        if durable:
            self._durable[name].append((handler, when))
        else:
            self._handlers[name].append(handler)

    def on(self, name: str, *, durable: bool = False, when: Gate | None = None) -> Callable[[Handler], Handler]:
        """Decorator form of subscribe."""

        def register(handler: Handler) -> Handler:
            self.subscribe(name, handler, durable=durable, when=when)
            return handler

        return register

    def durable_handlers(self, name: str, payload: Mapping[str, Any]) -> list[Handler]:
        """The durable subscribers to `name` that want this one now."""
        return [handler for handler, when in self._durable.get(name, ()) if when is None or when(**payload)]

    async def publish(self, name: str, **payload: Any) -> None:
        """Announce an event whose write did not record it (see node/effects.py): durable subscribers first,
        then the in-memory ones."""
        if self.unrecorded is not None and self.durable_handlers(name, payload):
            await self.unrecorded(name, payload)
        await self.publish_live(name, **payload)

    async def publish_live(self, name: str, **payload: Any) -> None:
        """Only the in-memory subscribers (the durable ones ran from the event's recorded effect)."""
        for handler in list(self._handlers.get(name, ())):
            try:
                result = handler(**payload)
                if inspect.isawaitable(result):
                    await result
            except Exception:  # one broken subscriber must not break the others or the caller
                log.exception("event subscriber %r failed on %s", handler, name)
