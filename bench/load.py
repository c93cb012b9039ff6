"""Load benchmark: many simulated students practising through the real dispatcher.

Each worker thread plays a share of the students: ``/practice <section>``,
then answers questions as a student of a random ability would (pressing the
button of the key or of a wrong choice, or typing an SPR entry). Every
event goes through ``Dispatcher.handle`` exactly as an adapter would call
it. Reported: answered questions per second, latency per event (p50, p95,
p99), database statements per answer event, and the process's peak memory.

    python bench/load.py --url postgresql://postgres@127.0.0.1:5432/satprep_bench \\
        --students 2000 --answers 5 --workers 8

The database named by ``--url`` is dropped and recreated (it must be a
scratch database); ``--url sqlite:///tmp/x.sqlite3`` runs on SQLite.
"""

from __future__ import annotations

import argparse
import math
import random
import resource
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.wiring import build_app, load_shipped_bank  # noqa: E402
from core.chat.dispatcher import Dispatcher  # noqa: E402
from core.chat.messages import Incoming, Text  # noqa: E402
from core.db.engine import Database, make_engine  # noqa: E402
from core.db.migrate import upgrade  # noqa: E402
from core.db.models import PracticeSession, Question  # noqa: E402

_counting = threading.local()


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    answer_queries: list[int] = field(default_factory=list)
    answers: int = 0
    errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def fresh_database(url: str) -> Database:
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
    engine = (
        make_engine(url, pool_size=20, max_overflow=10)
        if parsed.get_backend_name() == "postgresql"
        else make_engine(url)
    )
    upgrade(engine)
    db = Database(engine)
    print(load_shipped_bank(db))
    return db


def count_statements(db: Database) -> None:
    @event.listens_for(db.engine, "before_cursor_execute")
    def _count(*_args: object) -> None:
        if getattr(_counting, "on", False):
            _counting.n += 1


def handle(dispatcher: Dispatcher, stats: Stats, incoming: Incoming, is_answer: bool) -> list:  # type: ignore[type-arg]
    _counting.on, _counting.n = True, 0
    start = time.perf_counter()
    out = dispatcher.handle(incoming)
    elapsed = time.perf_counter() - start
    _counting.on = False
    with stats.lock:
        stats.latencies.append(elapsed)
        if is_answer:
            stats.answers += 1
            stats.answer_queries.append(_counting.n)
        if any(
            isinstance(m, Text) and m.text.startswith("Sorry, something went wrong") for m in out
        ):
            stats.errors += 1
    return out


def current_question(db: Database, user_ext: str) -> Question | None:
    """The student's current question (read outside the measured events)."""
    from core.db.models import Identity

    with db.uow() as s:
        row = (
            s.execute(
                select(Question)
                .join(PracticeSession, PracticeSession.current_question_id == Question.question_id)
                .join(Identity, Identity.user_id == PracticeSession.user_id)
                .where(
                    Identity.platform == "telegram",
                    Identity.external_id == user_ext,
                    PracticeSession.status == "active",
                )
            )
            .scalars()
            .first()
        )
        if row is not None:
            s.expunge(row)
        return row


def student(
    dispatcher: Dispatcher, db: Database, stats: Stats, ext: str, answers: int, rng: random.Random
) -> None:
    theta = rng.gauss(0, 1)
    section = rng.choice(["math", "rw"])
    handle(
        dispatcher,
        stats,
        Incoming.parse("telegram", ext, f"/practice {section}", chat_id=ext),
        False,
    )
    last_buttons: list = []  # type: ignore[type-arg]
    for _ in range(answers):
        q = current_question(db, ext)
        if q is None:
            return
        p = q.c_param + (1 - q.c_param) / (1 + math.exp(-q.a_param * (theta - q.b_param)))
        right = rng.random() < p
        if q.type == "mcq":
            key = q.correct_answer[0]
            letter = key if right else rng.choice([x for x in "ABCD" if x != key])
            payload = next((b.payload for b in last_buttons if b.label == letter), None)
            if payload is None:
                incoming = Incoming("telegram", ext, ext, text=letter)
            else:
                incoming = Incoming("telegram", ext, ext, action=payload)
        else:
            value = str(q.correct_answer[0]) if right else "9999"
            incoming = Incoming("telegram", ext, ext, text=value)
        out = handle(dispatcher, stats, incoming, True)
        last_buttons = [b for m in out if isinstance(m, Text) for row in m.buttons for b in row]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/satprep_bench")
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--answers", type=int, default=5, help="answers per student")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    db = fresh_database(args.url)
    count_statements(db)
    dispatcher = Dispatcher(build_app(db))
    stats = Stats()
    ids = [str(700000 + i) for i in range(args.students)]
    chunks = [ids[i :: args.workers] for i in range(args.workers)]

    def worker(index: int) -> None:
        rng = random.Random(args.seed * 1000 + index)
        for ext in chunks[index]:
            student(dispatcher, db, stats, ext, args.answers, rng)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.workers)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    lat = sorted(stats.latencies)

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000

    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"engine              {db.engine.dialect.name}")
    print(
        f"students            {args.students} ({args.workers} worker threads, {args.answers} answers each)"
    )
    print(
        f"events              {len(lat)} in {wall:.1f} s (incl. the simulated students' own reads)"
    )
    print(f"answered questions  {stats.answers} → {stats.answers / wall:.0f} per second")
    print(
        f"latency per event   p50 {pct(0.50):.1f} ms · p95 {pct(0.95):.1f} ms · p99 {pct(0.99):.1f} ms"
    )
    print(
        f"statements/answer   median {statistics.median(stats.answer_queries):.0f} · "
        f"max {max(stats.answer_queries)}"
    )
    print(f"errors              {stats.errors}")
    print(f"peak memory (RSS)   {rss_mb:.0f} MB")
    db.dispose()
    return 0 if stats.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
