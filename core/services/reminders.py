"""Reminders, countdowns, parent digests and alerts: rows in the outbox.

Every function here is safe to run any number of times, in any number of
processes: each message has a dedupe key of (kind, user, local date) or
similar, and the outbox's unique constraint keeps one row per key.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.models import ActivityDay, StudentLink, StudyPlan, StudyPlanAction, User
from core.services import outbox
from core.services.events import TestFinished, subscribe

DEFAULT_STREAK_REMINDER = time(19, 0)
PLAN_REMINDER = time(8, 0)
COUNTDOWN_REMINDER = time(9, 0)
COUNTDOWN_DAYS = (30, 14, 7, 3, 1)
DIGEST_WEEKDAY, DIGEST_TIME = 6, time(18, 0)  # Sunday evening, the parent's time


def _local(user: User, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(user.timezone))


def _practised(s: Session, user_id: str, day: object) -> bool:
    return (
        s.scalar(
            select(ActivityDay.id).where(
                ActivityDay.user_id == user_id,
                ActivityDay.local_date == day,
                ActivityDay.questions > 0,
            )
        )
        is not None
    )


def streak_reminders(s: Session, now: datetime) -> int:
    """Remind students who have a streak to keep (or set a reminder time) and
    have not practised today, once their local reminder time has passed."""
    made = 0
    users = s.scalars(select(User).where((User.reminder_time.is_not(None)) | (User.streak > 0)))
    for user in users:
        local = _local(user, now)
        at = user.reminder_time or DEFAULT_STREAK_REMINDER
        if local.time() < at or _practised(s, user.user_id, local.date()):
            continue
        if (
            user.last_active_date is not None
            and user.last_active_date < local.date() - timedelta(days=1)
            and user.reminder_time is None
        ):
            continue  # the streak is already gone; don't nag about it
        day = local.date().isoformat()
        text = (
            f"Your {user.streak}-day streak ends at midnight. Ten minutes of /practice keeps it going."
            if user.streak
            else "Time for today's practice: /today shows your plan."
        )
        made += outbox.enqueue(
            s, user.user_id, "streak", text, now, dedupe_key=f"streak:{user.user_id}:{day}"
        )
        if user.streak >= 3:
            for link in s.scalars(
                select(StudentLink).where(
                    StudentLink.student_id == user.user_id, StudentLink.role == "parent"
                )
            ):
                if "alert_streak" in (link.alerts or []):
                    outbox.enqueue(
                        s,
                        link.linked_id,
                        "alert_streak",
                        f"{user.display_name or 'Your student'}'s {user.streak}-day streak is at risk today.",
                        now,
                        dedupe_key=f"alert_streak:{link.linked_id}:{user.user_id}:{day}",
                    )
    return made


def plan_reminders(s: Session, now: datetime) -> int:
    """Tell students in the morning what their plan has for today."""
    made = 0
    rows = s.execute(
        select(User, StudyPlanAction)
        .join(StudyPlan, StudyPlan.user_id == User.user_id)
        .join(StudyPlanAction, StudyPlanAction.plan_id == StudyPlan.plan_id)
        .where(
            StudyPlan.active.is_(True),
            StudyPlanAction.completed.is_(None),
            StudyPlanAction.due_date >= now - timedelta(days=1),
            StudyPlanAction.due_date <= now + timedelta(days=2),
        )
    ).all()
    today: dict[str, list[str]] = {}
    users: dict[str, User] = {}
    for user, action in rows:
        local = _local(user, now)
        if (
            action.due_date.astimezone(ZoneInfo(user.timezone)).date() == local.date()
            and local.time() >= PLAN_REMINDER
        ):
            today.setdefault(user.user_id, []).append(action.task)
            users[user.user_id] = user
    for user_id, tasks in today.items():
        day = _local(users[user_id], now).date().isoformat()
        made += outbox.enqueue(
            s,
            user_id,
            "plan",
            "Today's plan:\n" + "\n".join(f"• {t}" for t in tasks) + "\n/today starts it.",
            now,
            dedupe_key=f"plan:{user_id}:{day}",
        )
    return made


def countdown_reminders(s: Session, now: datetime) -> int:
    """Milestones before the test date: 30, 14, 7, 3 and 1 day(s) to go."""
    made = 0
    for user in s.scalars(select(User).where(User.test_date.is_not(None))):
        local = _local(user, now)
        assert user.test_date is not None
        days = (user.test_date - local.date()).days
        if days in COUNTDOWN_DAYS and local.time() >= COUNTDOWN_REMINDER:
            text = f"{days} day{'s' if days > 1 else ''} to your SAT. " + (
                "Tomorrow: rest, pack your device, and sleep early."
                if days == 1
                else "/plan shows what's left."
            )
            made += outbox.enqueue(
                s,
                user.user_id,
                "countdown",
                text,
                now,
                dedupe_key=f"countdown:{user.user_id}:{user.test_date}:{days}",
            )
    return made


def weekly_digests(s: Session, now: datetime) -> int:
    """Each parent's Sunday-evening digest for each linked student, once a week."""
    from core.services.reports_family import weekly_digest

    made = 0
    rows = s.execute(
        select(StudentLink, User)
        .join(User, User.user_id == StudentLink.linked_id)
        .where(StudentLink.role == "parent")
    ).all()
    for link, parent in rows:
        local = _local(parent, now)
        if local.weekday() != DIGEST_WEEKDAY or local.time() < DIGEST_TIME:
            continue
        student = s.get(User, link.student_id)
        assert student is not None
        year, week, _ = local.date().isocalendar()
        made += outbox.enqueue(
            s,
            parent.user_id,
            "digest",
            weekly_digest(s, student, now),
            now,
            dedupe_key=f"digest:{parent.user_id}:{student.user_id}:{year}-W{week:02d}",
            payload={"chart": "progress", "student_id": student.user_id},
        )
    return made


@subscribe(TestFinished)
def alert_parents_on_test(s: Session, event: TestFinished, now: datetime) -> list[str]:
    """Parents who opted in hear when their student finishes a test."""
    if event.early:
        return []
    student = s.get(User, event.user_id)
    assert student is not None
    scores = ", ".join(f"{'R&W' if k == 'rw' else 'Math'} {v}" for k, v in event.sections.items())
    total = f" Total {event.total}." if event.total else ""
    for link in s.scalars(
        select(StudentLink).where(
            StudentLink.student_id == event.user_id, StudentLink.role == "parent"
        )
    ):
        if "alert_test" in (link.alerts or []):
            outbox.enqueue(
                s,
                link.linked_id,
                "alert_test",
                f"{student.display_name or 'Your student'} finished a practice test: {scores}.{total}",
                now,
                dedupe_key=f"alert_test:{event.session_id}:{link.linked_id}",
                payload={"chart": "progress", "student_id": event.user_id},
            )
    return []
