"""Pushes (reminders, outbox messages) to Telegram chats the bot did not hear from.

The :class:`TelegramSender` paces messages per chat (≈1/s in a private
chat, 20/min in a group) on top of the bot's :class:`AIORateLimiter`
(≈30/s overall, and retries on ``RetryAfter``), retries network failures a
few times with back-off, and turns Telegram's answers into the outbox's
vocabulary: a blocked bot marks the identity unreachable and raises
:class:`Unreachable`; a rate limit or a server error raises
:class:`RetryLater`.

Nothing is sent twice: a message whose request reached Telegram but whose
answer timed out (Telegram may well have delivered it) is not sent again,
and an exception out of :meth:`TelegramSender.send` carries ``delivered``,
how many of the messages went out before it, so the outbox retries only
the rest.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
from telegram import Bot
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning

from adapters.telegram.render import PollRefs, Renderer
from adapters.telegram.request import AnswerTimedOut
from core.chat.delivery import RetryLater, Unreachable
from core.chat.messages import Outgoing, Poll
from core.db.engine import Database
from core.db.types import utcnow
from core.services.identities import mark_unreachable, mark_unreachable_chat

log = logging.getLogger(__name__)

PLATFORM = "telegram"


def _mark_unreachable(db: Database, chat_id: str, now: datetime) -> bool:
    with db.uow() as s:
        # A private chat's id is the user's id on Telegram; try both lookups.
        return mark_unreachable_chat(s, PLATFORM, chat_id, now) or mark_unreachable(
            s, PLATFORM, chat_id, now
        )


async def record_unreachable(db: Database, chat_id: str, now: datetime) -> bool:
    """Mark the identity behind ``chat_id`` unreachable (off the event loop)."""
    return await asyncio.to_thread(_mark_unreachable, db, chat_id, now)


def _remember_poll(db: Database, ref: str, poll_id: str) -> None:
    """Store a group quiz's Telegram poll id with its question of the day, so any
    process can count the answers (they name only the poll id)."""
    from core.services.groups import record_qotd_message

    kind, _, qotd_id = ref.partition(":")
    if kind == "qotd" and qotd_id.isdigit():
        with db.uow() as s:
            record_qotd_message(s, int(qotd_id), poll_id)


def retry_seconds(exc: RetryAfter) -> float:
    """``retry_after`` in seconds (an int or a timedelta, depending on PTB_TIMEDELTA)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def maybe_delivered(exc: NetworkError) -> bool:
    """True when the request went out whole and only the answer is missing (a read
    timeout): Telegram may have delivered it, so sending it again could double it.
    Connect and pool timeouts, refused connections and 5xx answers are safe to retry."""
    if isinstance(exc, AnswerTimedOut):  # our aiohttp backend says so itself
        return True
    if not isinstance(exc, TimedOut):
        return False
    cause: BaseException | None = exc.__cause__
    while cause is not None:  # a bot on PTB's default httpx backend
        if isinstance(cause, httpx.ReadTimeout):
            return True
        cause = cause.__cause__
    return False


def is_group_chat(chat_id: str) -> bool:
    """Group and supergroup (and channel) ids are negative on Telegram."""
    return chat_id.startswith("-")


class Pacer:
    """Spaces sends per chat: one every ``dm_interval`` s, or ``group_interval`` s in groups."""

    def __init__(self, dm_interval: float = 1.0, group_interval: float = 3.0) -> None:
        self.dm_interval = dm_interval
        self.group_interval = group_interval
        self._next: dict[str, float] = {}
        self._lock = asyncio.Lock()

    async def wait(self, chat_id: str) -> None:
        interval = self.group_interval if is_group_chat(chat_id) else self.dm_interval
        async with self._lock:
            now = time.monotonic()
            at = max(now, self._next.get(chat_id, 0.0))
            self._next[chat_id] = at + interval
            if len(self._next) > 10_000:  # forget chats whose slot has passed
                self._next = {c: t for c, t in self._next.items() if t > now}
        if at > now:
            await asyncio.sleep(at - now)


class TelegramSender:
    """The :class:`core.chat.delivery.Sender` for Telegram."""

    platform = PLATFORM

    def __init__(
        self,
        bot: Bot,
        db: Database,
        poll_refs: PollRefs | None = None,
        clock: Callable[[], datetime] = utcnow,
        pacer: Pacer | None = None,
        network_retries: int = 3,
        backoff: float = 0.5,
    ) -> None:
        self.bot = bot
        self.db = db
        self.clock = clock
        self.renderer = Renderer(bot, poll_refs or PollRefs())
        self.pacer = pacer or Pacer()
        self.network_retries = network_retries
        self.backoff = backoff

    async def send(self, chat_id: str, messages: list[Outgoing]) -> None:
        """Deliver ``messages`` one by one; raise Unreachable or RetryLater."""
        try:  # a bot of our own (build_sender) starts on first use; a no-op after
            await self.bot.initialize()
        except InvalidToken:  # its message quotes the token: say which key instead
            raise RetryLater(
                "the Bot API rejected telegram.token (SATPREP_TELEGRAM_TOKEN)"
            ) from None
        except NetworkError as exc:
            raise RetryLater(f"network error: {exc}") from exc
        group = is_group_chat(chat_id)
        for done, msg in enumerate(messages):
            await self.pacer.wait(chat_id)
            try:
                await self._send_one(chat_id, msg, group)
            except Exception as exc:
                exc.delivered = done  # type: ignore[attr-defined]  # read by bot.delivery
                raise

    async def close(self) -> None:
        """Release the bot's connections (for a sender made by ``build_sender``)."""
        await self.bot.shutdown()

    async def _send_one(self, chat_id: str, msg: Outgoing, group: bool) -> None:
        for attempt in range(self.network_retries + 1):
            try:
                sent = await self.renderer.render(chat_id, [msg], is_group=group)
                if isinstance(msg, Poll) and sent and sent[-1].poll is not None:
                    await asyncio.to_thread(_remember_poll, self.db, msg.ref, sent[-1].poll.id)
                return
            except Forbidden as exc:
                marked = await record_unreachable(self.db, chat_id, self.clock())
                log.info(
                    "telegram: chat %s unreachable (%s); identity marked: %s", chat_id, exc, marked
                )
                raise Unreachable(str(exc)) from exc
            except RetryAfter as exc:  # the rate limiter's retries ran out
                raise RetryLater(str(exc), after=retry_seconds(exc)) from exc
            except BadRequest as exc:
                if "chat not found" in exc.message.lower():
                    await record_unreachable(self.db, chat_id, self.clock())
                    raise Unreachable(str(exc)) from exc
                raise
            except NetworkError as exc:  # includes TimedOut and 5xx answers
                if maybe_delivered(exc):
                    # At most once: the message may be in the chat already.
                    log.warning(
                        "telegram: no answer to a push into chat %s in time; it may have "
                        "arrived, so it is not sent again",
                        chat_id,
                    )
                    return
                if attempt == self.network_retries:
                    raise RetryLater(f"network error: {exc}") from exc
                await asyncio.sleep(self.backoff * 2**attempt)
