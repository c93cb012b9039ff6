"""/streak, /league, /leaderboard and /badges through the recording chat."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from core.db.models import LeagueMembership, User
from core.services import leagues
from core.services.points import award
from tests.chat.conversation import Chat, texts
from tests.chat.test_practice import _answer


def test_streak_across_local_midnight_in_utc_plus_9(chat: Chat, clock) -> None:  # type: ignore[no-untyped-def]
    chat.send("/settings timezone UTC+9")
    out = texts(chat.send("/streak"))
    assert "Streak: 0 days" in out and "Answer one question today to start a streak" in out
    clock.now = datetime(2026, 11, 2, 14, 50, tzinfo=UTC)  # 23:50 local
    chat.send("/practice transitions")
    _answer(chat, False)  # a wrong answer is still real work
    out = texts(chat.send("/streak"))
    assert "Streak: 1 day\n" in out and "Today counts" in out
    clock.advance(minutes=20)  # 00:10 local: a new day
    out = texts(chat.send("/streak"))
    assert "Streak: 1 day\n" in out and "Not yet today" in out
    _answer(chat, True)
    out = texts(chat.send("/streak"))
    assert "Streak: 2 days" in out and "Best: 2 days" in out and "Streak freezes: 0/2" in out
    assert "takes no arguments" in texts(chat.send("/streak please"))


def _rivals(chat: Chat, n: int, now: datetime) -> None:
    with chat.dispatcher.app.db.uow() as s:
        for i in range(n):
            user = User(display_name=f"rival{i:02d}")
            s.add(user)
            s.flush()
            award(s, user, 500 + 10 * i, "answer", f"seed:{i}", now)
            leagues.join(s, user, leagues.current_week(now))


def test_league_shows_own_rank_outside_the_top_ten(chat: Chat, clock) -> None:  # type: ignore[no-untyped-def]
    out = texts(chat.send("/league"))
    assert "not in this week's league yet" in out
    _rivals(chat, 12, clock.now)
    chat.send("/practice transitions")
    for _ in range(3):
        _answer(chat, True)
    out = texts(chat.send("/league"))
    assert "Bronze league* · cohort 1" in out
    assert "1. rival11 — 610" in out and "10. rival02" in out
    assert "…\n13. someone — " in out and "← you" in out
    assert "top 4 move up to Silver" in out
    assert texts(chat.send("/leaderboard")) == out
    assert texts(chat.send("/leaderboard week")) == out
    board = texts(chat.send("/leaderboard all"))
    assert "All-time points" in board and "13. someone" in board


def test_leaderboard_bad_argument_changes_nothing(chat: Chat) -> None:
    out = texts(chat.send("/leaderboard friendz"))
    assert "I don't know the board 'friendz'" in out and "/leaderboard all" in out
    with chat.dispatcher.app.db.uow() as s:
        assert s.scalar(select(func.count()).select_from(LeagueMembership)) == 0
    assert "takes no arguments" in texts(chat.send("/league top"))


def test_badges_lists_earned_and_next(chat: Chat) -> None:
    out = texts(chat.send("/badges"))
    assert "None yet" in out and "100 questions: 0/100" in out and "7-day streak: 0/7" in out
    chat.send("/practice transitions")
    _answer(chat, True)
    out = texts(chat.send("/badges"))
    assert "100 questions: 1/100" in out and "7-day streak: 1/7" in out
