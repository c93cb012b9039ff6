"""The offline tutor: the item's own hint steps, its explanation (only once
answered) and the skill's strategy notes, with no model at all.

It answers when no model is configured, when the model fails or times out,
and when a budget is spent; every reply says it is the offline tutor.
"""

from __future__ import annotations

from core.content.taxonomy import SKILLS
from core.tutor.context import TutorContext
from core.tutor.strategies import strategy_notes

TAG = "(offline tutor)"
GENERAL_TIPS = (
    "Answer every question: there is no penalty for guessing.",
    "Skip a hard one and come back: within a module you can move freely.",
    "In Reading and Writing, predict the answer before you read the choices.",
    "In Math, write the equation before you compute, and check the units the question asks for.",
)


def _step(ctx: TutorContext, index: int) -> str:
    """Hint step ``index`` (0-based) of the item, or a strategy step instead."""
    if index < len(ctx.hints):
        return ctx.hints[index]
    notes = strategy_notes(ctx.strategy_skill or "")
    pool = notes.steps + notes.traps
    return (
        pool[index] if index < len(pool) else "Reread the question: what exactly does it ask for?"
    )


def item_reply(ctx: TutorContext, first_after_answer: bool = False) -> str:
    """A reply about an item at the context's hint level."""
    assert ctx.item is not None
    notes = strategy_notes(ctx.strategy_skill or "")
    level = ctx.hint_level
    lines: list[str] = []
    a = ctx.answered
    if a is not None and level == 4:
        said = a.answer if a.answer is not None else "no answer"
        lines.append(f"Full solution. You answered {said}; the answer is {a.key}.")
        lines.append(a.explanation.strip() or _step(ctx, 2))
    elif a is not None and level == 1 and first_after_answer:
        if a.answer is None:
            lines.append("You left this one blank. Let's see how to start it.")
        elif a.correct:
            lines.append(f"You answered {a.answer}, which is right. Here is why it works.")
        else:
            lines.append(
                f"You answered {a.answer}, but the answer is {a.key}. "
                "Let's find where the reasoning went off."
            )
        lines.append(f"Hint: {_step(ctx, 0)}")
        if notes.traps:
            lines.append(f"A common trap in {ctx.item.skill}: {notes.traps[0]}")
    else:
        name = {1: "Hint 1 (a nudge)", 2: "Hint 2", 3: "Hint 3 (a worked step)"}.get(level, "Hint")
        lines.append(f"{name}: {_step(ctx, level - 1)}")
        if level == 1 and notes.first_tip:
            lines.append(f"Strategy for {ctx.item.skill}: {notes.first_tip}")
    return "\n".join(lines) + f"\n{TAG}"


def general_reply(ctx: TutorContext) -> str:
    """Strategy for a skill the student named, or general SAT-prep advice."""
    if ctx.strategy_skill:
        notes = strategy_notes(ctx.strategy_skill)
        name = SKILLS[ctx.strategy_skill].name if ctx.strategy_skill in SKILLS else ""
        if notes.steps or notes.what:
            lines = [f"*{name}*"]
            if notes.what:
                lines.append(notes.what)
            lines += [f"{i}. {step}" for i, step in enumerate(notes.steps[:4], 1)]
            if notes.traps:
                lines.append(f"Watch out: {notes.traps[0]}")
            return "\n".join(lines) + f"\n{TAG}"
    lines = [
        "I can help with SAT strategy. A few that always pay:",
        *(f"• {tip}" for tip in GENERAL_TIPS),
        "Name a skill (like transitions or circles, see /skills) for its step-by-step method.",
    ]
    return "\n".join(lines) + f"\n{TAG}"


def offline_reply(ctx: TutorContext, first_after_answer: bool = False) -> str:
    """The offline tutor's reply to a context."""
    if ctx.item is None:
        return general_reply(ctx)
    return item_reply(ctx, first_after_answer)
