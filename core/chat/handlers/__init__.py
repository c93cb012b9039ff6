"""Chat handlers; importing this package registers every command and action."""

from core.chat.handlers import practice, progress, review, start, testing  # noqa: F401
