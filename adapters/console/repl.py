"""The terminal chat: the whole product in a terminal, the embedded default.

Questions show their options as ``[A] [B] [C] [D]`` and other buttons as
numbers; typing ``b`` presses B, ``2`` presses the second button, anything
else is sent as a message or a /command. Images and documents are saved to
files whose path is printed; ``/command @FILE`` sends a file (``/sync
@answers.json``).
"""

from __future__ import annotations

import getpass
import re
import sys
from collections.abc import Callable
from pathlib import Path

from core.chat.dispatcher import Dispatcher
from core.chat.messages import Document, Edit, Image, Incoming, Outgoing, Poll, Text, Typing

BOLD = re.compile(r"\*([^*\n]+)\*")


class ConsoleChat:
    """One terminal user talking to the dispatcher."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        files_dir: Path,
        write: Callable[[str], None] | None = None,
        user: str | None = None,
        color: bool = True,
    ) -> None:
        self.dispatcher = dispatcher
        self.files_dir = files_dir
        self.write = write or (lambda text: print(text, flush=True))
        self.user = user or getpass.getuser()
        self.color = color
        self.letters: dict[str, str] = {}
        self.numbered: list[str] = []

    def _bold(self, text: str) -> str:
        return BOLD.sub((lambda m: f"\033[1m{m.group(1)}\033[0m") if self.color else r"\1", text)

    def render(self, out: list[Outgoing]) -> None:
        """Print replies; remember the newest buttons for shortcuts."""
        for msg in out:
            if isinstance(msg, Text):
                self.write(self._bold(msg.text))
                self._remember(msg)
            elif isinstance(msg, Edit):
                if not msg.added:
                    continue  # the terminal keeps history: the message is there
                # What the edit appends (the feedback on an answer) is news here.
                self.write(self._bold(msg.added))
                self._remember(Text(msg.added, buttons=msg.buttons))
            elif isinstance(msg, Image | Document):
                data = msg.png if isinstance(msg, Image) else msg.data
                self.files_dir.mkdir(parents=True, exist_ok=True)
                path = self.files_dir / msg.filename
                path.write_bytes(data)
                self.write(f"[{msg.caption or 'file'}: saved to {path}]")
            elif isinstance(msg, Poll):
                options = "\n".join(f"{i + 1}) {o}" for i, o in enumerate(msg.options))
                self.write(f"{msg.question}\n{options}")
            elif isinstance(msg, Typing):
                continue
            self.write("")

    def _remember(self, msg: Text) -> None:
        if not msg.buttons:
            return
        self.letters, self.numbered = {}, []
        labels = []
        for row in msg.buttons:
            for button in row:
                if len(button.label) == 1 and button.label.isalpha():
                    self.letters[button.label.upper()] = button.payload
                    labels.append(f"[{button.label}]")
                else:
                    self.numbered.append(button.payload)
                    labels.append(f"[{len(self.numbered)}] {button.label}")
        self.write("  ".join(labels))

    def incoming(self, line: str) -> Incoming:
        """What a typed line means: a button shortcut, a command or text."""
        stripped = line.strip()
        if stripped.upper() in self.letters:
            return Incoming("console", self.user, self.user, action=self.letters[stripped.upper()])
        if stripped.isdigit() and 1 <= int(stripped) <= len(self.numbered):
            return Incoming(
                "console", self.user, self.user, action=self.numbered[int(stripped) - 1]
            )
        attachment = None
        if stripped.startswith("/") and " @" in stripped:
            # "/sync @answers.json": the terminal's way to send a file.
            head, _, path = stripped.partition(" @")
            file = Path(path.strip()).expanduser()
            if file.is_file():
                attachment, stripped = file.read_bytes(), head
        return Incoming.parse(
            "console", self.user, stripped, display_name=self.user, attachment=attachment
        )

    def send(self, line: str) -> None:
        if line.strip():
            self.render(self.dispatcher.handle(self.incoming(line)))


def run_console(dispatcher: Dispatcher, files_dir: Path) -> int:
    """The REPL: prompt_toolkit on a terminal, plain lines when piped."""
    chat = ConsoleChat(dispatcher, files_dir, color=sys.stdout.isatty())
    chat.write(
        "SAT Prep Suite — terminal chat. Type /start to begin, /help for commands, "
        "a letter or number to press a button, Ctrl-D to quit.\n"
    )
    if sys.stdin.isatty():
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import FileHistory

        files_dir.mkdir(parents=True, exist_ok=True)
        session: PromptSession[str] = PromptSession(
            history=FileHistory(str(files_dir / ".history"))
        )
        while True:
            try:
                line = session.prompt("you> ")
            except (EOFError, KeyboardInterrupt):
                break
            chat.send(line)
    else:
        for line in sys.stdin:
            chat.send(line)
    return 0
