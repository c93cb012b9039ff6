"""/practice, /diagnostic and answering adaptive questions (buttons or typed)."""

from __future__ import annotations

import random

from core.chat.dispatcher import Context, action, command, text_route
from core.chat.errors import UserError
from core.chat.messages import EDIT_MAX_TEXT, Button, Edit, Outgoing, Text
from core.chat.render import (
    key_text,
    progress_bar,
    question_body,
    question_messages,
    reflow,
    topic_line,
)
from core.chat.tokens import Pressed, button_payload, new_token
from core.content.taxonomy import DOMAINS, SECTION_NAMES, SKILLS, find_topic
from core.db.models import PracticeSession, Question, ReviewCard
from core.irt.scale import section_score
from core.services import events, practice, review
from core.services.gamification import points_before_storing
from core.services.points import award, record_activity
from core.services.questions import PoolCache, check_answer

TEST_KINDS = ("full", "section")
DIAGNOSTIC_PER_DOMAIN = 3


def pool_cache(ctx: Context) -> PoolCache:
    cache = ctx.app.services.get("pool")
    if cache is None:
        cache = ctx.app.services["pool"] = PoolCache(bool(ctx.app.services.get("generators", True)))
    return cache  # type: ignore[no-any-return]


def practice_length(ctx: Context) -> int:
    settings = ctx.app.services.get("settings")
    return int(getattr(getattr(settings, "practice", None), "session_length", 10))


def target_success(ctx: Context) -> float:
    settings = ctx.app.services.get("settings")
    return float(getattr(getattr(settings, "practice", None), "target_success", 0.7))


def refuse_during_test(ctx: Context) -> None:
    current = practice.active_session(ctx.s, ctx.user.user_id)
    if current is not None and current.test_type in TEST_KINDS:
        raise UserError("You're in the middle of a test. Finish it, or end it with /stop, first.")


def _topic_help() -> str:
    lines = ["Choose a section, domain or skill, for example:", "/practice math", "/practice rw"]
    lines += [f"/practice {d.code} — {d.name}" for d in DOMAINS.values()]
    lines.append("…or a skill like /practice transitions (see /skills).")
    return "\n".join(lines)


@command(
    "practice", "Adaptive practice: a section, domain or skill (or your weakest)", usage="[topic]"
)
def practice_cmd(ctx: Context) -> list[Outgoing]:
    refuse_during_test(ctx)
    arg = ctx.args.strip().lower()
    resumed = _resume(ctx, "practice") if not arg else None
    if resumed is not None:
        return resumed
    if arg in ("math", "rw", "reading", "writing", "english"):
        section = "math" if arg == "math" else "rw"
        skills, label, topic = practice.topic_skills(section), SECTION_NAMES[section], section
    elif arg:
        found = find_topic(arg)
        if found is None:
            raise UserError(f"I don't know the topic {arg[:40]!r}.\n\n" + _topic_help())
        skills, label, topic = practice.topic_skills(found), found.name, found.code
    else:
        skills, label, topic = weakest_skills(ctx), "your weakest skills", None
    session = practice.start(
        ctx.s, ctx.user, "practice", skills, practice_length(ctx), ctx.now, topic=topic
    )
    return [
        Text(
            f"Practice: {label}. {session.target_count} questions, pitched so you get about "
            f"{round(target_success(ctx) * 100)}% right. /stop ends it any time."
        ),
        *ask(ctx, session),
    ]


def _resume(ctx: Context, kind: str) -> list[Outgoing] | None:
    """Show the running session's open question again (None: nothing to resume).

    After a lost reply (a crash, a network error) the answer is stored but
    the next question never arrived; the command brings it back.
    """
    current = practice.active_session(ctx.s, ctx.user.user_id)
    if current is None or current.test_type != kind or current.current_question_id is None:
        return None
    q = pool_cache(ctx).question(ctx.s, current.current_question_id)
    if q is None:
        return None
    done = len(practice.answered_in(ctx.s, current.session_id))
    how = (
        "/practice TOPIC starts another, /stop ends this one"
        if kind == "practice"
        else "/stop ends it"
    )
    return [
        Text(f"Picking up where you left off ({how})."),
        *_question(ctx, current, q, done),
    ]


def weakest_skills(ctx: Context) -> list[str]:
    """The three skills with the lowest stored ability (all skills for a newcomer)."""
    estimates = practice.latest_proficiencies(ctx.s, ctx.user.user_id, "skill")
    known = [(row.theta, code) for code, row in estimates.items() if code in SKILLS]
    if len(known) < 3:
        return list(SKILLS)
    return [code for _, code in sorted(known)[:3]]


@command("skills", "The 29 skills and their codes", section="Practice")
def skills_cmd(ctx: Context) -> list[Outgoing]:
    lines = []
    for domain in DOMAINS.values():
        lines.append(f"*{domain.name}* ({domain.code})")
        lines += [f"  {k.code} — {k.name}" for k in SKILLS.values() if k.domain == domain.code]
    return [Text("\n".join(lines))]


@command("diagnostic", "A short adaptive test across all eight domains that places you")
def diagnostic_cmd(ctx: Context) -> list[Outgoing]:
    refuse_during_test(ctx)
    resumed = _resume(ctx, "diagnostic")
    if resumed is not None:
        return resumed
    slots = [d.code for d in DOMAINS.values() for _ in range(DIAGNOSTIC_PER_DOMAIN)]
    session = practice.start(
        ctx.s,
        ctx.user,
        "diagnostic",
        list(SKILLS),
        len(slots),
        ctx.now,
        rule="info",
        extra={"slots": slots},
    )
    return [
        Text(
            f"Diagnostic: {len(slots)} questions across all eight domains, Reading and "
            "Writing first. Untimed; answer as you would on test day. /stop ends it."
        ),
        *ask(ctx, session),
    ]


def review_question(ctx: Context, session: PracticeSession, done: int) -> Question | None:
    """The next due card's item (or its generated twin) for a review session."""
    state = dict(session.state or {})
    cards: list[int] = state.get("cards", [])
    if done >= len(cards):
        return None
    card = ctx.s.get(ReviewCard, cards[done])
    if card is None:
        return None
    q = review.review_item(ctx.s, card, random.Random(f"{session.session_id}:{done}"))
    state["card_for"] = {**state.get("card_for", {}), q.question_id: card.id}
    session.state = state
    return q


def _slot_skills(session: PracticeSession, n_done: int) -> list[str] | None:
    slots = (session.state or {}).get("slots")
    if not slots or n_done >= len(slots):
        return None
    return [k.code for k in SKILLS.values() if k.domain == slots[n_done]]


def ask(ctx: Context, session: PracticeSession) -> list[Outgoing]:
    """Send the session's next question, or its summary when it is done."""
    answered = practice.answered_in(ctx.s, session.session_id, session.user_id, pool_cache(ctx))
    done = len(answered)
    total = session.target_count or 10
    if done >= total:
        return finish(ctx, session)
    if session.test_type == "review":
        q = review_question(ctx, session, done)
    else:
        q = practice.next_question(
            ctx.s,
            pool_cache(ctx),
            session,
            target_success(ctx),
            skills=_slot_skills(session, done),
            answered=answered,
        )
    if q is None:
        return [
            Text("I've run out of new questions for that topic, so this session ends here."),
            *finish(ctx, session),
        ]
    session.current_question_id = q.question_id
    session.asked_at = ctx.now
    return _question(ctx, session, q, done)


def _question(ctx: Context, session: PracticeSession, q: Question, done: int) -> list[Outgoing]:
    """The messages of the session's question number ``done + 1``, with a fresh token."""
    total = session.target_count or 10
    token = new_token(
        ctx.s,
        ctx.user.user_id,
        "answer",
        {"session": session.session_id, "question": q.question_id},
        ctx.now,
    )
    header = f"Q {done + 1}/{total} {progress_bar(done, total)}\n{topic_line(q)}"
    buttons = (
        (("Skip", "skip"),) if session.test_type != "diagnostic" else (("I don't know", "skip"),)
    )
    return question_messages(q, header, token, buttons)


def _current(ctx: Context, session_id: str, question_id: str) -> tuple[PracticeSession, Question]:
    # Loaded with the pressed token (tokens.resolve): no query here.
    session = ctx.s.get(PracticeSession, session_id)
    if session is None or session.user_id != ctx.user.user_id:
        raise UserError("That question is no longer open. Send /practice for a new one.")
    current = session.status == "active" and session.current_question_id == question_id
    q = pool_cache(ctx).question(ctx.s, question_id) if current else None
    if q is None:
        again = (
            f" Send /{session.test_type} to see where you are."
            if session.status == "active" and session.test_type in ("practice", "diagnostic")
            else ""
        )
        raise UserError("You've already answered that question." + again)
    return session, q


@action("answer")
def answer_button(ctx: Context, pressed: Pressed) -> list[Outgoing]:
    # The token is not marked used: the session's current question is the
    # guard (a second press finds it moved on), and the unique (session,
    # question) of responses backs it up; marking would cost a write per answer.
    session, q = _current(ctx, pressed.row.payload["session"], pressed.row.payload["question"])
    if pressed.arg == "skip":
        return answer(ctx, session, q, None, from_button=True)
    return answer(ctx, session, q, pressed.arg, from_button=True)


@text_route
def typed_answer(ctx: Context, text: str) -> list[Outgoing] | None:
    session = practice.active_session(ctx.s, ctx.user.user_id)
    if session is None or session.test_type not in practice.ADAPTIVE_KINDS:
        return None
    if session.current_question_id is None:
        return None
    q = pool_cache(ctx).question(ctx.s, session.current_question_id)
    assert q is not None
    return answer(ctx, session, q, text, from_button=False)


def answer(
    ctx: Context, session: PracticeSession, q: Question, raw: str | None, from_button: bool
) -> list[Outgoing]:
    """Check, store and give feedback; then the next question."""
    checked = None if raw is None else check_answer(q, raw)  # UserError: nothing changes
    right = bool(checked and checked.correct)
    points = 0
    if right and session.test_type == "practice":
        points = points_before_storing(ctx.s, ctx.user, q, session.test_type, ctx.now)
    # ask() below sets the next question or closes the session.
    response = practice.record(ctx.s, session, q, checked, ctx.now, points=points, clear=False)
    if points:
        award(ctx.s, ctx.user, points, "answer", f"response:{response.id}", ctx.now, fresh=True)
    record_activity(
        ctx.s, ctx.user, ctx.now, response.time_spent, questions=0 if checked is None else 1
    )
    out: list[Outgoing] = []
    answered_text = ""
    if from_button:
        mark = "skipped" if checked is None else f"your answer: {checked.answer}"
        answered_text = f"{question_body(q)}\n\n({mark})"
    if checked is None:
        verdict = f"Skipped. The answer is {key_text(q)}."
    elif right:
        verdict = "✅ Correct!" + (f" +{points} points" if points else "")
    else:
        verdict = f"❌ Not quite: you answered {checked.answer}. The answer is {key_text(q)}."
    if session.test_type == "review":
        card = ctx.s.get(ReviewCard, (session.state or {}).get("card_for", {}).get(q.question_id))
        if card is not None:
            due = review.rate(ctx.s, card, right, ctx.now)
            verdict += f"\nNext review of this one: {due.date().isoformat()}."
    elif not right:
        review.add_miss(ctx.s, ctx.user.user_id, q.question_id, ctx.now)
    news = events.publish(
        ctx.s,
        events.AnswerRecorded(
            ctx.user.user_id,
            session.session_id,
            session.test_type,
            response.id,
            q.question_id,
            right,
            checked is None,
        ),
        ctx.now,
    )
    following = ask(ctx, session)
    if session.test_type == "diagnostic":
        if answered_text:
            out.append(Edit(answered_text))
        out.append(Text("Got it." if checked is not None else "Noted."))
    else:
        # Made after the next question's token, so the three rows are one insert.
        token = new_token(
            ctx.s,
            ctx.user.user_id,
            "after",
            {"question": q.question_id, "session": session.session_id},
            ctx.now,
        )
        discuss = new_token(
            ctx.s, ctx.user.user_id, "discuss", {"question": q.question_id}, ctx.now
        )
        feedback = f"{verdict}\n\n{reflow(q.explanation)}"
        buttons = (
            (
                Button("Ask the tutor", button_payload(token, "tutor")),
                Button("Discuss", button_payload(discuss, "open")),
            ),
        )
        merged = f"{answered_text}\n\n{feedback}"
        if answered_text and len(merged) <= EDIT_MAX_TEXT:
            # The feedback goes into the answered question's message: one
            # message fewer per answer (Telegram limits a bot's messages per
            # second), and the verdict stays next to its question.
            out.append(Edit(merged, buttons=buttons, added=feedback))
        else:
            if answered_text:
                out.append(Edit(answered_text))
            out.append(Text(feedback, buttons=buttons))
    if news:
        out.append(Text("\n".join(news)))
    return out + following


def finish(ctx: Context, session: PracticeSession) -> list[Outgoing]:
    """Close the session and summarise it."""
    session.status = "finished"
    session.finished_at = ctx.now
    session.current_question_id = None
    results = practice.session_results(ctx.s, session.session_id)
    sections = sorted({q.section for _, q in results})
    estimates = practice.update_proficiencies(
        ctx.s, ctx.user.user_id, sections, ctx.now, session.session_id
    )
    right = sum(r.correct for r, _ in results)
    lines = [f"Session complete: {right}/{len(results)} correct."]
    for section in sections:
        est = estimates.get(section)
        if est is not None:
            score, low, high = section_score(est.theta, est.se)
            session.theta, session.standard_error = est.theta, est.se
            lines.append(f"{SECTION_NAMES[section]} estimate: {low}–{high} (best guess {score}).")
    if session.test_type == "diagnostic":
        lines.append("")
        lines.append("Your profile by domain (strongest first):")
        ranked = sorted(
            ((estimates[f"domain:{d}"].theta, d) for d in DOMAINS if f"domain:{d}" in estimates),
            reverse=True,
        )
        for theta, code in ranked:
            lines.append(f"• {DOMAINS[code].name}: about {section_score(theta, 0)[0]}")
        lines.append(
            "\nNext: /plan builds your study plan from this, or /practice your weakest area."
        )
    misses = sum(1 for r, _ in results if not r.correct)
    if misses:
        lines.append(f"{misses} missed question(s) saved for /review.")
    session.report = {"right": right, "total": len(results)}
    lines += events.publish(
        ctx.s,
        events.SessionFinished(
            ctx.user.user_id,
            session.session_id,
            session.test_type,
            right,
            len(results),
            session.topic,
        ),
        ctx.now,
    )
    return [Text("\n".join(lines))]


@command("stop", "End the current practice, diagnostic or test")
def stop_cmd(ctx: Context) -> list[Outgoing]:
    session = practice.active_session(ctx.s, ctx.user.user_id)
    if session is None:
        return [Text("Nothing is running. Send /practice to start.")]
    if session.test_type in TEST_KINDS:
        from core.chat.handlers.testing import stop_test

        return stop_test(ctx, session)
    if not practice.session_results(ctx.s, session.session_id):
        session.status = "abandoned"
        session.finished_at = ctx.now
        session.current_question_id = None
        return [Text("Stopped. Nothing was answered, so nothing was recorded.")]
    return finish(ctx, session)
