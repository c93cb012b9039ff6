"""Chat handlers; importing this package registers every command and action."""

from core.chat.handlers import (  # noqa: F401
    family,
    practice,
    progress,
    review,
    start,
    testing,
    tutor,
)
