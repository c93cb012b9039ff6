"""Chat handlers; importing this package registers every command and action."""

# The worksheet module comes first: its text route must see "W-7F3K 1A 2C"
# before the typed-answer routes of practice and tests do.
from core.chat.handlers import worksheet  # noqa: F401  isort: skip
from core.chat.handlers import (  # noqa: F401
    account,
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
