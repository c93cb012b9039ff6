"""Friends: usernames, requests (by username, invite code or deep link), blocks.

One ``friends`` row per pair, whichever way round (its ``pair_key`` is
unique), so a duplicate or crossed request cannot create a second row.
``user_id`` is who asked (or who blocked). Rules against request spam:

* at most :data:`MAX_PENDING_OUT` requests waiting for an answer at a time;
* at most :data:`MAX_REQUESTS_PER_DAY` requests in any 24 hours (counted from
  the request notifications the sender caused, so cancelling and re-sending
  does not reset it);
* a declined request cannot be sent again for :data:`DECLINE_COOLDOWN`;
* a request to someone who blocked you is refused *silently*: the sender
  reads the usual "sent" reply, and nothing is stored or delivered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.chat.errors import UserError
from core.db.models import Friend, Notification, User
from core.services.profile import local_today

USERNAME = re.compile(r"^[a-z0-9_]{3,20}$")
INVITE_LIKE = re.compile(r"^[0-9a-f]{8}$")  # the shape of users.invite_code
MAX_PENDING_OUT = 10
MAX_REQUESTS_PER_DAY = 20
DECLINE_COOLDOWN = timedelta(days=7)
REQUEST_KIND = "friend_request"


def display(user: User) -> str:
    """How a person is named to others: ``@username`` or their display name."""
    if user.username:
        return f"@{user.username}"
    return user.display_name or "someone"


# --------------------------------------------------------------------------
# Usernames and finding people
# --------------------------------------------------------------------------


def set_username(s: Session, user: User, raw: str) -> str:
    """Validate and store ``raw`` (3–20 of a–z, 0–9, _; unique ignoring case)."""
    name = raw.strip().removeprefix("@").lower()
    if not USERNAME.match(name):
        raise UserError(
            "A username is 3–20 characters: letters a–z, digits and _ (like sat_fan_42). "
            "Try /username another_name."
        )
    if INVITE_LIKE.match(name):  # keeps "/friend add CODE" unambiguous
        raise UserError("That looks like an invite code; pick a name with a letter g–z or _.")
    taken = s.scalar(
        select(User.user_id).where(func.lower(User.username) == name, User.user_id != user.user_id)
    )
    if taken is not None:
        raise UserError(f"@{name} is taken. Try another with /username NAME.")
    user.username = name
    return name


def find_user(s: Session, ref: str) -> User | None:
    """A user by ``@username``, ``username`` or invite code (None: nobody)."""
    ref = ref.strip()
    if not ref or len(ref) > 32:
        return None
    name = ref.removeprefix("@").lower()
    if ref.startswith("@") or USERNAME.match(name):
        found = s.scalar(select(User).where(func.lower(User.username) == name))
        if found is not None or ref.startswith("@"):
            return found
    return s.scalar(select(User).where(User.invite_code == ref.lower()))


def pair(s: Session, a: str, b: str) -> Friend | None:
    """The row between two users, whichever way round, if any."""
    return s.scalar(select(Friend).where(Friend.pair_key == Friend.key_for(a, b)))


def is_blocked_by(s: Session, me: str, other: str) -> bool:
    """True when ``other`` blocked ``me``."""
    row = pair(s, me, other)
    return row is not None and row.status == "blocked" and row.user_id == other


# --------------------------------------------------------------------------
# The outbox call site
# --------------------------------------------------------------------------


def notify(
    s: Session,
    user_id: str,
    kind: str,
    message: str,
    dedupe_key: str,
    now: datetime,
    payload: dict[str, Any] | None = None,
) -> Notification | None:
    """Queue a push for ``user_id`` once per ``dedupe_key`` (None: already queued).

    The outbox job delivers ``pending`` rows later; the unique key makes a
    second call (a re-sent request, a second process) add nothing.
    """
    if s.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe_key)):
        return None
    row = Notification(
        user_id=user_id,
        kind=kind,
        message=message,
        payload=payload or {},
        timestamp=now,
        due_at=now,
        dedupe_key=dedupe_key,
    )
    try:
        with s.begin_nested():
            s.add(row)
    except IntegrityError:  # another process queued it first
        return None
    return row


def _requests_last_day(s: Session, me: str, now: datetime) -> int:
    rows = s.scalars(
        select(Notification.payload).where(
            Notification.kind == REQUEST_KIND,
            Notification.timestamp > now - timedelta(days=1),
            Notification.dedupe_key.like(f"%{me}%"),
        )
    )
    return sum(1 for p in rows if (p or {}).get("from") == me)


# --------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestOutcome:
    """What a request did: ``sent``, ``accepted`` (they had asked you) or ``silent``."""

    status: str
    other: User


def request(s: Session, me: User, other: User, now: datetime) -> RequestOutcome:
    """Ask ``other`` to be friends, within the anti-spam rules (module docstring)."""
    if other.user_id == me.user_id:
        raise UserError("That's you! Send a friend your username or /invite_friend code.")
    row = pair(s, me.user_id, other.user_id)
    if row is not None:
        if row.status == "blocked":
            if row.user_id == me.user_id:
                raise UserError(
                    f"You blocked {display(other)}. Unblock first with "
                    f"/friend unblock {other.username or other.invite_code}."
                )
            return RequestOutcome("silent", other)  # blocked by them: say nothing
        if row.status == "accepted":
            raise UserError(f"You and {display(other)} are already friends. See /friends.")
        if row.status == "pending" and row.user_id == me.user_id:
            raise UserError(f"Your request to {display(other)} is waiting for their answer.")
        if row.status == "pending":
            row.status, row.timestamp = "accepted", now  # they asked first: that's a yes
            return RequestOutcome("accepted", other)
        # declined: the one who was declined waits out the cool-down
        if row.user_id == me.user_id and row.timestamp + DECLINE_COOLDOWN > now:
            until = (row.timestamp + DECLINE_COOLDOWN).date().isoformat()
            raise UserError(
                f"{display(other)} declined your request; you can ask again from {until}."
            )
    _check_limits(s, me, now)
    if row is None:
        row = Friend(user_id=me.user_id, friend_id=other.user_id, status="pending", timestamp=now)
        try:
            with s.begin_nested():
                s.add(row)
        except IntegrityError:  # a crossed request landed first
            raise UserError("Something changed meanwhile; please try again.") from None
    else:
        row.user_id, row.friend_id, row.status, row.timestamp = (
            me.user_id,
            other.user_id,
            "pending",
            now,
        )
    notify(
        s,
        other.user_id,
        REQUEST_KIND,
        f"{display(me)} wants to be friends. See /friends to accept or decline.",
        f"{REQUEST_KIND}:{Friend.key_for(me.user_id, other.user_id)}:"
        f"{local_today(other.timezone, now).isoformat()}",
        now,
        payload={"from": me.user_id},
    )
    return RequestOutcome("sent", other)


def _check_limits(s: Session, me: User, now: datetime) -> None:
    pending = s.scalar(
        select(func.count())
        .select_from(Friend)
        .where(Friend.user_id == me.user_id, Friend.status == "pending")
    )
    if (pending or 0) >= MAX_PENDING_OUT:
        raise UserError(
            f"You have {MAX_PENDING_OUT} requests waiting for an answer. Wait for some "
            "answers, or cancel one with /friend remove NAME."
        )
    if _requests_last_day(s, me.user_id, now) >= MAX_REQUESTS_PER_DAY:
        raise UserError(
            f"That's {MAX_REQUESTS_PER_DAY} friend requests in a day, the most I send. "
            "Try again tomorrow."
        )


def _incoming(s: Session, me: User, other: User) -> Friend:
    row = pair(s, me.user_id, other.user_id)
    if row is None or row.status != "pending" or row.user_id != other.user_id:
        raise UserError(f"There is no friend request from {display(other)}. See /friends.")
    return row


def accept(s: Session, me: User, other: User, now: datetime) -> None:
    """Accept ``other``'s pending request."""
    row = _incoming(s, me, other)
    row.status, row.timestamp = "accepted", now


def decline(s: Session, me: User, other: User, now: datetime) -> None:
    """Decline ``other``'s pending request (they may ask again after the cool-down)."""
    row = _incoming(s, me, other)
    row.status, row.timestamp = "declined", now


def remove(s: Session, me: User, other: User) -> str:
    """End a friendship or cancel my pending request; returns what happened."""
    row = pair(s, me.user_id, other.user_id)
    if row is not None and row.status == "accepted":
        s.delete(row)
        return "removed"
    if row is not None and row.status == "pending" and row.user_id == me.user_id:
        s.delete(row)
        return "cancelled"
    raise UserError(f"{display(other)} is not on your friends list. See /friends.")


def block(s: Session, me: User, other: User, now: datetime) -> None:
    """Block ``other``: no requests from them, no place on each other's lists.

    Silent to them. When they had already blocked me, their block stays (one
    row per pair); my reply is the same either way.
    """
    if other.user_id == me.user_id:
        raise UserError("You can't block yourself.")
    row = pair(s, me.user_id, other.user_id)
    if row is None:
        s.add(Friend(user_id=me.user_id, friend_id=other.user_id, status="blocked", timestamp=now))
        return
    if row.status == "blocked" and row.user_id == other.user_id:
        return
    row.user_id, row.friend_id, row.status, row.timestamp = (
        me.user_id,
        other.user_id,
        "blocked",
        now,
    )


def unblock(s: Session, me: User, other: User) -> None:
    """Lift my block of ``other`` (they may send requests again)."""
    row = pair(s, me.user_id, other.user_id)
    if row is None or row.status != "blocked" or row.user_id != me.user_id:
        raise UserError(f"You haven't blocked {display(other)}.")
    s.delete(row)


# --------------------------------------------------------------------------
# Lists
# --------------------------------------------------------------------------


def friend_ids(s: Session, me: str) -> list[str]:
    """The ids of my accepted friends."""
    rows = s.execute(
        select(Friend.user_id, Friend.friend_id).where(
            Friend.status == "accepted", or_(Friend.user_id == me, Friend.friend_id == me)
        )
    ).all()
    return [b if a == me else a for a, b in rows]


def pending_incoming(s: Session, me: str) -> list[User]:
    """People waiting for my answer, oldest request first."""
    return list(
        s.scalars(
            select(User)
            .join(Friend, Friend.user_id == User.user_id)
            .where(Friend.friend_id == me, Friend.status == "pending")
            .order_by(Friend.timestamp, Friend.id)
        )
    )


def pending_outgoing(s: Session, me: str) -> list[User]:
    """People I asked who have not answered yet."""
    return list(
        s.scalars(
            select(User)
            .join(Friend, Friend.friend_id == User.user_id)
            .where(Friend.user_id == me, Friend.status == "pending")
            .order_by(Friend.timestamp, Friend.id)
        )
    )
