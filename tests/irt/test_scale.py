"""θ → SAT scale: bounds, steps of 10, monotone, ranges."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from core.irt.scale import scale_to_theta, section_score, theta_to_scale, total_score


def test_scale_is_bounded_monotone_and_in_steps_of_ten() -> None:
    theta = np.linspace(-8, 8, 2001)
    score = theta_to_scale(theta)
    assert score.min() == 200 and score.max() == 800
    assert np.all(np.diff(score) >= 0)
    assert np.all(score % 10 == 0)
    assert theta_to_scale(0.0) == 510


def test_tails_are_flatter_than_the_middle() -> None:
    middle = scale_to_theta(615) - scale_to_theta(405)
    top = scale_to_theta(800) - scale_to_theta(715)
    bottom = scale_to_theta(305) - scale_to_theta(200)
    assert (715 - 800) / -top < (615 - 405) / middle
    assert 105 / bottom < (615 - 405) / middle


@given(st.floats(-5, 5), st.floats(0.05, 1.5))
def test_section_range_contains_the_score(theta: float, se: float) -> None:
    score, low, high = section_score(theta, se)
    assert 200 <= low <= score <= high <= 800
    assert low % 10 == score % 10 == high % 10 == 0


@given(st.floats(-4, 4), st.floats(0.1, 1), st.floats(-4, 4), st.floats(0.1, 1))
def test_total_is_the_sum_with_a_range(t1: float, s1: float, t2: float, s2: float) -> None:
    total, low, high = total_score((t1, s1), (t2, s2))
    assert total == section_score(t1, s1)[0] + section_score(t2, s2)[0]
    assert 400 <= low <= total <= high <= 1600
