"""Load benchmark: many simulated students working through the real dispatcher.

Each of ``--processes`` worker processes (a bot worker each, with its own
connection pool) runs ``--workers`` threads, and each thread plays its share
of the students. A student either practises (``/practice <section>``, then
answers as a student of a random ability would: the 3PL probability of a
right answer, pressing the key's button or a wrong one, or typing a grid-in
answer), or sits a section test (``/test math untimed`` or ``rw``, answering
its questions), and after some practice answers asks the tutor about the
item (the offline tutor: no model endpoint is configured). Every event
carries an event id, as a platform update does, so the redelivery guard
runs as it does in production.

Reported: answered questions per second over the whole run, latency per
event (p50, p95, p99), database statements per answer event (median and
max), errors, and each process's peak memory.

    python bench/load.py --url postgresql://postgres@127.0.0.1:5432/satprep_bench \\
        --students 2000 --answers 5 --processes 2 --workers 4

The database named by ``--url`` is dropped and recreated (it must be a
scratch database); ``--url sqlite:///tmp/x.sqlite3`` runs on SQLite (one
process is then the sensible setting).

How the student knows the right answer: the question's button payload
names a token; the student reads that token's question (by primary key,
outside the timed part, through its own connection) and the question's key
from a per-process cache.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import math
import multiprocessing as mp
import os
import random
import resource
import statistics
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import bindparam, event, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.wiring import build_app, load_shipped_bank  # noqa: E402
from core.chat.dispatcher import SORRY, Dispatcher  # noqa: E402
from core.chat.messages import Edit, Incoming, Outgoing, Text  # noqa: E402
from core.db.engine import Database, make_engine  # noqa: E402
from core.db.migrate import upgrade  # noqa: E402
from core.db.models import ActionToken, Question  # noqa: E402
from core.services.questions import PoolCache  # noqa: E402

_counting = threading.local()


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    answer_queries: list[int] = field(default_factory=list)
    answers: int = 0
    tutor: int = 0
    errors: int = 0
    cpu_by_kind: dict[str, list[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def fresh_database(url: str) -> None:
    """Drop and recreate the scratch database, migrate it, load the bank."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        admin = make_engine(
            parsed.set(database="postgres").render_as_string(hide_password=False),
            isolation_level="AUTOCOMMIT",
        )
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}"'))
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
        admin.dispose()
    elif parsed.database:
        Path(parsed.database).unlink(missing_ok=True)
    engine = make_engine(url)
    upgrade(engine)
    db = Database(engine)
    print(load_shipped_bank(db))
    db.dispose()


def open_db(url: str, connections: int) -> Database:
    if make_url(url).get_backend_name() == "postgresql":
        return Database(make_engine(url, pool_size=connections, max_overflow=2))
    return Database(make_engine(url))


def count_statements(db: Database) -> None:
    @event.listens_for(db.engine, "before_cursor_execute")
    def _count(*_args: object) -> None:
        if getattr(_counting, "on", False):
            _counting.n += 1


class Player:
    """One worker thread's view: the dispatcher, the stats, the keys it knows."""

    def __init__(self, dispatcher: Dispatcher, db: Database, stats: Stats, prefix: str) -> None:
        self.dispatcher, self.db, self.stats = dispatcher, db, stats
        self.prefix = prefix
        self.n = 0
        self.keys: dict[str, Key] = {}

    def handle(self, incoming: Incoming, kind: str) -> list[Outgoing]:
        self.n += 1
        incoming = dataclasses.replace(incoming, event_id=f"{self.prefix}-{self.n}")
        _counting.on, _counting.n = True, 0
        start, cpu = time.perf_counter(), time.thread_time()
        out = self.dispatcher.handle(incoming)
        elapsed, cpu = time.perf_counter() - start, time.thread_time() - cpu
        _counting.on = False
        with self.stats.lock:
            self.stats.latencies.append(elapsed)
            self.stats.cpu_by_kind.setdefault(kind, []).append(cpu)
            if kind == "answer":
                self.stats.answers += 1
                self.stats.answer_queries.append(_counting.n)
            elif kind == "tutor":
                self.stats.tutor += 1
            if any(isinstance(m, Text) and m.text.startswith(SORRY[:30]) for m in out):
                self.stats.errors += 1
        return out

    def question_of(self, payload: str) -> Key | None:
        return question_of(self.db, self.keys, payload)


Key = tuple[str, list[Any], float, float, float]


def question_of(db: Database, keys: dict[str, Key], payload: str) -> Key | None:
    """The type, key and 3PL parameters of the question a button belongs to
    (its token names the question; ``keys`` caches them by question id)."""
    with db.engine.connect() as conn:  # plain statements: the students' CPU is not the bot's
        found = conn.execute(_TOKEN_PAYLOAD, {"token": payload.split(".")[0]}).scalar()
        qid = (found or {}).get("question")
        if qid is None:
            return None
        if qid not in keys:
            q = conn.execute(_KEY, {"qid": qid}).first()
            if q is None:
                return None
            keys[qid] = (q.type, list(q.correct_answer), q.a_param, q.b_param, q.c_param)
        return keys[qid]


_TOKEN_PAYLOAD = select(ActionToken.payload).where(ActionToken.token == bindparam("token"))
_KEY = select(
    Question.type, Question.correct_answer, Question.a_param, Question.b_param, Question.c_param
).where(Question.question_id == bindparam("qid"))


def buttons(out: list[Outgoing]) -> list[Any]:
    """The buttons of the replies (an edit's too: a button answer's feedback)."""
    return [b for m in out if isinstance(m, Text | Edit) for row in m.buttons for b in row]


def practise(
    player: Player, ext: str, answers: int, tutor_share: float, rng: random.Random
) -> None:
    theta = rng.gauss(0, 1)
    section = rng.choice(["math", "rw"])
    out = player.handle(
        Incoming.parse("telegram", ext, f"/practice {section}", chat_id=ext), "start"
    )
    for _ in range(answers):
        skip = next((b for b in buttons(out) if b.label == "Skip"), None)
        if skip is None:
            return
        info = player.question_of(skip.payload)
        if info is None:
            return
        qtype, key, a, b, c = info
        right = rng.random() < c + (1 - c) / (1 + math.exp(-a * (theta - b)))
        if qtype == "mcq":
            letter = key[0] if right else rng.choice([x for x in "ABCD" if x != key[0]])
            press = next(btn for btn in buttons(out) if btn.label == letter)
            incoming = Incoming("telegram", ext, ext, action=press.payload)
        else:
            incoming = Incoming("telegram", ext, ext, text=str(key[0]) if right else "9999")
        out = player.handle(incoming, "answer")
        if rng.random() < tutor_share:
            ask = next((btn for btn in buttons(out) if btn.label == "Ask the tutor"), None)
            if ask is not None:
                player.handle(Incoming("telegram", ext, ext, action=ask.payload), "tutor")


def sit_test(player: Player, ext: str, answers: int, rng: random.Random) -> None:
    section = rng.choice(["math", "rw"])
    out = player.handle(
        Incoming.parse("telegram", ext, f"/test {section} untimed", chat_id=ext), "start"
    )
    for _ in range(answers):
        letters = [b for b in buttons(out) if b.label in ("A", "B", "C", "D")]
        if letters:
            incoming = Incoming("telegram", ext, ext, action=rng.choice(letters).payload)
        elif any(isinstance(m, Text) and m.expects_reply for m in out):
            incoming = Incoming("telegram", ext, ext, text=str(rng.randint(1, 40)))
        else:
            return
        out = player.handle(incoming, "answer")


class _Failures(logging.Handler):
    """Keeps the process's logged errors (the dispatcher logs what made it say sorry)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.records) < 5:
            self.records.append(self.format(record))


def run_process(job: dict[str, Any]) -> dict[str, Any]:
    """One bot worker process: its students on ``threads`` threads."""
    failures = _Failures()
    logging.getLogger().addHandler(failures)
    db = open_db(job["url"], job["threads"] + 2)
    count_statements(db)
    dispatcher = Dispatcher(build_app(db))
    # Warm the per-process caches (pool, handlers) before the clock starts.
    cache = dispatcher.app.services["pool"] = PoolCache(use_generators=True)
    with db.uow() as s:
        cache.get(s)
    stats = Stats()
    students: list[str] = job["students"]
    chunks = [students[i :: job["threads"]] for i in range(job["threads"])]

    failed: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            play(index)
        except BaseException as exc:  # reported by the process, not lost in a thread
            failed.append(exc)
            raise

    def play(index: int) -> None:
        rng = random.Random(job["seed"] * 100_000 + job["index"] * 100 + index)
        player = Player(dispatcher, db, stats, f"{job['index']}.{index}")
        for ext in chunks[index]:
            if rng.random() < job["test_share"]:
                sit_test(player, ext, job["answers"], rng)
            else:
                practise(player, ext, job["answers"], job["tutor_share"], rng)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(job["threads"])]
    time.sleep(max(0.0, job["start_at"] - time.time()))
    start = time.time()
    cpu_start = time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    end = time.time()
    cpu = time.process_time() - cpu_start
    if failed:
        raise RuntimeError(f"{len(failed)} worker thread(s) crashed: {failed[0]!r}")
    db.dispose()
    return {
        "latencies": stats.latencies,
        "answer_queries": stats.answer_queries,
        "answers": stats.answers,
        "tutor": stats.tutor,
        "errors": stats.errors,
        "failures": failures.records,
        "start": start,
        "end": end,
        "cpu": cpu,
        "cpu_by_kind": stats.cpu_by_kind,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "pid": os.getpid(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/satprep_bench")
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--answers", type=int, default=5, help="answers per student")
    parser.add_argument("--processes", type=int, default=2, help="bot worker processes")
    parser.add_argument("--workers", type=int, default=4, help="threads per process")
    parser.add_argument("--test-share", type=float, default=0.2, help="students sitting a test")
    parser.add_argument(
        "--tutor-share", type=float, default=0.1, help="practice answers followed by a tutor ask"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    fresh_database(args.url)
    ids = [str(700000 + i) for i in range(args.students)]
    start_at = time.time() + 6.0  # every process imports and warms up before the clock
    jobs = [
        {
            "url": args.url,
            "index": p,
            "threads": args.workers,
            "students": ids[p :: args.processes],
            "answers": args.answers,
            "test_share": args.test_share,
            "tutor_share": args.tutor_share,
            "seed": args.seed,
            "start_at": start_at,
        }
        for p in range(args.processes)
    ]
    with ProcessPoolExecutor(args.processes, mp_context=mp.get_context("spawn")) as pool:
        results = list(pool.map(run_process, jobs))
    wall = max(r["end"] for r in results) - min(r["start"] for r in results)
    lat = sorted(x for r in results for x in r["latencies"])
    queries = [x for r in results for x in r["answer_queries"]]
    answers = sum(r["answers"] for r in results)
    errors = sum(r["errors"] for r in results)

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000

    engine = make_url(args.url).get_backend_name()
    print(f"engine              {engine}")
    print(
        f"students            {args.students} ({args.processes} processes × {args.workers} "
        f"threads; {args.answers} answers each; {args.test_share:.0%} sit a test, "
        f"{args.tutor_share:.0%} of practice answers ask the tutor)"
    )
    print(
        f"events              {len(lat)} in {wall:.1f} s "
        f"({sum(r['tutor'] for r in results)} tutor asks)"
    )
    print(f"answered questions  {answers} → {answers / wall:.0f} per second")
    print(
        f"latency per event   p50 {pct(0.50):.1f} ms · p95 {pct(0.95):.1f} ms · p99 {pct(0.99):.1f} ms"
    )
    print(
        f"statements/answer   median {statistics.median(queries):.0f} · "
        f"p90 {sorted(queries)[int(0.9 * len(queries))]} · max {max(queries)}"
    )
    cpu = sum(r["cpu"] for r in results)
    print(
        f"bot CPU per event   {1000 * cpu / len(lat):.1f} ms "
        f"(user+system of the worker processes, which also play the students)"
    )
    by_kind: dict[str, list[float]] = {}
    for r in results:
        for kind, values in r["cpu_by_kind"].items():
            by_kind.setdefault(kind, []).extend(values)
    print(
        "dispatcher CPU      "
        + " · ".join(
            f"{kind} {1000 * statistics.mean(v):.1f} ms (n={len(v)})"
            for kind, v in sorted(by_kind.items())
        )
        + " (mean thread CPU inside Dispatcher.handle)"
    )
    print(f"errors              {errors}")
    for failure in [f for r in results for f in r["failures"]][:3]:
        print(f"  logged: {failure}")
    print(
        "peak memory (RSS)   "
        + ", ".join(f"{r['rss_mb']:.0f} MB" for r in results)
        + " (per process)"
    )
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
