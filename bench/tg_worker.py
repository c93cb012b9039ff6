"""One Telegram bot worker for ``bench/load_telegram.py``: the real adapter, webhook mode.

Settings come from the environment exactly as for ``satprep run``
(``SATPREP_DATABASE_URL``, ``SATPREP_TELEGRAM_*``); the process is built the
same way (``bot.wiring.bootstrap``, ``Dispatcher``, ``build_application``,
``running``) but serves only Telegram: no scheduler thread and no delivery
loop, so that the benchmark measures the update path alone. ``--rate`` is the
adapter's per-process cap on requests to chats (``overall_rate``; the product
uses 30/s, 0 lifts it). SIGTERM or SIGINT stops it.

    python bench/tg_worker.py [--rate 30]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.telegram import build_application, running  # noqa: E402
from bot.logs import setup_logging  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.wiring import bootstrap  # noqa: E402
from core.chat.dispatcher import Dispatcher  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=30.0, help="requests to chats/s; 0: no cap")
    parser.add_argument("--profile", help="write a cProfile of the event loop thread here")
    parser.add_argument(
        "--concurrent-updates", type=int, default=8, help="updates handled at once (threads)"
    )
    parser.add_argument(
        "--switch-interval", type=float, help="sys.setswitchinterval (s; CPython's is 0.005)"
    )
    args = parser.parse_args(argv)
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)
    settings = load_settings()
    if settings.telegram.mode != "webhook":
        print("tg_worker: set SATPREP_TELEGRAM_MODE=webhook", file=sys.stderr)
        return 2
    setup_logging(settings)
    app = bootstrap(settings)
    application = build_application(
        settings,
        Dispatcher(app),
        overall_rate=args.rate,
        concurrent_updates=args.concurrent_updates,
    )

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        async with running(application, settings):
            print("ready", flush=True)
            await stop.wait()

    if args.profile:  # the adapter's own cost: the dispatcher runs in other threads
        import cProfile

        with cProfile.Profile() as profile:
            asyncio.run(serve())
        profile.dump_stats(args.profile)
    else:
        asyncio.run(serve())
    app.db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
