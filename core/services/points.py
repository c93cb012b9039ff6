"""Points and daily activity: the ledger that makes each award happen once."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.models import ActivityDay, PointsEntry, User
from core.services.profile import local_today

POINTS_BY_DIFFICULTY = {"easy": 5, "medium": 10, "hard": 15}


def week_of(day: date) -> date:
    """The Monday of ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def award(s: Session, user: User, points: int, reason: str, ref: str, now: datetime) -> int:
    """Add ``points`` once per (user, ref); returns what was actually awarded."""
    if points <= 0:
        return 0
    exists = s.scalar(
        select(PointsEntry.id).where(PointsEntry.user_id == user.user_id, PointsEntry.ref == ref)
    )
    if exists is not None:
        return 0
    today = local_today(user.timezone, now)
    s.add(
        PointsEntry(
            user_id=user.user_id,
            points=points,
            reason=reason,
            ref=ref,
            local_date=today,
            week=week_of(now.date()),
            created_at=now,
        )
    )
    user.points = (user.points or 0) + points
    return points


def record_activity(
    s: Session, user: User, now: datetime, seconds: int = 0, questions: int = 1
) -> ActivityDay:
    """Count work on the user's local day (the streak itself is decided by
    :func:`core.services.streaks.count_day`, from these rows)."""
    today = local_today(user.timezone, now)
    day = s.scalar(
        select(ActivityDay).where(
            ActivityDay.user_id == user.user_id, ActivityDay.local_date == today
        )
    )
    if day is None:
        day = ActivityDay(user_id=user.user_id, local_date=today, questions=0, seconds=0)
        s.add(day)
    day.questions += questions
    day.seconds += max(0, min(seconds, 3600))
    return day
