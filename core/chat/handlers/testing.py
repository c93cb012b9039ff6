"""/test: full-length and one-section tests, module by module, with timers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import joinedload

from core.chat.dispatcher import Context, action, command, text_route
from core.chat.errors import UserError
from core.chat.handlers.practice import pool_cache
from core.chat.messages import Button, Edit, Image, Outgoing, Text
from core.chat.render import question_messages
from core.chat.tokens import Pressed, button_payload, new_token
from core.content.taxonomy import SECTION_NAMES
from core.db.models import PracticeSession, Question, Response, TestModule
from core.services import events, practice, review, testing
from core.services.gamification import points_for_test
from core.services.points import award, record_activity
from core.services.questions import check_answer
from core.services.reports import test_report

TEST_POINTS = {"full": 100, "section": 50}


def _clock(module: TestModule, now: datetime) -> str:
    if module.deadline_at is None:
        return "untimed"
    left = max(0, int((module.deadline_at - now).total_seconds()))
    return f"⏱ {left // 60}:{left % 60:02d} left"


def _label(module: TestModule) -> str:
    return f"{SECTION_NAMES[module.section]} · Module {module.stage}"


@command(
    "test",
    "A full-length Digital SAT (or one section): /test, /test math, /test rw; add 'untimed'",
    usage="[math|rw] [untimed]",
)
def test_cmd(ctx: Context) -> list[Outgoing]:
    words = ctx.args.lower().split()
    current = practice.active_session(ctx.s, ctx.user.user_id)
    if current is not None and current.test_type in ("full", "section"):
        if words:
            raise UserError(
                "You already have a test running. Send /test to continue it, or /stop to end it."
            )
        return resume(ctx, current)
    unknown = [w for w in words if w not in ("math", "rw", "untimed", "timed", "full")]
    if unknown:
        raise UserError(
            f"I don't understand {unknown[0][:20]!r}. Use /test, /test math, /test rw, "
            "optionally with 'untimed'."
        )
    sections = [w for w in ("rw", "math") if w in words] or list(testing.SECTION_ORDER)
    kind = "full" if len(sections) == 2 else "section"
    timed = "untimed" not in words
    if current is not None:
        current.status = "abandoned"
        current.finished_at = ctx.now
    session = testing.start_test(ctx.s, ctx.user, sections, timed, ctx.now, kind)
    module = testing.open_module(ctx.s, pool_cache(ctx), session, sections[0], 1, "broad", ctx.now)
    parts = " then ".join(SECTION_NAMES[s] for s in sections)
    intro = (
        f"{'Full-length test' if kind == 'full' else 'Section test'}: {parts}. Each section has two "
        "modules; the second adapts to how the first went. "
        + (
            "Module timers run as on test day (R&W 32 min, Math 35 min); when time is up the module "
            "closes and unanswered questions count as wrong. "
            if timed
            else "Untimed. "
        )
        + "Within a module you can skip and come back; once a module closes you can't return to it. "
        "/stop ends the test."
    )
    return [Text(intro), *show(ctx, session, module, 0)]


def resume(ctx: Context, session: PracticeSession) -> list[Outgoing]:
    """Continue a test where it stands (after a restart, a break or a time-out)."""
    module = testing.current_module(session)
    if module is not None and testing.expired(module, ctx.now):
        return _close_and_advance(ctx, session, module, timed_out=True)
    if module is None:
        return _advance(ctx, session)
    pos = int((session.state or {}).get("pos", 0))
    return show(ctx, session, module, pos)


def show(
    ctx: Context,
    session: PracticeSession,
    module: TestModule,
    pos: int,
    answered: dict[str, Response] | None = None,
) -> list[Outgoing]:
    """Show the question at ``pos`` of the open module (``answered``: the
    module's answers, when the caller has them)."""
    item = module.items[pos]
    q = pool_cache(ctx).question(ctx.s, item.question_id)
    assert q is not None
    session.current_question_id = q.question_id
    session.asked_at = ctx.now
    session.state = {**(session.state or {}), "pos": pos}
    token = new_token(
        ctx.s,
        ctx.user.user_id,
        "test",
        {"session": session.session_id, "module": module.id, "pos": pos},
        ctx.now,
    )
    if answered is None:
        answered = testing.module_responses(ctx.s, module)
    mark = ""
    if q.question_id in answered:
        mark = f"\n(your answer so far: {answered[q.question_id].answer})"
    header = f"{_label(module)} · Q {pos + 1}/{len(module.items)} · {_clock(module, ctx.now)}{mark}"
    return question_messages(q, header, token, (("Skip ⏭", "skip"), ("Overview 📋", "overview")))


def _module_of(ctx: Context, pressed: Pressed) -> tuple[PracticeSession, TestModule]:
    session = ctx.s.get(PracticeSession, pressed.row.payload["session"])
    module = ctx.s.get(  # with its items: every press reads them
        TestModule, pressed.row.payload["module"], options=[joinedload(TestModule.items)]
    )
    if session is None or module is None or session.user_id != ctx.user.user_id:
        raise UserError("That test is no longer open. Send /test to start one.")
    if session.status != "active":
        raise UserError("That test has ended. Send /test to start a new one.")
    if module.ended_at is not None:
        raise UserError(
            "That module is closed, so its questions can't be changed. Send /test to continue."
        )
    return session, module


@action("test")
def test_button(ctx: Context, pressed: Pressed) -> list[Outgoing]:
    session, module = _module_of(ctx, pressed)
    if testing.expired(module, ctx.now):
        return _close_and_advance(ctx, session, module, timed_out=True)
    pos = int(pressed.row.payload["pos"])
    arg = pressed.arg
    if arg == "overview":
        return overview(ctx, session, module)
    if arg == "submit":
        return _close_and_advance(ctx, session, module, timed_out=False)
    if arg.startswith("go"):
        target = int(arg[2:]) if arg[2:].isdigit() else -1
        if not 0 <= target < len(module.items):
            raise UserError("That question number is not in this module.")
        return show(ctx, session, module, target)
    if arg == "skip":
        return [
            Edit(f"{_label(module)} · Q {pos + 1} skipped — you can come back to it."),
            *_next(ctx, session, module, pos),
        ]
    item = module.items[pos]
    q = pool_cache(ctx).question(ctx.s, item.question_id)
    assert q is not None
    out = _store(ctx, session, module, pos, q, arg)
    return [Edit(f"{_label(module)} · Q {pos + 1}: answer {arg} saved."), *out]


@text_route
def typed_test_answer(ctx: Context, text: str) -> list[Outgoing] | None:
    session = practice.active_session(ctx.s, ctx.user.user_id)
    if session is None or session.test_type not in ("full", "section"):
        return None
    module = testing.current_module(session)
    if module is None:
        return [Text("This module is closed. Send /test to continue with the next one.")]
    if testing.expired(module, ctx.now):
        return _close_and_advance(ctx, session, module, timed_out=True)
    pos = int((session.state or {}).get("pos", 0))
    q = pool_cache(ctx).question(ctx.s, module.items[pos].question_id)
    assert q is not None
    return [
        Text(f"Q {pos + 1}: answer {text.strip()[:16]} saved."),
        *_store(ctx, session, module, pos, q, text),
    ]


def _store(
    ctx: Context, session: PracticeSession, module: TestModule, pos: int, q: Question, raw: str
) -> list[Outgoing]:
    """Save (or change) the answer at ``pos`` while the module is open."""
    checked = check_answer(q, raw)  # UserError: nothing changes
    asked = session.asked_at or ctx.now
    # Time counts for the question on screen only: a press on an older message
    # (a double tap, a reply lost in a crash) must not add the next one's time.
    shown = int((session.state or {}).get("pos", 0)) == pos
    spent = max(0, int((ctx.now - asked).total_seconds())) if shown else 0
    answered = testing.module_responses(ctx.s, module)
    existing = answered.get(q.question_id)
    if existing is None:
        response = answered[q.question_id] = Response(
            session_id=session.session_id,
            user_id=session.user_id,
            question_id=q.question_id,
            module_id=module.id,
            answer=checked.answer,
            correct=checked.correct,
            is_pretest=module.items[pos].is_pretest,
            time_spent=spent,
            timestamp=ctx.now,
        )
        ctx.s.add(response)
    else:
        existing.answer, existing.correct = checked.answer, checked.correct
        existing.time_spent += spent
        existing.timestamp = ctx.now
    record_activity(ctx.s, ctx.user, ctx.now, spent)
    ctx.s.flush()
    if existing is None:
        events.publish(
            ctx.s,
            events.AnswerRecorded(
                ctx.user.user_id,
                session.session_id,
                session.test_type,
                response.id,
                q.question_id,
                checked.correct,
                False,
            ),
            ctx.now,
        )
    return _next(ctx, session, module, pos, answered)


def _next(
    ctx: Context,
    session: PracticeSession,
    module: TestModule,
    pos: int,
    answered: dict[str, Response] | None = None,
) -> list[Outgoing]:
    """The next unanswered question after ``pos`` (wrapping), or the submit prompt
    (``answered``: the module's answers, when the caller has them)."""
    if answered is None:
        answered = testing.module_responses(ctx.s, module)
    n = len(module.items)
    for step in range(1, n + 1):
        cand = (pos + step) % n
        if module.items[cand].question_id not in answered:
            return show(ctx, session, module, cand, answered)
    return overview(ctx, session, module, answered)


def overview(
    ctx: Context,
    session: PracticeSession,
    module: TestModule,
    answered: dict[str, Response] | None = None,
) -> list[Outgoing]:
    """Which questions of the module are answered, with jumps and submit."""
    if answered is None:
        answered = testing.module_responses(ctx.s, module)
    pos = int((session.state or {}).get("pos", 0))
    token = new_token(
        ctx.s,
        ctx.user.user_id,
        "test",
        {"session": session.session_id, "module": module.id, "pos": pos},
        ctx.now,
    )
    marks = []
    open_positions = []
    for i, item in enumerate(module.items):
        done = item.question_id in answered
        marks.append(f"{i + 1}{'✓' if done else '○'}")
        if not done:
            open_positions.append(i)
    text = (
        f"{_label(module)} — {_clock(module, ctx.now)}\n"
        f"Answered {len(answered)}/{len(module.items)}:\n" + " ".join(marks)
    )
    rows: list[tuple[Button, ...]] = []
    jumps = [Button(f"Q{i + 1}", button_payload(token, f"go{i}")) for i in open_positions[:10]]
    for start in range(0, len(jumps), 5):
        rows.append(tuple(jumps[start : start + 5]))
    rows.append((Button("Submit module ✅", button_payload(token, "submit")),))
    if open_positions:
        text += f"\n\n{len(open_positions)} unanswered: they count as wrong if you submit now."
    else:
        text += (
            "\n\nAll answered. Submit the module when you're ready; after that it can't be changed."
        )
    return [Text(text, buttons=tuple(rows))]


def _close_and_advance(
    ctx: Context, session: PracticeSession, module: TestModule, timed_out: bool
) -> list[Outgoing]:
    testing.close_module(ctx.s, module, ctx.now)
    session.current_question_id = None
    note = "⏰ Time's up: " if timed_out else ""
    out: list[Outgoing] = [Text(f"{note}{_label(module)} is closed.")]
    return out + _advance(ctx, session, announce=True)


def _advance(ctx: Context, session: PracticeSession, announce: bool = False) -> list[Outgoing]:
    """Open the next module, or finish the test after the last one."""
    ctx.s.refresh(session)
    modules = session.modules
    last = modules[-1]
    sections = testing.sections_of(session)
    if last.stage == 1:
        route = testing.route_after(testing.module_estimate(ctx.s, [last]))
        nxt = testing.open_module(ctx.s, pool_cache(ctx), session, last.section, 2, route, ctx.now)
        intro = f"{_label(nxt)}: {len(nxt.items)} questions" + (
            f", {nxt.time_limit_s // 60} minutes." if nxt.time_limit_s else "."
        )
        return [Text(intro), *show(ctx, session, nxt, 0)]
    index = sections.index(last.section)
    if index + 1 < len(sections):
        section = sections[index + 1]
        nxt = testing.open_module(ctx.s, pool_cache(ctx), session, section, 1, "broad", ctx.now)
        return [
            Text(
                f"Now {SECTION_NAMES[section]}. {_label(nxt)}: {len(nxt.items)} questions"
                + (f", {nxt.time_limit_s // 60} minutes." if nxt.time_limit_s else ".")
            ),
            *show(ctx, session, nxt, 0),
        ]
    return finish_test(ctx, session)


def finish_test(ctx: Context, session: PracticeSession, early: bool = False) -> list[Outgoing]:
    """Score the test, store abilities, schedule misses for review, report."""
    session.status = "finished"
    session.finished_at = ctx.now
    session.current_question_id = None
    report = test_report(ctx.s, session)
    session.report = report.as_dict()
    total = report.total
    if total is not None:
        session.theta = report.sections[0].theta
    practice.update_proficiencies(
        ctx.s, ctx.user.user_id, [s.section for s in report.sections], ctx.now, session.session_id
    )
    for miss in report.misses:
        review.add_miss(ctx.s, ctx.user.user_id, miss.question_id, ctx.now)
    answered = sum(1 for r in session.responses if r.answer is not None)
    points = points_for_test(
        TEST_POINTS[session.test_type], answered, len(session.responses), early
    )
    award(ctx.s, ctx.user, points, "test", f"test:{session.session_id}", ctx.now)
    news = events.publish(
        ctx.s,
        events.TestFinished(
            ctx.user.user_id,
            session.session_id,
            session.test_type,
            total[0] if total else None,
            {r.section: r.score for r in report.sections},
            early,
        ),
        ctx.now,
    )
    out: list[Outgoing] = [Text(report.text(early=early))]
    if news:
        out.append(Text("\n".join(news)))
    chart = report.chart()
    if chart:
        out.append(
            Image(chart, caption="Your scores with their ranges", filename="score-report.png")
        )
    return out


def stop_test(ctx: Context, session: PracticeSession) -> list[Outgoing]:
    """End a test early: close the open module and report what was done."""
    module = testing.current_module(session)
    if module is not None:
        testing.close_module(ctx.s, module, ctx.now)
    answered = [r for r in session.responses if r.answer is not None]
    if not answered:
        session.status = "abandoned"
        session.finished_at = ctx.now
        session.current_question_id = None
        return [Text("Test stopped. Nothing was answered, so nothing was scored.")]
    return [Text("Test stopped early."), *finish_test(ctx, session, early=True)]
