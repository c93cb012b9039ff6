"""Worksheets: adaptive selection, stored items, and the printable PDF (read back with pypdf)."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from core.chat.dispatcher import App
from core.content.item import IrtParams, Item
from core.db.engine import Database
from core.db.models import PracticeSession, Question, User, Worksheet, WorksheetItem
from core.services import worksheets
from core.services.questions import PoolCache, import_items, seen_question_ids
from core.services.sync import parse_message

FIGURE_STEM = "The scatterplot shows eight students’ study hours and scores. Which line fits best?"


def _user(s, name: str = "Ada") -> User:  # type: ignore[no-untyped-def]
    user = User(display_name=name)
    s.add(user)
    s.flush()
    return user


def _pdf_text(data: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(data))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def test_code_format_and_uniqueness(db: Database) -> None:
    with db.uow() as s:
        codes = {worksheets.new_code(s) for _ in range(200)}
    # 31⁴ codes: 200 draws collide now and then (≈2%), so no count of distinct
    # draws here; what new_code promises is never to return a stored code.
    assert len(codes) > 190
    for code in codes:
        assert code.startswith("W-") and len(code) == 6
        assert set(code[2:]) <= set(worksheets.CODE_ALPHABET)
        assert not set(code[2:]) & set("01OIL")
        assert parse_message(code.lower() + " 1a").code == code  # typed in lower case


def test_selection_is_adaptive_unseen_and_stored(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    cache = PoolCache(use_generators=False)
    with db.uow() as s:
        user = _user(s)
        skills = ["linear_one_var", "linear_two_var"]
        first, qs1 = worksheets.create_worksheet(s, cache, user, skills, 12, clock.now, "algebra")
        second, qs2 = worksheets.create_worksheet(s, cache, user, skills, 12, clock.now, "algebra")
        ids1 = [q.question_id for q in qs1]
        ids2 = [q.question_id for q in qs2]
        assert len(ids1) == 12 and len(set(ids1)) == 12
        assert not set(ids1) & set(ids2), "an open worksheet's items are not repeated"
        assert {q.skill for q in qs1} <= set(skills)
        # ≈70% success for a newcomer (θ = 0): the chosen items are the easier ones.
        bs = sorted(q.b_param for q in qs1)
        pool = sorted(s.scalars(select(Question.b_param).where(Question.skill.in_(skills))).all())
        assert sum(bs) / len(bs) < sum(pool) / len(pool)
        items = s.scalars(
            select(WorksheetItem)
            .where(WorksheetItem.worksheet_code == first.code)
            .order_by(WorksheetItem.position)
        ).all()
        assert [i.position for i in items] == list(range(1, 13))
        assert [i.question_id for i in items] == ids1
        session = s.get(PracticeSession, first.session_id)
        assert session is not None and session.test_type == "worksheet"
        assert session.status == "active" and session.target_count == 12
        assert seen_question_ids(s, user.user_id) == set()  # nothing answered yet


def test_mixed_topics_split_by_section(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    cache = PoolCache(use_generators=False)
    with db.uow() as s:
        user = _user(s)
        skills = ["transitions", "boundaries", "circles", "percentages"]
        _, qs = worksheets.create_worksheet(s, cache, user, skills, 8, clock.now)
        sections = [q.section for q in qs]
        assert sections.count("rw") == 4 and sections.count("math") == 4
        assert sections == sorted(sections, key=("rw", "math").index)  # R&W first


@pytest.mark.parametrize("topic", ["algebra", "rw"])
def test_pdf_has_code_stems_grid_and_reply_line(db: Database, clock, topic: str) -> None:  # type: ignore[no-untyped-def]
    cache = PoolCache(use_generators=False)
    with db.uow() as s:
        user = _user(s, "Zoë")
        skills = (
            ["linear_one_var", "linear_systems"]
            if topic == "algebra"
            else ["transitions", "boundaries", "cross_text"]
        )
        sheet, qs = worksheets.create_worksheet(s, cache, user, skills, 20, clock.now, topic)
        info = worksheets.SheetInfo(sheet.code, "Zoë", worksheets.title_for(topic), "2026-11-02")
        data = worksheets.render_pdf(info, qs)
    assert data.startswith(b"%PDF")
    reader, text = _pdf_text(data)
    assert len(reader.pages) >= 3  # items, then the answer grid on its own page
    assert sheet.code in text and "Zoë" in text
    for q in qs:
        assert q.text.split("?")[0] in text
    grid = reader.pages[-1].extract_text()
    assert f"Answer grid · {sheet.code}" in text
    assert worksheets.example_reply(sheet.code, qs) in text
    assert "Sending your answers back" in grid
    assert all(not page.images for page in reader.pages)  # no figures here


def test_unicode_prints() -> None:
    q = Question(
        question_id="u-1",
        section="math",
        domain="algebra",
        skill="linear_one_var",
        difficulty="easy",
        type="mcq",
        text="If x² + √9 = π·r and a ≤ b, what is “the value”?",
        passage="A passage with curly ‘quotes’ — and a dash.",
        options={"A": "x²", "B": "√2", "C": "π", "D": "≥ 3"},
        correct_answer=["A"],
    )
    info = worksheets.SheetInfo("W-2345", "Ann", "Algebra", "2026-11-02")
    data = worksheets.render_pdf(info, [q])
    _, text = _pdf_text(data)
    for needle in ("x²", "√9", "π", "≤", "“the value”", "≥ 3", "‘quotes’ —"):
        assert needle in text


def test_figure_item_is_printed_as_an_image(db: Database, app: App, clock) -> None:  # type: ignore[no-untyped-def]
    figure_item = Item(
        id="fig-two-var-1",
        skill="two_var_data",
        difficulty="easy",
        type="mcq",
        stem=FIGURE_STEM,
        key="B",
        choices={"A": "y = x", "B": "y = 5x + 50", "C": "y = −x", "D": "y = 100"},
        explanation="The points rise about 5 per hour from about 50.",
        figure={
            "kind": "scatter",
            "points": [[1, 55], [2, 61], [3, 64], [4, 71], [5, 74], [6, 80], [7, 86], [8, 90]],
            "line": {"slope": 5, "intercept": 50},
            "xlim": [0, 9],
        },
        irt=IrtParams(1.2, -1.0, 0.2),
    )
    cache = PoolCache(use_generators=False)
    with db.uow() as s:
        import_items(s, [figure_item], bank="fig")
        s.execute(
            update(Question)
            .where(Question.skill == "two_var_data", Question.bank == "test")
            .values(retired=True)
        )
    with db.uow() as s:
        user = _user(s)
        plain_skills = ["transitions", "boundaries", "two_var_data"]
        sheet, qs = worksheets.create_worksheet(s, cache, user, plain_skills, 3, clock.now)
        assert "fig-two-var-1" in [q.question_id for q in qs]
        info = worksheets.SheetInfo(sheet.code, "Ada", "Mixed", "2026-11-02")
        data = worksheets.render_pdf(info, qs)
        stored = s.get(Worksheet, sheet.code)
        assert stored is not None and len(stored.items) == 3
    reader, text = _pdf_text(data)
    assert FIGURE_STEM.split(".")[0] in text
    with_images = [i for i, page in enumerate(reader.pages) if page.images]
    figure_pages = [
        i for i, page in enumerate(reader.pages) if "Which line fits best" in page.extract_text()
    ]
    assert with_images and with_images == figure_pages
    image = reader.pages[with_images[0]].images[0]
    assert image.image is not None and image.image.width > 100


def test_a_stored_code_is_never_handed_out_again(monkeypatch: pytest.MonkeyPatch) -> None:
    draws = iter("2222" + "3333")
    monkeypatch.setattr(worksheets.secrets, "choice", lambda _alphabet: next(draws))

    class Stored:
        def get(self, _model: object, code: str) -> object | None:
            return object() if code == "W-2222" else None

    assert worksheets.new_code(Stored()) == "W-3333"  # type: ignore[arg-type]
