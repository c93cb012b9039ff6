"""Scheduled jobs (APScheduler 3.11), each one unit of work, safe to run twice."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

from core.chat.dispatcher import App
from core.services.testing import expire_modules

log = logging.getLogger(__name__)


def close_expired_modules(app: App) -> int:
    """Close timed modules whose time ran out, even if the student went silent."""
    with app.db.uow() as s:
        touched = expire_modules(s, app.clock())
    if touched:
        log.info("closed expired modules of %d test(s)", len(touched))
    return len(touched)


def build_scheduler(app: App, interval_s: int = 30) -> BackgroundScheduler:
    """A background scheduler with every job registered (not started)."""
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        close_expired_modules,
        "interval",
        seconds=interval_s,
        args=[app],
        id="close_expired_modules",
        max_instances=1,
        coalesce=True,
    )
    return scheduler
