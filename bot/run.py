"""Run the configured platform adapters, deliveries and the scheduler in one process.

``satprep run`` starts Telegram (polling or webhook) and/or Discord in one
asyncio loop, a delivery loop that hands due notifications to whichever
adapter owns the recipient's platform, the groups' question of the day, and
a background scheduler thread for the database jobs (expired modules,
reminders, digests, leagues, calibration). Ctrl-C or SIGTERM stops it all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable

from bot.delivery import deliver_due
from bot.scheduler import build_scheduler
from bot.settings import Settings
from core.chat.delivery import Sender
from core.chat.dispatcher import App, Dispatcher

log = logging.getLogger(__name__)


async def post_questions_of_the_day(app: App, senders: dict[str, Sender]) -> int:
    """Post today's question in every group whose local posting time has come."""
    from core.db.models import StudyGroup
    from core.services import groups

    def due() -> list[tuple[str, str, list]]:  # type: ignore[type-arg]
        with app.db.uow() as s:
            now = app.clock()
            out = []
            for group_id in groups.due_qotd_groups(s, now):
                group = s.get(StudyGroup, group_id)
                if group is not None and group.platform in senders:
                    messages = groups.post_question_of_the_day(s, group_id, now)
                    if messages:
                        out.append((group.platform, group.external_id, messages))
            return out

    posted = 0
    for platform, chat_id, messages in await asyncio.to_thread(due):
        try:
            await senders[platform].send(chat_id, messages)
            posted += 1
        except Exception as exc:  # one group's failure must not stop the others
            log.warning(
                "question of the day for a %s group failed: %s", platform, type(exc).__name__
            )
    return posted


async def _every(seconds: float, job: Callable[[], object], stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            result = job()
            if asyncio.iscoroutine(result):
                await result
        except Exception:
            log.exception("periodic job failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)


async def serve_platforms(settings: Settings, app: App, stop: asyncio.Event | None = None) -> None:
    """Serve every configured platform until ``stop`` is set."""
    dispatcher = Dispatcher(app)
    stop = stop or asyncio.Event()
    senders: dict[str, Sender] = {}
    async with contextlib.AsyncExitStack() as stack:
        if settings.telegram.token is not None:
            from adapters.telegram import build_application, running, sender_for

            application = build_application(
                settings, dispatcher, overall_rate=settings.telegram.rate_limit
            )
            await stack.enter_async_context(running(application, settings))
            senders["telegram"] = sender_for(application)
            log.info("telegram: serving in %s mode", settings.telegram.mode)
        if settings.discord.token is not None:
            from adapters.discord import DiscordSender, build_client
            from adapters.discord.client import token_of

            client = build_client(settings, dispatcher)
            task = asyncio.create_task(client.start(token_of(settings)))
            stack.push_async_callback(_close_discord, client, task)
            senders["discord"] = DiscordSender(client, app)
            log.info("discord: connecting")
        interval = settings.scheduler.dispatch_interval_s
        loops = [
            asyncio.create_task(_every(interval, lambda: deliver_due(app, senders), stop)),
            asyncio.create_task(_every(600, lambda: post_questions_of_the_day(app, senders), stop)),
        ]
        await stop.wait()
        for loop in loops:
            loop.cancel()
        await asyncio.gather(*loops, return_exceptions=True)


async def _close_discord(client: object, task: asyncio.Task) -> None:  # type: ignore[type-arg]
    await client.close()  # type: ignore[attr-defined]
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await task


def run_platforms(settings: Settings, app: App) -> int:
    """Start every adapter whose token is set, and the scheduler; block until stopped."""
    scheduler = build_scheduler(app, settings.scheduler.dispatch_interval_s)
    if settings.scheduler.enabled:
        scheduler.start()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await serve_platforms(settings, app, stop)

    try:
        asyncio.run(main())
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
    return 0


def push_senders_job(settings: Settings, app: App) -> Callable[[], object] | None:
    """The delivery job for ``satprep scheduler`` (a process without the bots):
    each run opens REST-only senders, delivers what is due, and closes them.
    None with no platform token: notifications then wait in the outbox."""
    if settings.telegram.token is None and settings.discord.token is None:
        log.warning("no platform token: pushes stay queued in the outbox")
        return None

    async def once() -> None:
        senders: dict[str, Sender] = {}
        closers = []
        if settings.telegram.token is not None:
            from adapters.telegram import build_sender

            tg = build_sender(settings, app)
            senders["telegram"] = tg
            closers.append(tg.close)
        if settings.discord.token is not None:
            from adapters.discord import open_sender

            dc = await open_sender(settings, app)
            senders["discord"] = dc
            closers.append(dc.close)
        try:
            await deliver_due(app, senders)
            await post_questions_of_the_day(app, senders)
        finally:
            for close in closers:
                await close()

    return lambda: asyncio.run(once())
