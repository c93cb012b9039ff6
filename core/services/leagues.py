"""Weekly leagues: cohorts of about 30 active students per tier, promotion and demotion.

- A league week runs from Monday 00:00 UTC to the next Monday 00:00 UTC (the
  ledger's ``week``). One clock for everybody keeps a cohort's race fair.
- A student is *active* in a week when they earned points in it; the first
  points of the week put them in a cohort of their tier (``users.league``):
  the first cohort of that tier with fewer than :data:`COHORT_SIZE` members,
  else a new one. Inactive students are in no cohort and keep their tier.
- At the week's end :func:`roll_over` ranks each cohort by the week's points:
  the top ``ceil(7 · n / 30)`` move up a tier (not from Diamond) and the
  bottom ``floor(5 · n / 30)`` move down (not from Bronze) — 7 and 5 in a full
  cohort of 30, scaled for smaller ones so the zones never overlap. Nobody
  with 0 points is promoted. Ties are broken as the board shows them (name).
- ``league_rollovers`` has the week as its primary key, so a week rolls over
  once: a second run finds the row and returns the stored result unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from core.db.models import LeagueMembership, LeagueRollover, PointsEntry, User
from core.services.leaderboard import Standing, standings
from core.services.points import week_of

TIERS: tuple[str, ...] = (
    "Bronze",
    "Silver",
    "Gold",
    "Sapphire",
    "Ruby",
    "Emerald",
    "Amethyst",
    "Pearl",
    "Obsidian",
    "Diamond",
)
COHORT_SIZE = 30
PROMOTE_PER_30 = 7
DEMOTE_PER_30 = 5


def current_week(now: datetime) -> date:
    """The Monday (UTC) of the league week containing ``now``."""
    return week_of(now.astimezone(UTC).date())


def week_end(week: date) -> datetime:
    """When the league week starting ``week`` ends: the next Monday 00:00 UTC."""
    return datetime.combine(week + timedelta(days=7), time(0, 0), UTC)


def zone_sizes(n: int, tier: str) -> tuple[int, int]:
    """(promoted, demoted) counts for a cohort of ``n`` in ``tier``."""
    up = 0 if tier == TIERS[-1] else math.ceil(PROMOTE_PER_30 * n / COHORT_SIZE)
    down = 0 if tier == TIERS[0] else math.floor(DEMOTE_PER_30 * n / COHORT_SIZE)
    return up, min(down, n - up)


def week_points(s: Session, user_id: str, week: date) -> int:
    """The points ``user_id`` earned in the league week ``week``."""
    total = s.scalar(
        select(func.sum(PointsEntry.points)).where(
            PointsEntry.user_id == user_id, PointsEntry.week == week
        )
    )
    return int(total or 0)


def membership(s: Session, user_id: str, week: date) -> LeagueMembership | None:
    """The user's cohort place in ``week``, if any."""
    return s.scalar(_MEMBERSHIP, {"user_id": user_id, "week": week})


_MEMBERSHIP = select(LeagueMembership).where(
    LeagueMembership.user_id == bindparam("user_id"), LeagueMembership.week == bindparam("week")
)


def join(s: Session, user: User, week: date, looked: bool = False) -> LeagueMembership | None:
    """Put an active user in a cohort of their tier for ``week`` (once; None when inactive).

    ``looked``: the caller has just found no membership for the week (the
    unique (user, week) still refuses a racing second one).
    """
    existing = None if looked else membership(s, user.user_id, week)
    if existing is not None:
        return existing
    if week_points(s, user.user_id, week) <= 0:
        return None
    tier = user.league if user.league in TIERS else TIERS[0]
    sizes = dict(
        s.execute(
            select(LeagueMembership.cohort, func.count())
            .where(LeagueMembership.week == week, LeagueMembership.tier == tier)
            .group_by(LeagueMembership.cohort)
        ).all()
    )
    open_cohorts = sorted(c for c, n in sizes.items() if n < COHORT_SIZE)
    cohort = open_cohorts[0] if open_cohorts else max(sizes, default=0) + 1
    row = LeagueMembership(user_id=user.user_id, week=week, tier=tier, cohort=cohort)
    s.add(row)
    s.flush()  # unique (user, week): a racing duplicate fails here and the event is retried
    return row


def cohort_members(s: Session, row: LeagueMembership) -> list[str]:
    """The user ids in ``row``'s cohort."""
    return list(
        s.scalars(
            select(LeagueMembership.user_id).where(
                LeagueMembership.week == row.week,
                LeagueMembership.tier == row.tier,
                LeagueMembership.cohort == row.cohort,
            )
        )
    )


def cohort_standings(s: Session, row: LeagueMembership) -> list[Standing]:
    """The cohort ranked by the week's points."""
    return standings(s, cohort_members(s, row), row.week)


@dataclass(frozen=True)
class Move:
    """One student's change of tier at a roll-over."""

    user_id: str
    from_tier: str
    to_tier: str


@dataclass(frozen=True)
class RolloverResult:
    """What a week's roll-over decided (the same on every run)."""

    week: date
    promoted: tuple[Move, ...]
    demoted: tuple[Move, ...]
    stayed: int


def roll_over(s: Session, week: date, now: datetime) -> RolloverResult:
    """Close the league week ``week``: rank cohorts, promote and demote, once.

    Safe to run twice (or in two processes): the ``league_rollovers`` row is
    the week's primary key; a run that finds it returns the stored result, and
    a racing insert fails with IntegrityError so that transaction rolls back.
    """
    if week.weekday() != 0:
        raise ValueError(f"league weeks start on Monday; {week} is not one")
    if now < week_end(week):
        raise ValueError(f"the league week of {week} ends at {week_end(week).isoformat()}")
    if s.get(LeagueRollover, week) is not None:
        return stored_result(s, week)
    s.add(LeagueRollover(week=week, done_at=now))
    s.flush()
    active = s.scalars(
        select(PointsEntry.user_id)
        .where(PointsEntry.week == week)
        .group_by(PointsEntry.user_id)
        .having(func.sum(PointsEntry.points) > 0)
    ).all()
    for user_id in active:
        user = s.get(User, user_id)
        if user is not None:
            join(s, user, week)
    rows = list(s.scalars(select(LeagueMembership).where(LeagueMembership.week == week)))
    cohorts: dict[tuple[str, int], list[LeagueMembership]] = {}
    for row in rows:
        cohorts.setdefault((row.tier, row.cohort), []).append(row)
    for (tier, _), members in cohorts.items():
        by_user = {m.user_id: m for m in members}
        board = standings(s, list(by_user), week)
        up, down = zone_sizes(len(board), tier)
        index = TIERS.index(tier) if tier in TIERS else 0
        for position, standing in enumerate(board):
            m = by_user[standing.user_id]
            m.points = standing.points
            m.final_rank = standing.rank
            user = s.get(User, standing.user_id)
            if position < up and standing.points > 0:
                m.outcome = "promoted"
                new_tier = TIERS[index + 1]
            elif position >= len(board) - down:
                m.outcome = "demoted"
                new_tier = TIERS[index - 1]
            else:
                m.outcome = "stayed"
                new_tier = tier
            if user is not None:
                user.league = new_tier
    s.flush()
    return stored_result(s, week)


def stored_result(s: Session, week: date) -> RolloverResult:
    """The result of a finished roll-over, read back from the memberships."""
    rows = s.scalars(
        select(LeagueMembership)
        .where(LeagueMembership.week == week)
        .order_by(LeagueMembership.tier, LeagueMembership.cohort, LeagueMembership.final_rank)
    ).all()
    promoted, demoted, stayed = [], [], 0
    for m in sorted(rows, key=lambda m: (m.tier, m.cohort, m.final_rank or 0, m.user_id)):
        index = TIERS.index(m.tier) if m.tier in TIERS else 0
        if m.outcome == "promoted":
            promoted.append(Move(m.user_id, m.tier, TIERS[index + 1]))
        elif m.outcome == "demoted":
            demoted.append(Move(m.user_id, m.tier, TIERS[index - 1]))
        else:
            stayed += 1
    return RolloverResult(week, tuple(promoted), tuple(demoted), stayed)


def roll_over_due(s: Session, now: datetime) -> RolloverResult:
    """Roll over the week that ended most recently (the scheduler's weekly job)."""
    return roll_over(s, current_week(now) - timedelta(days=7), now)
