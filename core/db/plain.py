"""Writing one loaded row's changes with a plain UPDATE, past the unit of work.

The ORM's flush is general: it sorts the session's objects, works out an
order of statements and builds each from the changed attributes. An answer
changes one row it loaded (the practice session's next question), and that
machinery then costs more CPU than the UPDATE it sends (bench/answer_steps.py).
:func:`write_changes` sends the UPDATE itself and tells the ORM the values
are saved, so the closing flush finds nothing to do. :func:`conflict_insert`
gives the INSERT that settles a unique conflict in the same statement.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from sqlalchemy import Table, bindparam, inspect, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable


def write_changes(s: Session, obj: Any) -> bool:
    """UPDATE ``obj``'s changed columns now, on the session's connection, and
    mark the row saved; False (nothing done) when the ORM must do it: the row is
    new, a changed attribute is not a plain column of its table, or the table
    has a column filled in on update (``onupdate``) or a version counter.

    Mutable values must have been assigned, not changed in place (as for the
    ORM itself, which only sees assignments).
    """
    state = inspect(obj)
    if state.pending or state.transient or state.detached or not state.committed_state:
        return False
    mapper = state.mapper
    table = mapper.local_table
    columns = mapper.columns
    keys = tuple(sorted(state.committed_state))
    for key in keys:
        column = columns.get(key)
        if column is None or column.table is not table:
            return False
    if mapper.version_id_col is not None or _fills_on_update(table):
        return False
    # An attribute set to the value it had is not a change (the flush skips it too).
    keys = tuple(k for k in keys if state.committed_state[k] != state.dict.get(k))
    if keys:
        _execute_update(s, state, table, keys)
    # What the flush does after its own UPDATE: every attribute saved, the row
    # no longer modified (so the closing flush skips it). A private method of
    # InstanceState, stable since SQLAlchemy 1.4; tests/chat/test_fast_writes.py
    # fails if a version changes what it does.
    state._commit_all(state.dict, s.identity_map)
    return True


def _execute_update(s: Session, state: Any, table: Table, keys: tuple[str, ...]) -> None:
    columns = state.mapper.columns
    values = {key: state.dict.get(key) for key in keys}
    names = tuple(columns[key].name for key in keys)
    params = {f"v_{name}": values[key] for key, name in zip(keys, names, strict=True)}
    for i, value in enumerate(state.mapper.primary_key_from_instance(state.obj())):
        params[f"pk_{i}"] = value
    s.connection().execute(_update(table, names), params)


@functools.cache
def _fills_on_update(table: Table) -> bool:
    """Whether an UPDATE of ``table`` has a column the ORM or the server fills in."""
    return any(c.onupdate is not None or c.server_onupdate is not None for c in table.columns)


@functools.lru_cache(maxsize=256)
def _update(table: Table, names: tuple[str, ...]) -> Executable:
    """``UPDATE table SET name = :v_name, … WHERE pk = :pk_0`` (built once per set of columns)."""
    where = [c == bindparam(f"pk_{i}") for i, c in enumerate(table.primary_key.columns)]
    return update(table).where(*where).values({name: bindparam(f"v_{name}") for name in names})


def write_dirty(s: Session) -> None:
    """:func:`write_changes` for every changed row of the session, when nothing is
    to be inserted or deleted (then the flush keeps its order of statements)."""
    if s.new or s.deleted:
        return
    # In a fixed order (table, then key), as the flush's is fixed: two events
    # updating the same rows take their locks in the same order.
    for obj in sorted(s.dirty, key=_row_order):
        write_changes(s, obj)


def _row_order(obj: Any) -> tuple[str, str]:
    state = inspect(obj)
    return state.mapper.local_table.name, repr(state.identity)


def conflict_insert(dialect: str) -> Callable[..., Any] | None:
    """The ``insert`` of ``dialect`` that takes ``on_conflict_do_nothing`` and
    ``on_conflict_do_update`` (PostgreSQL's, SQLite's; None for another engine)."""
    return _CONFLICT_INSERTS.get(dialect)


_CONFLICT_INSERTS: dict[str, Callable[..., Any]] = {
    "postgresql": pg_insert,
    "sqlite": sqlite_insert,
}
