"""How a question, feedback and progress look in a chat, neutrally."""

from __future__ import annotations

import logging
from functools import lru_cache

from core.chat.messages import Button, Image, Outgoing, Text
from core.chat.tokens import button_payload
from core.content.item import CHOICE_LETTERS
from core.content.taxonomy import DOMAINS, SKILLS
from core.db.models import Question

log = logging.getLogger(__name__)


def progress_bar(done: int, total: int, width: int = 10) -> str:
    """``▰▰▰▱▱▱▱▱▱▱``: ``done`` of ``total`` on a bar of ``width`` cells."""
    if total <= 0:
        return ""
    filled = round(width * min(done, total) / total)
    return "▰" * filled + "▱" * (width - filled)


def topic_line(q: Question) -> str:
    """``Algebra › Linear functions · medium``."""
    return f"{DOMAINS[q.domain].name} › {SKILLS[q.skill].name} · {q.difficulty}"


@lru_cache(maxsize=256)
def _figure_png(question_id: str, figure_json: str) -> bytes | None:
    import json

    from core.content.figures import render_figure

    try:
        return render_figure(json.loads(figure_json))
    except Exception:  # a broken figure must not stop the question
        log.exception("figure of %s failed to render", question_id)
        return None


def figure_png(q: Question) -> bytes | None:
    """The rendered figure of ``q`` (cached per process), or None."""
    if not q.figure:
        return None
    import json

    return _figure_png(q.question_id, json.dumps(q.figure, sort_keys=True))


_LIST_ITEM = ("- ", "• ", "* ", "– ")


def reflow(text: str) -> str:
    """Join hard-wrapped lines of prose, keeping lists, verse and deliberate breaks.

    Authors wrap long YAML lines at about 75 characters; a chat window wraps
    by itself, so those breaks would show as ragged lines. A line is joined
    to the next only when it is long (a hard wrap) and the next line does not
    start a list item or a new sentence; short lines (verse) keep their breaks.
    """
    lines = text.strip().splitlines()
    out: list[str] = []
    for line in lines:
        line = line.rstrip()
        if out and out[-1] and line and _continues(out[-1], line):
            out[-1] = f"{out[-1]} {line.strip()}"
        else:
            out.append(line)
    return "\n".join(out)


def _continues(previous: str, line: str) -> bool:
    if len(previous) < 55 or line.lstrip().startswith(_LIST_ITEM):
        return False
    return not (previous.endswith((".", "!", "?", ":")) and line.lstrip()[:1].isupper())


def question_body(q: Question) -> str:
    """Passage(s), stem and lettered choices as plain text."""
    parts: list[str] = []
    if q.passage2:
        parts += [
            f"Text 1\n{q.passage.strip() if q.passage else ''}",
            f"Text 2\n{q.passage2.strip()}",
        ]
    elif q.passage:
        parts.append(q.passage.strip())
    parts.append(f"*{q.text.strip()}*")
    if q.type == "mcq" and q.options:
        parts.append("\n".join(f"{k}) {q.options[k]}" for k in CHOICE_LETTERS if k in q.options))
    return "\n\n".join(parts)


def question_messages(
    q: Question,
    header: str,
    token: str,
    extra_buttons: tuple[tuple[str, str], ...] = (("Skip", "skip"),),
) -> list[Outgoing]:
    """A question as messages: its figure (if any), then text with buttons."""
    out: list[Outgoing] = []
    png = figure_png(q)
    if png:
        out.append(
            Image(png, caption="Figure for the question below", filename=f"{q.question_id}.png")
        )
    rows: list[tuple[Button, ...]] = []
    if q.type == "mcq":
        rows.append(tuple(Button(k, button_payload(token, k)) for k in CHOICE_LETTERS))
    if extra_buttons:
        rows.append(
            tuple(Button(label, button_payload(token, arg)) for label, arg in extra_buttons)
        )
    reply = None
    if q.type == "spr":
        reply = "Type your answer: a number, fraction or decimal (like 7/2 or 3.5)."
    body = f"{header}\n\n{question_body(q)}"
    if reply:
        body += f"\n\n{reply}"
    out.append(Text(body, buttons=tuple(rows), expects_reply=reply))
    return out


def key_text(q: Question) -> str:
    """The correct answer as a student reads it."""
    if q.type == "mcq":
        letter = q.correct_answer[0]
        return f"{letter}) {(q.options or {}).get(letter, '')}"
    return " or ".join(str(v) for v in q.correct_answer)
