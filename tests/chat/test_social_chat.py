"""Friends through the recording chat: usernames, requests, buttons, blocks, the board."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from core.db.models import Friend, Identity, Notification, PointsEntry, User
from core.services.points import week_of
from tests.chat.conversation import Chat, texts


def _count(chat: Chat, model: type, *where: object) -> int:
    with chat.dispatcher.app.db.uow() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


def _user_id(chat: Chat) -> str:
    with chat.dispatcher.app.db.uow() as s:
        return s.scalar(select(Identity.user_id).where(Identity.external_id == chat.user_id))  # type: ignore[return-value]


def _pair(chat_factory: Callable[..., Chat]) -> tuple[Chat, Chat]:
    ann, bob = chat_factory("2001"), chat_factory("2002")
    assert "@ann" in texts(ann.send("/username Ann"))
    assert "@bob" in texts(bob.send("/username bob"))
    return ann, bob


def test_username_command(chat_factory: Callable[..., Chat]) -> None:
    ann, bob = _pair(chat_factory)
    assert "Your username: @ann" in texts(ann.send("/username"))
    assert "taken" in texts(bob.send("/username ANN"))
    assert "3–20 characters" in texts(bob.send("/username a!"))
    assert "Your username: @bob" in texts(bob.send("/username"))


def test_request_by_username_accept_with_button(chat_factory: Callable[..., Chat]) -> None:
    ann, bob = _pair(chat_factory)
    assert "Request sent to @bob" in texts(ann.send("/friend add @bob"))
    assert _count(ann, Notification, Notification.kind == "friend_request") == 1
    assert "waiting for their answer" in texts(ann.send("/friend add bob"))
    assert _count(ann, Friend) == 1
    out = bob.send("/friends")
    assert "@ann wants to be friends" in texts(out)
    accept = bob.button("Accept").payload
    # someone else pressing bob's button is refused, and changes nothing
    assert "someone else" in texts(ann.tap(accept))
    assert "now friends" in texts(bob.tap(accept))
    assert "already used" in texts(bob.tap(accept))
    assert "1. bob — 0" in texts(ann.send("/friends"))
    assert "already friends" in texts(bob.send("/friend add @ann"))
    assert "no longer on your friends list" in texts(ann.send("/friend remove @bob"))
    assert _count(ann, Friend) == 0


def test_request_by_invite_code_and_deep_link(chat_factory: Callable[..., Chat]) -> None:
    ann, bob = _pair(chat_factory)
    code = texts(ann.send("/invite_friend")).split("*")[1]
    assert f"/start friend-{code}" in ann.last_text
    cat = chat_factory("2003")
    assert "Request sent to @ann" in texts(cat.send(f"/friend add {code}"))
    assert "Request sent to @ann" in texts(bob.send(f"/start friend-{code}"))
    assert "not valid" in texts(bob.send("/start friend-zzzzzzzz"))
    out = texts(ann.send("/friends"))
    assert "@bob wants to be friends" in out
    assert "Declined" in texts(ann.send("/friend decline @bob"))
    assert "declined your request" in texts(bob.send("/friend add @ann"))
    out = texts(ann.send("/friends"))
    assert "@bob" not in out and "someone wants to be friends" in out  # cat has no username
    assert "now friends" in texts(ann.press("Accept"))


def test_bad_input_changes_nothing(chat_factory: Callable[..., Chat]) -> None:
    ann, _ = _pair(chat_factory)
    assert "can't find '@nobody'" in texts(ann.send("/friend add @nobody"))
    assert "can't find" in texts(ann.send("/friend accept ghost"))
    assert "That's you" in texts(ann.send("/friend add @ann"))
    assert "no friend request from @bob" in texts(ann.send("/friend accept @bob"))
    assert "Name who" in texts(ann.send("/friend add"))
    assert "/friend add @name" in texts(ann.send("/friend dance @bob"))
    assert "expired" in texts(ann.tap("forgedtoke.accept"))
    assert "expired" in texts(ann.tap("not a token"))
    assert _count(ann, Friend) == 0
    assert _count(ann, Notification) == 0


def test_blocked_user_requests_are_silent(chat_factory: Callable[..., Chat]) -> None:
    ann, bob = _pair(chat_factory)
    assert "Blocked @ann" in texts(bob.send("/friend block @ann"))
    reply = texts(ann.send("/friend add @bob"))
    assert reply.startswith("Request sent to @bob")  # reads like any request…
    with ann.dispatcher.app.db.uow() as s:  # …but nothing was created
        row = s.scalar(select(Friend))
        assert row is not None and row.status == "blocked"
        assert s.scalar(select(func.count()).select_from(Notification)) == 0
    assert "wants to be friends" not in texts(bob.send("/friends"))
    assert "You blocked @ann" in texts(bob.send("/friend add @ann"))
    assert "Unblocked" in texts(bob.send("/friend unblock @ann"))
    assert "Request sent" in texts(ann.send("/friend add @bob"))
    assert _count(ann, Notification) == 1


def test_friends_leaderboard_shows_own_rank_outside_top_ten(
    chat_factory: Callable[..., Chat], clock
) -> None:  # type: ignore[no-untyped-def]
    me = chat_factory("3000")
    me.send("/username me_last")
    my_id = _user_id(me)
    week = week_of(clock.now.date())
    with me.dispatcher.app.db.uow() as s:
        for i in range(12):
            u = User(display_name=f"F{i}", username=f"friend{i:02d}", points=1000 + i)
            s.add(u)
            s.flush()
            s.add(Friend(user_id=u.user_id, friend_id=my_id, status="accepted"))
            s.add(
                PointsEntry(
                    user_id=u.user_id,
                    points=50 + i,
                    reason="answer",
                    ref=f"seed:{i}",
                    local_date=clock.now.date(),
                    week=week,
                )
            )
        stranger = User(display_name="Stranger", username="stranger", points=99999)
        s.add(stranger)
        mine = s.get(User, my_id)
        assert mine is not None
        mine.points = 7
        s.add(
            PointsEntry(
                user_id=my_id,
                points=7,
                reason="answer",
                ref="seed:me",
                local_date=clock.now.date(),
                week=week,
            )
        )
    out = texts(me.send("/friends"))
    assert "Friends — this week" in out
    assert "1. friend11 — 61" in out
    assert "10. friend02 — 52" in out
    assert "friend01" not in out
    assert "13. me_last — 7 ← you" in out
    assert "stranger" not in out
    out = texts(me.send("/friends alltime"))
    assert "1. friend11 — 1011" in out and "13. me_last — 7 ← you" in out
