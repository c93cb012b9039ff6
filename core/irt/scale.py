"""θ → SAT scale: section scores 200–800 and the total 400–1600, with a range.

The one linking table below is used everywhere in the product. θ is on the
engine's metric (population N(0, 1), D = 1). The table is monotone and read
by linear interpolation, clamped to 200 and 800, then rounded to a multiple
of 10, as the SAT reports.

Why these points:

- In the middle (θ from -1 to +1) one population SD is about 105 scale
  points, close to the national spread of section scores (SD ≈ 100–110
  around a mean of about 500–520), so θ = 0 maps to 510.
- The scale is bounded, and the test measures the tails with few items, so
  the mapping flattens towards the ends instead of running linearly into
  the floor and the ceiling: a linear 510 + 105θ would put the top 0.3% of
  students (θ > 2.75) at 800 and ask the test to separate 780 from 800 with
  almost no information. Here 800 needs θ ≈ 2.9 and 200 needs θ ≈ -3.5,
  and each step in the tails is worth fewer points per logit than in the
  middle, mirroring how real raw-to-scale conversions compress there.

The table is a documented modelling choice, not a College Board table;
replace the points, not the code, after equating against real scores.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from core.irt.model import FloatArray

THETA_POINTS = np.array([-3.5, -3.0, -2.5, -2.0, -1.0, 0.0, 1.0, 2.0, 2.5, 2.9])
SCALE_POINTS = np.array([200.0, 230.0, 265.0, 305.0, 405.0, 510.0, 615.0, 715.0, 765.0, 800.0])
SECTION_MIN, SECTION_MAX = 200, 800


def _round10(x: FloatArray) -> FloatArray:
    # Half-up rounding so a θ exactly between two steps goes up, as in the table.
    return np.floor(np.asarray(x) / 10.0 + 0.5) * 10.0


def theta_to_scale(theta: ArrayLike) -> FloatArray | float:
    """Section scale score (200–800, a multiple of 10) for θ; vectorised."""
    raw = np.interp(np.asarray(theta, dtype=float), THETA_POINTS, SCALE_POINTS)
    out = np.clip(_round10(raw), SECTION_MIN, SECTION_MAX)
    return float(out) if np.ndim(out) == 0 else out


def scale_to_theta(score: ArrayLike) -> FloatArray | float:
    """Inverse of the linking table (for targets such as "a 650 in Math")."""
    out = np.interp(np.asarray(score, dtype=float), SCALE_POINTS, THETA_POINTS)
    return float(out) if np.ndim(out) == 0 else out


def section_score(theta: float, se: float) -> tuple[int, int, int]:
    """(score, low, high): the score at θ and the range from θ ± 1 SE, all on the scale."""
    score = int(theta_to_scale(theta))
    low = int(theta_to_scale(theta - se))
    high = int(theta_to_scale(theta + se))
    return score, low, high


def total_score(rw: tuple[float, float], math: tuple[float, float]) -> tuple[int, int, int]:
    """(total, low, high) from (θ, SE) of Reading and Writing and of Math.

    The total is the sum of the two section scores (400–1600). The range
    adds the two sections' half-widths in quadrature, because their
    measurement errors are independent; adding the low ends would double
    count and give a range about 40% too wide.
    """
    s1, l1, h1 = section_score(*rw)
    s2, l2, h2 = section_score(*math)
    total = s1 + s2
    down = float(np.hypot(s1 - l1, s2 - l2))
    up = float(np.hypot(h1 - s1, h2 - s2))
    low = int(max(2 * SECTION_MIN, total - _round10(np.array(down))))
    high = int(min(2 * SECTION_MAX, total + _round10(np.array(up))))
    return total, low, high
