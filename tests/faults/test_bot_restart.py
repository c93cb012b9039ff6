"""The bot process killed (SIGKILL) in the middle of a test and restarted (issue #12).

The bot is the real thing: ``python -m bot.cli run`` in a subprocess (the
Telegram adapter, the scheduler thread, deliveries), talking to the fake Bot
API (``tests/e2e/telegram/fake_bot_api.py``) on 127.0.0.1, over a SQLite
file in ``tmp_path`` (or the PostgreSQL of ``SATPREP_TEST_DATABASE_URL`` in
a slow variant) with the shipped question bank. A student sits a timed
section test and another practises; both answer a few questions with the
inline buttons; the process is SIGKILLed and a new one started on the same
database. Then:

- the update the first process handled last is delivered again (same
  ``update_id``: Telegram repeats an update it does not know was handled)
  and changes nothing;
- the buttons of the questions shown before the kill still work: the answer
  is saved once and the next question number follows;
- ``/test`` resumes the same session at the same place, its module timer
  still counts down to the same deadline (the downtime is the student's
  loss, as a clock on test day keeps running), nothing was lost or counted
  twice.

The slow variants kill the bot while it is sending the replies to an answer
(the answer is committed, the student never saw the next question): in a
test, pressing the same button again shows it and counts the answer once; in
practice, the old button says it was answered and ``/practice`` brings the
open question of the same session back.

Run with ``-s`` to see the downtime::

    pytest tests/faults/test_bot_restart.py -s
    pytest -m slow tests/faults/test_bot_restart.py -s
"""

from __future__ import annotations

import asyncio
import copy
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from core.db.engine import Database
from core.db.models import InboundEvent, PracticeSession, Response, TestModule
from tests.conftest import PG_URL, truncate
from tests.e2e.telegram.fake_bot_api import Call, FakeBotApi
from tests.ports import free_port

pytestmark = pytest.mark.network

ROOT = Path(__file__).resolve().parents[2]
SECRET = "restart_webhook-secret-7"
ADA, BEN = 4242, 4343  # Ada sits the test, Ben practises
READY_TIMEOUT = 60.0  # s for a process to start serving
REPLY_TIMEOUT = 20.0  # s for the bot to answer one update
TEST_SKIP = "Skip ⏭"
TIMER = re.compile(r"⏱ (\d+):(\d\d) left")


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """Label → callback_data of a message's inline keyboard."""
    markup = message.get("reply_markup") or {}
    return {b["text"]: b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row}


def seconds_left(text: str) -> int:
    match = TIMER.search(text)
    assert match, f"no timer in {text[:120]!r}"
    return int(match.group(1)) * 60 + int(match.group(2))


def body(text: str) -> str:
    """A question message without its header line (position, timer)."""
    return text.split("\n\n", 1)[1]


async def until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.02)


class BotProcess:
    """``python -m bot.cli run`` against the fake; start, SIGKILL, start again."""

    def __init__(self, fake: FakeBotApi, mode: str, database_url: str, tmp_path: Path) -> None:
        self.fake, self.mode, self.tmp_path = fake, mode, tmp_path
        self.port = free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SATPREP_")}
        self.env.update(
            SATPREP_DATABASE_URL=database_url,
            SATPREP_DATA_DIR=str(tmp_path / "data"),
            SATPREP_LOG_LEVEL="INFO",
            SATPREP_TELEGRAM_TOKEN=fake.token,
            SATPREP_TELEGRAM_API_URL=fake.api_url,
            SATPREP_TELEGRAM_MODE=mode,
            SATPREP_TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{self.port}/telegram/updates",
            SATPREP_TELEGRAM_WEBHOOK_LISTEN="127.0.0.1",
            SATPREP_TELEGRAM_WEBHOOK_PORT=str(self.port),
            SATPREP_TELEGRAM_WEBHOOK_SECRET=SECRET,
        )
        self.proc: subprocess.Popen[bytes] | None = None
        self.logs: list[Path] = []

    async def start(self) -> None:
        """Start a process and wait until it serves updates."""
        since = len(self.fake.calls)
        log = self.tmp_path / f"bot-{len(self.logs) + 1}.log"
        self.logs.append(log)
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "run"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        # Polling starts with deleteWebhook, then long-polls; a webhook worker
        # registers its URL, then opens its port.
        marker = "deleteWebhook" if self.mode == "polling" else "setWebhook"
        await until(
            lambda: (
                self.proc.poll() is not None  # type: ignore[union-attr]
                or any(c.method == marker for c in self.fake.calls[since:])
            ),
            READY_TIMEOUT,
            f"the bot's {marker}",
        )
        assert self.proc.poll() is None, f"the bot exited:\n{self.tail()}"
        if self.mode == "webhook":
            await until(self._listening, READY_TIMEOUT, "the webhook port")

    def _listening(self) -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def kill(self) -> None:
        assert self.proc is not None and self.proc.poll() is None, "the bot is not running"
        self.proc.send_signal(signal.SIGKILL)
        assert self.proc.wait(10) == -signal.SIGKILL

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    async def stop(self) -> int | None:
        """SIGTERM, as an operator stops it; the exit status (None: had to be killed)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        await self.fake.release_polls()  # a pending long poll would hold the stop up
        self.proc.terminate()
        for _ in range(300):
            if self.proc.poll() is not None:
                return self.proc.returncode
            await asyncio.sleep(0.05)
        self.proc.kill()
        self.proc.wait()
        return None

    def tail(self, chars: int = 6000) -> str:
        return "\n".join(
            f"--- {log.name}\n{log.read_text(errors='replace')[-chars:]}"
            for log in self.logs
            if log.exists()
        )


class Student:
    """A person in a private chat with the bot, through the fake."""

    def __init__(self, bot: BotProcess, user_id: int, name: str) -> None:
        self.bot, self.fake = bot, bot.fake
        self.id = user_id
        self.user = self.fake.user(user_id, name)

    async def deliver(self, update: dict[str, Any]) -> None:
        if self.bot.mode == "polling":
            await self.fake.enqueue(update)
        else:
            assert await self.fake.deliver(update) == 200

    def questions(self, skip_label: str) -> list[dict[str, Any]]:
        """The question messages the bot sent this student, oldest first."""
        return [m for m in self.fake.sent_to(self.id) if skip_label in buttons(m)]

    async def say(self, text: str, skip_label: str) -> dict[str, Any]:
        """Send ``text``; return the question message it brings."""
        before = len(self.questions(skip_label))
        await self.deliver(self.fake.text_update(self.user, text))
        await until(
            lambda: len(self.questions(skip_label)) > before,
            REPLY_TIMEOUT,
            f"a question after {text!r}:\n{self.bot.tail()}",
        )
        return self.questions(skip_label)[-1]

    async def press(self, message: dict[str, Any], label: str) -> tuple[dict[str, Any], list[Call]]:
        """Press ``label`` on ``message``; returns the update and the calls it caused."""
        update = self.fake.callback_update(self.user, message, buttons(message)[label])
        return update, await self.redeliver(update)

    async def redeliver(self, update: dict[str, Any]) -> list[Call]:
        """Deliver ``update`` (again); wait for the adapter's answerCallbackQuery, always last."""
        since = len(self.fake.calls)
        query_id = update["callback_query"]["id"]
        await self.deliver(update)

        def answered() -> bool:
            return any(
                c.method == "answerCallbackQuery" and c.params.get("callback_query_id") == query_id
                for c in self.fake.calls[since:]
            )

        await until(answered, REPLY_TIMEOUT, f"the answer to a press:\n{self.bot.tail()}")
        return [
            c
            for c in self.fake.calls[since:]
            if c.method != "getUpdates" and str(c.params.get("chat_id", self.id)) == str(self.id)
        ]


def sent_texts(calls: list[Call], method: str = "sendMessage") -> list[str]:
    return [str(c.params.get("text", "")) for c in calls if c.method == method and c.status == 200]


def joined(calls: list[Call], method: str) -> str:
    return "\n".join(sent_texts(calls, method))


def count(db: Database, model: Any, *where: Any) -> int:
    with db.uow() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def sessions_of(db: Database, kind: str) -> list[PracticeSession]:
    with db.uow() as s:
        rows = s.scalars(select(PracticeSession).where(PracticeSession.test_type == kind)).all()
        s.expunge_all()
        return list(rows)


def answers_of(db: Database, session_id: str) -> list[tuple[str, str | None]]:
    """(question, answer) of a session's responses, in the order they were made."""
    with db.uow() as s:
        rows = s.execute(
            select(Response.question_id, Response.answer)
            .where(Response.session_id == session_id)
            .order_by(Response.id)
        ).all()
        return [(q, a) for q, a in rows]


def module_of(db: Database, session_id: str) -> tuple[TestModule, list[str]]:
    """The session's only module (stage 1) and its question ids by position."""
    with db.uow() as s:
        [module] = s.scalars(select(TestModule).where(TestModule.session_id == session_id)).all()
        items = [i.question_id for i in module.items]
        s.expunge_all()
        return module, items


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@pytest.fixture
def database(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Database]:
    """(URL, Database): a fresh SQLite file, or the test PostgreSQL emptied."""
    engine = getattr(request, "param", "sqlite")
    if engine == "sqlite":
        url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
        db = Database.from_url(url)  # the bot's first start creates the schema
        request.addfinalizer(db.dispose)
        return url, db
    db = request.getfixturevalue("pg_database")
    truncate(db)
    request.addfinalizer(lambda: truncate(db))
    return PG_URL, db


@pytest.fixture
async def bot(
    request: pytest.FixtureRequest, fake: FakeBotApi, database: tuple[str, Database], tmp_path: Path
) -> AsyncIterator[BotProcess]:
    process = BotProcess(fake, request.param, database[0], tmp_path)
    yield process
    if process.running():  # else the test failed with it down; its log is in the message
        status = await process.stop()
        assert status == 0, f"the bot did not stop cleanly on SIGTERM:\n{process.tail()}"


VARIANTS = [
    pytest.param("polling", "sqlite", id="polling-sqlite"),
    pytest.param("webhook", "sqlite", id="webhook-sqlite", marks=pytest.mark.slow),
    pytest.param("webhook", "postgresql", id="webhook-postgresql", marks=pytest.mark.slow),
]


@pytest.mark.parametrize(("bot", "database"), VARIANTS, indirect=True)
async def test_sessions_continue_after_the_bot_is_killed(
    bot: BotProcess, database: tuple[str, Database]
) -> None:
    _, db = database
    await bot.start()
    ada, ben = Student(bot, ADA, "Ada"), Student(bot, BEN, "Ben")

    # Ada: a timed Reading and Writing section test, three answers.
    question = await ada.say("/test rw", TEST_SKIP)
    assert "Module 1 · Q 1/27" in question["text"]
    pressed = {}
    for label in ("B", "C", "A"):
        last_press, calls = await ada.press(question, label)
        n = len(pressed) + 1
        assert f"Q {n}: answer {label} saved." in joined(calls, "editMessageText")
        question = ada.questions(TEST_SKIP)[-1]
        assert f"Q {n + 1}/27" in question["text"]
        pressed[n] = label
    shown_before_kill = copy.deepcopy(question)  # Ada's Q4, unanswered
    left_before_kill = seconds_left(shown_before_kill["text"])

    # Ben: practice (a Reading and Writing skill: every question has A-D), one answer.
    practice_q = await ben.say("/practice transitions", "Skip")
    assert "Q 1/" in practice_q["text"]
    bens_press, calls = await ben.press(practice_q, "B")
    assert "(your answer: B)" in joined(calls, "editMessageText")
    bens_before_kill = copy.deepcopy(ben.questions("Skip")[-1])
    assert "Q 2/" in bens_before_kill["text"]

    [test] = sessions_of(db, "section")
    [practice] = sessions_of(db, "practice")
    module, items = module_of(db, test.session_id)
    assert answers_of(db, test.session_id) == [(items[i - 1], pressed[i]) for i in (1, 2, 3)]
    assert len(answers_of(db, practice.session_id)) == 1
    events_before = count(db, InboundEvent)

    if bot.mode == "polling":
        # Kill it while it waits in the long poll that confirmed everything so
        # far. Killed earlier, its confirming getUpdates could still be on the
        # wire and, read by the fake after the kill, confirm the update queued
        # again below (which Telegram would never have handed out again).
        await until(
            lambda: bot.fake.confirmed > bens_press["update_id"],
            REPLY_TIMEOUT,
            "the confirming getUpdates",
        )
    bot.kill()
    killed_at = time.monotonic()
    since_kill = len(bot.fake.calls)
    if bot.mode == "polling":
        # Telegram hands an update it was not told was handled to the next
        # getUpdates: the new process gets the last one again.
        await bot.fake.enqueue(last_press)
    await bot.start()
    downtime = time.monotonic() - killed_at
    print(f"\n{bot.mode}: killed → serving again in {downtime:.1f} s")

    # The repeated update (same update_id): answered, and nothing else happens.
    if bot.mode == "webhook":
        calls = await ada.redeliver(last_press)
    else:  # already queued: wait for the new process's answer to it
        query_id = last_press["callback_query"]["id"]
        await until(
            lambda: any(
                c.params.get("callback_query_id") == query_id
                for c in bot.fake.calls_to("answerCallbackQuery", since_kill)
            ),
            REPLY_TIMEOUT,
            "the repeated update",
        )
        calls = [c for c in bot.fake.calls[since_kill:] if c.params.get("chat_id") == ADA]
    assert not sent_texts(calls) and not sent_texts(calls, "editMessageText")
    assert count(db, InboundEvent) == events_before
    assert len(answers_of(db, test.session_id)) == 3

    # The question shown before the kill: its buttons still work, Q5 follows.
    _, calls = await ada.press(shown_before_kill, "D")
    assert "Q 4: answer D saved." in joined(calls, "editMessageText")
    after = ada.questions(TEST_SKIP)[-1]
    assert "Module 1 · Q 5/27" in after["text"]
    pressed[4] = "D"

    # /test resumes where it stands: the same session, Q5 again, same deadline.
    resumed = await ada.say("/test", TEST_SKIP)
    assert "Module 1 · Q 5/27" in resumed["text"]
    assert body(resumed["text"]) == body(after["text"])
    module_now, items_now = module_of(db, test.session_id)
    assert (module_now.id, items_now, module_now.ended_at) == (module.id, items, None)
    assert aware(module_now.deadline_at) == aware(module.deadline_at)  # type: ignore[arg-type]
    expected_left = (aware(module.deadline_at) - datetime.now(UTC)).total_seconds()  # type: ignore[arg-type]
    assert abs(seconds_left(resumed["text"]) - expected_left) <= 3
    assert seconds_left(resumed["text"]) <= left_before_kill - int(downtime)
    _, calls = await ada.press(resumed, "A")
    assert "Q 5: answer A saved." in joined(calls, "editMessageText")
    pressed[5] = "A"
    assert "Q 6/27" in ada.questions(TEST_SKIP)[-1]["text"]

    # Ben's question from before the kill: answered once, the session goes on.
    _, calls = await ben.press(bens_before_kill, "C")
    assert "(your answer: C)" in joined(calls, "editMessageText")
    assert "Q 3/" in ben.questions("Skip")[-1]["text"]

    [test_after] = sessions_of(db, "section")
    [practice_after] = sessions_of(db, "practice")
    assert (test_after.session_id, test_after.status) == (test.session_id, "active")
    assert (practice_after.session_id, practice_after.status) == (practice.session_id, "active")
    assert answers_of(db, test.session_id) == [(items[i - 1], pressed[i]) for i in range(1, 6)]
    bens = answers_of(db, practice.session_id)
    assert [a for _, a in bens] == ["B", "C"] and len({q for q, _ in bens}) == 2
    # Every update was stored once: 1 + 3 + 1 + 1 before the kill, 1 + 1 + 1 + 1 after.
    assert count(db, InboundEvent) == events_before + 4 == 10


@pytest.mark.slow
@pytest.mark.parametrize(("bot", "database"), [("polling", "sqlite")], indirect=True)
async def test_killed_while_replying_then_the_same_button_recovers(
    bot: BotProcess, database: tuple[str, Database]
) -> None:
    """The answer is committed, the bot dies before the student sees the next
    question (the reply is stuck behind a 429): the same button shows it."""
    _, db = database
    await bot.start()
    ada = Student(bot, ADA, "Ada")
    question = await ada.say("/test rw", TEST_SKIP)
    await ada.press(question, "B")
    question = copy.deepcopy(ada.questions(TEST_SKIP)[-1])  # Q2

    # The edit that acknowledges the answer waits out a long 429 …
    bot.fake.fail("editMessageText", 429, "Too Many Requests: retry after 60", retry_after=60)
    since = len(bot.fake.calls)
    update = bot.fake.callback_update(ada.user, question, buttons(question)["C"])
    await ada.deliver(update)
    await until(
        lambda: any(c.status == 429 for c in bot.fake.calls[since:]),
        REPLY_TIMEOUT,
        "the 429",
    )
    [test] = sessions_of(db, "section")
    _, items = module_of(db, test.session_id)
    assert answers_of(db, test.session_id) == [(items[0], "B"), (items[1], "C")]  # committed
    bot.kill()  # … and the process dies: no feedback, no Q3 on the screen
    assert ada.questions(TEST_SKIP)[-1]["message_id"] == question["message_id"]
    await bot.start()

    # The student presses C again (the spinner stopped without an answer).
    _, calls = await ada.press(question, "C")
    assert "Q 2: answer C saved." in joined(calls, "editMessageText")
    assert "Q 3/27" in ada.questions(TEST_SKIP)[-1]["text"]
    assert answers_of(db, test.session_id) == [(items[0], "B"), (items[1], "C")]  # once
    assert count(db, Response) == 2


@pytest.mark.slow
@pytest.mark.parametrize(("bot", "database"), [("polling", "sqlite")], indirect=True)
async def test_killed_while_replying_in_practice_the_same_button_recovers(
    bot: BotProcess, database: tuple[str, Database]
) -> None:
    """As above, in /practice: the answer is committed, the next question never sent.

    The old button says it was answered and points to /practice, which shows
    the open question of the same session again."""
    _, db = database
    await bot.start()
    ben = Student(bot, BEN, "Ben")
    question = copy.deepcopy(await ben.say("/practice transitions", "Skip"))
    bot.fake.fail("editMessageText", 429, "Too Many Requests: retry after 60", retry_after=60)
    since = len(bot.fake.calls)
    await ben.deliver(bot.fake.callback_update(ben.user, question, buttons(question)["B"]))
    await until(
        lambda: any(c.status == 429 for c in bot.fake.calls[since:]), REPLY_TIMEOUT, "the 429"
    )
    [practice] = sessions_of(db, "practice")
    assert [a for _, a in answers_of(db, practice.session_id)] == ["B"]  # committed
    bot.kill()
    await bot.start()

    _, calls = await ben.press(question, "B")
    assert "/practice" in joined(calls, "answerCallbackQuery")
    again = await ben.say("/practice", "Skip")
    assert "Q 2/" in again["text"]
    assert [a for _, a in answers_of(db, practice.session_id)] == ["B"]
    assert [s.session_id for s in sessions_of(db, "practice")] == [practice.session_id]
