"""Study plans: a dated schedule of actions toward the test date.

How a plan is made (:func:`build_schedule` is the pure core; :func:`generate`
reads the inputs and stores the result):

- **Targets.** The target total is split evenly: each section aims at
  ``target / 2`` on the 200–800 scale, turned into ability with
  :func:`core.irt.scale.scale_to_theta` (1400 → 700 per section → θ ≈ 1.85).
  Without a target the plan aims at :data:`DEFAULT_TARGET`.
- **Weights.** Each skill's practice weight is its gap × its domain's weight:
  gap = target θ of its section − the skill's θ (the skill estimate, else its
  domain's, else its section's), at least :data:`MIN_GAP` so strong skills
  keep some maintenance; domain weight = the blueprint share of the domain
  split over its skills (so a domain with seven skills does not count seven
  times). Practice slots go to skills in proportion to the weights by the
  D'Hondt rule, which also interleaves them from day to day.
- **Time.** The weekly hours (default :data:`DEFAULT_HOURS`) are the budget of
  each 7-day window from today: a full test costs 2 h 15 min, a review 10 min,
  a practice action (10 questions) 15 min; whatever remains after tests and
  reviews becomes practice, spread evenly over the window's days.
- **Full tests.** With a test date the last full test is a week before it
  (``test_date − 7``) and earlier ones every :data:`FULL_TEST_INTERVAL` days
  before that (28 with under 4 hours a week); none in the last 3 days before
  the test, none within :data:`MIN_DAYS_BETWEEN_FULL` days of the previous one
  (a test that would come too soon moves later, if that is still allowed). No action is planned on or after the test date.
- **No test date** (or a past one): a rolling 4-week plan, a full test at the
  end of each interval.
- **No profile yet**: the first action, today, is the diagnostic.
- **Horizon.** At most :data:`MAX_HORIZON_DAYS` days are planned at once; the
  plan is remade after every diagnostic and full test anyway.

Re-planning makes a new active ``StudyPlan`` and deactivates the old one:
completed actions stay on the old plan (and keep counting), open actions a
tutor assigned (``assigned_by`` set) move to the new plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.content.taxonomy import DOMAINS, SECTIONS, SKILLS, skills_of
from core.db.models import PracticeSession, ReviewCard, StudyPlan, StudyPlanAction, User
from core.irt.scale import scale_to_theta
from core.services import review
from core.services.points import award
from core.services.practice import latest_proficiency
from core.services.profile import local_today

DEFAULT_TARGET = 1200
DEFAULT_HOURS = 5
MIN_GAP = 0.25  # logits: the least weight a skill gets (maintenance)
PRACTICE_COUNT = 10
DIAGNOSTIC_COUNT = 24
MINUTES = {"practice": 15, "review": 10, "full": 135, "diagnostic": 30}
POINTS = {"practice": 20, "review": 15, "full": 50, "diagnostic": 30}
ROLLING_DAYS = 28
MAX_HORIZON_DAYS = 56
FULL_TEST_INTERVAL = 14
FULL_TEST_INTERVAL_LIGHT = 28  # under LIGHT_HOURS a week
LIGHT_HOURS = 4
LAST_FULL_TEST_BEFORE = 7  # days before the test date
NO_FULL_TEST_WITHIN = 3  # no full test in the last 3 days before the test
MIN_DAYS_BETWEEN_FULL = 6
REVIEWS_PER_WEEK = 2


@dataclass(frozen=True)
class AbilityProfile:
    """The latest ability estimates: by section, domain and skill (θ)."""

    sections: dict[str, float]
    domains: dict[str, float]
    skills: dict[str, float]

    @property
    def known(self) -> bool:
        """True once any section has an estimate (after a diagnostic, practice or test)."""
        return bool(self.sections)

    def skill_theta(self, code: str) -> float:
        """The best estimate for a skill: its own, else its domain's, else its section's."""
        if code in self.skills:
            return self.skills[code]
        skill = SKILLS[code]
        if skill.domain in self.domains:
            return self.domains[skill.domain]
        return self.sections.get(skill.section, 0.0)


@dataclass(frozen=True)
class PlannedAction:
    """One action of a schedule before it is stored."""

    day: date
    action: str  # practice | review | full | diagnostic
    topic: str | None
    count: int | None
    task: str
    points: int


def load_profile(s: Session, user_id: str) -> AbilityProfile:
    """The user's newest section, domain and skill estimates."""
    sections, domains, skills = {}, {}, {}
    for code in SECTIONS:
        row = latest_proficiency(s, user_id, "section", code)
        if row is not None:
            sections[code] = row.theta
    if sections:
        for code in DOMAINS:
            row = latest_proficiency(s, user_id, "domain", code)
            if row is not None:
                domains[code] = row.theta
        for code in SKILLS:
            row = latest_proficiency(s, user_id, "skill", code)
            if row is not None:
                skills[code] = row.theta
    return AbilityProfile(sections, domains, skills)


def target_theta(target_total: int | None) -> float:
    """The per-section ability a total target needs (half the total per section)."""
    return float(scale_to_theta((target_total or DEFAULT_TARGET) / 2))


def skill_weights(profile: AbilityProfile, target_total: int | None) -> dict[str, float]:
    """Skill → practice weight: gap to the target × the domain's blueprint share per skill."""
    goal = target_theta(target_total)
    weights = {}
    for code, skill in SKILLS.items():
        domain = DOMAINS[skill.domain]
        gap = max(MIN_GAP, goal - profile.skill_theta(code))
        weights[code] = gap * domain.share / len(skills_of(domain.code))
    return weights


def section_shares(weights: dict[str, float]) -> dict[str, float]:
    """The share of practice each section gets under ``weights``."""
    total = sum(weights.values()) or 1.0
    out = dict.fromkeys(SECTIONS, 0.0)
    for code, w in weights.items():
        out[SKILLS[code].section] += w / total
    return out


def allocate(weights: dict[str, float], n: int) -> list[str]:
    """``n`` practice slots in order, by the D'Hondt rule over ``weights``."""
    given = dict.fromkeys(weights, 0)
    order = list(weights)
    out = []
    for _ in range(n):
        best = max(order, key=lambda k: (weights[k] / (given[k] + 1), -order.index(k)))
        given[best] += 1
        out.append(best)
    return out


def full_test_days(
    today: date,
    end: date,
    test_date: date | None,
    hours: int,
    last_full_test: date | None,
) -> list[date]:
    """The days of full tests between ``today`` and ``end`` (inclusive)."""
    interval = FULL_TEST_INTERVAL if hours >= LIGHT_HOURS else FULL_TEST_INTERVAL_LIGHT
    days: list[date] = []
    if test_date is not None:
        latest_allowed = test_date - timedelta(days=NO_FULL_TEST_WITHIN + 1)
        day = test_date - timedelta(days=LAST_FULL_TEST_BEFORE)
        if day < today <= latest_allowed:
            day = today  # under a week to go: one last full test as soon as possible
        while day >= today:
            if day <= latest_allowed:
                days.append(day)
            day -= timedelta(days=interval)
    else:
        day = today + timedelta(days=interval - 1)
        while day <= end:
            days.append(day)
            day += timedelta(days=interval)
    limit = (
        end if test_date is None else min(end, test_date - timedelta(days=NO_FULL_TEST_WITHIN + 1))
    )
    spaced: list[date] = []
    previous = last_full_test
    for day in sorted(days):
        if previous is not None:
            # Too soon after the last one: move it later, never into the last 3 days.
            day = max(day, previous + timedelta(days=MIN_DAYS_BETWEEN_FULL))
        if today <= day <= limit:
            spaced.append(day)
            previous = day
    return spaced


def _spread(days: list[date], n: int) -> list[date]:
    """``n`` days picked evenly from ``days`` (repeats when n > len(days))."""
    if not days or n <= 0:
        return []
    return [days[int((i + 0.5) * len(days) / n)] for i in range(n)]


def build_schedule(
    today: date,
    test_date: date | None,
    hours: int | None,
    weights: dict[str, float],
    known: bool,
    has_cards: bool = False,
    due_cards: int = 0,
    last_full_test: date | None = None,
    start_tomorrow: bool = False,
) -> list[PlannedAction]:
    """The schedule (pure): diagnostic first when unknown, tests, reviews, practice."""
    hours = hours or DEFAULT_HOURS
    if test_date is not None and test_date <= today:
        test_date = None
    if test_date is not None:
        end = min(test_date - timedelta(days=1), today + timedelta(days=MAX_HORIZON_DAYS - 1))
    else:
        end = today + timedelta(days=ROLLING_DAYS - 1)
    first = today + timedelta(days=1) if start_tomorrow else today
    out: list[PlannedAction] = []
    if not known:
        out.append(_planned(today, "diagnostic", None, DIAGNOSTIC_COUNT))
    tests = full_test_days(first, end, test_date, hours, last_full_test)
    out += [_planned(d, "full", None, None) for d in tests]
    practice_days: list[list[date]] = []
    practice_counts: list[int] = []
    window_start = today
    while window_start <= end:
        window = [
            window_start + timedelta(days=i)
            for i in range(7)
            if first <= window_start + timedelta(days=i) <= end
        ]
        window_start += timedelta(days=7)
        if not window:
            continue
        budget = hours * 60 * len(window) / 7
        in_window = [d for d in tests if d in window]
        budget -= MINUTES["full"] * len(in_window)
        if window[0] == today and not known:
            budget -= MINUTES["diagnostic"]
        free = [d for d in window if d not in in_window]
        reviews: list[date] = []
        if has_cards and free:
            n_reviews = max(1, round(REVIEWS_PER_WEEK * len(window) / 7))
            n_reviews = min(n_reviews, max(0, int(budget // MINUTES["review"])))
            reviews = _spread(free, n_reviews)
            if reviews and due_cards and first == today and today in free and today not in reviews:
                reviews[0] = today
            budget -= MINUTES["review"] * len(reviews)
        for d in sorted(set(reviews)):
            out.append(_planned(d, "review", None, None))
        n_practice = max(0, int(budget // MINUTES["practice"]))
        practice_days.append(free)
        practice_counts.append(n_practice)
    topics = iter(allocate(weights, sum(practice_counts)))
    for free, n in zip(practice_days, practice_counts, strict=True):
        for d in _spread(free, n):
            out.append(_planned(d, "practice", next(topics), PRACTICE_COUNT))
    order = {"diagnostic": 0, "full": 1, "review": 2, "practice": 3}
    return sorted(out, key=lambda a: (a.day, order[a.action]))


def _planned(day: date, action: str, topic: str | None, count: int | None) -> PlannedAction:
    if action == "practice":
        assert topic is not None
        task = f"Practice {SKILLS[topic].name}: {count} questions"
    elif action == "review":
        task = "Review your missed questions that are due"
    elif action == "full":
        task = "Full-length practice test (2 h 15 min)"
    else:
        task = f"Diagnostic: {count} questions to place you"
    return PlannedAction(day, action, topic, count, task, POINTS[action])


# --------------------------------------------------------------------------
# The database side
# --------------------------------------------------------------------------


def due_at(day: date, tz: str) -> datetime:
    """The stored due time of a plan day: local noon, in UTC (its local date is ``day``)."""
    return datetime.combine(day, time(12, 0), ZoneInfo(tz)).astimezone(UTC)


def local_day(moment: datetime, tz: str) -> date:
    """The local date of a stored moment in the user's zone."""
    return moment.astimezone(ZoneInfo(tz)).date()


def active_plan(s: Session, user_id: str) -> StudyPlan | None:
    """The user's active plan (the newest, should there be two)."""
    return s.scalars(
        select(StudyPlan)
        .where(StudyPlan.user_id == user_id, StudyPlan.active.is_(True))
        .order_by(StudyPlan.created_at.desc())
        .limit(1)
    ).first()


def _last_full_test(s: Session, user: User) -> date | None:
    finished = s.scalar(
        select(PracticeSession.finished_at)
        .where(
            PracticeSession.user_id == user.user_id,
            PracticeSession.test_type == "full",
            PracticeSession.status == "finished",
        )
        .order_by(PracticeSession.finished_at.desc())
        .limit(1)
    )
    return None if finished is None else local_day(finished, user.timezone)


def _done_today(s: Session, user: User, today: date, now: datetime) -> bool:
    """Did the student already finish a plan action, a diagnostic or a full test today?"""
    since = now - timedelta(days=2)
    completed = s.scalars(
        select(StudyPlanAction.completed)
        .join(StudyPlan, StudyPlan.plan_id == StudyPlanAction.plan_id)
        .where(StudyPlan.user_id == user.user_id, StudyPlanAction.completed >= since)
    ).all()
    finished = s.scalars(
        select(PracticeSession.finished_at).where(
            PracticeSession.user_id == user.user_id,
            PracticeSession.test_type.in_(("diagnostic", "full")),
            PracticeSession.status == "finished",
            PracticeSession.finished_at >= since,
        )
    ).all()
    return any(local_day(t, user.timezone) == today for t in [*completed, *finished] if t)


def generate(s: Session, user: User, now: datetime) -> StudyPlan:
    """Make a new active plan for ``user`` from their settings and profile (re-plan)."""
    today = local_today(user.timezone, now)
    profile = load_profile(s, user.user_id)
    has_cards = (
        s.scalar(select(ReviewCard.id).where(ReviewCard.user_id == user.user_id).limit(1))
        is not None
    )
    schedule = build_schedule(
        today,
        user.test_date,
        user.study_hours,
        skill_weights(profile, user.target_score),
        profile.known,
        has_cards=has_cards,
        due_cards=len(review.due_cards(s, user.user_id, now)),
        last_full_test=_last_full_test(s, user),
        start_tomorrow=_done_today(s, user, today, now),
    )
    old_plans = list(
        s.scalars(
            select(StudyPlan).where(StudyPlan.user_id == user.user_id, StudyPlan.active.is_(True))
        )
    )
    for old in old_plans:
        old.active = False
    test_date = None
    if user.test_date is not None and user.test_date > today:
        test_date = datetime.combine(user.test_date, time(0, 0), ZoneInfo(user.timezone))
    plan = StudyPlan(
        user_id=user.user_id,
        test_date=test_date,
        target_score=user.target_score,
        weekly_hours=user.study_hours or DEFAULT_HOURS,
        active=True,
        created_at=now,
    )
    s.add(plan)
    s.flush()
    for old in old_plans:
        for action in list(old.actions):
            if action.assigned_by is not None and action.completed is None:
                action.plan_id = plan.plan_id  # a tutor's assignment survives re-planning
    for p in schedule:
        s.add(
            StudyPlanAction(
                plan_id=plan.plan_id,
                task=p.task,
                action=p.action,
                topic=p.topic,
                count=p.count,
                due_date=due_at(p.day, user.timezone),
                points=p.points,
            )
        )
    s.flush()
    s.expire(plan, ["actions"])
    return plan


def is_stale(plan: StudyPlan | None, user: User, now: datetime) -> bool:
    """Does the plan need remaking: none, settings changed, or nothing left ahead?"""
    if plan is None:
        return True
    today = local_today(user.timezone, now)
    plan_test = None if plan.test_date is None else local_day(plan.test_date, user.timezone)
    wanted_test = user.test_date if user.test_date and user.test_date > today else None
    if plan_test != wanted_test or plan.target_score != user.target_score:
        return True
    if plan.weekly_hours != (user.study_hours or DEFAULT_HOURS):
        return True
    generated = [a for a in plan.actions if a.assigned_by is None]
    if not generated:
        return True
    return all(local_day(a.due_date, user.timezone) < today for a in generated)


def current_plan(s: Session, user: User, now: datetime) -> StudyPlan:
    """The active plan, made or remade first when it is missing or stale."""
    plan = active_plan(s, user.user_id)
    if is_stale(plan, user, now):
        plan = generate(s, user, now)
    assert plan is not None
    return plan


def week_actions(
    s: Session, user: User, plan: StudyPlan, start: date, days: int = 7
) -> list[StudyPlanAction]:
    """The plan's actions due from ``start`` for ``days`` days, plus work already done
    in that window on earlier plans (it still counts)."""
    end = start + timedelta(days=days)
    lo = due_at(start, user.timezone) - timedelta(days=1)
    hi = due_at(end, user.timezone) + timedelta(days=1)
    rows = s.scalars(
        select(StudyPlanAction)
        .join(StudyPlan, StudyPlan.plan_id == StudyPlanAction.plan_id)
        .where(
            StudyPlan.user_id == user.user_id,
            StudyPlanAction.due_date >= lo,
            StudyPlanAction.due_date <= hi,
            (StudyPlan.plan_id == plan.plan_id) | StudyPlanAction.completed.is_not(None),
        )
        .order_by(StudyPlanAction.due_date, StudyPlanAction.id)
    ).all()
    return [r for r in rows if start <= local_day(r.due_date, user.timezone) < end]


def open_for_today(s: Session, user: User, plan: StudyPlan, now: datetime) -> list[StudyPlanAction]:
    """Open actions of the plan due today or earlier (the oldest first)."""
    today = local_today(user.timezone, now)
    rows = s.scalars(
        select(StudyPlanAction)
        .where(
            StudyPlanAction.plan_id == plan.plan_id,
            StudyPlanAction.completed.is_(None),
            StudyPlanAction.due_date <= now + timedelta(days=2),
        )
        .order_by(StudyPlanAction.due_date, StudyPlanAction.id)
    ).all()
    return [r for r in rows if local_day(r.due_date, user.timezone) <= today]


def complete_matching(
    s: Session,
    user: User,
    kind: str,
    topic: str | None,
    answered: int,
    now: datetime,
    preferred: int | None = None,
) -> StudyPlanAction | None:
    """Mark the earliest open action that this finished work fulfils; award its points once.

    ``kind`` is the session kind (practice, review, diagnostic, full);
    ``answered`` the number of answered (not skipped) questions. A practice
    action needs its topic and at least its count of answers.
    """
    plan = active_plan(s, user.user_id)
    if plan is None:
        return None
    candidates = [
        a
        for a in open_for_today(s, user, plan, now)
        if a.action == kind and _fulfils(a, topic, answered)
    ]
    if not candidates:
        return None
    chosen = next((a for a in candidates if a.id == preferred), candidates[0])
    chosen.completed = now
    award(s, user, chosen.points, "plan", f"action:{chosen.id}", now)
    return chosen


def _fulfils(action: StudyPlanAction, topic: str | None, answered: int) -> bool:
    if answered <= 0:
        return False
    if action.action == "practice":
        return action.topic == topic and answered >= (action.count or PRACTICE_COUNT)
    return True
