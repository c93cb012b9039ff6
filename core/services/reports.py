"""The score report of a full or section test."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.content.taxonomy import DOMAINS, SECTION_NAMES, SKILLS
from core.db.models import PracticeSession, Question, Response, TestModule
from core.irt.estimate import estimate_ability, group_abilities
from core.irt.scale import section_score, total_score


@dataclass
class SectionResult:
    section: str
    theta: float
    se: float
    score: int
    low: int
    high: int
    routes: list[str]
    correct: int
    operational: int


@dataclass
class Miss:
    number: str  # e.g. "Math M2 Q7"
    question_id: str
    skill: str
    answer: str | None
    key: str


@dataclass
class TestReport:
    sections: list[SectionResult]
    total: tuple[int, int, int] | None
    domains: list[tuple[str, int]]  # (domain code, scale score)
    seconds_per_question: dict[str, float]  # module label → mean seconds
    slowest: list[tuple[str, int]]
    misses: list[Miss] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def text(self, early: bool = False) -> str:
        """The report as chat text."""
        lines = [
            "*Score report*" + (" (ended early: scores cover what you answered)" if early else "")
        ]
        if self.total:
            t, lo, hi = self.total
            lines.append(f"Total: {t} (likely range {lo}–{hi})")
        for r in self.sections:
            lines.append(
                f"{SECTION_NAMES[r.section]}: {r.score} (range {r.low}–{r.high}); "
                f"{r.correct}/{r.operational} scored questions right; module 2 was {r.routes[-1] if len(r.routes) > 1 else 'not reached'}"
            )
        if self.domains:
            lines.append("\n*By domain*")
            lines += [f"• {DOMAINS[d].name}: about {score}" for d, score in self.domains]
        if self.seconds_per_question:
            lines.append("\n*Time per question*")
            lines += [
                f"• {label}: {secs:.0f} s on average"
                for label, secs in self.seconds_per_question.items()
            ]
        if self.slowest:
            lines.append("Slowest: " + ", ".join(f"{n} ({s} s)" for n, s in self.slowest))
        if self.misses:
            lines.append(f"\n*Missed ({len(self.misses)})* — all saved for /review")
            for m in self.misses[:40]:
                given = m.answer if m.answer is not None else "no answer"
                lines.append(f"• {m.number} · {SKILLS[m.skill].name}: you {given}, key {m.key}")
            if len(self.misses) > 40:
                lines.append(f"…and {len(self.misses) - 40} more.")
        return "\n".join(lines)

    def chart(self) -> bytes | None:
        from core.services.charts import score_chart

        rows = [(SECTION_NAMES[r.section], r.score, r.low, r.high) for r in self.sections]
        rows += [(DOMAINS[d].name, score, score, score) for d, score in self.domains]
        return score_chart(rows, "Score report") if rows else None


def test_report(s: Session, session: PracticeSession) -> TestReport:
    """Score every section of a test (EAP over both modules' operational items)."""
    modules = list(
        s.scalars(
            select(TestModule)
            .where(TestModule.session_id == session.session_id)
            .order_by(TestModule.position)
        )
    )
    label = {m.id: f"{'R&W' if m.section == 'rw' else 'Math'} M{m.stage}" for m in modules}
    sections: list[SectionResult] = []
    domains: list[tuple[str, int]] = []
    misses: list[Miss] = []
    per_module: dict[str, float] = {}
    timings: list[tuple[str, int]] = []
    for section in dict.fromkeys(m.section for m in modules):
        mods = [m for m in modules if m.section == section]
        rows = list(
            s.execute(
                select(Response, Question)
                .join(Question, Question.question_id == Response.question_id)
                .where(Response.module_id.in_([m.id for m in mods]))
            ).all()
        )
        position = {(it.module_id, it.question_id): it.position for m in mods for it in m.items}
        op = [(r, q) for r, q in rows if not r.is_pretest]
        if not op:
            continue
        x = np.array([float(r.correct) for r, _ in op])
        a, b, c = (
            np.array([getattr(q, f) for _, q in op]) for f in ("a_param", "b_param", "c_param")
        )
        est = estimate_ability(x, a, b, c)
        score, low, high = section_score(est.theta, est.se)
        sections.append(
            SectionResult(
                section,
                est.theta,
                est.se,
                score,
                low,
                high,
                [m.route for m in mods],
                int(x.sum()),
                len(op),
            )
        )
        codes = sorted({q.domain for _, q in op})
        groups = np.array([codes.index(q.domain) for _, q in op])
        for idx, sub in group_abilities(x, a, b, c, groups, est).items():
            domains.append((codes[idx], section_score(sub.theta, 0.0)[0]))
        for m in mods:
            spent = [r.time_spent for r, _ in rows if r.module_id == m.id and r.answer is not None]
            if spent:
                per_module[label[m.id]] = float(np.mean(spent))
        for r, q in rows:
            number = f"{label[r.module_id]} Q{position[(r.module_id, q.question_id)] + 1}"
            if r.answer is not None:
                timings.append((number, r.time_spent))
            if not r.correct and not r.is_pretest:
                key = q.correct_answer[0] if q.type == "mcq" else " or ".join(q.correct_answer)
                misses.append(Miss(number, q.question_id, q.skill, r.answer, key))
    total = None
    by = {r.section: r for r in sections}
    if "rw" in by and "math" in by:
        total = total_score((by["rw"].theta, by["rw"].se), (by["math"].theta, by["math"].se))
    slowest = sorted(timings, key=lambda t: -t[1])[:3]
    return TestReport(sections, total, domains, per_module, slowest, misses)
