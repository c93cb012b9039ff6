"""Engines and the unit of work, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.orm import Session, sessionmaker

# A pooled connection idle this long is checked before it is handed out.
PING_AFTER_IDLE = 10.0  # seconds


def make_engine(
    url: str, *, ping_after_idle: float | None = PING_AFTER_IDLE, **kwargs: Any
) -> Engine:
    """Create an engine; for SQLite, create the file's folder and turn on
    foreign keys and WAL so that several processes can share the file.

    A server restart leaves dead connections in the pool. They are not
    pre-pinged on every checkout (``pool_pre_ping``, one round trip per
    transaction on the hot path; pass it to have it): the dispatcher retries
    an event once when SQLAlchemy reports a lost connection, and SQLAlchemy
    then discards every older pooled connection. Only a connection that sat
    idle for ``ping_after_idle`` seconds is pinged first (None: never), so
    the scheduler's jobs and other callers without a retry do not meet a
    connection that died during a quiet hour. See tests/faults/test_pg_restart.py.
    """
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        # SQLAlchemy 2.1 defaults to psycopg 3; the product pins psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg2")
        url = parsed.render_as_string(hide_password=False)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", False)
    engine = create_engine(url, **kwargs)
    if not kwargs["pool_pre_ping"] and ping_after_idle is not None:
        _ping_when_idle(engine, ping_after_idle)
    return engine


def _ping_when_idle(engine: Engine, idle_after: float) -> None:
    """Ping a pooled connection on checkout when it has been idle ``idle_after``
    seconds; a dead one makes the pool discard it (and every older one) and
    connect afresh, as ``pool_pre_ping`` does, without its cost under load."""
    dialect = engine.dialect

    def checked_in(_dbapi_conn: Any, record: Any) -> None:
        if record is not None:
            record.info["idle_since"] = time.monotonic()

    def checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < idle_after:
            return  # a fresh connection, or one in use a moment ago
        try:
            dialect.do_ping(dbapi_conn)
        except Exception as exc:
            raise InvalidatePoolError(f"idle connection failed its ping: {exc}") from exc

    event.listen(engine, "checkin", checked_in)
    event.listen(engine, "checkout", checked_out)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


class Database:
    """An engine and its session factory; ``uow()`` is one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Database:
        return cls(make_engine(url, **kwargs))

    @contextmanager
    def uow(self) -> Iterator[Session]:
        """One unit of work: commit when the block ends, roll back on error."""
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()
