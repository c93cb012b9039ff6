"""Where a practice answer's CPU goes, step by step.

Plays practising students one at a time through the real dispatcher (as
``bench/load.py`` does, one thread, no tests or tutor asks) and times the
main steps of the answer path with the thread's CPU clock. Each figure is
the step's CPU (its callees included) divided by the number of answers, so
a step that runs on some answers only (points on right answers, the review
card on wrong ones) shows its average share. Steps nest (``ask`` holds
``next_question`` and ``_question``), so the column does not add up.

    python bench/answer_steps.py --url postgresql://postgres@127.0.0.1:5432/satprep_bench

Run it after ``bench/load.py`` on the same database (it needs the bank
loaded; it adds its own students). ``--warmup`` students are played first
so that per-process caches (bank figures, the pool) are warm, as in a long
run.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import load  # noqa: E402  (bench/load.py: the students and their answers)

from bot.wiring import build_app  # noqa: E402
from core.chat.dispatcher import Dispatcher  # noqa: E402
from core.services.questions import PoolCache  # noqa: E402

# (module, name): the name is replaced in that module, so calls through it are timed.
STEPS = [
    ("core.chat.dispatcher", "_resolve_identity"),
    ("core.chat.dispatcher", "resolve"),
    ("core.chat.dispatcher", "store_pending"),
    ("core.chat.handlers.practice", "answer"),
    ("core.chat.handlers.practice", "_current"),
    ("core.chat.handlers.practice", "points_before_storing"),
    ("core.services.practice", "record"),
    ("core.chat.handlers.practice", "award"),
    ("core.chat.handlers.practice", "record_activity"),
    ("core.services.review", "add_miss"),
    ("core.services.events", "publish"),
    ("core.services.gamification", "_join_league"),
    ("core.services.streaks", "count_day"),
    ("core.services.badges", "evaluate"),
    ("core.chat.handlers.practice", "ask"),
    ("core.services.practice", "answered_in"),
    ("core.services.practice", "next_question"),
    ("core.services.practice", "provisional_theta"),
    ("core.services.practice", "pick"),
    ("core.chat.handlers.practice", "_question"),
    ("core.chat.render", "figure_png"),
]


def timed(cpu: Counter[str], calls: Counter[str]) -> None:
    """Wrap every step so that its thread CPU adds up under its name."""
    for module_name, name in STEPS:
        module = importlib.import_module(module_name)
        fn: Callable[..., Any] = getattr(module, name)
        label = f"{module_name.rsplit('.', 1)[-1]}.{name}"

        def wrapper(
            *args: Any, _fn: Callable[..., Any] = fn, _label: str = label, **kw: Any
        ) -> Any:
            start = time.thread_time()
            try:
                return _fn(*args, **kw)
            finally:
                cpu[_label] += time.thread_time() - start
                calls[_label] += 1

        setattr(module, name, functools.wraps(fn)(wrapper))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/satprep_bench")
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--answers", type=int, default=5, help="answers per student")
    parser.add_argument("--warmup", type=int, default=250, help="students played first, untimed")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    db = load.open_db(args.url, 2)
    load.count_statements(db)
    cpu: Counter[str] = Counter()
    calls: Counter[str] = Counter()
    timed(cpu, calls)
    dispatcher = Dispatcher(build_app(db))
    cache = dispatcher.app.services["pool"] = PoolCache(use_generators=True)
    with db.uow() as s:
        cache.get(s)
    stats = load.Stats()
    player = load.Player(dispatcher, db, stats, f"steps-{time.time_ns()}")
    rng = random.Random(args.seed)
    first = time.time_ns() // 1000 % 10**9 * 10  # fresh students on every run

    def play(count: int, offset: int) -> None:
        for i in range(count):
            load.practise(player, str(first + offset + i), args.answers, 0.0, rng)

    play(args.warmup, 0)
    cpu.clear(), calls.clear(), stats.cpu_by_kind.clear(), stats.answer_queries.clear()
    play(args.students, args.warmup)
    answers = stats.cpu_by_kind["answer"]
    n = len(answers)
    print(
        f"{n} practice answers by {args.students} students (after {args.warmup} warm-up): "
        f"CPU per answer mean {statistics.mean(answers) * 1000:.2f} ms, "
        f"median {statistics.median(answers) * 1000:.2f} ms; "
        f"statements median {statistics.median(stats.answer_queries):.0f}"
    )
    print(f"{'step':40s} {'ms per answer':>14s} {'calls':>7s} {'ms per call':>12s}")
    for label, seconds in sorted(cpu.items(), key=lambda kv: -kv[1]):
        print(
            f"{label:40s} {seconds / n * 1000:14.3f} {calls[label]:7d} "
            f"{seconds / calls[label] * 1000:12.3f}"
        )
    db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
