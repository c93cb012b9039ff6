"""Parents and tutors: linking by consent, student lists, reports, assignments, nudges."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.chat.dispatcher import Context, command
from core.chat.errors import UserError
from core.chat.handlers.start import deep_link
from core.chat.messages import Image, Outgoing, Text
from core.content.taxonomy import find_topic
from core.db.models import Notification, NotificationPreference, StudyPlan, StudyPlanAction
from core.services import links, outbox
from core.services.profile import local_today
from core.services.reports_family import tutor_report


@command(
    "invite",
    "Create a one-time code for a parent or tutor to follow your progress",
    usage="parent|tutor",
    section="Parents and tutors",
)
def invite_cmd(ctx: Context) -> list[Outgoing]:
    role = ctx.args.strip().lower()
    code = links.new_code(ctx.s, ctx.user, role, ctx.now)
    return [
        Text(
            f"Code for your {role}: *{code.code}* (valid 48 hours, works once).\n"
            f"They send me /link {code.code} — or open the deep link with /start link-{code.code}.\n"
            "They will see your scores, sessions, misses, streak and plan. You can remove them any time with /unlink."
        )
    ]


def _redeem(ctx: Context, code: str) -> list[Outgoing]:
    link = links.redeem(ctx.s, ctx.user, code, ctx.now)
    student = ctx.s.get(type(ctx.user), link.student_id)
    assert student is not None
    outbox.enqueue(
        ctx.s,
        student.user_id,
        "linked",
        f"{ctx.user.display_name or 'Someone'} is now linked to you as your {link.role}. "
        "/links shows everyone; /unlink removes a link.",
        ctx.now,
    )
    more = (
        "/report 1 for a full report; /assign and /nudge too."
        if link.role == "tutor"
        else (
            "/report 1 for a report; a weekly digest arrives on Sundays. /notifications chooses alerts."
        )
    )
    return [
        Text(
            f"You're linked to {links.display(student)} as their {link.role}. /students lists your students; {more}"
        )
    ]


@command(
    "link",
    "Enter a student's code to follow their progress",
    usage="CODE",
    section="Parents and tutors",
)
def link_cmd(ctx: Context) -> list[Outgoing]:
    code = ctx.args.strip()
    if not code:
        raise UserError("Send the code the student gave you: /link ABCD2345.")
    return _redeem(ctx, code)


@deep_link("link")
def link_deep(ctx: Context, code: str) -> list[Outgoing]:
    return _redeem(ctx, code)


@command("links", "Who follows your progress (and whom you follow)", section="Parents and tutors")
def links_cmd(ctx: Context) -> list[Outgoing]:
    people = links.people_of(ctx.s, ctx.user.user_id)
    mine = links.students_of(ctx.s, ctx.user.user_id)
    lines = []
    if people:
        lines.append("Linked to you:")
        lines += [
            f"• {links.display(u)} ({link.role}, since {link.consented_at.date()})"
            for link, u in people
        ]
    if mine:
        lines.append("You follow:")
        lines += [f"• {links.display(u)} (as {link.role})" for link, u in mine]
    if not lines:
        return [Text("Nobody is linked to you. /invite parent or /invite tutor creates a code.")]
    lines.append("\n/unlink NAME removes a link.")
    return [Text("\n".join(lines))]


@command(
    "unlink",
    "Remove a parent or tutor (or stop following a student)",
    usage="NAME",
    section="Parents and tutors",
)
def unlink_cmd(ctx: Context) -> list[Outgoing]:
    if not ctx.args.strip():
        raise UserError("Say whom to unlink: /unlink NAME (see /links).")
    return [Text(links.unlink(ctx.s, ctx.user, ctx.args))]


@command("students", "Your linked students (parents and tutors)", section="Parents and tutors")
def students_cmd(ctx: Context) -> list[Outgoing]:
    mine = links.students_of(ctx.s, ctx.user.user_id)
    if not mine:
        return [
            Text(
                "No students are linked to you. Ask a student for a code from /invite tutor "
                "(or /invite parent), then send /link CODE."
            )
        ]
    lines = ["*Your students*"]
    for i, (link, student) in enumerate(mine, 1):
        last = student.last_active_date.isoformat() if student.last_active_date else "never"
        lines.append(
            f"{i}. {links.display(student)} ({link.role}) — streak {student.streak}, last active {last}"
        )
        links.log_action(ctx.s, ctx.user, student, "list", "", ctx.now)
    lines.append(
        "\n/report N for details"
        + (", /assign and /nudge" if any(li.role == "tutor" for li, _ in mine) else "")
    )
    return [Text("\n".join(lines))]


@command(
    "report",
    "A linked student's scores, sessions, misses, streak and plan",
    usage="STUDENT",
    section="Parents and tutors",
)
def report_cmd(ctx: Context) -> list[Outgoing]:
    student = links.linked_student(ctx.s, ctx.user, ctx.args)
    text, png = tutor_report(ctx.s, student, ctx.now)
    links.log_action(ctx.s, ctx.user, student, "report", "", ctx.now)
    out: list[Outgoing] = [Text(text)]
    if png:
        out.append(Image(png, caption="Score estimate over time", filename="student-progress.png"))
    return out


def _due(text: str, tz: str, now: datetime) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise UserError("Give the due date as YYYY-MM-DD, for example 2026-12-01.") from None
    if day < local_today(tz, now):
        raise UserError("That due date has passed. Pick today or a later date.")
    return datetime.combine(day, time(23, 59), ZoneInfo(tz))


@command(
    "assign",
    "Assign practice to a linked student (tutors)",
    usage="STUDENT SKILL COUNT YYYY-MM-DD",
    section="Parents and tutors",
)
def assign_cmd(ctx: Context) -> list[Outgoing]:
    parts = ctx.args.split()
    if len(parts) != 4:
        raise UserError(
            "Use /assign STUDENT SKILL COUNT YYYY-MM-DD, e.g. /assign 1 transitions 10 2026-12-01."
        )
    ref, topic_text, count_text, due_text = parts
    student = links.linked_student(ctx.s, ctx.user, ref, roles=("tutor",))
    topic = find_topic(topic_text)
    if topic is None:
        raise UserError(
            f"I don't know the skill or domain {topic_text[:30]!r}. /skills lists them."
        )
    if not count_text.isdigit() or not 1 <= int(count_text) <= 50:
        raise UserError("COUNT is the number of questions, 1 to 50.")
    due = _due(due_text, student.timezone, ctx.now)
    plan = ctx.s.scalar(
        select(StudyPlan).where(StudyPlan.user_id == student.user_id, StudyPlan.active.is_(True))
    )
    if plan is None:
        plan = StudyPlan(user_id=student.user_id, active=True, created_at=ctx.now)
        ctx.s.add(plan)
        ctx.s.flush()
    count = int(count_text)
    action = StudyPlanAction(
        plan_id=plan.plan_id,
        task=f"{topic.name}: {count} questions (from your tutor)",
        action="practice",
        topic=topic.code,
        count=count,
        due_date=due,
        points=count * 2,
        assigned_by=ctx.user.user_id,
    )
    ctx.s.add(action)
    ctx.s.flush()
    outbox.enqueue(
        ctx.s,
        student.user_id,
        "assignment",
        f"Your tutor assigned {count} questions of {topic.name}, due {due.date()}. "
        f"Start with /practice {topic.code}.",
        ctx.now,
        dedupe_key=f"assign:{action.id}",
    )
    links.log_action(
        ctx.s, ctx.user, student, "assign", f"{topic.code} x{count} due {due.date()}", ctx.now
    )
    return [
        Text(
            f"Assigned to {links.display(student)}: {count} questions of {topic.name}, due {due.date()}. "
            "They've been notified."
        )
    ]


@command(
    "nudge",
    "Send a linked student a friendly reminder (tutors)",
    usage="STUDENT",
    section="Parents and tutors",
)
def nudge_cmd(ctx: Context) -> list[Outgoing]:
    student = links.linked_student(ctx.s, ctx.user, ctx.args, roles=("tutor",))
    day = local_today(student.timezone, ctx.now)
    fresh = outbox.enqueue(
        ctx.s,
        student.user_id,
        "nudge",
        f"A nudge from your tutor {ctx.user.display_name or ''}: time for some practice! "
        "/today shows your plan.".replace("  ", " "),
        ctx.now,
        dedupe_key=f"nudge:{ctx.user.user_id}:{student.user_id}:{day}",
    )
    links.log_action(ctx.s, ctx.user, student, "nudge", "" if fresh else "repeat today", ctx.now)
    if not fresh:
        return [Text(f"You already nudged {links.display(student)} today; one a day is plenty.")]
    return [Text(f"Nudge sent to {links.display(student)}.")]


@command(
    "notifications",
    "Your recent messages from me, and which kinds you get",
    usage="[on|off KIND]",
    section="Account",
)
def notifications_cmd(ctx: Context) -> list[Outgoing]:
    words = ctx.args.lower().split()
    if words:
        if (
            len(words) != 2
            or words[0] not in ("on", "off")
            or words[1] not in outbox.OPTIONAL_KINDS
        ):
            kinds = ", ".join(outbox.OPTIONAL_KINDS)
            raise UserError(
                f"Use /notifications on KIND or /notifications off KIND; kinds: {kinds}."
            )
        pref = ctx.s.scalar(
            select(NotificationPreference).where(
                NotificationPreference.user_id == ctx.user.user_id,
                NotificationPreference.kind == words[1],
            )
        )
        if pref is None:
            pref = NotificationPreference(user_id=ctx.user.user_id, kind=words[1])
            ctx.s.add(pref)
        pref.enabled = words[0] == "on"
        for link, _ in links.students_of(ctx.s, ctx.user.user_id, role="parent"):
            if words[1].startswith("alert_"):
                alerts = set(link.alerts or [])
                alerts = alerts | {words[1]} if pref.enabled else alerts - {words[1]}
                link.alerts = sorted(alerts)
        return [
            Text(
                f"{outbox.OPTIONAL_KINDS[words[1]].capitalize()}: {'on' if pref.enabled else 'off'}."
            )
        ]
    recent = list(
        ctx.s.scalars(
            select(Notification)
            .where(
                Notification.user_id == ctx.user.user_id,
                Notification.status.in_(("sent", "pending", "sending")),
            )
            .order_by(Notification.timestamp.desc())
            .limit(10)
        )
    )
    lines = ["*Recent messages*" if recent else "No messages yet."]
    for n in recent:
        lines.append(f"{'•' if n.read else '🆕'} {n.timestamp.date()} {n.message[:120]}")
        n.read = True
    prefs = {
        p.kind: p.enabled
        for p in ctx.s.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == ctx.user.user_id)
        )
    }
    lines.append("\n*Kinds* (/notifications on|off KIND)")
    lines += [
        f"{'✅' if prefs.get(k, True) else '🚫'} {k} — {label}"
        for k, label in outbox.OPTIONAL_KINDS.items()
    ]
    return [Text("\n".join(lines))]
