"""Hostile input: arbitrary text, commands, arguments and button payloads.

Nothing may crash the dispatcher (its generic "something went wrong" reply
is a failure here), forged payloads must never record an answer, and every
reply is a readable sentence.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

import core.chat.handlers  # noqa: F401  (registers every command)
from core.chat.dispatcher import COMMANDS, SORRY
from core.chat.messages import Incoming, Text
from core.content.spr import check_spr
from core.db.models import Response
from tests.chat.conversation import Chat, texts

HYPO = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ODD = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)
SQLISH = st.sampled_from(
    [
        "'; DROP TABLE users; --",
        "1 OR 1=1",
        '" OR ""="',
        "%00",
        "${7*7}",
        "{{7*7}}",
        "<script>alert(1)</script>",
        "‮gnp.exe",
        "👩‍👩‍👧‍👦" * 50,
        "\u0000\u0001",
    ]
)


@pytest.fixture
def started(chat: Chat, db) -> Chat:  # type: ignore[no-untyped-def]
    if db.engine.dialect.name != "sqlite":
        pytest.skip("property runs once, on the embedded engine")
    chat.send("/practice algebra")
    return chat


def _responses(chat: Chat) -> int:
    with chat.dispatcher.app.db.uow() as s:
        return s.scalar(select(func.count()).select_from(Response)) or 0


def _readable(out: list) -> None:  # type: ignore[type-arg]
    assert SORRY not in texts(out)
    for msg in out:
        if isinstance(msg, Text):
            assert msg.text.strip()


@HYPO
@given(
    payload=st.one_of(
        ODD, SQLISH, st.from_regex(r"[A-Za-z0-9]{10}\.[A-Za-z0-9_:-]{1,40}", fullmatch=True)
    )
)
def test_forged_button_payloads_change_nothing(started: Chat, payload: str) -> None:
    before = _responses(started)
    out = started.tap(payload)
    _readable(out)
    assert _responses(started) == before


@HYPO
@given(name=st.sampled_from(sorted(COMMANDS)), args=st.one_of(ODD, SQLISH))
def test_every_command_survives_any_arguments(started: Chat, name: str, args: str) -> None:
    if name in ("delete_me",):
        return
    out = started.send(f"/{name} {args}")
    _readable(out)


@HYPO
@given(text=st.one_of(ODD, SQLISH))
def test_free_text_is_answered_or_refused_politely(started: Chat, text: str) -> None:
    out = started.send(text)
    _readable(out)


@given(raw=st.text(max_size=40))
def test_spr_checker_never_raises(raw: str) -> None:
    result = check_spr(raw, ["7/2", "3.5"])
    assert result.accepted_as_answer or result.reason


@given(line=st.text(max_size=200))
def test_incoming_parse_never_raises(line: str) -> None:
    incoming = Incoming.parse("console", "1", line)
    assert (incoming.command is None) or incoming.command == incoming.command.lower()
