"""/worksheet and /sync through the recording chat."""

from __future__ import annotations

import io
from collections.abc import Callable

from pypdf import PdfReader
from sqlalchemy import func, select

from core.chat.messages import Document
from core.db.models import PracticeSession, Question, Response, Worksheet, WorksheetItem
from tests.chat.conversation import Chat, texts
from tests.chat.synthetic_bank import key_for


def _count(chat: Chat, model) -> int:  # type: ignore[no-untyped-def]
    with chat.dispatcher.app.db.uow() as s:
        return s.scalar(select(func.count()).select_from(model))


def _items(chat: Chat, code: str) -> list[Question]:
    with chat.dispatcher.app.db.uow() as s:
        qs = list(
            s.scalars(
                select(Question)
                .join(WorksheetItem, WorksheetItem.question_id == Question.question_id)
                .where(WorksheetItem.worksheet_code == code)
                .order_by(WorksheetItem.position)
            )
        )
        s.expunge_all()
        return qs


def _entry(position: int, q: Question, correct: bool = True) -> str:
    value = key_for(q.question_id, correct, q.type == "spr", q.text)
    return f"{position} {value}" if q.type == "spr" else f"{position}{value}"


def test_worksheet_pdf_and_sync_by_plain_message(chat: Chat) -> None:
    out = chat.send("/worksheet algebra 5")
    docs = [m for m in out if isinstance(m, Document)]
    assert len(docs) == 1 and docs[0].filename.endswith(".pdf")
    code = docs[0].filename.removeprefix("worksheet-").removesuffix(".pdf")
    assert code in docs[0].caption and "5 questions" in docs[0].caption
    assert f"like:\n{code} " in texts(out)
    reader = PdfReader(io.BytesIO(docs[0].data))
    assert code in reader.pages[0].extract_text()
    qs = _items(chat, code)
    assert len(qs) == 5 and all(q.domain == "algebra" for q in qs)

    # A practice question is waiting for a typed answer: the sheet still syncs.
    chat.send("/practice circles")
    with chat.dispatcher.app.db.uow() as s:
        pending = s.scalars(
            select(PracticeSession.current_question_id).where(
                PracticeSession.test_type == "practice"
            )
        ).one()
    out = texts(
        chat.send(f"{code.lower()} " + " ".join(_entry(i + 1, q) for i, q in enumerate(qs[:3])))
    )
    assert "Synced 3 new answer(s)" in out and "3/3 correct so far" in out and "2 to go" in out
    with chat.dispatcher.app.db.uow() as s:
        still = s.scalars(
            select(PracticeSession.current_question_id).where(
                PracticeSession.test_type == "practice"
            )
        ).one()
    assert still == pending  # the practice question was not answered by the sheet

    listing = texts(chat.send("/sync"))
    assert f"{code}: 3/5 synced" in listing
    wrong4 = key_for(qs[3].question_id, False, qs[3].type == "spr", qs[3].text)
    out = texts(chat.send(f"/sync {code} 4 {wrong4}, {_entry(5, qs[4], False)}"))
    assert "Complete" in out and "Misses (saved for /review)" in out
    assert "Nothing to sync" in texts(chat.send("/sync"))
    assert _count(chat, Response) == 5


def test_bad_worksheet_requests_change_nothing(
    chat: Chat, chat_factory: Callable[..., Chat]
) -> None:
    assert "1 to 30 questions" in texts(chat.send("/worksheet algebra 31"))
    assert "1 to 30 questions" in texts(chat.send("/worksheet 0"))
    assert "don't know the topic" in texts(chat.send("/worksheet basket weaving 5"))
    assert "Start with the worksheet's code" in texts(chat.send("/sync 1A 2B"))
    assert "can't find worksheet W-ABCD" in texts(chat.send("W-ABCD 1A"))
    chat.send("/practice algebra")
    assert "middle of a session" in texts(chat.send("/worksheet algebra"))
    group = chat_factory("1001", chat_kind="group", chat_id="-500")
    assert "private chat" in texts(group.send("/worksheet"))
    assert _count(chat, Worksheet) == 0 and _count(chat, Response) == 0


def test_default_worksheet_has_ten_items(chat: Chat) -> None:
    out = chat.send("/worksheet")
    doc = next(m for m in out if isinstance(m, Document))
    assert "10 questions" in doc.caption
    assert _count(chat, WorksheetItem) == 10
