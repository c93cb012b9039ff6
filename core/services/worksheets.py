"""Printable worksheets: adaptive items on paper, answered offline, synced later.

A worksheet is a ``worksheet`` practice session plus numbered
``worksheet_items``, stored when the PDF is made, so a later sync knows
exactly which item each number meant. Items are chosen like practice
(success probability near the target, ≈70%, at the student's current
section ability), never one the student has answered or has on another
open worksheet. The PDF is built with fpdf2 and a Unicode font (DejaVu Sans,
shipped with matplotlib) so that x², √, π, ≤ and curly quotes print.
"""

from __future__ import annotations

import io
import random
import secrets
import struct
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.content.item import CHOICE_LETTERS
from core.content.taxonomy import DOMAINS, SECTION_NAMES, SKILLS
from core.db.models import PracticeSession, Question, User, Worksheet, WorksheetItem
from core.services import practice
from core.services.questions import PoolCache, seen_question_ids
from core.services.selection import pick

# No 0/O, 1/I/L: a code copied from paper by hand cannot be misread.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 4
MIN_ITEMS, MAX_ITEMS, DEFAULT_ITEMS = 1, 30, 10
SECTION_ORDER = ("rw", "math")


def new_code(s: Session) -> str:
    """A fresh, unused worksheet code like ``W-7F3K``."""
    while True:
        code = "W-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if s.get(Worksheet, code) is None:
            return code


def pending_question_ids(s: Session, user_id: str) -> set[str]:
    """Questions on the user's worksheets that are printed but not synced yet."""
    return set(
        s.scalars(
            select(WorksheetItem.question_id)
            .join(Worksheet, Worksheet.code == WorksheetItem.worksheet_code)
            .where(Worksheet.user_id == user_id, WorksheetItem.response_id.is_(None))
        )
    )


def _split(skills: list[str], n: int) -> dict[str, list[str]]:
    by_section: dict[str, list[str]] = {}
    for code in skills:
        by_section.setdefault(SKILLS[code].section, []).append(code)
    return {sec: by_section[sec] for sec in SECTION_ORDER if sec in by_section}


def _allocate(groups: dict[str, list[str]], n: int) -> dict[str, int]:
    total = sum(len(v) for v in groups.values())
    counts = {sec: max(1, round(n * len(v) / total)) for sec, v in groups.items()}
    while sum(counts.values()) > n:
        biggest = max(counts, key=lambda k: counts[k])
        counts[biggest] -= 1
    while sum(counts.values()) < n:
        smallest = min(counts, key=lambda k: counts[k])
        counts[smallest] += 1
    return {k: v for k, v in counts.items() if v > 0}


def choose_items(
    s: Session,
    cache: PoolCache,
    user: User,
    skills: list[str],
    n: int,
    target_p: float,
    seed: str,
) -> list[Question]:
    """``n`` items for ``user`` among ``skills``, chosen like practice (≈``target_p``
    success at the current section ability), none seen or pending elsewhere."""
    seen = seen_question_ids(s, user.user_id) | pending_question_ids(s, user.user_id)
    chosen: list[Question] = []
    groups = _split(skills, n)
    for section, count in _allocate(groups, n).items():
        theta = practice.prior_for(s, user.user_id, section).theta
        for i in range(count):
            rng = random.Random(f"{seed}:{section}:{i}")
            q = pick(s, cache, groups[section], theta, seen, rng, rule="target", target_p=target_p)
            if q is None:
                break
            chosen.append(q)
            seen.add(q.question_id)
    skill_order = list(SKILLS)
    chosen.sort(
        key=lambda q: (SECTION_ORDER.index(q.section), skill_order.index(q.skill), q.b_param)
    )
    return chosen


def create_worksheet(
    s: Session,
    cache: PoolCache,
    user: User,
    skills: list[str],
    n: int,
    now: datetime,
    topic: str | None = None,
    target_p: float = 0.7,
) -> tuple[Worksheet, list[Question]]:
    """Choose the items and store the worksheet (its session and numbered items).

    Raises ValueError when no item is left to choose."""
    code = new_code(s)
    questions = choose_items(s, cache, user, skills, n, target_p, seed=code)
    if not questions:
        raise ValueError("no items left")
    sections = sorted({q.section for q in questions}, key=SECTION_ORDER.index)
    # Not practice.start(): that would abandon a practice session the student
    # is in the middle of; a worksheet runs alongside, on paper.
    session = PracticeSession(
        user_id=user.user_id,
        test_type="worksheet",
        section=",".join(sections),
        topic=topic,
        target_count=len(questions),
        started_at=now,
        state={"skills": skills, "rule": "target", "worksheet": code},
    )
    s.add(session)
    s.flush()
    sheet = Worksheet(
        code=code, user_id=user.user_id, session_id=session.session_id, topic=topic, created_at=now
    )
    s.add(sheet)
    s.flush()
    for position, q in enumerate(questions, start=1):
        s.add(WorksheetItem(worksheet_code=code, position=position, question_id=q.question_id))
    s.flush()
    return sheet, questions


def example_reply(code: str, questions: list[Question]) -> str:
    """An answer message in the sync format, shaped like this worksheet."""
    parts = [code]
    for position, q in enumerate(questions[:4], start=1):
        parts.append(f"{position} 7/2" if q.type == "spr" else f"{position}{'ACBD'[position % 4]}")
    return " ".join(parts)


# --------------------------------------------------------------------------
# The PDF
# --------------------------------------------------------------------------


def _font_paths() -> tuple[str, str]:
    import matplotlib

    base = matplotlib.get_data_path() + "/fonts/ttf/"
    return base + "DejaVuSans.ttf", base + "DejaVuSans-Bold.ttf"


def _png_size(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png[16:24])
    return width, height


@dataclass(frozen=True)
class SheetInfo:
    """What the header of a worksheet shows."""

    code: str
    student: str
    title: str
    date: str


INSTRUCTIONS = (
    "Answer on paper, then send your answers to the bot (see the last page). A calculator "
    "is fine for Math, as on the Digital SAT. Mark one bubble per multiple-choice question. "
    "For a question without choices, write your answer in the boxes: up to 5 characters "
    "(6 with a minus sign) using digits, a decimal point and a fraction bar; write 3 1/2 "
    "as 7/2 or 3.5. Skip what you don't know and leave it out when you send your answers."
)


def render_pdf(info: SheetInfo, questions: list[Question]) -> bytes:
    """The printable worksheet: header, instructions, items with figures,
    an answer grid and how to send the answers back."""
    from fpdf import FPDF

    from core.chat.render import figure_png

    regular, bold = _font_paths()
    code = info.code

    class _Sheet(FPDF):  # type: ignore[misc]
        def header(self) -> None:
            self.set_font("DejaVu", "", 8)
            self.set_text_color(110)
            self.cell(0, 5, f"SAT Prep worksheet {code} · page {self.page_no()}", align="R")
            self.ln(7)
            self.set_text_color(0)

    pdf = _Sheet(format="A4")
    pdf.add_font("DejaVu", "", regular)
    pdf.add_font("DejaVu", "B", bold)
    pdf.set_title(f"Worksheet {code}")
    pdf.set_author("SAT Prep Suite")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    width = pdf.epw

    pdf.set_font("DejaVu", "B", 18)
    pdf.cell(0, 10, f"Worksheet {code}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 11)
    pdf.multi_cell(
        width,
        6,
        f"{info.title} · {len(questions)} questions · for {info.student} · {info.date}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 9.5)
    pdf.multi_cell(width, 5, INSTRUCTIONS, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    for position, q in enumerate(questions, start=1):
        _item(pdf, position, q, figure_png(q), width)

    _answer_grid(pdf, code, questions, width)
    return bytes(pdf.output())


def _item(pdf: object, position: int, q: Question, png: bytes | None, width: float) -> None:
    from fpdf import FPDF

    assert isinstance(pdf, FPDF)
    if pdf.will_page_break(40):
        pdf.add_page()
    pdf.set_draw_color(200)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 12)
    pdf.cell(12, 6, f"{position}.")
    pdf.set_font("DejaVu", "", 8.5)
    pdf.set_text_color(90)
    skill = SKILLS[q.skill]
    pdf.cell(0, 6, f"{DOMAINS[q.domain].name} › {skill.name}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0)
    pdf.set_font("DejaVu", "", 10.5)
    if q.passage2:
        for label, text in (("Text 1", q.passage or ""), ("Text 2", q.passage2)):
            pdf.set_font("DejaVu", "B", 10)
            pdf.cell(0, 5, label, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("DejaVu", "", 10.5)
            pdf.multi_cell(width, 5.5, text.strip(), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
    elif q.passage:
        pdf.multi_cell(width, 5.5, q.passage.strip(), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    if png:
        w_px, h_px = _png_size(png)
        w = min(110.0, width)
        h = w * h_px / max(w_px, 1)
        if pdf.will_page_break(h + 4):
            pdf.add_page()
        pdf.image(io.BytesIO(png), x=pdf.l_margin + 4, w=w, h=h)
        pdf.ln(2)
    pdf.set_font("DejaVu", "B", 10.5)
    pdf.multi_cell(width, 5.5, q.text.strip(), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10.5)
    if q.type == "mcq" and q.options:
        for letter in CHOICE_LETTERS:
            if letter in q.options:
                pdf.set_x(pdf.l_margin + 4)
                pdf.multi_cell(
                    width - 4, 5.5, f"{letter})  {q.options[letter]}", new_x="LMARGIN", new_y="NEXT"
                )
    else:
        pdf.set_font("DejaVu", "", 9)
        pdf.set_text_color(90)
        pdf.cell(
            0,
            6,
            "Write your answer in the boxes on the answer grid.",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_text_color(0)
    pdf.ln(3)


def _answer_grid(pdf: object, code: str, questions: list[Question], width: float) -> None:
    from fpdf import FPDF

    assert isinstance(pdf, FPDF)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 14)
    pdf.cell(0, 8, f"Answer grid · {code}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    rows_per_column = 15
    column_w = width / 2
    top = pdf.get_y()
    row_h = 10.0
    for i, q in enumerate(questions):
        col, row = divmod(i, rows_per_column)
        x = pdf.l_margin + col * column_w
        y = top + row * row_h
        pdf.set_xy(x, y)
        pdf.set_font("DejaVu", "B", 11)
        pdf.cell(10, 7, f"{i + 1}.")
        pdf.set_font("DejaVu", "", 9)
        if q.type == "mcq":
            for j, letter in enumerate(CHOICE_LETTERS):
                cx = x + 12 + j * 11
                pdf.ellipse(cx, y + 0.5, 6.5, 6.5)
                pdf.set_xy(cx, y + 0.5)
                pdf.cell(6.5, 6.5, letter, align="C")
        else:
            for j in range(6):
                pdf.rect(x + 12 + j * 7.5, y, 7, 7)
    pdf.set_xy(pdf.l_margin, top + min(len(questions), rows_per_column) * row_h + 6)
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(width, 6, "Sending your answers back", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(
        width,
        5.5,
        "When you are online again, send me ONE message: the code, then each question's "
        "number and your answer (a letter, or the number you wrote). For example:",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("DejaVu", "B", 12)
    pdf.multi_cell(width, 8, example_reply(code, questions), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(
        width,
        5.5,
        "Leave out the ones you skipped. You can send part now and the rest later; "
        "sending the same answers again changes nothing.",
        new_x="LMARGIN",
        new_y="NEXT",
    )


def title_for(topic: str | None) -> str:
    """How the worksheet's topic reads in its header."""
    if topic is None:
        return "Your weakest skills"
    if topic in SECTION_NAMES:
        return SECTION_NAMES[topic]
    if topic in SKILLS:
        return SKILLS[topic].name
    if topic in DOMAINS:
        return DOMAINS[topic].name
    return topic
