"""/connect, /disconnect, /export and /delete_me through the recording chat."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from sqlalchemy import func, select

from core.chat.messages import Document
from core.db.models import Identity, LinkCode, PracticeSession, Question, Response, User
from core.services import accounts
from tests.chat.conversation import Chat, texts
from tests.chat.synthetic_bank import key_for


def _db(chat: Chat):  # type: ignore[no-untyped-def]
    return chat.dispatcher.app.db


def _answer_some(chat: Chat, n: int) -> None:
    chat.send("/practice transitions")
    for i in range(n):
        with _db(chat).uow() as s:
            session = s.scalars(
                select(PracticeSession).where(PracticeSession.status == "active")
            ).first()
            assert session is not None
            q = s.get(Question, session.current_question_id)
            assert q is not None
            value = key_for(q.question_id, i % 2 == 0, q.type == "spr", q.text)
        chat.send(value)
    chat.send("/stop")


def _code(chat: Chat) -> str:
    match = re.search(r"/connect ([A-Z0-9]{8})", texts(chat.send("/connect")))
    assert match, chat.last_text
    return match.group(1)


def _export(chat: Chat) -> dict:  # type: ignore[type-arg]
    doc = next(m for m in chat.send("/export") if isinstance(m, Document))
    assert doc.filename.endswith(".json")
    return json.loads(doc.data)  # type: ignore[no-any-return]


def _user_of(chat: Chat) -> str:
    with _db(chat).uow() as s:
        return s.scalars(
            select(Identity.user_id).where(
                Identity.platform == chat.platform, Identity.external_id == chat.user_id
            )
        ).one()


def test_connect_merges_history_and_disconnect_keeps_it(
    chat_factory: Callable[..., Chat], clock
) -> None:  # type: ignore[no-untyped-def]
    tg = chat_factory("7001", platform="telegram")
    _answer_some(tg, 3)
    clock.advance(minutes=1)
    dc = chat_factory("8001", platform="discord")
    dc.send("/start")
    code = _code(tg)
    out = texts(dc.send(f"/connect {code}"))
    assert "Connected: Discord and Telegram now share one progress record (3 answers" in out
    assert _user_of(tg) == _user_of(dc)
    assert len(_export(dc)["tables"]["responses"]) == 3  # visible from Discord
    assert len(_export(tg)["tables"]["responses"]) == 3  # and from Telegram
    assert "already used" in texts(
        chat_factory("9001", platform="console").send(f"/connect {code}")
    )

    # Disconnect: Discord gets a fresh account, the history stays with Telegram.
    out = texts(tg.send("/disconnect discord"))
    assert "Your Discord account now has a fresh, empty record" in out
    assert "stays with Telegram" in out
    assert _user_of(tg) != _user_of(dc)
    assert "responses" not in _export(dc)["tables"]
    assert len(_export(tg)["tables"]["responses"]) == 3
    assert "nothing to split" in texts(tg.send("/disconnect"))
    assert "no Discord identity" in texts(tg.send("/disconnect discord"))


def test_connect_refusals_change_nothing(chat_factory: Callable[..., Chat], clock) -> None:  # type: ignore[no-untyped-def]
    tg = chat_factory("7001", platform="telegram")
    other_tg = chat_factory("7002", platform="telegram")
    dc = chat_factory("8001", platform="discord")
    _answer_some(tg, 2)
    _answer_some(dc, 2)
    code = _code(tg)
    assert "from this account" in texts(tg.send(f"/connect {code}"))
    assert "one identity per platform" in texts(other_tg.send(f"/connect {code}"))
    assert "Both accounts already have answers" in texts(dc.send(f"/connect {code}"))
    clock.advance(minutes=16)
    fresh = chat_factory("9001", platform="console")
    assert "expired" in texts(fresh.send(f"/connect {code}"))
    assert "don't know that code" in texts(fresh.send("/connect ZZZZ9999"))
    with _db(tg).uow() as s:
        # Refused first contacts roll back entirely: only the two real accounts exist.
        assert s.scalar(select(func.count()).select_from(User)) == 2
        row = s.get(LinkCode, code)
        assert row is not None and row.used_at is None


def test_delete_me_needs_the_callers_confirmation(chat_factory: Callable[..., Chat]) -> None:
    me = chat_factory("7001", platform="telegram")
    _answer_some(me, 2)
    uid = _user_of(me)
    out = texts(me.send("/delete_me"))
    assert "can't be undone" in out
    yes = me.button("Yes").payload
    intruder = chat_factory("6666", platform="telegram")
    assert "someone else" in texts(intruder.tap(yes))
    assert "Cancelled" in texts(me.press("Cancel"))
    assert "already used" in texts(me.tap(yes))  # one token per prompt
    me.send("/delete_me")
    out = texts(me.press("Yes"))
    assert "Deleted: your account, 2 answers" in out
    with _db(me).uow() as s:
        assert accounts.rows_naming(s, uid, ["7001"]) == []
        assert s.scalar(select(func.count()).select_from(Response)) == 0
        assert s.get(User, uid) is None
    assert "start" in texts(me.send("/help")).lower()  # writing again starts fresh
