"""Helpers shared by the tutor tests: answering, finding buttons, reading rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.chat.dispatcher import App
from core.chat.messages import Button, Outgoing, Text
from core.db.models import Identity, PracticeSession, Question, TutorInteraction
from core.tutor import Tutor
from core.tutor.budget import Limits
from core.tutor.client import ChatModel
from tests.chat.conversation import Chat
from tests.chat.synthetic_bank import key_for
from tests.tutor.fake_openai import FakeOpenAI

SECRET = "sk-test-do-not-log-0123456789"


def online_tutor(
    app: App,
    fake: FakeOpenAI,
    limits: Limits | None = None,
    timeout_s: float = 5.0,
    max_retries: int = 2,
) -> Tutor:
    """Put a tutor backed by the real ``openai`` client and the fake server into ``app``."""
    model = ChatModel(
        "fake-model",
        base_url=fake.base_url,
        api_key=SECRET,
        timeout_s=timeout_s,
        max_retries=max_retries,
        max_tokens=200,
    )
    tutor = app.services["tutor"] = Tutor(model, limits or Limits())
    return tutor


def current_question(chat: Chat) -> Question:
    """The open question of the chat user's running session."""
    with chat.dispatcher.app.db.uow() as s:
        user_id = s.scalars(
            select(Identity.user_id).where(Identity.external_id == chat.user_id)
        ).one()
        session = s.scalars(
            select(PracticeSession).where(
                PracticeSession.status == "active", PracticeSession.user_id == user_id
            )
        ).one()
        q = s.get(Question, session.current_question_id)
        assert q is not None
        s.expunge(q)
        return q


def answer(chat: Chat, correct: bool) -> list[Outgoing]:
    """Answer the current practice question right or wrong."""
    q = current_question(chat)
    value = key_for(q.question_id, correct, q.type == "spr", q.text)
    return chat.send(value)  # typed, so it works whatever keyboard came last


def button_in(out: list[Outgoing], label: str) -> Button:
    """The button labelled ``label`` in a reply."""
    for msg in out:
        if isinstance(msg, Text):
            for row in msg.buttons:
                for b in row:
                    if b.label == label:
                        return b
    raise AssertionError(f"no button {label!r} in the reply")


def has_button(out: list[Outgoing], label: str) -> bool:
    try:
        button_in(out, label)
    except AssertionError:
        return False
    return True


def interactions(app: App) -> list[dict[str, Any]]:
    """Every logged tutor exchange, oldest first, as dicts."""
    with app.db.uow() as s:
        rows = s.scalars(select(TutorInteraction).order_by(TutorInteraction.id)).all()
        return [
            {
                c.name: getattr(r, c.name)
                for c in TutorInteraction.__table__.columns  # type: ignore[attr-defined]
            }
            for r in rows
        ]
