"""Badges by declarative rules, each earned at most once.

A rule names the badge, says which events can earn it and checks the
condition. :func:`evaluate` runs the rules an event can trigger and awards
the badges whose condition holds and which the student does not have yet.

Once per badge is enforced by the database (``badges`` is unique on user and
name); here a check-then-insert avoids the common repeat, and should two
events of one student race, the loser's insert fails with IntegrityError,
the dispatcher retries that event once, and the retry's check finds the
badge: still one row, announced once (by the event that inserted it).

Skill mastery: the skill's newest ability estimate θ ≥ :data:`MASTERY_THETA`
(1.5, about 665 on a section's scale, roughly the top 7% of test-takers)
with at least :data:`MASTERY_MIN_ANSWERS` (10) answers behind it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.content.taxonomy import SKILLS
from core.db.models import Badge, Proficiency, Response, User
from core.services.events import AnswerRecorded, Event, SessionFinished, TestFinished
from core.services.practice import latest_proficiencies
from core.services.questions import seen_question_ids

MASTERY_THETA = 1.5
MASTERY_MIN_ANSWERS = 10


@dataclass(frozen=True)
class BadgeRule:
    """A badge: its stored name, what the student reads, and when it is earned.

    ``possible`` is a cheap necessary condition checked first (no query, or
    one the event needs anyway): every answer runs the rules, and most of the
    time nothing can be earned.
    """

    name: str
    title: str
    description: str
    on: tuple[type, ...]
    earned: Callable[[Session, User, Event], bool]
    possible: Callable[[Session, User, Event], bool] | None = None


def _answered(s: Session, user: User) -> int:
    return int(
        s.scalar(
            select(func.count())
            .select_from(Response)
            .where(
                Response.user_id == user.user_id,
                Response.skipped.is_(False),
                Response.answer.is_not(None),
            )
        )
        or 0
    )


def _questions(n: int) -> Callable[[Session, User, Event], bool]:
    return lambda s, user, event: _answered(s, user) >= n


def _seen_at_least(n: int) -> Callable[[Session, User, Event], bool]:
    # Questions with a response (skips too): at least as many as answered ones,
    # and the next question's selection reads the same set in this transaction.
    return lambda s, user, event: len(seen_question_ids(s, user.user_id)) >= n


def _streak(n: int) -> Callable[[Session, User, Event], bool]:
    return lambda s, user, event: (user.streak or 0) >= n


def _first_diagnostic(s: Session, user: User, event: Event) -> bool:
    return isinstance(event, SessionFinished) and event.session_kind == "diagnostic"


def _first_full_test(s: Session, user: User, event: Event) -> bool:
    return isinstance(event, TestFinished) and event.session_kind == "full" and not event.early


def _score(n: int) -> Callable[[Session, User, Event], bool]:
    return lambda s, user, event: (
        isinstance(event, TestFinished) and event.total is not None and event.total >= n
    )


def _mastery(code: str) -> Callable[[Session, User, Event], bool]:
    def check(s: Session, user: User, event: Event) -> bool:
        row = _skill_estimates(s, user.user_id).get(code)
        return row is not None and row.theta >= MASTERY_THETA and row.n_items >= MASTERY_MIN_ANSWERS

    return check


def _skill_estimates(s: Session, user_id: str) -> dict[str, Proficiency]:
    """The newest estimate of every skill, read once per evaluation (29 rules ask)."""
    memo = s.info.setdefault(_SKILL_MEMO, {})
    if user_id not in memo:
        memo[user_id] = latest_proficiencies(s, user_id, "skill")
    return memo[user_id]  # type: ignore[no-any-return]


_SKILL_MEMO = "badges.skill_estimates"
ENDS = (SessionFinished, TestFinished)

RULES: tuple[BadgeRule, ...] = (
    BadgeRule(
        "first_diagnostic",
        "First diagnostic",
        "You took the diagnostic and have a profile.",
        (SessionFinished,),
        _first_diagnostic,
    ),
    BadgeRule(
        "streak_7",
        "7-day streak",
        "Seven days in a row.",
        (AnswerRecorded,),
        _streak(7),
        _streak(7),
    ),
    BadgeRule(
        "streak_30",
        "30-day streak",
        "A month in a row.",
        (AnswerRecorded,),
        _streak(30),
        _streak(30),
    ),
    BadgeRule(
        "streak_100",
        "100-day streak",
        "A hundred days in a row.",
        (AnswerRecorded,),
        _streak(100),
        _streak(100),
    ),
    BadgeRule(
        "questions_100",
        "100 questions",
        "100 questions answered.",
        (AnswerRecorded,),
        _questions(100),
        _seen_at_least(100),
    ),
    BadgeRule(
        "questions_1000",
        "1000 questions",
        "1000 questions answered.",
        (AnswerRecorded,),
        _questions(1000),
        _seen_at_least(1000),
    ),
    BadgeRule(
        "first_full_test",
        "First full test",
        "You sat a whole full-length test.",
        (TestFinished,),
        _first_full_test,
    ),
    BadgeRule(
        "score_1200", "1200 club", "A full test total of 1200+.", (TestFinished,), _score(1200)
    ),
    BadgeRule(
        "score_1400", "1400 club", "A full test total of 1400+.", (TestFinished,), _score(1400)
    ),
    BadgeRule(
        "score_1500", "1500 club", "A full test total of 1500+.", (TestFinished,), _score(1500)
    ),
    *(
        BadgeRule(
            f"mastery:{code}",
            f"Mastery: {skill.name}",
            f"{skill.name} at a mastery level (θ ≥ {MASTERY_THETA}, {MASTERY_MIN_ANSWERS}+ answers).",
            ENDS,
            _mastery(code),
        )
        for code, skill in SKILLS.items()
    ),
)
RULES_BY_NAME = {r.name: r for r in RULES}


def earned_names(s: Session, user_id: str) -> set[str]:
    """The names of the badges ``user_id`` holds."""
    return set(s.scalars(select(Badge.name).where(Badge.user_id == user_id)))


def award_badge(s: Session, user_id: str, name: str, now: datetime) -> bool:
    """Give a badge once; False when the student already has it."""
    exists = s.scalar(select(Badge.id).where(Badge.user_id == user_id, Badge.name == name))
    if exists is not None:
        return False
    s.add(Badge(user_id=user_id, name=name, awarded_at=now))
    s.flush()  # a racing duplicate fails here: the dispatcher retries the event
    return True


def evaluate(s: Session, user: User, event: Event, now: datetime) -> list[str]:
    """Award every badge ``event`` earns; the announcement lines of the new ones."""
    have: set[str] | None = None
    lines = []
    for rule in RULES:
        if not isinstance(event, rule.on):
            continue
        if rule.possible is not None and not rule.possible(s, user, event):
            continue
        if have is None:
            have = earned_names(s, user.user_id)
        if rule.name in have:
            continue
        if rule.earned(s, user, event) and award_badge(s, user.user_id, rule.name, now):
            lines.append(f"🏅 New badge: {rule.title}! {rule.description}")
    s.info.pop(_SKILL_MEMO, None)
    return lines


def title_of(name: str) -> str:
    """What the student reads for a stored badge name."""
    rule = RULES_BY_NAME.get(name)
    return rule.title if rule else name


def progress(s: Session, user: User) -> list[str]:
    """Lines about the nearest badges not yet earned (questions, streak, first test)."""
    have = earned_names(s, user.user_id)
    lines = []
    answered = _answered(s, user)
    for n in (100, 1000):
        if f"questions_{n}" not in have:
            lines.append(f"• {n} questions: {min(answered, n)}/{n}")
            break
    for n in (7, 30, 100):
        if f"streak_{n}" not in have:
            lines.append(f"• {n}-day streak: {min(user.streak or 0, n)}/{n}")
            break
    if "first_diagnostic" not in have:
        lines.append("• First diagnostic: take /diagnostic")
    if "first_full_test" not in have:
        lines.append("• First full test: sit a whole /test")
    return lines
