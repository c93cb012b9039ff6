"""What parents and tutors see of a linked student: reports and weekly digests."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.content.taxonomy import DOMAINS, SECTION_NAMES, SKILLS
from core.db.models import (
    ActivityDay,
    PracticeSession,
    Proficiency,
    Question,
    Response,
    StudyPlan,
    StudyPlanAction,
    User,
)
from core.irt.scale import section_score
from core.services.charts import progress_chart
from core.services.profile import local_today


def _latest(s: Session, user_id: str, scope: str) -> dict[str, Proficiency]:
    out: dict[str, Proficiency] = {}
    for row in s.scalars(
        select(Proficiency)
        .where(Proficiency.user_id == user_id, Proficiency.scope == scope)
        .order_by(Proficiency.timestamp, Proficiency.id)
    ):
        key = (
            row.section if scope == "section" else (row.domain if scope == "domain" else row.skill)
        )
        out[key or ""] = row
    return out


def score_lines(s: Session, student: User) -> list[str]:
    """Score range per section and per domain from the newest estimates."""
    lines = []
    for section, row in sorted(_latest(s, student.user_id, "section").items()):
        score, low, high = section_score(row.theta, row.standard_error)
        lines.append(
            f"{SECTION_NAMES[section]}: {score} (range {low}–{high}, {row.n_items} answers)"
        )
    for domain, row in sorted(_latest(s, student.user_id, "domain").items()):
        score, low, high = section_score(row.theta, row.standard_error)
        lines.append(f"  • {DOMAINS[domain].name}: {low}–{high}")
    return lines or ["No estimates yet (no diagnostic or practice so far)."]


def plan_adherence(s: Session, student_id: str, now: datetime, days: int = 14) -> tuple[int, int]:
    """(done, due) plan actions due in the last ``days`` days."""
    since = now - timedelta(days=days)
    rows = s.execute(
        select(StudyPlanAction.completed)
        .join(StudyPlan, StudyPlan.plan_id == StudyPlanAction.plan_id)
        .where(
            StudyPlan.user_id == student_id,
            StudyPlanAction.due_date >= since,
            StudyPlanAction.due_date <= now,
        )
    ).all()
    return sum(1 for (done,) in rows if done is not None), len(rows)


def tutor_report(s: Session, student: User, now: datetime) -> tuple[str, bytes | None]:
    """The full report a linked tutor or parent asks for, and its chart."""
    lines = [f"*Report: {student.display_name or student.username or 'student'}*"]
    lines += score_lines(s, student)
    lines.append(
        f"\nStreak: {student.streak} day(s) (best {student.best_streak}); points {student.points}"
    )
    done, due = plan_adherence(s, student.user_id, now)
    lines.append(
        f"Plan: {done}/{due} actions done in the last 14 days"
        if due
        else "Plan: nothing due in the last 14 days"
    )
    sessions = list(
        s.scalars(
            select(PracticeSession)
            .where(PracticeSession.user_id == student.user_id, PracticeSession.status == "finished")
            .order_by(PracticeSession.finished_at.desc())
            .limit(5)
        )
    )
    if sessions:
        lines.append("\n*Recent sessions*")
        for sess in sessions:
            right = s.scalar(
                select(func.count())
                .select_from(Response)
                .where(Response.session_id == sess.session_id, Response.correct.is_(True))
            )
            total = s.scalar(
                select(func.count())
                .select_from(Response)
                .where(Response.session_id == sess.session_id)
            )
            when = sess.finished_at.date().isoformat() if sess.finished_at else "?"
            lines.append(
                f"• {when} {sess.test_type}{' ' + sess.topic if sess.topic else ''}: {right}/{total}"
            )
        last = sessions[0]
        misses = s.execute(
            select(Response, Question)
            .join(Question, Question.question_id == Response.question_id)
            .where(
                Response.session_id == last.session_id,
                Response.correct.is_(False),
                Response.is_pretest.is_(False),
            )
            .order_by(Response.id)
        ).all()
        if misses:
            lines.append("\n*Misses in the last session*")
            for r, q in misses[:15]:
                stem = q.text.strip().replace("\n", " ")
                key = q.correct_answer[0] if q.type == "mcq" else " or ".join(q.correct_answer)
                lines.append(
                    f"• {SKILLS[q.skill].name}: “{stem[:90]}{'…' if len(stem) > 90 else ''}” "
                    f"— answered {r.answer or 'nothing'}, key {key}"
                )
    return "\n".join(lines), progress_png(s, student.user_id)


def progress_png(s: Session, user_id: str) -> bytes | None:
    """The section-score-over-time chart of a student, or None with no data."""
    rows = list(
        s.scalars(
            select(Proficiency)
            .where(Proficiency.user_id == user_id, Proficiency.scope == "section")
            .order_by(Proficiency.timestamp, Proficiency.id)
        )
    )
    if not rows:
        return None
    series = {
        SECTION_NAMES[sec]: [
            (r.timestamp, *section_score(r.theta, r.standard_error))
            for r in rows
            if r.section == sec
        ]
        for sec in ("rw", "math")
    }
    return progress_chart({k: v for k, v in series.items() if v}, "Score estimate over time")


def weekly_digest(s: Session, student: User, now: datetime) -> str:
    """The parent's weekly digest text (the chart is attached at delivery)."""
    today = local_today(student.timezone, now)
    since = today - timedelta(days=7)
    questions, seconds = s.execute(
        select(
            func.coalesce(func.sum(ActivityDay.questions), 0),
            func.coalesce(func.sum(ActivityDay.seconds), 0),
        ).where(ActivityDay.user_id == student.user_id, ActivityDay.local_date > since)
    ).one()
    name = student.display_name or student.username or "Your student"
    lines = [
        f"*Weekly digest for {name}*",
        f"This week: {questions} questions, about {round(seconds / 60)} minutes of practice.",
        f"Streak: {student.streak} day(s).",
    ]
    lines += score_lines(s, student)
    skills = _latest(s, student.user_id, "skill")
    if skills:
        weakest = min(skills.values(), key=lambda r: r.theta)
        lines.append(f"Next focus: {SKILLS[weakest.skill or ''].name}.")
    return "\n".join(lines)
