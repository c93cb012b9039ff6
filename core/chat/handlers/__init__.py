"""Chat handlers; importing this package registers every command and action."""

from core.chat.handlers import start  # noqa: F401
