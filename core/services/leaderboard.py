"""Ranking users by points: this week or all time, for any set of users."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.models import PointsEntry, User


@dataclass(frozen=True)
class Standing:
    """One row of a leaderboard."""

    rank: int
    user_id: str
    name: str
    points: int


def standings(s: Session, user_ids: Collection[str], week: date | None = None) -> list[Standing]:
    """Everyone in ``user_ids`` ranked by points (the week starting ``week``, or
    all time when None); ties share a rank and are ordered by name."""
    if not user_ids:
        return []
    ids = list(user_ids)
    if week is None:
        rows = s.execute(
            select(User.user_id, User.display_name, User.username, User.points).where(
                User.user_id.in_(ids)
            )
        ).all()
        scored = [
            (uid, username or name or "someone", pts or 0) for uid, name, username, pts in rows
        ]
    else:
        totals = dict(
            s.execute(
                select(PointsEntry.user_id, func.sum(PointsEntry.points))
                .where(PointsEntry.user_id.in_(ids), PointsEntry.week == week)
                .group_by(PointsEntry.user_id)
            ).all()
        )
        names = s.execute(
            select(User.user_id, User.display_name, User.username).where(User.user_id.in_(ids))
        ).all()
        scored = [
            (uid, username or name or "someone", int(totals.get(uid, 0)))
            for uid, name, username in names
        ]
    scored.sort(key=lambda r: (-r[2], r[1].lower(), r[0]))
    out: list[Standing] = []
    for i, (uid, name, pts) in enumerate(scored):
        rank = out[-1].rank if out and out[-1].points == pts else i + 1
        out.append(Standing(rank, uid, name, pts))
    return out


def format_board(rows: list[Standing], me: str, title: str, top: int = 10) -> str:
    """The top ``top`` rows, and the caller's own row even when outside them."""
    if not rows:
        return f"{title}\nNobody here yet."
    lines = [title]
    shown = rows[:top]
    for r in shown:
        marker = " ← you" if r.user_id == me else ""
        lines.append(f"{r.rank}. {r.name} — {r.points}{marker}")
    own = next((r for r in rows if r.user_id == me), None)
    if own is not None and own not in shown:
        lines.append("…")
        lines.append(f"{own.rank}. {own.name} — {own.points} ← you")
    return "\n".join(lines)
