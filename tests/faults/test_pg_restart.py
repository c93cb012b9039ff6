"""PostgreSQL restarted in the middle of a load run (issue #12).

Answers in flight are either stored once or refused with a retry message,
none is lost silently, and the bot recovers without a restart.

The server is a private one (:mod:`tests.faults.pg_private`), never the
machine's shared PostgreSQL. Simulated students (threads) answer /practice
questions through ONE real ``Dispatcher(build_app(db))``; every event carries
an event id, as a platform update does. A student who gets a retry message
redelivers the same event (same id) after a short pause, as Telegram
redelivers an unacknowledged update. In the middle, the server is restarted
(``pg_ctl restart -m fast`` / ``-m immediate``); the engine and the
dispatcher are never recreated. At the end every answer is checked against
the database.

The figures (refused events, recovery time, answers) are printed: run with
``-s`` to see them::

    pytest tests/faults/test_pg_restart.py -s
    pytest -m slow tests/faults/test_pg_restart.py -s     # the heavier variants
"""

from __future__ import annotations

import itertools
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from bot.wiring import build_app
from core.chat.dispatcher import Dispatcher
from core.chat.messages import Edit, Incoming, Outgoing, Text
from core.db.engine import Database, make_engine
from core.db.migrate import upgrade
from core.db.models import (
    ActivityDay,
    Identity,
    InboundEvent,
    PointsEntry,
    PracticeSession,
    Question,
    Response,
    User,
)
from core.services.questions import import_items
from tests.chat.synthetic_bank import synthetic_items
from tests.faults.pg_private import PrivatePostgres, private_pg  # noqa: F401

TEMPLATE = "satprep_fault_template"
SESSION_LENGTH = 400  # long enough that no student's session ends during a run
REDELIVERY_PAUSE = 0.05  # s before a refused event is redelivered
REDELIVERY_DEADLINE = 30.0  # s an event may stay refused before the test fails
THINK = 0.003  # s between a student's answers
STEM = re.compile(r"\[(\w+)\] What is (\d+) \+ \d+\?")
LEAKS = ("Traceback", "Error:", "psycopg", "sqlalchemy", "Background on this error")
_databases = itertools.count(1)
# How the bot's engine checks pooled connections (make_engine's keywords).
ENGINES = {
    # Nothing checks a pooled connection: recovery rests on the dispatcher alone.
    "no-ping": {"pool_pre_ping": False, "ping_after_idle": None},
    # The product's default: only connections idle for a while are pinged.
    "default": {},
    # A round trip before every transaction, as the product had before.
    "pre-ping": {"pool_pre_ping": True},
}


# --------------------------------------------------------------------------
# Databases on the private server
# --------------------------------------------------------------------------


def _admin(server: PrivatePostgres, sql: str) -> None:
    engine = make_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def pg_template(private_pg: PrivatePostgres) -> str:  # noqa: F811
    """A migrated database holding the synthetic bank, copied for each test."""
    _admin(private_pg, f'CREATE DATABASE "{TEMPLATE}"')
    database = Database.from_url(private_pg.url(TEMPLATE))
    upgrade(database.engine)
    with database.uow() as s:
        import_items(s, synthetic_items(), bank="test")
    database.dispose()
    return TEMPLATE


@pytest.fixture
def fault_url(private_pg: PrivatePostgres, pg_template: str) -> Iterator[str]:  # noqa: F811
    """A fresh copy of the template database on the private server."""
    name = f"fault_{next(_databases)}"
    _admin(private_pg, f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    yield private_pg.url(name)


# --------------------------------------------------------------------------
# Simulated students
# --------------------------------------------------------------------------


def texts(out: list[Outgoing]) -> list[str]:
    return [m.text for m in out if isinstance(m, Text | Edit)]


def is_refusal(out: list[Outgoing]) -> bool:
    """A reply that asks the person to send it again (the dispatcher's SORRY and kin)."""
    return any("try again" in t.lower() for t in texts(out))


def is_ack(out: list[Outgoing]) -> bool:
    """The feedback on a stored answer."""
    return any("✅ Correct!" in t or "❌ Not quite" in t for t in texts(out))


@dataclass(frozen=True)
class Shown:
    """The question on a student's screen: its stem and its buttons."""

    key: tuple[str, int]  # (skill code, n) of the synthetic stem "[code] What is n + n?"
    mcq: bool
    payloads: dict[str, str]

    def answer(self, right: bool) -> str:
        n = self.key[1]
        if self.mcq:
            return "B" if right else "C"  # the synthetic bank's key is always B
        return str(2 * n) if right else str(2 * n + 1)


def shown_question(out: list[Outgoing]) -> Shown | None:
    for m in reversed(out):
        if isinstance(m, Text) and m.text.startswith("Q "):
            match = STEM.search(m.text)
            if match:
                payloads = {b.label: b.payload for row in m.buttons for b in row}
                return Shown((match[1], int(match[2])), "A" in payloads, payloads)
    return None


def stem_key(question_text: str) -> tuple[str, int]:
    match = STEM.search(question_text)
    assert match, question_text
    return match[1], int(match[2])


@dataclass
class Call:
    """One ``Dispatcher.handle`` call."""

    event_id: str
    start: float
    end: float
    refused: bool


@dataclass
class Answer:
    """One answer event and what finally came back for it."""

    student: str
    event_id: str
    key: tuple[str, int]
    value: str
    acked: bool
    reply: str  # the texts of the final reply ("" for none)
    first_sent: float
    done: float
    deliveries: int


@dataclass
class LoadRun:
    dispatcher: Dispatcher
    checker: Database  # the test's own engine, for reads outside the measured events
    calls: list[Call] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    go: threading.Event = field(default_factory=threading.Event)
    parked: int = 0
    errors: list[BaseException] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(100_000))

    def event_id(self) -> str:
        with self.lock:
            return str(next(self._ids))

    def deliver(self, incoming: Incoming) -> tuple[list[Outgoing], int, float]:
        """Deliver until the bot takes it: a refused event comes again, same id."""
        first = time.monotonic()
        deliveries = 0
        while True:
            start = time.monotonic()
            out = self.dispatcher.handle(incoming)
            end = time.monotonic()
            deliveries += 1
            leaked = [t for t in texts(out) if any(word in t for word in LEAKS)]
            assert not leaked, f"internals shown to a user: {leaked}"
            refused = is_refusal(out)
            with self.lock:
                self.calls.append(Call(str(incoming.event_id), start, end, refused))
            if not refused:
                return out, deliveries, first
            if end - first > REDELIVERY_DEADLINE:
                raise AssertionError(
                    f"event {incoming.event_id} still refused after {end - first:.0f} s"
                )
            time.sleep(REDELIVERY_PAUSE)

    def question_in_db(self, ext: str) -> Shown:
        """The student's current question, read by the test (after a reply without one)."""
        deadline = time.monotonic() + REDELIVERY_DEADLINE
        while True:
            try:
                with self.checker.uow() as s:
                    row = s.execute(
                        select(Question.text, Question.type)
                        .join(
                            PracticeSession,
                            PracticeSession.current_question_id == Question.question_id,
                        )
                        .join(Identity, Identity.user_id == PracticeSession.user_id)
                        .where(
                            Identity.platform == "telegram",
                            Identity.external_id == ext,
                            PracticeSession.status == "active",
                        )
                    ).one()
                return Shown(stem_key(row.text), row.type == "mcq", {})
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(REDELIVERY_PAUSE)

    def acked_since(self, since: float) -> Counter[str]:
        with self.lock:
            return Counter(a.student for a in self.answers if a.acked and a.first_sent > since)


class Student:
    def __init__(self, run: LoadRun, index: int, seed: int) -> None:
        self.run = run
        self.ext = str(610_000 + index)
        self.rng = random.Random(seed * 1000 + index)
        self.shown: Shown | None = None

    def start_practice(self) -> None:
        incoming = Incoming.parse(
            "telegram", self.ext, "/practice math", chat_id=self.ext, event_id=self.run.event_id()
        )
        out, _, _ = self.run.deliver(incoming)
        self.shown = shown_question(out)
        assert self.shown is not None, texts(out)

    def answer_one(self) -> Answer:
        run = self.run
        shown = self.shown or run.question_in_db(self.ext)
        value = shown.answer(self.rng.random() < 0.7)
        kw = {"chat_id": self.ext, "event_id": run.event_id()}
        if value in shown.payloads:
            incoming = Incoming("telegram", self.ext, action=shown.payloads[value], **kw)  # type: ignore[arg-type]
        else:  # a grid-in, or the buttons were never seen: type it
            incoming = Incoming("telegram", self.ext, text=value, **kw)  # type: ignore[arg-type]
        out, deliveries, first = run.deliver(incoming)
        answer = Answer(
            self.ext,
            str(incoming.event_id),
            shown.key,
            value,
            is_ack(out),
            " | ".join(texts(out)),
            first,
            time.monotonic(),
            deliveries,
        )
        with run.lock:
            run.answers.append(answer)
        self.shown = shown_question(out)
        assert "Session complete" not in answer.reply and "run out" not in answer.reply
        return answer

    def loop(self) -> None:
        try:
            self.start_practice()
            while not self.run.stop.is_set():
                if not self.run.go.is_set():
                    with self.run.lock:
                        self.run.parked += 1
                    self.run.go.wait()
                    with self.run.lock:
                        self.run.parked -= 1
                    continue
                self.answer_one()
                time.sleep(THINK)
        except BaseException as exc:  # reported by the main thread
            with self.run.lock:
                self.run.errors.append(exc)
            self.run.stop.set()


# --------------------------------------------------------------------------
# One run: load, restart, recover, verify
# --------------------------------------------------------------------------


@dataclass
class Figures:
    label: str
    # Per restart (the worst of several): pg_ctl's time from the command to
    # "ready", and the outage and the recovery as students saw them.
    restart_s: float
    events: int
    deliveries: int  # Dispatcher.handle calls (events + redeliveries)
    refused_calls: int  # deliveries answered with a retry message
    refused_events: int  # distinct events among them
    refused_after_ready: int  # refusals of deliveries made once the server was ready
    outage_s: float  # the first refusal → the first success after the last refusal
    recovered_after_ready_s: float  # that first success, after pg_ctl said "ready"
    max_stall_s: float  # the longest an answer waited until it was taken
    answers_acked: int
    answers_unacked_stored: int  # a reply without feedback, but the answer is stored
    stored: int
    lost: int
    duplicates: int

    def line(self) -> str:
        return (
            f"{self.label}: server down→ready {self.restart_s * 1000:.0f} ms; "
            f"{self.events} events, {self.deliveries} deliveries; refused {self.refused_calls} "
            f"deliveries of {self.refused_events} events ({self.refused_after_ready} after the "
            f"server was ready); outage seen by students {self.outage_s * 1000:.0f} ms, "
            f"answering again {self.recovered_after_ready_s * 1000:+.0f} ms after ready; "
            f"longest wait for one answer {self.max_stall_s * 1000:.0f} ms; answers acknowledged "
            f"{self.answers_acked}, stored without acknowledgement {self.answers_unacked_stored}; "
            f"stored {self.stored}, lost {self.lost}, duplicates {self.duplicates}"
        )


def wait_for(condition, timeout: float, run: LoadRun, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if run.errors:
            raise run.errors[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def everyone_has(run: LoadRun, students: int, answers: int, since: float) -> bool:
    acked = run.acked_since(since)
    return len(acked) == students and min(acked.values()) >= answers


def restart_under_load(
    server: PrivatePostgres,
    url: str,
    *,
    mode: str = "fast",
    engine: str = "no-ping",
    students: int = 6,
    idle: bool = False,
    warm_up: int = 3,
    after: int = 5,
    restarts: int = 1,
    down_for: float = 0.0,
    seed: int = 1,
) -> Figures:
    """Students answer; the server restarts ``restarts`` times; everything is checked."""
    label = (
        f"{'stop, ' + str(down_for) + ' s, start' if down_for else 'restart'} -m {mode}"
        f"{' x' + str(restarts) if restarts > 1 else ''}{' while idle' if idle else ''}, "
        f"engine {engine}, {students} students"
    )
    db = Database(make_engine(url, **ENGINES[engine]))  # type: ignore[arg-type]
    checker = Database.from_url(url)
    settings = SimpleNamespace(
        practice=SimpleNamespace(session_length=SESSION_LENGTH, target_success=0.7)
    )
    dispatcher = Dispatcher(build_app(db, settings=settings, generators=False))
    run = LoadRun(dispatcher, checker)
    run.go.set()
    crowd = [Student(run, i, seed) for i in range(students)]
    threads = [threading.Thread(target=st.loop, name=f"student-{i}") for i, st in enumerate(crowd)]
    windows: list[tuple[float, float]] = []
    try:
        for t in threads:
            t.start()
        wait_for(lambda: everyone_has(run, students, warm_up, 0), 30, run, "the warm-up")
        for _ in range(restarts):
            if idle:  # every pooled connection sits idle while the server goes away
                run.go.clear()
                wait_for(lambda: run.parked == students, 30, run, "the students to pause")
            down = time.monotonic()
            if down_for:
                server.stop(mode)
                time.sleep(down_for)
                server.start_again()
            else:
                server.restart(mode)
            ready = time.monotonic()
            windows.append((down, ready))
            run.go.set()
            since = ready
            wait_for(
                lambda: everyone_has(run, students, after, since),  # noqa: B023
                60,
                run,
                "answers after the restart",
            )
    finally:
        run.stop.set()
        run.go.set()
        for t in threads:
            t.join(timeout=60)
    if run.errors:
        raise run.errors[0]

    # The bot recovered by itself: the same dispatcher takes one more answer
    # from every student at the first delivery.
    for st in crowd:
        answer = st.answer_one()
        assert answer.deliveries == 1 and answer.acked, answer

    figures = verify(run, crowd, label, windows)
    db.dispose()
    checker.dispose()
    print("\n" + figures.line())
    return figures


def verify(
    run: LoadRun, crowd: list[Student], label: str, windows: list[tuple[float, float]]
) -> Figures:
    """Check every answer against the database and compute the figures."""
    lost = duplicates = stored = unacked_stored = 0
    problems: list[str] = []
    with run.checker.uow() as s:
        for st in crowd:
            user_id = s.scalar(
                select(Identity.user_id).where(
                    Identity.platform == "telegram", Identity.external_id == st.ext
                )
            )
            sessions = s.scalars(
                select(PracticeSession).where(PracticeSession.user_id == user_id)
            ).all()
            # The session goes on across the restart: one session, still active.
            if [x.status for x in sessions] != ["active"]:
                problems.append(f"{st.ext}: sessions {[x.status for x in sessions]}")
            rows = s.execute(
                select(Response.answer, Question.text)
                .join(Question, Question.question_id == Response.question_id)
                .where(Response.user_id == user_id)
            ).all()
            in_db = Counter(stem_key(r.text) for r in rows)
            value_in_db = {stem_key(r.text): r.answer for r in rows}
            stored += len(rows)
            duplicates += sum(n - 1 for n in in_db.values() if n > 1)
            mine = [a for a in run.answers if a.student == st.ext]
            sent = Counter(a.key for a in mine)
            duplicates += sum(n - 1 for n in sent.values() if n > 1)  # one question answered twice
            for a in mine:
                if a.key not in in_db:
                    lost += 1
                    problems.append(f"{st.ext}: answer {a} is not in the database")
                elif value_in_db[a.key] != a.value:
                    problems.append(
                        f"{st.ext}: {a.key} stored {value_in_db[a.key]!r}, not {a.value!r}"
                    )
                elif not a.acked:
                    unacked_stored += 1
            phantom = set(in_db) - set(sent)
            duplicates += len(phantom)  # stored, but no event of the student's answered it
            if phantom:
                problems.append(f"{st.ext}: responses no event accounts for: {sorted(phantom)}")
            # Nothing counted twice around the answers: activity and points.
            questions = s.scalar(
                select(func.coalesce(func.sum(ActivityDay.questions), 0)).where(
                    ActivityDay.user_id == user_id
                )
            )
            if questions != len(rows):
                problems.append(
                    f"{st.ext}: activity counts {questions} answers; {len(rows)} stored"
                )
            user = s.get(User, user_id)
            ledger = s.scalar(
                select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
                    PointsEntry.user_id == user_id
                )
            )
            if user is None or user.points != ledger:
                problems.append(f"{st.ext}: points {user and user.points} vs ledger {ledger}")
        handled = s.scalar(select(func.count()).select_from(InboundEvent))
    events = {c.event_id for c in run.calls}
    if handled != len(events):
        problems.append(f"{handled} inbound events stored for {len(events)} events delivered")
    assert not problems, "\n".join(problems[:20])

    refused = [c for c in run.calls if c.refused]
    # Refusals only while the server was down: none of a delivery that ended
    # before the restart began, none of one made once the server was ready.
    early = [c for c in refused if c.end < windows[0][0]]
    assert not early, f"refused before the restart: {early}"
    after_ready = [c for c in refused if not any(c.end >= d and c.start <= r for d, r in windows)]
    outages, recoveries = [], []
    for down, ready in windows:  # per restart: its refusals, then the first success
        mine = [c for c in refused if c.end >= down and c.start <= ready]
        last = max((c.start for c in mine), default=ready)
        recovered = min(c.end for c in run.calls if not c.refused and c.start >= last)
        outages.append(recovered - min(c.start for c in mine) if mine else 0.0)
        recoveries.append(recovered - ready)
    return Figures(
        label=label,
        restart_s=max(r - d for d, r in windows),
        events=len(events),
        deliveries=len(run.calls),
        refused_calls=len(refused),
        refused_events=len({c.event_id for c in refused}),
        refused_after_ready=len(after_ready),
        outage_s=max(outages),
        recovered_after_ready_s=max(recoveries),
        max_stall_s=max(a.done - a.first_sent for a in run.answers if a.done >= windows[0][0]),
        answers_acked=sum(a.acked for a in run.answers),
        answers_unacked_stored=unacked_stored,
        stored=stored,
        lost=lost,
        duplicates=duplicates,
    )


# --------------------------------------------------------------------------
# The fault tests
# --------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_restart_under_load_loses_nothing(
    private_pg: PrivatePostgres,  # noqa: F811
    fault_url: str,
    mode: str,
) -> None:
    """Nothing pings pooled connections: recovery rests on the dispatcher alone."""
    figures = restart_under_load(private_pg, fault_url, mode=mode, engine="no-ping")
    assert figures.lost == 0 and figures.duplicates == 0, figures.line()
    assert figures.refused_after_ready == 0, figures.line()


def test_restart_while_idle_refuses_nothing(
    private_pg: PrivatePostgres,  # noqa: F811
    fault_url: str,
) -> None:
    """Every pooled connection is dead after the restart and nothing pings it:
    the first events after the restart still succeed at their first delivery."""
    figures = restart_under_load(private_pg, fault_url, engine="no-ping", idle=True)
    assert figures.refused_calls == 0, figures.line()
    assert figures.lost == 0 and figures.duplicates == 0, figures.line()


@pytest.mark.slow
@pytest.mark.parametrize("engine", list(ENGINES))
@pytest.mark.parametrize(
    ("mode", "down_for", "restarts"),
    [("fast", 0.0, 3), ("immediate", 0.0, 3), ("fast", 2.0, 1), ("immediate", 2.0, 1)],
    ids=["fast-x3", "immediate-x3", "fast-down-2s", "immediate-down-2s"],
)
def test_restarts_under_heavier_load(
    private_pg: PrivatePostgres,  # noqa: F811
    fault_url: str,
    engine: str,
    mode: str,
    down_for: float,
    restarts: int,
) -> None:
    """16 students, three restarts in a row or a 2 s outage, each engine setting."""
    figures = restart_under_load(
        private_pg,
        fault_url,
        mode=mode,
        engine=engine,
        students=16,
        after=8,
        restarts=restarts,
        down_for=down_for,
    )
    assert figures.lost == 0 and figures.duplicates == 0, figures.line()
    assert figures.refused_after_ready == 0, figures.line()


# --------------------------------------------------------------------------
# Unit level: the dispatcher's retry on a lost connection, by injection
# (SQLite and PostgreSQL through the ``db`` fixture)
# --------------------------------------------------------------------------


def _disconnect_error(db: Database) -> Exception:
    """The DBAPI error each driver raises for a connection that is gone."""
    dbapi = db.engine.dialect.loaded_dbapi
    if db.engine.dialect.name == "sqlite":
        return dbapi.ProgrammingError("Cannot operate on a closed database.")
    return dbapi.OperationalError("server closed the connection unexpectedly")


class Faults:
    """Lose the connection on the next statement or around the next COMMIT."""

    def __init__(self, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
        self.db = db
        self.statements = 0  # the next n statements fail
        self.commits: list[str] = []  # per COMMIT: "before" (not sent) or "after" (landed)
        dialect = db.engine.dialect
        execute, commit = dialect.do_execute, dialect.do_commit

        def do_execute(cursor, statement, parameters, context=None):  # type: ignore[no-untyped-def]
            if self.statements:
                self.statements -= 1
                raise _disconnect_error(db)
            return execute(cursor, statement, parameters, context)

        def do_commit(dbapi_connection):  # type: ignore[no-untyped-def]
            if not self.commits:
                return commit(dbapi_connection)
            when = self.commits.pop(0)
            if when == "after":
                commit(dbapi_connection)
            raise _disconnect_error(db)

        monkeypatch.setattr(dialect, "do_execute", do_execute)
        monkeypatch.setattr(dialect, "do_commit", do_commit)


@pytest.fixture
def faults(db: Database, monkeypatch: pytest.MonkeyPatch) -> Faults:
    return Faults(db, monkeypatch)


def _count(db: Database, model) -> int:  # type: ignore[no-untyped-def]
    with db.uow() as s:
        return int(s.scalar(select(func.count()).select_from(model)))


def _question(chat):  # type: ignore[no-untyped-def]
    out = chat.send("/practice transitions", event_id="e-start")  # multiple choice only
    shown = shown_question(out)
    assert shown is not None and shown.mcq, texts(out)
    return shown


def test_lost_connection_before_commit_is_retried(chat, db: Database, faults: Faults) -> None:  # type: ignore[no-untyped-def]
    shown = _question(chat)
    faults.statements = 1  # the pooled connection is dead: the first statement fails
    out = chat.tap(shown.payloads["B"], event_id="e-1")
    assert is_ack(out) and shown_question(out) is not None, texts(out)
    assert _count(db, Response) == 1


def test_lost_connection_twice_is_refused_and_redelivery_works(
    chat,  # type: ignore[no-untyped-def]
    db: Database,
    faults: Faults,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from core.chat.dispatcher import SORRY

    shown = _question(chat)
    faults.statements = 2  # the retry fails too: the database is down
    out = chat.tap(shown.payloads["B"], event_id="e-1")
    assert texts(out) == [SORRY]
    assert _count(db, Response) == 0
    assert "Traceback" not in caplog.text  # one line per failure, not a traceback each
    out = chat.tap(shown.payloads["B"], event_id="e-1")  # redelivered when it is back
    assert is_ack(out), texts(out)
    assert _count(db, Response) == 1


@pytest.mark.parametrize("landed", [False, True], ids=["not-landed", "landed"])
def test_lost_connection_during_commit_with_event_id(
    chat,  # type: ignore[no-untyped-def]
    db: Database,
    faults: Faults,
    landed: bool,
) -> None:
    """The ambiguous COMMIT: the retry learns the outcome from the InboundEvent row."""
    from core.chat.dispatcher import SAVED_REPLY_LOST

    shown = _question(chat)
    faults.commits = ["after" if landed else "before"]
    out = chat.tap(shown.payloads["B"], event_id="e-1")
    if landed:  # stored by the first attempt: said so, not silence, not twice
        assert texts(out) == [SAVED_REPLY_LOST]
    else:  # rolled back: the retry did it
        assert is_ack(out), texts(out)
    assert _count(db, Response) == 1
    assert chat.tap(shown.payloads["B"], event_id="e-1") == []  # a later redelivery
    assert _count(db, Response) == 1


def test_lost_connection_during_commit_then_database_down(
    chat,  # type: ignore[no-untyped-def]
    db: Database,
    faults: Faults,
) -> None:
    """The known gap: the COMMIT landed but the retry cannot reach the database,
    so the person is told it may not be saved; the platform's redelivery of the
    same event is then a duplicate and gets no reply (the answer is stored once).
    A new press of the same button says "You've already answered that question"."""
    from core.chat.dispatcher import UNSURE

    shown = _question(chat)
    faults.commits, faults.statements = ["after"], 1
    assert texts(chat.tap(shown.payloads["B"], event_id="e-1")) == [UNSURE]
    assert chat.tap(shown.payloads["B"], event_id="e-1") == []
    assert _count(db, Response) == 1
    out = chat.tap(shown.payloads["B"], event_id="e-2")
    assert "already answered" in " ".join(texts(out)), texts(out)
    assert _count(db, Response) == 1


def test_lost_connection_during_commit_without_event_id(
    chat,  # type: ignore[no-untyped-def]
    db: Database,
    faults: Faults,
) -> None:
    """Without an event id nothing can tell a stored event from a lost one, and a
    typed answer applied again would answer the next question: no retry."""
    from core.chat.dispatcher import UNSURE

    _question(chat)
    faults.commits = ["after"]
    out = chat.send("B")  # no event id
    assert texts(out) == [UNSURE]
    assert _count(db, Response) == 1


# --------------------------------------------------------------------------
# Unit level on the private server: connections the server really closed
# --------------------------------------------------------------------------


def _kill_backends(server: PrivatePostgres, database: str) -> int:
    """Terminate every session on ``database`` (ours only: a private server)."""
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", port=server.port, user="postgres", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s",
            (database,),
        )
        (n,) = cur.fetchone()
    conn.close()
    time.sleep(0.05)  # the backends are gone once the signal is handled
    return int(n)


def _warm_pool(db: Database, n: int) -> None:
    """Open ``n`` pooled connections (held at once, then returned)."""
    sessions = [db.sessions() for _ in range(n)]
    for s in sessions:
        s.execute(text("SELECT 1"))
    for s in sessions:
        s.close()


def test_dead_pooled_connections_without_any_ping(
    private_pg: PrivatePostgres,  # noqa: F811
    fault_url: str,
) -> None:
    """No ping at all: every pooled connection was closed by the server; one
    event each from several students succeeds at its first delivery."""
    db = Database(make_engine(fault_url, **ENGINES["no-ping"]))  # type: ignore[arg-type]
    dispatcher = Dispatcher(build_app(db, generators=False))
    _warm_pool(db, 4)
    assert _kill_backends(private_pg, fault_url.rsplit("/", 1)[1]) >= 4
    for i in range(4):
        out = dispatcher.handle(
            Incoming.parse("telegram", f"77{i}", "/practice rw", event_id=f"k-{i}")
        )
        assert shown_question(out) is not None, texts(out)
    # Without the dispatcher's retry (and no ping), a dead pooled connection is an error.
    _kill_backends(private_pg, fault_url.rsplit("/", 1)[1])
    with pytest.raises(DBAPIError) as caught, db.uow() as s:
        s.execute(text("SELECT 1"))
    assert caught.value.connection_invalidated
    db.dispose()


def test_idle_connections_are_pinged_before_use(
    private_pg: PrivatePostgres,  # noqa: F811
    fault_url: str,
) -> None:
    """The default engine pings a connection idle for ``ping_after_idle`` (here
    0 s) before handing it out, so callers without a retry (the scheduler's
    jobs) do not meet a connection the server closed while the bot was quiet."""
    db = Database(make_engine(fault_url, ping_after_idle=0.0))
    _warm_pool(db, 3)
    _kill_backends(private_pg, fault_url.rsplit("/", 1)[1])
    with db.uow() as s:  # no dispatcher, no retry
        assert s.execute(text("SELECT 1")).scalar() == 1
    db.dispose()
