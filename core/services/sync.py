"""Syncing answers made away from the bot: a worksheet message or a JSON file.

Every answer carries a client id, and ``responses`` is unique per
(user, client id) and per (session, question), while ``worksheet_items``
is unique per response: a repeated or concurrent sync therefore cannot
store an answer twice. A worksheet entry's client id is derived from the
sheet, ``<code>:<position>``, so the same message sent twice, or by two
processes at once, names the same answers.

Rules: a repeat changes nothing; a partial submission fills only what is
missing; an answer for a position that already has a different synced
answer is not overwritten; malformed entries are listed back and change
nothing while the valid entries of the same message are stored; answers for
a closed timed module, or for a question that is on no worksheet of the
user, are refused; someone else's worksheet is "not found", exactly like a
code that does not exist. Stored answers count exactly as live practice
answers: response, points (same rule), review card for a miss, activity,
events, and new ability estimates after each sync.

The worksheet message grammar (case-insensitive; entries separated by
spaces, commas or semicolons)::

    message  := code entry*
    code     := "W-" 4 characters (the dash may be left out: "W7F3K")
    entry    := number [sep] letter          1A  1 A  1:A  1.A  1)A  1=A
              | number [sep] spr-entry       3 7/2  3:7/2  3 -1.5  3=.5
    sep      := spaces | ":" | "." | ")" | "="   (no "." before a number)
    letter   := A | B | C | D
    spr-entry:= digits, ".", "/" and "-" as on the answer sheet

The JSON file (for an offline client)::

    {"answers": [{"client_id": "…", "question_id": "…", "answer": "B",
                  "answered_at": "2026-11-02T15:04:05Z", "worksheet": "W-7F3K"}]}

``answered_at`` and ``worksheet`` are optional.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.chat.errors import UserError
from core.db.models import (
    PracticeSession,
    Question,
    Response,
    TestModule,
    TestModuleItem,
    User,
    Worksheet,
    WorksheetItem,
)
from core.irt.estimate import Estimate
from core.services import events, practice, review
from core.services.points import POINTS_BY_DIFFICULTY, award, record_activity
from core.services.questions import check_answer

CODE = re.compile(r"^\s*W\s*-?\s*([A-Za-z0-9]{4})(?![A-Za-z0-9])", re.IGNORECASE)
_ENTRY_LETTER = re.compile(r"^(\d{1,3})[:.)=]?([A-Za-z])\)?$")
_ENTRY_SPR = re.compile(r"^(\d{1,3})[:)=]([-0-9./]+)$")
_POSITION = re.compile(r"^(\d{1,3})[:.)=]?$")
_ANSWER = re.compile(r"^\(?([A-Za-z])\)?$|^([-0-9./]+)$")
_SPLIT = re.compile(r"[\s,;]+")
MAX_JSON_ANSWERS = 200
MAX_JSON_BYTES = 256_000
NOT_FOUND = (
    "I can't find worksheet {code} among yours. Check the code printed at the top of the "
    "sheet (letters and digits, like W-7F3K); /sync lists your open worksheets."
)


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One numbered answer from a worksheet message."""

    position: int
    answer: str


@dataclass
class ParsedMessage:
    """A worksheet message: its code, the readable entries and what was not."""

    code: str
    entries: list[Entry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def looks_like_worksheet(text: str) -> bool:
    """True when ``text`` starts with a worksheet code (``W-XXXX``)."""
    return CODE.match(text or "") is not None


def parse_message(text: str) -> ParsedMessage:
    """Split a worksheet message into entries; unreadable pieces become problems.

    Raises ValueError when the text does not start with a worksheet code."""
    match = CODE.match(text or "")
    if match is None:
        raise ValueError("no worksheet code")
    parsed = ParsedMessage("W-" + match.group(1).upper())
    tokens = [t for t in _SPLIT.split(text[match.end() :].strip()) if t]
    raw: list[Entry] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if m := _ENTRY_LETTER.match(token):
            raw.append(Entry(int(m.group(1)), m.group(2).upper()))
            i += 1
        elif m := _ENTRY_SPR.match(token):
            raw.append(Entry(int(m.group(1)), m.group(2)))
            i += 1
        elif m := _POSITION.match(token):
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            answer = _ANSWER.match(nxt) if nxt is not None else None
            if answer is None:
                parsed.problems.append(
                    f"“{token}”: a question number with no answer after it "
                    "(write it like 3B or 3 7/2)."
                )
                i += 1
                continue
            value = answer.group(1).upper() if answer.group(1) else answer.group(2)
            raw.append(Entry(int(m.group(1)), value))
            i += 2
        else:
            parsed.problems.append(
                f"“{token[:20]}”: I couldn't read this; write each answer as a number "
                "and a letter (3B) or a number and your entry (3 7/2)."
            )
            i += 1
    by_position: dict[int, set[str]] = {}
    for entry in raw:
        by_position.setdefault(entry.position, set()).add(entry.answer)
    for entry in raw:
        answers = by_position.get(entry.position)
        if answers is None:
            continue
        if len(answers) > 1:
            parsed.problems.append(
                f"{entry.position}: given twice with different answers "
                f"({', '.join(sorted(answers))}); send it again with one answer."
            )
        else:
            parsed.entries.append(entry)
        del by_position[entry.position]
    return parsed


# --------------------------------------------------------------------------
# Applying answers
# --------------------------------------------------------------------------


@dataclass
class Miss:
    """A missed item, for the reply's short explanations."""

    position: int
    question: Question
    answer: str


@dataclass
class SheetProgress:
    """Where a worksheet stands after a sync."""

    code: str
    right: int
    answered: int
    total: int
    complete: bool


@dataclass
class SyncReport:
    """What a sync did, entry by entry, for the reply."""

    stored: list[str] = field(default_factory=list)  # "W-7F3K #3" labels
    already: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    misses: list[Miss] = field(default_factory=list)
    points: int = 0
    sheets: list[SheetProgress] = field(default_factory=list)
    announcements: list[str] = field(default_factory=list)


def find_sheet(s: Session, user_id: str, code: str) -> Worksheet:
    """The caller's worksheet ``code``; someone else's is "not found" too."""
    sheet = s.get(Worksheet, code.upper())
    if sheet is None or sheet.user_id != user_id:
        raise UserError(NOT_FOUND.format(code=code.upper()[:8]))
    return sheet


def _item(s: Session, code: str, position: int) -> WorksheetItem | None:
    return s.scalar(
        select(WorksheetItem).where(
            WorksheetItem.worksheet_code == code, WorksheetItem.position == position
        )
    )


class _Sync:
    """One sync: answers applied in one transaction, then estimates and summaries."""

    def __init__(self, s: Session, user: User, now: datetime) -> None:
        self.s, self.user, self.now = s, user, now
        self.report = SyncReport()
        self.touched: dict[str, Worksheet] = {}
        self.new_answers = 0

    def apply(
        self,
        sheet: Worksheet,
        item: WorksheetItem,
        raw: str,
        client_id: str,
        answered_at: datetime | None,
    ) -> None:
        s, uid = self.s, self.user.user_id
        label = f"{sheet.code} #{item.position}"
        q = s.get(Question, item.question_id)
        assert q is not None
        try:
            checked = check_answer(q, raw)
        except UserError as exc:
            reason = exc.message.replace(" Nothing was recorded; try again.", "")
            self.report.problems.append(f"{item.position}: “{raw[:16]}” — {reason}")
            return
        if item.response_id is not None:
            synced = s.get(Response, item.response_id)
            if synced is not None and synced.answer == checked.answer:
                self.report.already.append(label)
            else:
                kept = synced.answer if synced is not None else "?"
                self.report.conflicts.append(
                    f"{item.position}: already synced as {kept}; I kept that answer, not "
                    f"{checked.answer} (answers aren't changed once synced)."
                )
            return
        earlier = s.scalar(
            select(Response).where(Response.user_id == uid, Response.client_id == client_id)
        )
        if earlier is not None:
            if earlier.question_id == q.question_id and earlier.answer == checked.answer:
                self.report.already.append(label)
            else:
                self.report.conflicts.append(
                    f"{label}: this answer id was already synced with another answer "
                    f"({earlier.answer}); I kept that one."
                )
            return
        when = (
            self.now if answered_at is None else max(sheet.created_at, min(answered_at, self.now))
        )
        response = Response(
            session_id=sheet.session_id,
            user_id=uid,
            question_id=q.question_id,
            answer=checked.answer,
            correct=checked.correct,
            skipped=False,
            time_spent=0,
            timestamp=when,
            client_id=client_id,
        )
        s.add(response)
        # Two syncs of one sheet at once collide here, on the unique
        # constraints; the dispatcher retries the loser, who then finds the
        # answer stored and reports it as already synced.
        s.flush()
        item.response_id = response.id
        item.synced_at = self.now
        s.flush()
        if checked.correct:
            points = award(
                s,
                self.user,
                POINTS_BY_DIFFICULTY[q.difficulty],
                "answer",
                f"response:{response.id}",
                self.now,
            )
            response.points_awarded = points
            self.report.points += points
        else:
            review.add_miss(s, uid, q.question_id, self.now)
            self.report.misses.append(Miss(item.position, q, checked.answer))
        record_activity(s, self.user, self.now, 0)  # as a live answer does, before the event
        self.report.announcements += events.publish(
            s,
            events.AnswerRecorded(
                uid,
                sheet.session_id,
                "worksheet",
                response.id,
                q.question_id,
                checked.correct,
                False,
            ),
            self.now,
        )
        self.report.stored.append(label)
        self.touched[sheet.code] = sheet
        self.new_answers += 1

    def finish(self, sheets: list[Worksheet]) -> SyncReport:
        s = self.s
        for sheet in sheets:
            self.touched.setdefault(sheet.code, sheet)
        changed = [
            sheet
            for sheet in self.touched.values()
            if any(label.startswith(sheet.code + " ") for label in self.report.stored)
        ]
        estimates: dict[str, Estimate] = {}
        if changed:
            # New estimates from all of the student's answers, once per sync,
            # exactly as a finished practice session stores them.
            sections = sorted(
                set(
                    s.scalars(
                        select(Question.section)
                        .join(Response, Response.question_id == Question.question_id)
                        .where(Response.session_id.in_([sh.session_id for sh in changed]))
                    )
                )
            )
            estimates = practice.update_proficiencies(
                s,
                self.user.user_id,
                sections,
                self.now,
                changed[0].session_id if len(changed) == 1 else None,
            )
        for sheet in self.touched.values():
            rows = list(
                s.execute(
                    select(WorksheetItem, Response)
                    .outerjoin(Response, Response.id == WorksheetItem.response_id)
                    .where(WorksheetItem.worksheet_code == sheet.code)
                ).all()
            )
            right = sum(1 for _, r in rows if r is not None and r.correct)
            answered = sum(1 for _, r in rows if r is not None)
            complete = answered == len(rows)
            session = s.get(PracticeSession, sheet.session_id)
            assert session is not None
            if sheet in changed:
                section = (session.section or "").split(",")
                if len(section) == 1 and section[0] in estimates:
                    session.theta = estimates[section[0]].theta
                    session.standard_error = estimates[section[0]].se
                if complete and session.status != "finished":
                    session.status = "finished"
                    session.finished_at = self.now
                    session.current_question_id = None
                    session.report = {"right": right, "total": len(rows)}
                    self.report.announcements += events.publish(
                        s,
                        events.SessionFinished(
                            self.user.user_id,
                            session.session_id,
                            "worksheet",
                            right,
                            len(rows),
                            session.topic,
                        ),
                        self.now,
                    )
            self.report.sheets.append(
                SheetProgress(sheet.code, right, answered, len(rows), complete)
            )
        return self.report


def sync_message(s: Session, user: User, text: str, now: datetime) -> SyncReport:
    """Store the answers of a worksheet message (see the grammar above)."""
    parsed = parse_message(text)
    sheet = find_sheet(s, user.user_id, parsed.code)
    run = _Sync(s, user, now)
    run.report.problems += parsed.problems
    total = len(sheet.items)
    for entry in parsed.entries:
        item = _item(s, sheet.code, entry.position)
        if item is None:
            run.report.problems.append(
                f"{entry.position}: {sheet.code} has no question {entry.position} "
                f"(it has {total}, numbered 1–{total})."
            )
            continue
        run.apply(sheet, item, entry.answer, f"{sheet.code}:{entry.position}", None)
    if not parsed.entries and not parsed.problems:
        run.report.problems.append(
            f"No answers after the code. Send them like: {sheet.code} 1A 2C 3 7/2"
        )
    return run.finish([sheet])


def _parse_time(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("answered_at must be an ISO date-time text")
    stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def sync_json(s: Session, user: User, data: bytes, now: datetime) -> SyncReport:
    """Store the answers of a JSON sync file (see the format above)."""
    if len(data) > MAX_JSON_BYTES:
        raise UserError("That file is too large to sync (at most 256 kB). Split it in parts.")
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(
            f"That file isn't valid JSON ({str(exc)[:80]}). Nothing was synced."
        ) from None
    answers = doc.get("answers") if isinstance(doc, dict) else None
    if not isinstance(answers, list):
        raise UserError(
            'The file needs an "answers" list, like {"answers": [{"client_id": "…", '
            '"question_id": "…", "answer": "B"}]}. Nothing was synced.'
        )
    if len(answers) > MAX_JSON_ANSWERS:
        raise UserError(f"At most {MAX_JSON_ANSWERS} answers per file, please. Nothing was synced.")
    run = _Sync(s, user, now)
    uid = user.user_id
    for n, entry in enumerate(answers, start=1):
        where = f"answer {n}"
        if not isinstance(entry, dict):
            run.report.problems.append(
                f"{where}: not an object with client_id, question_id, answer."
            )
            continue
        client_id, qid, raw = entry.get("client_id"), entry.get("question_id"), entry.get("answer")
        missing = [
            name
            for name, value, size in (
                ("client_id", client_id, 64),
                ("question_id", qid, 64),
                ("answer", raw, 16),
            )
            if not isinstance(value, str) or not value.strip() or len(value) > size
        ]
        if missing:
            run.report.problems.append(
                f"{where}: {', '.join(missing)} missing or not a short text."
            )
            continue
        assert isinstance(client_id, str) and isinstance(qid, str) and isinstance(raw, str)
        try:
            answered_at = _parse_time(entry.get("answered_at"))
        except ValueError:
            run.report.problems.append(f"{where}: answered_at is not an ISO date-time.")
            continue
        code = entry.get("worksheet")
        query = (
            select(Worksheet, WorksheetItem)
            .join(WorksheetItem, WorksheetItem.worksheet_code == Worksheet.code)
            .where(Worksheet.user_id == uid, WorksheetItem.question_id == qid)
            .order_by(WorksheetItem.response_id.is_not(None), Worksheet.created_at)
        )
        if isinstance(code, str) and code.strip():
            query = query.where(Worksheet.code == code.strip().upper())
        found = s.execute(query.limit(1)).first()
        if found is not None:
            run.apply(found[0], found[1], raw, client_id, answered_at)
            continue
        run.report.refused.append(f"{where} ({qid[:40]}): {_why_refused(s, uid, qid, answered_at)}")
    return run.finish([])


def _why_refused(s: Session, user_id: str, question_id: str, answered_at: datetime | None) -> str:
    module = s.scalar(
        select(TestModule)
        .join(TestModuleItem, TestModuleItem.module_id == TestModule.id)
        .join(PracticeSession, PracticeSession.session_id == TestModule.session_id)
        .where(PracticeSession.user_id == user_id, TestModuleItem.question_id == question_id)
        .order_by(TestModule.id.desc())
        .limit(1)
    )
    if module is None:
        return "not on an open worksheet of yours, so there is nothing to sync it to."
    closed = module.ended_at or module.deadline_at
    if closed is not None and (answered_at is None or closed <= answered_at):
        return (
            f"too late: its timed test module closed at {closed:%Y-%m-%d %H:%M} UTC, before "
            "this answer. Answers count only while a module is open."
        )
    return "it belongs to a test; answer it in the test itself, not by sync."


def open_sheets(s: Session, user_id: str) -> list[tuple[Worksheet, int, int]]:
    """The user's worksheets with unsynced items: (sheet, synced, total), newest first."""
    out = []
    for sheet in s.scalars(
        select(Worksheet).where(Worksheet.user_id == user_id).order_by(Worksheet.created_at.desc())
    ):
        total = len(sheet.items)
        synced = sum(1 for item in sheet.items if item.response_id is not None)
        if synced < total:
            out.append((sheet, synced, total))
    return out
