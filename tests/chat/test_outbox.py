"""The notification outbox: once, on time, to the right chat."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from bot.delivery import deliver_due
from core.chat.delivery import RetryLater, Unreachable
from core.chat.dispatcher import App
from core.chat.messages import Image, Outgoing, Text
from core.db.models import Identity, Notification, NotificationPreference, User
from core.services import outbox


class FakeSender:
    """A platform sender that records deliveries and can be told to fail."""

    platform = "telegram"

    def __init__(self, fail: Exception | None = None) -> None:
        self.sent: list[tuple[str, list[Outgoing]]] = []
        self.fail = fail
        self.lock = threading.Lock()

    async def send(self, chat_id: str, messages: list[Outgoing]) -> None:
        if self.fail is not None:
            raise self.fail
        with self.lock:
            self.sent.append((chat_id, messages))


def _user(app: App, name: str, tz: str = "UTC", **kw: object) -> str:
    with app.db.uow() as s:
        user = User(display_name=name, timezone=tz, **kw)
        s.add(user)
        s.flush()
        s.add(
            Identity(
                user_id=user.user_id,
                platform="telegram",
                external_id=f"ext-{name}",
                dm_chat_id=f"chat-{name}",
            )
        )
        return user.user_id


def _run(app: App, sender: FakeSender, worker: str = "w1"):  # type: ignore[no-untyped-def]
    return asyncio.run(deliver_due(app, {"telegram": sender}, worker=worker))


def test_enqueue_dedupes_and_delivers_once(app: App) -> None:
    uid = _user(app, "ada")
    now = app.clock()
    with app.db.uow() as s:
        assert outbox.enqueue(s, uid, "streak", "Keep it up", now, dedupe_key="streak:x:1")
        assert not outbox.enqueue(s, uid, "streak", "Keep it up", now, dedupe_key="streak:x:1")
    sender = FakeSender()
    assert _run(app, sender).sent == 1
    assert _run(app, sender).sent == 0
    assert [chat for chat, _ in sender.sent] == ["chat-ada"]
    with app.db.uow() as s:
        row = s.scalars(select(Notification)).one()
        assert row.status == "sent" and row.attempts == 1 and row.sent_at is not None


def test_two_dispatchers_race_over_many_rows(app: App, db) -> None:  # type: ignore[no-untyped-def]
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED claims are the PostgreSQL path; SQLite has one writer")
    users = [_user(app, f"u{i}") for i in range(50)]
    now = app.clock()
    with app.db.uow() as s:
        for i in range(1000):
            outbox.enqueue(s, users[i % 50], "plan", f"message {i}", now, dedupe_key=f"race:{i}")
    sender = FakeSender()
    totals = [0, 0]

    def worker(index: int) -> None:
        while True:
            report = asyncio.run(
                deliver_due(app, {"telegram": sender}, worker=f"w{index}", limit=37)
            )
            totals[index] += report.sent
            if report.sent == 0:
                return

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    texts = [m[0].text for _, m in sender.sent]  # type: ignore[union-attr]
    assert len(texts) == 1000 and len(set(texts)) == 1000
    assert sum(totals) == 1000 and min(totals) > 0  # both workers took part
    with app.db.uow() as s:
        assert (
            s.scalar(
                select(func.count()).select_from(Notification).where(Notification.status == "sent")
            )
            == 1000
        )


def test_crash_between_claim_and_send_is_retried(app: App, clock) -> None:  # type: ignore[no-untyped-def]
    uid = _user(app, "bo")
    with app.db.uow() as s:
        outbox.enqueue(s, uid, "plan", "hello", clock.now)
    with app.db.uow() as s:
        assert len(outbox.claim(s, clock.now, "dead-worker")) == 1  # then the process dies
    sender = FakeSender()
    assert _run(app, sender, "w2").sent == 0  # the claim is still leased
    clock.advance(minutes=6)
    assert _run(app, sender, "w2").sent == 1
    with app.db.uow() as s:
        assert not outbox.mark_sent(
            s, s.scalars(select(Notification.id)).one(), "dead-worker", clock.now
        )
        assert s.scalars(select(Notification)).one().status == "sent"


def test_quiet_hours_defer_and_opt_outs_suppress(app: App, clock) -> None:  # type: ignore[no-untyped-def]
    # 15:00 UTC is 00:00 in Tokyo: inside 22:00–07:00 quiet hours.
    uid = _user(app, "kiko", tz="Asia/Tokyo", quiet_start=time(22, 0), quiet_end=time(7, 0))
    with app.db.uow() as s:
        s.add(NotificationPreference(user_id=uid, kind="countdown", enabled=False))
        outbox.enqueue(s, uid, "plan", "plan for today", clock.now)
        outbox.enqueue(s, uid, "countdown", "7 days to go", clock.now, dedupe_key="cd")
    sender = FakeSender()
    assert _run(app, sender).sent == 0
    with app.db.uow() as s:
        plan = s.scalars(select(Notification).where(Notification.kind == "plan")).one()
        assert plan.due_at == datetime(2026, 11, 2, 22, 0, tzinfo=UTC)  # 07:00 Tokyo
        assert plan.attempts == 0
        assert (
            s.scalars(select(Notification.status).where(Notification.kind == "countdown")).one()
            == "suppressed"
        )
    clock.advance(hours=7, minutes=1)
    assert _run(app, sender).sent == 1
    assert [m[0].text for _, m in sender.sent] == ["plan for today"]  # type: ignore[union-attr]


def test_blocked_user_stops_retries(app: App) -> None:
    uid = _user(app, "gone")
    now = app.clock()
    with app.db.uow() as s:
        outbox.enqueue(s, uid, "plan", "one", now)
    assert _run(app, FakeSender(fail=Unreachable("403 blocked"))).unreachable == 1
    with app.db.uow() as s:
        outbox.enqueue(s, uid, "plan", "two", now)
    sender = FakeSender()
    assert _run(app, sender).sent == 0 and sender.sent == []
    with app.db.uow() as s:
        assert s.scalars(select(Identity.reachable)).one() is False
        assert sorted(s.scalars(select(Notification.status))) == ["failed", "failed"]


def test_rate_limits_back_off_then_give_up(app: App, clock) -> None:  # type: ignore[no-untyped-def]
    uid = _user(app, "slow")
    with app.db.uow() as s:
        outbox.enqueue(s, uid, "plan", "retry me", clock.now)
    flaky = FakeSender(fail=RetryLater("429", after=90))
    assert _run(app, flaky).retried == 1
    with app.db.uow() as s:
        row = s.scalars(select(Notification)).one()
        assert row.status == "pending" and row.due_at == clock.now + timedelta(seconds=90)
    for _ in range(outbox.MAX_ATTEMPTS + 2):
        clock.advance(hours=2)
        _run(app, flaky)
    with app.db.uow() as s:
        row = s.scalars(select(Notification)).one()
        assert row.status == "failed" and row.attempts == outbox.MAX_ATTEMPTS
    assert flaky.sent == []


def test_digest_push_carries_a_chart(app: App) -> None:
    uid = _user(app, "par")
    with app.db.uow() as s:
        from core.db.models import Proficiency

        s.add(
            Proficiency(
                user_id=uid,
                scope="section",
                section="math",
                theta=0.3,
                standard_error=0.4,
                timestamp=app.clock(),
            )
        )
        outbox.enqueue(
            s,
            uid,
            "digest",
            "weekly",
            app.clock(),
            payload={"chart": "progress", "student_id": uid},
        )
    sender = FakeSender()
    _run(app, sender)
    ((_, messages),) = sender.sent
    assert isinstance(messages[0], Text) and isinstance(messages[1], Image)
    assert messages[1].png.startswith(b"\x89PNG")
