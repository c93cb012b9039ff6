"""What an adapter's sender tells the outbox when a push fails.

The outbox (a scheduler job) hands queued messages to the adapter that owns
the recipient's platform through :class:`Sender`; the adapter raises one of
these so the outbox knows whether to retry, wait or stop.
"""

from __future__ import annotations

from typing import Protocol

from core.chat.messages import Outgoing


class Unreachable(Exception):
    """The person blocked the bot or closed their DMs: stop retrying."""


class RetryLater(Exception):
    """A rate limit or a passing failure; ``after`` seconds is the platform's hint."""

    def __init__(self, message: str, after: float | None = None) -> None:
        super().__init__(message)
        self.after = after


class Sender(Protocol):
    """An adapter's way to push messages into a chat it did not hear from."""

    platform: str

    async def send(self, chat_id: str, messages: list[Outgoing]) -> None:
        """Deliver ``messages`` to ``chat_id`` or raise Unreachable / RetryLater."""
        ...
