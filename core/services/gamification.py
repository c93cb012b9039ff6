"""Points rules and the event subscribers that drive streaks, plans, badges and leagues.

Points (all through :func:`core.services.points.award`, whose ledger
reference makes each award happen once):

- a correct answer: :data:`~core.services.points.POINTS_BY_DIFFICULTY`
  (easy 5, medium 10, hard 15), only in practice or a worksheet, and only
  under the anti-farming rule :func:`answer_points`;
- a completed plan action: its ``points`` (ref ``action:<id>``);
- a full or section test: ``TEST_POINTS`` of the testing handler, only when
  finished normally and at least half of its questions were answered
  (:func:`points_for_test`);
- a completed 7-day streak run: a bonus with a streak freeze (streaks.py).

No farming (:func:`answer_points`): nothing for an item the student answered
before (a review re-answer earns nothing), nothing in reviews, diagnostics or
tests, and items that are too easy for the student — P(correct) >
:data:`TOO_EASY_P` (0.9) at their section ability — earn points only for the
first :data:`TOO_EASY_DAILY_CAP` (20) per local day. A skip is never correct,
so it earns nothing anywhere.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.models import PracticeSession, Question, Response, User
from core.irt.model import probability
from core.services import badges, leagues, plans, streaks
from core.services.events import AnswerRecorded, SessionFinished, TestFinished, subscribe
from core.services.points import POINTS_BY_DIFFICULTY
from core.services.practice import latest_proficiency
from core.services.profile import local_today
from core.services.questions import seen_question_ids

TOO_EASY_P = 0.9
TOO_EASY_DAILY_CAP = 20
ANSWER_POINT_KINDS = ("practice", "worksheet")
TEST_MIN_ANSWERED = 0.5


def answer_points(
    correct: bool,
    difficulty: str,
    session_kind: str,
    answered_before: bool,
    p_correct: float,
    too_easy_today: int,
) -> int:
    """Points for one answer under the anti-farming rules (pure).

    ``too_easy_today`` counts the too-easy items that already earned points
    today (local day), not counting this one.
    """
    if not correct or session_kind not in ANSWER_POINT_KINDS or answered_before:
        return 0
    if p_correct > TOO_EASY_P and too_easy_today >= TOO_EASY_DAILY_CAP:
        return 0
    return POINTS_BY_DIFFICULTY.get(difficulty, 0)


def points_for_test(full_points: int, answered: int, questions: int, early: bool) -> int:
    """A test's points: all of them when finished with at least half answered, else none."""
    if early or questions <= 0 or answered < TEST_MIN_ANSWERED * questions:
        return 0
    return full_points


def _theta(s: Session, user_id: str, section: str) -> float:
    row = latest_proficiency(s, user_id, "section", section)
    return 0.0 if row is None else row.theta


def _p(theta: float, q: Question) -> float:
    return float(probability(theta, [q.a_param], [q.b_param], [q.c_param])[0])


def _local_day_bounds(user: User, now: datetime) -> tuple[datetime, datetime]:
    tz = ZoneInfo(user.timezone)
    day = local_today(user.timezone, now)
    start = datetime.combine(day, time(0, 0), tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0, 0), tz).astimezone(UTC)
    return start, end


def points_for_answer(
    s: Session, user: User, response: Response, q: Question, session_kind: str, now: datetime
) -> int:
    """:func:`answer_points` for a stored response, its inputs read from the database."""
    if not response.correct:
        return 0
    return points_before_storing(s, user, q, session_kind, now, exclude=response.id)


def points_before_storing(
    s: Session,
    user: User,
    q: Question,
    session_kind: str,
    now: datetime,
    exclude: int | None = None,
) -> int:
    """The points a right answer to ``q`` earns, read before its response is stored.

    The student's level is their newest section estimate (θ = 0 before any);
    today's too-easy count is judged at that same θ. ``exclude``: the
    response being judged, when it is stored already.
    """
    mine = [Response.user_id == user.user_id]
    if exclude is None:
        # The set the next question's selection reads anyway (one query per answer).
        answered_before = q.question_id in seen_question_ids(s, user.user_id)
    else:
        mine.append(Response.id != exclude)
        answered_before = (
            s.scalar(
                select(Response.id)
                .where(*mine, Response.question_id == q.question_id, Response.timestamp <= now)
                .limit(1)
            )
            is not None
        )
    theta = _theta(s, user.user_id, q.section)
    p = _p(theta, q)
    if p <= TOO_EASY_P:
        # The daily cap only bites on too-easy items: no need to count them.
        return answer_points(True, q.difficulty, session_kind, answered_before, p, 0)
    start, end = _local_day_bounds(user, now)
    earlier = s.execute(
        select(Question.a_param, Question.b_param, Question.c_param)
        .join(Response, Response.question_id == Question.question_id)
        .where(
            *mine,
            Response.timestamp >= start,
            Response.timestamp < end,
            Response.points_awarded > 0,
        )
    ).all()
    too_easy = 0
    if earlier:
        a, b, c = (np.array(col, dtype=float) for col in zip(*earlier, strict=True))
        too_easy = int(np.sum(probability(theta, a, b, c) > TOO_EASY_P))
    return answer_points(True, q.difficulty, session_kind, answered_before, p, too_easy)


# --------------------------------------------------------------------------
# Subscribers
# --------------------------------------------------------------------------


_IN_LEAGUE: set[tuple[str, object]] = set()
"""(user, week) places this process has seen stored: a member stays one all week,
so the answer after the first needs no query. Only committed rows are added
(a place found, not one just made), so a rolled-back join is never remembered."""


def _join_league(s: Session, user: User, now: datetime) -> None:
    if not user.points:
        return  # no points at all, so none this week: nothing to join yet
    week = leagues.current_week(now)
    if (user.user_id, week) in _IN_LEAGUE:
        return
    existing = leagues.membership(s, user.user_id, week)
    if existing is not None:
        if len(_IN_LEAGUE) > 200_000:
            _IN_LEAGUE.clear()
        _IN_LEAGUE.add((user.user_id, week))
        return
    leagues.join(s, user, week, looked=True)


@subscribe(AnswerRecorded)
def on_answer(s: Session, event: AnswerRecorded, now: datetime) -> list[str]:
    """Streak (real answers only), fair answer points, league place, badges."""
    user = s.get(User, event.user_id)
    if user is None:
        return []
    lines: list[str] = []
    if not event.skipped:
        step = streaks.count_day(s, user, now)
        if step.frozen_day is not None:
            lines.append(
                f"🧊 A streak freeze covered {step.frozen_day.isoformat()}: your streak "
                f"goes on at {step.state.streak} days."
            )
        if step.run_completed:
            lines.append(
                f"🔥 {step.state.streak}-day streak! +{streaks.RUN_BONUS_POINTS} points"
                + (" and a streak freeze 🧊" if step.earned_freeze else "")
                + "."
            )
    _join_league(s, user, now)
    return lines + badges.evaluate(s, user, event, now)


def _answered_in(s: Session, session_id: str) -> int:
    return len(
        s.scalars(
            select(Response.id).where(
                Response.session_id == session_id,
                Response.skipped.is_(False),
                Response.answer.is_not(None),
            )
        ).all()
    )


def _completed_line(action: object) -> str:
    task = getattr(action, "task", "")
    points = getattr(action, "points", 0)
    return f"✅ Plan: {task} — done! +{points} points."


@subscribe(SessionFinished)
def on_session_finished(s: Session, event: SessionFinished, now: datetime) -> list[str]:
    """Complete the matching plan action; re-plan after a diagnostic; badges."""
    user = s.get(User, event.user_id)
    if user is None:
        return []
    lines: list[str] = []
    session = s.get(PracticeSession, event.session_id)
    preferred = session.plan_action_id if session is not None else None
    done = plans.complete_matching(
        s,
        user,
        event.session_kind,
        event.topic,
        _answered_in(s, event.session_id),
        now,
        preferred=preferred,
    )
    if done is not None:
        lines.append(_completed_line(done))
    if event.session_kind == "diagnostic":
        plans.generate(s, user, now)
        lines.append("📅 Your study plan is updated: /plan shows the week, /today what's next.")
    _join_league(s, user, now)
    return lines + badges.evaluate(s, user, event, now)


@subscribe(TestFinished)
def on_test_finished(s: Session, event: TestFinished, now: datetime) -> list[str]:
    """The full-test plan action, a re-plan, badges (test points: the test handler)."""
    user = s.get(User, event.user_id)
    if user is None:
        return []
    lines: list[str] = []
    if event.session_kind == "full" and not event.early:
        done = plans.complete_matching(s, user, "full", None, 1, now)
        if done is not None:
            lines.append(_completed_line(done))
    if not event.early:
        plans.generate(s, user, now)
        lines.append("📅 Your study plan is updated from this test: /plan shows the week.")
    _join_league(s, user, now)
    return lines + badges.evaluate(s, user, event, now)
