"""Streaks: the pure rule over dates, and the database side in users' own time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from core.db.engine import Database
from core.db.models import ActivityDay, PointsEntry, User
from core.services import events
from core.services.points import record_activity
from core.services.streaks import MAX_FREEZES, StreakState, advance, current, state_now

D0 = date(2026, 11, 2)


def _run(days: list[date], state: StreakState | None = None) -> tuple[StreakState, list[date]]:
    state = state or StreakState()
    frozen = []
    for day in days:
        step = advance(state, day)
        state = step.state
        if step.frozen_day:
            frozen.append(step.frozen_day)
    return state, frozen


def _days(*offsets: int) -> list[date]:
    return [D0 + timedelta(days=i) for i in offsets]


# --- the pure rule -----------------------------------------------------------


def test_consecutive_days_extend_and_same_day_counts_once() -> None:
    state, frozen = _run(_days(0, 0, 1, 2, 2))
    assert state.streak == 3 and state.best == 3 and not frozen


def test_seven_day_run_earns_a_freeze() -> None:
    state, _ = _run(_days(*range(6)))
    assert state.freezes == 0
    step = advance(state, D0 + timedelta(days=6))
    assert step.state.streak == 7 and step.earned_freeze and step.state.freezes == 1


def test_freeze_used_for_exactly_one_missed_day() -> None:
    state, _ = _run(_days(*range(7)))  # one freeze earned
    state, frozen = _run(_days(8), state)  # day 7 missed
    assert frozen == [D0 + timedelta(days=7)]
    assert state.streak == 8 and state.freezes == 0


def test_one_missed_day_without_a_freeze_resets() -> None:
    state, frozen = _run(_days(0, 1, 3))
    assert state.streak == 1 and not frozen and state.best == 2


def test_two_missed_days_reset_even_with_freezes_and_keep_them() -> None:
    state, _ = _run(_days(*range(14)))
    assert state.freezes == 2
    state, frozen = _run(_days(16), state)
    assert state.streak == 1 and not frozen and state.freezes == 2 and state.best == 14


def test_freezes_are_capped_at_two() -> None:
    state, _ = _run(_days(*range(28)))
    assert state.streak == 28 and state.freezes == MAX_FREEZES


def test_current_streak_for_display() -> None:
    state = StreakState(5, 5, 0, D0)
    assert current(state, D0) == 5 and current(state, D0 + timedelta(days=1)) == 5
    assert current(state, D0 + timedelta(days=2)) == 0
    assert current(StreakState(5, 5, 1, D0), D0 + timedelta(days=2)) == 5


# --- the database side ---------------------------------------------------------


def _user(db: Database, tz: str) -> str:
    with db.uow() as s:
        user = User(display_name=tz, timezone=tz)
        s.add(user)
        s.flush()
        return user.user_id


def _answer(db: Database, user_id: str, at: datetime, skipped: bool = False) -> list[str]:
    """What the practice handler does on an answer: count activity, publish the event."""
    with db.uow() as s:
        user = s.get(User, user_id)
        assert user is not None
        record_activity(s, user, at, 10, questions=0 if skipped else 1)
        return events.publish(
            s, events.AnswerRecorded(user_id, "none", "practice", 0, "none", True, skipped), at
        )


def _state(db: Database, user_id: str) -> tuple[int, int, int]:
    with db.uow() as s:
        user = s.get(User, user_id)
        assert user is not None
        return user.streak, user.best_streak, user.streak_freezes


def test_local_midnight_in_utc_plus_9_and_utc_minus_7(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    tokyo, minus7 = _user(db, "Asia/Tokyo"), _user(db, "Etc/GMT+7")
    clock.now = datetime(2026, 11, 2, 14, 50, tzinfo=UTC)  # 23:50 in Tokyo, 07:50 at UTC−7
    for uid in (tokyo, minus7):
        _answer(db, uid, clock.now)
    clock.advance(minutes=20)  # 00:10 in Tokyo (a new day), 08:10 at UTC−7 (the same day)
    for uid in (tokyo, minus7):
        _answer(db, uid, clock.now)
    assert _state(db, tokyo)[0] == 2
    assert _state(db, minus7)[0] == 1
    clock.now = datetime(2026, 11, 3, 6, 50, tzinfo=UTC)  # 23:50 on Nov 2 at UTC−7
    _answer(db, minus7, clock.now)
    assert _state(db, minus7)[0] == 1
    clock.advance(minutes=20)  # 00:10 on Nov 3 at UTC−7
    _answer(db, minus7, clock.now)
    assert _state(db, minus7)[0] == 2


def test_daylight_saving_changes_in_los_angeles(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    la = _user(db, "America/Los_Angeles")
    # Autumn: clocks go back at 02:00 on 2026-11-01 (PDT, UTC−7 → PST, UTC−8).
    moments = [
        (datetime(2026, 11, 1, 6, 30, tzinfo=UTC), 1),  # Oct 31, 23:30 PDT
        (datetime(2026, 11, 1, 7, 30, tzinfo=UTC), 2),  # Nov 1, 00:30 PDT
        (datetime(2026, 11, 2, 7, 30, tzinfo=UTC), 2),  # Nov 1, 23:30 PST: still Nov 1
        (datetime(2026, 11, 2, 8, 30, tzinfo=UTC), 3),  # Nov 2, 00:30 PST
    ]
    for at, expected in moments:
        clock.now = at
        _answer(db, la, clock.now)
        assert _state(db, la)[0] == expected, at
    spring = _user(db, "America/Los_Angeles")
    # Spring: clocks go forward at 02:00 on 2027-03-14 (PST, UTC−8 → PDT, UTC−7).
    moments = [
        (datetime(2027, 3, 14, 7, 30, tzinfo=UTC), 1),  # Mar 13, 23:30 PST
        (datetime(2027, 3, 14, 8, 30, tzinfo=UTC), 2),  # Mar 14, 00:30 PST
        (datetime(2027, 3, 15, 6, 30, tzinfo=UTC), 2),  # Mar 14, 23:30 PDT: still Mar 14
        (datetime(2027, 3, 15, 7, 30, tzinfo=UTC), 3),  # Mar 15, 00:30 PDT
    ]
    for at, expected in moments:
        clock.now = at
        _answer(db, spring, clock.now)
        assert _state(db, spring)[0] == expected, at


def test_freeze_used_once_when_one_day_is_missed_not_when_two(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    uid = _user(db, "Asia/Tokyo")
    for _ in range(7):
        _answer(db, uid, clock.now)
        _answer(db, uid, clock.now + timedelta(minutes=5))  # a second answer changes nothing
        clock.advance(days=1)
    assert _state(db, uid) == (7, 7, 1)
    clock.advance(days=1)  # one day missed
    lines = _answer(db, uid, clock.now)
    assert any("streak freeze covered" in line for line in lines)
    assert _answer(db, uid, clock.now + timedelta(minutes=1)) == []  # announced once
    assert _state(db, uid) == (8, 8, 0)
    with db.uow() as s:
        frozen = s.scalars(select(ActivityDay).where(ActivityDay.freeze_used.is_(True))).all()
        assert len(frozen) == 1
        missed = (clock.now - timedelta(days=1)).astimezone(ZoneInfo("Asia/Tokyo")).date()
        assert frozen[0].local_date == missed
    clock.advance(days=3)  # two days missed, no freeze left
    _answer(db, uid, clock.now)
    assert _state(db, uid) == (1, 8, 0)
    with db.uow() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(ActivityDay)
                .where(ActivityDay.freeze_used.is_(True))
            )
            == 1
        )


def test_freezes_capped_at_two_and_run_bonus_once_per_run(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    uid = _user(db, "UTC")
    for _ in range(21):
        _answer(db, uid, clock.now)
        _answer(db, uid, clock.now + timedelta(hours=1))
        clock.advance(days=1)
    assert _state(db, uid) == (21, 21, 2)
    with db.uow() as s:
        refs = s.scalars(select(PointsEntry.ref).where(PointsEntry.reason == "streak")).all()
    assert len(refs) == 3  # days 7, 14 and 21, each once


def test_a_skip_only_day_does_not_count(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    uid = _user(db, "UTC")
    _answer(db, uid, clock.now)
    clock.advance(days=1)
    _answer(db, uid, clock.now, skipped=True)  # a skip is not work
    with db.uow() as s:
        user = s.get(User, uid)
        assert user is not None
        today = clock.now.date()
        state, done = state_now(s, user, today)
        assert not done and current(state, today) == 1
    clock.advance(days=1)
    _answer(db, uid, clock.now)  # the skip-only day was missed: no freeze, a new streak
    assert _state(db, uid)[0] == 1
