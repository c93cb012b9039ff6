"""Daily budgets of the AI tutor, counted from ``tutor_interactions``.

Per student: model messages and tokens of their local day; overall: tokens
of the UTC day. Offline answers cost nothing and are not counted. When a
budget is spent the offline tutor still answers and says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.models import TutorInteraction, User
from core.services.profile import local_today


@dataclass(frozen=True)
class Limits:
    """Daily limits (0 means none allowed: the tutor is offline-only)."""

    user_daily_messages: int = 40
    user_daily_tokens: int = 20_000
    global_daily_tokens: int = 2_000_000

    @classmethod
    def from_settings(cls, llm: Any) -> Limits:
        """The limits of ``settings.llm`` (defaults when absent)."""
        if llm is None:
            return cls()
        return cls(
            int(getattr(llm, "user_daily_messages", cls.user_daily_messages)),
            int(getattr(llm, "user_daily_tokens", cls.user_daily_tokens)),
            int(getattr(llm, "global_daily_tokens", cls.global_daily_tokens)),
        )


USER_SPENT = (
    "You've used today's AI tutor allowance, so the offline tutor answers until it resets "
    "at midnight your time."
)
GLOBAL_SPENT = (
    "The AI tutor has reached today's overall limit, so the offline tutor answers until "
    "midnight UTC."
)


def _local_day_start(user: User, now: datetime) -> datetime:
    tz = ZoneInfo(user.timezone or "UTC")
    start = datetime.combine(local_today(user.timezone or "UTC", now), time(0), tzinfo=tz)
    return start.astimezone(UTC)


def _online(since: datetime) -> list[Any]:
    return [TutorInteraction.offline.is_(False), TutorInteraction.timestamp >= since]


def spent_reason(s: Session, user: User, limits: Limits, now: datetime) -> str | None:
    """Why the model may not be used now (a friendly sentence), or None."""
    start = _local_day_start(user, now)
    messages, tokens = s.execute(
        select(
            func.count(TutorInteraction.id),
            func.coalesce(
                func.sum(TutorInteraction.prompt_tokens + TutorInteraction.completion_tokens), 0
            ),
        ).where(TutorInteraction.user_id == user.user_id, *_online(start))
    ).one()
    if messages >= limits.user_daily_messages or tokens >= limits.user_daily_tokens:
        return USER_SPENT
    utc_start = datetime.combine(now.astimezone(UTC).date(), time(0), tzinfo=UTC)
    total = s.scalar(
        select(
            func.coalesce(
                func.sum(TutorInteraction.prompt_tokens + TutorInteraction.completion_tokens), 0
            )
        ).where(*_online(utc_start))
    )
    if int(total or 0) >= limits.global_daily_tokens:
        return GLOBAL_SPENT
    return None
