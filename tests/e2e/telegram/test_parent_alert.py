"""End to end: a student finishes a test, the linked parent hears about it on Telegram.

The whole `satprep run` loop (bot/run.py) serves the real Telegram adapter
against the fake Bot API: the parent links with the student's code over
Telegram, the student sits a section test in the terminal adapter's place
(the recording chat), and the outbox delivers the alert — and, on the
weekly tick, the digest with its chart — through the fake server.
"""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from bot.run import serve_platforms
from bot.scheduler import make_digests
from bot.settings import PracticeSettings, SchedulerSettings, Settings
from core.chat.dispatcher import App, Dispatcher
from tests.chat.conversation import Chat, texts
from tests.e2e.telegram.conftest import telegram_settings
from tests.e2e.telegram.fake_bot_api import FakeBotApi


async def test_parent_gets_test_alert_and_weekly_digest(fake: FakeBotApi, app: App, clock) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(
        telegram=telegram_settings(fake, "polling"),
        scheduler=SchedulerSettings(dispatch_interval_s=1),
        practice=PracticeSettings(session_length=3),
    )
    student = Chat(Dispatcher(app), user_id="s-1")
    code = re.search(
        r"/link (\w+)", texts(await asyncio.to_thread(student.send, "/invite parent"))
    ).group(1)  # type: ignore[union-attr]

    stop = asyncio.Event()
    await fake.release_polls(False)
    server = asyncio.create_task(serve_platforms(settings, app, stop))
    try:
        parent = fake.user(77, "Mum")
        await fake.enqueue(fake.text_update(parent, f"/link {code}"))
        await fake.wait_for(lambda: any("linked to" in m.get("text", "") for m in fake.sent_to(77)))

        await asyncio.to_thread(student.send, "/test rw untimed")
        for _ in range(2):  # answer one question, then submit each module
            await asyncio.to_thread(student.press, "A")
            await asyncio.to_thread(student.press, "Overview")
            await asyncio.to_thread(student.press, "Submit module")
        assert "Score report" in student.last_text or any(
            "Score report" in texts([m]) for m in student.history
        )

        await fake.wait_for(
            lambda: any("finished a practice test" in m.get("text", "") for m in fake.sent_to(77))
        )
        await fake.wait_for(lambda: bool(fake.calls_to("sendPhoto")))

        # The weekly tick: Sunday 18:00 in the parent's time zone (UTC here).
        clock.now = clock.now + timedelta(days=6, hours=3)
        assert await asyncio.to_thread(make_digests, app) == 1
        await fake.wait_for(
            lambda: any("Weekly digest" in m.get("text", "") for m in fake.sent_to(77))
        )
        await fake.wait_for(lambda: len(fake.calls_to("sendPhoto")) >= 2)
        alerts = [
            m["text"] for m in fake.sent_to(77) if "finished a practice test" in m.get("text", "")
        ]
        assert len(alerts) == 1  # delivered once, however many delivery passes ran
    finally:
        stop.set()
        await fake.release_polls()
        await asyncio.wait_for(server, 30)
