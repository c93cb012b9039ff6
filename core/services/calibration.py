"""Nightly item calibration from accumulated responses, with its history.

Items with enough answers are re-estimated together by the IRT engine's
marginal maximum likelihood (EM with a Beta prior on guessing); anchor items
(``questions.is_anchor``) are held fixed so the scale does not drift, and
items with too few answers keep their current (prior) parameters. Each run
is recorded (``calibration_runs``) with every item's new parameters and
standard errors (``calibration_history``); item exposure counts are
refreshed in ``item_stats`` at the same time, off the answer path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.db.models import CalibrationHistory, CalibrationRun, ItemStats, Question, Response
from core.irt.calibrate import calibrate

MIN_RESPONSES = 50


@dataclass(frozen=True)
class CalibrationSummary:
    run_id: int
    items: int
    anchors: int
    responses: int
    skipped: int
    note: str


def refresh_item_stats(s: Session, now: datetime) -> int:
    """Exposure and success counts per item from the responses table."""
    learners = s.scalar(select(func.count(func.distinct(Response.user_id)))) or 0
    rows = s.execute(
        select(
            Response.question_id,
            func.count(),
            func.sum(case((Response.correct.is_(True), 1), else_=0)),
        ).group_by(Response.question_id)
    ).all()
    for qid, exposures, correct in rows:
        stats = s.get(ItemStats, qid) or ItemStats(question_id=qid)
        stats.exposures = int(exposures)
        stats.correct = int(correct or 0)
        stats.exposure_rate = float(exposures) / learners if learners else 0.0
        stats.updated_at = now
        s.add(stats)
    return len(rows)


def run_calibration(
    s: Session, now: datetime, min_responses: int = MIN_RESPONSES
) -> CalibrationSummary:
    """Calibrate every item with at least ``min_responses`` answers (anchors fixed)."""
    run = CalibrationRun(started_at=now, status="running")
    s.add(run)
    s.flush()
    refresh_item_stats(s, now)
    counts = dict(
        s.execute(select(Response.question_id, func.count()).group_by(Response.question_id)).all()
    )
    questions = {
        q.question_id: q
        for q in s.scalars(select(Question).where(Question.retired.is_(False)))
        if counts.get(q.question_id, 0) >= min_responses
        or (q.is_anchor and counts.get(q.question_id, 0) > 0)
    }
    skipped = sum(1 for qid, n in counts.items() if qid not in questions)
    free = [qid for qid, q in questions.items() if not q.is_anchor]
    if not free:
        run.status, run.finished_at = "skipped", now
        run.note = f"no item has {min_responses}+ answers yet"
        return CalibrationSummary(run.id, 0, 0, 0, skipped, run.note)
    ids = sorted(questions)
    col = {qid: j for j, qid in enumerate(ids)}
    answers = s.execute(
        select(Response.user_id, Response.question_id, Response.correct, Response.answer).where(
            Response.question_id.in_(ids)
        )
    ).all()
    users = {uid: i for i, uid in enumerate(sorted({r[0] for r in answers}))}
    matrix = np.full((len(users), len(ids)), np.nan)
    for uid, qid, correct, _answer in answers:
        matrix[users[uid], col[qid]] = 1.0 if correct else 0.0
    init = tuple(
        np.array([getattr(questions[q], f) for q in ids]) for f in ("a_param", "b_param", "c_param")
    )
    fixed = np.array([questions[q].is_anchor for q in ids])
    result = calibrate(matrix, init=init, fixed=fixed, min_responses=min_responses)  # type: ignore[arg-type]
    for j, qid in enumerate(ids):
        q = questions[qid]
        s.add(
            CalibrationHistory(
                run_id=run.id,
                question_id=qid,
                a_param=float(result.a[j]),
                b_param=float(result.b[j]),
                c_param=float(result.c[j]),
                se_a=float(result.se_a[j]),
                se_b=float(result.se_b[j]),
                se_c=float(result.se_c[j]),
                n_responses=int(counts[qid]),
                created_at=now,
            )
        )
        if not q.is_anchor:
            q.a_param, q.b_param, q.c_param = (
                float(result.a[j]),
                float(result.b[j]),
                float(result.c[j]),
            )
            q.calibrated_at = now
    run.status, run.finished_at = "done", now
    run.n_items, run.n_responses = len(free), len(answers)
    run.note = f"{result.iterations} EM cycles, converged={result.converged}"
    return CalibrationSummary(run.id, len(free), int(fixed.sum()), len(answers), skipped, run.note)
