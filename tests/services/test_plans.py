"""Study plans: weights from the ability profile, test-date handling, re-planning."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from sqlalchemy import func, select

from core.content.taxonomy import DOMAINS, SKILLS
from core.db.engine import Database
from core.db.models import (
    PointsEntry,
    PracticeSession,
    Proficiency,
    StudyPlan,
    StudyPlanAction,
    User,
)
from core.services import events, plans
from core.services.plans import AbilityProfile, build_schedule, skill_weights

TODAY = date(2026, 11, 2)


def _profile(rw: float, math: float) -> AbilityProfile:
    sections = {"rw": rw, "math": math}
    domains = {code: sections[d.section] for code, d in DOMAINS.items()}
    return AbilityProfile(sections, domains, {})


def _practice_share(schedule: list[plans.PlannedAction]) -> dict[str, float]:
    topics = [a.topic for a in schedule if a.action == "practice"]
    counts = Counter(SKILLS[t].section for t in topics if t)
    return {k: counts[k] / len(topics) for k in ("rw", "math")}


def _schedule(
    profile: AbilityProfile, target: int = 1400, **kw: object
) -> list[plans.PlannedAction]:
    args: dict[str, object] = {
        "test_date": TODAY + timedelta(days=42),
        "hours": 6,
        "weights": skill_weights(profile, target),
        "known": profile.known,
    }
    args.update(kw)
    return build_schedule(TODAY, **args)  # type: ignore[arg-type]


def test_target_per_section_is_half_the_total() -> None:
    assert 1.8 < plans.target_theta(1400) < 1.9  # 700 per section
    assert plans.target_theta(None) == plans.target_theta(plans.DEFAULT_TARGET)


def test_strong_math_weak_rw_gets_mostly_rw() -> None:
    share = _practice_share(_schedule(_profile(rw=-0.5, math=1.6)))  # ≈ 460 R&W, 680 Math
    assert share["rw"] > 0.75


def test_strong_rw_weak_math_gets_mostly_math() -> None:
    share = _practice_share(_schedule(_profile(rw=1.6, math=-0.5)))
    assert share["math"] > 0.75


def test_near_the_target_practice_is_balanced_by_the_blueprint() -> None:
    profile = _profile(rw=1.8, math=1.8)
    share = _practice_share(_schedule(profile))
    assert 0.4 < share["rw"] < 0.6
    weights = skill_weights(profile, 1400)
    # Within Math, Algebra (35% of the section, five skills) outweighs Geometry (15%, four).
    algebra = sum(w for k, w in weights.items() if SKILLS[k].domain == "algebra")
    geometry = sum(w for k, w in weights.items() if SKILLS[k].domain == "geometry_trig")
    assert algebra > 2 * geometry


def test_weakest_skill_gets_the_most_practice() -> None:
    profile = AbilityProfile({"rw": 1.0, "math": 1.0}, {}, {"transitions": -1.5})
    topics = Counter(a.topic for a in _schedule(profile) if a.action == "practice")
    assert topics.most_common(1)[0][0] == "transitions"


def test_test_date_handling() -> None:
    test_day = TODAY + timedelta(days=42)
    schedule = _schedule(_profile(0.5, 0.5), test_date=test_day)
    fulls = [a.day for a in schedule if a.action == "full"]
    assert fulls[-1] == test_day - timedelta(days=7)  # the last one a week before
    assert all((test_day - d).days > 3 for d in fulls)
    assert all(
        b - a >= timedelta(days=plans.MIN_DAYS_BETWEEN_FULL)
        for a, b in zip(fulls, fulls[1:], strict=False)
    )
    assert len(fulls) >= 2
    assert all(TODAY <= a.day < test_day for a in schedule)  # nothing on or after test day
    assert all(a.points > 0 for a in schedule)
    # Five days to go: one full test now, none in the last three days.
    close = _schedule(_profile(0.5, 0.5), test_date=TODAY + timedelta(days=5))
    assert [a.day for a in close if a.action == "full"] == [TODAY]
    assert all(a.day < TODAY + timedelta(days=5) for a in close)
    # Three days to go: no full test at all.
    closer = _schedule(_profile(0.5, 0.5), test_date=TODAY + timedelta(days=3))
    assert not [a for a in closer if a.action == "full"]
    # A full test taken two days ago: the next is at least six days after it.
    recent = _schedule(
        _profile(0.5, 0.5),
        test_date=TODAY + timedelta(days=9),
        last_full_test=TODAY - timedelta(days=2),
    )
    assert [a.day for a in recent if a.action == "full"] == [TODAY + timedelta(days=4)]


def test_no_test_date_is_a_rolling_four_weeks_and_no_profile_starts_with_the_diagnostic() -> None:
    schedule = _schedule(AbilityProfile({}, {}, {}), test_date=None)
    assert schedule[0].action == "diagnostic" and schedule[0].day == TODAY
    assert max(a.day for a in schedule) <= TODAY + timedelta(days=27)
    assert max(a.day for a in schedule) >= TODAY + timedelta(days=21)
    assert [a.action for a in schedule].count("full") == 2


def test_sized_to_the_weekly_hours() -> None:
    light = _schedule(_profile(0, 0), hours=2, test_date=None)
    heavy = _schedule(_profile(0, 0), hours=10, test_date=None)
    n_light = sum(a.action == "practice" for a in light)
    n_heavy = sum(a.action == "practice" for a in heavy)
    assert n_heavy > 3 * n_light
    week = [a for a in heavy if a.day < TODAY + timedelta(days=7)]
    minutes = sum(plans.MINUTES[a.action] for a in week)
    assert 10 * 60 - 15 <= minutes <= 10 * 60


# --- the database side ---------------------------------------------------------


def _student(db: Database, tz: str = "UTC") -> str:
    with db.uow() as s:
        user = User(
            display_name="planner",
            timezone=tz,
            test_date=date(2026, 12, 12),
            target_score=1400,
            study_hours=6,
        )
        s.add(user)
        s.flush()
        for section, theta in (("rw", -0.5), ("math", 1.5)):
            s.add(Proficiency(user_id=user.user_id, scope="section", section=section, theta=theta))
        return user.user_id


def test_replan_keeps_completed_and_tutor_work(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    uid = _student(db, "Asia/Tokyo")
    with db.uow() as s:
        user = s.get(User, uid)
        assert user is not None
        tutor = User(display_name="tutor", role="tutor")
        s.add(tutor)
        plan = plans.generate(s, user, clock.now)
        assert plan.actions[0].action != "diagnostic"
        first = plan.actions[0]
        assert plans.local_day(first.due_date, "Asia/Tokyo") == date(2026, 11, 3)  # 00:00 JST
        s.flush()
        s.add(
            StudyPlanAction(
                plan_id=plan.plan_id,
                task="Transitions: 15 questions (from your tutor)",
                action="practice",
                topic="transitions",
                count=15,
                due_date=clock.now + timedelta(days=3),
                points=30,
                assigned_by=tutor.user_id,
            )
        )
        practice = next(a for a in plan.actions if a.action == "practice")
        done = plans.complete_matching(
            s, user, "practice", practice.topic, 10, clock.now + timedelta(days=1)
        )
        assert done is not None and done.id == practice.id
        again = plans.complete_matching(
            s, user, "practice", practice.topic, 10, clock.now + timedelta(days=1)
        )
        assert again is None or again.id != practice.id
        old_id, done_id = plan.plan_id, practice.id
    clock.advance(days=1)
    with db.uow() as s:
        user = s.get(User, uid)
        assert user is not None
        new = plans.generate(s, user, clock.now)
        assert new.plan_id != old_id
        assert (
            s.scalar(select(func.count()).select_from(StudyPlan).where(StudyPlan.active.is_(True)))
            == 1
        )
        done_row = s.get(StudyPlanAction, done_id)
        assert done_row is not None and done_row.plan_id == old_id and done_row.completed
        assert [a.task for a in new.actions if a.assigned_by] == [
            "Transitions: 15 questions (from your tutor)"
        ]
        week = plans.week_actions(
            s, user, new, plans.local_day(clock.now, "Asia/Tokyo") - timedelta(days=1)
        )
        assert done_id in [a.id for a in week]  # done work still shows (and counts)
        refs = s.scalars(select(PointsEntry.ref).where(PointsEntry.user_id == uid)).all()
        assert refs.count(f"action:{done_id}") == 1


def test_practice_completes_only_with_enough_answers_on_the_topic(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    uid = _student(db)
    with db.uow() as s:
        user = s.get(User, uid)
        assert user is not None
        plan = plans.generate(s, user, clock.now)
        today = [a for a in plan.actions if plans.local_day(a.due_date, "UTC") == date(2026, 11, 2)]
        target = next(a for a in today if a.action == "practice")
        other = next(k for k in SKILLS if k != target.topic)
        assert plans.complete_matching(s, user, "practice", other, 10, clock.now) is None
        assert plans.complete_matching(s, user, "practice", target.topic, 9, clock.now) is None
        assert plans.complete_matching(s, user, "review", target.topic, 10, clock.now) is None
        later = next(
            a
            for a in plan.actions
            if a.action == "practice" and a.due_date > clock.now + timedelta(days=2)
        )
        # Work on a later action's topic does not complete it early.
        if later.topic != target.topic:
            assert plans.complete_matching(s, user, "practice", later.topic, 10, clock.now) is None
        assert plans.complete_matching(s, user, "practice", target.topic, 10, clock.now) is not None


def test_full_test_completes_its_action_once_and_replans(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    uid = _student(db)
    with db.uow() as s:
        user = s.get(User, uid)
        assert user is not None
        user.test_date = date(2026, 11, 7)  # five days to go: the last full test is today
        plan = plans.generate(s, user, clock.now)
        full = next(a for a in plan.actions if a.action == "full")
        full_id, old_plan = full.id, plan.plan_id
        session = PracticeSession(
            user_id=uid,
            test_type="full",
            status="finished",
            started_at=clock.now,
            finished_at=clock.now,
        )
        s.add(session)
        s.flush()
        event = events.TestFinished(uid, session.session_id, "full", 1300, {"rw": 600, "math": 700})
        lines = events.publish(s, event, clock.now)
        assert any("✅ Plan: Full-length practice test" in line for line in lines)
        assert any("First full test" in line for line in lines)
        again = events.publish(s, event, clock.now)
        assert not any("✅ Plan" in line for line in again)
    with db.uow() as s:
        row = s.get(StudyPlanAction, full_id)
        assert row is not None and row.completed is not None and row.plan_id == old_plan
        assert (
            s.scalar(
                select(func.count())
                .select_from(PointsEntry)
                .where(PointsEntry.ref == f"action:{full_id}")
            )
            == 1
        )
        user = s.get(User, uid)
        assert user is not None
        new = plans.active_plan(s, uid)
        assert new is not None and new.plan_id != old_plan
        assert not [a for a in new.actions if a.action == "full"]  # none in the last days
        assert all(plans.local_day(a.due_date, "UTC") > date(2026, 11, 2) for a in new.actions)
