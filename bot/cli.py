"""The ``satprep`` command: run the bot, chat in the terminal, operate it."""

from __future__ import annotations

import argparse
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
