"""CPU of one indexed select, four ways: the ORM building the statement each
time, a prebuilt ORM statement, Core on the connection, the raw driver.

    python bench/orm_cost.py --url postgresql://postgres@127.0.0.1:5432/satprep_bench

Needs a database with users (run bench/load.py on it first). Prints the
median over five rounds of 500 selects, in ms of thread CPU per select.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import bindparam, select, text  # noqa: E402

from core.db.engine import Database, make_engine  # noqa: E402
from core.db.models import Identity  # noqa: E402

PREBUILT = select(Identity).where(
    Identity.platform == bindparam("p"), Identity.external_id == bindparam("e")
)
COLUMNS = select(Identity.user_id, Identity.dm_chat_id).where(
    Identity.platform == bindparam("p"), Identity.external_id == bindparam("e")
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/satprep_bench")
    args = parser.parse_args()
    db = Database(make_engine(args.url))
    with db.engine.connect() as conn:
        ids = list(conn.execute(text("SELECT external_id FROM identities LIMIT 50")).scalars())
    if not ids:
        print("no identities: run bench/load.py on this database first")
        return 1

    def orm_dynamic() -> None:
        with db.uow() as s:
            for e in ids:
                s.scalar(
                    select(Identity).where(
                        Identity.platform == "telegram", Identity.external_id == e
                    )
                )

    def orm_prebuilt() -> None:
        with db.uow() as s:
            for e in ids:
                s.execute(PREBUILT, {"p": "telegram", "e": e}).scalar()

    def core_connection() -> None:
        with db.engine.connect() as conn:
            for e in ids:
                conn.execute(COLUMNS, {"p": "telegram", "e": e}).first()

    def raw_driver() -> None:
        with db.engine.connect() as conn:
            for e in ids:
                conn.exec_driver_sql(
                    "SELECT * FROM identities WHERE platform = %s AND external_id = %s",
                    ("telegram", e),
                ).first()

    ways: list[tuple[str, Callable[[], None]]] = [
        ("ORM, statement built each time", orm_dynamic),
        ("ORM, prebuilt statement", orm_prebuilt),
        ("Core on the connection", core_connection),
        ("raw driver (exec_driver_sql)", raw_driver),
    ]
    for name, fn in ways:
        fn()  # warm the statement cache
        rounds = []
        for _ in range(5):
            start = time.thread_time()
            for _ in range(10):
                fn()
            rounds.append((time.thread_time() - start) * 1000 / (10 * len(ids)))
        print(f"{name:34} {statistics.median(rounds):.3f} ms CPU per select")
    db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
