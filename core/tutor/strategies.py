"""The per-skill strategy notes (core/content/strategies/<skill>.md), parsed once.

Each note has bold-headed parts ("**What it asks.**", "**Step by step.**",
"**Common traps.**", an example); the offline tutor quotes single steps and
traps, and the model gets the whole note as context. A missing or odd file
yields empty notes, never an error: the tutor then leans on the item alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

STRATEGY_DIR = Path(__file__).resolve().parent.parent / "content" / "strategies"
_HEAD = re.compile(r"^\*\*([^*]+?)\.?\*\*\s*(.*)$")
_ITEM = re.compile(r"^(?:\d+\.|-)\s+(.*)$")


@dataclass(frozen=True)
class StrategyNotes:
    """One skill's notes: what it asks, the steps, the traps, and the raw text."""

    skill: str
    what: str = ""
    steps: tuple[str, ...] = ()
    traps: tuple[str, ...] = ()
    text: str = ""

    @property
    def first_tip(self) -> str:
        """The first step (or trap) as one sentence-sized tip, or ''."""
        return (self.steps or self.traps or ("",))[0]


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("**", "")).strip()


def parse_notes(skill: str, text: str) -> StrategyNotes:
    """Split a strategy note into its parts (tolerant of missing parts)."""
    parts: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        head = _HEAD.match(line.strip())
        if head:
            current = head.group(1).strip().lower()
            parts[current] = [head.group(2)] if head.group(2) else []
        elif current:
            parts[current].append(line)

    def items(key: str) -> tuple[str, ...]:
        found: list[str] = []
        for line in parts.get(key, []):
            m = _ITEM.match(line.strip())
            if m:
                found.append(m.group(1))
            elif found and line.strip():
                found[-1] += " " + line.strip()
        return tuple(_clean(x) for x in found)

    what = next((k for k in parts if k.startswith("what")), "")
    return StrategyNotes(
        skill=skill,
        what=_clean(" ".join(parts.get(what, []))),
        steps=items("step by step"),
        traps=items("common traps"),
        text=text.strip(),
    )


@lru_cache(maxsize=64)
def strategy_notes(skill: str, directory: Path = STRATEGY_DIR) -> StrategyNotes:
    """The notes of ``skill``; empty notes when the file is missing or unreadable."""
    if not re.fullmatch(r"[a-z_]{1,40}", skill or ""):
        return StrategyNotes(skill=skill or "")
    try:
        text = (directory / f"{skill}.md").read_text(encoding="utf-8")
    except OSError:
        return StrategyNotes(skill=skill)
    return parse_notes(skill, text)
