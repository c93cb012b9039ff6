"""/plan (the week, day by day) and /today (what to do now, one tap to start it)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from types import SimpleNamespace

from core.chat.dispatcher import App, Context, action, command
from core.chat.errors import UserError
from core.chat.messages import Button, Outgoing, Text
from core.chat.tokens import Pressed, button_payload, new_token
from core.db.models import StudyPlan, StudyPlanAction
from core.services import plans, practice
from core.services.profile import local_today

MAX_BUTTONS = 5
ICONS = {"practice": "📝", "review": "🔁", "full": "🧪", "diagnostic": "🧭"}


def _day_label(day: date, today: date) -> str:
    label = day.strftime("%a %-d %b")
    if day == today:
        return f"{label} (today)"
    if day == today + timedelta(days=1):
        return f"{label} (tomorrow)"
    return label


def _header(ctx: Context, plan: StudyPlan, today: date) -> str:
    user = ctx.user
    if user.test_date is not None and user.test_date > today:
        days = (user.test_date - today).days
        head = f"*Your plan* — SAT on {user.test_date.isoformat()} ({days} days to go)"
    else:
        head = (
            "*Your plan* — a rolling 4 weeks (no test date yet: "
            "/settings test_date YYYY-MM-DD plans toward it)"
        )
    target = f"target {user.target_score}" if user.target_score else "no target set"
    return f"{head}\n{target}, {plan.weekly_hours or plans.DEFAULT_HOURS} h/week"


@command("plan", "Your study plan for the week, day by day", section="Plan")
def plan_cmd(ctx: Context) -> list[Outgoing]:
    if ctx.args.strip():
        raise UserError("/plan takes no arguments. /today shows what to do now.")
    plan = plans.current_plan(ctx.s, ctx.user, ctx.now)
    today = local_today(ctx.user.timezone, ctx.now)
    rows = plans.week_actions(ctx.s, ctx.user, plan, today)
    lines = [_header(ctx, plan, today)]
    by_day: dict[date, list[StudyPlanAction]] = {}
    for a in rows:
        by_day.setdefault(plans.local_day(a.due_date, ctx.user.timezone), []).append(a)
    for day in sorted(by_day):
        lines.append(f"\n*{_day_label(day, today)}*")
        for a in by_day[day]:
            mark = "✓" if a.completed else "○"
            tutor = " (tutor)" if a.assigned_by and "tutor" not in a.task else ""
            lines.append(f"{mark} {ICONS.get(a.action, '•')} {a.task}{tutor} · {a.points} pts")
    if not by_day:
        lines.append("\nNothing planned this week.")
    done = sum(1 for a in rows if a.completed)
    overdue = [
        a
        for a in plans.open_for_today(ctx.s, ctx.user, plan, ctx.now)
        if plans.local_day(a.due_date, ctx.user.timezone) < today
    ]
    lines.append(f"\nThis week: {done}/{len(rows)} done. /today starts the next one.")
    if overdue:
        lines.append(f"{len(overdue)} earlier action(s) still open: /today lists them too.")
    return [Text("\n".join(lines))]


def _label(a: StudyPlanAction) -> str:
    if a.action == "practice":
        return f"▶ {a.task.removeprefix('Practice ')}"
    if a.action == "review":
        return "▶ Review"
    if a.action == "full":
        return "▶ Full test"
    return "▶ Diagnostic"


@command("today", "What your plan has for today, one tap to start", section="Plan")
def today_cmd(ctx: Context) -> list[Outgoing]:
    if ctx.args.strip():
        raise UserError("/today takes no arguments. /plan shows the whole week.")
    plan = plans.current_plan(ctx.s, ctx.user, ctx.now)
    today = local_today(ctx.user.timezone, ctx.now)
    open_now = plans.open_for_today(ctx.s, ctx.user, plan, ctx.now)
    done_today = [
        a
        for a in plans.week_actions(ctx.s, ctx.user, plan, today, days=1)
        if a.completed is not None
    ]
    if not open_now:
        text = "*Today*: all done ✓" if done_today else "*Today*: nothing planned."
        nxt = [
            a
            for a in plans.week_actions(ctx.s, ctx.user, plan, today + timedelta(days=1))
            if a.completed is None
        ]
        if nxt:
            day = plans.local_day(nxt[0].due_date, ctx.user.timezone)
            text += f"\nNext: {nxt[0].task} ({_day_label(day, today)})."
        text += "\nWant more? /practice any time."
        return [Text(text)]
    lines = [f"*Today* ({today.strftime('%a %-d %b')})"]
    for a in done_today:
        lines.append(f"✓ {a.task}")
    for i, a in enumerate(open_now, 1):
        day = plans.local_day(a.due_date, ctx.user.timezone)
        late = f" (from {_day_label(day, today)})" if day < today else ""
        lines.append(f"{i}. {ICONS.get(a.action, '•')} {a.task}{late} · {a.points} pts")
    shown = open_now[:MAX_BUTTONS]
    token = new_token(ctx.s, ctx.user.user_id, "plan", {"actions": [a.id for a in shown]}, ctx.now)
    lines.append("\nTap one to start. It counts as done when you finish the work.")
    buttons = tuple((Button(_label(a), button_payload(token, str(a.id))),) for a in shown)
    return [Text("\n".join(lines), buttons=buttons)]


@action("plan")
def start_action(ctx: Context, pressed: Pressed) -> list[Outgoing]:
    """Start the tapped plan action with the existing command handler."""
    allowed = pressed.row.payload.get("actions", [])
    if not pressed.arg.isdigit() or int(pressed.arg) not in allowed:
        raise UserError("That button is not one I gave you. Send /today for today's plan.")
    act = ctx.s.get(StudyPlanAction, int(pressed.arg))
    plan = None if act is None else ctx.s.get(StudyPlan, act.plan_id)
    if act is None or plan is None or plan.user_id != ctx.user.user_id:
        raise UserError("That plan item is no longer there. Send /today for today's plan.")
    if act.completed is not None:
        raise UserError("That one is already done ✓. Send /today for what's next.")
    pressed.row.used_at = ctx.now
    from core.chat.handlers.practice import diagnostic_cmd, practice_cmd
    from core.chat.handlers.review import review_cmd
    from core.chat.handlers.testing import test_cmd

    handler, args = {
        "practice": (practice_cmd, act.topic or ""),
        "review": (review_cmd, ""),
        "full": (test_cmd, ""),
        "diagnostic": (diagnostic_cmd, ""),
    }.get(act.action, (practice_cmd, act.topic or ""))
    sub = replace(ctx, incoming=replace(ctx.incoming, action=None, command=act.action, args=args))
    if act.action == "practice" and act.count:
        sub.app = _with_length(ctx, act.count)
    out = handler(sub)
    session = practice.active_session(ctx.s, ctx.user.user_id)
    if session is not None and session.started_at == ctx.now and session.plan_action_id is None:
        session.plan_action_id = act.id
        session.plan_id = act.plan_id
    return out


def _with_length(ctx: Context, count: int) -> App:
    """The app as seen by /practice, with the session length set to the action's count."""
    from core.chat.handlers.practice import target_success

    settings = SimpleNamespace(
        practice=SimpleNamespace(session_length=count, target_success=target_success(ctx))
    )
    if "pool" not in ctx.app.services:
        from core.chat.handlers.practice import pool_cache

        pool_cache(ctx)  # share one pool cache with the real app
    return replace(ctx.app, services={**ctx.app.services, "settings": settings})
