"""Friends: usernames, requests and their anti-spam rules, blocks (both engines)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.chat.errors import UserError
from core.db.engine import Database
from core.db.models import Friend, Notification, User
from core.services import friends


def _users(s: Session, *names: str) -> list[User]:
    users = [User(display_name=n.title(), username=n) for n in names]
    s.add_all(users)
    s.flush()
    return users


def _count(s: Session, model: type, *where: object) -> int:
    return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


def test_username_rules(db: Database) -> None:
    with db.uow() as s:
        ann, bob = _users(s, "ann", "bob")
        assert friends.set_username(s, ann, "@Ann_2027") == "ann_2027"
        for bad in ("ab", "x" * 21, "no spaces", "émile", "semi;colon"):
            with pytest.raises(UserError, match="3–20 characters"):
                friends.set_username(s, bob, bad)
        with pytest.raises(UserError, match="invite code"):
            friends.set_username(s, bob, "deadbeef")
        with pytest.raises(UserError, match="taken"):
            friends.set_username(s, bob, "ANN_2027")
        assert bob.username == "bob"
        assert friends.find_user(s, "@ANN_2027") is ann
        assert friends.find_user(s, bob.invite_code) is bob
        assert friends.find_user(s, "@nobody") is None
        assert friends.find_user(s, "") is None


def test_request_accept_remove(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    with db.uow() as s:
        ann, bob = _users(s, "ann", "bob")
        assert friends.request(s, ann, bob, clock.now).status == "sent"
        row = friends.pair(s, bob.user_id, ann.user_id)
        assert row is not None and row.pair_key == Friend.key_for(ann.user_id, bob.user_id)
        note = s.scalar(select(Notification).where(Notification.user_id == bob.user_id))
        assert note is not None and note.kind == "friend_request"
        assert note.dedupe_key == f"friend_request:{row.pair_key}:{clock.now.date().isoformat()}"
        assert [u.user_id for u in friends.pending_incoming(s, bob.user_id)] == [ann.user_id]
        with pytest.raises(UserError, match="waiting"):
            friends.request(s, ann, bob, clock.now)
        with pytest.raises(UserError, match="no friend request"):
            friends.accept(s, ann, bob, clock.now)  # the sender cannot accept for them
        friends.accept(s, bob, ann, clock.now)
        assert friends.friend_ids(s, ann.user_id) == [bob.user_id]
        assert friends.friend_ids(s, bob.user_id) == [ann.user_id]
        with pytest.raises(UserError, match="already friends"):
            friends.request(s, bob, ann, clock.now)
        assert friends.remove(s, bob, ann) == "removed"
        s.flush()
        assert friends.friend_ids(s, ann.user_id) == []
        with pytest.raises(UserError, match="That's you"):
            friends.request(s, ann, ann, clock.now)


def test_crossed_requests_make_one_friendship(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    with db.uow() as s:
        ann, bob = _users(s, "ann", "bob")
        friends.request(s, ann, bob, clock.now)
        assert friends.request(s, bob, ann, clock.now).status == "accepted"
        assert _count(s, Friend) == 1
        assert friends.pair(s, ann.user_id, bob.user_id).status == "accepted"  # type: ignore[union-attr]


def test_duplicate_pair_is_refused_by_the_database(db: Database) -> None:
    from sqlalchemy.exc import IntegrityError

    with db.uow() as s:
        ann, bob = _users(s, "ann", "bob")
        s.add(Friend(user_id=ann.user_id, friend_id=bob.user_id))
        s.flush()
        s.add(Friend(user_id=bob.user_id, friend_id=ann.user_id))
        with pytest.raises(IntegrityError):
            s.flush()
        s.rollback()


def test_decline_cooldown(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    with db.uow() as s:
        ann, bob = _users(s, "ann", "bob")
        friends.request(s, ann, bob, clock.now)
        friends.decline(s, bob, ann, clock.now)
        later = clock.now + timedelta(days=6, hours=23)
        with pytest.raises(UserError, match="declined"):
            friends.request(s, ann, bob, later)
        assert (
            friends.request(s, ann, bob, clock.now + timedelta(days=7, minutes=1)).status == "sent"
        )
        assert _count(s, Friend) == 1


def test_block_is_silent_and_creates_nothing(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    with db.uow() as s:
        ann, bob = _users(s, "ann", "bob")
        friends.request(s, ann, bob, clock.now)
        friends.block(s, bob, ann, clock.now)
        s.flush()
        notes = _count(s, Notification)
        outcome = friends.request(s, ann, bob, clock.now + timedelta(days=30))
        assert outcome.status == "silent"
        row = friends.pair(s, ann.user_id, bob.user_id)
        assert row is not None and row.status == "blocked" and row.user_id == bob.user_id
        assert _count(s, Notification) == notes
        assert friends.pending_incoming(s, bob.user_id) == []
        assert friends.is_blocked_by(s, ann.user_id, bob.user_id)
        with pytest.raises(UserError, match="You blocked"):
            friends.request(s, bob, ann, clock.now)
        friends.block(s, ann, bob, clock.now)  # already blocked by bob: bob's block stays
        assert friends.pair(s, ann.user_id, bob.user_id).user_id == bob.user_id  # type: ignore[union-attr]
        friends.unblock(s, bob, ann)
        s.flush()
        assert friends.pair(s, ann.user_id, bob.user_id) is None


def test_pending_and_daily_limits(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    with db.uow() as s:
        ann, *others = _users(s, "ann", *(f"user{i:02d}" for i in range(25)))
        for other in others[: friends.MAX_PENDING_OUT]:
            friends.request(s, ann, other, clock.now)
        with pytest.raises(UserError, match="waiting for an answer"):
            friends.request(s, ann, others[10], clock.now)
        # cancelling and re-sending does not beat the daily limit
        for other in others[: friends.MAX_PENDING_OUT]:
            friends.remove(s, ann, other)
        s.flush()
        for other in others[10:20]:
            friends.request(s, ann, other, clock.now)
        for other in others[10:20]:
            friends.remove(s, ann, other)
        s.flush()
        with pytest.raises(UserError, match="in a day"):
            friends.request(s, ann, others[20], clock.now)
        assert friends.request(s, ann, others[20], clock.now + timedelta(days=1, minutes=1))


def test_notify_once_per_key(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    with db.uow() as s:
        (ann,) = _users(s, "ann")
        assert friends.notify(s, ann.user_id, "k", "hello", "k:1", clock.now) is not None
        assert friends.notify(s, ann.user_id, "k", "hello again", "k:1", clock.now) is None
        assert _count(s, Notification) == 1
