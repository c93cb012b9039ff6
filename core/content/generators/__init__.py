"""Parametric Math generators: unlimited isomorphic items from a seed.

A generator is a function ``(rng, difficulty) -> Item`` registered for one
skill with :func:`generator`. ``make(name, seed, difficulty)`` is
reproducible: the same name, seed and difficulty always give the same item,
so a generated item's id (``gen-<name>-<difficulty>-<seed>``) is enough to
rebuild it.
"""

from __future__ import annotations

import functools
import importlib
import random
from collections.abc import Callable
from dataclasses import dataclass

from core.content.item import Difficulty, Item
from core.content.taxonomy import DIFFICULTIES, SKILLS

GeneratorFn = Callable[[random.Random, Difficulty], Item]
MAX_DRAWS = 500


class Redraw(Exception):
    """The drawn numbers gave a degenerate item (equal choices, an answer that
    does not fit the grid); the generator draws again from the same rng."""


def retrying(fn: GeneratorFn) -> GeneratorFn:
    """Redraw while ``fn`` raises :class:`Redraw`. The rng keeps its state across
    attempts, so the item is still a pure function of the seed."""

    @functools.wraps(fn)
    def wrapper(rng: random.Random, difficulty: Difficulty) -> Item:
        for _ in range(MAX_DRAWS):
            try:
                return fn(rng, difficulty)
            except Redraw:
                continue
        raise RuntimeError(f"{fn.__name__}: no valid item after {MAX_DRAWS} draws")

    return wrapper


@dataclass(frozen=True)
class Generator:
    """A registered generator: its name, the skill it writes for, the function."""

    name: str
    skill: str
    fn: GeneratorFn


GENERATORS: dict[str, Generator] = {}
_MODULES = ("algebra", "advanced", "data", "geometry")


def generator(name: str, skill: str) -> Callable[[GeneratorFn], GeneratorFn]:
    """Register ``fn`` as the generator ``name`` for ``skill``."""
    if skill not in SKILLS:
        raise ValueError(f"unknown skill {skill!r} for generator {name!r}")

    def register(fn: GeneratorFn) -> GeneratorFn:
        if name in GENERATORS:
            raise ValueError(f"generator {name!r} registered twice")
        GENERATORS[name] = Generator(name, skill, fn)
        return fn

    return register


def make(name: str, seed: int, difficulty: Difficulty = "medium") -> Item:
    """Build the item of generator ``name`` for ``seed`` and ``difficulty``."""
    load_all()
    gen = GENERATORS[name]
    if difficulty not in DIFFICULTIES:
        raise ValueError(f"unknown difficulty {difficulty!r}")
    rng = random.Random(f"{name}:{difficulty}:{seed}")
    item = gen.fn(rng, difficulty)
    item.id = item_id(name, difficulty, seed)
    item.skill = gen.skill
    item.difficulty = difficulty
    item.generator = name
    item.seed = seed
    return item


def item_id(name: str, difficulty: str, seed: int) -> str:
    """The id of generator ``name``'s item for ``difficulty`` and ``seed`` (see :func:`make`)."""
    return f"gen-{name}-{difficulty}-{seed}"


def parse_generated_id(item_id: str) -> tuple[str, Difficulty, int] | None:
    """``gen-<name>-<difficulty>-<seed>`` → (name, difficulty, seed), else None."""
    if not item_id.startswith("gen-"):
        return None
    try:
        rest, difficulty, seed = item_id[4:].rsplit("-", 2)
    except ValueError:
        return None
    if difficulty not in DIFFICULTIES or not seed.isdigit():
        return None
    return rest, difficulty, int(seed)  # type: ignore[return-value]


def by_skill(skill: str) -> list[Generator]:
    """The generators that write items for ``skill``."""
    load_all()
    return [g for g in GENERATORS.values() if g.skill == skill]


def load_all() -> None:
    """Import the generator modules so that they register themselves."""
    for module in _MODULES:
        try:
            importlib.import_module(f"{__name__}.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{module}":
                raise
