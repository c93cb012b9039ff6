"""Sessions of adaptive questions: practice, the diagnostic and reviews.

A session is a row; the current question, when it was asked and the
engine's small state are columns, so any process can continue it. Each
answer is one ``responses`` row (unique per session and question), which is
what makes a repeated button press count once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import bindparam, event, insert, select
from sqlalchemy.orm import Session, SessionTransaction

from core.content.taxonomy import SKILLS, Domain, Skill, domains_of, skills_of
from core.db.models import PracticeSession, Proficiency, Question, Response, User
from core.irt.estimate import Estimate, estimate_ability, group_abilities
from core.services.questions import (
    Checked,
    PoolCache,
    history,
    note_response,
    seen_question_ids,
)
from core.services.selection import pick

ADAPTIVE_KINDS = ("practice", "diagnostic", "review")


def active_session(s: Session, user_id: str) -> PracticeSession | None:
    """The user's running session, if any (the newest).

    Read once per transaction: a typed answer is offered to each text route
    in turn, and each asks. The remembered answer is read again when a
    session is being added (pending, or flushed since) or the remembered one
    is no longer running.
    """
    memo: dict[str, PracticeSession | None] = s.info.setdefault(_ACTIVE_MEMO, {})
    if user_id in memo and not any(isinstance(o, PracticeSession) for o in s.new):
        found = memo[user_id]
        if found is None or (found.status == "active" and found.test_type != "worksheet"):
            return found
    found = memo[user_id] = s.scalars(_ACTIVE, {"user_id": user_id}).first()
    return found


_ACTIVE_MEMO = "practice.active"


@event.listens_for(Session, "before_flush")
def _new_sessions_forget_active(s: Session, _context: object, _instances: object) -> None:
    memo = s.info.get(_ACTIVE_MEMO)
    if memo and any(isinstance(o, PracticeSession) for o in s.new):
        memo.clear()  # in place: a query running this flush (autoflush) stores its answer


@event.listens_for(Session, "after_transaction_end")
def _forget_active(s: Session, transaction: SessionTransaction) -> None:
    # The end of the transaction, or of a savepoint (its sessions may be gone);
    # not the flush's own inner transaction.
    if transaction.parent is None or transaction.nested:
        s.info.pop(_ACTIVE_MEMO, None)


_ACTIVE = (  # built once: every typed answer and test answer runs it
    select(PracticeSession)
    .where(
        PracticeSession.user_id == bindparam("user_id"),
        PracticeSession.status == "active",
        # A worksheet stays open until synced; it is not a chat session.
        PracticeSession.test_type != "worksheet",
    )
    .order_by(PracticeSession.started_at.desc())
    .limit(1)
)


def topic_skills(topic: Domain | Skill | str | None) -> list[str]:
    """The skill codes a topic covers (a section code, a domain, a skill, or all)."""
    if topic is None:
        return list(SKILLS)
    if isinstance(topic, Skill):
        return [topic.code]
    if isinstance(topic, Domain):
        return [k.code for k in skills_of(topic.code)]
    return [k.code for d in domains_of(topic) for k in skills_of(d.code)]


def latest_proficiency(s: Session, user_id: str, scope: str, key: str) -> Proficiency | None:
    """The newest stored estimate for a section, domain or skill.

    Remembered for the rest of the transaction (an answer asks for the
    section estimate several times); :func:`update_proficiencies` forgets it.
    """
    memo: dict[tuple[str, str, str], Proficiency | None] = s.info.setdefault(_PROF_MEMO, {})
    memo_key = (user_id, scope, key)
    if memo_key in memo:
        return memo[memo_key]
    row = s.scalars(_LATEST[scope], {"user_id": user_id, "key": key}).first()
    memo[memo_key] = row
    return row


_LATEST = {
    scope: select(Proficiency)
    .where(
        Proficiency.user_id == bindparam("user_id"),
        Proficiency.scope == scope,
        column == bindparam("key"),
    )
    .order_by(Proficiency.timestamp.desc(), Proficiency.id.desc())
    .limit(1)
    for scope, column in (
        ("section", Proficiency.section),
        ("domain", Proficiency.domain),
        ("skill", Proficiency.skill),
    )
}
"""The newest-estimate queries, built once (every answer reads one)."""


def latest_proficiencies(s: Session, user_id: str, scope: str) -> dict[str, Proficiency]:
    """The newest estimate of every section, domain or skill of ``scope`` (one query)."""
    column = {
        "section": Proficiency.section,
        "domain": Proficiency.domain,
        "skill": Proficiency.skill,
    }[scope]
    newest: dict[str, Proficiency] = {}
    for row in s.scalars(
        select(Proficiency)
        .where(Proficiency.user_id == user_id, Proficiency.scope == scope)
        .order_by(Proficiency.timestamp.desc(), Proficiency.id.desc())
    ):
        newest.setdefault(getattr(row, column.key), row)
    return newest


_PROF_MEMO = "practice.latest_proficiency"


def prior_for(s: Session, user_id: str, section: str) -> Estimate:
    """The section ability known before this session (N(0, 1) for a newcomer)."""
    row = latest_proficiency(s, user_id, "section", section)
    if row is None:
        return Estimate(0.0, 1.0)
    return Estimate(row.theta, row.standard_error, n_items=row.n_items)


def _answered(s: Session, session_id: str) -> list[tuple[Response, Question]]:
    return list(
        s.execute(
            select(Response, Question)
            .join(Question, Question.question_id == Response.question_id)
            .where(Response.session_id == session_id)
            .order_by(Response.id)
        ).all()
    )


@dataclass(frozen=True)
class Answered:
    """What the engine needs of one answer of a session (no question text)."""

    correct: bool
    is_pretest: bool
    section: str
    a: float
    b: float
    c: float


def answered_in(
    s: Session, session_id: str, user_id: str | None = None, cache: PoolCache | None = None
) -> list[Answered]:
    """The session's answers in order, as the few columns selection needs.

    With the session's ``user_id`` and the process's ``cache``: from the
    user's history (read once per transaction, and read anyway to choose the
    next question) and the cache's question copies, with no query of its
    own, unless a question has no copy in this process.
    """
    if user_id is not None and cache is not None:
        rows = history(s, user_id).by_session.get(session_id, [])
        copies = cache.cached(s, [qid for qid, _, _ in rows])
        if copies is not None:
            return [
                Answered(correct, pretest, q.section, q.a_param, q.b_param, q.c_param)
                for (_, correct, pretest), q in zip(rows, copies, strict=True)
            ]
    return [
        Answered(bool(r[0]), bool(r[1]), r[2], r[3], r[4], r[5])
        for r in s.execute(_ANSWERED_IN, {"session_id": session_id})
    ]


_ANSWERED_IN = (
    select(
        Response.correct,
        Response.is_pretest,
        Question.section,
        Question.a_param,
        Question.b_param,
        Question.c_param,
    )
    .join(Question, Question.question_id == Response.question_id)
    .where(Response.session_id == bindparam("session_id"))
    .order_by(Response.id)
)


def provisional_theta(
    s: Session,
    session: PracticeSession,
    section: str,
    answered: list[Answered] | None = None,
) -> Estimate:
    """EAP after this session's answers in ``section``, from the prior ability
    (``answered``: the session's answers if the caller has them already)."""
    prior = prior_for(s, session.user_id, section)
    rows = [
        r
        for r in (answered if answered is not None else answered_in(s, session.session_id))
        if r.section == section and not r.is_pretest
    ]
    if not rows:
        return prior
    x = np.array([float(r.correct) for r in rows])
    a = np.array([r.a for r in rows])
    b = np.array([r.b for r in rows])
    c = np.array([r.c for r in rows])
    return estimate_ability(x, a, b, c, prior_mean=prior.theta, prior_sd=max(prior.se, 0.6))


@dataclass(frozen=True)
class Plan:
    """What a session draws from: the skills in scope and the selection rule."""

    skills: list[str]
    rule: str  # "target" (practice, ≈70% success) or "info" (diagnostic)


def session_plan(session: PracticeSession) -> Plan:
    state = session.state or {}
    return Plan(list(state.get("skills", list(SKILLS))), state.get("rule", "target"))


def start(
    s: Session,
    user: User,
    kind: str,
    skills: list[str],
    count: int,
    now: datetime,
    topic: str | None = None,
    rule: str = "target",
    extra: dict[str, object] | None = None,
) -> PracticeSession:
    """Open a session, closing any other adaptive session the user left open."""
    for old in s.scalars(
        select(PracticeSession).where(
            PracticeSession.user_id == user.user_id,
            PracticeSession.status == "active",
            PracticeSession.test_type.in_(ADAPTIVE_KINDS),
        )
    ):
        old.status = "abandoned"
        old.finished_at = now
        old.current_question_id = None
    session = PracticeSession(
        user_id=user.user_id,
        test_type=kind,
        topic=topic,
        target_count=count,
        started_at=now,
        state={"skills": skills, "rule": rule, **(extra or {})},
    )
    s.add(session)
    s.flush()
    return session


def next_question(
    s: Session,
    cache: PoolCache,
    session: PracticeSession,
    target_p: float,
    skills: list[str] | None = None,
    answered: list[Answered] | None = None,
) -> Question | None:
    """Choose the session's next question (none left: None)."""
    plan = session_plan(session)
    skills = skills or plan.skills
    section = SKILLS[skills[0]].section
    theta = provisional_theta(s, session, section, answered).theta
    seen = seen_question_ids(s, session.user_id)
    rng = random.Random(f"{session.session_id}:{len(seen)}")
    return pick(s, cache, skills, theta, seen, rng, rule=plan.rule, target_p=target_p)


@dataclass(frozen=True)
class Recorded:
    """A stored response: its id and the seconds it counted."""

    id: int
    time_spent: int


def record(
    s: Session,
    session: PracticeSession,
    q: Question,
    checked: Checked | None,
    now: datetime,
    points: int = 0,
    clear: bool = True,
) -> Recorded:
    """Store the answer (None: skipped) to the session's current question.

    One insert on the session's connection, past the ORM's unit of work
    (every answer runs it). The unique (session, question) refuses a second
    answer to the same question. ``clear=False``: the caller sets the
    session's next question (or closes it) in this transaction, so the
    session row is written once.
    """
    asked = session.asked_at or now
    time_spent = max(0, int((now - asked).total_seconds()))
    result = s.connection().execute(
        _INSERT_RESPONSE,
        {
            "session_id": session.session_id,
            "user_id": session.user_id,
            "question_id": q.question_id,
            "answer": None if checked is None else checked.answer,
            "correct": bool(checked and checked.correct),
            "skipped": checked is None,
            "time_spent": time_spent,
            "timestamp": now,
            "points_awarded": points,
        },
    )
    note_response(
        s,
        session.user_id,
        q.question_id,
        session.session_id,
        bool(checked and checked.correct),
        False,
    )
    if clear:
        session.current_question_id = None
        session.asked_at = None
    return Recorded(int(result.inserted_primary_key[0]), time_spent)


_INSERT_RESPONSE = insert(Response.__table__)


def update_proficiencies(
    s: Session, user_id: str, sections: list[str], now: datetime, session_id: str | None = None
) -> dict[str, Estimate]:
    """Re-estimate section, domain and skill abilities from all of the user's
    operational answers and store them as new proficiency rows."""
    rows = list(
        s.execute(
            select(
                Response.correct,
                Question.section,
                Question.domain,
                Question.skill,
                Question.a_param,
                Question.b_param,
                Question.c_param,
            )
            .join(Question, Question.question_id == Response.question_id)
            .where(Response.user_id == user_id, Response.is_pretest.is_(False))
        ).all()
    )
    s.info.pop(_PROF_MEMO, None)  # new rows follow: the remembered ones are old
    result: dict[str, Estimate] = {}
    for section in sections:
        mine = [r for r in rows if r[1] == section]
        if not mine:
            continue
        x = np.array([float(r[0]) for r in mine])
        a, b, c = (np.array([r[i] for r in mine]) for i in (4, 5, 6))
        est = estimate_ability(x, a, b, c)
        result[section] = est
        s.add(
            Proficiency(
                user_id=user_id,
                scope="section",
                section=section,
                theta=est.theta,
                standard_error=est.se,
                n_items=len(mine),
                session_id=session_id,
                timestamp=now,
            )
        )
        for scope, col in (("domain", 2), ("skill", 3)):
            codes = sorted({r[col] for r in mine})
            groups = np.array([codes.index(r[col]) for r in mine])
            for idx, sub in group_abilities(x, a, b, c, groups, est).items():
                code = codes[idx]
                domain = code if scope == "domain" else SKILLS[code].domain
                s.add(
                    Proficiency(
                        user_id=user_id,
                        scope=scope,
                        section=section,
                        domain=domain,
                        skill=code if scope == "skill" else None,
                        theta=sub.theta,
                        standard_error=sub.se,
                        n_items=int((groups == idx).sum()),
                        session_id=session_id,
                        timestamp=now,
                    )
                )
                result[f"{scope}:{code}"] = sub
    s.flush()
    return result


def session_results(s: Session, session_id: str) -> list[tuple[Response, Question]]:
    """The session's answers with their questions, in order."""
    return _answered(s, session_id)
