"""Practice, the diagnostic, review and progress through the recording chat."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.chat.messages import Edit, Image, Text
from core.db.models import PracticeSession, Proficiency, Question, Response, ReviewCard
from tests.chat.conversation import Chat, texts
from tests.chat.synthetic_bank import key_for


def _current_question(chat: Chat) -> Question:
    with chat.dispatcher.app.db.uow() as s:
        session = s.scalars(select(PracticeSession).where(PracticeSession.status == "active")).one()
        q = s.get(Question, session.current_question_id)
        assert q is not None
        s.expunge(q)
        return q


def _answer(chat: Chat, correct: bool) -> list:
    q = _current_question(chat)
    value = key_for(q.question_id, correct, q.type == "spr", q.text)
    if q.type == "mcq":
        return chat.press(value)
    return chat.send(value)


def _count(chat: Chat, model) -> int:  # type: ignore[no-untyped-def]
    with chat.dispatcher.app.db.uow() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_practice_session_end_to_end(chat: Chat) -> None:
    out = texts(chat.send("/practice linear_one_var"))
    assert "Practice: Linear equations in one variable" in out
    assert "Q 1/10 ▱▱▱▱▱▱▱▱▱▱" in out
    out = texts(_answer(chat, True))
    assert "✅ Correct!" in out and "points" in out and "Q 2/10 ▰" in out
    out = texts(_answer(chat, False))
    assert "❌ Not quite" in out
    for i in range(8):
        out = texts(_answer(chat, i % 2 == 0))
    assert "Session complete: 5/10 correct" in out
    assert "Math estimate:" in out and "saved for /review" in out
    assert _count(chat, Response) == 10
    assert _count(chat, ReviewCard) == 5
    assert _count(chat, Proficiency) >= 3


def test_double_tap_and_stale_buttons_count_once(chat: Chat, chat_factory) -> None:  # type: ignore[no-untyped-def]
    chat.send("/practice algebra")
    q = _current_question(chat)
    if q.type == "spr":
        chat.send("/practice linear_systems")
        q = _current_question(chat)
    payload = chat.button("B").payload
    first = chat.tap(payload)
    assert any(
        isinstance(m, Edit) and ("Correct" in m.text or "Not quite" in m.text) for m in first
    )
    again = texts(chat.tap(payload))
    assert "already" in again
    intruder = chat_factory("9999")
    assert "someone else" in texts(intruder.tap(chat.button("A").payload))
    assert _count(chat, Response) == 1


def test_bad_answers_change_nothing(chat: Chat) -> None:
    chat.send("/practice linear_one_var")
    q = _current_question(chat)
    if q.type == "mcq":
        assert "Choose A, B, C or D" in texts(chat.send("the second one"))
    chat.send("/practice percentages")
    for _ in range(12):
        q = _current_question(chat)
        if q.type == "spr":
            break
        _answer(chat, True)
    assert q.type == "spr"
    before = _count(chat, Response)
    assert "mixed number" in texts(chat.send("3 1/2"))
    assert "digits" in texts(chat.send("abc"))
    assert _count(chat, Response) == before
    assert "Correct" in texts(_answer(chat, True))


def test_unknown_topic_and_stop(chat: Chat) -> None:
    assert "don't know the topic" in texts(chat.send("/practice underwater basket weaving"))
    assert "Nothing is running" in texts(chat.send("/stop"))
    chat.send("/practice circles")
    assert "nothing was recorded" in texts(chat.send("/stop"))
    chat.send("/practice circles")
    _answer(chat, True)
    assert "Session complete: 1/1" in texts(chat.send("/stop"))


def test_diagnostic_profiles_all_domains(chat: Chat) -> None:
    out = texts(chat.send("/diagnostic"))
    assert "24 questions" in out
    for i in range(24):
        out = texts(_answer(chat, i % 3 != 0))
    assert "Reading and Writing estimate" in out and "Math estimate" in out
    for domain in ("Information and Ideas", "Algebra", "Geometry and Trigonometry"):
        assert domain in out
    with chat.dispatcher.app.db.uow() as s:
        domains = set(s.scalars(select(Proficiency.domain).where(Proficiency.scope == "domain")))
    assert len(domains) == 8


def test_review_brings_misses_back_when_due(chat: Chat, clock) -> None:  # type: ignore[no-untyped-def]
    assert "No misses yet" in texts(chat.send("/review"))
    chat.send("/practice transitions")
    _answer(chat, False)
    _answer(chat, True)
    chat.send("/stop")
    out = texts(chat.send("/review"))
    assert "Transitions" in out and "Nothing is due" in out
    clock.advance(days=1, minutes=1)
    out = texts(chat.send("/review"))
    assert "1 due now" in out
    out = texts(_answer(chat, True))
    assert "Next review of this one" in out
    with chat.dispatcher.app.db.uow() as s:
        card = s.scalars(select(ReviewCard)).one()
        assert card.due_at > clock.now


def test_progress_chart(chat: Chat) -> None:
    assert "No estimates yet" in texts(chat.send("/progress"))
    chat.send("/practice algebra")
    for _ in range(3):
        _answer(chat, True)
    chat.send("/stop")
    out = chat.send("/progress")
    assert "Math:" in texts(out)
    images = [m for m in out if isinstance(m, Image)]
    assert images and images[0].png.startswith(b"\x89PNG")


def test_a_lost_reply_is_recovered_with_the_command(chat: Chat) -> None:
    # A crash after the answer was stored loses the reply with the next
    # question: the old button says so, and /practice shows where they are.
    chat.send("/practice transitions")
    first = chat.buttons()
    chat.press("B")
    before = _count(chat, Response)
    stale = texts(chat.tap(next(b for b in first if b.label == "A").payload))
    assert "already answered" in stale and "/practice" in stale
    assert _count(chat, Response) == before  # the press changed nothing
    out = texts(chat.send("/practice"))
    assert "Picking up where you left off" in out and "Q 2/10" in out
    with chat.dispatcher.app.db.uow() as s:
        assert s.scalar(select(func.count()).select_from(PracticeSession)) == 1  # same session
    _answer(chat, True)  # its buttons answer the open question
    assert _count(chat, Response) == before + 1
    # With a topic, /practice still starts a new session.
    assert "Practice: Transitions" in texts(chat.send("/practice transitions"))


def test_button_feedback_is_edited_into_the_question_unless_too_long(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pressed answer's verdict, explanation and tutor buttons replace the
    question's message (one message fewer per answer); when the whole would
    be too long for one message, the question is marked and the feedback
    follows as a message of its own."""
    from core.chat.handlers import practice as handler

    chat.send("/practice transitions")  # reading and writing: all A-D
    out = _answer(chat, True)
    [edit] = [m for m in out if isinstance(m, Edit)]
    assert "your answer:" in edit.text and "Correct" in edit.text
    assert edit.added.startswith("✅ Correct") and edit.added in edit.text
    assert [b.label for row in edit.buttons for b in row] == ["Ask the tutor", "Discuss"]
    assert not any(isinstance(m, Text) and "Correct" in m.text for m in out)

    monkeypatch.setattr(handler, "EDIT_MAX_TEXT", 10)
    out = _answer(chat, False)
    [edit] = [m for m in out if isinstance(m, Edit)]
    assert "your answer:" in edit.text and "Not quite" not in edit.text and not edit.buttons
    [feedback] = [m for m in out if isinstance(m, Text) and "Not quite" in m.text]
    assert [b.label for row in feedback.buttons for b in row] == ["Ask the tutor", "Discuss"]
    assert _count(chat, Response) == 2
