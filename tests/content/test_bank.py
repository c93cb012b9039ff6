"""The item bank: fixture banks, generated ids, coverage, and the shipped bank."""

from __future__ import annotations

from pathlib import Path

from core.content import generators
from core.content.bank import BANK_DIR, ItemBank, format_coverage
from core.content.loader import load_items
from core.content.taxonomy import SKILLS

SAMPLE_BANK = Path(__file__).parent / "data" / "bank"


def test_load_fixture_bank() -> None:
    bank = ItemBank.load([SAMPLE_BANK])
    assert bank.problems == []
    assert set(bank.items) == {"fx-wic-001", "fx-cross-001", "fx-lin-001", "fx-circ-001"}
    assert [i.id for i in bank.by_skill("cross_text")] == ["fx-cross-001"]
    assert bank.by_skill("probability") == []
    assert bank.get("fx-lin-001") is bank.items["fx-lin-001"]
    assert bank.get("nope") is None


def test_problems_are_kept_and_bad_items_left_out(tmp_path: Path) -> None:
    good = (SAMPLE_BANK / "math" / "sample.yaml").read_text()
    (tmp_path / "a_good.yaml").write_text(good)
    (tmp_path / "b_bad.yaml").write_text(good.replace("key: B", "key: E"))
    bank = ItemBank.load(tmp_path)
    assert [str(p).split(": ", 1)[1] for p in bank.problems] == [
        f"item fx-lin-001: duplicate id fx-lin-001 (first defined at {tmp_path / 'a_good.yaml'}:2)",
        "item fx-circ-001: duplicate id fx-circ-001 (first defined at "
        f"{tmp_path / 'a_good.yaml'}:9)",
        'item fx-circ-001: key "E" is not one of the choices A–D',
    ]
    assert set(bank.items) == {"fx-lin-001", "fx-circ-001"}


def test_generated_items_rebuild_from_their_id() -> None:
    bank = ItemBank.load([SAMPLE_BANK])
    skills = bank.skills_with_generators()
    assert all(s in SKILLS for s in skills)
    if not skills:  # generators are being written alongside this module
        return
    name = generators.by_skill(skills[0])[0].name
    item = generators.make(name, 7, "hard")
    again = bank.get(item.id)
    assert again is not None and again.id == item.id and again.stem == item.stem
    assert bank.get("gen-no_such_generator-easy-1") is None
    assert bank.get("gen-broken") is None


def test_coverage_rows_and_table() -> None:
    bank = ItemBank.load([SAMPLE_BANK])
    rows = bank.coverage()
    assert [r.skill for r in rows] == list(SKILLS)
    by_skill = {r.skill: r for r in rows}
    assert (by_skill["linear_one_var"].medium, by_skill["linear_one_var"].spr) == (1, 1)
    assert (by_skill["words_in_context"].easy, by_skill["words_in_context"].mcq) == (1, 1)
    assert by_skill["cross_text"].hard == 1 and by_skill["cross_text"].total == 1
    for row in rows:
        assert row.generators == tuple(g.name for g in generators.by_skill(row.skill))
    table = format_coverage(rows)
    lines = table.splitlines()
    assert lines[0].split()[:7] == ["skill", "easy", "medium", "hard", "mcq", "spr", "total"]
    assert "Reading and Writing" in lines and "Math" in lines
    assert any(
        line.split()[-6:] == ["1", "0", "1", "2", "0", "2"]
        for line in lines
        if "total Craft" in line
    )
    assert lines[-1].split() == ["total", "2", "1", "1", "3", "1", "4"]
    assert any("total Reading and Writing" in line for line in lines)


def test_shipped_bank_is_valid() -> None:
    result = load_items(BANK_DIR)
    assert result.problems == [], "\n".join(map(str, result.problems))
    bank = ItemBank.load()
    assert len(bank.items) == len(result.items)
