"""The item bank in memory: the shipped YAML items plus the Math generators.

``ItemBank.load()`` reads every file under ``core/content/bank/`` (or the
paths given, e.g. a tutor's own bank); items with problems are left out and
the problems kept on ``bank.problems`` for the operator. Generated items are
not stored: ``get("gen-<name>-<difficulty>-<seed>")`` rebuilds one.
``coverage()`` counts what there is per skill, for ``satprep questions stats``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from core.content import generators
from core.content.item import Item
from core.content.loader import Problem, load_items
from core.content.taxonomy import DIFFICULTIES, DOMAINS, SECTION_NAMES, SECTIONS, SKILLS

BANK_DIR = Path(__file__).resolve().parent / "bank"


@dataclass(frozen=True)
class CoverageRow:
    """How many authored items one skill has, by difficulty and type, and its generators."""

    section: str
    domain: str
    skill: str
    easy: int = 0
    medium: int = 0
    hard: int = 0
    mcq: int = 0
    spr: int = 0
    generators: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return self.easy + self.medium + self.hard


@dataclass
class ItemBank:
    """All authored items by id, with access to the generators."""

    items: dict[str, Item] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @classmethod
    def load(cls, paths: Iterable[str | Path] | str | Path | None = None) -> ItemBank:
        """Load the shipped bank (default) or the given files and directories."""
        result = load_items(BANK_DIR if paths is None else paths)
        return cls({item.id: item for item in result.items}, list(result.problems))

    def by_skill(self, skill: str) -> list[Item]:
        """The authored items of one skill, ordered by id."""
        return sorted((i for i in self.items.values() if i.skill == skill), key=lambda i: i.id)

    def get(self, item_id: str) -> Item | None:
        """An authored item, or a generated one rebuilt from its ``gen-`` id; None if unknown."""
        item = self.items.get(item_id)
        if item is not None:
            return item
        parsed = generators.parse_generated_id(item_id)
        if parsed is None:
            return None
        name, difficulty, seed = parsed
        generators.load_all()
        if name not in generators.GENERATORS:
            return None
        return generators.make(name, seed, difficulty)

    def skills_with_generators(self) -> list[str]:
        """Skill codes that have at least one generator, in the specification's order."""
        return [code for code in SKILLS if generators.by_skill(code)]

    def coverage(self) -> list[CoverageRow]:
        """One row per skill (all 29, empty ones too), in the specification's order."""
        rows = []
        for code, skill in SKILLS.items():
            counts = dict.fromkeys((*DIFFICULTIES, "mcq", "spr"), 0)
            for item in self.items.values():
                if item.skill == code:
                    counts[item.difficulty] += 1
                    counts[item.type] += 1
            names = tuple(g.name for g in generators.by_skill(code))
            rows.append(
                CoverageRow(skill.section, skill.domain, code, **counts, generators=names)  # type: ignore[arg-type]
            )
        return rows


_COLUMNS = ("easy", "medium", "hard", "mcq", "spr", "total")


def _counts(rows: list[CoverageRow]) -> list[int]:
    return [sum(getattr(r, c) for r in rows) for c in _COLUMNS]


def format_coverage(rows: list[CoverageRow]) -> str:
    """A plain-text table of coverage, with totals per domain, section and bank."""
    name_width = max(len(s.name) for s in SKILLS.values()) + 4
    header = f"{'skill':<{name_width}}" + "".join(f"{c:>7}" for c in _COLUMNS) + "  generators"
    lines = [header, "-" * len(header)]

    def line(label: str, counts: list[int], gens: str = "") -> str:
        return f"{label:<{name_width}}" + "".join(f"{n:>7}" for n in counts) + f"  {gens}".rstrip()

    for section in SECTIONS:
        section_rows = [r for r in rows if r.section == section]
        if not section_rows:
            continue
        lines.append(SECTION_NAMES[section])
        for domain in DOMAINS.values():
            domain_rows = [r for r in section_rows if r.domain == domain.code]
            if not domain_rows:
                continue
            lines.append(f"  {domain.name}")
            for row in domain_rows:
                name = SKILLS[row.skill].name if row.skill in SKILLS else row.skill
                counts = [getattr(row, c) for c in _COLUMNS]
                lines.append(line(f"    {name}", counts, ", ".join(row.generators) or "-"))
            lines.append(line(f"    total {domain.name}", _counts(domain_rows)))
        lines.append(line(f"  total {SECTION_NAMES[section]}", _counts(section_rows)))
    lines.append("-" * len(header))
    lines.append(line("total", _counts(rows)))
    return "\n".join(lines)
