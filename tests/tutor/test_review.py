"""Session reviews written by the model (through the fake server) and budgets by local day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from core.db.models import Response, TutorInteraction, User
from core.tutor import Tutor, review
from core.tutor.budget import USER_SPENT, Limits, spent_reason
from core.tutor.client import ChatModel
from tests.chat.conversation import Chat, texts
from tests.tutor.fake_openai import FakeOpenAI
from tests.tutor.helpers import answer


@pytest.fixture
def review_model(fake_openai: FakeOpenAI) -> Iterator[Tutor]:
    tutor = Tutor(
        ChatModel("fake-model", base_url=fake_openai.base_url, api_key="k", max_retries=0)
    )
    review.use_tutor(tutor)
    try:
        yield tutor
    finally:
        review.use_tutor(None)


def _practice(chat: Chat, pattern: list[bool]) -> str:
    chat.send("/practice transitions")
    out = ""
    for correct in pattern:
        out = texts(answer(chat, correct))
    return out


def test_model_review_is_stored_per_skill(
    chat: Chat, app, fake_openai: FakeOpenAI, review_model: Tutor
) -> None:  # type: ignore[no-untyped-def]
    fake_openai.reply(
        "You know the content; the misses come from rushing.\n"
        "transitions: Name the relationship before you read the choices.\n"
        "made_up_skill: ignored"
    )
    out = _practice(chat, [True, False, False, True, False, True, True, True, True, True])
    assert "rushing" in out and "Name the relationship" in out and "(offline tutor)" not in out
    sent = fake_openai.request_text()
    assert "transitions (Transitions) ×3" in sent and "student: C" in sent and "key: B)" in sent
    with app.db.uow() as s:
        misses = s.scalars(select(Response).where(Response.correct.is_(False))).all()
        assert {r.review_text for r in misses} == {
            "Transitions: Name the relationship before you read the choices."
        }
        row = s.scalars(select(TutorInteraction)).one()
        assert row.query == "[session review]" and not row.offline and row.prompt_tokens == 50
    # A session without misses gets no review and costs no request.
    assert "Review of your misses" not in _practice(chat, [True] * 10)
    assert len(fake_openai.requests) == 1


def test_model_failure_gives_offline_review(
    chat: Chat, app, fake_openai: FakeOpenAI, review_model: Tutor
) -> None:  # type: ignore[no-untyped-def]
    fake_openai.fail(500)
    out = _practice(chat, [False] * 10)
    assert "(offline tutor)" in out and "Transitions: 10 missed" in out
    with app.db.uow() as s:
        assert all(r.review_text for r in s.scalars(select(Response)).all())
        row = s.scalars(select(TutorInteraction)).one()
        assert row.offline and row.error == "server error (500)"


def test_budget_counts_the_local_day(db) -> None:  # type: ignore[no-untyped-def]
    limits = Limits(user_daily_messages=1)
    with db.uow() as s:
        user = User(display_name="", timezone="America/New_York")
        s.add(user)
        s.flush()
        # 23:30 local on Nov 1 (03:30 UTC on Nov 2): yesterday for the student at noon.
        s.add(
            TutorInteraction(
                user_id=user.user_id,
                query="q",
                response="r",
                timestamp=datetime(2026, 11, 2, 3, 30, tzinfo=UTC),
            )
        )
        s.flush()
        noon = datetime(2026, 11, 2, 17, 0, tzinfo=UTC)
        assert spent_reason(s, user, limits, noon) is None
        s.add(
            TutorInteraction(
                user_id=user.user_id, query="q", response="r", timestamp=noon, offline=True
            )
        )
        s.flush()
        assert spent_reason(s, user, limits, noon) is None  # offline answers are free
        s.add(TutorInteraction(user_id=user.user_id, query="q", response="r", timestamp=noon))
        s.flush()
        assert spent_reason(s, user, limits, noon) == USER_SPENT
