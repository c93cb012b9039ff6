"""Opaque button tokens, checked against the caller.

A question message gets one token row; each of its buttons sends
``<token>.<arg>`` (``arg`` is a choice letter or a verb such as ``skip``).
Everything the button means lives in the row, so a forged or replayed
payload can at most name a token: one that does not exist, belongs to
someone else, has expired or was used is refused.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, event, insert, select
from sqlalchemy.orm import Session, SessionTransaction

from core.chat.errors import UserError
from core.db.models import ActionToken, PracticeSession

_TOKEN = re.compile(r"^([A-Za-z0-9]{10})(?:\.([A-Za-z0-9_:-]{1,40}))?$")
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"

STALE = "That button has expired. Send /help to see what you can do now."
USED = "You already used that button, so it counted once. Carry on with the newest message."
NOT_YOURS = "That button belongs to someone else's question. Start your own with /practice."


@dataclass(frozen=True)
class Pressed:
    """A resolved button press: the token row and the button's argument.

    ``session``: the session the token's payload names, loaded with it (held
    here so that it stays in the identity map while the handler runs).
    """

    row: ActionToken
    arg: str
    session: PracticeSession | None = None


def new_token(
    s: Session,
    user_id: str,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    ttl: timedelta | None = timedelta(days=2),
) -> str:
    """Make a token for ``user_id`` and return it (10 characters).

    The row is stored with the transaction's other new tokens in one insert
    (:func:`store_pending`), at the latest when the transaction commits.
    """
    token = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    if not s.in_transaction():
        s.begin()  # the row belongs to this transaction: its end forgets what was not stored
    s.info.setdefault(_PENDING, []).append(
        {
            "token": token,
            "user_id": user_id,
            "kind": kind,
            "payload": payload,
            "created_at": now,
            "expires_at": None if ttl is None else now + ttl,
            "used_at": None,
        }
    )
    return token


_PENDING = "tokens.pending"
_INSERT = insert(ActionToken.__table__)


def store_pending(s: Session) -> None:
    """Insert the tokens made in this transaction and not stored yet (one statement).

    An answer makes three (the next question's, the tutor's, the discussion's);
    a plain insert on the session's connection costs a fraction of the ORM's
    unit of work.
    """
    rows = s.info.pop(_PENDING, None)
    if rows:
        if s.new:
            s.flush()  # e.g. the user a token belongs to, made in this transaction
        s.connection().execute(_INSERT, rows)


@event.listens_for(Session, "before_commit")
def _store_before_commit(s: Session) -> None:
    store_pending(s)


@event.listens_for(Session, "after_transaction_end")
def _forget_pending(s: Session, transaction: SessionTransaction) -> None:
    # Committed: stored already. Rolled back or closed: the tokens go with it.
    # A savepoint's end keeps them (the outer transaction may still commit).
    if transaction.parent is None and not transaction.nested:
        s.info.pop(_PENDING, None)


def button_payload(token: str, arg: str) -> str:
    """The payload of one button of a token (≤ 51 bytes, within Telegram's 64)."""
    return f"{token}.{arg}"


_TOKEN_ROW = (
    select(ActionToken, PracticeSession)
    .outerjoin(
        PracticeSession, PracticeSession.session_id == ActionToken.payload["session"].as_string()
    )
    .where(ActionToken.token == bindparam("token"))
)
"""A token with the session its payload names, if any (answer and test
buttons): the handler then finds the session in the identity map, so a
button answer costs one round trip fewer. Built once."""


def resolve(s: Session, payload: str, user_id: str, now: datetime) -> Pressed:
    """Check a pressed payload against the caller; raise a friendly UserError."""
    match = _TOKEN.match(payload or "")
    if not match:
        raise UserError(STALE)
    store_pending(s)  # a token made earlier in this transaction
    found = s.execute(_TOKEN_ROW, {"token": match.group(1)}).first()
    row, session = (None, None) if found is None else found
    if row is None:
        raise UserError(STALE)
    if row.user_id != user_id:
        raise UserError(NOT_YOURS)
    if row.used_at is not None:
        raise UserError(USED)
    if row.expires_at is not None and row.expires_at <= now:
        raise UserError(STALE)
    return Pressed(row, match.group(2) or "", session)
