"""The item: one question of the bank, as authored or generated.

Items live in YAML files (see docs/question-format.md) and are produced by
the Math generators; both yield :class:`Item`. The database row
(`questions`) is a stored copy of an item plus its calibrated parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from core.content.taxonomy import (
    DEFAULT_A,
    DEFAULT_C_MCQ,
    DEFAULT_C_SPR,
    DIFFICULTY_PRIOR_B,
    SKILLS,
)

ItemType = Literal["mcq", "spr"]
Difficulty = Literal["easy", "medium", "hard"]
CHOICE_LETTERS = ("A", "B", "C", "D")


@dataclass(frozen=True)
class IrtParams:
    """3PL parameters: discrimination a, difficulty b, guessing c."""

    a: float
    b: float
    c: float


@dataclass
class Item:
    """A multiple-choice (four options) or student-produced-response question.

    For ``mcq`` the key is one letter of ``CHOICE_LETTERS``; for ``spr`` it
    is the list of accepted values (each a valid SPR entry, e.g. ``["7/2",
    "3.5"]``); equivalent forms are accepted by the answer checker.
    """

    id: str
    skill: str
    difficulty: Difficulty
    type: ItemType
    stem: str
    key: str | list[str]
    explanation: str
    choices: dict[str, str] = field(default_factory=dict)
    passage: str | None = None
    passage2: str | None = None
    hints: list[str] = field(default_factory=list)
    irt: IrtParams | None = None
    figure: dict[str, Any] | None = None
    source: str = "Original item, SAT Prep Suite authors (CC BY-SA 4.0)"
    generator: str | None = None
    seed: int | None = None

    @property
    def domain(self) -> str:
        return SKILLS[self.skill].domain

    @property
    def section(self) -> str:
        return SKILLS[self.skill].section

    def start_params(self) -> IrtParams:
        """Calibrated parameters if known, else the prior for its difficulty."""
        if self.irt is not None:
            return self.irt
        c = DEFAULT_C_MCQ if self.type == "mcq" else DEFAULT_C_SPR
        return IrtParams(DEFAULT_A, DIFFICULTY_PRIOR_B[self.difficulty], c)
