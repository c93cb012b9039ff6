"""First contact, onboarding, /help and /settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.chat.dispatcher import COMMANDS, Context, action, command, text_route
from core.chat.errors import UserError
from core.chat.messages import Button, Edit, Outgoing, Text
from core.chat.tokens import Pressed, button_payload, new_token
from core.services import profile
from core.services.profile import local_today

WELCOME = (
    "Hi! I'm your Digital SAT coach. I give you adaptive practice, full-length "
    "timed tests modelled on the real exam, a plan for each day, and a tutor "
    "who gives hints rather than answers.\n\n"
    "Four quick questions to set you up (each can be skipped and changed later "
    "with /settings)."
)

# Onboarding asks these in order; each parser raises UserError on bad input.
STEPS: list[tuple[str, str]] = [
    ("test_date", "When is your SAT? Send the date as YYYY-MM-DD."),
    ("target_score", "What total score are you aiming for (400–1600)?"),
    ("timezone", "What is your time zone? A city zone like Europe/Paris, or an offset like UTC+9."),
    ("study_hours", "How many hours a week can you study?"),
]

DEEP_LINKS: dict[str, Callable[[Context, str], list[Outgoing]]] = {}


def deep_link(prefix: str) -> Callable[[Callable[[Context, str], list[Outgoing]]], Any]:
    """Register a ``/start <prefix>-<code>`` deep-link handler."""

    def register(fn: Callable[[Context, str], list[Outgoing]]) -> Any:
        DEEP_LINKS[prefix] = fn
        return fn

    return register


def _apply(ctx: Context, step: str, text: str) -> None:
    user = ctx.user
    if step == "test_date":
        user.test_date = profile.parse_test_date(text, local_today(user.timezone, ctx.now))
    elif step == "target_score":
        user.target_score = profile.parse_target(text)
    elif step == "timezone":
        user.timezone = profile.parse_timezone(text)
    elif step == "study_hours":
        user.study_hours = profile.parse_hours(text)


def _ask(ctx: Context, step: str) -> Text:
    prompt = dict(STEPS)[step]
    token = new_token(ctx.s, ctx.user.user_id, "onboard", {"step": step}, ctx.now)
    return Text(prompt, buttons=((Button("Skip", button_payload(token, "skip")),),))


def _advance(ctx: Context, step: str) -> list[Outgoing]:
    names = [name for name, _ in STEPS]
    nxt = names.index(step) + 1
    if nxt < len(names):
        ctx.user.onboarding_step = names[nxt]
        return [_ask(ctx, names[nxt])]
    ctx.user.onboarding_step = None
    return [
        Text(
            _summary(ctx) + "\n\nYou're set. Start with /diagnostic (about 24 questions) "
            "so I can place you, or jump into /practice."
        )
    ]


def _summary(ctx: Context) -> str:
    u = ctx.user
    return (
        "Your settings:\n"
        f"• Test date: {u.test_date or 'not set'}\n"
        f"• Target score: {u.target_score or 'not set'}\n"
        f"• Time zone: {u.timezone}\n"
        f"• Hours per week: {u.study_hours or 'not set'}\n"
        f"• Daily reminder: {u.reminder_time.strftime('%H:%M') if u.reminder_time else 'off'}\n"
        f"• Quiet hours: "
        + (
            f"{u.quiet_start.strftime('%H:%M')}–{u.quiet_end.strftime('%H:%M')}"
            if u.quiet_start and u.quiet_end
            else "none"
        )
    )


@command("start", "Start here: what I do, and set up your profile", section="Account")
def start(ctx: Context) -> list[Outgoing]:
    payload = ctx.args.strip()
    if payload:
        prefix, _, code = payload.partition("-")
        handler = DEEP_LINKS.get(prefix)
        if handler is None:
            raise UserError(
                "That link is not valid (it may be mistyped). Send /help to see what I can do."
            )
        return handler(ctx, code)
    ctx.user.onboarding_step = STEPS[0][0]
    return [Text(WELCOME), _ask(ctx, STEPS[0][0])]


@text_route
def onboarding_answer(ctx: Context, text: str) -> list[Outgoing] | None:
    step = ctx.user.onboarding_step
    if step is None:
        return None
    if text.lower() in ("skip", "-"):
        return _advance(ctx, step)
    _apply(ctx, step, text)
    return _advance(ctx, step)


@action("onboard")
def onboarding_skip(ctx: Context, pressed: Pressed) -> list[Outgoing]:
    step = pressed.row.payload.get("step")
    pressed.row.used_at = ctx.now
    if ctx.user.onboarding_step != step:
        return [Edit("(skipped)")]
    return [Edit(dict(STEPS)[step] + " — skipped"), *_advance(ctx, step)]


SETTINGS_HELP = (
    "\n\nChange one with /settings NAME VALUE:\n"
    "/settings test_date 2027-03-13\n"
    "/settings target 1400\n"
    "/settings timezone America/Chicago\n"
    "/settings hours 6\n"
    "/settings reminder 19:30   (or off)\n"
    "/settings quiet 22:00-07:00   (or off)"
)


@command(
    "settings",
    "See or change your test date, target, time zone, hours, reminders",
    usage="[name value]",
    section="Account",
)
def settings(ctx: Context) -> list[Outgoing]:
    name, _, value = ctx.args.partition(" ")
    name, value = name.strip().lower(), value.strip()
    if not name:
        return [Text(_summary(ctx) + SETTINGS_HELP)]
    if not value:
        raise UserError(f"Give a value too, for example /settings {name} …" + SETTINGS_HELP)
    user = ctx.user
    if name in ("test_date", "date", "test"):
        user.test_date = profile.parse_test_date(value, local_today(user.timezone, ctx.now))
    elif name in ("target", "target_score", "score"):
        user.target_score = profile.parse_target(value)
    elif name in ("timezone", "tz", "time_zone"):
        user.timezone = profile.parse_timezone(value)
    elif name in ("hours", "study_hours"):
        user.study_hours = profile.parse_hours(value)
    elif name == "reminder":
        user.reminder_time = None if value.lower() == "off" else profile.parse_clock(value)
    elif name in ("quiet", "quiet_hours"):
        if value.lower() == "off":
            user.quiet_start = user.quiet_end = None
        else:
            user.quiet_start, user.quiet_end = profile.parse_quiet_hours(value)
    else:
        raise UserError(f"I don't have a setting called {name[:30]!r}." + SETTINGS_HELP)
    return [Text("Saved.\n\n" + _summary(ctx))]


@command("help", "Everything I can do", group=True, section="Account")
def help_(ctx: Context) -> list[Outgoing]:
    sections: dict[str, list[str]] = {}
    for cmd in COMMANDS.values():
        if cmd.hidden:
            continue
        if ctx.incoming.chat_kind == "group" and not cmd.group:
            continue
        usage = f" {cmd.usage}" if cmd.usage else ""
        sections.setdefault(cmd.section, []).append(f"/{cmd.name}{usage} — {cmd.help}")
    lines = []
    for title, rows in sections.items():
        lines.append(f"*{title}*")
        lines.extend(sorted(rows))
        lines.append("")
    return [Text("\n".join(lines).strip())]
