"""Syncing worksheet answers: idempotent, partial, malformed and concurrent
submissions end exactly where answering the same items live once ends."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError

from core.chat.messages import Document, Incoming
from core.db.models import (
    ActivityDay,
    PointsEntry,
    PracticeSession,
    Proficiency,
    Question,
    Response,
    ReviewCard,
    TestModule,
    TestModuleItem,
    User,
    Worksheet,
    WorksheetItem,
)
from core.services import sync as sync_service
from core.services.sync import Entry, parse_message
from tests.chat.conversation import Chat, texts
from tests.chat.synthetic_bank import key_for

# --------------------------------------------------------------------------
# The grammar
# --------------------------------------------------------------------------


def test_grammar_accepts_the_documented_forms() -> None:
    parsed = parse_message("W-7F3K 1A 2 c 3:B 4.d 5) A 6=b 7 7/2 8 -1.5 9:.5 10=3")
    assert parsed.code == "W-7F3K"
    assert parsed.problems == []
    assert parsed.entries == [
        Entry(1, "A"),
        Entry(2, "C"),
        Entry(3, "B"),
        Entry(4, "D"),
        Entry(5, "A"),
        Entry(6, "B"),
        Entry(7, "7/2"),
        Entry(8, "-1.5"),
        Entry(9, ".5"),
        Entry(10, "3"),
    ]
    assert parse_message("w7f3k, 1a; 2B").entries == [Entry(1, "A"), Entry(2, "B")]


def test_grammar_lists_what_it_cannot_read() -> None:
    parsed = parse_message("W-7F3K 1A hello 2 3C 4B 4D 5B 5B")
    assert parsed.entries == [Entry(1, "A"), Entry(3, "C"), Entry(5, "B")]
    problems = "\n".join(parsed.problems)
    assert "“hello”" in problems
    assert "“2”: a question number with no answer" in problems
    assert "4: given twice with different answers (B, D)" in problems
    with pytest.raises(ValueError):
        parse_message("1A 2B")


@given(
    st.lists(
        st.tuples(
            st.integers(1, 30),
            st.sampled_from(["A", "B", "C", "D", "7/2", "-1.5", "12", ".25"]),
            st.sampled_from(["", " ", ":", ": "]),
        ),
        max_size=12,
        unique_by=lambda t: t[0],
    )
)
def test_grammar_round_trips(entries: list[tuple[int, str, str]]) -> None:
    parts = []
    for position, answer, sep in entries:
        if not answer[0].isalpha() and sep == "":
            sep = " "  # a number right after a number would be one number
        parts.append(f"{position}{sep}{answer}")
    parsed = parse_message("W-ABCD " + " ".join(parts))
    assert parsed.problems == []
    assert parsed.entries == [Entry(p, a) for p, a, _ in entries]


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def _db(chat: Chat):  # type: ignore[no-untyped-def]
    return chat.dispatcher.app.db


def _make_sheet(chat: Chat, line: str) -> tuple[str, list[tuple[int, Question]]]:
    out = chat.send(line)
    docs = [m for m in out if isinstance(m, Document)]
    assert docs, texts(out)
    code = docs[0].filename.removeprefix("worksheet-").removesuffix(".pdf")
    with _db(chat).uow() as s:
        rows = s.execute(
            select(WorksheetItem.position, Question)
            .join(Question, Question.question_id == WorksheetItem.question_id)
            .where(WorksheetItem.worksheet_code == code)
            .order_by(WorksheetItem.position)
        ).all()
        for _, q in rows:
            s.expunge(q)
    return code, [(p, q) for p, q in rows]


def _value(q: Question, correct: bool) -> str:
    return key_for(q.question_id, correct, q.type == "spr", q.text)


def _entries(items: list[tuple[int, Question]], pattern: Callable[[int], bool]) -> list[str]:
    out = []
    for position, q in items:
        value = _value(q, pattern(position))
        if q.type == "spr":
            out.append(f"{position} {value}")
        else:
            out.append(f"{position}{value}" if position % 2 else f"{position}: {value.lower()}")
    return out


def pattern(position: int) -> bool:
    return position % 3 != 0


def _state(chat: Chat, user_id: str) -> dict[str, object]:
    """Everything answering changes, in a form two users can be compared by."""
    with _db(chat).uow() as s:
        responses = sorted(
            s.execute(
                select(Response.question_id, Response.answer, Response.correct).where(
                    Response.user_id == user_id
                )
            ).all()
        )
        latest: dict[tuple[str, str | None, str | None, str], float] = {}
        for p in s.scalars(
            select(Proficiency)
            .where(Proficiency.user_id == user_id)
            .order_by(Proficiency.timestamp, Proficiency.id)
        ):
            latest[(p.scope, p.section, p.domain, p.skill)] = round(p.theta, 9)
        user = s.get(User, user_id)
        assert user is not None
        return {
            "responses": responses,
            "points": user.points,
            "ledger": s.scalar(
                select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
                    PointsEntry.user_id == user_id
                )
            ),
            "proficiencies": latest,
            "review": sorted(
                s.scalars(select(ReviewCard.question_id).where(ReviewCard.user_id == user_id))
            ),
            "questions_today": sum(
                s.scalars(select(ActivityDay.questions).where(ActivityDay.user_id == user_id))
            ),
        }


def _user_id(chat: Chat) -> str:
    from core.db.models import Identity

    with _db(chat).uow() as s:
        return s.scalars(select(Identity.user_id).where(Identity.external_id == chat.user_id)).one()


def _live_control(chat: Chat, items: list[tuple[int, Question]]) -> str:
    """Answer the same items once, live, through practice; return the user id."""
    chat.send("/practice algebra")
    uid = _user_id(chat)
    for position, q in items:
        with _db(chat).uow() as s:
            session = s.scalars(
                select(PracticeSession).where(
                    PracticeSession.user_id == uid, PracticeSession.status == "active"
                )
            ).one()
            session.current_question_id = q.question_id
            session.asked_at = None
        out = texts(chat.send(_value(q, pattern(position))))
        assert "Correct" in out or "Not quite" in out, out
    assert "Session complete" in texts(chat.send("/stop"))
    return uid


def _counts(chat: Chat) -> tuple[int, int, int, int]:
    with _db(chat).uow() as s:
        return (
            s.scalar(select(func.count()).select_from(Response)),
            s.scalar(select(func.count()).select_from(PointsEntry)),
            s.scalar(select(func.count()).select_from(Proficiency)),
            s.scalar(select(func.count()).select_from(ReviewCard)),
        )


# --------------------------------------------------------------------------
# Sync equals live
# --------------------------------------------------------------------------

SCENARIOS = ["twice", "halves", "malformed", "concurrent"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_sync_ends_where_live_answering_ends(
    chat_factory: Callable[..., Chat],
    scenario: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if scenario == "concurrent" and "sqlite" in request.node.callspec.id:
        pytest.skip("two writers at once: run on PostgreSQL (SQLite serialises writers)")
    student = chat_factory("2001")
    code, items = _make_sheet(student, "/worksheet algebra 8")
    assert len(items) == 8
    entries = _entries(items, pattern)
    message = f"{code} " + " ".join(entries)

    if scenario == "twice":
        first = texts(student.send(message))
        assert "Synced 8 new answer(s)" in first and "Complete" in first
        before = _counts(student)
        second = texts(student.send(message))
        assert "Already synced, nothing changed: 8" in second
        assert "Synced" not in second.replace("Already synced", "")
        assert _counts(student) == before
    elif scenario == "halves":
        first = texts(student.send(f"{code} " + " ".join(entries[:4])))
        assert "Synced 4 new answer(s)" in first and "4 to go" in first
        second = texts(student.send(message))  # the whole sheet: fills only the rest
        assert "Synced 4 new answer(s)" in second and "Already synced, nothing changed: 4" in second
        assert "Complete" in second
    elif scenario == "malformed":
        mcq = next(p for p, q in items if q.type == "mcq" and p > 4)
        bad = [f"{mcq}:7/2", "hello", "9B", "2"]
        out = texts(student.send(f"{code} " + " ".join(entries[:4] + bad)))
        assert "Synced 4 new answer(s)" in out and "Please fix and send again" in out
        assert "“hello”" in out and "has no question 9" in out
        assert f"{mcq}: “7/2” — Choose A, B, C or D" in out
        assert "“2”: a question number with no answer" in out
        with _db(student).uow() as s:
            assert s.scalar(select(func.count()).select_from(Response)) == 4
        out = texts(student.send(message))
        assert "Complete" in out
    else:
        barrier = threading.Barrier(2)
        replies: list[str] = []
        collisions: list[str] = []
        # Hold each sync open (answers inserted, not committed) until the other
        # one arrives or 2 s pass: the two transactions then surely overlap and
        # meet on the unique constraints, which is the path under test.
        gate = threading.Barrier(2, timeout=2)
        original = sync_service._Sync.finish

        def held_finish(self, sheets):  # type: ignore[no-untyped-def]
            with contextlib.suppress(threading.BrokenBarrierError):
                gate.wait()
            return original(self, sheets)

        def on_error(context) -> None:  # type: ignore[no-untyped-def]
            if isinstance(context.sqlalchemy_exception, IntegrityError):
                collisions.append(str(context.original_exception)[:80])

        monkeypatch.setattr(sync_service._Sync, "finish", held_finish)
        engine = _db(student).engine
        event.listen(engine, "handle_error", on_error)

        def run(chat: Chat) -> None:
            barrier.wait()
            replies.append(texts(chat.send(message)))

        twins = [chat_factory("2001"), chat_factory("2001")]
        threads = [threading.Thread(target=run, args=(c,)) for c in twins]
        try:
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=60)
        finally:
            event.remove(engine, "handle_error", on_error)
        assert len(replies) == 2, replies
        assert any("Synced 8 new answer(s)" in r for r in replies), replies
        assert any("Already synced, nothing changed: 8" in r for r in replies), replies
        assert collisions, "the two syncs did not meet on a unique constraint"

    with _db(student).uow() as s:
        per_item = s.execute(
            select(WorksheetItem.position, func.count(Response.id))
            .outerjoin(Response, Response.id == WorksheetItem.response_id)
            .where(WorksheetItem.worksheet_code == code)
            .group_by(WorksheetItem.position)
        ).all()
        assert sorted(per_item) == [(p, 1) for p in range(1, 9)]
        sheet = s.get(Worksheet, code)
        assert sheet is not None
        session = s.get(PracticeSession, sheet.session_id)
        assert session is not None and session.status == "finished"
        assert s.scalar(select(func.count()).select_from(Response)) == 8

    control = _live_control(chat_factory("3001"), items)
    mine, theirs = _state(student, _user_id(student)), _state(student, control)
    assert mine == theirs
    assert mine["points"] > 0 and mine["review"]


# --------------------------------------------------------------------------
# Refusals and conflicts
# --------------------------------------------------------------------------


def test_no_overwrite_and_other_peoples_sheets_are_not_found(
    chat_factory: Callable[..., Chat],
) -> None:
    student, intruder = chat_factory("2002"), chat_factory("2004")
    code, items = _make_sheet(student, "/worksheet linear_systems 3")
    position, q = items[0]
    right, wrong = _value(q, True), _value(q, False)
    sep = " " if q.type == "spr" else ""
    student.send(f"{code} {position}{sep}{right}")
    out = texts(student.send(f"{code} {position}{sep}{wrong}"))
    assert "Not overwritten" in out and f"already synced as {right}" in out
    # Someone else's code reads exactly like a code that does not exist.
    theirs = texts(intruder.send(f"{code} 2B 3B"))
    nobody = texts(intruder.send("W-ZZZZ 2B 3B"))
    assert f"I can't find worksheet {code}" in theirs
    assert theirs.replace(code, "W-ZZZZ") == nobody
    with _db(student).uow() as s:
        assert list(s.scalars(select(Response.answer))) == [right]


def _send_file(chat: Chat, data: bytes) -> list:  # type: ignore[type-arg]
    incoming = Incoming.parse(chat.platform, chat.user_id, "/sync", attachment=data)  # type: ignore[arg-type]
    return chat._send(incoming)


def _json(answers: list[dict[str, object]]) -> bytes:
    return json.dumps({"answers": answers}).encode()


def test_json_sync_is_idempotent_and_refuses_what_it_should(
    chat_factory: Callable[..., Chat], clock
) -> None:  # type: ignore[no-untyped-def]
    student = chat_factory("2005")
    code, items = _make_sheet(student, "/worksheet percentages 3")
    uid = _user_id(student)
    clock.advance(minutes=30)  # answered offline after the sheet was made
    (p1, q1), (p2, q2) = items[0], items[1]
    # A closed timed module of this student, and an answer made after it closed.
    with _db(student).uow() as s:
        late_q = s.scalars(
            select(Question).where(Question.skill == "circles").order_by(Question.question_id)
        ).first()
        assert late_q is not None
        test = PracticeSession(user_id=uid, test_type="section", status="active", timed=True)
        s.add(test)
        s.flush()
        module = TestModule(
            session_id=test.session_id,
            position=0,
            section="math",
            stage=1,
            route="broad",
            time_limit_s=2100,
            started_at=clock.now - timedelta(hours=1),
            deadline_at=clock.now - timedelta(minutes=25),
            ended_at=clock.now - timedelta(minutes=25),
        )
        s.add(module)
        s.flush()
        s.add(TestModuleItem(module_id=module.id, position=0, question_id=late_q.question_id))
        late_qid = late_q.question_id
    answers = [
        {"client_id": "dev-1", "question_id": q1.question_id, "answer": _value(q1, True)},
        {
            "client_id": "dev-2",
            "question_id": q2.question_id,
            "answer": _value(q2, False),
            "answered_at": (clock.now - timedelta(minutes=5)).isoformat(),
        },
        {
            "client_id": "dev-3",
            "question_id": late_qid,
            "answer": "B",
            "answered_at": (clock.now - timedelta(minutes=10)).isoformat(),
        },
        {"client_id": "dev-4", "question_id": "t-probability-00", "answer": "B"},
        {"client_id": "dev-5", "question_id": q1.question_id},
        "nonsense",
    ]
    out = texts(_send_file(student, _json(answers)))
    assert "Synced 2 new answer(s)" in out
    assert "too late: its timed test module closed" in out
    assert "not on an open worksheet of yours" in out
    assert "answer 5: answer missing" in out and "answer 6: not an object" in out
    assert f"{code}: " in out and "2/3 answered" in out
    before = _counts(student)
    again = texts(_send_file(student, _json(answers[:2])))
    assert "Already synced, nothing changed: 2" in again
    assert _counts(student) == before
    reused = texts(
        _send_file(
            student,
            _json(
                [{"client_id": "dev-1", "question_id": q1.question_id, "answer": _value(q1, False)}]
            ),
        )
    )
    assert "Not overwritten" in reused
    with _db(student).uow() as s:
        stamp = s.scalar(select(Response.timestamp).where(Response.client_id == "dev-2"))
        assert stamp == clock.now - timedelta(minutes=5)
    assert "isn't valid JSON" in texts(_send_file(student, b"{oops"))
    assert 'needs an "answers" list' in texts(_send_file(student, b"[]"))
    assert _counts(student) == before
    assert (p1, p2) == (1, 2)
