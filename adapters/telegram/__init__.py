"""The Telegram adapter (python-telegram-bot): polling or webhook, and pushes.

``bot/`` calls :func:`run` (blocking, one process) or builds with
:func:`build_application` and serves inside its own loop with
:func:`running`; :func:`sender_for` gives the outbox its :class:`TelegramSender` (or
:func:`build_sender` in a process without the Application).
"""

from adapters.telegram.app import (
    TelegramConfigError,
    build_application,
    build_sender,
    run,
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
    "run",
    "running",
    "sender_for",
    "webhook_options",
]
