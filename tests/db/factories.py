"""Small builders for rows that tests need (not fixtures: plain functions)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from core.db.models import PracticeSession, Question, User
from core.db.types import utcnow


def user(s: Session, name: str = "Ada", **kw: object) -> User:
    u = User(display_name=name, **kw)
    s.add(u)
    s.flush()
    return u


def question(s: Session, qid: str = "q-1", skill: str = "linear_one_var", **kw: object) -> Question:
    from core.content.taxonomy import SKILLS

    sk = SKILLS[skill]
    q = Question(
        question_id=qid,
        section=sk.section,
        domain=sk.domain,
        skill=skill,
        difficulty=kw.pop("difficulty", "medium"),
        type=kw.pop("type", "mcq"),
        text=kw.pop("text", "If 2x + 3 = 11, what is x?"),
        options=kw.pop("options", {"A": "3", "B": "4", "C": "7", "D": "8"}),
        correct_answer=kw.pop("correct_answer", ["B"]),
        **kw,
    )
    s.add(q)
    s.flush()
    return q


def session(s: Session, u: User, test_type: str = "practice") -> PracticeSession:
    ps = PracticeSession(user_id=u.user_id, test_type=test_type)
    s.add(ps)
    s.flush()
    return ps


def later(minutes: int = 5):  # type: ignore[no-untyped-def]
    return utcnow() + timedelta(minutes=minutes)
