"""Multistage forms for the full test: assembly, routing, ordering and scoring.

A section has module 1 (a broad mix of difficulty) and two module 2 variants,
easier and harder. Module sizes include the unscored pretest items: 27 per
module for Reading and Writing and 22 for Math, each with 2 pretest items.

Assembly (to the section blueprint): each module's operational items are
split among domains by their shares (largest remainder). Each domain then
gets target abilities: for module 1 the quantiles of N(0, 1), so the module
spans easy, medium and hard; for the harder module 2 the quantiles of the
population above the routing cut, for the easier one those below it. For
every target the unused item of that domain with the most information
there is taken.

Routing: the EAP (N(0, 1) prior) on module 1's operational items; at or
above ``cut_theta`` (default 0, the population median) the student goes to
the harder module 2. Within a module items are grouped by skill, groups in
blueprint order, and each group runs from easier to harder. The section
score is the EAP over the operational items of both modules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike

from core.irt.estimate import Estimate, eap
from core.irt.model import BoolArray, IntArray, information

RW_MODULE_SIZE = 27
MATH_MODULE_SIZE = 22
PRETEST_PER_MODULE = 2


@dataclass(frozen=True)
class SectionForm:
    """Item indices of one section's three modules, in delivery order."""

    module1: IntArray
    module2_easy: IntArray
    module2_hard: IntArray
    pretest: frozenset[int]
    cut_theta: float = 0.0

    def module2(self, route: str) -> IntArray:
        """The module 2 items for route "easy" or "hard"."""
        return self.module2_hard if route == "hard" else self.module2_easy

    def operational(self, items: ArrayLike) -> BoolArray:
        """Mask of the scored (non-pretest) entries of ``items``."""
        return np.array([int(i) not in self.pretest for i in np.asarray(items)], dtype=bool)


def quotas(blueprint: Mapping[int, float], n: int) -> dict[int, int]:
    """Items per domain for a module of ``n`` operational items (largest remainder)."""
    codes = list(blueprint)
    shares = np.array([blueprint[d] for d in codes], dtype=float)
    exact = shares / shares.sum() * n
    base = np.floor(exact).astype(int)
    order = np.argsort(-(exact - base), kind="stable")
    base[order[: n - base.sum()]] += 1
    return {d: int(k) for d, k in zip(codes, base, strict=True)}


def _targets(k: int, lo: float, hi: float) -> np.ndarray:
    """k equally spaced quantiles of N(0, 1) truncated to [lo, hi] (cdf scale)."""
    unit = NormalDist()
    p_lo = 0.0 if lo == -np.inf else unit.cdf(lo)
    p_hi = 1.0 if hi == np.inf else unit.cdf(hi)
    return np.array([unit.inv_cdf(p_lo + (i + 0.5) / k * (p_hi - p_lo)) for i in range(k)])


def order_module(
    items: ArrayLike, b: ArrayLike, skill: ArrayLike, group_order: ArrayLike
) -> IntArray:
    """Items grouped by skill (groups in ``group_order`` rank), easier to harder in a group."""
    items = np.asarray(items, dtype=np.int64)
    b = np.asarray(b, dtype=float)
    rank = np.asarray(group_order)[items]
    return items[np.lexsort((b[items], np.asarray(skill)[items], rank))]


ROUTE_BOUNDS = {"broad": (-np.inf, np.inf), "easy": (-np.inf, None), "hard": (None, np.inf)}


def assemble_module(
    a: ArrayLike,
    b: ArrayLike,
    c: ArrayLike,
    domain: ArrayLike,
    skill: ArrayLike,
    blueprint: Mapping[int, float],
    route: str = "broad",
    module_size: int = RW_MODULE_SIZE,
    n_pretest: int = PRETEST_PER_MODULE,
    exclude: ArrayLike | None = None,
    cut_theta: float = 0.0,
    seed: int | None = None,
) -> tuple[IntArray, frozenset[int]]:
    """One module: ``route`` "broad" (module 1), "easy" or "hard" (module 2).

    Returns the item indices in delivery order and the pretest ones among
    them. Used when module 2 is assembled only after routing, so a test
    takes 2 modules' worth of items from the bank, not 3. Raises ValueError
    if a domain runs out.
    """
    lo, hi = ROUTE_BOUNDS[route]
    lo = cut_theta if lo is None else lo
    hi = cut_theta if hi is None else hi
    a, b, c = (np.asarray(v, dtype=float) for v in (a, b, c))
    domain = np.asarray(domain, dtype=np.int64)
    skill = np.asarray(skill, dtype=np.int64)
    used = np.zeros(a.size, bool) if exclude is None else np.array(exclude, dtype=bool)
    group_order = _group_order(domain, blueprint)
    items = _pick(a, b, c, domain, used, quotas(blueprint, module_size - n_pretest), lo, hi)
    pretest = _pretest(domain, used, blueprint, n_pretest, np.random.default_rng(seed))
    return order_module(items + pretest, b, skill, group_order), frozenset(pretest)


def _group_order(domain: IntArray, blueprint: Mapping[int, float]) -> IntArray:
    domain_rank = np.full(int(domain.max()) + 1, len(blueprint), dtype=np.int64)
    for r, d in enumerate(blueprint):
        domain_rank[d] = r
    return domain_rank[domain]


def _pick(
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray,
    domain: IntArray,
    used: BoolArray,
    quota: Mapping[int, int],
    lo: float,
    hi: float,
) -> list[int]:
    """For each domain's target abilities, the unused item most informative there."""
    chosen: list[int] = []
    for d, k in quota.items():
        if k == 0:
            continue
        pool = np.flatnonzero((domain == d) & ~used)
        if pool.size < k:
            raise ValueError(f"domain {d} has {pool.size} usable items; the module needs {k}")
        for t in _targets(k, lo, hi):
            info = information(t, a[pool], b[pool], c[pool])
            info[used[pool]] = -np.inf
            j = int(pool[int(np.argmax(info))])
            used[j] = True
            chosen.append(j)
    return chosen


def _pretest(
    domain: IntArray,
    used: BoolArray,
    blueprint: Mapping[int, float],
    n: int,
    rng: np.random.Generator,
) -> list[int]:
    """``n`` random unused items of the blueprint's domains, to sit unscored."""
    pool = np.flatnonzero(~used & np.isin(domain, list(blueprint)))
    extra = [int(i) for i in rng.choice(pool, size=min(n, pool.size), replace=False)]
    used[extra] = True
    return extra


def assemble_section(
    a: ArrayLike,
    b: ArrayLike,
    c: ArrayLike,
    domain: ArrayLike,
    skill: ArrayLike,
    blueprint: Mapping[int, float],
    module_size: int = RW_MODULE_SIZE,
    n_pretest: int = PRETEST_PER_MODULE,
    pretest: Sequence[ArrayLike] | None = None,
    exclude: ArrayLike | None = None,
    cut_theta: float = 0.0,
    seed: int | None = None,
) -> SectionForm:
    """Assemble module 1 and the easier and harder module 2 from a bank.

    ``blueprint`` maps domain codes to shares; ``pretest`` gives the pretest
    item indices of (module 1, easier, harder), ``n_pretest`` each; without
    it, pretest slots are filled with random unused bank items, flagged as
    pretest and never scored. ``exclude`` masks items that may not be used
    (retired, seen by this student). Raises ValueError if a domain runs out.
    """
    a, b, c = (np.asarray(v, dtype=float) for v in (a, b, c))
    domain = np.asarray(domain, dtype=np.int64)
    skill = np.asarray(skill, dtype=np.int64)
    used = np.zeros(a.size, bool) if exclude is None else np.array(exclude, dtype=bool)
    quota = quotas(blueprint, module_size - n_pretest)
    group_order = _group_order(domain, blueprint)
    rng = np.random.default_rng(seed)
    if pretest is not None:
        for p in pretest:
            used[np.asarray(p, dtype=np.int64)] = True
    bounds = [(-np.inf, np.inf), (-np.inf, cut_theta), (cut_theta, np.inf)]
    modules = [_pick(a, b, c, domain, used, quota, lo, hi) for lo, hi in bounds]
    flagged: list[int] = []
    for m, items in enumerate(modules):
        if pretest is not None:
            extra = [int(i) for i in np.asarray(pretest[m], dtype=np.int64)]
        else:
            extra = _pretest(domain, used, blueprint, n_pretest, rng)
        items.extend(extra)
        flagged.extend(extra)
    ordered = [order_module(items, b, skill, group_order) for items in modules]
    return SectionForm(ordered[0], ordered[1], ordered[2], frozenset(flagged), cut_theta)


def route(
    form: SectionForm,
    responses: ArrayLike,
    a: ArrayLike,
    b: ArrayLike,
    c: ArrayLike,
) -> tuple[str, Estimate]:
    """Route after module 1: ("hard" | "easy", EAP on module 1's operational items).

    ``responses`` are aligned with ``form.module1`` (1, 0, or NaN if skipped;
    a skipped question counts as wrong on the real test, so pass 0 for that).
    """
    items = form.module1
    op = form.operational(items)
    x = np.asarray(responses, dtype=float)[op]
    est = eap(x, np.asarray(a)[items[op]], np.asarray(b)[items[op]], np.asarray(c)[items[op]])
    return ("hard" if est.theta >= form.cut_theta else "easy"), est


def score_section(
    form: SectionForm,
    items: ArrayLike,
    responses: ArrayLike,
    a: ArrayLike,
    b: ArrayLike,
    c: ArrayLike,
) -> Estimate:
    """EAP over the operational items among ``items`` (both modules), pretest left out."""
    items = np.asarray(items, dtype=np.int64)
    op = form.operational(items)
    x = np.asarray(responses, dtype=float)[op]
    idx = items[op]
    return eap(x, np.asarray(a)[idx], np.asarray(b)[idx], np.asarray(c)[idx])
