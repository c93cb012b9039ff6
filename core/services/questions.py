"""Items in the database: import from the bank, the selection pool, answer checks.

The YAML bank and the generators produce :class:`~core.content.item.Item`;
the ``questions`` table stores each item that can be served, with its
current IRT parameters. Generated items are stored the first time they are
served, so a response always points at the exact text the student saw.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import bindparam, event, func, select
from sqlalchemy.orm import Session

from core.chat.errors import UserError
from core.content import generators
from core.content.item import CHOICE_LETTERS, IrtParams, Item
from core.content.taxonomy import DIFFICULTY_PRIOR_B, DOMAINS, SKILLS
from core.db.models import Question, Response

SKILL_CODES = {code: i for i, code in enumerate(SKILLS)}
DOMAIN_CODES = {code: i for i, code in enumerate(DOMAINS)}
SECTION_CODES = {"rw": 0, "math": 1}
SKILL_NAMES = list(SKILL_CODES)
DOMAIN_NAMES = list(DOMAIN_CODES)


def content_hash(item: Item) -> str:
    """A hash of everything a student sees and the key: changes mean a new version."""
    body = json.dumps(
        [
            item.stem,
            item.passage,
            item.passage2,
            item.choices,
            item.key,
            item.explanation,
            item.hints,
            item.figure,
            item.skill,
            item.difficulty,
            item.type,
        ],
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _row_values(item: Item, bank: str) -> dict[str, object]:
    params = item.start_params()
    key = [item.key] if isinstance(item.key, str) else list(item.key)
    return dict(
        section=item.section,
        domain=item.domain,
        skill=item.skill,
        difficulty=item.difficulty,
        type=item.type,
        text=item.stem,
        passage=item.passage,
        passage2=item.passage2,
        options=dict(item.choices) if item.type == "mcq" else None,
        correct_answer=key,
        explanation=item.explanation,
        hints=list(item.hints),
        figure=item.figure,
        source=item.source[:255],
        bank=bank,
        generator=item.generator,
        seed=item.seed,
        a_param=params.a,
        b_param=params.b,
        c_param=params.c,
        content_hash=content_hash(item),
    )


@dataclass
class ImportReport:
    """What an import did, for the operator."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    deleted: int = 0


def import_items(
    s: Session,
    items: Iterable[Item],
    bank: str = "core",
    prune: bool = False,
    owner_id: str | None = None,
) -> ImportReport:
    """Upsert items by id. With ``prune``, items of ``bank`` missing from the
    import are deleted, or retired when they have responses (history keeps
    its meaning). Calibrated parameters survive a text edit."""
    report = ImportReport()
    existing = {q.question_id: q for q in s.scalars(select(Question).where(Question.bank == bank))}
    seen: set[str] = set()
    for item in items:
        seen.add(item.id)
        values = _row_values(item, bank)
        row = existing.get(item.id) or s.get(Question, item.id)
        if row is None:
            s.add(Question(question_id=item.id, owner_id=owner_id, **values))
            report.added += 1
            continue
        if row.content_hash == values["content_hash"] and not row.retired:
            report.unchanged += 1
            continue
        if row.calibrated_at is not None and item.irt is None:
            for name in ("a_param", "b_param", "c_param"):
                values.pop(name)
        for name, value in values.items():
            setattr(row, name, value)
        row.retired = False
        report.updated += 1
    if prune:
        for qid, row in existing.items():
            if qid in seen or row.retired:
                continue
            used = s.scalar(
                select(func.count()).select_from(Response).where(Response.question_id == qid)
            )
            if used:
                row.retired = True
                report.retired += 1
            else:
                s.delete(row)
                report.deleted += 1
    s.flush()
    return report


def store_item(s: Session, item: Item, new: bool = False) -> Question:
    """The stored row of ``item``, inserting it (a generated item) if new
    (``new``: the caller has looked already and knows it is not stored)."""
    row = None if new else s.get(Question, item.id)
    if row is None:
        row = Question(
            question_id=item.id, **_row_values(item, "generated" if item.generator else "core")
        )
        s.add(row)
        s.flush()
    return row


def to_item(q: Question) -> Item:
    """The item a stored question shows (with its current parameters)."""
    key: str | list[str] = q.correct_answer[0] if q.type == "mcq" else list(q.correct_answer)
    return Item(
        id=q.question_id,
        skill=q.skill,
        difficulty=q.difficulty,  # type: ignore[arg-type]
        type=q.type,  # type: ignore[arg-type]
        stem=q.text,
        key=key,
        explanation=q.explanation,
        choices=dict(q.options or {}),
        passage=q.passage,
        passage2=q.passage2,
        hints=list(q.hints or []),
        irt=IrtParams(q.a_param, q.b_param, q.c_param),
        figure=q.figure,
        source=q.source,
        generator=q.generator,
        seed=q.seed,
    )


# --------------------------------------------------------------------------
# Answer checking
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """An accepted answer: its normalised form and whether it is right."""

    answer: str
    correct: bool


def check_answer(q: Question, raw: str) -> Checked:
    """Check an answer; raise UserError (changing nothing) when it is not an answer."""
    text = raw.strip()
    if q.type == "mcq":
        letter = text.upper().rstrip(").").lstrip("(")
        if letter not in CHOICE_LETTERS:
            raise UserError("Choose A, B, C or D (tap a button or type the letter).")
        return Checked(letter, letter == q.correct_answer[0])
    from core.content.spr import check_spr

    result = check_spr(text, list(q.correct_answer))
    if not result.accepted_as_answer:
        raise UserError(f"{result.reason} Nothing was recorded; try again.")
    return Checked(text[:16], result.correct)


# --------------------------------------------------------------------------
# The selection pool
# --------------------------------------------------------------------------


@dataclass
class Pool:
    """The servable questions as arrays for the IRT engine (one per process)."""

    ids: list[str]
    index: dict[str, int]
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    section: np.ndarray
    domain: np.ndarray
    skill: np.ndarray
    generated: np.ndarray
    version: tuple[int, object]


class PoolCache:
    """Rebuilds the pool when the table changed (row count or newest update).

    ``use_generators`` lets fresh generated items compete with stored ones;
    tests that need a fixed bank turn it off.
    """

    def __init__(self, use_generators: bool = True) -> None:
        self.use_generators = use_generators
        self._pool: Pool | None = None
        self._lock = threading.Lock()
        self._checked = 0.0
        self._questions: dict[str, Question] = {}

    CHECK_EVERY = 2.0
    """Seconds between checks of the table's version: a new, retired or
    re-calibrated item reaches selection within this time. (A generated item
    is stored by the answer that drew it; its student has seen it anyway.)"""

    def get(self, s: Session) -> Pool:
        pool = self._pool
        if pool is not None and time.monotonic() - self._checked < self.CHECK_EVERY:
            return pool
        self._checked = time.monotonic()
        version = tuple(
            s.execute(
                select(func.count(), func.max(Question.updated_at)).where(
                    Question.retired.is_(False)
                )
            ).one()
        )
        pool = self._pool
        if pool is not None and pool.version == version:
            return pool
        with self._lock:
            rows = s.execute(
                select(
                    Question.question_id,
                    Question.a_param,
                    Question.b_param,
                    Question.c_param,
                    Question.section,
                    Question.domain,
                    Question.skill,
                    Question.generator,
                    Question.updated_at,
                )
                .where(Question.retired.is_(False))
                .order_by(Question.question_id)
            ).all()
            ids = [r[0] for r in rows]
            # Copies of changed or retired questions are read again; new rows
            # (a generated item stored) leave the others in place.
            # copy() is one step under the GIL: other threads add copies meanwhile
            # (iterating the live dict failed under load: "changed size during iteration").
            updated = {r[0]: r[8] for r in rows}
            self._questions = {
                qid: q
                for qid, q in self._questions.copy().items()
                if updated.get(qid) == q.updated_at
            }
            self._pool = Pool(
                ids=ids,
                index={qid: i for i, qid in enumerate(ids)},
                a=np.array([r[1] for r in rows], dtype=float),
                b=np.array([r[2] for r in rows], dtype=float),
                c=np.array([r[3] for r in rows], dtype=float),
                section=np.array([SECTION_CODES[r[4]] for r in rows], dtype=np.int64),
                domain=np.array([DOMAIN_CODES[r[5]] for r in rows], dtype=np.int64),
                skill=np.array([SKILL_CODES[r[6]] for r in rows], dtype=np.int64),
                generated=np.array([r[7] is not None for r in rows], dtype=bool),
                version=version,  # type: ignore[arg-type]
            )
            return self._pool

    MAX_QUESTIONS = 20_000
    """Copies kept per process (about 2 KB each)."""

    def cached(self, s: Session, question_ids: Iterable[str]) -> list[Question] | None:
        """The copies of ``question_ids`` if this process has them all, else None;
        never loads one (see :meth:`question`)."""
        self.get(s)
        questions = self._questions
        found = [questions.get(qid) for qid in question_ids]
        return None if None in found else found  # type: ignore[return-value]

    def question(self, s: Session, question_id: str) -> Question | None:
        """The stored question ``question_id`` from the process's read-only copies.

        A copy is a transient :class:`Question` that no session owns: read its
        attributes, never add it to a session. When the pool's version changes
        (checked every :attr:`CHECK_EVERY` seconds), copies whose ``updated_at``
        moved, or that were retired, are dropped, so a changed question is read
        again within that time. Once its copy is made, serving a question costs
        no query and no ORM load.
        """
        self.get(s)
        questions = self._questions
        q = questions.get(question_id)
        if q is None:
            row = s.execute(_QUESTION_ROW, {"question_id": question_id}).first()
            if row is None:
                return None
            q = Question(**row._mapping)
            if len(questions) < self.MAX_QUESTIONS:
                questions[question_id] = q
        return q


_QUESTION_ROW = select(Question.__table__).where(
    Question.__table__.c.question_id == bindparam("question_id")
)


def fresh_generated(
    skill: str, target_b: float, rng: random.Random, avoid: set[str]
) -> Item | None:
    """A new generated item for ``skill`` whose difficulty prior is nearest ``target_b``."""
    gens = generators.by_skill(skill)
    if not gens:
        return None
    difficulty = min(DIFFICULTY_PRIOR_B, key=lambda d: abs(DIFFICULTY_PRIOR_B[d] - target_b))
    for _ in range(20):
        gen = rng.choice(gens)
        item = generators.make(gen.name, rng.randrange(1, 10**6), difficulty)  # type: ignore[arg-type]
        if item.id not in avoid:
            return item
    return None


_SEEN_MEMO = "questions.seen"


@dataclass
class History:
    """A user's responses, read once per transaction: what they have seen,
    and per session the (question, correct, pretest) of each answer in order."""

    seen: set[str]
    by_session: dict[str, list[tuple[str, bool, bool]]]

    def add(self, question_id: str, session_id: str | None, correct: bool, pretest: bool) -> None:
        self.seen.add(question_id)
        if session_id is not None:
            self.by_session.setdefault(session_id, []).append((question_id, correct, pretest))


def history(s: Session, user_id: str) -> History:
    """The user's responses (remembered for the transaction; do not change it).

    Responses added later in the same transaction join it: through the ORM
    as they are flushed (``_note_new_responses``), or by ``note_response``
    for a plain insert. A response changed through the ORM (a test answer
    revised) makes the next call read again.
    """
    memo: dict[str, History] = s.info.setdefault(_SEEN_MEMO, {})
    found = memo.get(user_id)
    if found is None:
        s.flush()  # pending responses are part of the answer (the query's autoflush, kept)
        found = memo[user_id] = History(set(), {})
        for qid, session_id, correct, pretest in s.execute(_HISTORY, {"user_id": user_id}):
            found.add(qid, session_id, bool(correct), bool(pretest))
    return found


def seen_question_ids(s: Session, user_id: str) -> set[str]:
    """Every question the user has a response to (a copy; the caller may change it)."""
    return set(history(s, user_id).seen)


def note_response(
    s: Session, user_id: str, question_id: str, session_id: str, correct: bool, pretest: bool
) -> None:
    """Add a response stored outside the ORM's unit of work to the remembered history."""
    memo: dict[str, History] | None = s.info.get(_SEEN_MEMO)
    if memo and user_id in memo:
        memo[user_id].add(question_id, session_id, correct, pretest)


_HISTORY = (
    select(Response.question_id, Response.session_id, Response.correct, Response.is_pretest)
    .where(Response.user_id == bindparam("user_id"))
    .order_by(Response.id)
)


@event.listens_for(Session, "before_flush")
def _note_new_responses(s: Session, _context: object, _instances: object) -> None:
    memo: dict[str, History] | None = s.info.get(_SEEN_MEMO)
    if not memo:
        return
    for obj in s.dirty:
        if isinstance(obj, Response):
            memo.pop(obj.user_id, None)  # a revised answer: read again
    for obj in s.new:
        if isinstance(obj, Response) and obj.user_id in memo:
            memo[obj.user_id].add(
                obj.question_id, obj.session_id, bool(obj.correct), bool(obj.is_pretest)
            )


@event.listens_for(Session, "after_rollback")
def _forget_seen(s: Session) -> None:
    s.info.pop(_SEEN_MEMO, None)
