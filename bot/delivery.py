"""The delivery job: claim due notifications, send them through the adapters, record.

Claims and outcomes are short transactions of their own, so a slow platform
never holds a database lock, and a crash between claim and send leaves a
claim that expires (see core.services.outbox.LEASE) and is retried.

A platform that answers "too many requests" or fails (a 5xx, the network)
is not hammered: the row that hit it backs off, and the rest of the pass
leaves that platform alone until its ``retry_after`` has passed (or, with
no hint, until the failed row is due again). Their claims are released
without counting an attempt, so a minute of outage costs one attempt of
one row per pass, not one of every row. A claim is kept fresh while its
send lasts, and in a pass that has run for a while each row's claim is
checked right before it is sent (past ``LEASE`` another worker may have
taken it over); a push of several messages resumes after the ones the
platform already accepted. So nothing is sent twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.chat.delivery import RetryLater, Sender, Unreachable
from core.chat.dispatcher import App
from core.chat.push import render_push
from core.services import outbox
from core.services.identities import mark_unreachable_chat

log = logging.getLogger(__name__)
RENEW_AFTER = outbox.LEASE / 5  # into a pass, check each claim before sending its row
HEARTBEAT_S = RENEW_AFTER.total_seconds()  # renew the claim of a send that takes this long


def worker_name() -> str:
    """A name for this process's claims: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    unreachable: int = 0
    deferred: int = 0  # claimed, then handed back untried: their platform asked us to wait
    errors: list[str] = field(default_factory=list)


def delivered_before(exc: BaseException) -> int:
    """How many of the push's messages the sender delivered before ``exc`` (the
    Telegram sender sets ``exc.delivered``; a sender that does not, none)."""
    return int(getattr(exc, "delivered", 0) or 0)


async def deliver_due(
    app: App, senders: Mapping[str, Sender], worker: str | None = None, limit: int = 100
) -> DeliveryReport:
    """One pass: claim up to ``limit`` due rows for the platforms we can send to."""
    worker = worker or worker_name()
    report = DeliveryReport()
    paused: dict[str, datetime] = {}  # platform → when its other rows may be tried again

    def _claim() -> tuple[datetime, list[tuple[outbox.Claimed, list]]]:
        with app.db.uow() as s:
            now = app.clock()
            claimed = outbox.claim(s, now, worker, limit, platforms=tuple(senders))
            return now, [(c, render_push(s, c)) for c in claimed]

    claimed_at, batch = await asyncio.to_thread(_claim)
    for claimed, messages in batch:
        if claimed.platform in paused:
            report.deferred += 1
            await asyncio.to_thread(_release, app, claimed, worker, paused[claimed.platform])
            continue
        # A pass that has run for a while (a slow or rate-limiting platform) makes
        # sure each claim is still its own before sending: past LEASE another
        # worker may have taken the row over.
        if app.clock() - claimed_at >= RENEW_AFTER and not await asyncio.to_thread(
            _renew, app, claimed, worker
        ):
            log.info("push %s: the claim passed to another worker; not sending it", claimed.id)
            continue
        done = int(claimed.payload.get(outbox.PROGRESS, 0))
        sender = senders[claimed.platform]
        try:
            if messages[done:]:
                await _send_holding_claim(app, sender, claimed, worker, messages[done:])
        except Unreachable:
            report.unreachable += 1
            await asyncio.to_thread(_record_unreachable, app, claimed, worker)
        except RetryLater as exc:
            report.retried += 1
            due = await asyncio.to_thread(
                _record_failure,
                app,
                claimed,
                worker,
                str(exc),
                exc.after,
                done + delivered_before(exc),
            )
            paused[claimed.platform] = _resume_at(app.clock(), exc.after, due)
            log.warning(
                "push %s to %s: %s; leaving %s alone until %s",
                claimed.id,
                claimed.platform,
                exc,
                claimed.platform,
                paused[claimed.platform].isoformat(timespec="seconds"),
            )
        except Exception as exc:  # a platform error must not stop the other rows
            log.warning(
                "push %s to %s failed: %s", claimed.id, claimed.platform, type(exc).__name__
            )
            report.retried += 1
            report.errors.append(type(exc).__name__)
            await asyncio.to_thread(
                _record_failure,
                app,
                claimed,
                worker,
                f"{type(exc).__name__}: {exc}",
                None,
                done + delivered_before(exc),
            )
        else:
            report.sent += 1
            await asyncio.to_thread(_record_sent, app, claimed, worker)
    return report


async def _send_holding_claim(
    app: App, sender: Sender, claimed: outbox.Claimed, worker: str, messages: list
) -> None:
    """Send, renewing the claim every ``HEARTBEAT_S`` while the send lasts (a rate
    limiter sleeping through a long ``retry_after``), so that it cannot expire and
    be taken over by another worker while the message may still go out."""
    task = asyncio.ensure_future(sender.send(claimed.chat_id, messages))
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=HEARTBEAT_S)
            if done:
                task.result()
                return
            await asyncio.to_thread(_renew, app, claimed, worker)
    finally:
        if not task.done():
            task.cancel()


def _resume_at(now: datetime, after: float | None, due: datetime | None) -> datetime:
    """When the other rows of a platform that asked us to wait may go: after its
    ``retry_after``, else when the failed row is due again."""
    if after is not None:
        return now + timedelta(seconds=after)
    return due if due is not None else now + outbox.backoff(1)


def _renew(app: App, claimed: outbox.Claimed, worker: str) -> bool:
    with app.db.uow() as s:
        return outbox.renew(s, claimed.id, worker, app.clock())


def _release(app: App, claimed: outbox.Claimed, worker: str, due_at: datetime) -> None:
    with app.db.uow() as s:
        outbox.release(s, claimed.id, worker, due_at)


def _record_sent(app: App, claimed: outbox.Claimed, worker: str) -> None:
    with app.db.uow() as s:
        outbox.mark_sent(s, claimed.id, worker, app.clock())


def _record_failure(
    app: App,
    claimed: outbox.Claimed,
    worker: str,
    error: str,
    after: float | None,
    delivered: int = 0,
) -> datetime | None:
    with app.db.uow() as s:
        return outbox.mark_failed(s, claimed.id, worker, app.clock(), error, after, delivered)


def _record_unreachable(app: App, claimed: outbox.Claimed, worker: str) -> None:
    with app.db.uow() as s:
        outbox.mark_unreachable(s, claimed.id, worker, app.clock())
        mark_unreachable_chat(s, claimed.platform, claimed.chat_id, app.clock())
