"""Neutral :class:`Outgoing` messages as Bot API calls.

Text becomes HTML (``*bold*`` → ``<b>``, everything else escaped), split at
4096 characters on line boundaries with the buttons on the last part;
buttons become an inline keyboard whose ``callback_data`` is the core's
opaque payload; a typed answer (``expects_reply``) gets a ForceReply so it
reaches the bot in groups too (privacy mode); a group quiz becomes a native
quiz poll whose Telegram id is remembered to map answers back to the core.
"""

from __future__ import annotations

import html
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass

from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
)
from telegram.constants import ChatAction, MessageLimit, ParseMode, PollLimit, PollType
from telegram.error import BadRequest

from core.chat.messages import Button, Document, Edit, Image, Outgoing, Poll, Text, Typing

log = logging.getLogger(__name__)

TEXT_LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)  # 4096
CAPTION_LIMIT = int(MessageLimit.CAPTION_LENGTH)  # 1024
PLACEHOLDER_LIMIT = 64  # ForceReply.input_field_placeholder
# ``*bold*`` hugs its words, so arithmetic such as ``2 * 3 * 4`` or ``2*x*y`` stays as typed.
UNEDITABLE = (
    "there is no text in the message",  # a photo or a poll: leave it as it is
    "message to edit not found",
    "message can't be edited",  # older than 48 hours
)
BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])")


def to_html(text: str) -> str:
    """The neutral markup as Telegram HTML: escape everything, then ``*bold*``."""
    return BOLD.sub(r"<b>\1</b>", html.escape(text, quote=False))


def _length(text: str) -> int:
    # Telegram counts UTF-16 code units; measuring the HTML (not the visible
    # text) keeps every part under the limit whatever the markup adds.
    return len(to_html(text).encode("utf-16-le")) // 2


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Parts of ``text`` whose HTML fits ``limit``, cut at line ends where possible."""
    if _length(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if _length(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        while _length(line) > limit:  # one line longer than a message: cut it
            cut = _longest_prefix(line, limit)
            parts.append(line[:cut])
            line = line[cut:]
        current = line
    if current:
        parts.append(current)
    return parts


def _longest_prefix(line: str, limit: int) -> int:
    """The most characters of ``line`` whose HTML fits ``limit`` (at least one)."""
    low, high = 1, min(len(line), limit)
    while low < high:
        mid = (low + high + 1) // 2
        if _length(line[:mid]) <= limit:
            low = mid
        else:
            high = mid - 1
    return low


def keyboard(rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    """Rows of neutral buttons as an inline keyboard (payload → callback_data)."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=b.payload) for b in row]
            for row in rows
            if row
        ]
    )


def _caption(text: str) -> tuple[str | None, str | None]:
    """(caption, overflow): a caption that fits on the media, or None and a message."""
    if not text:
        return None, None
    if _length(text) <= CAPTION_LIMIT:
        return to_html(text), None
    return None, text


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _explanation(text: str) -> str:
    # A quiz explanation allows 200 characters and at most two line feeds.
    lines = text.split("\n")
    text = "\n".join(lines[:3]) + (" " + " ".join(lines[3:]) if len(lines) > 3 else "")
    return _cut(text.strip(), int(PollLimit.MAX_EXPLANATION_LENGTH))


class PollRefs:
    """Telegram poll id → (the core's ref, chat id), newest ``size`` polls.

    Held in memory because a poll answer names only the poll id. A process
    restart (or another webhook worker) forgets the mapping; see the adapter
    notes for the core table that would make it durable.
    """

    def __init__(self, size: int = 5000) -> None:
        self.size = size
        self._refs: OrderedDict[str, tuple[str, str]] = OrderedDict()

    def remember(self, poll_id: str, ref: str, chat_id: str) -> None:
        self._refs[poll_id] = (ref, chat_id)
        self._refs.move_to_end(poll_id)
        while len(self._refs) > self.size:
            self._refs.popitem(last=False)

    def get(self, poll_id: str) -> tuple[str, str] | None:
        return self._refs.get(poll_id)


@dataclass(frozen=True)
class Source:
    """The message a button was pressed on: where an :class:`Edit` goes."""

    chat_id: int | str
    message_id: int


class Renderer:
    """Sends a list of :class:`Outgoing` to one chat through a :class:`Bot`."""

    def __init__(self, bot: Bot, poll_refs: PollRefs) -> None:
        self.bot = bot
        self.poll_refs = poll_refs

    async def render(
        self,
        chat_id: int | str,
        messages: list[Outgoing],
        source: Source | None = None,
        is_group: bool = False,
    ) -> list[Message]:
        """Deliver ``messages`` in order; returns what Telegram sent back."""
        sent: list[Message] = []
        for msg in messages:
            if isinstance(msg, Text):
                sent += await self.text(chat_id, msg, is_group)
            elif isinstance(msg, Edit):
                edited = await self.edit(msg, source)
                if edited is not None:
                    sent.append(edited)
            elif isinstance(msg, Image):
                sent += await self.media(chat_id, msg.png, msg.filename, msg.caption, photo=True)
            elif isinstance(msg, Document):
                sent += await self.media(chat_id, msg.data, msg.filename, msg.caption, photo=False)
            elif isinstance(msg, Typing):
                await self.bot.send_chat_action(chat_id, ChatAction.TYPING)
            elif isinstance(msg, Poll):
                sent.append(await self.poll(chat_id, msg))
        return sent

    async def text(self, chat_id: int | str, msg: Text, is_group: bool = False) -> list[Message]:
        parts = split_text(msg.text)
        markup: InlineKeyboardMarkup | ForceReply | None = keyboard(msg.buttons)
        prompt = None
        if msg.expects_reply and markup is None:
            markup = self._force_reply(msg.expects_reply)
        elif msg.expects_reply:
            # A message carries one markup: keep the keyboard (Skip, Hint) on
            # the question and ask for the typed answer in a short reply
            # prompt, which is what lets the answer reach us in groups.
            prompt = msg.expects_reply
        sent = []
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            sent.append(
                await self.bot.send_message(
                    chat_id,
                    to_html(part),
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup if last else None,
                )
            )
        if prompt:
            sent.append(
                await self.bot.send_message(
                    chat_id,
                    to_html("✏️ " + prompt),
                    parse_mode=ParseMode.HTML,
                    reply_markup=self._force_reply(prompt),
                )
            )
        return sent

    @staticmethod
    def _force_reply(prompt: str) -> ForceReply:
        return ForceReply(selective=True, input_field_placeholder=_cut(prompt, PLACEHOLDER_LIMIT))

    async def edit(self, msg: Edit, source: Source | None) -> Message | None:
        if source is None:  # a typed answer or a push: nothing to replace
            return None
        text = split_text(msg.text)[0]
        try:
            result = await self.bot.edit_message_text(
                to_html(text),
                chat_id=source.chat_id,
                message_id=source.message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(msg.buttons),  # None drops the old keyboard
            )
        except BadRequest as exc:
            lowered = exc.message.lower()
            if "message is not modified" in lowered:
                return None
            if any(reason in lowered for reason in UNEDITABLE):
                log.info("telegram: message %s cannot be edited: %s", source.message_id, exc)
                return None
            raise
        return result if isinstance(result, Message) else None

    async def media(
        self, chat_id: int | str, data: bytes, filename: str, caption: str, photo: bool
    ) -> list[Message]:
        fits, overflow = _caption(caption)
        upload = InputFile(data, filename=filename)
        if photo:
            message = await self.bot.send_photo(
                chat_id, upload, caption=fits, parse_mode=ParseMode.HTML if fits else None
            )
        else:
            message = await self.bot.send_document(
                chat_id, upload, caption=fits, parse_mode=ParseMode.HTML if fits else None
            )
        sent = [message]
        if overflow:
            sent += await self.text(chat_id, Text(overflow))
        return sent

    async def poll(self, chat_id: int | str, msg: Poll) -> Message:
        options = [_cut(o, int(PollLimit.MAX_OPTION_LENGTH)) for o in msg.options]
        options = options[: int(PollLimit.MAX_OPTION_NUMBER)]
        message = await self.bot.send_poll(
            chat_id,
            _cut(msg.question, int(PollLimit.MAX_QUESTION_LENGTH)),
            options,
            is_anonymous=False,
            type=PollType.QUIZ,
            correct_option_ids=[msg.correct_index],  # type: ignore[list-item]
            explanation=_explanation(msg.explanation) or None,
            reply_markup=keyboard(msg.buttons),
        )
        if message.poll is not None:
            self.poll_refs.remember(message.poll.id, msg.ref, str(chat_id))
        return message
