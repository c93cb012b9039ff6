"""/plan and /today through the recording chat: the week, one tap to start, completion."""

from __future__ import annotations

from sqlalchemy import func, select

from core.chat.tokens import button_payload
from core.content.taxonomy import SKILLS
from core.db.models import (
    ActionToken,
    Identity,
    PointsEntry,
    PracticeSession,
    Proficiency,
    StudyPlan,
    StudyPlanAction,
)
from tests.chat.conversation import Chat, texts
from tests.chat.test_practice import _answer


def _setup(chat: Chat, test_date: str = "2026-12-12") -> str:
    """A student with settings and a profile (strong Math, weaker R&W); returns the user id."""
    chat.send(f"/settings test_date {test_date}")
    chat.send("/settings target 1400")
    chat.send("/settings hours 6")
    with chat.dispatcher.app.db.uow() as s:
        uid = s.scalar(select(Identity.user_id).where(Identity.external_id == chat.user_id))
        assert uid is not None
        for section, theta in (("rw", -0.3), ("math", 1.4)):
            s.add(Proficiency(user_id=uid, scope="section", section=section, theta=theta))
        return uid


def _count(chat: Chat, model, *where) -> int:  # type: ignore[no-untyped-def]
    with chat.dispatcher.app.db.uow() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_plan_shows_the_week_by_day(chat: Chat, clock) -> None:  # type: ignore[no-untyped-def]
    _setup(chat)
    out = texts(chat.send("/plan"))
    assert "SAT on 2026-12-12 (40 days to go)" in out and "target 1400, 6 h/week" in out
    assert "Mon 2 Nov (today)" in out and "Sun 8 Nov" in out and "Mon 9 Nov" not in out
    assert "○" in out and "This week: 0/" in out
    assert out.count("Practice") > 3
    # Weaker in R&W: most of the week's practice is R&W skills.
    lines = [line for line in out.splitlines() if "📝 Practice" in line]
    rw = sum(
        any(f"Practice {k.name}:" in line for k in SKILLS.values() if k.section == "rw")
        for line in lines
    )
    assert rw > len(lines) / 2
    assert _count(chat, StudyPlan) == 1
    chat.send("/plan")
    assert _count(chat, StudyPlan) == 1  # shown again, not remade
    clock.advance(days=1)
    out = texts(chat.send("/today"))
    assert "(from Mon 2 Nov)" in out  # yesterday's open work is still offered
    assert "earlier action(s) still open: /today lists them too" in texts(chat.send("/plan"))


def test_today_tap_starts_practice_and_finishing_it_completes_the_action(
    chat: Chat, chat_factory
) -> None:  # type: ignore[no-untyped-def]
    _setup(chat)
    out = chat.send("/today")
    assert "Tap one to start" in texts(out)
    first = chat.buttons()[0]
    assert first.label.startswith("▶ ")
    skill_name = first.label.removeprefix("▶ ").split(":")[0]
    intruder = chat_factory("4242")
    assert "someone else" in texts(intruder.tap(first.payload))
    token = first.payload.split(".")[0]
    assert "not one I gave you" in texts(chat.tap(button_payload(token, "999999")))
    started = texts(chat.tap(first.payload))
    assert f"Practice: {skill_name}" in started and "Q 1/10" in started
    assert "already used" in texts(chat.tap(first.payload))  # a double tap starts nothing twice
    with chat.dispatcher.app.db.uow() as s:
        session = s.scalars(select(PracticeSession).where(PracticeSession.status == "active")).one()
        action_id = session.plan_action_id
        assert action_id is not None
    out = ""
    for i in range(10):
        out = texts(_answer(chat, i % 2 == 0))
    assert "✅ Plan: Practice" in out and "done! +20 points" in out
    assert _count(chat, PointsEntry, PointsEntry.ref == f"action:{action_id}") == 1
    plan = texts(chat.send("/plan"))
    assert "✓ 📝 Practice " + skill_name in plan and "This week: 1/" in plan


def test_work_done_without_the_button_counts_and_too_little_does_not(chat: Chat) -> None:
    _setup(chat)
    chat.send("/today")
    label = chat.buttons()[0].label.removeprefix("▶ ").split(":")[0]
    with chat.dispatcher.app.db.uow() as s:
        action = s.scalars(
            select(StudyPlanAction)
            .where(StudyPlanAction.task.contains(label))
            .order_by(StudyPlanAction.due_date)
        ).first()
        assert action is not None
        topic, action_id = action.topic, action.id
    chat.send(f"/practice {topic}")
    for _ in range(3):
        _answer(chat, True)
    assert "Plan:" not in texts(chat.send("/stop"))  # 3 of 10: not done
    chat.send(f"/practice {topic}")
    out = ""
    for _ in range(10):
        out = texts(_answer(chat, True))
    assert "✅ Plan:" in out
    with chat.dispatcher.app.db.uow() as s:
        row = s.get(StudyPlanAction, action_id)
        assert row is not None and row.completed is not None


def test_today_tap_starts_a_full_test(chat: Chat) -> None:
    _setup(chat, test_date="2026-11-07")  # five days to go: the last full test is today
    out = texts(chat.send("/today"))
    assert "Full-length practice test" in out
    started = texts(chat.press("▶ Full test"))
    assert "Full-length test" in started and "Module 1" in started
    chat.send("/stop")


def test_today_tap_starts_a_review(chat: Chat, clock) -> None:  # type: ignore[no-untyped-def]
    _setup(chat)
    chat.send("/practice transitions")
    _answer(chat, False)
    chat.send("/stop")
    clock.advance(days=2)  # the miss is due for review now
    chat.send("/today")
    started = texts(chat.press("▶ Review"))
    assert "due now" in started


def test_bad_input_changes_nothing(chat: Chat) -> None:
    chat.send("/settings target 1400")
    assert "takes no arguments" in texts(chat.send("/plan everything"))
    assert "takes no arguments" in texts(chat.send("/today please"))
    assert _count(chat, StudyPlan) == 0
    assert _count(chat, ActionToken) == 0
