"""Buttons that survive restarts, and the modal for typed answers.

Every button is a :class:`discord.ui.DynamicItem`: discord.py matches a
clicked ``custom_id`` against the class's template, whatever process sent
the message, so a click on a question sent before a restart still reaches
the core. Nothing is kept in memory per message.

- :class:`PayloadButton`: ``custom_id`` is the core's opaque payload
  (``<token>.<arg>``); the core checks it against the clicking user.
- :class:`AnswerButton`: "Type answer", opens :class:`AnswerModal`; its
  submission (read by :func:`typed_answer`) becomes ``Incoming(text=…)``.
- :class:`PollButton`: an option of a group quiz,
  ``satprep:poll:<ref>:<index>`` → ``Incoming(poll_ref=…, poll_option=…)``.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

import discord

PAYLOAD_TEMPLATE = r"^(?P<payload>[A-Za-z0-9]{10}\.[A-Za-z0-9_:-]{1,40})$"
REPLY_ID = "satprep:reply"
MODAL_ID = "satprep:answer"
INPUT_ID = "satprep:answer:text"
POLL_TEMPLATE = r"^satprep:poll:(?P<ref>.{1,80}):(?P<option>\d{1,2})$"


class Handlers(Protocol):
    """What the client offers the buttons (see ``adapters.discord.client``)."""

    async def on_action(self, interaction: discord.Interaction, payload: str) -> None: ...

    async def on_typed(self, interaction: discord.Interaction, text: str) -> None: ...

    async def on_poll(self, interaction: discord.Interaction, ref: str, option: int) -> None: ...


def handlers(interaction: discord.Interaction) -> Handlers:
    return interaction.client.satprep  # type: ignore[attr-defined,no-any-return]


def _style(label: str) -> discord.ButtonStyle:
    return discord.ButtonStyle.primary if len(label) == 1 else discord.ButtonStyle.secondary


class PayloadButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=PAYLOAD_TEMPLATE):
    """A core button: its custom id is the core's payload, passed back verbatim."""

    def __init__(self, payload: str, label: str = "…") -> None:
        super().__init__(discord.ui.Button(label=label, style=_style(label), custom_id=payload))
        self.payload = payload

    @classmethod
    def make(cls, payload: str, label: str) -> PayloadButton:
        return cls(payload, label)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PayloadButton:
        return cls(match["payload"], getattr(item, "label", None) or "…")

    async def callback(self, interaction: discord.Interaction) -> None:
        await handlers(interaction).on_action(interaction, self.payload)


class AnswerButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=f"^{REPLY_ID}$"):
    """ "Type answer": opens a modal with one text field."""

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(
                label="Type answer", style=discord.ButtonStyle.success, custom_id=REPLY_ID
            )
        )

    @classmethod
    def make(cls) -> AnswerButton:
        return cls()

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> AnswerButton:
        return cls()

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(AnswerModal())


class AnswerModal(discord.ui.Modal, title="Your answer"):
    """One text field. Its submission is handled by :func:`typed_answer` from the
    client's ``on_interaction``, not here, so that a modal opened before a restart
    still counts when it is submitted after it (every answer modal is alike)."""

    answer: discord.ui.TextInput[AnswerModal] = discord.ui.TextInput(
        label="Your answer", placeholder="Type your answer here", max_length=400, custom_id=INPUT_ID
    )

    def __init__(self) -> None:
        super().__init__(timeout=None, custom_id=MODAL_ID)  # one entry in the store, reused

    async def on_submit(self, interaction: discord.Interaction) -> None:
        return None


def typed_answer(interaction: discord.Interaction) -> str | None:
    """The text of a submitted answer modal, or None for any other interaction."""
    data: Any = interaction.data or {}
    if interaction.type is not discord.InteractionType.modal_submit:
        return None
    if data.get("custom_id") != MODAL_ID:
        return None
    stack = list(data.get("components") or [])
    while stack:
        component = stack.pop(0)
        if component.get("custom_id") == INPUT_ID:
            return str(component.get("value") or "")
        stack += component.get("components") or []
        if "component" in component:  # a label wrapping its input
            stack.append(component["component"])
    return ""


class PollButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=POLL_TEMPLATE):
    """One option of a group quiz."""

    def __init__(self, ref: str, option: int, label: str = "…") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.primary,
                custom_id=f"satprep:poll:{ref}:{option}",
            )
        )
        self.ref, self.option = ref, option

    @classmethod
    def make(cls, ref: str, option: int, label: str) -> PollButton:
        return cls(ref, option, label)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PollButton:
        return cls(match["ref"], int(match["option"]), getattr(item, "label", None) or "…")

    async def callback(self, interaction: discord.Interaction) -> None:
        await handlers(interaction).on_poll(interaction, self.ref, self.option)


DYNAMIC_ITEMS = (PayloadButton, AnswerButton, PollButton)


def view_of(rows: list[list[discord.ui.Item[Any]]]) -> discord.ui.View:
    """A view without timeout holding ``rows`` of dynamic items (nothing is stored)."""
    view = discord.ui.View(timeout=None)
    for index, row in enumerate(rows):
        for item in row:
            item.row = index
            view.add_item(item)
    return view
