"""Badges: declarative rules, each badge once (by the database), announced once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.db.engine import Database
from core.db.models import Badge, PracticeSession, Proficiency, Question, Response, User
from core.services import events
from core.services.badges import MASTERY_MIN_ANSWERS, MASTERY_THETA, RULES, evaluate


def _user(db: Database, **kw: object) -> str:
    with db.uow() as s:
        user = User(display_name="badger", **kw)
        s.add(user)
        s.flush()
        return user.user_id


def _publish(db: Database, event: events.Event, clock) -> list[str]:  # type: ignore[no-untyped-def]
    with db.uow() as s:
        return events.publish(s, event, clock.now)


def _badges(db: Database, user_id: str) -> list[str]:
    with db.uow() as s:
        return sorted(s.scalars(select(Badge.name).where(Badge.user_id == user_id)))


def test_rules_cover_the_product_list() -> None:
    names = {r.name for r in RULES}
    for name in (
        "first_diagnostic",
        "streak_7",
        "streak_30",
        "streak_100",
        "questions_100",
        "questions_1000",
        "first_full_test",
        "score_1200",
        "score_1400",
        "score_1500",
        "mastery:transitions",
    ):
        assert name in names
    assert len(names) == len(RULES)


def test_condition_met_twice_gives_one_badge_announced_once(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    uid = _user(db)
    first = _publish(db, events.SessionFinished(uid, "s1", "diagnostic", 10, 24), clock)
    again = _publish(db, events.SessionFinished(uid, "s2", "diagnostic", 12, 24), clock)
    assert sum("First diagnostic" in line for line in first) == 1
    assert not any("badge" in line for line in again)
    assert _badges(db, uid) == ["first_diagnostic"]
    with pytest.raises(IntegrityError), db.uow() as s:  # the database refuses a second row
        s.add(Badge(user_id=uid, name="first_diagnostic", awarded_at=clock.now))


def test_full_test_and_score_milestones(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    uid = _user(db)
    early = _publish(db, events.TestFinished(uid, "t0", "full", 1250, early=True), clock)
    assert not any("First full test" in line for line in early)
    lines = _publish(
        db, events.TestFinished(uid, "t1", "full", 1450, {"rw": 720, "math": 730}), clock
    )
    assert _badges(db, uid) == ["first_full_test", "score_1200", "score_1400"]
    assert sum("New badge" in line for line in lines) == 2  # the 1200 club came with the early one
    _publish(db, events.TestFinished(uid, "t2", "full", 1510), clock)
    assert "score_1500" in _badges(db, uid) and len(_badges(db, uid)) == 4


def test_streak_badges_follow_the_streak(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    uid = _user(db, streak=6)
    with db.uow() as s:
        user = s.get(User, uid)
        assert user is not None
        event = events.AnswerRecorded(uid, "x", "practice", 0, "x", True, False)
        assert evaluate(s, user, event, clock.now) == []
        user.streak = 7
        assert any("7-day streak" in line for line in evaluate(s, user, event, clock.now))
        assert evaluate(s, user, event, clock.now) == []
    assert _badges(db, uid) == ["streak_7"]


def test_skill_mastery_needs_the_level_and_ten_answers(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    uid = _user(db)
    with db.uow() as s:
        for skill, theta, n in (
            ("transitions", MASTERY_THETA + 0.1, MASTERY_MIN_ANSWERS),
            ("boundaries", MASTERY_THETA + 0.5, MASTERY_MIN_ANSWERS - 1),
            ("circles", MASTERY_THETA - 0.1, 30),
        ):
            section = "math" if skill == "circles" else "rw"
            s.add(
                Proficiency(
                    user_id=uid,
                    scope="skill",
                    section=section,
                    skill=skill,
                    theta=theta,
                    n_items=n,
                    timestamp=clock.now,
                )
            )
    _publish(db, events.SessionFinished(uid, "s", "practice", 8, 10, "transitions"), clock)
    _publish(db, events.SessionFinished(uid, "s2", "practice", 8, 10, "transitions"), clock)
    assert _badges(db, uid) == ["mastery:transitions"]


def test_hundred_questions(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    uid = _user(db)
    with db.uow() as s:
        ids = list(
            s.scalars(select(Question.question_id).order_by(Question.question_id).limit(101))
        )
        session = PracticeSession(user_id=uid, test_type="practice", started_at=clock.now)
        s.add(session)
        s.flush()
        for i, qid in enumerate(ids):
            skipped = i == 100  # a skip is not an answered question
            s.add(
                Response(
                    session_id=session.session_id,
                    user_id=uid,
                    question_id=qid,
                    answer=None if skipped else "B",
                    skipped=skipped,
                    correct=not skipped,
                    timestamp=clock.now,
                )
            )
        sid = session.session_id
    with db.uow() as s:
        s.execute(
            Response.__table__.delete().where(  # type: ignore[attr-defined]
                Response.id
                == s.scalar(select(func.max(Response.id)).where(Response.skipped.is_(False)))
            )
        )
    event = events.AnswerRecorded(uid, sid, "practice", 0, ids[0], True, False)
    _publish(db, event, clock)
    assert "questions_100" not in _badges(db, uid)  # 99 answered, 1 skipped
    with db.uow() as s:
        s.add(
            Response(
                session_id=sid,
                user_id=uid,
                question_id=ids[-2],
                answer="B",
                correct=True,
                timestamp=clock.now,
            )
        )
    lines = _publish(db, event, clock)
    assert any("100 questions" in line for line in lines)
    assert "questions_100" in _badges(db, uid)
