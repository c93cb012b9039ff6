"""What the model may see: a :class:`TutorContext`, built only by the rules here.

The key and the explanation of an item enter a context only when the
student has answered that item (a response of theirs exists and it is not
the open, unanswered question of their running session); the model request
is built from this object alone, so a prompt can never talk the tutor into
a key it was never given. No names and no ids go in: the model sees the
item, the student's answer and a level in words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.chat.render import key_text
from core.content.taxonomy import SKILLS
from core.db.models import PracticeSession, Question, Response
from core.services import practice, testing

TEST_KINDS = ("full", "section")
FULL_SOLUTION = 4  # the ladder: 1 nudge, 2 targeted hint, 3 worked step, 4 full solution
HINT_NAMES = {1: "a nudge", 2: "a targeted hint", 3: "a worked step", 4: "the full solution"}


@dataclass(frozen=True)
class ItemView:
    """The item as the student sees it (never its key)."""

    section: str
    skill: str  # the skill's name, e.g. "Transitions"
    skill_code: str
    difficulty: str
    kind: str  # mcq | spr
    stem: str
    passage: str | None = None
    passage2: str | None = None
    choices: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Answered:
    """What only exists once the student answered: their answer, the key, the explanation."""

    answer: str | None  # None: skipped or timed out
    correct: bool
    key: str
    explanation: str


@dataclass(frozen=True)
class TutorContext:
    """Everything one tutor exchange may use; build it with :func:`item_context`
    or :func:`general_context`, which enforce the key rule."""

    item: ItemView | None
    hints: tuple[str, ...]  # the item's hint steps up to the current level only
    hint_level: int
    level_words: str
    answered: Answered | None = None
    strategy_skill: str | None = None  # whose strategy notes to use
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_answered(self) -> bool:
        return self.answered is not None

    @property
    def max_level(self) -> int:
        """The highest rung allowed: the full solution only after answering."""
        return FULL_SOLUTION if self.is_answered else FULL_SOLUTION - 1


def live_test_module(s: Session, user_id: str, now: datetime) -> bool:
    """True while the user sits an open test module: timed and not yet over, or
    untimed (both simulate test day, so the tutor stays silent)."""
    session = practice.active_session(s, user_id)
    if session is None or session.test_type not in TEST_KINDS:
        return False
    module = testing.current_module(session)
    if module is None:
        return False
    return module.deadline_at is None or module.deadline_at > now


def answered_response(s: Session, user_id: str, q: Question) -> Response | None:
    """The student's newest response to ``q`` that unlocks its key, if any.

    A question that is the open, unanswered current question of the
    student's running session stays locked even if they met it before
    (a review session brings old misses back)."""
    active = practice.active_session(s, user_id)
    if active is not None and active.current_question_id == q.question_id:
        in_this = s.scalar(
            select(Response.id).where(
                Response.session_id == active.session_id, Response.question_id == q.question_id
            )
        )
        if in_this is None:
            return None
    return s.scalars(
        select(Response)
        .where(Response.user_id == user_id, Response.question_id == q.question_id)
        .order_by(Response.timestamp.desc(), Response.id.desc())
        .limit(1)
    ).first()


def describe_level(s: Session, user_id: str, skill: str | None, section: str | None) -> str:
    """The student's latest ability for the skill (else section) in words."""
    row = None
    where = ""
    if skill is not None:
        row = practice.latest_proficiency(s, user_id, "skill", skill)
        where = "in this skill"
    if row is None and section is not None:
        row = practice.latest_proficiency(s, user_id, "section", section)
        where = "in this section"
    if row is None:
        return "not measured yet (treat as a typical student)"
    theta = row.theta
    if theta < -1.0:
        words = "beginning"
    elif theta < -0.3:
        words = "developing"
    elif theta < 0.5:
        words = "solid"
    elif theta < 1.2:
        words = "strong"
    else:
        words = "advanced"
    return f"{words} {where}"


def item_view(q: Question) -> ItemView:
    """The student-visible part of an item."""
    skill = SKILLS.get(q.skill)
    choices = tuple(sorted((str(k), str(v)) for k, v in (q.options or {}).items()))
    return ItemView(
        section=q.section,
        skill=skill.name if skill else q.skill,
        skill_code=q.skill,
        difficulty=q.difficulty,
        kind=q.type,
        stem=q.text,
        passage=q.passage,
        passage2=q.passage2,
        choices=choices if q.type == "mcq" else (),
    )


def item_context(s: Session, user_id: str, q: Question, hint_level: int) -> TutorContext:
    """The context for a question: the key and explanation only if answered."""
    response = answered_response(s, user_id, q)
    answered = None
    if response is not None:
        answered = Answered(response.answer, response.correct, key_text(q), q.explanation or "")
    top = FULL_SOLUTION if answered else FULL_SOLUTION - 1
    level = max(1, min(hint_level, top))
    hints = tuple(str(h) for h in (q.hints or []))[: min(level, 3)]
    return TutorContext(
        item=item_view(q),
        hints=hints,
        hint_level=level,
        level_words=describe_level(s, user_id, q.skill, q.section),
        answered=answered,
        strategy_skill=q.skill,
    )


def general_context(s: Session, user_id: str, text: str) -> TutorContext:
    """The context of a question asked with no item in view (strategy only)."""
    skill = mentioned_skill(text)
    section = SKILLS[skill].section if skill else None
    return TutorContext(
        item=None,
        hints=(),
        hint_level=0,
        level_words=describe_level(s, user_id, skill, section),
        strategy_skill=skill,
    )


def mentioned_skill(text: str) -> str | None:
    """A skill the student's words name ("transitions", "circles"), if any."""
    low = " " + " ".join(text.lower().replace("_", " ").replace("-", " ").split()) + " "
    for code, skill in SKILLS.items():
        if f" {code.replace('_', ' ')} " in low or skill.name.lower() in low:
            return code
    for code, skill in SKILLS.items():
        words = [w for w in skill.name.lower().replace(",", "").split() if len(w) >= 6]
        if words and f" {words[0]} " in low:
            return code
    return None


def question_in_view(s: Session, user_id: str) -> tuple[Question, PracticeSession | None] | None:
    """The question /ask is about: the running session's current question, else
    the student's latest answered one; None when there is none."""
    active = practice.active_session(s, user_id)
    if active is not None and active.current_question_id is not None:
        q = s.get(Question, active.current_question_id)
        if q is not None:
            return q, active
    row = s.execute(
        select(Response, Question)
        .join(Question, Question.question_id == Response.question_id)
        .where(Response.user_id == user_id)
        .order_by(Response.timestamp.desc(), Response.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return row[1], s.get(PracticeSession, row[0].session_id)
