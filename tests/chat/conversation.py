"""A conversation driver for tests: send lines, press buttons, read replies.

It plays the part of an adapter (errbot's TestBackend, Rasa's collecting
channel): it builds :class:`Incoming` events and keeps what came back, so a
test reads like the chat it checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.chat.dispatcher import Dispatcher
from core.chat.messages import Button, Edit, Image, Incoming, Outgoing, Text


@dataclass
class Chat:
    dispatcher: Dispatcher
    user_id: str = "1001"
    platform: str = "console"
    chat_kind: str = "dm"
    chat_id: str | None = None
    username: str | None = None
    history: list[Outgoing] = field(default_factory=list)
    _events: int = 0

    def _send(self, incoming: Incoming) -> list[Outgoing]:
        out = self.dispatcher.handle(incoming)
        self.history.extend(out)
        return out

    def send(self, line: str, event_id: str | None = None) -> list[Outgoing]:
        """Type a line (a /command or free text)."""
        return self._send(
            Incoming.parse(
                self.platform,  # type: ignore[arg-type]
                self.user_id,
                line,
                chat_id=self.chat_id or self.user_id,
                chat_kind=self.chat_kind,
                username=self.username,
                event_id=event_id,
            )
        )

    def tap(self, payload: str, event_id: str | None = None) -> list[Outgoing]:
        """Send a raw button payload (possibly forged)."""
        return self._send(
            Incoming(
                self.platform,  # type: ignore[arg-type]
                self.user_id,
                self.chat_id or self.user_id,
                chat_kind=self.chat_kind,  # type: ignore[arg-type]
                action=payload,
                event_id=event_id,
            )
        )

    def buttons(self) -> list[Button]:
        """The buttons of the newest message that has any."""
        for msg in reversed(self.history):
            if isinstance(msg, Text | Edit) and msg.buttons:
                return [b for row in msg.buttons for b in row]
        return []

    def button(self, label: str) -> Button:
        for b in self.buttons():
            if b.label == label or b.label.startswith(label):
                return b
        raise AssertionError(f"no button {label!r} in {[b.label for b in self.buttons()]}")

    def press(self, label: str) -> list[Outgoing]:
        """Press the button labelled ``label`` on the newest keyboard."""
        return self.tap(self.button(label).payload)

    @property
    def last_text(self) -> str:
        for msg in reversed(self.history):
            if isinstance(msg, Text | Edit):
                return msg.text
        return ""


def texts(out: list[Outgoing]) -> str:
    """All the text of a reply, joined, for assertions."""
    parts = []
    for msg in out:
        if isinstance(msg, Text | Edit):
            parts.append(msg.text)
        elif isinstance(msg, Image):
            parts.append(f"[image {msg.filename}] {msg.caption}")
    return "\n".join(parts)
