"""The answer path's plain statements: question copies, tokens, points, responses.

The hot path writes some rows past the ORM's unit of work and serves
questions from per-process copies (see bench/load.py and docs/benchmarks.md).
These tests pin what that must not change: a copy follows a re-calibrated,
edited or retired question; a token made in a transaction is stored when it
commits and forgotten when it rolls back; points awarded by two processes
at once both count; a response written this way is seen by the selection
in the same transaction; a changed row written with a plain UPDATE is saved
and leaves the session clean, and what such an UPDATE cannot do is left to
the flush.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select, update

from core.chat.errors import UserError
from core.chat.tokens import new_token, resolve
from core.db.engine import Database
from core.db.models import ActionToken, PointsEntry, PracticeSession, Question, User
from core.db.plain import write_changes, write_dirty
from core.services import practice
from core.services.points import award
from core.services.questions import Checked, PoolCache, seen_question_ids
from core.services.selection import pick
from tests.db import factories

NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


def _user(db: Database) -> str:
    with db.uow() as s:
        return factories.user(s, "Ana", created_at=NOW).user_id


def _stale(cache: PoolCache) -> None:
    cache._checked = 0.0  # as if CHECK_EVERY had passed


def test_a_question_copy_follows_calibration_and_retirement(db: Database) -> None:
    cache = PoolCache(use_generators=False)
    with db.uow() as s:
        first, second = s.scalars(select(Question.question_id).limit(2)).all()
        copy = cache.question(s, first)
        other = cache.question(s, second)
        assert copy is not None and other is not None
        assert cache.question(s, first) is copy  # served from the copy, no query
        assert copy not in s  # no session owns it
        old_a = copy.a_param
    with db.uow() as s:  # a calibration moves the parameters (and updated_at)
        s.execute(
            update(Question)
            .where(Question.question_id == first)
            .values(a_param=old_a + 0.5, calibrated_at=NOW, updated_at=datetime.now(UTC))
        )
    with db.uow() as s:
        assert cache.question(s, first) is copy  # not yet: the version is checked every 2 s
        _stale(cache)
        fresh = cache.question(s, first)
        assert fresh is not copy and fresh is not None
        assert fresh.a_param == pytest.approx(old_a + 0.5)
        assert cache.question(s, second) is other  # unchanged questions keep their copies
    with db.uow() as s:
        s.execute(update(Question).where(Question.question_id == second).values(retired=True))
    with db.uow() as s:
        _stale(cache)
        again = cache.question(s, second)
        assert again is not other  # a retired question's copy is dropped…
        assert again is not None and again.retired  # …and an open session can still show it
        assert cache.question(s, "no-such-question") is None


def test_a_token_is_stored_at_commit_and_forgotten_on_rollback(db: Database) -> None:
    user_id = _user(db)
    with db.uow() as s:
        kept = new_token(s, user_id, "answer", {"question": "q1"}, NOW)
        # Resolving it in the same transaction stores it first.
        pressed = resolve(s, f"{kept}.A", user_id, NOW)
        assert pressed.row.payload == {"question": "q1"} and pressed.arg == "A"
        also = new_token(s, user_id, "after", {"question": "q1"}, NOW)
    with db.uow() as s:
        lost = new_token(s, user_id, "answer", {"question": "q2"}, NOW)
        s.rollback()
    with db.uow() as s:
        stored = set(s.scalars(select(ActionToken.token)))
        assert stored == {kept, also}
        with pytest.raises(UserError):
            resolve(s, f"{lost}.A", user_id, NOW)


def test_points_awarded_by_two_processes_at_once_both_count(db: Database) -> None:
    """The award adds in the database: neither overwrites the other's total."""
    if db.engine.dialect.name == "sqlite":
        pytest.skip("two writers at once: run on PostgreSQL (SQLite serialises writers)")
    user_id = _user(db)
    loaded = threading.Barrier(2)

    def one(ref: str) -> None:
        with db.uow() as s:
            user = s.get(User, user_id)
            assert user is not None and (user.points or 0) == 0
            loaded.wait(timeout=10)  # both have read 0 before either awards
            assert award(s, user, 10, "answer", ref, NOW) == 10
            assert user.points == 10  # the loaded row follows, without a flush

    threads = [threading.Thread(target=one, args=(f"r{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    with db.uow() as s:
        assert s.get(User, user_id).points == 20  # type: ignore[union-attr]
        assert s.scalar(select(func.count()).select_from(PointsEntry)) == 2


def test_a_recorded_response_is_seen_in_the_same_transaction(db: Database) -> None:
    user_id = _user(db)
    cache = PoolCache(use_generators=False)
    with db.uow() as s:
        q = s.scalars(select(Question).where(Question.section == "math").limit(1)).one()
        session = PracticeSession(
            user_id=user_id,
            test_type="practice",
            section="math",
            status="active",
            started_at=NOW,
            target_count=10,
            state={"skills": [q.skill], "rule": "target"},
            current_question_id=q.question_id,
            asked_at=NOW,
        )
        s.add(session)
        s.flush()
        assert seen_question_ids(s, user_id) == set()  # remembered for the transaction
        stored = practice.record(s, session, q, Checked("A", True), NOW, points=10, clear=False)
        assert stored.id > 0 and stored.time_spent == 0
        assert seen_question_ids(s, user_id) == {q.question_id}
        # The selection never offers it again, here or later.
        import random

        for seed in range(20):
            nxt = pick(s, cache, [q.skill], 0.0, seen_question_ids(s, user_id), random.Random(seed))
            assert nxt is None or nxt.question_id != q.question_id
    with db.uow() as s:
        assert seen_question_ids(s, user_id) == {q.question_id}


def _session(user_id: str, q: Question, **kw: object) -> PracticeSession:
    return PracticeSession(
        user_id=user_id,
        test_type=kw.pop("test_type", "practice"),
        section=q.section,
        status="active",
        started_at=kw.pop("started_at", NOW),
        target_count=10,
        state={"skills": [q.skill], "rule": "target"},
        current_question_id=q.question_id,
        asked_at=NOW,
        **kw,
    )


def test_answers_from_the_history_match_the_query_and_follow_new_answers(db: Database) -> None:
    """``answered_in`` from the user's history and the copies: the same rows,
    in the same order, as its own query, including answers stored in this
    transaction (plain and ORM); a question with no copy falls back to the query."""
    user_id = _user(db)
    cache = PoolCache(use_generators=False)
    with db.uow() as s:
        qs = s.scalars(select(Question).where(Question.section == "math").limit(4)).all()
        session = _session(user_id, qs[0])
        s.add(session)
        s.flush()
        for q, right in zip(qs[:3], (True, False, True), strict=True):
            cache.question(s, q.question_id)
            session.asked_at = NOW
            practice.record(s, session, q, Checked("A", right), NOW, clear=False)
        sid = session.session_id
    with db.uow() as s:
        queried = practice.answered_in(s, sid)
        remembered = practice.answered_in(s, sid, user_id, cache)
        assert [r.correct for r in queried] == [True, False, True]
        assert remembered == queried
        session = s.get(PracticeSession, sid)
        assert session is not None
        practice.record(s, session, qs[3], Checked("B", False), NOW, clear=False)
        cache.question(s, qs[3].question_id)
        assert practice.answered_in(s, sid, user_id, cache) == practice.answered_in(s, sid)
        assert len(practice.answered_in(s, sid, user_id, cache)) == 4
    with db.uow() as s:
        cold = PoolCache(use_generators=False)  # another process: no copies yet
        assert practice.answered_in(s, sid, user_id, cold) == practice.answered_in(s, sid)


def test_the_running_session_is_read_once_per_transaction(db: Database) -> None:
    user_id = _user(db)
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_rest) -> None:  # type: ignore[no-untyped-def]
        if "FROM practice_sessions" in statement:
            statements.append(statement)

    with db.uow() as s:
        q = s.scalars(select(Question).limit(1)).one()
        assert practice.active_session(s, user_id) is None
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert practice.active_session(s, user_id) is None  # remembered
            assert statements == []
            first = _session(user_id, q)
            s.add(first)  # pending: read again (the query's autoflush finds it)
            assert practice.active_session(s, user_id) is first
            assert practice.active_session(s, user_id) is first
            assert len(statements) == 1
            newer = _session(user_id, q, started_at=NOW.replace(hour=16))
            s.add(newer)
            s.flush()  # flushed since: read again
            assert practice.active_session(s, user_id) is newer
            newer.status = "finished"  # no longer running: read again
            assert practice.active_session(s, user_id) is first
            assert len(statements) == 3
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    with db.uow() as s:
        found = practice.active_session(s, user_id)
        assert found is not None and found.session_id == first.session_id
        with db.uow() as other:  # another process ends it
            ended = other.get(PracticeSession, first.session_id)
            assert ended is not None
            ended.status = "abandoned"
        assert practice.active_session(s, user_id) is found  # this transaction's answer
        s.rollback()
        assert practice.active_session(s, user_id) is None  # the next one reads again


def test_changed_rows_are_written_as_plain_updates_and_left_clean(db: Database) -> None:
    user_id = _user(db)
    with db.uow() as s:
        q1, q2 = s.scalars(select(Question.question_id).limit(2)).all()
        session = PracticeSession(
            user_id=user_id, test_type="practice", status="active", started_at=NOW, state={}
        )
        s.add(session)
        s.flush()
        session_id = session.session_id
    with db.uow() as s:
        session = s.get(PracticeSession, session_id)
        user = s.get(User, user_id)
        assert session is not None and user is not None
        session.current_question_id = q1
        session.asked_at = NOW
        session.state = {"skills": ["x"], "pos": 3}  # JSON, assigned
        user.display_name = "Ana B."
        write_dirty(s)
        assert not s.dirty  # the closing flush has nothing to do
        with s.connection().begin_nested():  # a second change of the same row works too
            session.current_question_id = q2
            assert write_changes(s, session)
    with db.uow() as s:
        session = s.get(PracticeSession, session_id)
        assert session is not None and session.current_question_id == q2
        assert session.state == {"skills": ["x"], "pos": 3}
        assert session.asked_at is not None and s.get(User, user_id).display_name == "Ana B."  # type: ignore[union-attr]


def test_what_the_plain_update_cannot_do_is_left_to_the_flush(db: Database) -> None:
    user_id = _user(db)
    with db.uow() as s:
        q = s.scalars(select(Question).limit(1)).one()
        user = s.get(User, user_id)
        assert user is not None
        before = q.updated_at
        q.explanation = q.explanation + " "  # updated_at has an onupdate: the ORM fills it in
        assert not write_changes(s, q)
        assert q in s.dirty
        user.display_name = "Bo"
        s.add(PracticeSession(user_id=user_id, test_type="practice", started_at=NOW, state={}))
        write_dirty(s)  # a row to insert: all of it goes through the flush, in its order
        assert user in s.dirty and q in s.dirty
    with db.uow() as s:
        q2 = s.get(Question, q.question_id)
        assert q2 is not None and q2.explanation.endswith(" ") and q2.updated_at != before
        assert s.get(User, user_id).display_name == "Bo"  # type: ignore[union-attr]
        assert s.scalar(select(func.count()).select_from(PracticeSession)) == 1
        s.execute(  # leave the shared bank as it was
            update(Question)
            .where(Question.question_id == q.question_id)
            .values(explanation=q.explanation.rstrip(" "))
        )


def test_question_copies_survive_a_pool_rebuild_while_threads_add_copies(db: Database) -> None:
    """Under load a thread added a copy while another rebuilt the pool and
    iterated the copies: "dictionary changed size during iteration"."""
    import sys

    if db.engine.dialect.name != "sqlite":
        pytest.skip("a race in the process's memory: once, on the embedded engine, is enough")

    cache = PoolCache(use_generators=False)
    with db.uow() as s:
        ids = list(s.scalars(select(Question.question_id)))
    failures: list[BaseException] = []
    stop = threading.Event()

    def reader(offset: int) -> None:
        try:
            with db.uow() as s:
                i = offset
                while not stop.is_set():
                    cache._questions.pop(ids[i % len(ids)], None)  # a miss: a copy is added
                    assert cache.question(s, ids[i % len(ids)]) is not None
                    i += 1
        except BaseException as exc:  # reported below, not lost in the thread
            failures.append(exc)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # hand the GIL over as often as possible
    threads = [threading.Thread(target=reader, args=(k * 7,)) for k in range(3)]
    try:
        for t in threads:
            t.start()
        with db.uow() as s:
            for _ in range(60):
                cache._pool, cache._checked = None, 0.0  # rebuild on the next get
                cache.get(s)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
        sys.setswitchinterval(interval)
    assert not failures, failures[0]
