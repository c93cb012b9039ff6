from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, text, update

from core.chat.dispatcher import App, Dispatcher
from core.db.engine import Database
from core.db.models import Base, Question
from core.services.questions import import_items
from tests.chat.conversation import Chat
from tests.chat.synthetic_bank import synthetic_items
from tests.conftest import ENGINES


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


@pytest.fixture(scope="session")
def synthetic_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The migrated SQLite template with the synthetic bank imported, built once."""
    path = tmp_path_factory.mktemp("synthetic") / "bank.sqlite3"
    shutil.copy(sqlite_template, path)
    database = Database.from_url(f"sqlite:///{path}")
    with database.uow() as s:
        import_items(s, synthetic_items(), bank="test")
    database.dispose()
    return path


@pytest.fixture(params=ENGINES)
def db(
    request: pytest.FixtureRequest, tmp_path: Path, synthetic_template: Path
) -> Iterator[Database]:
    """A database holding only the synthetic bank, on each engine."""
    if request.param == "sqlite":
        path = tmp_path / "chat.sqlite3"
        shutil.copy(synthetic_template, path)
        database = Database.from_url(f"sqlite:///{path}")
        yield database
        database.dispose()
        return
    database = request.getfixturevalue("pg_database")
    # Rows are deleted, not TRUNCATEd: TRUNCATE … CASCADE would empty
    # ``questions`` too (its owner_id references users) and force a re-import.
    with database.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name != "questions":
                conn.execute(table.delete())
                if "id" in table.c and table.c.id.autoincrement is not False:
                    # Ids start at 1 again, as after TRUNCATE … RESTART IDENTITY.
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), 1, false)"
                        )
                    )
    items = synthetic_items()
    with database.uow() as s:
        changed = (
            (Question.bank != "test")
            | Question.calibrated_at.is_not(None)
            | Question.is_anchor.is_(True)
        )
        s.execute(delete(Question).where(changed))
        if s.scalar(select(func.count()).select_from(Question)) != len(items):
            s.execute(delete(Question))
            import_items(s, items, bank="test")
        else:  # undo what a test may have changed
            s.execute(update(Question).values(retired=False))
    yield database


@pytest.fixture
def app(db: Database, clock: Clock) -> App:
    from bot.wiring import build_app

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
