"""Pure parts of the Telegram adapter: markup, splitting, settings checks."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from adapters.telegram import TelegramConfigError, build_application, webhook_options
from adapters.telegram.app import command_menu, file_url
from adapters.telegram.render import keyboard, split_text, to_html
from bot.settings import TelegramSettings
from core.chat.messages import Button


def test_html_escapes_everything_but_bold() -> None:
    assert to_html("*Q1* if x < 3 & y > 2") == "<b>Q1</b> if x &lt; 3 &amp; y &gt; 2"
    assert to_html("2 * 3 * 4 and 2*x*y") == "2 * 3 * 4 and 2*x*y"  # arithmetic stays
    assert to_html("*Your progress*\n*Q 1/3* go") == "<b>Your progress</b>\n<b>Q 1/3</b> go"
    assert to_html("<b>not markup</b>") == "&lt;b&gt;not markup&lt;/b&gt;"


def test_split_on_line_ends_within_the_limit() -> None:
    text = "\n".join(f"line {i} " + "x" * 50 for i in range(300))
    parts = split_text(text, limit=1000)
    assert all(len(to_html(p)) <= 1000 for p in parts)
    assert "\n".join(parts) == text  # nothing lost, cut only at line ends
    long_line = "é" * 2500 + "\n" + "short"
    parts = split_text(long_line, limit=1000)
    assert all(len(p) <= 1000 for p in parts) and len(parts) == 3
    assert "".join(parts) == long_line and parts[-1].endswith("é\nshort")
    assert split_text("short") == ["short"]


def test_split_counts_escaped_html() -> None:
    parts = split_text("<" * 1500, limit=1000)  # each "<" becomes "&lt;" (4 characters)
    assert all(len(to_html(p)) <= 1000 for p in parts) and "".join(parts) == "<" * 1500


def test_keyboard_rows_carry_opaque_payloads() -> None:
    markup = keyboard(((Button("A", "tok.A"), Button("B", "tok.B")), (Button("Skip", "tok.skip"),)))
    assert markup is not None
    assert [[b.callback_data for b in row] for row in markup.inline_keyboard] == [
        ["tok.A", "tok.B"],
        ["tok.skip"],
    ]
    assert keyboard(()) is None


def test_command_menu_leaves_out_hidden_commands() -> None:
    from core.chat.dispatcher import COMMANDS, App, Dispatcher

    Dispatcher(App(db=None))  # type: ignore[arg-type]  # registers the handlers
    private, group = command_menu()
    names = {c.command for c in private}
    assert "practice" in names and all(not COMMANDS[n].hidden for n in names)
    assert {c.command for c in group} <= names and "help" in {c.command for c in group}


def test_settings_are_checked_with_the_key_named() -> None:
    assert file_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    with pytest.raises(TelegramConfigError, match="SATPREP_TELEGRAM_TOKEN"):
        build_application(TelegramSettings(), None)  # type: ignore[arg-type]
    with pytest.raises(TelegramConfigError, match="SATPREP_TELEGRAM_WEBHOOK_URL"):
        webhook_options(TelegramSettings(mode="webhook"))
    with pytest.raises(TelegramConfigError, match="SATPREP_TELEGRAM_WEBHOOK_SECRET"):
        webhook_options(TelegramSettings(mode="webhook", webhook_url="https://b.example/tg"))
    with pytest.raises(TelegramConfigError, match="SATPREP_TELEGRAM_WEBHOOK_SECRET"):
        webhook_options(
            TelegramSettings(
                webhook_url="https://b.example/tg", webhook_secret=SecretStr("has spaces")
            )
        )
    options = webhook_options(
        TelegramSettings(
            webhook_url="https://bot.example.com/telegram/hook",
            webhook_port=8081,
            webhook_secret=SecretStr("abc_DEF-123"),
        )
    )
    assert options["url_path"] == "telegram/hook" and options["port"] == 8081
    assert options["listen"] == "127.0.0.1" and options["secret_token"] == "abc_DEF-123"
