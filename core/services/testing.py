"""Full-length and one-section tests modelled on the Digital SAT.

Structure: each section has two modules (Reading and Writing 27 questions
in 32 minutes, Math 22 in 35), two of each module's questions are unscored
pretest items, and there is no going back to a closed module.

Multistage routing: module 1 is a broad mix of difficulty; when it closes,
the student's EAP ability over its operational items decides module 2:
θ ≥ ``ROUTING_CUT`` gets the harder module, otherwise the easier one. The
cut sits a little below the mean because on the real test a majority of
test-takers see the harder second module; the easier module still reaches
the middle of the scale, so routing caps nobody below ~600.

Within a module questions are grouped by skill (in the specification's
order) and run from easier to harder inside each group; pretest items sit
among them unmarked, as on the real test. A section score is the EAP over
all operational items of both modules, mapped to 200–800 by
:func:`core.services.scoring.section_score`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.content import generators
from core.content.item import Item
from core.content.taxonomy import DIFFICULTY_PRIOR_B, SKILLS, blueprint, skills_of
from core.db.models import PracticeSession, Question, Response, TestModule, TestModuleItem, User
from core.irt.estimate import Estimate, estimate_ability
from core.services.questions import PoolCache, seen_question_ids, store_item

MODULE_SIZE = {"rw": 27, "math": 22}
MODULE_MINUTES = {"rw": 32, "math": 35}
PRETEST_PER_MODULE = 2
ROUTING_CUT = -0.2
SECTION_ORDER = ("rw", "math")

# Target difficulty (b) ranges for the operational slots of each module kind.
ROUTE_RANGE = {"broad": (-1.6, 1.6), "easier": (-2.2, 0.4), "harder": (-0.4, 2.2)}
GENERATED_PER_SLOT = 2  # fresh generated candidates per skill and difficulty


@dataclass
class Candidate:
    """An item that could go into a module: stored already, or freshly generated."""

    skill: str
    b: float
    question_id: str | None = None
    item: Item | None = None

    @property
    def key(self) -> str:
        return self.question_id or (self.item.id if self.item else "")


def _allocate(shares: dict[str, float], n: int) -> dict[str, int]:
    """Split ``n`` slots by ``shares`` with the largest-remainder rule."""
    raw = {k: v * n for k, v in shares.items()}
    counts = {k: int(v) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: raw[k] - counts[k], reverse=True)[
        : n - sum(counts.values())
    ]:
        counts[k] += 1
    return counts


def _candidates(
    s: Session, cache: PoolCache, section: str, avoid: set[str], rng: random.Random
) -> dict[str, list[Candidate]]:
    """Candidates by domain: unseen stored items plus fresh generated ones."""
    pool = cache.get(s)
    out: dict[str, list[Candidate]] = {d: [] for d in blueprint(section)}
    rows = s.execute(
        select(Question.question_id, Question.skill, Question.domain, Question.b_param).where(
            Question.section == section, Question.retired.is_(False)
        )
    ).all()
    for qid, skill, domain, b in rows:
        if qid not in avoid and qid in pool.index:
            out[domain].append(Candidate(skill, b, question_id=qid))
    for domain in out if cache.use_generators else ():
        for skill in skills_of(domain):
            for gen in generators.by_skill(skill.code):
                for difficulty in DIFFICULTY_PRIOR_B:
                    for _ in range(GENERATED_PER_SLOT):
                        item = generators.make(gen.name, rng.randrange(1, 10**7), difficulty)  # type: ignore[arg-type]
                        if item.id not in avoid:
                            out[domain].append(
                                Candidate(skill.code, item.start_params().b, item=item)
                            )
    return out


def assemble_module(
    s: Session, cache: PoolCache, section: str, route: str, avoid: set[str], rng: random.Random
) -> list[tuple[Question, bool]]:
    """Choose and order a module's questions: [(question, is_pretest)]."""
    size = MODULE_SIZE[section]
    operational = size - PRETEST_PER_MODULE
    by_domain = _candidates(s, cache, section, avoid, rng)
    counts = _allocate(blueprint(section), operational)
    lo, hi = ROUTE_RANGE[route]
    chosen: list[Candidate] = []
    used: set[str] = set()
    for domain, n in counts.items():
        pool = [c for c in by_domain[domain] if c.key not in used]
        if not pool:
            continue
        targets = np.linspace(lo, hi, n) if n > 1 else np.array([(lo + hi) / 2])
        skills = sorted({c.skill for c in pool}, key=list(SKILLS).index)
        for i, target in enumerate(rng.sample(list(targets), len(targets))):
            # Rotate through the domain's skills so a module covers them all.
            want = skills[i % len(skills)]
            options = [c for c in pool if c.skill == want and c.key not in used] or [
                c for c in pool if c.key not in used
            ]
            if not options:
                break
            best = min(options, key=lambda c: (abs(c.b - target), rng.random()))
            chosen.append(best)
            used.add(best.key)
    rest = [c for cands in by_domain.values() for c in cands if c.key not in used]
    pretest = rng.sample(rest, min(PRETEST_PER_MODULE, len(rest)))
    ordered = sorted(chosen, key=lambda c: (list(SKILLS).index(c.skill), c.b))
    slots: list[tuple[Candidate, bool]] = [(c, False) for c in ordered]
    for c in pretest:
        slots.insert(rng.randrange(len(slots) + 1), (c, True))
    out = []
    for c, is_pretest in slots:
        q = store_item(s, c.item) if c.item is not None else s.get(Question, c.question_id)
        assert q is not None
        out.append((q, is_pretest))
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
    """Assemble and start a module (its clock starts now when timed)."""
    position = len(session.modules)
    rng = random.Random(f"{session.session_id}:{position}")
    items = assemble_module(s, cache, section, route, test_avoid(s, session), rng)
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
