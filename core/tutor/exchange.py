"""One exchange with the tutor: rules first, then the model or the offline tutor.

The order is the safety: refuse during a live test module before anything
else, build the context (the key only if answered), check budgets, call the
model, fall back offline on any failure, and log the exchange.

The model call runs outside any database transaction: everything the
request needs is read first, the event's transaction is committed (which
returns its pooled connection and, on SQLite, the write lock), and the
answer is logged in a second, short transaction that the dispatcher
commits. A hanging endpoint then holds no connection, lock or row that
another student needs. Every refusal (a live module, a used button, a bad
level) happens before that commit, so bad input still changes nothing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from core.chat.errors import UserError
from core.db.models import Question, TutorInteraction, User
from core.tutor.budget import Limits, spent_reason
from core.tutor.client import ChatModel, ModelError
from core.tutor.context import TutorContext, general_context, item_context, live_test_module
from core.tutor.offline import offline_reply
from core.tutor.prompts import build_messages

log = logging.getLogger(__name__)

LIVE_MODULE = "The tutor is off during a timed module, as on test day. Ask me after the module."
MODEL_DOWN = "The AI tutor isn't answering right now, so the offline tutor steps in."


@dataclass(frozen=True)
class Reply:
    """What the tutor said, at which rung, and whether it was offline."""

    text: str
    hint_level: int
    offline: bool
    answered: bool
    max_level: int


class Tutor:
    """The AI tutor of one app: a chat model (or none) and daily limits."""

    def __init__(self, model: ChatModel | None = None, limits: Limits | None = None) -> None:
        self.model = model
        self.limits = limits or Limits()

    @classmethod
    def from_settings(cls, settings: Any) -> Tutor:
        """The tutor ``settings.llm`` describes (offline when no model is set)."""
        llm = getattr(settings, "llm", None)
        return cls(ChatModel.from_settings(llm), Limits.from_settings(llm))

    def about_item(
        self,
        s: Session,
        user: User,
        q: Question,
        session_id: str | None,
        hint_level: int,
        now: datetime,
        text: str | None = None,
        first_after_answer: bool = False,
    ) -> Reply:
        """Help with one item at ``hint_level`` (capped by the ladder's rules)."""
        refuse_during_live_module(s, user, now)
        ctx = item_context(s, user.user_id, q, hint_level)
        query = text if text else f"[button] {_level_name(ctx.hint_level)}"
        return self._exchange(
            s, user, ctx, text, query, q.question_id, session_id, now, first_after_answer
        )

    def general(self, s: Session, user: User, text: str, now: datetime) -> Reply:
        """A strategy answer with no item in view."""
        refuse_during_live_module(s, user, now)
        ctx = general_context(s, user.user_id, text)
        return self._exchange(s, user, ctx, text, text, None, None, now, False)

    def _exchange(
        self,
        s: Session,
        user: User,
        ctx: TutorContext,
        text: str | None,
        query: str,
        question_id: str | None,
        session_id: str | None,
        now: datetime,
        first_after_answer: bool,
    ) -> Reply:
        started = time.monotonic()
        row = TutorInteraction(
            user_id=user.user_id,
            question_id=question_id,
            session_id=session_id,
            query=query[:4000],
            response="",
            timestamp=now,
            hint_level=ctx.hint_level,
            offline=True,
        )
        notice = None
        answer = None
        if self.model is not None:
            notice = spent_reason(s, user, self.limits, now)
            if notice is not None:
                row.error = "budget exhausted"
            else:
                row.model = self.model.model[:128]
                messages = build_messages(ctx, text, first_after_answer)
                end_transaction(s)
                try:
                    done = self.model.complete(messages)
                except ModelError as exc:
                    log.warning("AI tutor fell back offline: %s", exc.reason)
                    row.error = exc.reason[:255]
                    notice = MODEL_DOWN
                else:
                    answer = done.text
                    row.offline = False
                    row.model = done.model[:128]
                    row.prompt_tokens = done.prompt_tokens
                    row.completion_tokens = done.completion_tokens
        if answer is None:
            answer = offline_reply(ctx, first_after_answer)
            if notice:
                answer = f"{notice}\n\n{answer}"
        row.response = answer
        row.duration = time.monotonic() - started
        s.add(row)
        s.flush()
        return Reply(answer, ctx.hint_level, bool(row.offline), ctx.is_answered, ctx.max_level)


def end_transaction(s: Session) -> None:
    """Commit what the event did so far, before a slow call to the model.

    The session goes on with a new transaction when it is next used (the
    dispatcher's unit of work commits that one). Inside a SAVEPOINT the
    outer transaction cannot end here, so the call then waits inside it."""
    if s.in_transaction() and not s.in_nested_transaction():
        s.commit()


def refuse_during_live_module(s: Session, user: User, now: datetime) -> None:
    """Raise the friendly refusal while a test module runs (before any model call)."""
    if live_test_module(s, user.user_id, now):
        raise UserError(LIVE_MODULE)


def _level_name(level: int) -> str:
    from core.tutor.context import HINT_NAMES

    return HINT_NAMES.get(level, "hint")
