"""The answer path stays cheap: how many SQL statements one answer costs.

Load (bench/load.py) is bounded by round trips and ORM work per answer, so
the count is pinned here, on both engines: a change that adds a query to
every answer fails this test instead of quietly costing throughput. The
figures are the steady state (after the first answer of the day, which
also counts the streak and may join a league): 10 statements per practice
answer (10 to 12) and 10 per test answer when measured on 2026-11-25
(session 4; 13 and 13 in session 3), plus one insert of the platform's
update id when the event carries one. Fewer rows go through the ORM's unit
of work since session 3 (see tests/chat/test_fast_writes.py), which cut
CPU, not statements; session 4 reads the user's responses once per answer
(the seen set and the session's answers from one query), loads a pressed
button's session with its token, puts a first miss on the review schedule
with one insert, and a test answer reads its module's answers once and its
module with its items.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, func, select

from core.db.engine import Database
from core.db.models import ActivityDay, PointsEntry, Response
from tests.chat.conversation import Chat

MAX_PER_ANSWER = 12
MEDIAN_PER_ANSWER = 10
MAX_PER_TEST_ANSWER = 11


@contextmanager
def counting(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_rest) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement.split(None, 1)[0].upper())

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _answer(chat: Chat, right: bool) -> None:
    labels = [b.label for b in chat.buttons()]
    if "A" in labels:
        chat.press("B" if right else "C")
    else:
        chat.send("3" if right else "-999")


def test_an_answer_costs_a_bounded_number_of_statements(chat: Chat, db: Database) -> None:
    chat.send("/practice math")
    _answer(chat, True)  # the first answer of the day also counts the streak
    costs = []
    for i in range(6):
        with counting(db) as statements:
            _answer(chat, i % 2 == 0)
        assert "SELECT" in statements and "INSERT" in statements
        costs.append(len(statements))
    assert max(costs) <= MAX_PER_ANSWER, costs
    assert statistics.median(costs) <= MEDIAN_PER_ANSWER, costs
    # And the cheap path still records everything: 7 answers, one activity row
    # counting them, points for the right ones through the ledger.
    with db.uow() as s:
        user_id = s.scalar(select(Response.user_id).limit(1))
        assert s.scalar(select(func.count()).select_from(Response)) == 7
        day = s.scalar(select(ActivityDay).where(ActivityDay.user_id == user_id))
        assert day is not None and day.questions == 7
        rights = s.scalar(select(func.count()).select_from(Response).where(Response.correct))
        ledger = s.scalar(select(func.count()).select_from(PointsEntry))
        assert ledger == rights


def test_a_test_answer_costs_a_bounded_number_of_statements(chat: Chat, db: Database) -> None:
    chat.send("/test rw untimed")
    chat.press("A")  # the first answer of the day also counts the streak
    costs = []
    for _ in range(5):
        with counting(db) as statements:
            chat.press("B")
        costs.append(len(statements))
    assert max(costs) <= MAX_PER_TEST_ANSWER, costs
    with db.uow() as s:
        assert s.scalar(select(func.count()).select_from(Response)) == 6
