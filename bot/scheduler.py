"""Scheduled jobs (APScheduler 3.11): each a short unit of work, safe to run twice.

Safe with several scheduler processes on PostgreSQL: reminders and digests
exist once by their dedupe keys, deliveries are row claims with SKIP
LOCKED, closing a module is idempotent. ``satprep scheduler`` runs the jobs
alone for operators who prefer one scheduler process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler

from core.chat.dispatcher import App
from core.services import reminders
from core.services.testing import expire_modules

log = logging.getLogger(__name__)


def close_expired_modules(app: App) -> int:
    """Close timed modules whose time ran out, even if the student went silent."""
    with app.db.uow() as s:
        touched = expire_modules(s, app.clock())
    if touched:
        log.info("closed expired modules of %d test(s)", len(touched))
    return len(touched)


def make_reminders(app: App) -> int:
    """Streak, plan and countdown reminders that are due now (once per key)."""
    with app.db.uow() as s:
        now = app.clock()
        return (
            reminders.streak_reminders(s, now)
            + reminders.plan_reminders(s, now)
            + reminders.countdown_reminders(s, now)
        )


def make_digests(app: App) -> int:
    """Parents' weekly digests (Sunday evening in each parent's time zone)."""
    with app.db.uow() as s:
        return reminders.weekly_digests(s, app.clock())


def nightly_calibration(app: App) -> str:
    """Re-estimate item parameters from the day's accumulated responses."""
    from core.services.calibration import run_calibration

    with app.db.uow() as s:
        summary = run_calibration(s, app.clock())
    log.info("calibration: %d item(s), %s", summary.items, summary.note)
    return summary.note


def league_roll_over(app: App) -> None:
    """Close last week's leagues: promotions and demotions, once per week."""
    from sqlalchemy.exc import IntegrityError

    from core.services.leagues import roll_over_due

    try:
        with app.db.uow() as s:
            roll_over_due(s, app.clock())
    except IntegrityError:
        log.info("league roll-over: another process did it first")


def register_jobs(
    scheduler: BaseScheduler,
    app: App,
    interval_s: int = 30,
    deliver: Callable[[], object] | None = None,
) -> BaseScheduler:
    """Add every job to ``scheduler``; ``deliver`` sends due notifications."""
    common = {"max_instances": 1, "coalesce": True, "args": [app]}
    scheduler.add_job(
        close_expired_modules, "interval", seconds=interval_s, id="close_expired_modules", **common
    )
    scheduler.add_job(make_reminders, "interval", minutes=5, id="reminders", **common)
    scheduler.add_job(make_digests, "interval", minutes=15, id="digests", **common)
    scheduler.add_job(nightly_calibration, "cron", hour=3, minute=0, id="calibration", **common)
    scheduler.add_job(
        league_roll_over, "cron", day_of_week="mon", hour=0, minute=5, id="leagues", **common
    )
    if deliver is not None:
        scheduler.add_job(
            deliver, "interval", seconds=interval_s, id="deliver", max_instances=1, coalesce=True
        )
    return scheduler


def build_scheduler(
    app: App, interval_s: int = 30, deliver: Callable[[], object] | None = None
) -> BackgroundScheduler:
    """A background scheduler with every job registered (not started)."""
    scheduler = BackgroundScheduler(timezone="UTC")
    register_jobs(scheduler, app, interval_s, deliver)
    return scheduler
