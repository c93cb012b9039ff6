"""The migrations build the whole schema, agree with the models, and reverse."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

from core.db.engine import make_engine
from core.db.migrate import current, downgrade, upgrade
from core.db.models import Base
from tests.conftest import PG_URL

SEED_TABLES = {
    "users": {
        "user_id",
        "email",
        "hashed_password",
        "role",
        "study_hours",
        "points",
        "streak",
        "league",
    },
    "questions": {
        "question_id",
        "domain",
        "skill",
        "text",
        "options",
        "correct_answer",
        "a_param",
        "b_param",
        "c_param",
    },
    "responses": {
        "id",
        "session_id",
        "user_id",
        "question_id",
        "answer",
        "time_spent",
        "timestamp",
        "review_text",
    },
    "proficiencies": {"id", "user_id", "domain", "skill", "theta", "timestamp"},
    "practice_sessions": {"session_id", "user_id", "theta", "test_type", "section", "plan_id"},
    "study_plans": {"plan_id", "user_id", "test_date"},
    "study_plan_actions": {"id", "plan_id", "task", "action", "due_date", "points", "completed"},
    "badges": {"id", "user_id", "name", "awarded_at"},
    "notifications": {"id", "user_id", "message", "timestamp", "read"},
    "tutor_interactions": {"id", "user_id", "query", "response", "timestamp", "duration"},
    "tutor_actions": {"id", "tutor_id", "student_id", "action", "details", "timestamp"},
    "posts": {"id", "user_id", "content", "timestamp"},
    "comments": {"id", "post_id", "user_id", "content", "timestamp"},
    "friends": {"id", "user_id", "friend_id", "status", "timestamp"},
}

# What the product needs beyond the seed (table → columns that must exist).
PRODUCT_TABLES = {
    "identities": {"platform", "external_id", "username", "dm_chat_id", "reachable"},
    "student_links": {"student_id", "linked_id", "role", "consented_at"},
    "link_codes": {"code", "purpose", "expires_at", "used_at"},
    "study_groups": {"platform", "external_id"},
    "group_memberships": {"group_id", "user_id"},
    "notification_preferences": {"user_id", "kind", "enabled"},
    "test_modules": {"section", "stage", "route", "time_limit_s", "started_at", "ended_at"},
    "test_module_items": {"module_id", "question_id", "is_pretest"},
    "review_cards": {"user_id", "question_id", "due_at"},
    "worksheets": {"code", "user_id"},
    "worksheet_items": {"worksheet_code", "position", "question_id", "response_id"},
    "item_stats": {"question_id", "exposures"},
    "calibration_history": {"question_id", "a_param", "b_param", "c_param"},
}
USER_SETTINGS = {
    "timezone",
    "reminder_time",
    "quiet_start",
    "quiet_end",
    "test_date",
    "target_score",
    "study_hours",
}
OUTBOX = {"kind", "payload", "due_at", "status", "attempts", "last_error", "sent_at", "dedupe_key"}

UNIQUE_RULES = {
    "responses": {("session_id", "question_id")},
    "badges": {("user_id", "name")},
    "notifications": {("dedupe_key",)},
    "friends": {("pair_key",)},
    "group_memberships": {("group_id", "user_id")},
    "identities": {("platform", "external_id")},
}


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """An empty database of its own (migrations are destructive to share)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
        yield engine
        engine.dispose()
        return
    if not PG_URL:
        pytest.skip("SATPREP_TEST_DATABASE_URL is not set")
    name = f"satprep_migr_{secrets.token_hex(4)}"
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}"'))
    admin.dispose()


def test_migrations_build_every_table_and_constraint(fresh_engine: Engine) -> None:
    upgrade(fresh_engine)
    insp = inspect(fresh_engine)
    tables = set(insp.get_table_names())
    for table, columns in {**SEED_TABLES, **PRODUCT_TABLES}.items():
        assert table in tables, table
        found = {c["name"] for c in insp.get_columns(table)}
        assert columns <= found, (table, columns - found)
    assert {c["name"] for c in insp.get_columns("users")} >= USER_SETTINGS
    assert {c["name"] for c in insp.get_columns("notifications")} >= OUTBOX
    for table, rules in UNIQUE_RULES.items():
        uniques = {tuple(u["column_names"]) for u in insp.get_unique_constraints(table)}
        assert rules <= uniques, (table, uniques)
    fks = {fk["referred_table"]: fk for fk in insp.get_foreign_keys("responses")}
    assert fks["practice_sessions"]["options"].get("ondelete") == "CASCADE"
    assert "linked_user_id" not in {c["name"] for c in insp.get_columns("users")}


def test_models_and_migrations_agree(fresh_engine: Engine) -> None:
    upgrade(fresh_engine)
    with fresh_engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_upgrade_downgrade_upgrade(fresh_engine: Engine) -> None:
    upgrade(fresh_engine)
    assert current(fresh_engine) is not None
    downgrade(fresh_engine, "base")
    assert current(fresh_engine) is None
    leftover = set(inspect(fresh_engine).get_table_names()) - {"alembic_version"}
    assert leftover == set()
    upgrade(fresh_engine)
    assert "responses" in inspect(fresh_engine).get_table_names()
