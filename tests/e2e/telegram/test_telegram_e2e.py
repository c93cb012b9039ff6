"""The Telegram adapter end to end: python-telegram-bot against the fake Bot API.

Every test runs in polling and in webhook mode, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select, update

from adapters.telegram import (
    TelegramConfigError,
    build_application,
    build_sender,
    running,
    sender_for,
)
from adapters.telegram.sender import Pacer
from core.chat.delivery import Unreachable
from core.chat.dispatcher import Dispatcher
from core.chat.messages import Button, Document, Edit, Image, Incoming, Outgoing, Poll, Text, Typing
from core.db.models import Identity, InboundEvent, PracticeSession, Question, Response
from tests.chat.synthetic_bank import key_for
from tests.e2e.telegram.conftest import SESSION_LENGTH, WEBHOOK_SECRET, Bot, telegram_settings
from tests.e2e.telegram.fake_bot_api import Call, parse_html

ADA, BEN = 1001, 1002


def texts(calls: list[Call], method: str = "sendMessage") -> str:
    return "\n".join(str(c.params.get("text", "")) for c in calls if c.method == method)


def ok(calls: list[Call], method: str) -> list[Call]:
    return [c for c in calls if c.method == method and c.status == 200]


def keyboard_message(bot: Bot, chat_id: int) -> dict[str, Any]:
    """The newest message the bot sent into ``chat_id`` that still has buttons."""
    with_buttons = [m for m in bot.fake.sent_to(chat_id) if m.get("reply_markup")]
    assert with_buttons, "no message with buttons"
    return with_buttons[-1]


def button(message: dict[str, Any], label: str) -> str:
    for row in message["reply_markup"]["inline_keyboard"]:
        for b in row:
            if b["text"] == label:
                return str(b["callback_data"])
    raise AssertionError(f"no button {label!r}")


def current_question(bot: Bot) -> Question | None:
    with bot.app.db.uow() as s:
        session = s.scalars(
            select(PracticeSession).where(PracticeSession.status == "active")
        ).one_or_none()
        if session is None:
            return None
        q = s.get(Question, session.current_question_id)
        assert q is not None
        s.expunge(q)
        return q


async def test_start_and_one_onboarding_step(tg: Bot) -> None:
    ada = tg.fake.user(ADA, "Ada", "ada_l")
    menu = {c["command"] for c in tg.fake.commands["default"]}
    assert {"start", "practice", "help", "progress"} <= menu
    assert {c["command"] for c in tg.fake.commands["all_group_chats"]} == {"help"} | (
        {c["command"] for c in tg.fake.commands["all_group_chats"]} & menu
    )
    calls = await tg.say(ada, "/start")
    sent = ok(calls, "sendMessage")
    assert all(c.params["chat_id"] == ADA and c.params["parse_mode"] == "HTML" for c in sent)
    assert "Digital SAT coach" in texts(calls) and "YYYY-MM-DD" in texts(calls)
    assert button(keyboard_message(tg, ADA), "Skip")
    calls = await tg.say(ada, "2027-03-13")
    assert "400–1600" in texts(calls)
    with tg.app.db.uow() as s:
        identity = s.scalars(select(Identity).where(Identity.external_id == str(ADA))).one()
        assert (identity.username, identity.dm_chat_id) == ("ada_l", str(ADA))
        assert str(identity.user.test_date) == "2027-03-13"
        assert identity.user.display_name == "Ada"


async def test_deep_link_and_unknown_command(tg: Bot) -> None:
    ada = tg.fake.user(ADA, "Ada")
    assert "link is not valid" in texts(await tg.say(ada, "/start nosuch-123"))
    assert "I don't know the command /frobnicate" in texts(await tg.say(ada, "/frobnicate"))


async def test_button_answer_edits_and_sends_the_next_question(tg: Bot) -> None:
    ada = tg.fake.user(ADA, "Ada")
    await tg.say(ada, "/practice transitions")  # a reading & writing skill: all A-D
    question = keyboard_message(tg, ADA)
    assert "Q 1/" in question["text"]
    answered_before = tg.count(Response)
    payload = button(question, "B")
    calls = await tg.press(ada, question, payload)
    answers = ok(calls, "answerCallbackQuery")
    assert len(answers) == 1 and answers[0].params["callback_query_id"]
    [edit] = ok(calls, "editMessageText")
    assert (edit.params["chat_id"], edit.params["message_id"]) == (ADA, question["message_id"])
    # The question's message now holds the answer, the verdict and the
    # explanation, and its keyboard is the tutor's instead of A-D: the
    # feedback costs no message of its own.
    assert "your answer: B" in edit.params["text"] and "Correct!" in edit.params["text"]
    after = tg.fake.messages[(ADA, question["message_id"])]
    assert [b["text"] for row in after["reply_markup"]["inline_keyboard"] for b in row] == [
        "Ask the tutor",
        "Discuss",
    ]
    assert not any("Correct!" in c.params.get("text", "") for c in ok(calls, "sendMessage"))
    keyboards = [
        c for c in ok(calls, "sendMessage") if "inline_keyboard" in c.params.get("reply_markup", {})
    ]
    next_question = keyboards[-1]
    assert "Q 2/" in next_question.params["text"]
    labels = [
        b["text"] for row in next_question.params["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert "Skip" in labels
    assert tg.count(Response) == answered_before + 1
    # Pressing the same button again (a double tap) counts once.
    calls = await tg.press(ada, question, payload)
    # A refused press is private: a pop-up only the presser sees, no chat message.
    assert "already" in texts(calls, "answerCallbackQuery") and not texts(calls)
    assert tg.count(Response) == answered_before + 1


async def test_typed_answer_to_an_spr_question(tg: Bot) -> None:
    ada = tg.fake.user(ADA, "Ada")
    with tg.app.db.uow() as s:  # only grid-in items left in the skill: deterministic
        s.execute(
            update(Question)
            .where(Question.skill == "percentages", Question.type == "mcq")
            .values(retired=True)
        )
    for _ in range(16):
        q = current_question(tg)
        if q is None:  # sessions are three questions long here: start another
            await tg.say(ada, "/practice percentages")
            continue
        if q.type == "spr":
            break
        message = keyboard_message(tg, ADA)
        await tg.press(ada, message, button(message, "Skip"))
    else:
        raise AssertionError("no SPR question came up")
    prompts = [
        c
        for c in tg.fake.calls_to("sendMessage")
        if "force_reply" in c.params.get("reply_markup", {})
    ]
    assert prompts and prompts[-1].params["reply_markup"]["selective"] is True
    assert "Type your answer" in prompts[-1].params["text"]
    spr_question = keyboard_message(tg, ADA)
    assert [b["text"] for row in spr_question["reply_markup"]["inline_keyboard"] for b in row] == [
        "Skip"
    ]
    calls = await tg.say(ada, key_for(q.question_id, True, True, q.text))
    assert "Correct!" in texts(calls)
    with tg.app.db.uow() as s:
        response = s.scalars(select(Response).where(Response.question_id == q.question_id)).one()
        assert response.correct


async def test_foreign_button_is_refused_and_nothing_recorded(tg: Bot) -> None:
    ada, ben = tg.fake.user(ADA, "Ada"), tg.fake.user(BEN, "Ben")
    await tg.say(ada, "/practice linear_systems")
    payload = button(keyboard_message(tg, ADA), "Skip")
    await tg.say(ben, "/help")
    bens_message = tg.fake.sent_to(BEN)[-1]
    calls = await tg.press(ben, bens_message, payload)  # a forged callback_data
    assert ok(calls, "answerCallbackQuery")
    assert "someone else" in texts(calls, "answerCallbackQuery") and not texts(calls)
    assert all(c.params["chat_id"] == BEN for c in ok(calls, "sendMessage"))
    assert not ok(calls, "editMessageText")
    assert tg.count(Response) == 0


async def test_progress_chart_is_a_photo(tg: Bot) -> None:
    ada = tg.fake.user(ADA, "Ada")
    await tg.say(ada, "/practice linear_systems")
    calls: list[Call] = []
    for _ in range(SESSION_LENGTH):
        message = keyboard_message(tg, ADA)
        label = "B" if getattr(current_question(tg), "type", None) == "mcq" else "Skip"
        calls = await tg.press(ada, message, button(message, label))
    assert "Session complete" in texts(calls)
    calls = await tg.say(ada, "/progress")
    [photo] = ok(calls, "sendPhoto")
    name, data = photo.files["photo"]
    assert data.startswith(b"\x89PNG") and name == "progress.png"
    assert photo.params["caption"] == "Section score estimates over time"
    assert "Your progress" in texts(calls)


class StubDispatcher:
    """Stands in for the core's group quiz (not built yet): records what it hears."""

    def __init__(self, app: Any, replies: list[Outgoing]) -> None:
        self.app = app
        self.replies = replies
        self.heard: list[Incoming] = []

    def handle(self, incoming: Incoming) -> list[Outgoing]:
        self.heard.append(incoming)
        return self.replies if incoming.command == "quiz" else []


async def test_group_quiz_poll_and_answer(bot_factory: Any, app: Any) -> None:
    for mode in ("polling", "webhook"):
        quiz = Poll(
            "What is 6 + 6?",
            ("10", "11", "12", "13"),
            correct_index=2,
            explanation="Six and six make twelve. " * 12,
            ref=f"quiz-{mode}",
        )
        stub = StubDispatcher(app, [quiz])
        async with bot_factory(mode, dispatcher=stub) as tg:
            group = tg.fake.group(-100777, "Study hall")
            ada = tg.fake.user(ADA, "Ada")
            ignored = await tg.say(ada, "/quiz@SomeOtherBot", group)
            assert not stub.heard and not ignored
            calls = await tg.say(ada, "/quiz@SatPrepTestBot", group)
            [command] = stub.heard
            assert (command.command, command.chat_kind, command.chat_id) == (
                "quiz",
                "group",
                "-100777",
            )
            assert command.chat_title == "Study hall" and command.user_id == str(ADA)
            [poll_call] = ok(calls, "sendPoll")
            params = poll_call.params
            assert params["type"] == "quiz" and params["is_anonymous"] is False
            assert params["correct_option_ids"] == [2] and params["chat_id"] == -100777
            assert [o["text"] for o in params["options"]] == ["10", "11", "12", "13"]
            assert len(params["explanation"]) <= 200
            poll_id = tg.fake.sent_to(-100777)[-1]["poll"]["id"]
            await tg.send(tg.fake.poll_answer_update(ada, poll_id, [2]))
            answer = stub.heard[-1]
            assert (answer.poll_ref, answer.poll_option) == (f"quiz-{mode}", 2)
            assert (answer.user_id, answer.chat_id, answer.chat_kind) == (
                str(ADA),
                "-100777",
                "group",
            )
            await tg.send(tg.fake.poll_answer_update(ada, "unknown-poll", [1]))
            # A poll this process did not post: the core gets the poll id itself.
            assert (stub.heard[-1].poll_ref, stub.heard[-1].chat_kind) == ("unknown-poll", "dm")


# python-telegram-bot's own rate limiter reads RetryAfter.retry_after, which warns in 22.x.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_rate_limited_reply_is_retried_and_delivered_once(tg: Bot) -> None:
    ada = tg.fake.user(ADA, "Ada")
    tg.fake.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    calls = await tg.say(ada, "/help")
    attempts = [c for c in calls if c.method == "sendMessage"]
    assert [c.status for c in attempts][:2] == [429, 200]
    assert attempts[0].params["text"] == attempts[1].params["text"]
    shown, _ = parse_html(attempts[1].params["text"])
    assert [m["text"] for m in tg.fake.sent_to(ADA)].count(shown) == 1


async def test_push_to_a_blocked_user_marks_them_unreachable(tg: Bot) -> None:
    ada = tg.fake.user(ADA, "Ada")
    await tg.say(ada, "/start")
    sender = sender_for(tg.application)
    sender.pacer = Pacer(dm_interval=0.01, group_interval=0.01)
    sender.backoff = 0.01
    tg.fake.fail("sendMessage", 502, "Bad Gateway", times=2)
    await sender.send(
        str(ADA), [Text("Time for a *quick* set!", buttons=((Button("Go", "x" * 10),),))]
    )
    pushed = tg.fake.calls_to("sendMessage")[-3:]
    assert [c.status for c in pushed] == [502, 502, 200]
    assert pushed[-1].params["text"] == "Time for a <b>quick</b> set!"
    tg.fake.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    with pytest.raises(Unreachable):
        await sender.send(str(ADA), [Text("Your daily reminder")])
    with tg.app.db.uow() as s:
        identity = s.scalars(select(Identity).where(Identity.external_id == str(ADA))).one()
        assert identity.reachable is False and identity.unreachable_since is not None
    await tg.say(ada, "/help")  # writing to the bot again makes them reachable
    with tg.app.db.uow() as s:
        assert s.scalars(select(Identity.reachable)).one() is True


async def test_long_text_is_split_with_buttons_on_the_last_part(tg: Bot) -> None:
    ada = tg.fake.user(ADA, "Ada")
    await tg.say(ada, "/start")
    sender = sender_for(tg.application)
    sender.pacer = Pacer(dm_interval=0, group_interval=0)
    line = "Line with <angle> & *bold* words " * 4
    long = "\n".join(f"{i}: {line}" for i in range(100))
    since = len(tg.fake.calls)
    await sender.send(str(ADA), [Text(long, buttons=((Button("More", "abcdefghij.more"),),))])
    parts = [c for c in tg.fake.calls[since:] if c.method == "sendMessage"]
    assert len(parts) >= 3 and all(c.status == 200 for c in parts)
    assert all(len(c.params["text"]) <= 4096 for c in parts)
    assert [("reply_markup" in c.params) for c in parts] == [False] * (len(parts) - 1) + [True]
    assert "&lt;angle&gt; &amp; <b>bold</b>" in parts[0].params["text"]
    assert sum(c.params["text"].count("\n") + 1 for c in parts) == 100


async def test_webhook_refuses_a_wrong_secret(bot_factory: Any) -> None:
    async with bot_factory("webhook") as tg:
        assert tg.fake.webhook is not None
        assert tg.fake.webhook["secret_token"] == WEBHOOK_SECRET
        assert tg.fake.webhook["url"].endswith("/telegram/hook")
        ada = tg.fake.user(ADA, "Ada")
        forged = tg.fake.text_update(ada, "/start")
        assert await tg.fake.deliver(forged, secret="not-the-secret") == 403
        assert tg.count(InboundEvent) == 0 and tg.count(Identity) == 0
        assert not tg.fake.calls_to("sendMessage")
        calls = await tg.say(ada, "/start")
        assert "Digital SAT coach" in texts(calls)
        assert tg.count(InboundEvent) == 1


async def test_a_redelivered_update_is_handled_once(tg: Bot) -> None:
    ada = tg.fake.user(ADA, "Ada")
    update = tg.fake.text_update(ada, "/help")
    assert "/practice" in texts(await tg.send(update))
    assert not ok(await tg.send(update), "sendMessage")  # same update_id: dropped by the core
    assert tg.count(InboundEvent) == 1


class BrokenDispatcher(StubDispatcher):
    def handle(self, incoming: Incoming) -> list[Outgoing]:
        raise RuntimeError(f"boom while talking to {incoming.chat_id}")


async def test_a_crash_is_logged_without_the_token_and_the_user_is_told(
    bot_factory: Any, app: Any, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)  # httpx and PTB log request URLs, which hold the token
    async with bot_factory("polling", dispatcher=BrokenDispatcher(app, [])) as tg:
        ada = tg.fake.user(ADA, "Ada")
        update = tg.fake.text_update(ada, "/help")
        calls = await tg.send(update)
        assert (
            texts(calls) == "Sorry, something went wrong on our side. Please try again in a moment."
        )
        failures = [
            r for r in caplog.records if "failed" in r.getMessage() and "telegram" in r.name
        ]
        assert (
            failures and f"update {update['update_id']} in chat {ADA}" in failures[0].getMessage()
        )
        assert "boom while talking" in failures[0].getMessage()
    assert any("/bot<token>/sendMessage" in r.getMessage() for r in caplog.records)
    assert all(tg.fake.token not in r.getMessage() for r in caplog.records)


async def test_a_sender_of_its_own_for_the_scheduler_process(fake: Any, app: Any) -> None:
    fake.user(ADA, "Ada")
    settings = telegram_settings(fake, "polling")
    sender = build_sender(settings, app)
    sender.pacer = Pacer(dm_interval=0, group_interval=0)
    try:
        await sender.send(str(ADA), [Text("Your *streak* is safe today.")])
    finally:
        await sender.close()
    assert [m["text"] for m in fake.sent_to(ADA)] == ["Your streak is safe today."]
    assert fake.sent_to(ADA)[0]["entities"] == [{"type": "bold", "offset": 5, "length": 6}]


async def test_a_rejected_token_is_named_not_shown(fake: Any, app: Any) -> None:
    settings = telegram_settings(fake, "polling")
    settings.token = SecretStr("999:not-the-token")
    application = build_application(settings, Dispatcher(app))
    with pytest.raises(TelegramConfigError) as refused:
        async with running(application, settings):
            pass
    assert "SATPREP_TELEGRAM_TOKEN" in str(refused.value)
    assert "not-the-token" not in str(refused.value)


class ScriptedDispatcher(StubDispatcher):
    def handle(self, incoming: Incoming) -> list[Outgoing]:
        self.heard.append(incoming)
        return (
            self.replies if incoming.action else [Text("Pick:", buttons=((Button("Go", "t.go"),),))]
        )


async def test_every_outgoing_kind_after_a_press(bot_factory: Any, app: Any) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    replies: list[Outgoing] = [
        Typing(),
        Edit("Pick:"),  # drops the keyboard
        Edit("Pick:"),  # no change at all: Telegram says "not modified", which is fine
        Image(png, caption="A long caption. " * 80, filename="figure.png"),
        Document(b"{}", "sync.json", caption="Your *data*"),
        Text("done"),
    ]
    stub = ScriptedDispatcher(app, replies)
    async with bot_factory("polling", dispatcher=stub) as tg:
        ada = tg.fake.user(ADA, "Ada")
        await tg.say(ada, "/menu")
        message = keyboard_message(tg, ADA)
        calls = await tg.press(ada, message, "t.go")
    assert stub.heard[-1].action == "t.go" and stub.heard[-1].event_id
    assert [(c.method, c.status) for c in calls] == [
        ("sendChatAction", 200),
        ("editMessageText", 200),
        ("editMessageText", 400),  # "message is not modified": ignored
        ("sendPhoto", 200),
        ("sendMessage", 200),  # the caption was too long for the photo
        ("sendDocument", 200),
        ("sendMessage", 200),
        ("answerCallbackQuery", 200),
    ]
    assert calls[0].params["action"] == "typing"
    assert "reply_markup" not in tg.fake.messages[(ADA, message["message_id"])]
    assert "caption" not in calls[3].params and calls[4].params["text"].startswith("A long")
    assert calls[5].params["caption"] == "Your <b>data</b>"
    assert calls[5].files["document"] == ("sync.json", b"{}")
    assert calls[6].params["text"] == "done"


async def test_group_admin_rights_come_from_telegram(tg: Bot) -> None:
    """/qotd settings need a group admin: the adapter asks getChatMember."""
    ada = tg.fake.user(ADA, "Ada")
    group = tg.fake.group(-100555, "Night owls")
    await tg.say(ada, "/join", group)
    calls = await tg.say(ada, "/qotd 20:00", group)
    assert ok(calls, "getChatMember")
    assert "admin" in texts(calls).lower()
    tg.fake.chat_member_status = "administrator"
    calls = await tg.say(ada, "/qotd 20:00", group)
    assert "20:00" in texts(calls)
    with tg.app.db.uow() as s:
        from core.db.models import StudyGroup

        assert str(s.scalars(select(StudyGroup.qotd_time)).one()) == "20:00:00"


async def test_qotd_posted_by_the_scheduler_counts_answers_in_any_process(
    bot_factory: Any, app: Any, fake: Any
) -> None:
    """The scheduler's sender posts the quiz; a bot process that never saw it
    (empty memory, as after a restart or on another webhook worker) counts the vote."""
    from core.db.models import QotdAnswer, StudyGroup
    from core.services import groups

    ada = fake.user(ADA, "Ada")
    group = fake.group(-100888, "Dawn patrol")
    async with bot_factory("polling") as tg:
        await tg.say(ada, "/join", group)
    with app.db.uow() as s:
        group_id = s.scalars(select(StudyGroup.id)).one()
        messages = groups.post_question_of_the_day(s, group_id, app.clock())
    sender = build_sender(telegram_settings(fake, "polling"), app)
    sender.pacer = Pacer(dm_interval=0, group_interval=0)
    try:
        await sender.send("-100888", messages)
    finally:
        await sender.close()
    poll = fake.sent_to(-100888)[-1]["poll"]
    right = poll["correct_option_ids"][0]
    async with bot_factory("polling") as tg:  # a fresh process: nothing in memory
        await tg.send(fake.poll_answer_update(ada, poll["id"], [right]))
    with app.db.uow() as s:
        (answer,) = s.scalars(select(QotdAnswer)).all()
        assert answer.correct


async def test_a_json_file_syncs_offline_answers(tg: Bot) -> None:
    """A file sent in the private chat is the /sync attachment (caption: the command)."""
    import json

    from core.db.models import WorksheetItem

    ada = tg.fake.user(ADA, "Ada")
    calls = await tg.say(ada, "/worksheet transitions 2")
    assert ok(calls, "sendDocument")
    with tg.app.db.uow() as s:
        items = s.scalars(select(WorksheetItem).order_by(WorksheetItem.position)).all()
        keys = {i.question_id: s.get(Question, i.question_id).correct_answer[0] for i in items}  # type: ignore[union-attr]
    answers = [
        {"client_id": f"phone-{n}", "question_id": qid, "answer": key}
        for n, (qid, key) in enumerate(keys.items())
    ]
    body = json.dumps({"answers": answers}).encode()
    calls = await tg.send(tg.fake.document_update(ada, body, "answers.json", caption="/sync"))
    assert ok(calls, "getFile")
    assert tg.count(Response) == 2
    calls = await tg.send(tg.fake.document_update(ada, body, "answers.json"))  # again, no caption
    assert tg.count(Response) == 2  # a repeat changes nothing
    calls = await tg.send(tg.fake.document_update(ada, b"{not json", "broken.json"))
    assert "valid JSON" in texts(calls) and tg.count(Response) == 2


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_an_update_is_confirmed_only_after_it_is_handled(
    bot_factory: Any, app: Any, mode: str
) -> None:
    # A bot killed between taking an update and handling it must get it again:
    # while the core is still handling it, the webhook has not answered and
    # polling has not moved the offset past it.
    import asyncio
    import threading

    release = threading.Event()

    class Held(Dispatcher):
        def handle(self, incoming: Incoming) -> list[Outgoing]:
            release.wait(10)
            return super().handle(incoming)

    async with bot_factory(mode, dispatcher=Held(app)) as bot:
        update = bot.fake.text_update(bot.fake.user(ADA, "Ada"), "/help")
        if mode == "webhook":
            post = asyncio.create_task(bot.fake.deliver(update))
            await asyncio.sleep(0.5)
            assert not post.done()  # no 200 while the update is being handled
            release.set()
            assert await post == 200
            assert any(c.method == "sendMessage" for c in bot.fake.calls)
            return
        await bot.fake.enqueue(update)
        for _ in range(100):  # until the adapter has taken it
            if any(c.method == "getUpdates" and c.result for c in bot.fake.calls):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        held = [u["update_id"] for u in bot.fake._updates]
        assert update["update_id"] in held  # taken, handling, not yet confirmed
        release.set()
        for _ in range(100):
            if update["update_id"] not in [u["update_id"] for u in bot.fake._updates]:
                break
            await asyncio.sleep(0.05)
        assert any(c.method == "sendMessage" for c in bot.fake.calls)
