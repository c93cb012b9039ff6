"""Nightly calibration from stored responses: parameters recovered, history kept."""

from __future__ import annotations

import numpy as np
from sqlalchemy import func, insert, select

from core.chat.dispatcher import App
from core.db.models import (
    CalibrationHistory,
    CalibrationRun,
    ItemStats,
    PracticeSession,
    Question,
    Response,
    User,
)
from core.services.calibration import run_calibration


def test_calibration_recovers_difficulty_and_records_history(app: App) -> None:
    rng = np.random.default_rng(5)
    now = app.clock()
    with app.db.uow() as s:
        items = list(
            s.scalars(
                select(Question)
                .where(Question.section == "math", Question.type == "mcq")
                .order_by(Question.question_id)
                .limit(24)
            )
        )
        true_b = rng.uniform(-1.5, 1.5, len(items))
        for q in items[:4]:
            q.is_anchor = True  # anchors keep their parameters
        for q in items[4:]:
            q.b_param = 0.0  # the prior before calibration
        truth = {
            q.question_id: (1.3, float(b) if not q.is_anchor else q.b_param, 0.2)
            for q, b in zip(items, true_b, strict=True)
        }
        users = [User(display_name=f"sim{i}") for i in range(500)]
        s.add_all(users)
        s.flush()
        sessions = [
            PracticeSession(user_id=u.user_id, test_type="practice", status="finished")
            for u in users
        ]
        s.add_all(sessions)
        s.flush()
        rows = []
        thetas = rng.normal(0, 1, len(users))
        for u, sess, theta in zip(users, sessions, thetas, strict=True):
            for q in items:
                a, b, c = truth[q.question_id]
                p = c + (1 - c) / (1 + np.exp(-a * (theta - b)))
                rows.append(
                    {
                        "session_id": sess.session_id,
                        "user_id": u.user_id,
                        "question_id": q.question_id,
                        "answer": "B",
                        "correct": bool(rng.random() < p),
                        "timestamp": now,
                    }
                )
        s.execute(insert(Response), rows)
    with app.db.uow() as s:
        summary = run_calibration(s, now, min_responses=100)
    assert summary.items == 20 and summary.anchors == 4
    with app.db.uow() as s:
        estimated = {
            q.question_id: q
            for q in s.scalars(select(Question).where(Question.calibrated_at.is_not(None)))
        }
        assert len(estimated) == 20
        errors = [estimated[qid].b_param - truth[qid][1] for qid in estimated]
        assert float(np.sqrt(np.mean(np.square(errors)))) < 0.35
        assert s.scalar(select(func.count()).select_from(CalibrationHistory)) == 24
        assert (
            s.scalar(
                select(ItemStats.exposures).where(ItemStats.question_id == items[0].question_id)
            )
            == 500
        )
        anchor = s.get(Question, items[0].question_id)
        assert anchor is not None and anchor.calibrated_at is None
    with app.db.uow() as s:
        run_calibration(s, now, min_responses=100)
        assert s.scalar(select(func.count()).select_from(CalibrationRun)) == 2


def test_calibration_skips_when_too_few_answers(app: App) -> None:
    with app.db.uow() as s:
        summary = run_calibration(s, app.clock())
    assert summary.items == 0 and "no item" in summary.note
