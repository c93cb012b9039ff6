"""Domain events: what happened, for the features that react to it.

The practice and test flows publish events (an answer recorded, a session
or test finished) inside their unit of work; badges, streaks, plans,
parent alerts and the like subscribe here instead of being called from
those flows, so each feature stays in its own module. A subscriber runs in
the same transaction and may return lines to announce to the student
("🏅 New badge: …").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class AnswerRecorded:
    """A student answered (or skipped) a question in any session."""

    user_id: str
    session_id: str
    session_kind: str  # practice | diagnostic | review | full | section | worksheet | challenge
    response_id: int
    question_id: str
    correct: bool
    skipped: bool


@dataclass(frozen=True)
class SessionFinished:
    """A practice, diagnostic or review session ended with answers."""

    user_id: str
    session_id: str
    session_kind: str
    right: int
    total: int
    topic: str | None = None


@dataclass(frozen=True)
class TestFinished:
    """A full or section test was scored."""

    user_id: str
    session_id: str
    session_kind: str  # full | section
    total: int | None  # 400–1600 when both sections were sat
    sections: dict[str, int] = field(default_factory=dict)  # section → 200–800
    early: bool = False


Event = AnswerRecorded | SessionFinished | TestFinished
E = TypeVar("E", AnswerRecorded, SessionFinished, TestFinished)
Subscriber = Callable[[Session, Any, datetime], list[str] | None]
SUBSCRIBERS: dict[type, list[Subscriber]] = {}


def subscribe(
    event_type: type[E],
) -> Callable[[Callable[[Session, E, datetime], list[str] | None]], Any]:
    """Register ``fn(session, event, now)`` to run when ``event_type`` is published."""

    def register(fn: Callable[[Session, E, datetime], list[str] | None]) -> Any:
        SUBSCRIBERS.setdefault(event_type, []).append(fn)
        return fn

    return register


def publish(s: Session, event: Event, now: datetime) -> list[str]:
    """Run the event's subscribers in this transaction; collect their announcements."""
    _load_subscribers()
    lines: list[str] = []
    for fn in SUBSCRIBERS.get(type(event), []):
        lines.extend(fn(s, event, now) or [])
    return lines


_LOADED = False
SUBSCRIBER_MODULES: list[str] = [
    "core.services.reminders",
    "core.tutor.review",
    "core.services.gamification",
]  # modules that register subscribers, imported once


def _load_subscribers() -> None:
    global _LOADED
    if _LOADED:
        return
    import importlib

    for name in SUBSCRIBER_MODULES:
        importlib.import_module(name)
    _LOADED = True
