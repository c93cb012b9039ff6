"""Reminders across time zones and daylight-saving changes: once per local day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import time_machine
from sqlalchemy import select

from bot.scheduler import make_digests, make_reminders
from core.chat.dispatcher import App
from core.db.models import ActivityDay, Notification, StudentLink, User


def _student(app: App, tz: str, **kw: object) -> str:
    with app.db.uow() as s:
        user = User(
            display_name="stu",
            timezone=tz,
            streak=kw.pop("streak", 4),
            last_active_date=kw.pop("last_active_date", None),
            **kw,
        )
        s.add(user)
        s.flush()
        return user.user_id


def _keys(app: App, kind: str) -> list[str]:
    with app.db.uow() as s:
        return sorted(
            k or ""
            for k in s.scalars(select(Notification.dedupe_key).where(Notification.kind == kind))
        )


def _at(app: App, moment: datetime) -> int:
    """Run the reminder job at ``moment`` with the clock frozen there."""
    with time_machine.travel(moment, tick=False):
        app.clock = lambda: datetime.now(UTC)
        return make_reminders(app)


def test_utc_plus_9_reminder_once_at_local_time(app: App) -> None:
    uid = _student(app, "Asia/Tokyo", reminder_time=time(19, 0), last_active_date=date(2026, 11, 1))
    assert _at(app, datetime(2026, 11, 2, 9, 59, tzinfo=UTC)) == 0  # 18:59 in Tokyo
    assert _at(app, datetime(2026, 11, 2, 10, 0, tzinfo=UTC)) == 1
    assert _at(app, datetime(2026, 11, 2, 14, 59, tzinfo=UTC)) == 0  # 23:59 the same local day
    assert _at(app, datetime(2026, 11, 3, 10, 5, tzinfo=UTC)) == 1  # the next local day
    assert _keys(app, "streak") == [f"streak:{uid}:2026-11-02", f"streak:{uid}:2026-11-03"]


def test_no_reminder_when_already_practised_today(app: App) -> None:
    uid = _student(app, "America/Denver", reminder_time=time(18, 0))
    with app.db.uow() as s:
        s.add(ActivityDay(user_id=uid, local_date=date(2026, 11, 2), questions=5, seconds=300))
    # 2026-11-03 01:30 UTC is 18:30 on 2026-11-02 in Denver (UTC−7).
    assert _at(app, datetime(2026, 11, 3, 1, 30, tzinfo=UTC)) == 0
    assert _keys(app, "streak") == []


def test_utc_minus_7_across_midnight(app: App) -> None:
    uid = _student(
        app, "America/Phoenix", reminder_time=time(21, 0), last_active_date=date(2026, 11, 2)
    )
    # 06:59 UTC is 23:59 in Phoenix on 2 Nov; 07:00 UTC is already 3 Nov, 00:00, before 21:00.
    assert _at(app, datetime(2026, 11, 3, 6, 59, tzinfo=UTC)) == 1
    assert _at(app, datetime(2026, 11, 3, 7, 0, tzinfo=UTC)) == 0
    assert _keys(app, "streak") == [f"streak:{uid}:2026-11-02"]


def test_daylight_saving_changes_keep_one_per_local_day(app: App) -> None:
    uid = _student(
        app, "America/Los_Angeles", reminder_time=time(19, 0), last_active_date=date(2026, 10, 31)
    )
    # 1 Nov 2026: clocks fall back. 19:00 PST is 03:00 UTC on 2 Nov (not 02:00 as in PDT).
    assert _at(app, datetime(2026, 11, 2, 2, 30, tzinfo=UTC)) == 0
    assert _at(app, datetime(2026, 11, 2, 3, 0, tzinfo=UTC)) == 1
    # 14 Mar 2027: clocks spring forward; 19:00 PDT is 02:00 UTC on 15 Mar.
    with app.db.uow() as s:
        s.get(User, uid).last_active_date = date(2027, 3, 13)  # type: ignore[union-attr]
    assert _at(app, datetime(2027, 3, 15, 1, 59, tzinfo=UTC)) == 0
    assert _at(app, datetime(2027, 3, 15, 2, 0, tzinfo=UTC)) == 1
    assert _at(app, datetime(2027, 3, 15, 2, 0, tzinfo=UTC)) == 0  # the job ran twice
    assert _keys(app, "streak") == [f"streak:{uid}:2026-11-01", f"streak:{uid}:2027-03-14"]


def test_countdown_and_parent_digest_once(app: App) -> None:
    uid = _student(
        app, "Europe/Paris", test_date=date(2026, 11, 9), last_active_date=date(2026, 11, 2)
    )
    with app.db.uow() as s:
        parent = User(display_name="mum", timezone="Europe/Paris", role="parent")
        s.add(parent)
        s.flush()
        s.add(StudentLink(student_id=uid, linked_id=parent.user_id, role="parent"))
    assert _at(app, datetime(2026, 11, 2, 8, 30, tzinfo=UTC)) >= 1  # 09:30 Paris, 7 days to go
    assert _keys(app, "countdown") == [f"countdown:{uid}:2026-11-09:7"]
    with time_machine.travel(datetime(2026, 11, 8, 16, 59, tzinfo=UTC), tick=False):
        assert make_digests(app) == 0  # Sunday 17:59 in Paris
    with time_machine.travel(datetime(2026, 11, 8, 17, 0, tzinfo=UTC), tick=False):
        assert make_digests(app) == 1
        assert make_digests(app) == 0
    (key,) = _keys(app, "digest")
    assert key.endswith("2026-W45")
