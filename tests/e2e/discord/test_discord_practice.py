"""Practice over Discord: slash command, button answers, modal answers, restarts."""

from __future__ import annotations

from collections.abc import Callable

import discord
import pytest
from sqlalchemy import update

from bot.settings import Settings
from core.chat.dispatcher import Dispatcher
from core.db.models import Question, Response
from tests.e2e.discord.conftest import Running
from tests.e2e.discord.fake_discord import EPHEMERAL, FakeDiscord, buttons, text_of
from tests.e2e.discord.helpers import (
    ALICE,
    BOB,
    answer_for,
    ask,
    count,
    current_question,
    question_of,
)

pytestmark = pytest.mark.network


async def test_ready_with_the_gateway_from_rest(
    fake: FakeDiscord, stub_bot: discord.Client
) -> None:
    bot = stub_bot
    assert bot.user is not None and str(bot.user.id) == "1100000000000000001"
    identify = fake.identifies[0]
    assert identify["token"] == "fake-bot-token.abc.def"
    assert identify["intents"] == discord.Intents(guilds=True).value  # nothing privileged
    assert fake.calls("GET", "/gateway/bot")  # gateway_url empty: asked the REST API
    assert bot.get_guild(1100000000000000002) is not None


async def test_topic_autocomplete(fake: FakeDiscord, stub_bot: discord.Client) -> None:
    sent = await fake.autocomplete("practice", "linear", who=ALICE)
    callback = await fake.wait_for(lambda: sent.callback)
    assert callback["type"] == 8
    choices = callback["data"]["choices"]
    assert {"name": "Linear functions (Algebra)", "value": "linear_functions"} in choices
    assert all("inear" in c["name"] for c in choices)
    sent = await fake.autocomplete("practice", "", who=ALICE)
    callback = await fake.wait_for(lambda: sent.callback)
    assert len(callback["data"]["choices"]) == 25  # Discord's maximum


async def test_question_answered_by_a_button(
    fake: FakeDiscord, bot: discord.Client, dispatcher: Dispatcher
) -> None:
    sent = await fake.slash("practice", "transitions", who=ALICE)
    question = await fake.wait_for(lambda: question_of(fake, sent))
    assert sent.callback is not None and sent.callback["type"] == 5  # deferred at once
    assert not (sent.callback.get("data") or {}).get("flags", 0) & EPHEMERAL  # a DM: public
    intro = fake.original(sent)
    assert "Practice: Transitions" in intro["content"]
    assert question["embeds"][0]["title"].startswith("Q 1/10")
    assert [b["label"] for b in buttons(question)] == ["A", "B", "C", "D", "Skip"]
    assert [len(row["components"]) for row in question["components"]] == [4, 1]

    q = current_question(dispatcher)
    click = await fake.click(question["id"], answer_for(q), who=ALICE)
    nxt = await fake.wait_for(lambda: question_of(fake, click))
    assert click.callback == {"type": 6}  # a silent deferred update
    edits = fake.calls("PATCH", rf"/webhooks/\d+/{click.token}/messages/@original")
    assert len(edits) == 1
    # The question's message holds the answer, the verdict and the tutor's
    # buttons in place of A-D: the feedback is no message of its own.
    assert "(your answer: B)" in text_of(question) and "Correct" in text_of(question)
    assert [b["label"] for b in buttons(question)] == ["Ask the tutor", "Discuss"]
    assert not [m for m in fake.sent_to(click) if "Correct" in text_of(m)]
    assert nxt["embeds"][0]["title"].startswith("Q 2/10")
    assert nxt["id"] != question["id"] and len(buttons(nxt)) == 5
    assert count(dispatcher, Response) == 1


async def test_spr_answer_through_a_modal(
    fake: FakeDiscord,
    bot: discord.Client,
    dispatcher: Dispatcher,
    running: Running,
    settings: Callable[..., Settings],
) -> None:
    with dispatcher.app.db.uow() as s:  # only typed-answer (SPR) questions on this skill
        s.execute(
            update(Question)
            .where(Question.skill == "percentages", Question.type != "spr")
            .values(retired=True)
        )
    question = await ask(fake, "percentages")
    q = current_question(dispatcher)
    assert q.type == "spr"
    labels = [b["label"] for b in buttons(question)]
    assert labels == ["Type answer", "Skip"]
    before = count(dispatcher, Response)

    opened = await fake.click(question["id"], "Type answer", who=ALICE)
    modal = await fake.wait_for(lambda: opened.callback)
    assert modal["type"] == 9 and modal["data"]["title"] == "Your answer"
    typo = await fake.submit_modal(opened, "abc", who=ALICE)
    correction = await fake.wait_for(lambda: fake.sent_to(typo))
    assert "digits" in text_of(correction[0])
    assert len(buttons(question)) == 2  # still open: try again
    assert count(dispatcher, Response) == before

    opened = await fake.click(question["id"], "Type answer", who=ALICE)
    await fake.wait_for(lambda: opened.callback)
    await running.stop(bot)  # a restart while the modal is open
    await running.start(settings(), Dispatcher(dispatcher.app))
    submitted = await fake.submit_modal(opened, answer_for(q), who=ALICE)
    await fake.wait_for(lambda: question_of(fake, submitted))
    assert submitted.callback == {"type": 6}
    assert question["components"] == []  # answered: its buttons are gone
    assert any("Correct" in text_of(m) for m in fake.sent_to(submitted))
    assert count(dispatcher, Response) == before + 1


async def test_a_click_by_someone_else_is_refused(
    fake: FakeDiscord, bot: discord.Client, dispatcher: Dispatcher
) -> None:
    """Alice's question, clicked by Bob in a server channel (anyone there can click)."""
    question = await ask(fake, "boundaries")
    click = await fake.click(question["id"], "A", who=BOB, guild=True)
    refusal = await fake.wait_for(lambda: fake.sent_to(click))
    assert "someone else" in text_of(refusal[0])
    assert refusal[0]["flags"] & EPHEMERAL  # only Bob sees it
    assert fake.calls("POST", rf"/webhooks/\d+/{click.token}")[0].json["flags"] == EPHEMERAL
    assert not fake.calls("PATCH", rf"/webhooks/\d+/{click.token}/messages/@original")
    assert len(buttons(question)) == 5  # Alice's question is untouched
    assert count(dispatcher, Response) == 0


async def test_a_button_still_works_after_a_restart(
    fake: FakeDiscord,
    running: Running,
    settings: Callable[..., Settings],
    dispatcher: Dispatcher,
) -> None:
    first = await running.start(settings(), dispatcher)
    question = await ask(fake, "inferences")
    await running.stop(first)
    await running.start(settings(), Dispatcher(dispatcher.app))  # a new process, as it were
    click = await fake.click(question["id"], "B", who=ALICE)
    await fake.wait_for(lambda: question_of(fake, click))
    assert "(your answer: B)" in text_of(question)
    assert count(dispatcher, Response) == 1


async def test_progress_sends_a_chart_as_an_attachment(
    fake: FakeDiscord, bot: discord.Client, dispatcher: Dispatcher
) -> None:
    question = await ask(fake, "algebra")
    for _ in range(3):
        click = await fake.click(question["id"], "Skip", who=ALICE)
        question = await fake.wait_for(lambda c=click: question_of(fake, c))
    stop = await fake.slash("stop", who=ALICE)
    await fake.wait_for(lambda: any("Session complete" in text_of(m) for m in fake.sent_to(stop)))
    progress = await fake.slash("progress", who=ALICE)
    uploads = await fake.wait_for(
        lambda: [r for r in fake.calls("POST", rf"/webhooks/\d+/{progress.token}") if r.files]
    )
    filename, data = uploads[0].files["files[0]"]
    assert filename == "progress.png" and data.startswith(b"\x89PNG")
    assert uploads[0].json["embeds"][0]["image"]["url"] == "attachment://progress.png"
    assert "Your progress" in text_of(fake.original(progress))
