"""The notification outbox: every push is a row first, then delivered once.

Services call :func:`enqueue` in the same transaction as the change that
causes the message. A delivery job calls :func:`claim` (on PostgreSQL
``SELECT … FOR UPDATE SKIP LOCKED``, so two schedulers never take the same
row), hands each claimed row to the adapter that owns the recipient's
platform, and records the outcome with :func:`mark_sent`,
:func:`mark_failed` or :func:`mark_unreachable`.

Delivery is at-least-once only in one narrow case: a process that dies
after the platform accepted a message but before ``mark_sent`` committed.
Its claim expires after ``LEASE`` and the row is sent again; every other
path sends a row exactly once. To keep it so, a worker whose pass has run
a while renews each claim (:func:`renew`) before sending (a pass that ran
past ``LEASE`` must not send a row another worker took over), a push of
several messages (a digest and its chart) remembers how many went out
before a failure (``payload["delivered_parts"]``) so a retry sends only
the rest, and rows a
worker claimed but did not try (the platform asked it to wait) go back
with :func:`release`, their attempt not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.db.models import Identity, Notification, NotificationPreference, User

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 6
PROGRESS = "delivered_parts"  # payload key: messages of the push already delivered
PLATFORM_ORDER = ("telegram", "discord", "console")

# Kinds a user can switch off with /notifications (others, such as a tutor's
# assignment, are part of a relationship the student agreed to).
OPTIONAL_KINDS = {
    "streak": "daily streak reminder",
    "plan": "today's plan",
    "countdown": "test-date countdown",
    "nudge": "nudges from your tutor",
    "digest": "weekly digest (parents)",
    "alert_test": "alert: a test was finished (parents)",
    "alert_streak": "alert: streak at risk (parents)",
    "alert_badge": "alert: badge earned (parents)",
    "friend": "friend requests",
}


def backoff(attempts: int) -> timedelta:
    """Wait before retry number ``attempts``: 30 s, 1 min, 2 min, … capped at 1 h."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def opted_out(s: Session, user_id: str, kind: str) -> bool:
    """True when the user switched this kind of message off."""
    pref = s.scalar(
        select(NotificationPreference.enabled).where(
            NotificationPreference.user_id == user_id, NotificationPreference.kind == kind
        )
    )
    return pref is False


def enqueue(
    s: Session,
    user_id: str,
    kind: str,
    message: str,
    now: datetime,
    dedupe_key: str | None = None,
    due_at: datetime | None = None,
    payload: dict[str, Any] | None = None,
) -> bool:
    """Queue a push; with a ``dedupe_key`` it exists once however often this runs.

    Returns True when a new row was written. An opted-out kind is written as
    ``suppressed`` (kept for the record, never sent).
    """
    status = "suppressed" if kind in OPTIONAL_KINDS and opted_out(s, user_id, kind) else "pending"
    values = dict(
        user_id=user_id,
        kind=kind,
        message=message,
        payload=payload or {},
        timestamp=now,
        due_at=due_at or now,
        status=status,
        attempts=0,
        dedupe_key=dedupe_key,
        read=False,
    )
    if dedupe_key is None:
        s.add(Notification(**values))
        s.flush()
        return True
    dialect = s.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # Resolved by the unique constraint, not a read-then-write, so two
    # schedulers racing to create the same reminder produce one row.
    stmt = (
        insert(Notification).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    result = s.execute(stmt)
    return bool(result.rowcount)


@dataclass(frozen=True)
class Claimed:
    """A claimed notification with where to send it."""

    id: int
    user_id: str
    kind: str
    message: str
    payload: dict[str, Any]
    platform: str
    chat_id: str
    attempts: int


def _in_quiet_hours(user: User, now: datetime) -> datetime | None:
    """When the user's quiet hours end, if ``now`` is inside them."""
    if user.quiet_start is None or user.quiet_end is None:
        return None
    tz = ZoneInfo(user.timezone)
    local = now.astimezone(tz)
    t = local.time()
    start, end = user.quiet_start, user.quiet_end
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    end_day: date = local.date() if t < end else local.date() + timedelta(days=1)
    return datetime.combine(end_day, end, tz)


def _destination(s: Session, user_id: str, payload: dict[str, Any]) -> Identity | None:
    identities = list(
        s.scalars(
            select(Identity).where(
                Identity.user_id == user_id,
                Identity.reachable.is_(True),
                Identity.dm_chat_id.is_not(None),
            )
        )
    )
    wanted = payload.get("platform")
    identities.sort(key=lambda i: (i.platform != wanted, PLATFORM_ORDER.index(i.platform)))
    return identities[0] if identities else None


def claim(
    s: Session,
    now: datetime,
    worker: str,
    limit: int = 100,
    platforms: tuple[str, ...] = PLATFORM_ORDER,
) -> list[Claimed]:
    """Take up to ``limit`` due rows for delivery by ``worker`` (commit right after).

    Rows in quiet hours are pushed to the hours' end, rows with no reachable
    identity fail without an attempt. Claims older than ``LEASE`` (a worker
    that died) are taken again.
    """
    query = (
        select(Notification)
        .where(
            Notification.due_at <= now,
            or_(
                Notification.status == "pending",
                (Notification.status == "sending") & (Notification.claimed_at < now - LEASE),
            ),
        )
        .order_by(Notification.due_at, Notification.id)
        .limit(limit)
    )
    if s.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claimed: list[Claimed] = []
    for row in s.scalars(query):
        user = s.get(User, row.user_id)
        assert user is not None
        quiet_end = _in_quiet_hours(user, now)
        if quiet_end is not None:
            row.due_at = quiet_end
            row.status = "pending"
            continue
        target = _destination(s, row.user_id, row.payload or {})
        if target is None:
            row.status = "failed"
            row.last_error = "no reachable chat for this user"
            continue
        if target.platform not in platforms:
            continue
        row.status = "sending"
        row.claimed_at = now
        row.claimed_by = worker
        row.attempts += 1
        claimed.append(
            Claimed(
                row.id,
                row.user_id,
                row.kind,
                row.message,
                dict(row.payload or {}),
                target.platform,
                target.dm_chat_id or "",
                row.attempts,
            )
        )
    s.flush()
    return claimed


def _owned(worker: str, notification_id: int):  # type: ignore[no-untyped-def]
    return update(Notification).where(
        Notification.id == notification_id,
        Notification.status == "sending",
        Notification.claimed_by == worker,
    )


def mark_sent(s: Session, notification_id: int, worker: str, now: datetime) -> bool:
    """Record a delivery; False if the claim was lost (another worker retook it)."""
    result = s.execute(
        _owned(worker, notification_id).values(status="sent", sent_at=now, last_error=None)
    )
    return bool(result.rowcount)


def renew(s: Session, notification_id: int, worker: str, now: datetime) -> bool:
    """Re-stamp our claim just before sending; False when it is no longer ours
    (it outlived ``LEASE`` and another worker took it, or it was sent)."""
    result = s.execute(_owned(worker, notification_id).values(claimed_at=now))
    return bool(result.rowcount)


def release(s: Session, notification_id: int, worker: str, due_at: datetime) -> bool:
    """Give back a claimed row that was not tried: pending again from ``due_at``,
    and the attempt its claim counted is taken back."""
    result = s.execute(
        _owned(worker, notification_id).values(
            status="pending", due_at=due_at, attempts=Notification.attempts - 1
        )
    )
    return bool(result.rowcount)


def mark_failed(
    s: Session,
    notification_id: int,
    worker: str,
    now: datetime,
    error: str,
    retry_after: float | None = None,
    delivered: int = 0,
) -> datetime | None:
    """A failed attempt: retry with back-off, or give up after ``MAX_ATTEMPTS``.

    ``delivered`` messages of the push went out before the failure; a retry
    sends only the rest. Returns when the row is due again (None: given up)."""
    row = s.get(Notification, notification_id)
    if row is None or row.status != "sending" or row.claimed_by != worker:
        return None
    row.last_error = error[:500]
    payload = dict(row.payload or {})
    if delivered > int(payload.get(PROGRESS, 0)):
        row.payload = {**payload, PROGRESS: delivered}
    if row.attempts >= MAX_ATTEMPTS:
        row.status = "failed"
        return None
    wait = backoff(row.attempts)
    if retry_after is not None:
        wait = max(wait, timedelta(seconds=retry_after))
    row.status = "pending"
    row.due_at = now + wait
    return row.due_at


def mark_unreachable(s: Session, notification_id: int, worker: str, now: datetime) -> None:
    """The platform said the user blocked us: stop, and stop their identity too."""
    row = s.get(Notification, notification_id)
    if row is None or row.claimed_by != worker:
        return
    row.status = "failed"
    row.last_error = "unreachable: the user blocked the bot or closed their messages"
