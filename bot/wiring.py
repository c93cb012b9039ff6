"""The composition root: build the app (database, bank, tutor) once per process."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from core.chat.dispatcher import App
from core.db.engine import Database
from core.db.types import utcnow


def build_app(db: Database, clock: Callable[[], datetime] = utcnow, **services: object) -> App:
    """An :class:`App` with the shipped item bank and the configured services."""
    return App(db=db, clock=clock, services=dict(services))
