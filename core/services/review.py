"""The error log and spaced repetition of missed items (FSRS, the ``fsrs`` package).

A miss creates a card (or lapses an existing one). A review session serves
due cards; an authored item comes back as itself, a generated one as a
twin from the same generator and difficulty with a new seed (same skill,
new numbers), so a student cannot pass by remembering the answer.
"""

from __future__ import annotations

import functools
import random
from datetime import datetime, timedelta

from fsrs import Card, Rating, Scheduler
from sqlalchemy import Executable, bindparam, select
from sqlalchemy.orm import Session

from core.content import generators
from core.db.models import Question, Response, ReviewCard
from core.db.plain import conflict_insert
from core.services.questions import store_item

# A missed SAT item is worth seeing again tomorrow, not in a minute: the
# explanation was just read, so same-day steps would test short-term memory.
SCHEDULER = Scheduler(
    learning_steps=(timedelta(days=1),),
    relearning_steps=(timedelta(days=1),),
    enable_fuzzing=False,
)


def _card(row: ReviewCard) -> Card:
    return Card.from_dict(row.card)  # type: ignore[arg-type]


def _save(row: ReviewCard, card: Card) -> None:
    row.card = card.to_dict()
    row.due_at = card.due


def add_miss(s: Session, user_id: str, question_id: str, now: datetime) -> None:
    """Put a missed item on the schedule (a repeated miss is a lapse).

    A first miss (practice never repeats an item, so nearly every miss) is one
    plain insert that does nothing when the card exists (unique per user and
    item); only then is the card read and its lapse written through the ORM.
    """
    stmt = _insert_new_card(s.get_bind().dialect.name)
    if stmt is not None:
        if any(isinstance(o, ReviewCard) for o in s.new):
            s.flush()  # a card added in this transaction: the insert must see it
        card, _ = SCHEDULER.review_card(Card(), Rating.Again, now)
        values = {"user_id": user_id, "question_id": question_id, "card": card.to_dict()}
        values |= {"due_at": card.due, "last_review_at": now, "created_at": now}
        if s.connection().execute(stmt, values).first() is not None:
            return
    row = s.scalar(
        select(ReviewCard).where(
            ReviewCard.user_id == user_id, ReviewCard.question_id == question_id
        )
    )
    if row is None:  # pragma: no cover - engines without the insert above
        card, _ = SCHEDULER.review_card(Card(), Rating.Again, now)
        row = ReviewCard(user_id=user_id, question_id=question_id, created_at=now, due_at=card.due)
        s.add(row)
    else:
        card, _ = SCHEDULER.review_card(_card(row), Rating.Again, now)
        row.lapses += 1
    row.last_review_at = now
    _save(row, card)


@functools.cache
def _insert_new_card(dialect: str) -> Executable | None:
    """A new card, or nothing when the user has one for the item (built once)."""
    insert = conflict_insert(dialect)
    if insert is None:
        return None
    return (
        insert(ReviewCard)
        .values(
            user_id=bindparam("user_id"),
            question_id=bindparam("question_id"),
            card=bindparam("card"),
            due_at=bindparam("due_at"),
            lapses=0,
            last_review_at=bindparam("last_review_at"),
            created_at=bindparam("created_at"),
        )
        .on_conflict_do_nothing(index_elements=[ReviewCard.user_id, ReviewCard.question_id])
        .returning(ReviewCard.id)
    )


def rate(s: Session, row: ReviewCard, correct: bool, now: datetime) -> datetime:
    """Record a review answer; returns when the card is due next."""
    card, _ = SCHEDULER.review_card(_card(row), Rating.Good if correct else Rating.Again, now)
    if not correct:
        row.lapses += 1
    row.last_review_at = now
    _save(row, card)
    return card.due


def due_cards(s: Session, user_id: str, now: datetime, limit: int = 20) -> list[ReviewCard]:
    """Cards due now, the most overdue first."""
    return list(
        s.scalars(
            select(ReviewCard)
            .where(ReviewCard.user_id == user_id, ReviewCard.due_at <= now)
            .order_by(ReviewCard.due_at)
            .limit(limit)
        )
    )


def next_due(s: Session, user_id: str) -> datetime | None:
    """When the next card falls due, if any."""
    return s.scalar(
        select(ReviewCard.due_at)
        .where(ReviewCard.user_id == user_id)
        .order_by(ReviewCard.due_at)
        .limit(1)
    )


def review_item(s: Session, card: ReviewCard, rng: random.Random) -> Question:
    """The question to show for a card: the item itself or a generated twin."""
    q = s.get(Question, card.question_id)
    assert q is not None
    if q.generator is None:
        return q
    item = generators.make(q.generator, rng.randrange(1, 10**6), q.difficulty)  # type: ignore[arg-type]
    return store_item(s, item)


def error_log(s: Session, user_id: str, limit: int = 15) -> list[tuple[Response, Question]]:
    """The newest misses (wrong or skipped), with their questions."""
    return list(
        s.execute(
            select(Response, Question)
            .join(Question, Question.question_id == Response.question_id)
            .where(
                Response.user_id == user_id,
                Response.correct.is_(False),
                Response.is_pretest.is_(False),
            )
            .order_by(Response.timestamp.desc(), Response.id.desc())
            .limit(limit)
        ).all()
    )
