"""Run the configured platform adapters and the scheduler in one process."""

from __future__ import annotations

from bot.settings import Settings
from core.chat.dispatcher import App


def run_platforms(settings: Settings, app: App) -> int:
    """Start every adapter whose token is set; block until stopped."""
    raise SystemExit("platform adapters are not wired yet")
