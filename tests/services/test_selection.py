"""Choosing the next question when generators compete with stored items."""

from __future__ import annotations

import random

from sqlalchemy import func, select

from core.content import generators
from core.db.engine import Database
from core.db.models import Question
from core.services.questions import PoolCache
from core.services.selection import pick


def _generated_count(db: Database) -> int:
    with db.uow() as s:
        return s.scalar(
            select(func.count()).select_from(Question).where(Question.generator.is_not(None))
        )


def test_generated_items_are_made_when_needed_and_then_shared(db: Database) -> None:
    """Stored choices used up: an item is made; the next student making the
    same choice is served it; a student who has seen it gets a new one."""
    skill = "ratios_rates"
    assert generators.by_skill(skill)
    cache = PoolCache(use_generators=True)
    with db.uow() as s:
        bank = set(s.scalars(select(Question.question_id).where(Question.skill == skill)))
    before = _generated_count(db)

    def choose(seen: set[str]) -> Question:
        with db.uow() as s:
            cache._checked = 0.0  # see new rows at once, not after CHECK_EVERY
            q = pick(s, cache, [skill], 0.0, seen, random.Random(7), rule="target")
            assert q is not None
            return q

    first = choose(set(bank))  # only generated candidates left: one is made
    assert first.generator is not None and first.question_id not in bank
    assert _generated_count(db) == before + 1
    again = choose(set(bank))  # another student, same choice: the stored twin
    assert again.question_id == first.question_id
    assert _generated_count(db) == before + 1
    fresh = choose(bank | {first.question_id})  # seen it: a new one is made
    assert fresh.question_id not in bank | {first.question_id}
    assert _generated_count(db) == before + 2


def test_students_share_generated_items_instead_of_each_getting_a_new_one(db: Database) -> None:
    """Thirty new students whose stored choices are used up: a new item is
    made only where no unseen twin at that difficulty is stored (three
    difficulties: at most three items), not one per student."""
    skill = "ratios_rates"
    cache = PoolCache(use_generators=True)
    with db.uow() as s:
        bank = set(s.scalars(select(Question.question_id).where(Question.skill == skill)))
    before = _generated_count(db)
    served = []
    for student in range(30):
        with db.uow() as s:
            cache._checked = 0.0
            rng = random.Random(student)
            q = pick(s, cache, [skill], rng.gauss(0, 1.5), set(bank), rng, rule="target")
            assert q is not None and q.question_id not in bank
            served.append(q.question_id)
    assert _generated_count(db) - before <= 3
    assert len(set(served)) <= 3
