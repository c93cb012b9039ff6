"""The ``satprep`` command: run the bot, chat in the terminal, operate it."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Sequence

from bot.settings import ConfigError, Settings, load_settings

Command = Callable[[argparse.Namespace, Settings], int]


def _db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from core.db.engine import make_engine
    from core.db.migrate import current, upgrade

    engine = make_engine(settings.database_url)
    upgrade(engine, args.revision)
    print(f"database at revision {current(engine)}")
    return 0


def _db_downgrade(args: argparse.Namespace, settings: Settings) -> int:
    from core.db.engine import make_engine
    from core.db.migrate import current, downgrade

    engine = make_engine(settings.database_url)
    downgrade(engine, args.revision)
    print(f"database at revision {current(engine) or 'base'}")
    return 0


def _db_current(args: argparse.Namespace, settings: Settings) -> int:
    from core.db.engine import make_engine
    from core.db.migrate import current

    print(current(make_engine(settings.database_url)) or "base (empty database)")
    return 0


def _start(settings: Settings):  # type: ignore[no-untyped-def]
    from bot.logs import setup_logging
    from bot.wiring import StartupError, bootstrap

    setup_logging(settings)
    try:
        return bootstrap(settings)
    except StartupError as exc:
        print(f"satprep: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _chat(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.console.repl import run_console
    from bot.scheduler import build_scheduler
    from core.chat.dispatcher import Dispatcher

    app = _start(settings)
    scheduler = build_scheduler(app, settings.scheduler.dispatch_interval_s)
    if settings.scheduler.enabled:
        scheduler.start()
    try:
        return run_console(Dispatcher(app), settings.data_dir.expanduser() / "files")
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if settings.telegram.token is None and settings.discord.token is None:
        print("No SATPREP_TELEGRAM_TOKEN or SATPREP_DISCORD_TOKEN set: starting the terminal chat.")
        return _chat(args, settings)
    from bot.run import run_platforms

    return run_platforms(settings, _start(settings))


def _questions_validate(args: argparse.Namespace, settings: Settings) -> int:
    from core.content.loader import main as validate

    return validate(args.paths)


def _questions_import(args: argparse.Namespace, settings: Settings) -> int:
    from core.content.loader import load_items
    from core.services.questions import import_items

    result = load_items(args.paths)
    if result.problems:
        for problem in result.problems:
            print(problem, file=sys.stderr)
        print(f"nothing imported: {len(result.problems)} problem(s)", file=sys.stderr)
        return 1
    app = _start(settings)
    with app.db.uow() as s:
        report = import_items(s, result.items, bank=args.bank, prune=args.prune)
    print(
        f"bank {args.bank}: {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.retired} retired, {report.deleted} deleted"
    )
    return 0


def _questions_export(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy import select

    from core.content.loader import dump_items
    from core.db.models import Question
    from core.services.questions import to_item

    app = _start(settings)
    with app.db.uow() as s:
        query = select(Question).where(Question.generator.is_(None)).order_by(Question.question_id)
        if args.bank:
            query = query.where(Question.bank == args.bank)
        text = dump_items([to_item(q) for q in s.scalars(query)])
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0


def _questions_stats(args: argparse.Namespace, settings: Settings) -> int:
    from core.content.bank import ItemBank, format_coverage

    bank = ItemBank.load(args.paths or None)
    print(format_coverage(bank.coverage()))
    return 1 if bank.problems else 0


def _calibrate(args: argparse.Namespace, settings: Settings) -> int:
    from core.services.calibration import run_calibration

    app = _start(settings)
    with app.db.uow() as s:
        summary = run_calibration(s, app.clock(), min_responses=args.min_responses)
    print(
        f"calibration run {summary.run_id}: {summary.items} item(s) calibrated, {summary.anchors} anchor(s) "
        f"fixed, {summary.responses} responses, {summary.skipped} item(s) with too few answers; {summary.note}"
    )
    return 0


def _simulate(args: argparse.Namespace, settings: Settings) -> int:
    from core.irt.simulate import simulate

    report = simulate(
        n_examinees=args.examinees,
        bank=args.bank_size,
        method=args.method,
        randomesque=args.randomesque,
        sympson_hetter=args.sympson_hetter,
        se_threshold=args.se,
        min_items=args.min_items,
        max_items=args.max_items,
        seed=args.seed,
    )
    print(report.format())
    return 0


def _scheduler(args: argparse.Namespace, settings: Settings) -> int:
    from apscheduler.schedulers.blocking import BlockingScheduler

    from bot.run import push_senders_job
    from bot.scheduler import register_jobs

    app = _start(settings)
    scheduler = BlockingScheduler(timezone="UTC")
    register_jobs(
        scheduler, app, settings.scheduler.dispatch_interval_s, push_senders_job(settings, app)
    )
    print("scheduler running; Ctrl-C stops it")
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()
    return 0


def _users_export(args: argparse.Namespace, settings: Settings) -> int:
    from bot.users_cli import users_export

    return users_export(settings, args.user)


def _users_delete(args: argparse.Namespace, settings: Settings) -> int:
    from bot.users_cli import users_delete

    return users_delete(settings, args.user, args.yes)


def _discord_sync(args: argparse.Namespace, settings: Settings) -> int:
    if settings.discord.token is None:
        print("satprep: discord.token (env SATPREP_DISCORD_TOKEN) is not set", file=sys.stderr)
        return 2
    from adapters.discord import sync_commands

    names = sync_commands(settings, args.guild)
    where = f"server {args.guild}" if args.guild else "globally (may take up to an hour to appear)"
    print(f"synced {len(names)} slash commands {where}: {', '.join(sorted(names))}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(prog="satprep", description=__doc__)
    parser.add_argument("--config", help="path to config.yaml (default: the shipped one)")
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="database migrations").add_subparsers(dest="db", required=True)
    up = db.add_parser("upgrade", help="migrate to the newest schema (or REVISION)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=_db_upgrade)
    down = db.add_parser("downgrade", help="migrate back to REVISION (default: empty)")
    down.add_argument("revision", nargs="?", default="base")
    down.set_defaults(func=_db_downgrade)
    db.add_parser("current", help="show the schema revision").set_defaults(func=_db_current)

    sub.add_parser(
        "run", help="run the bot: configured platforms (or the terminal chat) and the scheduler"
    ).set_defaults(func=_run)
    sub.add_parser("chat", help="chat with the bot in this terminal").set_defaults(func=_chat)

    q = sub.add_parser("questions", help="the question bank").add_subparsers(
        dest="questions", required=True
    )
    val = q.add_parser("validate", help="check question files; errors name file and line")
    val.add_argument("paths", nargs="+")
    val.set_defaults(func=_questions_validate)
    imp = q.add_parser("import", help="upsert question files into the database by id")
    imp.add_argument("paths", nargs="+")
    imp.add_argument("--bank", default="core", help="bank name (a tutor's own bank, say)")
    imp.add_argument(
        "--prune",
        action="store_true",
        help="remove the bank's items missing from the files (retire those with answers)",
    )
    imp.set_defaults(func=_questions_import)
    exp = q.add_parser("export", help="write stored (non-generated) questions as YAML")
    exp.add_argument("--bank", default=None)
    exp.add_argument("-o", "--output", default=None)
    exp.set_defaults(func=_questions_export)
    st = q.add_parser("stats", help="coverage: items per section, domain, skill, difficulty, type")
    st.add_argument("paths", nargs="*")
    st.set_defaults(func=_questions_stats)

    cal = sub.add_parser("calibrate", help="re-estimate item parameters from the stored responses")
    cal.add_argument("--min-responses", type=int, default=50)
    cal.set_defaults(func=_calibrate)
    sim = sub.add_parser("simulate", help="simulated examinees through the adaptive engine")
    sim.add_argument("--examinees", type=int, default=1000)
    sim.add_argument("--bank-size", type=int, default=1000)
    sim.add_argument("--method", choices=["max_info", "target_p"], default="max_info")
    sim.add_argument("--randomesque", type=int, default=1)
    sim.add_argument(
        "--sympson-hetter",
        type=float,
        default=None,
        metavar="R",
        help="target maximum exposure (Sympson-Hetter)",
    )
    sim.add_argument(
        "--se", type=float, default=0.3, help="stop when the standard error is below this"
    )
    sim.add_argument("--min-items", type=int, default=5)
    sim.add_argument("--max-items", type=int, default=30)
    sim.add_argument("--seed", type=int, default=0)
    sim.set_defaults(func=_simulate)
    sub.add_parser(
        "scheduler", help="run the scheduled jobs alone (one scheduler process)"
    ).set_defaults(func=_scheduler)

    dc = sub.add_parser("discord", help="Discord operations").add_subparsers(
        dest="discord", required=True
    )
    sync = dc.add_parser(
        "sync", help="register the slash commands with Discord (deliberately, not on start)"
    )
    sync.add_argument("--guild", default=None, help="a server id: sync there only, instantly")
    sync.set_defaults(func=_discord_sync)

    users = sub.add_parser("users", help="a user's data: export or delete").add_subparsers(
        dest="users", required=True
    )
    ue = users.add_parser("export", help="print all of a user's data as JSON")
    ue.add_argument("user", help="user id, username or platform:external_id")
    ue.set_defaults(func=_users_export)
    ud = users.add_parser("delete", help="delete a user and everything personal")
    ud.add_argument("user", help="user id, username or platform:external_id")
    ud.add_argument("--yes", action="store_true", help="confirm the deletion")
    ud.set_defaults(func=_users_delete)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``satprep`` console script."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"satprep: {exc}", file=sys.stderr)
        return 2
    func: Command = args.func
    return func(args, settings)


if __name__ == "__main__":
    sys.exit(main())
