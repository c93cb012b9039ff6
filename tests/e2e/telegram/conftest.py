"""Fixtures: the fake Bot API, and the real adapter running against it.

``tg`` starts the adapter (python-telegram-bot, the real handlers) in
polling or in webhook mode against :class:`FakeBotApi`, over the
conversation tests' database (SQLite and PostgreSQL) and synthetic bank.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler

from adapters.telegram import build_application, running
from bot.settings import PracticeSettings, Settings, TelegramSettings
from core.chat.dispatcher import App, Dispatcher
from core.db.engine import Database
from tests.chat.conftest import Clock, clock, db, synthetic_template  # noqa: F401
from tests.e2e.telegram.fake_bot_api import Call, FakeBotApi
from tests.ports import free_port

WEBHOOK_SECRET = "e2e_webhook-secret-42"
SESSION_LENGTH = 3


@pytest.fixture
def app(db: Database, clock: Clock) -> App:  # noqa: F811
    """The core app with short practice sessions (three questions)."""
    from bot.wiring import build_app

    settings = Settings(practice=PracticeSettings(session_length=SESSION_LENGTH))
    return build_app(db, clock=clock, generators=False, settings=settings)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi()
    await server.start()
    yield server
    await server.stop()


def telegram_settings(fake: FakeBotApi, mode: str) -> TelegramSettings:
    port = free_port()
    return TelegramSettings(
        token=SecretStr(fake.token),
        mode=mode,  # type: ignore[arg-type]
        api_url=fake.api_url,
        webhook_url=f"http://127.0.0.1:{port}/telegram/hook",
        webhook_listen="127.0.0.1",
        webhook_port=port,
        webhook_secret=SecretStr(WEBHOOK_SECRET),
    )


@dataclass
class Bot:
    """The running adapter and ways to talk to it through the fake server."""

    fake: FakeBotApi
    application: Application
    app: App
    mode: str
    processed: dict[int, asyncio.Event] = field(default_factory=dict)

    async def send(self, update: dict[str, Any]) -> list[Call]:
        """Deliver ``update`` the configured way; return the calls its handling made."""
        since = len(self.fake.calls)
        done = self.processed.setdefault(update["update_id"], asyncio.Event())
        if self.mode == "webhook":
            assert await self.fake.deliver(update) == 200
        else:
            await self.fake.enqueue(update)
        await asyncio.wait_for(done.wait(), 20)
        return [c for c in self.fake.calls[since:] if c.method != "getUpdates"]

    async def say(
        self, user: dict[str, Any], text: str, chat: dict[str, Any] | None = None
    ) -> list[Call]:
        return await self.send(self.fake.text_update(user, text, chat))

    async def press(self, user: dict[str, Any], message: dict[str, Any], data: str) -> list[Call]:
        return await self.send(self.fake.callback_update(user, message, data))

    def count(self, model: Any) -> int:
        with self.app.db.uow() as s:
            return int(s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def bot_factory(fake: FakeBotApi, app: App) -> Callable[..., Any]:
    """``async with bot_factory(mode, dispatcher=None) as bot:`` runs the adapter."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def start(mode: str, dispatcher: Any = None) -> AsyncIterator[Bot]:
        settings = telegram_settings(fake, mode)
        application = build_application(settings, dispatcher or Dispatcher(app))
        harness = Bot(fake, application, app, mode)

        async def mark_processed(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
            # A test-only observer in a later group: runs once the adapter's
            # handler for the update has finished.
            if isinstance(update, Update):
                harness.processed.setdefault(update.update_id, asyncio.Event()).set()

        application.add_handler(TypeHandler(Update, mark_processed), group=99)
        await fake.release_polls(False)
        async with running(application, settings, poll_timeout=5):
            yield harness
            await fake.release_polls()  # so that stopping does not wait for a long poll

    return start


@pytest.fixture(params=["polling", "webhook"])
async def tg(request: pytest.FixtureRequest, bot_factory: Callable[..., Any]) -> AsyncIterator[Bot]:
    """The adapter on the real database, in each mode."""
    async with bot_factory(request.param) as bot:
        yield bot
