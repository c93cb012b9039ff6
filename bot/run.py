"""Run the configured platform adapters and the scheduler in one process."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.settings import Settings
from core.chat.dispatcher import App

log = logging.getLogger(__name__)


def push_senders_job(settings: Settings, app: App) -> Callable[[], object] | None:
    """The delivery job for ``satprep scheduler``, or None with no platform token
    (notifications then wait in the outbox until a process with a token runs)."""
    if settings.telegram.token is None and settings.discord.token is None:
        log.warning("no platform token: pushes stay queued in the outbox")
        return None
    raise NotImplementedError("platform senders are wired when the adapters land")


def run_platforms(settings: Settings, app: App) -> int:
    """Start every adapter whose token is set; block until stopped."""
    raise NotImplementedError("platform adapters are wired when they land")
