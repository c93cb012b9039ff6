"""Neutral messages → Discord messages: content, embeds, buttons, attachments.

Pure functions (no network): :func:`render` turns one :class:`Outgoing` into
the :class:`DiscordMessage` list to send, :func:`render_edit` an
:class:`Edit` into the arguments of a message edit. Limits: message content
≤ 2000 characters, embed description ≤ 4096, title ≤ 256, ≤ 5 buttons per
row and ≤ 5 rows; longer texts are split at paragraph or line boundaries.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import discord

from adapters.discord.views import AnswerButton, PayloadButton, PollButton, view_of
from core.chat.messages import Button, Document, Edit, Image, Outgoing, Poll, Text, Typing

log = logging.getLogger(__name__)

CONTENT_LIMIT = 2000
DESCRIPTION_LIMIT = 4096
TITLE_LIMIT = 256
LABEL_LIMIT = 80
MAX_ROWS = 5
PER_ROW = 5
COLOUR = discord.Colour(0x2B6CB0)

_BOLD = re.compile(r"\*([^*\n]+)\*")


def markup(text: str) -> str:
    """The neutral ``*bold*`` as Discord ``**bold**``; everything else escaped."""
    out: list[str] = []
    last = 0
    for match in _BOLD.finditer(text):
        out.append(discord.utils.escape_markdown(text[last : match.start()]))
        out.append(f"**{discord.utils.escape_markdown(match.group(1))}**")
        last = match.end()
    out.append(discord.utils.escape_markdown(text[last:]))
    return "".join(out)


def plain(text: str) -> str:
    """Text without the neutral markup (for titles, labels, placeholders)."""
    return _BOLD.sub(r"\1", text)


def split(text: str, limit: int) -> list[str]:
    """Pieces of at most ``limit`` characters, cut at a blank line, a line or a space."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        for boundary in ("\n\n", "\n", " "):
            cut = window.rfind(boundary)
            if cut > limit // 4:
                break
        else:  # no sensible boundary: a hard cut
            cut = limit
        head = rest[:cut].rstrip()
        if head.endswith("\\") and not head.endswith("\\\\"):
            head, cut = head[:-1], len(head) - 1  # never split an escape from its character
        pieces.append(head)
        rest = rest[cut:].lstrip("\n ")
    if rest.strip() or not pieces:
        pieces.append(rest)
    return pieces


@dataclass
class DiscordMessage:
    """What one Discord message carries; ``private`` asks for an ephemeral reply."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)
    files: list[discord.File] = field(default_factory=list)
    view: discord.ui.View | None = None
    private: bool = False

    def send_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``send`` / ``followup.send``."""
        kw: dict[str, Any] = {}
        if self.content is not None:
            kw["content"] = self.content
        if self.embeds:
            kw["embeds"] = self.embeds
        if self.files:
            kw["files"] = self.files
        if self.view is not None:
            kw["view"] = self.view
        return kw

    def edit_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``edit_original_response`` (replaces everything)."""
        kw: dict[str, Any] = {"content": self.content, "embeds": self.embeds}
        if self.files:
            kw["attachments"] = self.files
        kw["view"] = self.view
        return kw


def buttons_view(
    rows: tuple[tuple[Button, ...], ...], expects_reply: str | None = None
) -> discord.ui.View | None:
    """Buttons as a persistent view: ≤ 5 per row (longer rows wrap), ≤ 5 rows."""
    flat_rows: list[list[discord.ui.Item[Any]]] = []
    for row in rows:
        items = [PayloadButton.make(b.payload, b.label[:LABEL_LIMIT]) for b in row]
        for i in range(0, len(items), PER_ROW):
            flat_rows.append(list(items[i : i + PER_ROW]))
    if expects_reply:
        reply = AnswerButton.make()
        if flat_rows and len(flat_rows[-1]) < PER_ROW:
            flat_rows[-1].insert(0, reply)
        else:
            flat_rows.append([reply])
    if len(flat_rows) > MAX_ROWS:
        log.warning("dropping %d button rows over Discord's limit of 5", len(flat_rows) - MAX_ROWS)
        flat_rows = flat_rows[:MAX_ROWS]
    return view_of(flat_rows) if flat_rows else None


def _embed(text: str, with_title: bool) -> list[discord.Embed]:
    """Embeds for a text: the first line as title (questions), the rest split."""
    title = None
    body = text
    if with_title:
        first, _, rest = text.partition("\n")
        if rest.strip() and len(plain(first)) <= TITLE_LIMIT:
            title = discord.utils.escape_markdown(plain(first).strip())
            body = rest.strip("\n")
    pieces = split(markup(body), DESCRIPTION_LIMIT)
    embeds = [discord.Embed(description=p, colour=COLOUR) for p in pieces]
    if title:
        embeds[0].title = title
    return embeds


def render_text(msg: Text) -> list[DiscordMessage]:
    """A plain text as content; a question (buttons or a typed answer) as an embed."""
    view = buttons_view(msg.buttons, msg.expects_reply)
    if view is None:
        parts = split(markup(msg.text), CONTENT_LIMIT)
        return [DiscordMessage(content=p, private=msg.private) for p in parts]
    # One embed per message keeps each message within the 6000-character total.
    out = [DiscordMessage(embeds=[e], private=msg.private) for e in _embed(msg.text, True)]
    out[-1].view = view
    return out


def render_image(msg: Image) -> list[DiscordMessage]:
    """A PNG as an attachment shown inside an embed (``attachment://name``)."""
    name = _safe_filename(msg.filename, "image.png")
    embed = discord.Embed(colour=COLOUR)
    if msg.caption:
        embed.description = markup(msg.caption)[:DESCRIPTION_LIMIT]
    embed.set_image(url=f"attachment://{name}")
    return [DiscordMessage(embeds=[embed], files=[discord.File(io.BytesIO(msg.png), name)])]


def render_document(msg: Document) -> list[DiscordMessage]:
    name = _safe_filename(msg.filename, "file.bin")
    content = markup(msg.caption)[:CONTENT_LIMIT] if msg.caption else None
    return [DiscordMessage(content=content, files=[discord.File(io.BytesIO(msg.data), name)])]


def render_poll(msg: Poll) -> list[DiscordMessage]:
    """A group quiz: the question and lettered options in an embed, one button each.

    Discord's native polls have no "correct answer", so a quiz is buttons whose
    custom ids carry the poll's ref and the option's index.
    """
    letters = [chr(ord("A") + i) for i in range(len(msg.options))]
    lines = [markup(msg.question), ""]
    lines += [f"**{letters[i]})** {markup(option)}" for i, option in enumerate(msg.options)]
    embed = discord.Embed(description="\n".join(lines)[:DESCRIPTION_LIMIT], colour=COLOUR)
    rows: list[list[discord.ui.Item[Any]]] = []
    for i, letter in enumerate(letters):
        if i % PER_ROW == 0:
            rows.append([])
        rows[-1].append(PollButton.make(msg.ref, i, letter))
    for row in msg.buttons:
        rows.append([PayloadButton.make(b.payload, b.label[:LABEL_LIMIT]) for b in row][:PER_ROW])
    return [DiscordMessage(embeds=[embed], view=view_of(rows[:MAX_ROWS]))]


def render(msg: Outgoing) -> list[DiscordMessage]:
    """The Discord messages for one neutral message (an Edit is handled apart)."""
    if isinstance(msg, Text):
        return render_text(msg)
    if isinstance(msg, Image):
        return render_image(msg)
    if isinstance(msg, Document):
        return render_document(msg)
    if isinstance(msg, Poll):
        return render_poll(msg)
    if isinstance(msg, Typing | Edit):
        return []
    raise TypeError(f"cannot render {type(msg).__name__}")


def render_edit(msg: Edit) -> DiscordMessage:
    """The replacement of a pressed message: its text as an embed, its view dropped."""
    body = markup(msg.text)
    if len(body) > DESCRIPTION_LIMIT:
        body = body[: DESCRIPTION_LIMIT - 1].rstrip("\\") + "…"
    view = buttons_view(msg.buttons) if msg.buttons else None
    return DiscordMessage(embeds=[discord.Embed(description=body, colour=COLOUR)], view=view)


def _safe_filename(name: str, default: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", name or "")[:80]
    return cleaned or default
