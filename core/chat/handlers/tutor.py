"""/ask and the "Ask the tutor" button: Socratic help on a question, by a ladder.

The button under each practice feedback climbs one rung per press (a nudge,
a targeted hint, a worked step, and after answering the full solution);
each press is a new one-time token, so a double tap counts once.
"""

from __future__ import annotations

from sqlalchemy import func, select

from core.chat.dispatcher import App, Context, action, command
from core.chat.errors import UserError
from core.chat.messages import Button, Outgoing, Text, Typing
from core.chat.tokens import Pressed, button_payload, new_token
from core.db.models import PracticeSession, Question, TutorInteraction
from core.tutor import Reply, Tutor
from core.tutor.context import FULL_SOLUTION, answered_response, question_in_view
from core.tutor.exchange import refuse_during_live_module

ASK_USAGE = (
    "Ask me about your current question, e.g. /ask why not C? or /ask how do I start? "
    "With no question open, ask about strategy, e.g. /ask how do I do transitions?"
)


def tutor_for(app: App) -> Tutor:
    """The app's tutor, built once from its settings (offline without a model)."""
    tutor = app.services.get("tutor")
    if tutor is None:
        tutor = app.services["tutor"] = Tutor.from_settings(app.services.get("settings"))
    return tutor  # type: ignore[no-any-return]


def _buttons(
    ctx: Context, reply: Reply, question_id: str, session_id: str | None
) -> tuple[tuple[Button, ...], ...]:
    nxt = reply.hint_level + 1
    if nxt > reply.max_level:
        return ()
    token = new_token(
        ctx.s,
        ctx.user.user_id,
        "after",
        {"question": question_id, "session": session_id, "level": nxt},
        ctx.now,
    )
    if nxt == FULL_SOLUTION:
        return ((Button("Show full solution", button_payload(token, "solution")),),)
    return ((Button("Next hint", button_payload(token, "hint")),),)


def _reply(
    ctx: Context, tutor: Tutor, reply: Reply, question_id: str | None, session_id: str | None
) -> list[Outgoing]:
    out: list[Outgoing] = [Typing()] if tutor.model is not None else []
    buttons = _buttons(ctx, reply, question_id, session_id) if question_id else ()
    out.append(Text(reply.text, buttons=buttons))
    return out


@command(
    "ask", "Ask the AI tutor about your current question, or about strategy", usage="<question>"
)
def ask_cmd(ctx: Context) -> list[Outgoing]:
    """Answer a question about the question in view, or about strategy."""
    text = ctx.args.replace("\x00", "").strip()
    if not text:
        raise UserError(ASK_USAGE)
    refuse_during_live_module(ctx.s, ctx.user, ctx.now)
    tutor = tutor_for(ctx.app)
    found = question_in_view(ctx.s, ctx.user.user_id)
    if found is None:
        return _reply(ctx, tutor, tutor.general(ctx.s, ctx.user, text, ctx.now), None, None)
    q, session = found
    asked = ctx.s.scalar(
        select(func.count(TutorInteraction.id)).where(
            TutorInteraction.user_id == ctx.user.user_id,
            TutorInteraction.question_id == q.question_id,
        )
    )
    session_id = session.session_id if session else None
    reply = tutor.about_item(
        ctx.s, ctx.user, q, session_id, int(asked or 0) + 1, ctx.now, text=text
    )
    return _reply(ctx, tutor, reply, q.question_id, session_id)


@action("after")
def tutor_button(ctx: Context, pressed: Pressed) -> list[Outgoing]:
    """One rung of the ladder for the item the button belongs to."""
    payload = pressed.row.payload
    q = ctx.s.get(Question, str(payload.get("question", "")))
    session_id = payload.get("session")
    session = ctx.s.get(PracticeSession, session_id) if session_id else None
    if q is None or (session is not None and session.user_id != ctx.user.user_id):
        raise UserError("That question is no longer available. Send /practice for a new one.")
    refuse_during_live_module(ctx.s, ctx.user, ctx.now)
    level = int(payload.get("level", 1))
    if level >= FULL_SOLUTION and answered_response(ctx.s, ctx.user.user_id, q) is None:
        raise UserError("The full solution comes after you answer. Try the hints first.")
    pressed.row.used_at = ctx.now
    tutor = tutor_for(ctx.app)
    reply = tutor.about_item(
        ctx.s, ctx.user, q, session_id, level, ctx.now, first_after_answer=level == 1
    )
    return _reply(ctx, tutor, reply, q.question_id, session_id)
