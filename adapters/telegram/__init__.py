"""The Telegram adapter (python-telegram-bot): polling or webhook, and pushes.

``bot/`` builds with :func:`build_application` and serves inside its own
loop with :func:`running` (updates are confirmed to Telegram once handled); :func:`sender_for` gives the outbox its :class:`TelegramSender` (or
:func:`build_sender` in a process without the Application).
"""

from adapters.telegram.app import (
    TelegramConfigError,
    build_application,
    build_sender,
    running,
    sender_for,
    webhook_options,
)
from adapters.telegram.sender import TelegramSender

__all__ = [
    "TelegramConfigError",
    "TelegramSender",
    "build_application",
    "build_sender",
    "running",
    "sender_for",
    "webhook_options",
]
