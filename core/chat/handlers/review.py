"""/review: the error log and spaced repetition of misses."""

from __future__ import annotations

from core.chat.dispatcher import Context, command
from core.chat.handlers.practice import ask, refuse_during_test
from core.chat.messages import Outgoing, Text
from core.content.taxonomy import SKILLS
from core.services import practice, review


@command("review", "Your missed questions, brought back when they're due (spaced repetition)")
def review_cmd(ctx: Context) -> list[Outgoing]:
    refuse_during_test(ctx)
    log = review.error_log(ctx.s, ctx.user.user_id)
    if not log:
        return [
            Text(
                "No misses yet, so nothing to review. Practise with /practice and I'll keep "
                "every miss here."
            )
        ]
    lines = ["*Your recent misses*"]
    for r, q in log[:10]:
        what = "skipped" if r.skipped or r.answer is None else f"you said {r.answer}"
        lines.append(f"• {SKILLS[q.skill].name} ({q.difficulty}) — {what}")
        if r.review_text:
            lines.append(f"  {r.review_text}")
    due = review.due_cards(ctx.s, ctx.user.user_id, ctx.now)
    if not due:
        nxt = review.next_due(ctx.s, ctx.user.user_id)
        when = f" The next one is due {nxt.date().isoformat()}." if nxt else ""
        lines.append(f"\nNothing is due for review right now.{when}")
        return [Text("\n".join(lines))]
    session = practice.start(
        ctx.s,
        ctx.user,
        "review",
        list(SKILLS),
        len(due),
        ctx.now,
        extra={"cards": [c.id for c in due]},
    )
    lines.append(
        f"\n{len(due)} due now. Here they come (a missed generated question returns with new numbers)."
    )
    return [Text("\n".join(lines)), *ask(ctx, session)]
