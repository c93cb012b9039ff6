"""The offline tutor on real content: shipped items and generated ones, all 29 skills."""

from __future__ import annotations

import pytest

from core.chat.render import key_text
from core.content import generators
from core.content.bank import ItemBank
from core.content.item import Item
from core.content.taxonomy import SKILLS
from core.db.models import Question
from core.services.questions import _row_values
from core.tutor.context import Answered, TutorContext, item_view
from core.tutor.offline import TAG, general_reply, offline_reply
from core.tutor.strategies import strategy_notes

BANK = ItemBank.load()


def _samples(skill: str, n: int = 3) -> list[Item]:
    items = BANK.by_skill(skill)[:n]
    if len(items) < n:
        generators.load_all()
        for gen in generators.by_skill(skill):
            for seed, difficulty in ((1, "easy"), (2, "medium"), (3, "hard")):
                items.append(generators.make(gen.name, seed, difficulty))  # type: ignore[arg-type]
    return items[:n]


def _question(item: Item) -> Question:
    return Question(question_id=item.id, **_row_values(item, "core"))


def _ctx(q: Question, level: int, answered: Answered | None = None) -> TutorContext:
    return TutorContext(
        item=item_view(q),
        hints=tuple(q.hints)[: min(level, 3)],
        hint_level=level,
        level_words="solid",
        answered=answered,
        strategy_skill=q.skill,
    )


@pytest.mark.parametrize("skill", list(SKILLS))
def test_offline_ladder_in_every_skill(skill: str) -> None:
    samples = _samples(skill)
    assert samples, f"no item or generator for {skill}"
    for item in samples:
        q = _question(item)
        assert len(q.hints) == 3, item.id
        for level in (1, 2, 3):
            reply = offline_reply(_ctx(q, level))
            assert reply.endswith(TAG)
            assert q.hints[level - 1] in reply
            assert "the answer is" not in reply.lower()
            if q.explanation.strip():
                assert q.explanation.strip() not in reply
        wrong = next((k for k in (q.options or {}) if k != key_text(q)[0]), "1")
        answered = Answered(wrong, False, key_text(q), q.explanation)
        first = offline_reply(_ctx(q, 1, answered), first_after_answer=True)
        assert f"You answered {wrong}" in first and key_text(q) in first and TAG in first
        full = offline_reply(_ctx(q, 4, answered))
        assert q.explanation.strip() in full and key_text(q) in full


@pytest.mark.parametrize("skill", list(SKILLS))
def test_strategy_notes_exist_and_parse(skill: str) -> None:
    notes = strategy_notes(skill)
    assert notes.what and notes.steps and notes.traps and notes.first_tip
    reply = general_reply(
        TutorContext(item=None, hints=(), hint_level=0, level_words="", strategy_skill=skill)
    )
    assert SKILLS[skill].name in reply and notes.steps[0] in reply and reply.endswith(TAG)


def test_missing_strategy_file_is_tolerated(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert strategy_notes("transitions", tmp_path).steps == ()
    assert strategy_notes("../../etc/passwd").text == ""
    q = _question(_samples("transitions", 1)[0])
    ctx = TutorContext(
        item=item_view(q), hints=(), hint_level=2, level_words="", strategy_skill="no_such"
    )
    assert offline_reply(ctx).endswith(TAG)  # no hints, no notes: still a reply


def test_general_reply_without_skill() -> None:
    reply = general_reply(TutorContext(item=None, hints=(), hint_level=0, level_words=""))
    assert "no penalty for guessing" in reply and reply.endswith(TAG)
