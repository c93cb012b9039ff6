"""Shared bits of the Discord end-to-end tests: people, the current question, waits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from core.chat.dispatcher import Dispatcher
from core.chat.messages import Incoming, Outgoing
from core.db.models import PracticeSession, Question
from tests.chat.synthetic_bank import key_for
from tests.e2e.discord.fake_discord import FakeDiscord, Sent, buttons, text_of, user

ALICE = user("1300000000000000001", "alice")
BOB = user("1300000000000000002", "bob")


def current_question(dispatcher: Dispatcher, user_id: str | None = None) -> Question:
    with dispatcher.app.db.uow() as s:
        query = select(PracticeSession).where(PracticeSession.status == "active")
        session = s.scalars(query).one()
        q = s.get(Question, session.current_question_id)
        assert q is not None
        s.expunge(q)
        return q


def answer_for(q: Question, correct: bool = True) -> str:
    return key_for(q.question_id, correct, q.type == "spr", q.text)


def count(dispatcher: Dispatcher, model: Any) -> int:
    with dispatcher.app.db.uow() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def question_of(fake: FakeDiscord, sent: Sent) -> dict[str, Any] | None:
    """The newest message with buttons that the bot sent in answer to ``sent``."""
    with_buttons = [m for m in fake.sent_to(sent) if buttons(m) and "Q " in text_of(m)]
    return with_buttons[-1] if with_buttons else None


async def ask(fake: FakeDiscord, topic: str, who: dict[str, Any] = ALICE) -> dict[str, Any]:
    """``/practice topic`` in a DM; the question message, once it has arrived."""
    sent = await fake.slash("practice", topic, who=who)
    return await fake.wait_for(lambda: question_of(fake, sent))  # type: ignore[no-any-return]


@dataclass
class Stub:
    """A dispatcher that answers every event with ``replies`` (or raises)."""

    replies: list[Outgoing]
    seen: list[Incoming] = field(default_factory=list)
    fail: bool = False

    def handle(self, incoming: Incoming) -> list[Outgoing]:
        self.seen.append(incoming)
        if self.fail:
            raise RuntimeError("the database is on fire")
        return self.replies
