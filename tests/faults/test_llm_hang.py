"""Fault: the LLM endpoint hangs. The tutor times out to the offline answer, nothing else slows.

The model is the product's real ``openai`` client (built from the settings as
``satprep run`` builds it) pointed at a local endpoint that accepts every
connection, reads the request and never answers. Students talk to the real
dispatcher, with event ids as the platform adapters send them, and session
reviews are wired to the same tutor as ``bot.wiring.bootstrap`` does.

The figures these tests print (``-s``) are the ones quoted in the report:
``pytest -s tests/faults/test_llm_hang.py``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import event, func, select

from bot.settings import LlmSettings, PracticeSettings, Settings
from bot.wiring import build_app
from core.chat.dispatcher import SORRY, App, Dispatcher
from core.db.engine import Database
from core.db.models import Identity, PracticeSession, Response, TutorInteraction, User
from core.tutor import Tutor, review
from core.tutor.budget import Limits
from core.tutor.client import COOLING_DOWN, MAX_CONCURRENT, ChatModel
from core.tutor.exchange import MODEL_DOWN
from tests.chat.conversation import Chat, texts
from tests.chat.synthetic_bank import key_for
from tests.tutor.helpers import answer, button_in, current_question

pytestmark = [pytest.mark.network, pytest.mark.timeout(60)]

TIMEOUT_S = 1.0  # llm.timeout_s in these tests
RETRIES = 1  # llm.max_retries
# The openai client waits min(0.5 × 2^i, 8) s (less 0–25 % jitter) before retry i.
BACKOFF_S = sum(min(0.5 * 2**i, 8.0) for i in range(RETRIES))
HANG_S = TIMEOUT_S * (RETRIES + 1)  # the least a request waits on a hanging endpoint
FALLBACK_BOUND_S = HANG_S + BACKOFF_S + 0.75
THINK_S = 0.03  # the other students' pause between answers (a very fast student)


class HangingLLM:
    """An OpenAI-compatible endpoint on 127.0.0.1. While ``hang`` is set it reads each
    request and never answers; otherwise it answers every chat completion at once."""

    def __init__(self) -> None:
        self.base_url = ""
        self.hang = True
        self.answered = 0
        self.requests = 0  # requests left hanging
        self.waiting = 0  # hanging requests whose client still waits
        self.peak = 0
        self.first_at: float | None = None  # time.monotonic() of the first hanging request
        self._lock = threading.Lock()
        self._writers: set[asyncio.StreamWriter] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:  # keep-alive: one request after another on this connection
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
                if self.hang:
                    await self._never_answer(reader)
                    return
                length = 0
                for line in head.split("\r\n"):
                    if line.startswith("content-length:"):
                        length = int(line.split(":", 1)[1])
                await reader.readexactly(length)
                body = json.dumps(COMPLETION).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    + f"content-length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
                self.answered += 1
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _never_answer(self, reader: asyncio.StreamReader) -> None:
        with self._lock:
            if self.first_at is None:
                self.first_at = time.monotonic()
            self.requests += 1
            self.waiting += 1
            self.peak = max(self.peak, self.waiting)
        try:
            while await reader.read(65536):  # the body, then nothing until the client gives up
                pass
        finally:
            with self._lock:
                self.waiting -= 1

    async def close_all(self) -> None:
        for writer in list(self._writers):
            writer.close()


COMPLETION = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1_700_000_000,
    "model": "hanging-model",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "What does the blank connect?"},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 50, "completion_tokens": 20, "total_tokens": 70},
}


@pytest.fixture
def hanging_llm() -> Iterator[HangingLLM]:
    llm = HangingLLM()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, Any] = {}

    def serve() -> None:
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(asyncio.start_server(llm.handle, "127.0.0.1", 0))
        holder["server"] = server
        llm.base_url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1"
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10), "the fake endpoint did not start"
    try:
        yield llm
    finally:

        async def shutdown() -> None:
            holder["server"].close()
            await llm.close_all()

        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def llm_settings(url: str, session_length: int = 10) -> Settings:
    return Settings(
        llm=LlmSettings(
            model="hanging-model",
            base_url=url,
            api_key=SecretStr("sk-fault-test"),
            timeout_s=TIMEOUT_S,
            max_retries=RETRIES,
        ),
        practice=PracticeSettings(session_length=session_length),
    )


@pytest.fixture
def wired() -> Iterator[list[Tutor]]:
    """Session reviews use the app's tutor, as bootstrap wires them; unwired afterwards."""
    tutors: list[Tutor] = []
    try:
        yield tutors
    finally:
        review.use_tutor(None)


def make_app(
    db: Database, clock: Any, settings: Settings, wired: list[Tutor], tutor: Tutor | None = None
) -> App:
    tutor = tutor or Tutor.from_settings(settings)  # what satprep run builds
    review.use_tutor(tutor)
    wired.append(tutor)
    return build_app(db, clock=clock, generators=False, settings=settings, tutor=tutor)


_events = itertools.count(1)


def send(chat: Chat, line: str) -> list[Any]:
    """A line with a fresh event id, as the Telegram and Discord adapters send it."""
    return chat.send(line, event_id=f"fault-{next(_events)}")


QUESTION = re.compile(r"What is (\d+) \+ \1\?")
TOPICS = itertools.cycle(["rw", "math"])


def practise_step(chat: Chat, correct: bool) -> float:
    """One step of a student practising, read off the chat as a student would: answer
    the question on screen, or start practice when none is. The seconds it took."""
    shown = chat.last_text
    found = QUESTION.findall(shown)
    if found and "Session complete" not in shown:
        n = int(found[-1])
        spr = "Type your answer" in shown[shown.rindex("What is") :]
        line = key_for("", correct, spr, f"What is {n} + {n}?")
        expect = ("Correct", "Not quite")
    else:
        line = f"/practice {next(TOPICS)}"
        expect = ("Q 1/",)
    started = time.perf_counter()
    out = texts(send(chat, line))
    took = time.perf_counter() - started
    assert SORRY not in out and any(e in out for e in expect), out
    return took


def snapshot(app: App, user_id: str) -> dict[str, Any]:
    """What the student has: sessions and the open question, answers, points, tutor log."""
    with app.db.uow() as s:
        uid = s.scalars(select(Identity.user_id).where(Identity.external_id == user_id)).one()
        sessions = s.scalars(
            select(PracticeSession)
            .where(PracticeSession.user_id == uid)
            .order_by(PracticeSession.started_at)
        ).all()
        return {
            "sessions": [
                (p.session_id, p.status, p.current_question_id, p.asked_at, dict(p.state or {}))
                for p in sessions
            ],
            "responses": s.execute(
                select(Response.question_id, Response.answer, Response.correct)
                .where(Response.user_id == uid)
                .order_by(Response.id)
            ).all(),
            "points": s.scalar(select(User.points).where(User.user_id == uid)),
            "interactions": s.scalar(
                select(func.count())
                .select_from(TutorInteraction)
                .where(TutorInteraction.user_id == uid)
            ),
        }


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def test_hanging_model_falls_back_offline_within_the_timeout(
    db: Database, clock: Any, hanging_llm: HangingLLM, wired: list[Tutor]
) -> None:
    app = make_app(db, clock, llm_settings(hanging_llm.base_url), wired)
    chat = Chat(Dispatcher(app), user_id="7001")
    send(chat, "/practice transitions")
    practise_step(chat, correct=True)
    q = current_question(chat)
    before = snapshot(app, chat.user_id)

    started = time.perf_counter()
    out = texts(send(chat, "/ask where do I start?"))
    took = time.perf_counter() - started
    print(
        f"\n[{db.engine.dialect.name}] tutor fallback after {took:.2f} s "
        f"(bound {FALLBACK_BOUND_S:.2f} s = {TIMEOUT_S} s × {RETRIES + 1} + backoff + 0.75 s), "
        f"{hanging_llm.requests} requests to the endpoint"
    )
    assert MODEL_DOWN in out and "(offline tutor)" in out and q.hints[0] in out
    assert HANG_S <= took < FALLBACK_BOUND_S
    assert hanging_llm.requests == RETRIES + 1  # the client's own retries ran, then it gave up

    # The student's data is intact: the same session and open question, no answer
    # changed, and one logged exchange that says why it was offline.
    after = snapshot(app, chat.user_id)
    assert after["sessions"] == before["sessions"]
    assert after["responses"] == before["responses"]
    assert after["points"] == before["points"]
    assert after["interactions"] == before["interactions"] + 1
    with app.db.uow() as s:
        row = s.scalars(select(TutorInteraction)).one()
        assert row.offline and row.error == "timeout" and row.hint_level == 1
        assert row.model == "hanging-model" and row.prompt_tokens == 0
        assert row.duration is not None and row.duration >= HANG_S
    assert current_question(chat).question_id == q.question_id

    # The ladder still works offline, and the practice goes on.
    assert q.hints[1] in texts(chat.tap(button_in(chat.history, "Next hint").payload))
    assert "Not quite" in texts(answer(chat, correct=False))
    # While the endpoint counts as down, the next student is not kept waiting again.
    other = Chat(Dispatcher(app), user_id="7002")
    started = time.perf_counter()
    out = texts(send(other, "/ask how do I do transitions?"))
    assert time.perf_counter() - started < TIMEOUT_S
    assert MODEL_DOWN in out and "(offline tutor)" in out
    assert hanging_llm.requests == RETRIES + 1
    with app.db.uow() as s:
        errors = s.scalars(select(TutorInteraction.error).order_by(TutorInteraction.id)).all()
    assert errors == ["timeout", COOLING_DOWN, COOLING_DOWN]


def _practise_in_threads(
    chats: list[Chat],
    stop: threading.Event,
    answers: list[tuple[float, float]],
    failures: list[BaseException],
) -> list[threading.Thread]:
    """Each chat answers question after question until ``stop``; ``answers`` gets
    (when the answer was sent, seconds it took)."""

    def run(chat: Chat) -> None:
        correct = itertools.cycle([True, False, True])
        try:
            while not stop.is_set():
                sent = time.perf_counter()
                answers.append((sent, practise_step(chat, next(correct))))
                time.sleep(THINK_S)
        except BaseException as exc:  # reported by the test
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(c,), daemon=True) for c in chats]
    for t in threads:
        t.start()
    return threads


def _measure(chats: list[Chat], seconds: float) -> list[float]:
    stop, answers, failures = threading.Event(), [], []  # type: ignore[var-annotated]
    threads = _practise_in_threads(chats, stop, answers, failures)
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(30)
    assert not failures, failures
    return [took for _, took in answers]


@dataclass
class Hang:
    """What happened while the tutor requests hung."""

    during: list[float]  # latencies of the others' answers sent while a tutor request hung
    asks: list[float]  # how long each tutor request took
    replies: list[str]
    # (connections the tutor requests hold, tutor requests waiting at the endpoint)
    samples: list[tuple[int, int]]


class AskerConnections:
    """Connections the tutor-asking threads have checked out of the pool right now."""

    def __init__(self, db: Database) -> None:
        self.engine = db.engine
        self.held: dict[int, str] = {}
        self._lock = threading.Lock()

    def _checkout(self, dbapi_conn: Any, record: Any, proxy: Any) -> None:
        with self._lock:
            self.held[id(record)] = threading.current_thread().name

    def _checkin(self, dbapi_conn: Any, record: Any) -> None:
        with self._lock:
            self.held.pop(id(record), None)

    def now(self) -> int:
        with self._lock:
            return sum(1 for name in self.held.values() if name.startswith("asker-"))

    def __enter__(self) -> AskerConnections:
        event.listen(self.engine, "checkout", self._checkout)
        event.listen(self.engine, "checkin", self._checkin)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "checkout", self._checkout)
        event.remove(self.engine, "checkin", self._checkin)


def _hang_while_practising(
    app: App,
    askers: list[Chat],
    others: list[Chat],
    hanging_llm: HangingLLM,
    expect_waiting: int,
) -> Hang:
    """Every asker asks the tutor at once; the others practise meanwhile. The hang
    lasts until the first tutor request that waited on the model has its answer."""
    asks: list[tuple[float, float]] = []  # (when it was answered, seconds it took)
    replies: list[str] = []
    lock = threading.Lock()

    def ask(chat: Chat) -> None:
        started = time.perf_counter()
        out = texts(send(chat, "/ask how do I start this one?"))
        with lock:
            asks.append((time.perf_counter(), time.perf_counter() - started))
            replies.append(out)

    stop, answers, failures = threading.Event(), [], []  # type: ignore[var-annotated]
    asking = [
        threading.Thread(target=ask, args=(c,), daemon=True, name=f"asker-{i}")
        for i, c in enumerate(askers)
    ]
    with AskerConnections(app.db) as tracker:
        for t in asking:
            t.start()
        # The others start once all wait at the endpoint (or, if something serialises
        # them, after a while); the sampling starts at once.
        deadline = time.monotonic() + TIMEOUT_S
        threads: list[threading.Thread] = []
        samples: list[tuple[int, int]] = []
        while any(t.is_alive() for t in asking):
            waiting = hanging_llm.waiting
            held = tracker.now()
            first = hanging_llm.first_at
            # Only before any request can have timed out (a client that gave up takes a
            # connection for its answer a moment before the endpoint sees it leave).
            if first is not None and time.monotonic() < first + 0.9 * TIMEOUT_S:
                samples.append((held, waiting))
            if not threads and (waiting >= expect_waiting or time.monotonic() > deadline):
                threads = _practise_in_threads(others, stop, answers, failures)
            time.sleep(0.005)
        stop.set()
        for t in asking + threads:
            t.join(30)
    assert not failures, failures
    waited = [end for end, took in asks if took >= HANG_S]
    assert waited, "no tutor request waited on the model"
    hang_end = min(waited)
    during = [took for sent, took in answers if sent < hang_end]
    return Hang(during, [took for _, took in asks], replies, samples)


def _pool_capacity(db: Database) -> int:
    pool = db.engine.pool
    return int(pool.size()) + max(0, int(getattr(pool, "_max_overflow", 0)))  # type: ignore[attr-defined]


def _report(name: str, db: Database, base: list[float], hang: Hang) -> None:
    def ms(values: list[float]) -> str:
        if not values:
            return "none"
        return (
            f"{statistics.median(values) * 1000:.0f}/{pct(values, 0.9) * 1000:.0f}/"
            f"{pct(values, 0.99) * 1000:.0f} ms (n={len(values)})"
        )

    print(
        f"\n[{db.engine.dialect.name}] {name}: others' answers median/p90/p99 {ms(base)} "
        f"baseline, {ms(hang.during)} while the tutor hangs; tutor requests answered after "
        f"{min(hang.asks):.2f}–{max(hang.asks):.2f} s"
    )


def test_practice_keeps_pace_while_tutor_requests_hang(
    db: Database, clock: Any, hanging_llm: HangingLLM, wired: list[Tutor]
) -> None:
    """Product defaults: more students ask than the model may serve at once; the
    others practise through short sessions, so their session reviews (which ask
    the same model) fall in the hang too."""
    app = make_app(db, clock, llm_settings(hanging_llm.base_url, session_length=3), wired)
    dispatcher = Dispatcher(app)
    askers = [Chat(dispatcher, user_id=f"ask-{i}") for i in range(MAX_CONCURRENT + 2)]
    others = [Chat(dispatcher, user_id=f"other-{i}") for i in range(4)]
    for chat in askers:
        send(chat, "/practice transitions")
    hanging_llm.hang = False  # the baseline: a model that answers (and writes the reviews)
    base = _measure(others, 1.0)
    assert hanging_llm.answered > 0
    hanging_llm.hang = True

    with app.db.uow() as s:
        logged = s.scalar(select(func.count()).select_from(TutorInteraction))
    hang = _hang_while_practising(app, askers, others, hanging_llm, MAX_CONCURRENT)
    _report("defaults", db, base, hang)
    assert all(MODEL_DOWN in r and "(offline tutor)" in r for r in hang.replies)
    assert hanging_llm.peak == MAX_CONCURRENT  # that many waited at once; the rest at once offline
    # Each had its answer within the fallback bound, give or take the slowest answer the
    # others saw without any hang (a busy SQLite makes writers queue).
    assert max(hang.asks) < FALLBACK_BOUND_S + max(base) + 0.5
    _assert_keeps_pace(base, hang.during)
    with app.db.uow() as s:
        errors = s.scalars(
            select(TutorInteraction.error).order_by(TutorInteraction.id).offset(logged)
        ).all()
    assert errors.count("timeout") == MAX_CONCURRENT
    assert set(errors) <= {"timeout", "busy", COOLING_DOWN}  # session reviews did not wait either


def _assert_keeps_pace(base: list[float], hung: list[float]) -> None:
    """Generous: the others' median and 90th percentile under the hang stay near the
    baseline's; a stall would put them near the hang's length (≥ HANG_S)."""
    assert len(hung) >= 10
    assert statistics.median(hung) < max(3 * statistics.median(base), HANG_S / 8)
    assert pct(hung, 0.9) < max(3 * pct(base, 0.9), HANG_S / 2)


def test_hanging_calls_hold_no_database_connection(
    db: Database, clock: Any, hanging_llm: HangingLLM, wired: list[Tutor]
) -> None:
    """More model calls hang at once than the pool has connections (an operator
    raised the concurrency): none of them holds one, so the others keep pace."""
    capacity = _pool_capacity(db)
    settings = llm_settings(hanging_llm.base_url, session_length=100)
    hanging = capacity + 2
    llm = settings.llm
    model = ChatModel(
        llm.model,
        base_url=llm.base_url,
        api_key=llm.api_key.get_secret_value() if llm.api_key else None,
        timeout_s=llm.timeout_s,
        max_retries=llm.max_retries,
        max_concurrent=hanging,
    )
    app = make_app(db, clock, settings, wired, Tutor(model, Limits.from_settings(llm)))
    # Session reviews ask the model inside the answer's own transaction (the test
    # above covers them under the default limit); here the sessions do not end.
    review.use_tutor(None)
    dispatcher = Dispatcher(app)
    askers = [Chat(dispatcher, user_id=f"ask-{i}") for i in range(hanging)]
    others = [Chat(dispatcher, user_id=f"other-{i}") for i in range(4)]
    for chat in askers:
        send(chat, "/practice transitions")
    base = _measure(others, 1.0)

    hang = _hang_while_practising(app, askers, others, hanging_llm, hanging)
    _report(f"{hanging} hanging calls, pool of {capacity}", db, base, hang)
    assert hang.samples
    held, waiting = max(hang.samples, key=lambda s: (s[1], -s[0]))
    print(
        f"  {hanging_llm.peak} waited on the model at once; a sample with {waiting} of them "
        f"waiting found them holding {held} connection(s)"
    )
    assert all(MODEL_DOWN in r and "(offline tutor)" in r for r in hang.replies)
    assert hanging_llm.peak > hanging // 2  # they waited side by side, not one after another
    # A tutor request holds a connection only while it is not waiting on the model
    # (one more for a request caught between the reads of a sample).
    for held, waiting in hang.samples:
        assert held <= hanging - waiting + 1, (held, waiting)
    assert max(hang.asks) < 2 * FALLBACK_BOUND_S  # none waited for another's hang
    _assert_keeps_pace(base, hang.during)
    with app.db.uow() as s:
        errors = s.scalars(select(TutorInteraction.error)).all()
    assert errors == ["timeout"] * hanging


def test_a_session_review_meeting_the_hang_waits_one_timeout_at_most(
    db: Database, clock: Any, hanging_llm: HangingLLM, wired: list[Tutor]
) -> None:
    """A session review is written while the last answer is recorded: the answer is
    committed before the model call, so the hang holds no lock (on SQLite no writer
    waits); the review gets a single attempt, and the model then counts as down."""
    app = make_app(db, clock, llm_settings(hanging_llm.base_url, session_length=3), wired)
    dispatcher = Dispatcher(app)
    finisher = Chat(dispatcher, user_id="finisher")
    others = [Chat(dispatcher, user_id=f"other-{i}") for i in range(4)]
    hanging_llm.hang = False
    base = _measure(others, 1.0)
    send(finisher, "/practice rw")
    practise_step(finisher, False)
    practise_step(finisher, False)
    hanging_llm.hang = True
    with app.db.uow() as s:
        logged = s.scalar(select(func.count()).select_from(TutorInteraction))
    result: dict[str, Any] = {}

    def finish() -> None:
        started = time.perf_counter()
        result["out"] = texts(send(finisher, "C"))  # the last answer: a third miss
        result["took"] = time.perf_counter() - started

    thread = threading.Thread(target=finish, daemon=True)
    thread.start()
    deadline = time.monotonic() + TIMEOUT_S
    while hanging_llm.waiting < 1 and time.monotonic() < deadline:
        time.sleep(0.005)
    stop, answers, failures = threading.Event(), [], []  # type: ignore[var-annotated]
    threads = _practise_in_threads(others, stop, answers, failures)
    thread.join(30)
    stop.set()
    for t in threads:
        t.join(30)
    assert not failures, failures
    during = [took for _, took in answers]
    print(
        f"\n[{db.engine.dialect.name}] a review meeting the hang: the last answer took "
        f"{result['took']:.2f} s; others' answers median {statistics.median(base) * 1000:.0f} ms "
        f"baseline, {statistics.median(during) * 1000:.0f} ms (max {max(during):.2f} s, "
        f"n={len(during)}) meanwhile"
    )
    assert "Review of your misses* (offline tutor)" in result["out"]
    with app.db.uow() as s:
        errors = s.scalars(
            select(TutorInteraction.error).order_by(TutorInteraction.id).offset(logged)
        ).all()
    # One request per review that met the hang (the others' sessions end too), no retries.
    assert hanging_llm.requests == errors.count("timeout") >= 1
    assert TIMEOUT_S <= result["took"] < TIMEOUT_S + 0.75 + max(base)
    # Nobody waits longer than that one timeout (only answers whose own session
    # review met the hang before the first timeout marked the model down), and the
    # others mostly not at all: no lock or connection is held during the call.
    assert max(during) < TIMEOUT_S + 0.75 + max(base)
    assert statistics.median(during) < TIMEOUT_S / 2
    # The timeout marked the model down: the next question falls back at once.
    started = time.perf_counter()
    assert MODEL_DOWN in texts(send(others[0], "/ask how do I do transitions?"))
    assert time.perf_counter() - started < TIMEOUT_S
