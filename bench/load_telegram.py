"""Load benchmark through the Telegram adapter: webhook workers against the fake Bot API.

The load of ``bench/load.py`` (students of a random ability; 20% sit a
section test, the others practise and sometimes press "Ask the tutor"), but
every event is a Telegram Update POSTed, with the secret header, to the
webhook of one of ``--workers`` bot processes running the real adapter
(``bench/tg_worker.py``: ``bootstrap`` + ``build_application`` + ``running``
in webhook mode, or ``satprep run`` itself with ``--satprep-run``), and
every reply is a Bot API call those processes make to the fake Bot API
(``tests/e2e/telegram/fake_bot_api.py``) running in this process.

- Routing: sticky, like a balancer hashing the chat: student ``i`` always goes
  to worker ``i % workers``. A student has one update in flight at a time
  (Telegram delivers one chat's updates in order); ``--concurrency`` students
  are in flight at once (load.py's processes × threads).
- Handled: when the bot made its last Bot API call for the update:
  ``answerCallbackQuery`` for a button press (the adapter always ends with
  it); for a message, the next question (the A–D keyboard, or a grid-in's
  typed-answer prompt, which follows its question) or the session summary.
  Latency is from the start of the POST to that call.
- Right or wrong: a practising student presses the key with the 3PL
  probability of a random θ ~ N(0, 1); the key comes from the question the
  Skip button's token names (read between events, outside the latency, inside
  the wall time, as in load.py). Grid-ins are typed. Test takers answer at
  random. Each worker is warmed up (two practice starts and a test start)
  before the clock starts, as load.py warms its pools.
- ``--rate`` is each worker's cap on requests to chats (the adapter's
  AIORateLimiter: 30/s per process as shipped; 0 lifts it to measure the
  adapter and core alone).

    python bench/load_telegram.py --url postgresql://postgres@127.0.0.1:5432/satprep_bench_tg \\
        --students 400 --answers 5 --concurrency 16 [--rate 30|0] [--satprep-run]

The database named by ``--url`` is dropped and recreated (a scratch database).
Everything listens on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from load import Key, fresh_database, question_of  # noqa: E402  (bench/ is on the path)
from sqlalchemy.engine import make_url  # noqa: E402

from core.db.engine import Database, make_engine  # noqa: E402
from tests.e2e.telegram.fake_bot_api import Call, FakeBotApi  # noqa: E402
from tests.ports import free_port  # noqa: E402

SECRET = "bench_webhook-secret-1"
HOOK_PATH = "/telegram/updates"
SORRY = "Sorry, something went wrong"
CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- the bot workers ----------------------------------------------------------


@dataclass
class Worker:
    index: int
    port: int
    proc: subprocess.Popen  # type: ignore[type-arg]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{HOOK_PATH}"

    def cpu(self) -> float:
        return proc_cpu(self.proc.pid)

    def peak_rss_mb(self) -> float:
        with open(f"/proc/{self.proc.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return float("nan")


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def postgres_cpu(database: str) -> float:
    """CPU seconds of the PostgreSQL server's own processes and of the backends
    serving ``database`` (other databases' backends are someone else's load)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            with open(f"/proc/{entry}/comm") as fh:
                if fh.read().strip() != "postgres":
                    continue
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                title = fh.read().replace(b"\0", b" ").decode(errors="replace")
            client = "127.0.0.1(" in title or "[local]" in title or "::1(" in title
            if client and f" {database} " not in title:
                continue
            total += proc_cpu(int(entry))
    return total


def machine_cpu() -> float:
    """CPU seconds all processes on the machine used so far (from /proc/stat)."""
    with open("/proc/stat") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal …: everything but idle and iowait
    return (sum(fields[:8]) - fields[3] - fields[4]) / CLK_TCK


def start_workers(args: argparse.Namespace, fake: FakeBotApi, logdir: Path) -> list[Worker]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SATPREP_")}
    env.update(
        SATPREP_DATABASE_URL=args.url,
        SATPREP_DATA_DIR=str(logdir / "data"),
        SATPREP_LOG_LEVEL=args.log_level,
        SATPREP_TELEGRAM_TOKEN=fake.token,
        SATPREP_TELEGRAM_API_URL=fake.api_url,
        SATPREP_TELEGRAM_MODE="webhook",
        # The public URL both workers register (a balancer's); the fake never
        # posts to it here: this process plays the balancer and posts directly.
        SATPREP_TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1{HOOK_PATH}",
        SATPREP_TELEGRAM_WEBHOOK_SECRET=SECRET,
        SATPREP_TELEGRAM_WEBHOOK_LISTEN="127.0.0.1",
    )
    if args.satprep_run:
        command = [sys.executable, "-m", "bot.cli", "run"]
    else:
        command = [sys.executable, str(ROOT / "bench" / "tg_worker.py"), "--rate", str(args.rate)]
    workers = []
    for index in range(args.workers):
        port = free_port()
        log = logdir / f"worker{index + 1}.log"
        extra = []
        if args.profile and not args.satprep_run:
            extra += ["--profile", str(Path(args.profile) / f"worker{index + 1}.prof")]
        if args.concurrent_updates and not args.satprep_run:
            extra += ["--concurrent-updates", str(args.concurrent_updates)]
        if args.switch_interval and not args.satprep_run:
            extra += ["--switch-interval", str(args.switch_interval)]
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                command + extra,
                cwd=ROOT,
                env={**env, "SATPREP_TELEGRAM_WEBHOOK_PORT": str(port)},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        workers.append(Worker(index, port, proc, log))
    return workers


async def wait_ready(workers: list[Worker], fake: FakeBotApi, timeout: float = 90) -> None:
    """Until every worker accepts connections and registered the webhook."""
    deadline = time.monotonic() + timeout
    for worker in workers:
        while True:
            if worker.proc.poll() is not None:
                tail = worker.log.read_text(errors="replace")[-3000:]
                raise SystemExit(f"worker {worker.index + 1} exited:\n{tail}")
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection("127.0.0.1", worker.port)
                writer.close()
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"worker {worker.index + 1} did not start; see {worker.log}")
            await asyncio.sleep(0.2)
    while sum(c.method == "setWebhook" for c in fake.calls) < len(workers):
        if time.monotonic() > deadline:
            raise SystemExit("the workers did not register their webhook")
        await asyncio.sleep(0.2)


def stop_workers(workers: list[Worker]) -> None:
    for worker in workers:
        if worker.proc.poll() is None:
            worker.proc.terminate()
    for worker in workers:
        try:
            worker.proc.wait(15)
        except subprocess.TimeoutExpired:
            worker.proc.kill()
            worker.proc.wait()


# -- the simulated students ---------------------------------------------------


@dataclass
class Pending:
    """One update in flight, and what the bot did for it so far."""

    kind: str  # "message" or "callback"
    query_id: str | None
    t0: float
    done: asyncio.Event = field(default_factory=asyncio.Event)
    last_at: float = 0.0
    calls: int = 0
    question: dict[str, Any] | None = None  # the newest question message the bot sent
    typed: bool = False  # … and it asked for a typed answer (a grid-in)
    feedback: dict[str, Any] | None = None  # the message with "Ask the tutor"
    finished: bool = False  # the session summary came
    failure: str | None = None


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    calls_per_answer: list[int] = field(default_factory=list)
    updates: int = 0
    answers: int = 0
    tutor: int = 0
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)

    def error(self, kind: str) -> None:
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1


def _buttons(markup: dict[str, Any] | None) -> dict[str, str]:
    return {
        b["text"]: b.get("callback_data", "")
        for row in (markup or {}).get("inline_keyboard", [])
        for b in row
    }


def _skip(buttons: dict[str, str]) -> str | None:
    """The payload of a question's Skip button (practice "Skip", test "Skip ⏭")."""
    return next((data for label, data in buttons.items() if label.startswith("Skip")), None)


class Load:
    def __init__(self, args: argparse.Namespace, fake: FakeBotApi, workers: list[Worker]) -> None:
        self.args = args
        self.fake = fake
        self.workers = workers
        self.pending: dict[int, Pending] = {}
        self.query_owner: dict[str, int] = {}
        self.stats = Stats()
        self.recording = False
        self.stray = 0
        self.db = Database(
            make_engine(args.url, pool_size=8)
            if make_url(args.url).get_backend_name() == "postgresql"
            else make_engine(args.url)
        )
        self.keys: dict[str, Key] = {}
        self.reads = ThreadPoolExecutor(8, thread_name_prefix="key-reads")
        fake.listeners.append(self.on_call)

    # Called by the fake for every Bot API call a worker made.
    def on_call(self, call: Call) -> None:
        params = call.params
        chat = params.get("chat_id")
        if chat is None and call.method == "answerCallbackQuery":
            chat = self.query_owner.pop(str(params.get("callback_query_id")), None)
        if chat is None:
            return  # getMe, setWebhook, …
        p = self.pending.get(int(chat))
        if p is None:
            self.stray += 1
            return
        p.last_at, p.calls = call.at, p.calls + 1
        if call.status != 200:
            p.failure = p.failure or f"{call.method} {call.status}"
        if call.method == "answerCallbackQuery":
            if params.get("text"):  # an alert: the core refused the press
                p.failure = p.failure or "refused press"
            if p.kind == "callback":
                p.done.set()
            return
        if call.method == "editMessageText" and call.status == 200:
            # A button answer's feedback is edited into the question's message.
            if "Ask the tutor" in _buttons(params.get("reply_markup") or {}):
                p.feedback = call.result
            return
        if call.method != "sendMessage" or call.status != 200:
            return
        body = str(params.get("text", ""))
        markup = params.get("reply_markup") or {}
        buttons = _buttons(markup)
        if body.startswith(SORRY):
            p.failure = p.failure or "sorry"
        if _skip(buttons):
            p.question, p.typed = call.result, "A" not in buttons
            if not p.typed and p.kind == "message":
                p.done.set()
        elif "Ask the tutor" in buttons:
            p.feedback = call.result
        elif "force_reply" in markup:  # a grid-in's prompt follows its question
            if p.kind == "message":
                p.done.set()
        elif body.startswith(("Session complete", SORRY)):
            p.finished = body.startswith("Session complete")
            if p.kind == "message":
                p.done.set()

    async def send(
        self, http: aiohttp.ClientSession, uid: int, update: dict[str, Any], kind: str
    ) -> Pending:
        """POST one update to the student's worker; wait until the bot handled it."""
        query = update.get("callback_query")
        p = Pending(
            "callback" if query else "message", query["id"] if query else None, time.monotonic()
        )
        if query:
            self.query_owner[query["id"]] = uid
        self.pending[uid] = p
        worker = self.workers[uid % len(self.workers)]  # sticky
        try:
            async with http.post(
                worker.url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
            ) as response:
                await response.read()
                if response.status != 200:
                    p.failure = f"webhook {response.status}"
            await asyncio.wait_for(p.done.wait(), self.args.timeout)
        except (TimeoutError, aiohttp.ClientError) as exc:
            p.failure = p.failure or type(exc).__name__
        if not self.recording:
            return p
        self.stats.updates += 1
        self.stats.latencies.append((p.last_at or time.monotonic()) - p.t0)
        if p.failure:
            self.stats.error(p.failure)
        elif kind == "answer":
            self.stats.answers += 1
            self.stats.calls_per_answer.append(p.calls)
        elif kind == "tutor":
            self.stats.tutor += 1
        return p

    def key_of(self, skip_payload: str) -> Key | None:
        return question_of(self.db, self.keys, skip_payload)

    async def practise(
        self, http: aiohttp.ClientSession, uid: int, user: dict[str, Any], rng: random.Random
    ) -> None:
        theta = rng.gauss(0, 1)
        section = rng.choice(["math", "rw"])
        p = await self.send(http, uid, self.fake.text_update(user, f"/practice {section}"), "start")
        for _ in range(self.args.answers):
            question = p.question
            if p.failure or p.finished or question is None:
                return
            skip = _skip(_buttons(question.get("reply_markup")))
            loop = asyncio.get_running_loop()
            found = await loop.run_in_executor(self.reads, self.key_of, skip or "")
            if found is None:
                self.stats.error("no current question")
                return
            kind, key, a, b, c = found
            right = rng.random() < c + (1 - c) / (1 + math.exp(-a * (theta - b)))
            if kind == "mcq":
                letter = key[0] if right else rng.choice([x for x in "ABCD" if x != key[0]])
                payload = _buttons(question.get("reply_markup"))[letter]
                update = self.fake.callback_update(user, question, payload)
            else:
                update = self.fake.text_update(user, str(key[0]) if right else "9999")
            p = await self.send(http, uid, update, "answer")
            if p.feedback is not None and rng.random() < self.args.tutor_share:
                ask = _buttons(p.feedback.get("reply_markup")).get("Ask the tutor")
                if ask:
                    update = self.fake.callback_update(user, p.feedback, ask)
                    asked = await self.send(http, uid, update, "tutor")
                    p.failure = p.failure or asked.failure

    async def sit_test(
        self, http: aiohttp.ClientSession, uid: int, user: dict[str, Any], rng: random.Random
    ) -> None:
        section = rng.choice(["math", "rw"])
        update = self.fake.text_update(user, f"/test {section} untimed")
        p = await self.send(http, uid, update, "start")
        for _ in range(self.args.answers):
            question = p.question
            if p.failure or p.finished or question is None:
                return
            letters = [
                d for label, d in _buttons(question.get("reply_markup")).items() if label in "ABCD"
            ]
            if letters:
                update = self.fake.callback_update(user, question, rng.choice(letters))
            else:
                update = self.fake.text_update(user, str(rng.randint(1, 40)))
            p = await self.send(http, uid, update, "answer")

    async def student(self, http: aiohttp.ClientSession, uid: int, rng: random.Random) -> None:
        user = self.fake.user(uid, f"Student {uid}")
        if rng.random() < self.args.test_share:
            await self.sit_test(http, uid, user, rng)
        else:
            await self.practise(http, uid, user, rng)

    async def warm_up(self, http: aiohttp.ClientSession) -> None:
        """Each worker's caches (question pool, generators) filled before the clock, as
        load.py does: two practice starts and a test start per worker, not counted."""
        n = len(self.workers)
        for i in range(n):
            for offset, line in enumerate(("/practice math", "/practice rw", "/test math")):
                uid = 600_000 + n * (offset + 1) + i  # uid % n == i: worker i
                user = self.fake.user(uid, "Warm-up")
                await self.send(http, uid, self.fake.text_update(user, line), "start")

    async def run(self, clock_starts: Callable[[], None]) -> float:
        args = self.args
        queue: asyncio.Queue[int] = asyncio.Queue()
        for uid in range(700_000, 700_000 + args.students):
            queue.put_nowait(uid)

        async def player(index: int, http: aiohttp.ClientSession) -> None:
            rng = random.Random(args.seed * 1000 + index)
            while not queue.empty():
                await self.student(http, queue.get_nowait(), rng)

        connector = aiohttp.TCPConnector(limit=args.concurrency * 2)
        async with aiohttp.ClientSession(connector=connector) as http:
            await self.warm_up(http)
            self.recording = True
            clock_starts()
            start = time.monotonic()
            await asyncio.gather(*(player(i, http) for i in range(args.concurrency)))
            return time.monotonic() - start


@dataclass
class Usage:
    """CPU seconds so far, of everything the run uses (and of the whole machine)."""

    workers: list[float]
    postgres: float
    me: float
    machine: float

    @classmethod
    def now(cls, workers: list[Worker], database: str) -> Usage:
        me = resource.getrusage(resource.RUSAGE_SELF)
        return cls(
            [w.cpu() for w in workers],
            postgres_cpu(database),
            me.ru_utime + me.ru_stime,
            machine_cpu(),
        )

    def __sub__(self, other: Usage) -> Usage:
        return Usage(
            [a - b for a, b in zip(self.workers, other.workers, strict=True)],
            self.postgres - other.postgres,
            self.me - other.me,
            self.machine - other.machine,
        )


async def bench(args: argparse.Namespace) -> int:
    fake = FakeBotApi()
    await fake.start()
    logdir = Path(tempfile.mkdtemp(prefix="satprep-bench-tg-"))
    database = make_url(args.url).database or ""
    workers = start_workers(args, fake, logdir)
    load: Load | None = None
    try:
        await wait_ready(workers, fake)
        fake.keep_calls = False  # only the listener from here on
        load = Load(args, fake, workers)
        marks: list[Usage] = []
        wall = await load.run(lambda: marks.append(Usage.now(workers, database)))
        used = Usage.now(workers, database) - marks[0]
        rss = [w.peak_rss_mb() for w in workers]
        dead = [w.index + 1 for w in workers if w.proc.poll() is not None]
    finally:
        stop_workers(workers)
        await fake.stop()
        if load is not None:
            load.reads.shutdown()
            load.db.dispose()
    stats = load.stats
    lat = sorted(stats.latencies)

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000

    if args.satprep_run:
        worker_kind = "satprep run"
    else:
        cap = f"{args.rate:g} requests/s each" if args.rate else "none"
        worker_kind = f"bench/tg_worker.py; rate cap {cap}"
    cores = os.cpu_count() or 1
    ours = sum(used.workers) + used.postgres + used.me
    print(f"engine              {load.db.engine.dialect.name}")
    print(
        f"bot                 {args.workers} webhook worker processes ({worker_kind}); "
        "students sticky to a worker; fake Bot API + students in this process"
    )
    print(
        f"students            {args.students} ({args.concurrency} in flight; "
        f"{args.answers} answers each; {args.test_share:.0%} sit a test, "
        f"{args.tutor_share:.0%} of practice answers ask the tutor)"
    )
    print(f"events              {stats.updates} updates in {wall:.1f} s ({stats.tutor} tutor asks)")
    print(f"answered questions  {stats.answers} → {stats.answers / wall:.0f} per second")
    print(
        f"latency per event   p50 {pct(0.50):.1f} ms · p95 {pct(0.95):.1f} ms · "
        f"p99 {pct(0.99):.1f} ms (POST → the bot's last Bot API call for the update)"
    )
    if stats.calls_per_answer:
        print(
            f"API calls/answer    median {statistics.median(stats.calls_per_answer):.0f} · "
            f"max {max(stats.calls_per_answer)}"
        )
    print(
        f"bot CPU per event   {1000 * sum(used.workers) / max(1, stats.updates):.1f} ms "
        "(user+system of the worker processes)"
    )
    print(
        f"CPU seconds         workers {' + '.join(f'{c:.1f}' for c in used.workers)} · "
        f"postgres {used.postgres:.1f} · fake API + students {used.me:.1f} · "
        f"other processes {max(0.0, used.machine - ours):.1f} "
        f"(of {cores} cores × {wall:.1f} s = {cores * wall:.0f})"
    )
    kinds = ", ".join(f"{k}: {n}" for k, n in sorted(stats.error_kinds.items()))
    print(f"errors              {stats.errors}" + (f" ({kinds})" if kinds else ""))
    print(
        "peak memory (RSS)   " + ", ".join(f"{mb:.0f} MB" for mb in rss) + " (per worker process)"
    )
    if load.stray:
        print(f"stray API calls     {load.stray}")
    if dead:
        print(f"workers that died   {dead} (logs in {logdir})")
    return 0 if stats.errors == 0 and not dead else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/satprep_bench_tg")
    parser.add_argument("--students", type=int, default=400)
    parser.add_argument("--answers", type=int, default=5, help="answers per student")
    parser.add_argument(
        "--concurrency", type=int, default=16, help="students in flight at once (all workers)"
    )
    parser.add_argument("--workers", type=int, default=2, help="bot worker processes")
    parser.add_argument(
        "--rate",
        type=float,
        default=30.0,
        help="each worker's cap on requests to chats per second (the product's 30; 0: none)",
    )
    parser.add_argument(
        "--satprep-run",
        action="store_true",
        help="run `satprep run` as the workers (scheduler and deliveries included, 30/s cap)",
    )
    parser.add_argument("--test-share", type=float, default=0.2, help="students sitting a test")
    parser.add_argument(
        "--tutor-share", type=float, default=0.1, help="practice answers followed by a tutor ask"
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait per update")
    parser.add_argument("--log-level", default="WARNING")
    parser.add_argument(
        "--switch-interval",
        type=float,
        help="the workers' sys.setswitchinterval (GIL hand-over between the event loop and "
        "the dispatcher threads; CPython's default is 0.005 s)",
    )
    parser.add_argument(
        "--profile", metavar="DIR", help="cProfile each worker's event loop thread into DIR"
    )
    parser.add_argument(
        "--concurrent-updates",
        type=int,
        help="updates each worker handles at once (build_application's concurrent_updates)",
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    fresh_database(args.url)
    parsed = make_url(args.url)
    db = Database(
        make_engine(args.url, pool_size=8)
        if parsed.get_backend_name() == "postgresql"
        else make_engine(args.url)
    )
    db.dispose()
    return asyncio.run(bench(args))


if __name__ == "__main__":
    sys.exit(main())
