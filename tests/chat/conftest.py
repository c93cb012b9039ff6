from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from core.chat.dispatcher import App, Dispatcher
from core.db.engine import Database
from tests.chat.conversation import Chat


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(db: Database, clock: Clock) -> App:
    from bot.wiring import build_app
    from core.services.questions import import_items
    from tests.chat.synthetic_bank import synthetic_items

    with db.uow() as s:
        import_items(s, synthetic_items(), bank="test")
    return build_app(db, clock=clock, generators=False)


@pytest.fixture
def chat_factory(app: App) -> Callable[..., Chat]:
    dispatcher = Dispatcher(app)

    def make(user_id: str = "1001", **kw: object) -> Chat:
        return Chat(dispatcher, user_id=user_id, **kw)  # type: ignore[arg-type]

    return make


@pytest.fixture
def chat(chat_factory: Callable[..., Chat]) -> Chat:
    return chat_factory()
