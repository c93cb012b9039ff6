"""Neutral messages: what an adapter hands the core and what it gets back.

An adapter turns a platform event into an :class:`Incoming` and renders the
returned :class:`Outgoing` list with its own widgets (inline keyboards,
Discord buttons, numbered options in a terminal). Button payloads are
opaque tokens (see :mod:`core.chat.tokens`); the core checks them against
the caller, because every platform lets a client send any payload back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ChatKind = Literal["dm", "group"]
Platform = Literal["telegram", "discord", "console"]


@dataclass(frozen=True)
class Incoming:
    """One event from a person: a command, free text, or a button press.

    ``event_id`` is the platform's id of the update (Telegram ``update_id``,
    Discord interaction id): a redelivered event with the same id is ignored.
    """

    platform: Platform
    user_id: str  # the platform's user id, as text
    chat_id: str
    chat_kind: ChatKind = "dm"
    command: str | None = None
    args: str = ""
    text: str | None = None
    action: str | None = None  # an opaque button payload
    username: str | None = None
    display_name: str | None = None
    chat_title: str | None = None
    event_id: str | None = None
    is_chat_admin: bool = False
    attachment: bytes | None = None  # a file the user sent (e.g. a sync JSON)
    poll_ref: str | None = None  # an answer to a quiz poll: the Poll's ref…
    poll_option: int | None = None  # …and the chosen option's index

    @classmethod
    def parse(cls, platform: Platform, user_id: str, line: str, **kw: object) -> Incoming:
        """A typed line: ``/cmd args`` becomes a command, anything else text."""
        line = line.strip()
        if line.startswith("/") and len(line) > 1:
            head, _, rest = line[1:].partition(" ")
            name = head.split("@", 1)[0].lower()  # Telegram's /cmd@BotName
            return cls(
                platform, user_id, kw.pop("chat_id", user_id), command=name, args=rest.strip(), **kw
            )  # type: ignore[arg-type]
        return cls(platform, user_id, kw.pop("chat_id", user_id), text=line, **kw)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Button:
    """A button: what it says and the opaque payload it sends back."""

    label: str
    payload: str


@dataclass(frozen=True)
class Text:
    """A message. ``markup`` uses a tiny neutral subset: ``*bold*`` only.

    ``buttons`` are rows of buttons; ``expects_reply`` asks the adapter for a
    typed answer (Telegram ForceReply, a Discord modal); ``private`` asks for
    a reply only the caller sees where the platform can (Discord ephemeral).
    """

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    expects_reply: str | None = None  # prompt for a typed answer, e.g. an SPR entry
    private: bool = False


@dataclass(frozen=True)
class Image:
    """A PNG image with a caption (a figure, a score chart)."""

    png: bytes
    caption: str = ""
    filename: str = "image.png"


@dataclass(frozen=True)
class Document:
    """A file to send (a worksheet PDF, a data export)."""

    data: bytes
    filename: str
    caption: str = ""


@dataclass(frozen=True)
class Edit:
    """Replace the message whose button was pressed (its buttons by ``buttons``).

    ``added``: the part of ``text`` that is new (the feedback appended to an
    answered question), for a chat that keeps history instead of editing: the
    terminal prints it, with the buttons, as a message.
    """

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    added: str = ""


EDIT_MAX_TEXT = 3500
"""The longest text an :class:`Edit` should carry. An edit replaces one
message and cannot be split into several as a :class:`Text` can; every
adapter's single message holds more (Telegram's text and Discord's embed
4096 characters after markup)."""


@dataclass(frozen=True)
class Typing:
    """A "working" hint: the next message may take a moment."""


@dataclass(frozen=True)
class Poll:
    """A group quiz: a native quiz poll where the platform has one."""

    question: str
    options: tuple[str, ...]
    correct_index: int
    explanation: str
    ref: str  # the core's reference, echoed back with each poll answer
    buttons: tuple[tuple[Button, ...], ...] = field(default=())


Outgoing = Text | Image | Document | Edit | Typing | Poll
