"""Onboarding, /help and /settings, with bad input at every prompt."""

from __future__ import annotations

from sqlalchemy import func, select

from core.db.models import Identity, User
from tests.chat.conversation import Chat, texts


def _user(chat: Chat) -> User:
    with chat.dispatcher.app.db.uow() as s:
        ident = s.scalars(select(Identity).where(Identity.external_id == chat.user_id)).one()
        return ident.user


def test_onboarding_with_bad_values_then_good(chat: Chat) -> None:
    out = texts(chat.send("/start"))
    assert "Digital SAT coach" in out and "YYYY-MM-DD" in out
    assert "passed" in texts(chat.send("2020-01-01"))
    assert "YYYY-MM-DD" in texts(chat.send("next march"))
    assert "400–1600" in texts(chat.send("2027-03-13"))
    assert "steps of 10" in texts(chat.send("1455"))
    assert "time zone" in texts(chat.send("1450"))
    assert "don't know the time zone" in texts(chat.send("Mars/Olympus"))
    assert "hours" in texts(chat.send("UTC+9"))
    assert "whole number" in texts(chat.send("lots"))
    done = texts(chat.send("6"))
    assert "You're set" in done and "/diagnostic" in done
    u = _user(chat)
    assert (str(u.test_date), u.target_score, u.timezone, u.study_hours) == (
        "2027-03-13",
        1450,
        "Etc/GMT-9",
        6,
    )
    assert u.onboarding_step is None


def test_skip_button_and_text(chat: Chat) -> None:
    chat.send("/start")
    out = chat.press("Skip")
    assert "skipped" in texts(out) and "total score" in texts(out)
    chat.send("skip")
    chat.send("Asia/Tokyo")
    chat.send("skip")
    u = _user(chat)
    assert u.test_date is None and u.timezone == "Asia/Tokyo" and u.study_hours is None


def test_forged_and_foreign_buttons_change_nothing(chat: Chat, chat_factory) -> None:  # type: ignore[no-untyped-def]
    chat.send("/start")
    payload = chat.button("Skip").payload
    other = chat_factory("2002")
    assert "someone else" in texts(other.tap(payload))
    assert "expired" in texts(other.tap("zzzzzzzzzz.skip"))
    assert "expired" in texts(chat.tap("'; DROP TABLE users; --"))
    assert _user(chat).onboarding_step == "test_date"


def test_help_lists_commands_and_unknown_command(chat: Chat) -> None:
    out = texts(chat.send("/help"))
    assert "/settings" in out and "/start" in out
    assert "don't know the command /frobnicate" in texts(chat.send("/frobnicate"))
    assert "/help" in texts(chat.send("hello there"))


def test_settings_change_and_refuse(chat: Chat) -> None:
    assert "Time zone: UTC" in texts(chat.send("/settings"))
    assert "Saved" in texts(chat.send("/settings timezone America/Chicago"))
    assert "don't have a setting" in texts(chat.send("/settings colour blue"))
    assert "HH:MM" in texts(chat.send("/settings reminder 7pm"))
    assert "Saved" in texts(chat.send("/settings quiet 22:00-07:00"))
    u = _user(chat)
    assert u.timezone == "America/Chicago" and u.reminder_time is None
    assert u.quiet_start is not None


def test_redelivered_event_is_ignored(chat: Chat) -> None:
    chat.send("/start", event_id="u-1")
    assert chat.send("2027-03-13", event_id="u-2")
    assert chat.send("2027-03-13", event_id="u-2") == []
    with chat.dispatcher.app.db.uow() as s:
        assert s.scalar(select(func.count()).select_from(User)) == 1
    assert _user(chat).onboarding_step == "target_score"


def test_oversized_message_is_refused(chat: Chat) -> None:
    assert "too long" in texts(chat.send("x" * 5000))
