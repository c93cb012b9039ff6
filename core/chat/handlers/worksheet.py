"""/worksheet (a printable PDF) and /sync (answers made away from the bot).

The text route here must run before the typed-answer routes of practice
and tests, so that ``W-7F3K 1A 2C`` is read as a worksheet even while a
question is waiting for a typed answer; that is why this module does not
import the other handler modules at import time.
"""

from __future__ import annotations

from core.chat.dispatcher import Context, command, text_route
from core.chat.errors import UserError
from core.chat.messages import Document, Outgoing, Text
from core.chat.render import key_text
from core.content.taxonomy import find_topic
from core.services import practice, sync, worksheets
from core.services.profile import local_today

MAX_MISS_LINES = 8


def _parse_args(args: str) -> tuple[str, int]:
    words = args.split()
    n = worksheets.DEFAULT_ITEMS
    if words and words[-1].lstrip("-").isdigit():
        n = int(words.pop())
        if not worksheets.MIN_ITEMS <= n <= worksheets.MAX_ITEMS:
            raise UserError(
                f"A worksheet has {worksheets.MIN_ITEMS} to {worksheets.MAX_ITEMS} questions; "
                f"you asked for {n}. Try /worksheet algebra 10."
            )
    return " ".join(words).lower(), n


@command(
    "worksheet",
    "A printable PDF of questions for offline practice; send the answers back later",
    usage="[math|rw|domain|skill] [1-30]",
)
def worksheet_cmd(ctx: Context) -> list[Outgoing]:
    """Make and send a worksheet PDF; its items are stored for the later sync."""
    from core.chat.handlers.practice import pool_cache, target_success, weakest_skills

    current = practice.active_session(ctx.s, ctx.user.user_id)
    if current is not None and current.test_type != "worksheet":
        raise UserError(
            "You're in the middle of a session. Finish it (or end it with /stop), then "
            "ask for a worksheet."
        )
    arg, n = _parse_args(ctx.args)
    if arg in ("math", "rw", "reading", "writing", "english"):
        topic: str | None = "math" if arg == "math" else "rw"
        skills = practice.topic_skills(topic)
    elif arg:
        found = find_topic(arg)
        if found is None:
            raise UserError(
                f"I don't know the topic {arg[:40]!r}. Try /worksheet math, /worksheet rw, "
                "a domain like /worksheet algebra, or a skill (see /skills)."
            )
        topic, skills = found.code, practice.topic_skills(found)
    else:
        topic, skills = None, weakest_skills(ctx)
    try:
        sheet, questions = worksheets.create_worksheet(
            ctx.s, pool_cache(ctx), ctx.user, skills, n, ctx.now, topic, target_success(ctx)
        )
    except ValueError:
        raise UserError(
            "You've already seen every question I have for that topic. Try another one."
        ) from None
    info = worksheets.SheetInfo(
        code=sheet.code,
        student=ctx.user.display_name or ctx.identity.username or "you",
        title=worksheets.title_for(topic),
        date=local_today(ctx.user.timezone, ctx.now).isoformat(),
    )
    pdf = worksheets.render_pdf(info, questions)
    fewer = f" (only {len(questions)} left for this topic)" if len(questions) < n else ""
    return [
        Document(
            pdf,
            f"worksheet-{sheet.code}.pdf",
            caption=f"Worksheet {sheet.code}: {len(questions)} questions{fewer}.",
        ),
        Text(
            f"Print it, or work from the screen without me. When you're done, send the "
            f"answers in one message, like:\n{worksheets.example_reply(sheet.code, questions)}\n\n"
            "Leave out the ones you skipped; you can send part now and the rest later."
        ),
    ]


@command(
    "sync",
    "Send answers made offline: a worksheet message, or a sync file attached",
    usage="[W-XXXX 1A 2C 3 7/2 …]",
)
def sync_cmd(ctx: Context) -> list[Outgoing]:
    """Sync an attached JSON file or a worksheet message; alone, list open sheets."""
    if ctx.incoming.attachment is not None:
        report = sync.sync_json(ctx.s, ctx.user, ctx.incoming.attachment, ctx.now)
        return [Text(format_report(report))]
    if ctx.args.strip():
        if not sync.looks_like_worksheet(ctx.args):
            raise UserError(
                "Start with the worksheet's code, then your answers, like:\n"
                "/sync W-7F3K 1A 2C 3 7/2"
            )
        return [Text(format_report(sync.sync_message(ctx.s, ctx.user, ctx.args, ctx.now)))]
    sheets = sync.open_sheets(ctx.s, ctx.user.user_id)
    if not sheets:
        return [
            Text(
                "Nothing to sync: you have no open worksheets. /worksheet makes one to "
                "print; an offline app can send its answers as a file with /sync."
            )
        ]
    lines = ["Your open worksheets:"]
    lines += [f"• {sheet.code}: {done}/{total} synced" for sheet, done, total in sheets]
    lines.append(
        "\nSend the answers in one message starting with the code, like "
        f"{sheets[0][0].code} 1A 2C 3 7/2."
    )
    return [Text("\n".join(lines))]


@text_route
def worksheet_text(ctx: Context, text: str) -> list[Outgoing] | None:
    """A plain message starting with a worksheet code is a sync."""
    if not sync.looks_like_worksheet(text):
        return None
    return [Text(format_report(sync.sync_message(ctx.s, ctx.user, text, ctx.now)))]


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def format_report(report: sync.SyncReport) -> str:
    """The reply to a sync: what was stored, score so far, short explanations."""
    lines: list[str] = []
    if report.stored:
        gained = f" +{report.points} points." if report.points else ""
        lines.append(f"✅ Synced {len(report.stored)} new answer(s).{gained}")
    if report.already:
        lines.append(
            f"Already synced, nothing changed: {len(report.already)} answer(s)"
            f" ({', '.join(a.split(' #')[-1] for a in report.already[:15])})."
        )
    if report.conflicts:
        lines.append("Not overwritten:")
        lines += [f"• {c}" for c in report.conflicts]
    if report.problems:
        lines.append("Please fix and send again (the rest was kept):")
        lines += [f"• {p}" for p in report.problems[:20]]
    if report.refused:
        lines.append("Refused:")
        lines += [f"• {r}" for r in report.refused[:20]]
    for sheet in report.sheets:
        done = " Complete! 🎉" if sheet.complete else f" {sheet.total - sheet.answered} to go."
        lines.append(
            f"{sheet.code}: {sheet.right}/{sheet.answered} correct so far, "
            f"{sheet.answered}/{sheet.total} answered.{done}"
        )
    if report.misses:
        lines.append("")
        lines.append("Misses (saved for /review):")
        for miss in report.misses[:MAX_MISS_LINES]:
            lines.append(
                f"{miss.position}) you wrote {miss.answer}; answer {key_text(miss.question)}. "
                f"{_short(miss.question.explanation)}"
            )
        if len(report.misses) > MAX_MISS_LINES:
            lines.append(f"…and {len(report.misses) - MAX_MISS_LINES} more in /review.")
    lines += report.announcements
    if not lines:
        lines.append("Nothing to sync in that message.")
    return "\n".join(lines)
