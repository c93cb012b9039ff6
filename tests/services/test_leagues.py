"""Weekly leagues: cohorts, promotion and demotion, a roll-over that runs once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.db.engine import Database
from core.db.models import LeagueMembership, LeagueRollover, User
from core.services import leagues
from core.services.points import award

WEEK = date(2026, 11, 2)  # a Monday; the clock fixture starts in this week
AFTER = datetime(2026, 11, 9, 0, 0, tzinfo=UTC)


def test_zone_sizes_scale_and_never_overlap() -> None:
    assert leagues.zone_sizes(30, "Silver") == (7, 5)
    assert leagues.zone_sizes(30, "Bronze") == (7, 0)
    assert leagues.zone_sizes(30, "Diamond") == (0, 5)
    assert leagues.zone_sizes(1, "Gold") == (1, 0)
    for n in range(1, 40):
        up, down = leagues.zone_sizes(n, "Gold")
        assert up + down <= n


def _users(db: Database, n: int, tier: str, clock, points=lambda i: 10 * (i + 1)) -> list[str]:  # type: ignore[no-untyped-def]
    ids = []
    with db.uow() as s:
        for i in range(n):
            user = User(display_name=f"{tier}{i:02d}", league=tier)
            s.add(user)
            s.flush()
            if points(i):
                award(s, user, points(i), "answer", f"seed:{i}", clock.now)
                leagues.join(s, user, WEEK)
            ids.append(user.user_id)
    return ids


def _tiers(db: Database, ids: list[str]) -> list[str]:
    with db.uow() as s:
        return [s.get(User, uid).league for uid in ids]  # type: ignore[union-attr]


def test_cohorts_of_thirty_and_inactive_students_stay_out(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    ids = _users(db, 35, "Bronze", clock)
    idle = _users(db, 2, "Bronze", clock, points=lambda i: 0)
    with db.uow() as s:
        sizes = dict(
            s.execute(
                select(LeagueMembership.cohort, func.count()).group_by(LeagueMembership.cohort)
            ).all()
        )
        assert sizes == {1: 30, 2: 5}
        for uid in idle:
            assert leagues.membership(s, uid, WEEK) is None
        user = s.get(User, ids[0])
        assert user is not None
        assert leagues.join(s, user, WEEK) is not None  # joining again: the same row
    with db.uow() as s:
        assert s.scalar(select(func.count()).select_from(LeagueMembership)) == 35


def test_roll_over_promotes_demotes_once(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    silver = _users(db, 30, "Silver", clock)  # points 10..300: the last seven are the top
    diamond = _users(db, 3, "Diamond", clock)
    late = _users(db, 1, "Silver", clock)  # earned points but never opened /league
    with db.uow() as s:
        s.execute(LeagueMembership.__table__.delete().where(LeagueMembership.user_id == late[0]))  # type: ignore[attr-defined]
    with db.uow() as s, pytest.raises(ValueError):
        leagues.roll_over(s, WEEK, AFTER - timedelta(minutes=1))  # the week is not over
    with db.uow() as s:
        first = leagues.roll_over(s, WEEK, AFTER)
    with db.uow() as s:
        second = leagues.roll_over(s, WEEK, AFTER + timedelta(hours=1))
    assert first == second
    tiers = _tiers(db, silver)
    assert tiers[-7:] == ["Gold"] * 7
    assert tiers[:5] == ["Bronze"] * 5
    assert tiers[5:-7] == ["Silver"] * 18
    assert _tiers(db, diamond) == ["Diamond"] * 3  # no tier above Diamond
    promoted = {m.user_id for m in first.promoted}
    assert set(silver[-7:]) <= promoted and not promoted & set(diamond)
    assert {m.user_id for m in first.demoted} >= set(silver[:5])
    assert all(m.to_tier == "Bronze" for m in first.demoted if m.user_id in silver)
    with db.uow() as s:
        assert s.scalar(select(func.count()).select_from(LeagueRollover)) == 1
        assert leagues.membership(s, late[0], WEEK) is not None  # placed at roll-over
        top = leagues.membership(s, silver[-1], WEEK)
        assert top is not None and top.final_rank == 1 and top.outcome == "promoted"
        assert top.points == 300


def test_roll_over_due_closes_last_week(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    ids = _users(db, 2, "Bronze", clock)
    with db.uow() as s:
        result = leagues.roll_over_due(s, AFTER + timedelta(hours=3))
    assert result.week == WEEK
    assert [m.user_id for m in result.promoted] == [ids[1]]  # ceil(7·2/30) = 1
    with db.uow() as s, pytest.raises(ValueError):
        leagues.roll_over(s, WEEK + timedelta(days=1), AFTER)  # not a Monday
