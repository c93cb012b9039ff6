"""The composition root: build the database, the bank and the app once per process."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from core.chat.dispatcher import App
from core.db.engine import Database, make_engine
from core.db.migrate import current, upgrade
from core.db.types import utcnow

log = logging.getLogger(__name__)


class StartupError(Exception):
    """The bot cannot start; the message tells the operator what to do."""


def build_app(db: Database, clock: Callable[[], datetime] = utcnow, **services: object) -> App:
    """An :class:`App` over ``db`` with the given services (settings, tutor, …)."""
    return App(db=db, clock=clock, services=dict(services))


def open_database(url: str) -> Database:
    """Open the database; the embedded SQLite file is created and migrated here,
    PostgreSQL must have been migrated by the operator (``satprep db upgrade``)."""
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        upgrade(engine)
    else:
        from alembic.script import ScriptDirectory

        from core.db.migrate import alembic_config

        head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
        if current(engine) != head:
            raise StartupError(
                f"the database schema is not at the newest revision ({head}); "
                "run `satprep db upgrade` first"
            )
    return Database(engine)


def load_shipped_bank(db: Database) -> str:
    """Import the shipped YAML bank into ``questions`` (unchanged items are skipped)."""
    from core.content.bank import ItemBank
    from core.services.questions import import_items

    bank = ItemBank.load()
    for problem in bank.problems:
        log.warning("question bank: %s", problem)
    with db.uow() as s:
        report = import_items(s, bank.items.values(), bank="core")
    return (
        f"question bank: {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged"
    )


def bootstrap(settings: object) -> App:
    """Everything a bot process needs: database, bank, app with its services."""
    from core.tutor import Tutor
    from core.tutor.review import use_tutor

    db = open_database(settings.database_url)  # type: ignore[attr-defined]
    log.info(load_shipped_bank(db))
    tutor = Tutor.from_settings(settings)
    use_tutor(tutor)  # session reviews are written by the same tutor
    return build_app(db, settings=settings, tutor=tutor)
