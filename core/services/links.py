"""Parents and tutors: consent-based links to students, and who may see whom.

A student creates a one-time code (valid 48 hours) and gives it to a parent
or tutor, who redeems it; nothing is shared before that. Many parents and
tutors per student, many students per tutor. Every lookup of a student by
a parent or tutor goes through :func:`linked_student`, which answers "not
found" alike for a student who does not exist and one who is not linked,
so a stranger cannot probe for accounts.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.chat.errors import UserError
from core.db.models import LinkCode, StudentLink, TutorAction, User

CODE_TTL = timedelta(hours=48)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
NOT_FOUND = "I couldn't find that student among the students linked to you. Check /students."


def new_code(
    s: Session, student: User, role: str, now: datetime, ttl: timedelta = CODE_TTL
) -> LinkCode:
    """A fresh one-time code for a parent or tutor to link to ``student``."""
    if role not in ("parent", "tutor"):
        raise UserError("Say who the code is for: /invite parent or /invite tutor.")
    for _ in range(10):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        if s.get(LinkCode, code) is None:
            row = LinkCode(
                code=code,
                user_id=student.user_id,
                purpose=role,
                created_at=now,
                expires_at=now + ttl,
            )
            s.add(row)
            s.flush()
            return row
    raise RuntimeError("could not find a free link code")  # pragma: no cover


def redeem(s: Session, linked: User, code: str, now: datetime) -> StudentLink:
    """Link ``linked`` to the student who made ``code`` (once, before it expires)."""
    row = s.get(LinkCode, code.strip().upper())
    if row is None or row.purpose not in ("parent", "tutor"):
        raise UserError(
            "That code doesn't exist. Ask the student for a new one (/invite parent or /invite tutor)."
        )
    if row.used_at is not None:
        raise UserError("That code has already been used. Ask the student for a new one.")
    if row.expires_at <= now:
        raise UserError(
            "That code has expired (codes last 48 hours). Ask the student for a new one."
        )
    if row.user_id == linked.user_id:
        raise UserError("That's your own code: give it to your parent or tutor to enter.")
    existing = s.scalar(
        select(StudentLink).where(
            StudentLink.student_id == row.user_id,
            StudentLink.linked_id == linked.user_id,
            StudentLink.role == row.purpose,
        )
    )
    row.used_at = now
    row.used_by = linked.user_id
    if existing is not None:
        return existing
    link = StudentLink(
        student_id=row.user_id,
        linked_id=linked.user_id,
        role=row.purpose,
        consented_at=now,
        alerts=["alert_test", "alert_streak", "alert_badge"] if row.purpose == "parent" else [],
    )
    s.add(link)
    if linked.role == "student" and row.purpose in ("parent", "tutor"):
        linked.role = row.purpose
    s.flush()
    return link


def students_of(
    s: Session, linked_id: str, role: str | None = None
) -> list[tuple[StudentLink, User]]:
    """The students linked to a parent or tutor, oldest link first."""
    query = (
        select(StudentLink, User)
        .join(User, User.user_id == StudentLink.student_id)
        .where(StudentLink.linked_id == linked_id)
        .order_by(StudentLink.consented_at, StudentLink.id)
    )
    if role:
        query = query.where(StudentLink.role == role)
    return [(link, user) for link, user in s.execute(query).all()]


def people_of(s: Session, student_id: str) -> list[tuple[StudentLink, User]]:
    """The parents and tutors linked to a student."""
    return [
        (link, user)
        for link, user in s.execute(
            select(StudentLink, User)
            .join(User, User.user_id == StudentLink.linked_id)
            .where(StudentLink.student_id == student_id)
            .order_by(StudentLink.consented_at, StudentLink.id)
        ).all()
    ]


def display(user: User) -> str:
    """How a person is named to the people linked with them."""
    return user.display_name or (f"@{user.username}" if user.username else "a student")


def linked_student(
    s: Session, linked: User, ref: str, roles: tuple[str, ...] = ("parent", "tutor")
) -> User:
    """Resolve ``ref`` (a number from /students, a @username or a name) among
    the caller's linked students only; anything else is "not found"."""
    ref = ref.strip().lstrip("@").lower()
    mine = [(link, user) for link, user in students_of(s, linked.user_id) if link.role in roles]
    if not ref:
        raise UserError("Name the student: a number from /students or their @username.")
    if ref.isdigit():
        index = int(ref) - 1
        if 0 <= index < len(mine):
            return mine[index][1]
        raise UserError(NOT_FOUND)
    for _, user in mine:
        if (user.username or "").lower() == ref or (user.display_name or "").lower() == ref:
            return user
    raise UserError(NOT_FOUND)


def log_action(
    s: Session, tutor: User, student: User, action: str, details: str, now: datetime
) -> None:
    """Every view of and action on a student by a linked person is written down."""
    s.add(
        TutorAction(
            tutor_id=tutor.user_id,
            student_id=student.user_id,
            action=action,
            details=details[:1000],
            timestamp=now,
        )
    )


def unlink(s: Session, caller: User, ref: str) -> str:
    """Remove a link: the student removes a parent/tutor, or they remove themselves."""
    ref_l = ref.strip().lstrip("@").lower()
    for link, other in people_of(s, caller.user_id):
        if ref_l in ((other.username or "").lower(), (other.display_name or "").lower(), link.role):
            s.delete(link)
            return f"{display(other)} ({link.role}) is no longer linked to you."
    for link, student in students_of(s, caller.user_id):
        if ref_l in ((student.username or "").lower(), (student.display_name or "").lower()):
            s.delete(link)
            return f"You are no longer linked to {display(student)}."
    raise UserError("No link by that name. /links shows who is linked to you.")
