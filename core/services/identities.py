"""Platform identities: reachability of a person's chats."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.models import Identity


def mark_unreachable(s: Session, platform: str, external_id: str, now: datetime) -> bool:
    """Record that the bot cannot write to this identity (blocked, DMs closed).

    Returns True when the identity existed. Pushes to it stop until the
    person writes to the bot again (the dispatcher marks it reachable).
    """
    identity = s.scalar(
        select(Identity).where(Identity.platform == platform, Identity.external_id == external_id)
    )
    if identity is None:
        return False
    if identity.reachable:
        identity.reachable = False
        identity.unreachable_since = now
    return True


def mark_unreachable_chat(s: Session, platform: str, chat_id: str, now: datetime) -> bool:
    """Like :func:`mark_unreachable`, found by the DM chat id a send failed for."""
    identity = s.scalar(
        select(Identity).where(Identity.platform == platform, Identity.dm_chat_id == chat_id)
    )
    if identity is None:
        return False
    return mark_unreachable(s, platform, identity.external_id, now)
