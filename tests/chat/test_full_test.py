"""Full-length and section tests through the recording chat.

A simulated student answers from a known ability (3PL with each item's own
parameters), so the report can be checked against the truth.
"""

from __future__ import annotations

import math
import random

import pytest
from sqlalchemy import func, select

from core.chat.dispatcher import Dispatcher
from core.chat.messages import Image
from core.db.models import Identity, PracticeSession, Question, Response, TestModule
from core.irt.scale import theta_to_scale
from core.services import testing
from tests.chat.conversation import Chat, texts
from tests.chat.synthetic_bank import key_for


def _state(chat: Chat) -> tuple[PracticeSession, Question | None]:
    with chat.dispatcher.app.db.uow() as s:
        user_id = s.scalars(
            select(Identity.user_id).where(Identity.external_id == chat.user_id)
        ).one()
        session = s.scalars(
            select(PracticeSession)
            .where(
                PracticeSession.test_type.in_(("full", "section")),
                PracticeSession.user_id == user_id,
            )
            .order_by(
                PracticeSession.started_at.desc(), PracticeSession.finished_at.is_(None).desc()
            )
        ).first()
        assert session is not None
        q = s.get(Question, session.current_question_id) if session.current_question_id else None
        s.expunge_all()
        return session, q


def _respond(chat: Chat, q: Question, correct: bool) -> list:
    return chat.send(key_for(q.question_id, correct, q.type == "spr", q.text))


def sit(chat: Chat, theta: float, rng: random.Random, limit: int = 200) -> str:
    """Answer every question as a student of ability ``theta``; return the last reply."""
    out = ""
    for _ in range(limit):
        session, q = _state(chat)
        if session.status != "active":
            return out
        if q is None:
            out = texts(chat.send("/test"))
            continue
        p = q.c_param + (1 - q.c_param) / (1 + math.exp(-q.a_param * (theta - q.b_param)))
        out = texts(_respond(chat, q, rng.random() < p))
        if "All answered" in out:
            out = texts(chat.press("Submit module"))
    raise AssertionError("the test did not end")


def _routes(chat: Chat) -> list[str]:
    with chat.dispatcher.app.db.uow() as s:
        return list(s.scalars(select(TestModule.route).order_by(TestModule.id)))


def test_full_length_structure_and_report(chat: Chat) -> None:
    out = texts(chat.send("/test untimed"))
    assert "Full-length test" in out and "Reading and Writing · Module 1 · Q 1/27 · untimed" in out
    report = sit(chat, 0.5, random.Random(1))
    assert "Score report" in report and "Total:" in report and "By domain" in report
    with chat.dispatcher.app.db.uow() as s:
        modules = s.scalars(select(TestModule).order_by(TestModule.position)).all()
        assert [(m.section, m.stage, len(m.items)) for m in modules] == [
            ("rw", 1, 27),
            ("rw", 2, 27),
            ("math", 1, 22),
            ("math", 2, 22),
        ]
        for m in modules:
            assert sum(it.is_pretest for it in m.items) == 2
            op = [it for it in m.items if not it.is_pretest]
            skills = [s.get(Question, it.question_id).skill for it in op]  # type: ignore[union-attr]
            # grouped by skill: each skill's items are contiguous
            assert len(set(skills)) == len(
                [k for i, k in enumerate(skills) if i == 0 or skills[i - 1] != k]
            )
        assert s.scalar(select(func.count()).select_from(Response)) == 98
        ids = s.scalars(select(Response.question_id)).all()
        assert len(set(ids)) == 98


@pytest.mark.parametrize(("theta", "route"), [(1.6, "harder"), (-1.6, "easier")])
def test_routing_follows_module_one(chat: Chat, theta: float, route: str) -> None:
    chat.send("/test math untimed")
    sit(chat, theta, random.Random(7))
    assert _routes(chat) == ["broad", route]


def test_scores_land_in_reported_range(chat_factory, db) -> None:  # type: ignore[no-untyped-def]
    """8 simulated students × 2 sections: the true score should fall in the
    reported range (±1 SE, so ≈68% expected) on most of the 16 checks."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("a statistical check: once, on the embedded engine, is enough")
    rng = random.Random(2024)
    covered, checks = 0, 0
    for i, theta in enumerate([-1.5, -1.0, -0.5, 0.0, 0.3, 0.8, 1.2, 1.7]):
        chat = chat_factory(str(5000 + i))
        chat.send("/test untimed")
        sit(chat, theta, rng)
        session, _ = _state(chat)
        truth = theta_to_scale(theta)
        for section in session.report["sections"]:  # type: ignore[index]
            checks += 1
            covered += section["low"] <= truth <= section["high"]
    assert checks == 16
    print(f"coverage: {covered}/16")
    assert covered >= 9, f"true score inside the reported range in {covered}/16"


def test_timeout_closes_module_even_when_silent(chat: Chat, clock) -> None:  # type: ignore[no-untyped-def]
    out = texts(chat.send("/test rw"))
    assert "⏱ 32:00 left" in out
    for _ in range(3):
        _, q = _state(chat)
        assert q is not None
        _respond(chat, q, True)
    clock.advance(minutes=33)
    with chat.dispatcher.app.db.uow() as s:  # the scheduler's job, with nobody writing
        assert testing.expire_modules(s, clock.now)
    with chat.dispatcher.app.db.uow() as s:
        first = s.scalars(select(TestModule).order_by(TestModule.position)).first()
        assert first is not None and first.ended_at is not None
        rows = s.scalars(select(Response).where(Response.module_id == first.id)).all()
        assert len(rows) == 27 and sum(r.answer is None for r in rows) == 24
        assert not any(r.correct for r in rows if r.answer is None)
    out = texts(chat.send("/test"))
    assert "Module 2" in out and "⏱ 32:00 left" in out


def test_timeout_noticed_on_next_message(chat: Chat, clock) -> None:  # type: ignore[no-untyped-def]
    chat.send("/test math")
    payload = chat.button("Skip").payload
    clock.advance(minutes=36)
    out = texts(chat.tap(payload))
    assert "Time's up" in out and "Math · Module 2" in out
    assert "closed" in texts(chat.tap(payload))


def test_skip_and_return_within_module(chat: Chat) -> None:
    chat.send("/test math untimed")
    out = texts(chat.press("Skip"))
    assert "Q 1 skipped" in out and "Q 2/22" in out
    out = texts(chat.press("Overview"))
    assert "1○" in out and "Answered 0/22" in out
    out = texts(chat.press("Q1"))
    assert "Q 1/22" in out
    _, q = _state(chat)
    assert q is not None
    out = texts(_respond(chat, q, True))
    assert "Q 2/22" in out
    out = texts(chat.press("Overview"))
    assert "1✓" in out and "Answered 1/22" in out


def test_restart_mid_module_loses_nothing(chat: Chat, app) -> None:  # type: ignore[no-untyped-def]
    chat.send("/test rw untimed")
    for _ in range(5):
        _, q = _state(chat)
        assert q is not None
        _respond(chat, q, True)
    _, before = _state(chat)
    # A new process: a fresh dispatcher and caches over the same database.
    from bot.wiring import build_app

    chat.dispatcher = Dispatcher(build_app(app.db, clock=app.clock, generators=False))
    out = texts(chat.send("/test"))
    _, after = _state(chat)
    assert before is not None and after is not None and before.question_id == after.question_id
    assert "Q 6/27" in out
    sit(chat, 0.0, random.Random(3))
    with chat.dispatcher.app.db.uow() as s:
        assert s.scalar(select(func.count()).select_from(Response)) == 54
        assert s.scalar(select(func.count(func.distinct(Response.question_id)))) == 54


def test_stop_reports_and_bad_input(chat: Chat) -> None:
    assert "don't understand" in texts(chat.send("/test chemistry"))
    chat.send("/test math")
    assert "already have a test" in texts(chat.send("/test rw"))
    assert "middle of a test" in texts(chat.send("/practice algebra"))
    _, q = _state(chat)
    assert q is not None
    if q.type == "mcq":
        assert "Choose A, B, C or D" in texts(chat.send("maybe"))
    _respond(chat, q, True)
    out = chat.send("/stop")
    assert "stopped early" in texts(out)
    assert any(isinstance(m, Image) for m in out)
    session, _ = _state(chat)
    assert session.status == "finished"


def test_three_full_tests_without_repeats(chat: Chat) -> None:
    for run in range(3):
        chat.send("/test untimed")
        sit(chat, 0.2, random.Random(run))
    with chat.dispatcher.app.db.uow() as s:
        ids = s.scalars(select(Response.question_id)).all()
    assert len(ids) == 3 * 98 and len(set(ids)) == len(ids)


def test_a_second_press_on_an_older_question_adds_no_time(chat: Chat, clock) -> None:  # type: ignore[no-untyped-def]
    # A double tap, or pressing again after a reply lost in a crash: the answer
    # is kept once and the time of the question now on screen is not added to it.
    from core.db.models import ActivityDay

    chat.send("/test rw untimed")
    first = [b for b in chat.buttons() if b.label == "A"][0]
    clock.advance(seconds=30)
    chat.tap(first.payload)
    clock.advance(seconds=50)
    chat.tap(first.payload)
    with chat.dispatcher.app.db.uow() as s:
        [response] = s.scalars(select(Response)).all()
        assert (response.answer, response.time_spent) == ("A", 30)
        assert s.scalar(select(func.sum(ActivityDay.seconds))) == 30
