"""The quality bar every generated item meets, shared by the generator tests."""

from __future__ import annotations

import re
from fractions import Fraction

from core.content.figures import validate_figure
from core.content.item import Item
from core.content.mathtext import has_latex
from core.content.spr import valid_key


def spr_entry_ok(entry: str) -> bool:
    """The SPR entry rules, written out here independently of core.content.spr."""
    if not re.fullmatch(r"-?(\d+|\d*\.\d+|\d+/\d+)", entry):
        return False
    return len(entry) <= (6 if entry.startswith("-") else 5)


def assert_item_shape(item: Item, skills: tuple[str, ...], difficulty: str) -> None:
    """Plain-chat math, a 3-step hint ladder, four distinct choices with every
    one explained, or SPR keys that obey the entry rules; valid figures."""
    assert item.skill in skills and item.difficulty == difficulty
    for text in [item.stem, item.explanation, *item.hints, *item.choices.values()]:
        assert not has_latex(text), text
        assert "**" not in text and "^" not in text and "*" not in text, text
        assert not re.search(r"(^|[\s(=+·/])-\d", text), f"ASCII minus in {text!r}"
        assert not re.search(r"(?<![\w/°])-\d", text), f"ASCII minus in {item.id}: {text}"
    assert len(item.hints) == 3 and len(set(item.hints)) == 3
    # A hint may set up the last step but never states the result (unless the
    # number is already in the stem, where stating it gives nothing away, or
    # is 0, where "… = 0" is how an equation is set up, not an answer).
    answer = item.choices[item.key] if item.type == "mcq" else item.key[0]  # type: ignore[index]
    if answer not in item.stem and answer != "0":
        for hint in item.hints:
            assert not hint.rstrip(".").endswith(f"= {answer}"), (item.id, hint)
    if item.type == "mcq":
        assert sorted(item.choices) == ["A", "B", "C", "D"]
        assert len(set(item.choices.values())) == 4, item.choices
        assert item.key in item.choices
        for letter in "ABCD":
            assert f"Choice {letter}" in item.explanation
    else:
        assert item.type == "spr" and item.key and not item.choices
        for entry in item.key:
            assert valid_key(entry) is None and spr_entry_ok(entry), (entry, valid_key(entry))
            # equal forms, or a rounded/truncated decimal of a longer value
            assert Fraction(entry) == Fraction(item.key[0]) or "." in entry
    if item.figure is not None:
        assert validate_figure(item.figure) == [], item.figure
