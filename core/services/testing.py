"""Full-length and one-section tests modelled on the Digital SAT.

Structure: each section has two modules (Reading and Writing 27 questions
in 32 minutes, Math 22 in 35), two of each module's questions are unscored
pretest items, and there is no going back to a closed module.

Multistage assembly is the IRT engine's (:mod:`core.irt.mst`), from the
student's unseen stored items plus freshly generated Math items: module 1 a
broad mix of difficulty, module 2 easier or harder, each to the section
blueprint and grouped by skill from easier to harder, pretest items among
them unmarked as on the real test. Module 2 is assembled when module 1
closes, for the route taken only, so the bank lasts for more tests.

Routing: when module 1 closes, the EAP over its operational items decides
module 2: θ ≥ ``ROUTING_CUT`` gets the harder module, otherwise the easier
one. The cut sits a little below the mean because on the real test a
majority of test-takers see the harder second module. A section score is
the EAP over all operational items of both modules, mapped to 200–800 by
:func:`core.irt.scale.section_score`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.chat.errors import UserError
from core.content import generators
from core.content.taxonomy import DEFAULT_A, DIFFICULTY_PRIOR_B, SKILLS, blueprint, skills_of
from core.db.models import PracticeSession, Question, Response, TestModule, TestModuleItem, User
from core.irt.estimate import Estimate, estimate_ability
from core.irt.mst import assemble_module
from core.services.questions import (
    DOMAIN_NAMES,
    SECTION_CODES,
    SKILL_NAMES,
    PoolCache,
    seen_question_ids,
    store_item,
)
from core.services.selection import VIRTUAL_C

MODULE_SIZE = {"rw": 27, "math": 22}
MODULE_MINUTES = {"rw": 32, "math": 35}
PRETEST_PER_MODULE = 2
ROUTING_CUT = -0.2
SECTION_ORDER = ("rw", "math")

GENERATED_PER_SLOT = 2  # fresh generated candidates per generator and difficulty
ROUTES = {"easy": "easier", "hard": "harder"}


@dataclass
class Candidate:
    """An item that could go into a module: stored already, or one a generator
    would write (``generated``: its generator, difficulty and seed; made only
    if the assembly chooses it)."""

    skill: str
    domain: str
    a: float
    b: float
    c: float
    question_id: str | None = None
    generated: tuple[str, str, int] | None = None

    @property
    def id(self) -> str:
        if self.generated is not None:
            return generators.item_id(*self.generated)
        assert self.question_id is not None
        return self.question_id


def _candidates(
    s: Session, cache: PoolCache, section: str, avoid: set[str], rng: random.Random
) -> list[Candidate]:
    """Unseen stored items of the section (the process's pool, in question id
    order) plus fresh generated ones, at their difficulty's prior parameters
    and the guessing parameter practice gives a generated candidate (a
    generator may write either answer type); only the chosen ones are made."""
    out: list[Candidate] = []
    pool = cache.get(s)
    for i in np.flatnonzero(pool.section == SECTION_CODES[section]).tolist():
        qid = pool.ids[i]
        if qid not in avoid:
            out.append(
                Candidate(
                    SKILL_NAMES[int(pool.skill[i])],
                    DOMAIN_NAMES[int(pool.domain[i])],
                    float(pool.a[i]),
                    float(pool.b[i]),
                    float(pool.c[i]),
                    question_id=qid,
                )
            )
    if cache.use_generators:
        for domain in blueprint(section):
            for skill in skills_of(domain):
                for gen in generators.by_skill(skill.code):
                    for difficulty, prior_b in DIFFICULTY_PRIOR_B.items():
                        for _ in range(GENERATED_PER_SLOT):
                            seed = rng.randrange(1, 10**7)
                            if generators.item_id(gen.name, difficulty, seed) not in avoid:
                                out.append(
                                    Candidate(
                                        skill.code,
                                        domain,
                                        DEFAULT_A,
                                        prior_b,
                                        VIRTUAL_C,
                                        generated=(gen.name, difficulty, seed),
                                    )
                                )
    return out


def assemble(
    s: Session, cache: PoolCache, section: str, route: str, avoid: set[str], seed: int
) -> list[tuple[Question, bool]]:
    """One module by the IRT engine's multistage assembly (core.irt.mst), as
    stored questions in delivery order with their pretest flags."""
    rng = random.Random(seed)
    cands = _candidates(s, cache, section, avoid, rng)
    shares = blueprint(section)
    domain_codes = {d: i for i, d in enumerate(shares)}
    skill_codes = {k: i for i, k in enumerate(SKILLS)}
    try:
        order, pretest = assemble_module(
            [c.a for c in cands],
            [c.b for c in cands],
            [c.c for c in cands],
            [domain_codes[c.domain] for c in cands],
            [skill_codes[c.skill] for c in cands],
            {domain_codes[d]: share for d, share in shares.items()},
            route={"broad": "broad", "easier": "easy", "harder": "hard"}[route],
            module_size=MODULE_SIZE[section],
            n_pretest=PRETEST_PER_MODULE,
            cut_theta=ROUTING_CUT,
            seed=seed,
        )
    except ValueError:
        raise UserError(
            "You've already seen nearly every question I have for that section, so I can't build "
            "a fresh test. Practise with /practice or /review instead."
        ) from None
    chosen = [cands[int(i)] for i in order]
    ids = [c.id for c in chosen]
    stored = {  # one query for the module's stored items, not one per item
        q.question_id: q for q in s.scalars(select(Question).where(Question.question_id.in_(ids)))
    }
    out = []
    for i, c, qid in zip(order, chosen, ids, strict=True):
        q = stored.get(qid)
        if q is None and c.generated is not None:
            name, difficulty, seed = c.generated
            q = store_item(s, generators.make(name, seed, difficulty), new=True)  # type: ignore[arg-type]
        assert q is not None
        out.append((q, int(i) in pretest))
    return out


def sections_of(session: PracticeSession) -> list[str]:
    return (session.section or "rw,math").split(",")


def start_test(
    s: Session, user: User, sections: list[str], timed: bool, now: datetime, kind: str = "full"
) -> PracticeSession:
    """Create the test session (modules are assembled as they start)."""
    session = PracticeSession(
        user_id=user.user_id,
        test_type=kind,
        section=",".join(sections),
        timed=timed,
        started_at=now,
        state={},
    )
    s.add(session)
    s.flush()
    return session


def test_avoid(s: Session, session: PracticeSession) -> set[str]:
    """Items this student must not meet: answered before, or already in this test."""
    avoid = seen_question_ids(s, session.user_id)
    avoid |= set(
        s.scalars(
            select(TestModuleItem.question_id)
            .join(TestModule, TestModule.id == TestModuleItem.module_id)
            .where(TestModule.session_id == session.session_id)
        )
    )
    return avoid


def open_module(
    s: Session,
    cache: PoolCache,
    session: PracticeSession,
    section: str,
    stage: int,
    route: str,
    now: datetime,
) -> TestModule:
    """Assemble and start a module (its clock starts now when timed). Module 2
    is assembled only after routing, so a test uses two modules' worth of the
    bank, and never an item of module 1 or one the student has seen."""
    position = len(session.modules)
    seed = random.Random(f"{session.session_id}:{position}").randrange(2**31)
    items = assemble(s, cache, section, route, test_avoid(s, session), seed)
    limit = MODULE_MINUTES[section] * 60 if session.timed else None
    module = TestModule(
        session_id=session.session_id,
        position=position,
        section=section,
        stage=stage,
        route=route,
        time_limit_s=limit,
        started_at=now,
        deadline_at=None if limit is None else now + timedelta(seconds=limit),
    )
    s.add(module)
    s.flush()
    for i, (q, is_pretest) in enumerate(items):
        s.add(
            TestModuleItem(
                module_id=module.id, position=i, question_id=q.question_id, is_pretest=is_pretest
            )
        )
    s.flush()
    s.refresh(session)
    return module


def current_module(session: PracticeSession) -> TestModule | None:
    """The open module of a test, if any."""
    for module in session.modules:
        if module.ended_at is None:
            return module
    return None


def module_responses(s: Session, module: TestModule) -> dict[str, Response]:
    """Answers given in a module, by question id."""
    return {
        r.question_id: r for r in s.scalars(select(Response).where(Response.module_id == module.id))
    }


def close_module(s: Session, module: TestModule, now: datetime) -> None:
    """Close a module: unanswered questions are stored as wrong (no answer)."""
    if module.ended_at is not None:
        return
    answered = module_responses(s, module)
    end = now if module.deadline_at is None else min(now, module.deadline_at)
    for item in module.items:
        if item.question_id not in answered:
            s.add(
                Response(
                    session_id=module.session_id,
                    user_id=module.session.user_id,
                    question_id=item.question_id,
                    module_id=module.id,
                    answer=None,
                    correct=False,
                    skipped=True,
                    is_pretest=item.is_pretest,
                    time_spent=0,
                    timestamp=end,
                )
            )
    module.ended_at = end
    s.flush()


def module_estimate(s: Session, modules: list[TestModule]) -> Estimate:
    """EAP over the operational items of ``modules`` (prior N(0, 1))."""
    ids = [m.id for m in modules]
    rows = s.execute(
        select(Response.correct, Question.a_param, Question.b_param, Question.c_param)
        .join(Question, Question.question_id == Response.question_id)
        .where(Response.module_id.in_(ids), Response.is_pretest.is_(False))
    ).all()
    if not rows:
        return Estimate(0.0, 1.0)
    x, a, b, c = (np.array(col, dtype=float) for col in zip(*rows, strict=True))
    return estimate_ability(x, a, b, c)


def route_after(estimate: Estimate) -> str:
    """The module-2 route for a module-1 estimate (see the module docstring)."""
    return "harder" if estimate.theta >= ROUTING_CUT else "easier"


def expired(module: TestModule, now: datetime) -> bool:
    return module.deadline_at is not None and module.ended_at is None and now >= module.deadline_at


def expire_modules(s: Session, now: datetime) -> list[str]:
    """Close every timed module whose time is up (the scheduler runs this):
    returns the ids of the sessions touched so they can be advanced."""
    modules = s.scalars(
        select(TestModule).where(TestModule.ended_at.is_(None), TestModule.deadline_at <= now)
    ).all()
    for module in modules:
        close_module(s, module, now)
    return sorted({m.session_id for m in modules})
