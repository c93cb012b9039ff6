"""Session reviews: a short note on the misses of a finished practice or test.

Stored per skill: every missed response gets its skill's note in
``responses.review_text`` (so /review shows under each miss what to do about
that kind of question), and the chat announces a summary line plus the
notes. The model writes it in one call when one is configured for reviews
(:func:`use_tutor`, by the composition root); otherwise, or if it fails, the
offline tutor writes it from skill counts and each skill's strategy notes.

A review is written while the student's last answer is being recorded. The
answer's transaction is committed before the model is called (as the tutor
does, :func:`core.tutor.exchange.end_transaction`), so a hanging endpoint
holds no connection or lock another student needs; the review's notes and
the log row go in a second transaction. It makes a single attempt (no
retries): the student waits one ``timeout_s`` at most for the session's
summary, and a time-out trips the model's cooldown for everyone after.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.chat.render import key_text
from core.content.taxonomy import SKILLS
from core.db.models import Question, Response, TutorInteraction, User
from core.services.events import SessionFinished, TestFinished, subscribe
from core.tutor.budget import spent_reason
from core.tutor.client import ModelError
from core.tutor.exchange import Tutor, end_transaction
from core.tutor.prompts import REVIEW_PROMPT
from core.tutor.strategies import strategy_notes

log = logging.getLogger(__name__)
REVIEWED_KINDS = ("practice", "review", "full", "section")
MAX_MISSES_SENT = 15
MAX_SKILLS_SHOWN = 5
_tutor: Tutor | None = None


def use_tutor(tutor: Tutor | None) -> None:
    """Let reviews use ``tutor``'s model and budgets (None: offline reviews)."""
    global _tutor
    _tutor = tutor


def _skill_name(code: str) -> str:
    return SKILLS[code].name if code in SKILLS else code


def offline_note(skill: str, missed: int) -> str:
    """A skill's note: how many were missed and the first strategy tip."""
    tip = strategy_notes(skill).first_tip
    note = f"{_skill_name(skill)}: {missed} missed."
    if tip:
        note += f" Tip: {tip}"
    return note + f" Next: /practice {skill}"


def misses_of(s: Session, session_id: str) -> list[tuple[Response, Question]]:
    """The scored misses (wrong or blank) of a session, in order."""
    rows = s.execute(
        select(Response, Question)
        .join(Question, Question.question_id == Response.question_id)
        .where(
            Response.session_id == session_id,
            Response.correct.is_(False),
            Response.is_pretest.is_(False),
        )
        .order_by(Response.id)
    ).all()
    return [(r, q) for r, q in rows]


def _model_notes(
    s: Session,
    user: User,
    misses: list[tuple[Response, Question]],
    counts: Counter[str],
    now: datetime,
) -> tuple[str, dict[str, str]] | None:
    tutor = _tutor
    if tutor is None or tutor.model is None:
        return None
    if spent_reason(s, user, tutor.limits, now) is not None:
        return None
    data = [
        "Misses by skill: " + ", ".join(f"{k} ({_skill_name(k)}) ×{n}" for k, n in counts.items())
    ]
    for r, q in misses[:MAX_MISSES_SENT]:
        said = r.answer if r.answer is not None else "no answer"
        data.append(f"- {q.skill}: {q.text.strip()[:300]} | student: {said} | key: {key_text(q)}")
    messages = [
        {"role": "system", "content": REVIEW_PROMPT},
        {"role": "user", "content": "\n".join(data)},
    ]
    started = time.monotonic()
    row = TutorInteraction(
        user_id=user.user_id,
        session_id=misses[0][0].session_id,
        query="[session review]",
        response="",
        timestamp=now,
        model=tutor.model.model[:128],
        hint_level=0,
    )
    end_transaction(s)  # the answer is stored; the model call holds nothing (module notes)
    try:
        done = tutor.model.complete(messages, max_retries=0)  # see the module's notes
    except ModelError as exc:
        log.warning("session review fell back offline: %s", exc.reason)
        row.offline, row.error, row.response = True, exc.reason[:255], "(offline review)"
        row.duration = time.monotonic() - started
        s.add(row)
        return None
    row.offline = False
    row.response = done.text
    row.prompt_tokens, row.completion_tokens = done.prompt_tokens, done.completion_tokens
    row.duration = time.monotonic() - started
    s.add(row)
    summary, notes = "", {}
    for line in done.text.splitlines():
        m = re.match(r"^\W*([a-z_]+)\W*:\s*(.+)$", line.strip())
        if m and m.group(1) in counts:
            notes[m.group(1)] = f"{_skill_name(m.group(1))}: {m.group(2).strip()[:400]}"
        elif line.strip() and not summary:
            summary = line.strip()[:400]
    return summary, notes


def review_session(s: Session, user_id: str, session_id: str, now: datetime) -> list[str]:
    """Write the review of a finished session's misses; the lines to announce.

    Runs once: a session whose misses already carry a review is left alone."""
    misses = misses_of(s, session_id)
    if not misses or any(r.review_text for r, _ in misses):
        return []
    counts = Counter(q.skill for _, q in misses)
    counts = Counter(dict(counts.most_common()))
    notes = {skill: offline_note(skill, n) for skill, n in counts.items()}
    top = next(iter(counts))
    summary = (
        f"You missed {len(misses)}; most were in {_skill_name(top)} ({counts[top]}). Start there."
    )
    offline = True
    user = s.get(User, user_id)
    written = _model_notes(s, user, misses, counts, now) if user is not None else None
    if written is not None:
        offline = False
        summary = written[0] or summary
        notes.update(written[1])
    for r, q in misses:
        r.review_text = notes[q.skill]
    lines = ["", "📝 *Review of your misses*" + (" (offline tutor)" if offline else ""), summary]
    lines += [f"• {notes[k]}" for k in list(counts)[:MAX_SKILLS_SHOWN]]
    if len(counts) > MAX_SKILLS_SHOWN:
        lines.append(f"…and {len(counts) - MAX_SKILLS_SHOWN} more skills; see /review.")
    return lines


@subscribe(SessionFinished)
def on_session_finished(s: Session, event: SessionFinished, now: datetime) -> list[str] | None:
    """Review a finished practice or review session."""
    if event.session_kind not in REVIEWED_KINDS:
        return None
    return review_session(s, event.user_id, event.session_id, now)


@subscribe(TestFinished)
def on_test_finished(s: Session, event: TestFinished, now: datetime) -> list[str] | None:
    """Review a finished full or section test."""
    return review_session(s, event.user_id, event.session_id, now)
