"""Points: the anti-farming rule, re-answers, too-easy items and skipped tests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from core.content.taxonomy import SKILLS
from core.db.engine import Database
from core.db.models import PointsEntry, PracticeSession, Question, Response, User
from core.services.gamification import (
    TOO_EASY_DAILY_CAP,
    answer_points,
    points_for_answer,
    points_for_test,
)


def test_answer_points_rule() -> None:
    assert answer_points(True, "hard", "practice", False, 0.5, 0) == 15
    assert answer_points(True, "easy", "worksheet", False, 0.5, 0) == 5
    assert answer_points(False, "hard", "practice", False, 0.5, 0) == 0
    assert answer_points(True, "hard", "practice", True, 0.5, 0) == 0  # answered before
    assert answer_points(True, "hard", "review", False, 0.5, 0) == 0
    assert answer_points(True, "medium", "full", False, 0.5, 0) == 0  # tests: test points only
    assert answer_points(True, "easy", "practice", False, 0.95, TOO_EASY_DAILY_CAP - 1) == 5
    assert answer_points(True, "easy", "practice", False, 0.95, TOO_EASY_DAILY_CAP) == 0
    assert answer_points(True, "hard", "practice", False, 0.6, 500) == 15  # cap: easy items only


def test_test_points_rule() -> None:
    assert points_for_test(100, 98, 98, early=False) == 100
    assert points_for_test(100, 49, 98, early=False) == 100
    assert points_for_test(100, 48, 98, early=False) == 0  # mostly skipped
    assert points_for_test(100, 98, 98, early=True) == 0


def _user(db: Database, tz: str = "UTC") -> str:
    with db.uow() as s:
        user = User(display_name="farmer", timezone=tz)
        s.add(user)
        s.flush()
        return user.user_id


def _questions(db: Database, skill: str) -> list[Question]:
    with db.uow() as s:
        rows = list(
            s.scalars(select(Question).where(Question.skill == skill).order_by(Question.b_param))
        )
        for q in rows:
            s.expunge(q)
        return rows


def _respond(
    db: Database, user_id: str, q: Question, kind: str, at: datetime, points: int = 0
) -> int:
    with db.uow() as s:
        session = PracticeSession(user_id=user_id, test_type=kind, started_at=at)
        s.add(session)
        s.flush()
        r = Response(
            session_id=session.session_id,
            user_id=user_id,
            question_id=q.question_id,
            answer="B",
            correct=True,
            timestamp=at,
            points_awarded=points,
        )
        s.add(r)
        s.flush()
        return r.id


def _points_for(db: Database, user_id: str, response_id: int, kind: str, at: datetime) -> int:
    with db.uow() as s:
        user, r = s.get(User, user_id), s.get(Response, response_id)
        assert user is not None and r is not None
        q = s.get(Question, r.question_id)
        assert q is not None
        return points_for_answer(s, user, r, q, kind, at)


def test_re_answering_in_review_earns_nothing(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    uid = _user(db)
    q = _questions(db, "transitions")[12]
    first = _respond(db, uid, q, "practice", clock.now)
    assert _points_for(db, uid, first, "practice", clock.now) > 0
    clock.advance(days=1)
    again = _respond(db, uid, q, "review", clock.now)
    assert _points_for(db, uid, again, "review", clock.now) == 0
    # Even outside a review (a worksheet, say), an item answered before earns nothing.
    third = _respond(db, uid, q, "worksheet", clock.now)
    assert _points_for(db, uid, third, "worksheet", clock.now) == 0


def test_twenty_first_too_easy_item_today_earns_nothing(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    uid = _user(db, "Asia/Tokyo")
    # At θ = 0 (no estimate yet) the three easiest synthetic items of each skill
    # (b ≤ -1.65) have P(correct) > 0.9.
    rw = [k for k in SKILLS.values() if k.section == "rw"]
    easy = [q for skill in rw for q in _questions(db, skill.code)[:3]]
    hard = _questions(db, "circles")[-1]
    for q in easy[:TOO_EASY_DAILY_CAP]:
        rid = _respond(db, uid, q, "practice", clock.now)
        pts = _points_for(db, uid, rid, "practice", clock.now)
        assert pts > 0
        with db.uow() as s:
            r = s.get(Response, rid)
            assert r is not None
            r.points_awarded = pts
    rid = _respond(db, uid, easy[TOO_EASY_DAILY_CAP], "practice", clock.now)
    assert _points_for(db, uid, rid, "practice", clock.now) == 0  # the 21st too-easy item
    rid = _respond(db, uid, hard, "practice", clock.now)
    assert _points_for(db, uid, rid, "practice", clock.now) == 15  # a real challenge still pays
    clock.advance(days=1)  # a new local day in Tokyo: the cap starts again
    rid = _respond(db, uid, easy[TOO_EASY_DAILY_CAP + 1], "practice", clock.now)
    assert _points_for(db, uid, rid, "practice", clock.now) > 0


def test_skipping_through_a_test_earns_nothing(chat) -> None:  # type: ignore[no-untyped-def]
    chat.send("/test rw untimed")
    for _ in range(2):  # submit both modules without answering anything
        chat.press("Overview")
        out = chat.press("Submit module")
    assert "Score report" in "\n".join(getattr(m, "text", "") for m in out)
    with chat.dispatcher.app.db.uow() as s:
        assert s.scalar(select(func.count()).select_from(PointsEntry)) == 0
        assert s.scalar(select(func.sum(User.points))) == 0
