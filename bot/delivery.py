"""The delivery job: claim due notifications, send them through the adapters, record.

Claims and outcomes are short transactions of their own, so a slow platform
never holds a database lock, and a crash between claim and send leaves a
claim that expires (see core.services.outbox.LEASE) and is retried.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field

from core.chat.delivery import RetryLater, Sender, Unreachable
from core.chat.dispatcher import App
from core.chat.push import render_push
from core.services import outbox
from core.services.identities import mark_unreachable_chat

log = logging.getLogger(__name__)


def worker_name() -> str:
    """A name for this process's claims: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    unreachable: int = 0
    errors: list[str] = field(default_factory=list)


async def deliver_due(
    app: App, senders: Mapping[str, Sender], worker: str | None = None, limit: int = 100
) -> DeliveryReport:
    """One pass: claim up to ``limit`` due rows for the platforms we can send to."""
    worker = worker or worker_name()
    report = DeliveryReport()

    def _claim() -> list[tuple[outbox.Claimed, list]]:
        with app.db.uow() as s:
            claimed = outbox.claim(s, app.clock(), worker, limit, platforms=tuple(senders))
            return [(c, render_push(s, c)) for c in claimed]

    for claimed, messages in await asyncio.to_thread(_claim):
        sender = senders[claimed.platform]
        try:
            await sender.send(claimed.chat_id, messages)
        except Unreachable:
            report.unreachable += 1
            await asyncio.to_thread(_record_unreachable, app, claimed, worker)
        except RetryLater as exc:
            report.retried += 1
            await asyncio.to_thread(_record_failure, app, claimed, worker, str(exc), exc.after)
        except Exception as exc:  # a platform error must not stop the other rows
            log.warning(
                "push %s to %s failed: %s", claimed.id, claimed.platform, type(exc).__name__
            )
            report.retried += 1
            report.errors.append(type(exc).__name__)
            await asyncio.to_thread(
                _record_failure, app, claimed, worker, f"{type(exc).__name__}: {exc}", None
            )
        else:
            report.sent += 1
            await asyncio.to_thread(_record_sent, app, claimed, worker)
    return report


def _record_sent(app: App, claimed: outbox.Claimed, worker: str) -> None:
    with app.db.uow() as s:
        outbox.mark_sent(s, claimed.id, worker, app.clock())


def _record_failure(
    app: App, claimed: outbox.Claimed, worker: str, error: str, after: float | None
) -> None:
    with app.db.uow() as s:
        outbox.mark_failed(s, claimed.id, worker, app.clock(), error, after)


def _record_unreachable(app: App, claimed: outbox.Claimed, worker: str) -> None:
    with app.db.uow() as s:
        outbox.mark_unreachable(s, claimed.id, worker, app.clock())
        mark_unreachable_chat(s, claimed.platform, claimed.chat_id, app.clock())
