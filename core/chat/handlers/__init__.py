"""Chat handlers; importing this package registers every command and action."""

from core.chat.handlers import (  # noqa: F401
    discuss,
    family,
    gamification,
    groups,
    plan,
    practice,
    progress,
    review,
    social,
    start,
    testing,
    tutor,
)
