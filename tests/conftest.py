"""Shared fixtures: a migrated database on SQLite and on PostgreSQL.

Every test that takes ``db`` runs twice, once per engine. PostgreSQL comes
from ``SATPREP_TEST_DATABASE_URL`` (``.ci/run`` starts the server and sets
it); without it the PostgreSQL half is skipped with a reason, never hidden.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from core.db.engine import Database, make_engine
from core.db.migrate import upgrade
from core.db.models import Base

PG_URL = os.environ.get("SATPREP_TEST_DATABASE_URL", "")
ENGINES = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file built once by the migrations; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[Database]:
    if not PG_URL:
        if os.environ.get("SATPREP_REQUIRE_POSTGRES"):
            pytest.fail("SATPREP_REQUIRE_POSTGRES is set but SATPREP_TEST_DATABASE_URL is not")
        pytest.skip("SATPREP_TEST_DATABASE_URL is not set (bash .ci/run sets it)")
    database = Database.from_url(PG_URL)
    with database.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade(database.engine)
    yield database
    database.dispose()


def truncate(database: Database, keep: tuple[str, ...] = ()) -> None:
    """Empty every table (but ``keep``) on PostgreSQL, fast."""
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables if t.name not in keep)
    with database.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=ENGINES)
def db(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    """A migrated, empty database: SQLite file copy, or PostgreSQL truncated."""
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copy(sqlite_template, path)
        database = Database.from_url(f"sqlite:///{path}")
        yield database
        database.dispose()
    else:
        database = request.getfixturevalue("pg_database")
        truncate(database)
        yield database
