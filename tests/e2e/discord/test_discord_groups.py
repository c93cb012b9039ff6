"""A Discord server is a study group: who sees what, and what the core hears."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import discord
import pytest
from sqlalchemy import select

from bot.settings import Settings
from core.chat.dispatcher import SORRY, Dispatcher
from core.chat.messages import Incoming, Outgoing, Poll, Text
from core.db.models import GroupMembership, StudyGroup
from tests.e2e.discord.conftest import TOKEN, Running
from tests.e2e.discord.fake_discord import (
    EPHEMERAL,
    GUILD_ID,
    FakeDiscord,
    buttons,
    text_of,
)
from tests.e2e.discord.helpers import ALICE, BOB, Stub

pytestmark = pytest.mark.network


@dataclass
class Recording:
    """The real dispatcher, remembering every event it was handed."""

    inner: Dispatcher
    seen: list[Incoming] = field(default_factory=list)

    def handle(self, incoming: Incoming) -> list[Outgoing]:
        self.seen.append(incoming)
        return self.inner.handle(incoming)


def flags(callback: dict | None) -> int:  # type: ignore[type-arg]
    assert callback is not None
    return int((callback.get("data") or {}).get("flags") or 0)


async def test_join_and_groupboard_in_a_server(
    fake: FakeDiscord,
    running: Running,
    settings: Callable[..., Settings],
    dispatcher: Dispatcher,
) -> None:
    recording = Recording(dispatcher)
    await running.start(settings(), recording)
    join = await fake.slash("join", who=ALICE, guild=True, admin=True)
    await fake.wait_for(lambda: "Welcome" in text_of(fake.original(join)))
    assert join.callback is not None and join.callback["type"] == 5
    assert not flags(join.callback) & EPHEMERAL  # a group command: the channel sees it
    assert "Welcome to Study Hall" in text_of(fake.original(join))
    seen = recording.seen[-1]
    assert (seen.platform, seen.user_id, seen.command) == ("discord", ALICE["id"], "join")
    assert (seen.chat_id, seen.chat_kind, seen.chat_title) == (GUILD_ID, "group", "Study Hall")
    assert seen.is_chat_admin and seen.event_id == join.id
    assert (seen.username, seen.display_name) == ("alice", "Alice")

    bob = await fake.slash("join", who=BOB, guild=True)
    await fake.wait_for(lambda: "Welcome" in text_of(fake.original(bob)))
    assert not recording.seen[-1].is_chat_admin
    board = await fake.slash("groupboard", who=BOB, guild=True)
    await fake.wait_for(lambda: "Study Hall" in text_of(fake.original(board)))
    with dispatcher.app.db.uow() as s:
        group = s.scalars(select(StudyGroup)).one()
        assert (group.platform, group.external_id, group.title) == (
            "discord",
            GUILD_ID,
            "Study Hall",
        )
        admins = sorted(m.is_admin for m in s.scalars(select(GroupMembership)))
        assert admins == [False, True]


async def test_a_personal_command_in_a_server_answers_privately(
    fake: FakeDiscord, bot: discord.Client
) -> None:
    sent = await fake.slash("practice", "algebra", who=BOB, guild=True)
    await fake.wait_for(lambda: "private chat" in text_of(fake.original(sent)))
    assert flags(sent.callback) & EPHEMERAL  # deferred as ephemeral: only Bob sees it
    assert fake.original(sent)["flags"] & EPHEMERAL


async def test_question_of_the_day_is_a_quiz_for_everyone(
    fake: FakeDiscord, bot: discord.Client
) -> None:
    for who, admin in ((ALICE, True), (BOB, False)):
        join = await fake.slash("join", who=who, guild=True, admin=admin)
        await fake.wait_for(lambda j=join: "Welcome" in text_of(fake.original(j)))
    post = await fake.slash("qotd", "now", who=ALICE, guild=True, admin=True)
    quiz = await fake.wait_for(
        lambda: [m for m in fake.sent_to(post) if any(b["label"] == "A" for b in buttons(m))]
    )
    assert not quiz[0]["flags"] & EPHEMERAL
    assert [b["custom_id"].rsplit(":", 1)[1] for b in buttons(quiz[0])][:4] == ["0", "1", "2", "3"]
    answer = await fake.click(quiz[0]["id"], "B", who=BOB, guild=True)
    reply = await fake.wait_for(lambda: fake.sent_to(answer))
    assert "Correct" in text_of(reply[0]) or "Not this time" in text_of(reply[0])
    assert reply[0]["flags"] & EPHEMERAL  # Bob's result does not spoil it for the others
    assert len(buttons(quiz[0])) >= 4  # the quiz stays open for everyone else


async def test_a_quiz_answer_reaches_the_core_as_a_poll_answer(
    fake: FakeDiscord, running: Running, settings: Callable[..., Settings]
) -> None:
    quiz = Poll("What is 2 + 2?", ("3", "4", "5"), 1, "Two and two.", ref="qotd:42")
    stub = Stub([quiz])
    await running.start(settings(), stub)
    sent = await fake.slash("help", who=ALICE, guild=True)
    message = await fake.wait_for(lambda: fake.original(sent).get("components"))
    stub.replies = [Text("Thanks!", private=True)]
    await fake.click(fake.original(sent)["id"], "C", who=BOB, guild=True)
    await fake.wait_for(lambda: len(stub.seen) == 2)
    answer = stub.seen[1]
    assert (answer.poll_ref, answer.poll_option) == ("qotd:42", 2)
    assert (answer.user_id, answer.chat_id, answer.chat_kind) == (BOB["id"], GUILD_ID, "group")
    assert answer.command is None and answer.action is None
    assert [c["label"] for row in message for c in row["components"]] == ["A", "B", "C"]


async def test_a_failure_is_answered_with_an_apology(
    fake: FakeDiscord,
    running: Running,
    settings: Callable[..., Settings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    await running.start(settings(), Stub([], fail=True))
    with caplog.at_level(logging.ERROR, logger="adapters.discord"):
        sent = await fake.slash("help", who=ALICE)
        await fake.wait_for(lambda: SORRY in text_of(fake.original(sent)))
    assert sent.id in caplog.text and "database is on fire" in caplog.text
    assert TOKEN not in caplog.text and sent.token not in caplog.text


async def test_nothing_is_left_thinking_when_the_core_has_nothing_to_say(
    fake: FakeDiscord, running: Running, settings: Callable[..., Settings]
) -> None:
    await running.start(settings(), Stub([]))  # e.g. a redelivered event
    sent = await fake.slash("help", who=ALICE)
    await fake.wait_for(
        lambda: fake.calls("DELETE", rf"/webhooks/\d+/{sent.token}/messages/@original")
    )
    assert fake.original(sent).get("_deleted")


async def test_a_private_reply_to_a_channel_command_stays_private(
    fake: FakeDiscord, running: Running, settings: Callable[..., Settings]
) -> None:
    await running.start(settings(), Stub([Text("Only for you", private=True)]))
    sent = await fake.slash("help", who=ALICE, guild=True)  # a group command: public defer
    reply = await fake.wait_for(lambda: [m for m in fake.sent_to(sent) if "Only" in text_of(m)])
    assert reply[0]["flags"] & EPHEMERAL
    assert not fake.original(sent)["flags"] & EPHEMERAL
    assert "privately" in text_of(fake.original(sent))
    dm = await fake.slash("help", who=ALICE)  # in a DM nothing is ephemeral
    await fake.wait_for(lambda: "Only" in text_of(fake.original(dm)))
    assert not fake.original(dm)["flags"] & EPHEMERAL
