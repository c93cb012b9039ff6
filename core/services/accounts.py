"""One person, one record: connecting platforms, and the user's own data.

**Connecting.** ``/connect`` on one platform gives a one-time code, valid 15
minutes, to enter on another platform as ``/connect CODE``. Both identities
then point at one user: the older account's user id survives and the newer
account's rows move into it. Merging two real histories would mix two
people's ability estimates and review schedules, so the rule is the safe
one: connecting is allowed only when at least one of the two accounts has
no answers yet; otherwise it is refused with what to do (export and delete
one of them, then connect). Where a row would collide with the survivor's
(one badge per name, one activity row per day, one friendship per pair, a
link between the two accounts themselves), the survivor's row is kept and
the duplicate dropped. ``/disconnect PLATFORM`` splits that identity off
into a new, empty user; all history stays with the remaining user.

**Export.** Every row of every table that belongs to the user (found through
each column that references ``users``, plus the rows hanging off their own
sessions, modules, plans and worksheets) as JSON. Nothing of anyone else:
another person referenced by a row (a friend, a linked parent or tutor, the
tutor who viewed a report) appears only as ``"[display name]"``, and any other
user id inside a text is replaced by ``"[another user]"``. Others' comments
on the user's posts are theirs and are not exported.

**Delete.** Rows that are only the user's go (``ON DELETE CASCADE``), their
identities and links with them; posts and comments stay for others' threads,
anonymised (``user_id`` NULL by the foreign key, content ``"[deleted]"``).
Afterwards no row names the user: :func:`rows_naming` checks every column of
every table for the user id and the platform ids, and anything left (a
button token or a pending notification of someone else that mentions them)
is removed.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    String,
    Table,
    Text,
    cast,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from core.chat.errors import UserError
from core.db.models import (
    Base,
    Comment,
    Friend,
    Identity,
    LinkCode,
    PointsEntry,
    Post,
    Response,
    StudentLink,
    User,
)

CONNECT_TTL = timedelta(minutes=15)
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
DELETED = "[deleted]"
ANOTHER_USER = "[another user]"
PLATFORM_NAMES = {"telegram": "Telegram", "discord": "Discord", "console": "the terminal"}

# Tables whose rows are the user's only through these columns: a post someone
# moderated, or a plan action a tutor assigned, belongs to its author/student.
OWNER_COLUMN = {"posts": "user_id", "comments": "user_id", "study_plan_actions": None}
# Rows without a user column that belong to the user through a parent row.
OWNED_PARENTS = ("practice_sessions", "test_modules", "study_plans", "worksheets")
# Handled by hand when merging (pair keys, no-self checks).
MERGED_BY_HAND = ("friends", "student_links", "users")
# Someone else's ephemeral rows that may mention a deleted user: removed.
# (inbound_events holds no person; a hit there is an update id that happens
# to equal a platform id, and dropping that dedupe row is harmless.)
EPHEMERAL = ("action_tokens", "notifications", "inbound_events")
NOT_EXPORTED_COLUMNS = {"users": ("hashed_password",), "friends": ("pair_key",)}


def user_columns() -> list[tuple[Table, Column[Any]]]:
    """Every (table, column) that references ``users.user_id``."""
    out = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name == "users" for fk in column.foreign_keys):
                out.append((table, column))
    return out


def find_user(s: Session, ref: str) -> User | None:
    """A user by id, username (``@`` optional) or ``platform:external_id``."""
    ref = ref.strip()
    if not ref:
        return None
    platform, sep, external = ref.partition(":")
    if sep and platform in PLATFORM_NAMES:
        identity = s.scalar(
            select(Identity).where(Identity.platform == platform, Identity.external_id == external)
        )
        return None if identity is None else s.get(User, identity.user_id)
    user = s.get(User, ref)
    if user is not None:
        return user
    return s.scalar(select(User).where(User.username == ref.lstrip("@")))


def answer_count(s: Session, user_id: str) -> int:
    """How many answers (responses) the user has."""
    return int(
        s.scalar(select(func.count()).select_from(Response).where(Response.user_id == user_id)) or 0
    )


# --------------------------------------------------------------------------
# Connecting platforms
# --------------------------------------------------------------------------


def create_connect_code(s: Session, user: User, now: datetime) -> LinkCode:
    """A one-time code (15 minutes) to enter on another platform."""
    # An older unused code of the same user stops working: one code at a time.
    for old in s.scalars(
        select(LinkCode).where(
            LinkCode.user_id == user.user_id,
            LinkCode.purpose == "connect",
            LinkCode.used_at.is_(None),
            LinkCode.expires_at > now,
        )
    ):
        old.expires_at = now
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        if s.get(LinkCode, code) is None:
            break
    row = LinkCode(
        code=code,
        user_id=user.user_id,
        purpose="connect",
        created_at=now,
        expires_at=now + CONNECT_TTL,
    )
    s.add(row)
    s.flush()
    return row


def platforms_of(s: Session, user_id: str) -> list[str]:
    """The platforms the user has identities on, sorted."""
    return sorted(set(s.scalars(select(Identity.platform).where(Identity.user_id == user_id))))


@dataclass(frozen=True)
class Connected:
    """The outcome of connecting: the surviving user and what it now holds."""

    user_id: str
    platforms: list[str]
    answers: int


def redeem_connect_code(s: Session, user: User, raw_code: str, now: datetime) -> Connected:
    """Connect the caller's account with the code owner's; UserError when refused."""
    code = re.sub(r"[\s-]", "", raw_code).upper()[:16]
    row = s.get(LinkCode, code) if code else None
    if row is None or row.purpose != "connect":
        raise UserError(
            "I don't know that code. Send /connect on your other platform to get one, "
            "then send /connect CODE here."
        )
    if row.used_at is not None:
        raise UserError(
            "That code was already used, so it can't connect anything again. "
            "Send /connect on your other platform for a new one."
        )
    if row.expires_at <= now:
        raise UserError(
            "That code has expired (codes last 15 minutes). "
            "Send /connect on your other platform for a new one."
        )
    owner = s.get(User, row.user_id)
    assert owner is not None
    if owner.user_id == user.user_id:
        raise UserError(
            "That code is from this account. Enter it on your *other* platform "
            "(for example in Discord if you made it in Telegram)."
        )
    mine, theirs = platforms_of(s, user.user_id), platforms_of(s, owner.user_id)
    overlap = sorted(set(mine) & set(theirs))
    if overlap:
        names = " and ".join(PLATFORM_NAMES.get(p, p) for p in overlap)
        raise UserError(
            f"That code was made by an account that already has {names}, and this "
            f"account is on {names} too: each account can have one identity per platform. "
            "Enter the code on a platform that account doesn't use yet."
        )
    my_answers, their_answers = answer_count(s, user.user_id), answer_count(s, owner.user_id)
    if my_answers and their_answers:
        raise UserError(
            f"Both accounts already have answers ({their_answers} there, {my_answers} here), "
            "so I won't merge them: two histories would mix two sets of estimates and "
            "reviews. Keep the one you want; in the other, /export your data if you like "
            "and /delete_me, then /connect again."
        )
    older, newer = sorted((owner, user), key=lambda u: (u.created_at, u.user_id))
    row.used_at = now
    row.used_by = user.user_id
    s.flush()
    merge_users(s, older, newer)
    row.used_by = older.user_id
    s.flush()
    return Connected(older.user_id, platforms_of(s, older.user_id), answer_count(s, older.user_id))


def _merge_settings(survivor: User, other: User) -> None:
    for name in (
        "test_date",
        "target_score",
        "study_hours",
        "reminder_time",
        "quiet_start",
        "quiet_end",
    ):
        if getattr(survivor, name) is None and getattr(other, name) is not None:
            setattr(survivor, name, getattr(other, name))
    if survivor.timezone == "UTC" and other.timezone != "UTC":
        survivor.timezone = other.timezone
    if not survivor.display_name and other.display_name:
        survivor.display_name = other.display_name
    if other.last_active_date is not None and (
        survivor.last_active_date is None or other.last_active_date > survivor.last_active_date
    ):
        survivor.streak, survivor.last_active_date = other.streak, other.last_active_date
    survivor.best_streak = max(survivor.best_streak or 0, other.best_streak or 0)
    survivor.streak_freezes = min(2, max(survivor.streak_freezes or 0, other.streak_freezes or 0))


def _merge_pairs(s: Session, sid: str, oid: str) -> None:
    for friend in list(
        s.scalars(select(Friend).where(or_(Friend.user_id == oid, Friend.friend_id == oid)))
    ):
        a = sid if friend.user_id == oid else friend.user_id
        b = sid if friend.friend_id == oid else friend.friend_id
        key = Friend.key_for(a, b)
        if a == b or s.scalar(select(Friend.id).where(Friend.pair_key == key)) is not None:
            s.delete(friend)
        else:
            friend.user_id, friend.friend_id, friend.pair_key = a, b, key
        s.flush()
    for link in list(
        s.scalars(
            select(StudentLink).where(
                or_(StudentLink.student_id == oid, StudentLink.linked_id == oid)
            )
        )
    ):
        student = sid if link.student_id == oid else link.student_id
        linked = sid if link.linked_id == oid else link.linked_id
        duplicate = s.scalar(
            select(StudentLink.id).where(
                StudentLink.student_id == student,
                StudentLink.linked_id == linked,
                StudentLink.role == link.role,
            )
        )
        if student == linked or duplicate is not None:
            s.delete(link)
        else:
            link.student_id, link.linked_id = student, linked
        s.flush()


def _drop_collisions(s: Session, table: Table, column: Column[Any], sid: str, oid: str) -> None:
    """Delete the newer account's rows that would break a unique constraint."""
    from sqlalchemy import UniqueConstraint

    for constraint in table.constraints:
        if not isinstance(constraint, UniqueConstraint):
            continue
        names = [c.name for c in constraint.columns]
        if column.name not in names:
            continue
        twin = table.alias("twin")
        others = [twin.c[n] == table.c[n] for n in names if n != column.name]
        s.execute(
            delete(table).where(column == oid, exists().where(twin.c[column.name] == sid, *others))
        )


def merge_users(s: Session, survivor: User, other: User) -> None:
    """Move every row of ``other`` into ``survivor`` and delete ``other``."""
    sid, oid = survivor.user_id, other.user_id
    s.flush()
    _merge_settings(survivor, other)
    ledger_before = s.scalar(
        select(func.coalesce(func.sum(PointsEntry.points), 0)).where(PointsEntry.user_id == oid)
    )
    _merge_pairs(s, sid, oid)
    for table, column in user_columns():
        if table.name in MERGED_BY_HAND:
            continue
        _drop_collisions(s, table, column, sid, oid)
    ledger_after = s.scalar(
        select(func.coalesce(func.sum(PointsEntry.points), 0)).where(PointsEntry.user_id == oid)
    )
    survivor.points = (survivor.points or 0) + (other.points or 0) - (ledger_before - ledger_after)
    for table, column in user_columns():
        if table.name in MERGED_BY_HAND:
            continue
        s.execute(update(table).where(column == oid).values({column.name: sid}))
    username, email = other.username, other.email
    other.username = other.email = None
    s.flush()
    if survivor.username is None and username:
        survivor.username = username
    if survivor.email is None and email:
        survivor.email = email
    s.flush()
    s.execute(delete(User).where(User.user_id == oid))
    s.expire_all()


def disconnect(s: Session, user: User, platform: str, now: datetime) -> tuple[Identity, User]:
    """Split ``platform``'s identity off into a new, empty user; history stays."""
    identities = list(s.scalars(select(Identity).where(Identity.user_id == user.user_id)))
    target = next((i for i in identities if i.platform == platform), None)
    if target is None:
        have = ", ".join(PLATFORM_NAMES.get(i.platform, i.platform) for i in identities)
        raise UserError(
            f"This account has no {PLATFORM_NAMES.get(platform, platform)} identity "
            f"connected (it has: {have})."
        )
    if len(identities) < 2:
        raise UserError(
            "This is the only platform of this account, so there is nothing to disconnect."
        )
    fresh = User(display_name=(target.username or "")[:64], created_at=now)
    s.add(fresh)
    s.flush()
    target.user_id = fresh.user_id
    s.flush()
    return target, fresh


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------

_HEX_ID = re.compile(r"\b[0-9a-f]{16}\b")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


class _Scrubber:
    """Replaces other people's ids by their display name or a neutral mark."""

    def __init__(self, s: Session, user_id: str) -> None:
        self.s, self.user_id = s, user_id
        self.names: dict[str, str | None] = {}

    def _name(self, other_id: str) -> str | None:
        if other_id not in self.names:
            self.names[other_id] = self.s.scalar(
                select(User.display_name).where(User.user_id == other_id)
            )
        return self.names[other_id]

    def person(self, other_id: str) -> str:
        name = self._name(other_id)
        return f"[{name}]" if name else ANOTHER_USER

    def text(self, value: Any) -> Any:
        if isinstance(value, str):
            return _HEX_ID.sub(
                lambda m: (
                    ANOTHER_USER
                    if m.group(0) != self.user_id and self._name(m.group(0)) is not None
                    else m.group(0)
                ),
                value,
            )
        if isinstance(value, list):
            return [self.text(v) for v in value]
        if isinstance(value, dict):
            return {k: self.text(v) for k, v in value.items()}
        return value


def export_user(s: Session, user_id: str) -> dict[str, Any]:
    """All of a user's data, table by table, with nobody else's."""
    user = s.get(User, user_id)
    if user is None:
        raise LookupError(user_id)
    s.flush()
    scrub = _Scrubber(s, user_id)
    by_table: dict[str, list[Any]] = {}
    owned: dict[str, set[Any]] = {}
    fk_cols = {(t.name, c.name) for t, c in user_columns()}
    for table in Base.metadata.sorted_tables:
        conditions = []
        if table.name == "users":
            conditions.append(table.c.user_id == user_id)
        elif table.name in OWNER_COLUMN:
            owner = OWNER_COLUMN[table.name]
            if owner is not None:
                conditions.append(table.c[owner] == user_id)
        else:
            conditions += [table.c[c] == user_id for t, c in fk_cols if t == table.name]
        for column in table.columns:
            for fk in column.foreign_keys:
                parent = fk.column.table.name
                if parent in OWNED_PARENTS and owned.get(parent):
                    conditions.append(column.in_(owned[parent]))
        if not conditions:
            continue
        rows = s.execute(select(table).where(or_(*conditions))).mappings().all()
        if table.name in OWNED_PARENTS:
            pk = next(iter(table.primary_key.columns)).name
            owned[table.name] = {r[pk] for r in rows}
        out = []
        for row in rows:
            item = {}
            for name, value in row.items():
                if name in NOT_EXPORTED_COLUMNS.get(table.name, ()):
                    continue
                if (table.name, name) in fk_cols and value is not None and value != user_id:
                    item[name] = scrub.person(value)
                else:
                    item[name] = scrub.text(_plain(value))
            if table.name == "users" and row.get("hashed_password"):
                item["hashed_password"] = "[set, not exported]"
            out.append(item)
        if out:
            by_table[table.name] = out
    return {
        "format": "satprep-user-export/1",
        "user_id": user_id,
        "note": (
            "Everything stored about you. Other people appear only as their display "
            "name in brackets, or as [another user]."
        ),
        "tables": by_table,
    }


def export_json(s: Session, user_id: str, now: datetime) -> bytes:
    """:func:`export_user` as indented UTF-8 JSON with the export time."""
    data = export_user(s, user_id)
    data["exported_at"] = now.isoformat()
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False).encode("utf-8")


# --------------------------------------------------------------------------
# Delete
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Naming:
    """A row that still names a user: where, and in which column."""

    table: str
    key: dict[str, Any]
    column: str


def rows_naming(s: Session, user_id: str, external_ids: list[str]) -> list[Naming]:
    """Every row of every table with ``user_id`` in any text column (or an
    external id as a whole value or a JSON value)."""
    found = []
    for table in Base.metadata.sorted_tables:
        textual = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
        if not textual:
            continue
        pk = list(table.primary_key.columns)
        for column in textual:
            as_text = cast(column, Text)
            tests = [as_text.like(f"%{user_id}%")]
            for ext in external_ids:
                tests.append(as_text == ext)
                if isinstance(column.type, JSON):
                    tests.append(as_text.like(f'%"{ext}"%'))
            for row in s.execute(select(*pk).where(or_(*tests))).all():
                found.append(
                    Naming(
                        table.name, dict(zip([c.name for c in pk], row, strict=True)), column.name
                    )
                )
    return found


@dataclass(frozen=True)
class Deleted:
    """What a deletion removed or anonymised, for the confirmation."""

    answers: int
    identities: int
    posts_anonymised: int
    comments_anonymised: int


def delete_user(s: Session, user_id: str) -> Deleted:
    """Remove the user and everything personal; anonymise posts and comments."""
    s.flush()
    external_ids = list(s.scalars(select(Identity.external_id).where(Identity.user_id == user_id)))
    answers = answer_count(s, user_id)
    posts = s.execute(update(Post).where(Post.user_id == user_id).values(content=DELETED)).rowcount
    comments = s.execute(
        update(Comment).where(Comment.user_id == user_id).values(content=DELETED)
    ).rowcount
    s.execute(
        delete(StudentLink).where(
            or_(StudentLink.student_id == user_id, StudentLink.linked_id == user_id)
        )
    )
    s.execute(delete(User).where(User.user_id == user_id))
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    for hit in rows_naming(s, user_id, external_ids):
        table = tables[hit.table]
        where = [table.c[k] == v for k, v in hit.key.items()]
        if hit.table in EPHEMERAL:
            s.execute(delete(table).where(*where))
        else:
            column = table.c[hit.column]
            blank: Any = (
                None if column.nullable else ({} if isinstance(column.type, JSON) else DELETED)
            )
            s.execute(update(table).where(*where).values({hit.column: blank}))
    s.expunge_all()
    return Deleted(answers, len(external_ids), posts or 0, comments or 0)
