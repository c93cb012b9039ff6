"""Daily streaks in the student's own time zone, with streak freezes.

The rule, as a pure function over local dates (:func:`advance`):

- A local day counts when the student did real work that day: at least one
  answered question (a skip is not work). A day covered by a streak freeze
  keeps the streak alive but does not add to it.
- Coming back the day after the last counted day extends the streak by one.
- Missing exactly one day uses a freeze automatically when one is held: the
  freeze covers the missed day (an ``ActivityDay`` with ``freeze_used``) and
  the streak goes on. Two or more missed days, or one without a freeze, start
  a new streak at 1 (freezes held are kept for the next run).
- A freeze is earned for every completed 7-day run (streak 7, 14, 21, …);
  at most :data:`MAX_FREEZES` (2) are held, as the ``users`` CHECK demands.

The database side (:func:`count_day`) is the one way the streak changes: it
rebuilds the state before today from ``activity_days`` (days with
``questions > 0`` or a freeze), applies :func:`advance`, and caches the result
in ``users.streak``, ``best_streak``, ``streak_freezes`` and
``last_active_date``. Rebuilding from rows makes it idempotent: it runs on
every answered question and changes something only on the day's first.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.db.models import ActivityDay, User
from core.services.points import award
from core.services.profile import local_today

MAX_FREEZES = 2
RUN_FOR_FREEZE = 7
RUN_BONUS_POINTS = 20  # with each earned freeze, once per completed 7-day run
LOOKBACK_DAYS = 400  # the longest run rebuilt from rows (older days are not read)


@dataclass(frozen=True)
class StreakState:
    """A student's streak as of their last counted (or frozen) day."""

    streak: int = 0
    best: int = 0
    freezes: int = 0
    last_day: date | None = None  # last day that counted or was covered by a freeze


@dataclass(frozen=True)
class StreakStep:
    """What one new day of work did: the new state, a frozen day, a freeze earned."""

    state: StreakState
    frozen_day: date | None = None
    earned_freeze: bool = False
    run_completed: bool = False  # a 7-day run completed (count_day: for the first time today)


def advance(state: StreakState, today: date) -> StreakStep:
    """Apply a day of real work on ``today`` to ``state`` (pure; same day twice: no change)."""
    last = state.last_day
    if last is not None and today <= last:
        return StreakStep(state)
    frozen: date | None = None
    freezes = state.freezes
    if last is None:
        streak = 1
    else:
        gap = (today - last).days
        if gap == 1:
            streak = state.streak + 1
        elif gap == 2 and freezes > 0:
            freezes -= 1
            frozen = last + timedelta(days=1)
            streak = state.streak + 1
        else:
            streak = 1
    completed = streak % RUN_FOR_FREEZE == 0
    earned = completed and freezes < MAX_FREEZES
    if earned:
        freezes += 1
    new = StreakState(streak, max(state.best, streak), freezes, today)
    return StreakStep(new, frozen, earned, completed)


def current(state: StreakState, today: date) -> int:
    """The streak as it stands on ``today`` (0 when it is already broken)."""
    if state.last_day is None:
        return 0
    gap = (today - state.last_day).days
    if gap <= 1 or (gap == 2 and state.freezes > 0):
        return state.streak
    return 0


def status_line(state: StreakState, today: date, done_today: bool) -> str:
    """Today's status in one sentence."""
    if done_today:
        return "✅ Today counts: you've practised."
    if state.last_day is None:
        return "Answer one question today to start a streak."
    gap = (today - state.last_day).days
    if gap <= 1:
        return f"⚠️ Not yet today: answer a question before midnight to make it {state.streak + 1}."
    if gap == 2 and state.freezes > 0:
        return (
            "🧊 You missed yesterday. Practise today and a streak freeze covers it, "
            "so your streak goes on."
        )
    return "Your last streak ended. Answer a question today to start a new one."


# --------------------------------------------------------------------------
# The database side
# --------------------------------------------------------------------------


def _counts(row: ActivityDay) -> bool:
    return row.questions > 0 or row.freeze_used


def state_before(s: Session, user: User, today: date) -> StreakState:
    """The streak state as of the last counted or frozen day before ``today``."""
    rows = list(
        s.scalars(
            select(ActivityDay)
            .where(
                ActivityDay.user_id == user.user_id,
                ActivityDay.local_date < today,
                ActivityDay.local_date >= today - timedelta(days=LOOKBACK_DAYS),
                or_(ActivityDay.questions > 0, ActivityDay.freeze_used.is_(True)),
            )
            .order_by(ActivityDay.local_date.desc())
        )
    )
    if not rows:
        return StreakState(0, user.best_streak or 0, user.streak_freezes or 0, None)
    streak = 0
    expected = rows[0].local_date
    for row in rows:
        if row.local_date != expected:
            break
        if row.questions > 0:
            streak += 1
        expected = row.local_date - timedelta(days=1)
    return StreakState(streak, user.best_streak or 0, user.streak_freezes or 0, rows[0].local_date)


def state_now(s: Session, user: User, today: date) -> tuple[StreakState, bool]:
    """The state including today, and whether today already counts."""
    before = state_before(s, user, today)
    row = s.scalar(
        select(ActivityDay).where(
            ActivityDay.user_id == user.user_id, ActivityDay.local_date == today
        )
    )
    if row is not None and row.questions > 0:
        step = advance(before, today)
        # Today's freeze (if any) was already taken when the day first counted.
        return replace(step.state, freezes=user.streak_freezes or 0), True
    return before, False


def count_day(s: Session, user: User, now: datetime) -> StreakStep:
    """Record that ``user`` answered a question at ``now``: update the streak once a day.

    Safe to call on every answer: the state before today is rebuilt from
    ``activity_days`` each time, the freeze day is written once (unique per
    user and date), and the run bonus (with its freeze) is a ledger entry
    whose reference makes it happen once.
    """
    today = local_today(user.timezone, now)
    if user.last_active_date == today:
        # Today already counted (this runs on every answer): nothing to change.
        state = StreakState(
            user.streak or 0, user.best_streak or 0, user.streak_freezes or 0, today
        )
        return StreakStep(state)
    before = state_before(s, user, today)
    step = advance(before, today)
    row = s.scalar(
        select(ActivityDay)
        .where(ActivityDay.user_id == user.user_id, ActivityDay.local_date == today)
        # record_activity counts with a bulk upsert, which loaded rows do not see.
        .execution_options(populate_existing=True)
    )
    if row is None:
        row = ActivityDay(user_id=user.user_id, local_date=today, questions=1, seconds=0)
        s.add(row)
    elif row.questions <= 0:
        row.questions = 1
    freezes = before.freezes
    if step.frozen_day is not None:
        missed = s.scalar(
            select(ActivityDay).where(
                ActivityDay.user_id == user.user_id, ActivityDay.local_date == step.frozen_day
            )
        )
        if missed is None:
            s.add(
                ActivityDay(
                    user_id=user.user_id,
                    local_date=step.frozen_day,
                    questions=0,
                    seconds=0,
                    freeze_used=True,
                )
            )
        else:
            missed.freeze_used = True
        freezes -= 1
    earned = fresh_run = False
    if step.run_completed:
        # The ledger reference makes the bonus, and the freeze with it, once per run day.
        fresh = award(s, user, RUN_BONUS_POINTS, "streak", f"streak:{today.isoformat()}", now)
        fresh_run = fresh > 0
        earned = fresh_run and freezes < MAX_FREEZES
        if earned:
            freezes += 1
    user.streak = step.state.streak
    user.best_streak = max(user.best_streak or 0, step.state.streak)
    user.streak_freezes = min(MAX_FREEZES, max(0, freezes))
    user.last_active_date = today
    s.flush()
    return StreakStep(
        replace(step.state, freezes=user.streak_freezes), step.frozen_day, earned, fresh_run
    )
