"""The 3PL model, the quadrature grid and the item bank with precomputed tables.

Metric: D = 1 (the logistic metric, no 1.7 factor)::

    P(correct | θ) = c + (1 - c) / (1 + exp(-a (θ - b)))

Every function in ``core.irt`` uses this metric; parameters from a source
on the normal-ogive-like D = 1.7 metric must have ``a`` multiplied by 1.7
before they come here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

D = 1.0
"""Scaling constant of the logistic: 1.0, so ``a`` is on the logistic metric."""

# The grid runs to ±6, not ±4: below the items the 3PL likelihood flattens to
# the guessing floor, so a low scorer's posterior has a tail as heavy as the
# prior's, and cutting it at -4 moves EAP and SE by up to 0.01. On [-6, 6] the
# 61-point sum is within about 1e-6 of the integral over the real line.
GRID_MIN = -6.0
GRID_MAX = 6.0
GRID_POINTS = 61

# Probabilities are kept inside [EPS, 1 - EPS] so log P and log Q are finite
# for extreme items (a = 4, θ - b = 8 gives 1 - P ≈ 1e-14 otherwise).
EPS = 1e-12

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


def default_grid(
    points: int = GRID_POINTS, lo: float = GRID_MIN, hi: float = GRID_MAX
) -> FloatArray:
    """The quadrature grid every estimate uses unless told otherwise: 61 points on [-6, 6]."""
    return np.linspace(lo, hi, points)


def probability(theta: ArrayLike, a: ArrayLike, b: ArrayLike, c: ArrayLike) -> FloatArray:
    """P(correct), broadcast as ``theta[..., None]`` against items: shape (*theta, items)."""
    theta = np.asarray(theta, dtype=float)[..., None]
    a, b, c = (np.asarray(x, dtype=float) for x in (a, b, c))
    # Clipping the exponent avoids overflow warnings; P is clipped to EPS anyway.
    p_star = 1.0 / (1.0 + np.exp(np.clip(-D * a * (theta - b), -50.0, 50.0)))
    return np.clip(c + (1.0 - c) * p_star, EPS, 1.0 - EPS)


def information(theta: ArrayLike, a: ArrayLike, b: ArrayLike, c: ArrayLike) -> FloatArray:
    """Fisher information of each item at each θ: P'^2 / (P Q), shape (*theta, items).

    Written in the closed form a² (Q/P) ((P - c)/(1 - c))², which equals
    P'²/(PQ) for the 3PL and stays finite where P' underflows.
    """
    a = np.asarray(a, dtype=float)
    c = np.asarray(c, dtype=float)
    p = probability(theta, a, b, c)
    ratio = (p - c) / (1.0 - c)
    return (D * a) ** 2 * ((1.0 - p) / p) * ratio**2


@dataclass
class ItemBank:
    """Item parameters and content codes as parallel numpy arrays.

    ``domain`` and ``skill`` are small non-negative integer codes the caller
    assigns (e.g. the index of a domain in ``taxonomy.DOMAINS``); ``section``
    likewise. ``retired`` items are never selected. Tables on the quadrature
    grid are built once, lazily, because selection and ability updates read
    them thousands of times per second.
    """

    a: FloatArray
    b: FloatArray
    c: FloatArray
    domain: IntArray | None = None
    skill: IntArray | None = None
    section: IntArray | None = None
    retired: BoolArray | None = None
    grid: FloatArray = field(default_factory=default_grid)
    _tables: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.a = np.ascontiguousarray(self.a, dtype=float)
        self.b = np.ascontiguousarray(self.b, dtype=float)
        self.c = np.ascontiguousarray(self.c, dtype=float)
        n = self.a.shape[0]
        if self.b.shape != (n,) or self.c.shape != (n,):
            raise ValueError("a, b and c must be 1-D arrays of the same length")
        if np.any(self.a <= 0) or np.any((self.c < 0) | (self.c >= 1)):
            raise ValueError("item parameters need a > 0 and 0 <= c < 1")
        zeros = np.zeros(n, dtype=np.int64)
        self.domain = zeros if self.domain is None else np.asarray(self.domain, dtype=np.int64)
        self.skill = zeros.copy() if self.skill is None else np.asarray(self.skill, dtype=np.int64)
        self.section = (
            zeros.copy() if self.section is None else np.asarray(self.section, dtype=np.int64)
        )
        self.retired = (
            np.zeros(n, dtype=bool) if self.retired is None else np.asarray(self.retired, bool)
        )
        self.grid = np.ascontiguousarray(self.grid, dtype=float)

    @property
    def n_items(self) -> int:
        """Number of items in the bank."""
        return int(self.a.shape[0])

    def _table(self, name: str) -> np.ndarray:
        if not self._tables:
            p = probability(self.grid, self.a, self.b, self.c)  # (grid, items)
            info = information(self.grid, self.a, self.b, self.c)
            # Row layouts chosen for the hot paths: an ability update reads one
            # item's vector over the grid; selection reads one grid point's
            # vector over items.
            self._tables["log_p"] = np.ascontiguousarray(np.log(p).T)
            self._tables["log_q"] = np.ascontiguousarray(np.log1p(-p).T)
            self._tables["info"] = np.ascontiguousarray(info)
            self._tables["p"] = np.ascontiguousarray(p)
        return self._tables[name]

    @property
    def log_p(self) -> FloatArray:
        """log P on the grid, shape (items, grid)."""
        return self._table("log_p")

    @property
    def log_q(self) -> FloatArray:
        """log(1 - P) on the grid, shape (items, grid)."""
        return self._table("log_q")

    @property
    def info_table(self) -> FloatArray:
        """Information on the grid, shape (grid, items)."""
        return self._table("info")

    @property
    def p_table(self) -> FloatArray:
        """P on the grid, shape (grid, items)."""
        return self._table("p")

    def subset(self, index: ArrayLike) -> ItemBank:
        """A bank of the items at ``index`` (tables are rebuilt on demand)."""
        idx = np.asarray(index)
        return ItemBank(
            self.a[idx],
            self.b[idx],
            self.c[idx],
            self.domain[idx],
            self.skill[idx],
            self.section[idx],
            self.retired[idx],
            self.grid,
        )


def random_bank(
    n_items: int,
    seed: int | None = 0,
    a_range: tuple[float, float] = (1.2, 2.5),
    b_dist: str = "normal",
    c_range: tuple[float, float] = (0.15, 0.25),
    domain_shares: ArrayLike | None = None,
    skills_per_domain: int = 3,
) -> ItemBank:
    """A synthetic bank for tests and simulation (the "good bank" by default).

    a ~ U(a_range), b ~ N(0, 1) (``b_dist="normal"``) or U(-3, 3)
    (``"uniform"``), c ~ U(c_range); domains drawn with ``domain_shares``
    (default: four equal shares), skills numbered ``domain * skills_per_domain
    + k``.
    """
    rng = np.random.default_rng(seed)
    a = rng.uniform(*a_range, n_items)
    b = rng.normal(0.0, 1.0, n_items) if b_dist == "normal" else rng.uniform(-3.0, 3.0, n_items)
    c = rng.uniform(*c_range, n_items)
    shares = np.full(4, 0.25) if domain_shares is None else np.asarray(domain_shares, float)
    domain = rng.choice(len(shares), size=n_items, p=shares / shares.sum())
    skill = domain * skills_per_domain + rng.integers(0, skills_per_domain, n_items)
    return ItemBank(a, b, c, domain=domain, skill=skill)
