"""Points and daily activity: the ledger that makes each award happen once."""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, func, insert, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql import Executable

from core.db.models import ActivityDay, PointsEntry, User
from core.db.plain import conflict_insert
from core.services.profile import local_today

POINTS_BY_DIFFICULTY = {"easy": 5, "medium": 10, "hard": 15}


def week_of(day: date) -> date:
    """The Monday of ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def award(
    s: Session,
    user: User,
    points: int,
    reason: str,
    ref: str,
    now: datetime,
    fresh: bool = False,
) -> int:
    """Add ``points`` once per (user, ref); returns what was actually awarded.

    ``fresh``: the caller knows ``ref`` is new (it names a row this
    transaction created), so the check is left to the unique (user, ref).
    """
    if points <= 0:
        return 0
    if not fresh:
        exists = s.scalar(
            select(PointsEntry.id).where(
                PointsEntry.user_id == user.user_id, PointsEntry.ref == ref
            )
        )
        if exists is not None:
            return 0
    state = inspect(user)
    if state.pending or "points" in state.committed_state:
        s.flush()  # the row, or a change to its points, must reach the database first
    conn = s.connection()
    conn.execute(
        _INSERT_ENTRY,
        {
            "user_id": user.user_id,
            "points": points,
            "reason": reason,
            "ref": ref,
            "local_date": local_today(user.timezone, now),
            "week": week_of(now.date()),
            "created_at": now,
        },
    )
    # Added in the database (two processes awarding at once both count), and
    # to the loaded row without making it dirty (no ORM flush for it).
    conn.execute(_ADD_POINTS, {"uid": user.user_id, "points": points})
    set_committed_value(user, "points", (user.points or 0) + points)
    return points


# Plain statements on the session's connection, built once: an award is part
# of most answers, and the ORM's unit of work would cost more than the SQL.
_INSERT_ENTRY = insert(PointsEntry.__table__)
_ADD_POINTS = (
    update(User.__table__)
    .where(User.__table__.c.user_id == bindparam("uid"))
    .values(points=func.coalesce(User.__table__.c.points, 0) + bindparam("points"))
)


def record_activity(
    s: Session, user: User, now: datetime, seconds: int = 0, questions: int = 1
) -> None:
    """Count work on the user's local day (the streak itself is decided by
    :func:`core.services.streaks.count_day`, from these rows).

    One statement: an insert that adds to the day's row when it exists
    (unique per user and day), so two processes counting at once both count.
    """
    today = local_today(user.timezone, now)
    seconds = max(0, min(seconds, 3600))
    stmt = _upsert_activity(s.get_bind().dialect.name)
    if stmt is None:  # pragma: no cover - the product runs on PostgreSQL and SQLite
        day = s.scalar(
            select(ActivityDay).where(
                ActivityDay.user_id == user.user_id, ActivityDay.local_date == today
            )
        )
        if day is None:
            day = ActivityDay(user_id=user.user_id, local_date=today, questions=0, seconds=0)
            s.add(day)
        day.questions += questions
        day.seconds += seconds
        return
    # On the session's connection, past the ORM's bulk-DML layer (a plain
    # statement; nothing loaded is affected: count_day re-reads the row).
    s.flush()
    s.connection().execute(
        stmt,
        {"user_id": user.user_id, "day": today, "questions": questions, "seconds": seconds},
    )


@functools.cache
def _upsert_activity(dialect: str) -> Executable | None:
    """The day's insert-or-add statement for ``dialect`` (built once: it runs on every answer)."""
    insert = conflict_insert(dialect)
    if insert is None:
        return None
    stmt = insert(ActivityDay).values(
        user_id=bindparam("user_id"),
        local_date=bindparam("day"),
        questions=bindparam("questions"),
        seconds=bindparam("seconds"),
        freeze_used=False,
    )
    return stmt.on_conflict_do_update(
        index_elements=[ActivityDay.user_id, ActivityDay.local_date],
        set_={
            "questions": ActivityDay.questions + stmt.excluded.questions,
            "seconds": ActivityDay.seconds + stmt.excluded.seconds,
        },
    )
