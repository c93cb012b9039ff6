"""Missed items on the review schedule: a first miss, a repeated miss."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fsrs import Card
from sqlalchemy import event, func, select

from core.db.engine import Database
from core.db.models import Question, ReviewCard
from core.services import review
from tests.db import factories

NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


def test_a_first_miss_is_one_insert_and_a_repeated_miss_a_lapse(db: Database) -> None:
    with db.uow() as s:
        uid = factories.user(s, "Ana", created_at=NOW).user_id
        first, second = s.scalars(select(Question.question_id).limit(2)).all()
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_rest) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    with db.uow() as s:
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            review.add_miss(s, uid, first, NOW)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert len(statements) == 1 and statements[0].lstrip().upper().startswith("INSERT")
    with db.uow() as s:
        review.add_miss(s, uid, first, NOW + timedelta(days=1))  # again: a lapse
        # A card added through the ORM in this transaction, then missed again.
        new = Card().to_dict()
        s.add(ReviewCard(user_id=uid, question_id=second, card=new, due_at=NOW, created_at=NOW))
        review.add_miss(s, uid, second, NOW)
    with db.uow() as s:
        cards = {c.question_id: c for c in s.scalars(select(ReviewCard))}
        assert set(cards) == {first, second}
        assert cards[first].lapses == 1 and cards[second].lapses == 1
        assert cards[first].last_review_at is not None
        assert cards[first].due_at > NOW  # rescheduled by the second miss
        assert s.scalar(select(func.count()).select_from(ReviewCard)) == 2
