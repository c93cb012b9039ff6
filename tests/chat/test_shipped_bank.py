"""The shipped bank (YAML items plus the Math generators) in real use."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.wiring import build_app, load_shipped_bank
from core.chat.dispatcher import Dispatcher
from core.db.engine import Database
from core.db.models import TestModuleItem
from tests.chat.conversation import Chat, texts


@pytest.fixture
def shipped(db: Database) -> Database:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the bank is the same on both engines; once is enough")
    with db.uow() as s:  # replace the synthetic bank with the shipped one
        from sqlalchemy import delete

        from core.db.models import Question

        s.execute(delete(Question))
    load_shipped_bank(db)
    return db


def test_three_full_length_tests_without_a_repeated_item(shipped: Database) -> None:
    chat = Chat(Dispatcher(build_app(shipped)), user_id="thrice")
    for run in range(3):
        out = texts(chat.send("/test untimed"))
        assert "Full-length test" in out, (run, out)
        for _ in range(4):  # submit each module unanswered: fast, and still "seen"
            chat.press("Overview")
            out = texts(chat.press("Submit module"))
        assert "Score report" in out
    with shipped.uow() as s:
        shown = list(s.scalars(select(TestModuleItem.question_id)))
    assert len(shown) == 3 * (2 * 27 + 2 * 22)
    assert len(set(shown)) == len(shown)
