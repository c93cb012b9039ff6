"""Fault: the platform answers 429s and 5xx for a minute. Pushes back off and complete,
nothing is sent twice, nothing is given up for a passing error.

The notifications come from the real services (the scheduler's reminder and
digest jobs), the delivery is the real loop (``bot.delivery.deliver_due``)
with the real Telegram sender (``adapters.telegram.build_sender``:
python-telegram-bot with its ``AIORateLimiter``) against the fake Bot API on
127.0.0.1. The minute of outage runs on the app's clock, which the test
moves from one delivery pass to the next as the scheduler would, so the
default run needs seconds, not a minute; the ``slow`` variant waits it out
in wall time (``pytest -m slow tests/faults``).

The figures the tests print (``-s``) are the ones quoted in the report:
``pytest -s tests/faults/test_platform_errors.py``.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from adapters.telegram import build_sender
from adapters.telegram.render import to_html
from adapters.telegram.request import AiohttpRequest
from adapters.telegram.sender import Pacer, TelegramSender
from bot.delivery import DeliveryReport, deliver_due
from bot.scheduler import make_digests, make_reminders
from bot.settings import TelegramSettings
from core.chat.dispatcher import App, Dispatcher
from core.db.models import Identity, Notification
from core.services import outbox
from tests.chat.conversation import Chat, texts
from tests.e2e.telegram.fake_bot_api import Call, FakeBotApi
from tests.tutor.helpers import answer

pytestmark = [pytest.mark.network, pytest.mark.timeout(60)]

SUNDAY = datetime(2026, 11, 8, 18, 30, tzinfo=UTC)  # digests are due, a test a week away
TEST_DATE = "2026-11-15"
STUDENTS = 50
PARENTS = 2
SEND_METHODS = ("sendMessage", "sendPhoto")
NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def sender_for_fake(fake: FakeBotApi, app: App) -> TelegramSender:
    """The sender ``satprep scheduler`` builds, pointed at the fake; its in-process
    network retries and per-chat pacing shortened so the test spends no idle seconds."""
    sender = build_sender(TelegramSettings(token=SecretStr(fake.token), api_url=fake.api_url), app)
    sender.backoff = 0.01
    sender.pacer = Pacer(dm_interval=0.05, group_interval=0.05)
    return sender


def people(app: App, fake: FakeBotApi, students: int, parents: int) -> list[Chat]:
    """Students on Telegram with a test date a week away; the first ``parents`` of
    them practise and have a parent linked. Returns the students' chats."""
    dispatcher = Dispatcher(app)
    chats = []
    for i in range(students):
        chat_id = 5000 + i
        fake.user(chat_id, f"Student{i}")
        chat = Chat(dispatcher, user_id=str(chat_id), platform="telegram", chat_id=str(chat_id))
        assert "Saved." in texts(chat.send(f"/settings test {TEST_DATE}"))
        chats.append(chat)
    for j in range(parents):
        student = chats[j]
        student.send("/practice math")
        for k in range(3):
            answer(student, correct=k != 1)
        assert "estimate" in texts(student.send("/stop"))  # a score for the digest's chart
        code = re.search(r"/link (\w+)", texts(student.send("/invite parent")))
        assert code is not None
        chat_id = 6000 + j
        fake.user(chat_id, f"Parent{j}")
        parent = Chat(dispatcher, user_id=str(chat_id), platform="telegram", chat_id=str(chat_id))
        assert "linked" in texts(parent.send(f"/link {code.group(1)}"))
    return chats


def queued(app: App) -> dict[int, tuple[str, str, str, bool]]:
    """Pending notifications: id → (kind, chat id, text, has a chart)."""
    with app.db.uow() as s:
        rows = s.execute(
            select(Notification, Identity.dm_chat_id)
            .join(Identity, Identity.user_id == Notification.user_id)
            .where(Notification.status == "pending", Identity.platform == "telegram")
        ).all()
        return {
            n.id: (n.kind, str(chat), n.message, (n.payload or {}).get("chart") == "progress")
            for n, chat in rows
        }


def rows(app: App) -> dict[int, dict[str, Any]]:
    with app.db.uow() as s:
        return {
            n.id: {
                "status": n.status,
                "attempts": n.attempts,
                "due_at": n.due_at,
                "last_error": n.last_error,
                "payload": dict(n.payload or {}),
            }
            for n in s.scalars(select(Notification))
        }


def delivered(fake: FakeBotApi) -> tuple[Counter[tuple[int, str]], Counter[int]]:
    """What reached the chats: (chat, text) of each text message, photos per chat."""
    text_msgs: Counter[tuple[int, str]] = Counter()
    photos: Counter[int] = Counter()
    for (chat, _), message in fake.messages.items():
        if message.get("from", {}).get("id") != fake.me["id"]:
            continue
        if "photo" in message:
            photos[chat] += 1
        elif "text" in message:
            text_msgs[(chat, message["text"])] += 1
    return text_msgs, photos


def plain(text: str) -> str:
    """A notification's text as Telegram shows it (the HTML markup parsed away)."""
    from tests.e2e.telegram.fake_bot_api import parse_html

    return parse_html(to_html(text))[0]


def stamp_calls(fake: FakeBotApi, clock: Any) -> list[tuple[datetime, float, Call]]:
    """Every call the fake answers, with the app's clock and the wall clock then."""
    stamped: list[tuple[datetime, float, Call]] = []
    fake.listeners.append(lambda call: stamped.append((clock.now, time.monotonic(), call)))
    return stamped


async def run_passes(
    app: App,
    fake_sender: TelegramSender,
    clock: Any,
    start: datetime,
    every: timedelta,
    until: datetime,
    done: Callable[[], bool],
) -> list[tuple[datetime, DeliveryReport, dict[int, dict[str, Any]]]]:
    """The scheduler's delivery job, once every ``every`` on the app's clock."""
    passes = []
    clock.now = start
    while clock.now <= until:
        report = await deliver_due(app, {"telegram": fake_sender}, worker="w1")
        passes.append((clock.now, report, rows(app)))
        if done():
            break
        clock.now += every
    return passes


def attempt_times(
    passes: list[tuple[datetime, DeliveryReport, dict[int, dict[str, Any]]]],
) -> dict[int, list[datetime]]:
    """When each notification was tried (a pass that raised its attempt count)."""
    seen: dict[int, int] = {}
    times: dict[int, list[datetime]] = {}
    for at, _, snapshot in passes:
        for nid, row in snapshot.items():
            if row["attempts"] > seen.get(nid, 0):
                times.setdefault(nid, []).extend([at] * (row["attempts"] - seen.get(nid, 0)))
            seen[nid] = row["attempts"]
    return times


async def test_a_minute_of_429s_and_5xx_backs_off_and_sends_everything_once(
    app: App, clock: Any, fake: FakeBotApi
) -> None:
    clock.now = SUNDAY
    await asyncio.to_thread(people, app, fake, STUDENTS, PARENTS)
    assert await asyncio.to_thread(make_reminders, app) == STUDENTS  # the countdowns
    assert await asyncio.to_thread(make_digests, app) == PARENTS
    expected = queued(app)
    assert Counter(kind for kind, *_ in expected.values()) == {
        "countdown": STUDENTS,  # "7 days to your SAT"
        "digest": PARENTS,  # the parent's weekly digest, text and chart
        "linked": PARENTS,  # "Someone is now linked to you as your parent"
    }

    # The minute: 429 with retry_after (through the rate limiter's own retries),
    # then Telegram's JSON 500s, then the proxy's HTML 502 pages; then it recovers.
    t0 = SUNDAY + timedelta(minutes=1)
    phases = [
        (t0, t0 + timedelta(seconds=5), 429),
        (t0 + timedelta(seconds=5), t0 + timedelta(seconds=30), 500),
        (t0 + timedelta(seconds=30), t0 + timedelta(seconds=60), 502),
    ]
    for method in SEND_METHODS:
        for begin, end, status in phases:

            def active(begin: datetime = begin, end: datetime = end) -> bool:
                return begin <= clock.now < end

            if status == 429:
                fake.outage(method, 429, "Too Many Requests: retry after 1", active, 1)
            elif status == 500:
                fake.outage(method, 500, "Internal Server Error", active)
            else:
                fake.outage(method, 502, "Bad Gateway", active, body=NGINX_502)
    stamped = stamp_calls(fake, clock)
    sender = sender_for_fake(fake, app)
    started = time.monotonic()
    try:
        passes = await run_passes(
            app,
            sender,
            clock,
            t0,
            timedelta(seconds=5),
            t0 + timedelta(minutes=10),
            lambda: all(r["status"] == "sent" for r in rows(app).values()),
        )
    finally:
        await sender.close()
    wall = time.monotonic() - started

    final = rows(app)
    times = attempt_times(passes)
    errors = Counter(c.status for _, _, c in stamped if c.method in SEND_METHODS)
    last = passes[-1][0]
    retried = {nid: t for nid, t in times.items() if len(t) > 1}
    print(
        f"\n[{app.db.engine.dialect.name}] {len(expected)} notifications; outage "
        f"{t0:%H:%M:%S}–{t0 + timedelta(seconds=60):%H:%M:%S}; all sent by "
        f"{last:%H:%M:%S} (+{(last - t0).total_seconds():.0f} s on the app clock) in "
        f"{len(passes)} passes, {wall:.1f} s of wall time; Bot API answers to sends: "
        f"{dict(sorted(errors.items()))}; deferred without an attempt: "
        f"{sum(r.deferred for _, r, _ in passes)}"
    )
    for nid, at in sorted(retried.items()):
        print(
            f"  notification {nid}: attempts at "
            + ", ".join(f"+{(a - t0).total_seconds():.0f} s" for a in at)
            + f" (last error before success: {passes_error(passes, nid)!r})"
        )

    # Everything was sent, exactly once, nothing was given up or marked unreachable.
    assert all(r["status"] == "sent" for r in final.values()), final
    with app.db.uow() as s:
        assert all(s.scalars(select(Identity.reachable)))
    text_msgs, photos = delivered(fake)
    want = Counter((int(chat), plain(text)) for _, chat, text, _ in expected.values())
    assert text_msgs == want
    charts = Counter(int(chat) for _, chat, _, chart in expected.values() if chart)
    assert photos == charts and sum(charts.values()) == PARENTS  # each digest has its chart

    # Nothing reached a chat during the outage, and the platform was not hammered:
    # each pass made one row's attempt (the limiter's and the sender's own retries
    # included), the other rows waited without an attempt counted.
    outage_end = t0 + timedelta(seconds=60)
    ok_during = [c for at, _, c in stamped if at < outage_end and c.status == 200]
    assert not [c for c in ok_during if c.method in SEND_METHODS]
    assert errors[429] and errors[500] and errors[502]
    outage_passes = [p for p in passes if p[0] < outage_end]
    assert all(r.sent == 0 and r.retried <= 1 for _, r, _ in outage_passes)
    assert sum(errors[s] for s in (429, 500, 502)) <= 4 * len(outage_passes)
    assert sum(r.deferred for _, r, _ in passes) > 0

    # The back-off: a row tried again waits longer each time (30 s, 60 s, …), at
    # least its retry_after after a 429, and never before it is due.
    assert retried, "no notification was retried"
    for nid, at in retried.items():
        gaps = [(b - a).total_seconds() for a, b in zip(at, at[1:], strict=False)]
        assert gaps == sorted(gaps) and len(set(gaps)) == len(gaps), (nid, gaps)
        for k, gap in enumerate(gaps, start=1):
            assert gap >= outbox.backoff(k).total_seconds(), (nid, gaps)
    # retry_after=1 was honoured by the rate limiter: the next call after a 429 came a
    # second later at the earliest (so no 429 was answered by a send at once) …
    sends = [(at, w, c) for at, w, c in stamped if c.method in SEND_METHODS]
    for (at1, w1, c1), (at2, w2, _) in zip(sends, sends[1:], strict=False):
        if c1.status == 429:
            assert w2 - w1 >= 1.0 or at2 - at1 >= timedelta(seconds=1)
    # … and by the outbox: the row that met it and the rows deferred after it were
    # not due again sooner than a second later.
    first_pass_at, first_report, first_rows = passes[0]
    assert first_report.retried == 1 and first_report.deferred == len(expected) - 1
    for row in first_rows.values():
        assert row["due_at"] >= first_pass_at + timedelta(seconds=1)
        assert row["status"] == "pending"
    assert sum(1 for r in first_rows.values() if r["attempts"] == 1) == 1
    assert all(r["attempts"] <= 3 for r in final.values())
    assert sum(r["attempts"] for r in final.values()) < len(expected) + 10


def passes_error(
    passes: list[tuple[datetime, DeliveryReport, dict[int, dict[str, Any]]]], nid: int
) -> str | None:
    errors = [snap[nid]["last_error"] for _, _, snap in passes if snap[nid]["last_error"]]
    return errors[-1][:60] if errors else None


async def test_a_digest_whose_chart_fails_sends_only_the_chart_again(
    app: App, clock: Any, fake: FakeBotApi
) -> None:
    clock.now = SUNDAY
    await asyncio.to_thread(people, app, fake, 1, 1)
    assert await asyncio.to_thread(make_digests, app) == 1
    (digest_id,) = [nid for nid, (kind, *_) in queued(app).items() if kind == "digest"]
    fake.fail("sendPhoto", 502, "Bad Gateway", times=4, body=NGINX_502)  # 1 + 3 retries
    sender = sender_for_fake(fake, app)
    try:
        report = await deliver_due(app, {"telegram": sender}, worker="w1")
        after_first = rows(app)[digest_id]
        clock.now += outbox.backoff(1)
        second = await deliver_due(app, {"telegram": sender}, worker="w1")
    finally:
        await sender.close()
    text_msgs, photos = delivered(fake)
    parent_texts = [text for (chat, text), n in text_msgs.items() if chat == 6000 for _ in range(n)]
    print(
        f"\n[{app.db.engine.dialect.name}] digest: pass 1 {report}, row after it "
        f"{after_first['status']}/{after_first['attempts']} {after_first['payload']}; "
        f"pass 2 {second}; parent got {len(parent_texts)} text(s), {photos[6000]} chart(s)"
    )
    assert report.retried >= 1 and after_first["status"] == "pending"
    assert after_first["payload"][outbox.PROGRESS] == 1  # the text went out
    assert len(fake.calls_to("sendPhoto")) == 5  # 4 refused, then the one that went out
    assert [t for t in parent_texts if "Weekly digest" in t] == parent_texts
    assert len(parent_texts) == 1 and photos[6000] == 1  # the text was not sent again
    final = rows(app)[digest_id]
    assert final["status"] == "sent" and final["attempts"] == 2


@pytest.mark.parametrize("backend", [AiohttpRequest, HTTPXRequest])
async def test_a_push_whose_answer_times_out_is_not_sent_twice(
    app: App, clock: Any, fake: FakeBotApi, backend: type[AiohttpRequest | HTTPXRequest]
) -> None:
    """Telegram took the message but the answer came after the client's read
    timeout: the message may be in the chat, so it is not sent again. On the
    adapter's aiohttp backend (build_sender's) and on PTB's default one."""
    await asyncio.to_thread(people, app, fake, 1, 0)
    clock.now = datetime(2026, 11, 8, 9, 30, tzinfo=UTC)
    assert await asyncio.to_thread(make_reminders, app) == 1
    fake.stall("sendMessage", 1.0)
    bot = ExtBot(
        fake.token,
        base_url=fake.api_url,
        request=backend(read_timeout=0.3),  # as build_sender's bot, with a short timeout
        rate_limiter=AIORateLimiter(max_retries=3),
    )
    sender = TelegramSender(bot, app.db, clock=app.clock, backoff=0.01)
    try:
        report = await deliver_due(app, {"telegram": sender}, worker="w1")
        await asyncio.sleep(1.0)  # let the stalled answer finish on the server
    finally:
        await sender.close()
    text_msgs, _ = delivered(fake)
    print(
        f"\n[{app.db.engine.dialect.name}] timed-out send: {report}; "
        f"{sum(text_msgs.values())} message(s) in the chat, "
        f"{len(fake.calls_to('sendMessage'))} sendMessage call(s)"
    )
    assert len(fake.calls_to("sendMessage")) == 1 and sum(text_msgs.values()) == 1
    assert report.sent == 1
    (row,) = rows(app).values()
    assert row["status"] == "sent" and row["attempts"] == 1


async def test_a_pass_that_outlives_its_lease_sends_no_row_twice(
    app: App, clock: Any, fake: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first push of a pass takes longer than the claims' lease (the rate limiter
    sleeping through a long retry_after, say; here the app's clock runs ahead while
    the fake holds the answer). Meanwhile another worker takes over what expired. The
    claim of the push in flight stays fresh, and the first worker sends nothing the
    other one took."""
    import bot.delivery

    monkeypatch.setattr(bot.delivery, "HEARTBEAT_S", 0.05)  # a minute, in the test's time
    await asyncio.to_thread(people, app, fake, 3, 0)
    clock.now = datetime(2026, 11, 8, 9, 30, tzinfo=UTC)
    assert await asyncio.to_thread(make_reminders, app) == 3
    fake.stall("sendMessage", 0.6)
    sender = sender_for_fake(fake, app)
    try:
        first = asyncio.create_task(deliver_due(app, {"telegram": sender}, worker="w1"))
        await fake.wait_for(lambda: bool(fake.calls_to("sendMessage")))
        for minutes in (2, 2, 2):  # six minutes pass while the answer is held
            clock.now += timedelta(minutes=minutes)
            await asyncio.sleep(0.15)  # the heartbeat's turn
        with app.db.uow() as s:
            taken = [c.id for c in outbox.claim(s, clock.now, "w2")]
        report = await first
    finally:
        await sender.close()
    final = rows(app)
    print(f"\n[{app.db.engine.dialect.name}] lease: w1 {report}; w2 took rows {taken}")
    in_flight = fake.calls_to("sendMessage")[0].params["chat_id"]
    assert len(taken) == 2  # the expired claims, not the one whose send was under way
    assert report.sent == 1 and len(fake.calls_to("sendMessage")) == 1
    assert sorted(r["status"] for r in final.values()) == ["sending", "sending", "sent"]
    assert in_flight == 5000


@pytest.mark.slow
@pytest.mark.timeout(400)
async def test_a_real_minute_of_429s_and_5xx(app: App, clock: Any, fake: FakeBotApi) -> None:
    """The same minute in wall time: the app's clock follows the real one, the
    delivery job runs every 5 s, Telegram asks for 5 s between tries."""
    base = SUNDAY
    clock.now = base
    await asyncio.to_thread(people, app, fake, 20, 1)
    await asyncio.to_thread(make_reminders, app)
    await asyncio.to_thread(make_digests, app)
    expected = queued(app)
    real0 = time.monotonic()

    def tick() -> None:
        clock.now = base + timedelta(seconds=time.monotonic() - real0)

    def within(a: float, b: float) -> Callable[[], bool]:
        return lambda: a <= time.monotonic() - real0 < b

    for method in SEND_METHODS:
        fake.outage(method, 429, "Too Many Requests: retry after 5", within(0, 20), 5)
        fake.outage(method, 500, "Internal Server Error", within(20, 40))
        fake.outage(method, 502, "Bad Gateway", within(40, 60), body=NGINX_502)
    sender = sender_for_fake(fake, app)
    passes = 0
    try:
        while time.monotonic() - real0 < 330:
            tick()
            await deliver_due(app, {"telegram": sender}, worker="w1")
            passes += 1
            if all(r["status"] == "sent" for r in rows(app).values()):
                break
            await asyncio.sleep(5)
    finally:
        await sender.close()
    took = time.monotonic() - real0
    final = rows(app)
    text_msgs, photos = delivered(fake)
    print(
        f"\n[{app.db.engine.dialect.name}] real minute: {len(expected)} notifications sent "
        f"after {took:.0f} s in {passes} passes; attempts "
        f"{Counter(r['attempts'] for r in final.values())}"
    )
    assert all(r["status"] == "sent" for r in final.values())
    want = Counter((int(chat), plain(text)) for _, chat, text, _ in expected.values())
    assert text_msgs == want and sum(photos.values()) == 1
