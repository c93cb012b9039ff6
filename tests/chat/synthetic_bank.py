"""A synthetic item bank for conversation tests (fixture data, not product content).

Arithmetic items with known keys in every one of the 29 skills, enough for
three full-length tests without repeats, so conversation tests do not
depend on the shipped bank's size.
"""

from __future__ import annotations

from core.content.item import IrtParams, Item
from core.content.taxonomy import SKILLS

PER_SKILL = 24


def synthetic_items(per_skill: int = PER_SKILL) -> list[Item]:
    items = []
    for s_index, skill in enumerate(SKILLS.values()):
        for i in range(per_skill):
            difficulty = ("easy", "medium", "hard")[i % 3]
            b = -2.0 + 4.0 * i / (per_skill - 1)
            n = 3 + i + s_index
            spr = skill.section == "math" and i % 4 == 3
            items.append(
                Item(
                    id=f"t-{skill.code}-{i:02d}",
                    skill=skill.code,
                    difficulty=difficulty,  # type: ignore[arg-type]
                    type="spr" if spr else "mcq",
                    stem=f"[{skill.code}] What is {n} + {n}?",
                    key=[str(2 * n)] if spr else "B",
                    choices={}
                    if spr
                    else {"A": str(2 * n - 1), "B": str(2 * n), "C": str(2 * n + 1), "D": str(n)},
                    explanation=f"{n} + {n} = {2 * n}.",
                    hints=[
                        "Add the two numbers.",
                        "Doubling is the same as adding a number to itself.",
                        f"{n} × 2 = ?",
                    ],
                    irt=IrtParams(1.3, round(b, 3), 0.0 if spr else 0.2),
                )
            )
    return items


def key_for(item_id: str, correct: bool, is_spr: bool, stem: str) -> str:
    """The answer a simulated student types for a synthetic item."""
    n = int(stem.split("What is ")[1].split(" +")[0])
    if is_spr:
        return str(2 * n) if correct else str(2 * n + 1)
    return "B" if correct else "C"
