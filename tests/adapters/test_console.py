"""The terminal chat: the real `satprep chat` driven through a pseudo-terminal."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect
import pytest

from adapters.console.repl import ConsoleChat
from core.chat.messages import Button, Incoming, Text

SATPREP = str(Path(sys.executable).parent / "satprep")


def test_shortcuts_press_the_newest_buttons() -> None:
    written: list[str] = []
    chat = ConsoleChat(
        dispatcher=None,
        files_dir=Path("/nonexistent"),
        write=written.append,  # type: ignore[arg-type]
        user="ada",
        color=False,
    )
    chat.render(
        [
            Text(
                "*Q1*",
                buttons=(
                    (Button("A", "tok.A"), Button("B", "tok.B")),
                    (Button("Skip", "tok.skip"),),
                ),
            )
        ]
    )
    assert "Q1" in written[0] and "[A]  [B]  [1] Skip" in written
    assert chat.incoming("b") == Incoming("console", "ada", "ada", action="tok.B")
    assert chat.incoming("1").action == "tok.skip"
    assert chat.incoming("7").text == "7"  # no 7th button: sent as text
    assert chat.incoming("/practice math").command == "practice"


@pytest.mark.timeout(180)
def test_terminal_session(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "SATPREP_DATA_DIR": str(tmp_path),
        "TERM": "xterm",
        "PROMPT_TOOLKIT_NO_CPR": "1",
        "SATPREP_SCHEDULER_ENABLED": "false",
        "SATPREP_LOG_LEVEL": "WARNING",
    }
    env.pop("SATPREP_DATABASE_URL", None)
    child = pexpect.spawn(
        SATPREP, ["chat"], env=env, encoding="utf-8", timeout=60, dimensions=(50, 160)
    )
    try:
        child.expect("terminal chat")
        child.expect("you>")
        child.sendline("/start")
        child.expect("YYYY-MM-DD")
        for _ in range(4):
            child.expect("you>")
            child.sendline("skip")
        child.expect("You're set")
        child.expect("you>")
        child.sendline("/practice transitions")  # Reading and Writing: always four choices
        child.expect(r"Q 1/10")
        child.expect(r"\[A\]\s+\[B\]\s+\[C\]\s+\[D\]")
        child.expect("you>")
        child.sendline("a")
        child.expect(r"Correct|Not quite")
        child.expect(r"Q 2/10")
        child.expect("you>")
        child.sendline("1")  # the Skip button
        child.expect(r"Skipped\. The answer is")
        child.expect("you>")
        child.sendline("/stop")
        child.expect("Session complete")
        child.expect("you>")
        child.sendline("/progress")
        child.expect(r"saved to (\S+\.png)")
        png = Path(child.match.group(1))
        assert png.read_bytes().startswith(b"\x89PNG")
        child.expect("you>")
        child.sendeof()
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert (tmp_path / "satprep.sqlite3").exists()


def test_at_file_sends_an_attachment(tmp_path: Path) -> None:
    chat = ConsoleChat(dispatcher=None, files_dir=tmp_path, write=lambda _: None, user="ada")  # type: ignore[arg-type]
    answers = tmp_path / "answers.json"
    answers.write_text('{"answers": []}')
    incoming = chat.incoming(f"/sync @{answers}")
    assert incoming.command == "sync" and incoming.attachment == b'{"answers": []}'
    assert chat.incoming("/sync @nope.json").attachment is None  # no such file: plain text
