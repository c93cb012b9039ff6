"""The fake Bot API answers like Telegram: python-telegram-bot parses what it returns."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import (
    Bot,
    ChatMember,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
    User,
)
from telegram.constants import BOT_API_VERSION, ParseMode, PollType
from telegram.error import BadRequest, Forbidden, RetryAfter

from adapters.telegram.sender import retry_seconds
from tests.e2e.telegram.fake_bot_api import BOT_API_VERSION as FAKE_VERSION
from tests.e2e.telegram.fake_bot_api import FakeBotApi

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


@pytest.fixture
async def bot(fake: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(fake.token, base_url=fake.api_url) as client:
        yield client


async def _raw(fake: FakeBotApi, method: str, **params: object) -> dict:
    url = f"{fake.api_url}{fake.token}/{method}"
    async with aiohttp.ClientSession() as session, session.post(url, json=params) as response:
        return await response.json()


def test_pinned_to_the_library_bot_api_version() -> None:
    assert FAKE_VERSION == BOT_API_VERSION


async def test_get_me_and_messages_parse_with_de_json(fake: FakeBotApi, bot: Bot) -> None:
    me = await _raw(fake, "getMe")
    assert me["ok"] and User.de_json(me["result"], bot).username == "SatPrepTestBot"
    fake.user(42, "Ada", "ada")
    raw = await _raw(fake, "sendMessage", chat_id=42, text="<b>Q1</b> 2 &lt; 3", parse_mode="HTML")
    message = Message.de_json(raw["result"], bot)
    assert message.text == "Q1 2 < 3" and message.chat.id == 42
    assert message.entities[0].type == "bold" and message.entities[0].length == 2

    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="tok.A")]])
    sent = await bot.send_message(
        42, "<b>pick</b>", parse_mode=ParseMode.HTML, reply_markup=keyboard
    )
    assert sent.reply_markup == keyboard
    edited = await bot.edit_message_text("done", chat_id=42, message_id=sent.message_id)
    assert isinstance(edited, Message) and edited.text == "done" and edited.reply_markup is None
    with pytest.raises(BadRequest, match="(?i)not modified"):
        await bot.edit_message_text("done", chat_id=42, message_id=sent.message_id)
    prompt = await bot.send_message(42, "type it", reply_markup=ForceReply(selective=True))
    assert prompt.reply_markup is None  # Telegram echoes only inline keyboards
    assert fake.calls_to("sendMessage")[-1].params["reply_markup"]["force_reply"] is True

    photo = await bot.send_photo(42, InputFile(PNG, filename="chart.png"), caption="Chart")
    assert photo.photo[-1].width == 800 and photo.caption == "Chart"
    assert fake.calls_to("sendPhoto")[0].files["photo"] == ("chart.png", PNG)
    doc = await bot.send_document(42, InputFile(b"{}", filename="sync.json"))
    assert doc.document.file_name == "sync.json"
    assert await bot.send_chat_action(42, "typing") is True
    assert await bot.answer_callback_query("77", text="ok") is True
    member = await bot.get_chat_member(42, 42)
    assert isinstance(member, ChatMember) and member.status == "member"


async def test_quiz_poll_and_updates_parse(fake: FakeBotApi, bot: Bot) -> None:
    group = fake.group(-100123)
    ada = fake.user(7, "Ada")
    message = await bot.send_poll(
        group["id"],
        "2 + 2?",
        ["3", "4"],
        type=PollType.QUIZ,
        correct_option_ids=[1],
        explanation="Count.",
        is_anonymous=False,
    )
    assert message.poll.type == "quiz" and message.poll.correct_option_ids == (1,)
    assert message.poll.explanation == "Count." and not message.poll.is_anonymous
    raw_message = fake.messages[(group["id"], message.message_id)]
    for update in (
        fake.text_update(ada, "/help@SatPrepTestBot", group),
        fake.callback_update(ada, raw_message, "tok.A"),
        fake.poll_answer_update(ada, message.poll.id, [1]),
    ):
        parsed = Update.de_json(update, bot)
        assert parsed.update_id == update["update_id"]
    command = Update.de_json(fake.text_update(ada, "/start x"), bot)
    assert command.message.entities[0].type == "bot_command"
    assert command.message.entities[0].length == len("/start")


async def test_get_updates_offset_and_timeout(fake: FakeBotApi, bot: Bot) -> None:
    ada = fake.user(7, "Ada")
    assert await bot.get_updates(timeout=0) == ()  # nothing waiting: empty at once
    first, second = fake.text_update(ada, "one"), fake.text_update(ada, "two")
    await fake.enqueue(first)
    await fake.enqueue(second)
    got = await bot.get_updates(timeout=1)
    assert [u.message.text for u in got] == ["one", "two"]
    again = await bot.get_updates(offset=second["update_id"], timeout=0)
    assert [u.update_id for u in again] == [second["update_id"]]  # not confirmed yet
    assert await bot.get_updates(offset=second["update_id"] + 1, timeout=0) == ()


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # retry_after
async def test_scripted_errors_and_webhook_conflict(fake: FakeBotApi, bot: Bot) -> None:
    fake.user(42, "Ada")
    fake.fail("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    with pytest.raises(RetryAfter) as limited:
        await bot.send_message(42, "hi")
    assert retry_seconds(limited.value) == 3
    fake.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(42, "hi")
    assert (await bot.send_message(42, "hi")).text == "hi"  # each failure fires once
    assert [c.status for c in fake.calls_to("sendMessage")] == [429, 403, 200]
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(999, "hi")
    with pytest.raises(BadRequest, match="(?i)parse entities"):
        await bot.send_message(42, "<b>unclosed", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(42, "x" * 4097)
    assert await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="s") is True
    assert (await _raw(fake, "getUpdates"))["error_code"] == 409
    assert await bot.delete_webhook() is True
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.api_url}0:wrong/getMe") as response,
    ):
        assert response.status == 401
