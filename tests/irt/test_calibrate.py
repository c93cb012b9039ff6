"""Calibration by MML/EM: recovery on small simulated data, sparse data, anchors, refusals."""

from __future__ import annotations

import numpy as np
import pytest

from core.irt.calibrate import calibrate
from core.irt.model import probability


def simulate_responses(
    n_people: int, n_items: int, seed: int, theta_mean: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.8, 2.2, n_items)
    b = rng.normal(0, 1, n_items)
    c = rng.uniform(0.1, 0.3, n_items)
    theta = rng.normal(theta_mean, 1.0, n_people)
    x = (rng.random((n_people, n_items)) < probability(theta, a, b, c)).astype(float)
    return x, a, b, c


def rmse(u: np.ndarray, v: np.ndarray) -> float:
    return float(np.sqrt(np.mean((u - v) ** 2)))


def test_recovers_parameters_from_dense_data() -> None:
    x, a, b, c = simulate_responses(3000, 30, seed=1)
    cal = calibrate(x)
    assert cal.converged
    assert rmse(cal.a, a) < 0.2
    assert rmse(cal.b, b) < 0.2
    assert rmse(cal.c, c) < 0.06
    # Standard errors are of the right size: most errors within 3 SE.
    z = np.abs(cal.b - b) / cal.se_b
    assert np.mean(z < 3) > 0.85
    assert np.all(cal.se_a > 0) and np.all(np.isfinite(cal.se_c))


def test_recovers_parameters_from_sparse_data() -> None:
    x, a, b, c = simulate_responses(4000, 40, seed=2)
    rng = np.random.default_rng(2)
    # Each examinee answered 15 of 40 items; the rest are NaN or -1.
    keep = np.argsort(rng.random(x.shape), axis=1) < 15
    x = np.where(keep, x, np.nan)
    x[:, ::2] = np.where(np.isnan(x[:, ::2]), -1, x[:, ::2])
    cal = calibrate(x)
    assert rmse(cal.b, b) < 0.2
    assert rmse(cal.a, a) < 0.3
    assert cal.n_responses.min() > 1200


def test_new_items_land_on_the_anchor_scale() -> None:
    # The examinees are stronger than the anchors' calibration group (mean 0.5).
    x, a, b, c = simulate_responses(3000, 30, seed=3, theta_mean=0.5)
    fixed = np.zeros(30, bool)
    fixed[:20] = True
    init_b = np.where(fixed, b, 0.0)
    cal = calibrate(x, init=(np.where(fixed, a, 1.0), init_b, np.where(fixed, c, 0.2)), fixed=fixed)
    assert np.array_equal(cal.a[fixed], a[fixed]) and np.array_equal(cal.b[fixed], b[fixed])
    assert np.all(cal.se_b[fixed] == 0)
    assert abs(cal.population_mean - 0.5) < 0.1
    assert rmse(cal.b[~fixed], b[~fixed]) < 0.2
    # Without anchors the new items would be shifted by the group's mean.
    free = calibrate(x)
    assert abs(np.mean(free.b - b)) > 0.3


def test_refuses_an_item_with_too_few_responses() -> None:
    x, *_ = simulate_responses(300, 5, seed=4)
    x[40:, 3] = np.nan
    with pytest.raises(ValueError, match=r"item 3 has 40 responses.*at least 50"):
        calibrate(x, min_responses=50)
    fixed = np.array([False, False, False, True, False])
    init = (np.ones(5), np.zeros(5), np.full(5, 0.2))
    # Held fixed, the same item is accepted (a few cycles suffice to show it).
    assert calibrate(x, init=init, fixed=fixed, min_responses=50, max_iterations=5).b[3] == 0.0


def test_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="2-D"):
        calibrate(np.zeros(5))
    with pytest.raises(ValueError, match="1 \\(right\\), 0"):
        calibrate(np.full((100, 2), 2.0))
    with pytest.raises(ValueError, match="init"):
        calibrate(np.zeros((100, 2)), fixed=[True, False])


def test_all_right_and_all_wrong_items_stay_finite() -> None:
    x, *_ = simulate_responses(500, 6, seed=5)
    x[:, 0] = 1.0
    x[:, 1] = 0.0
    cal = calibrate(x)
    assert np.all(np.isfinite(cal.a)) and np.all(np.isfinite(cal.b)) and np.all(np.isfinite(cal.c))


def test_learned_c_prior_keeps_its_mode_and_follows_the_spread() -> None:
    from core.irt.calibrate import _learned_beta

    tight = _learned_beta(np.full(200, 0.2), np.full(200, 0.0001), centre=0.2, given_strength=22)
    wide = _learned_beta(np.linspace(0.05, 0.35, 200), np.full(200, 0.0001), 0.2, 22)
    for alpha, beta in (tight, wide):
        assert (alpha - 1) / (alpha + beta - 2) == pytest.approx(0.2)  # the mode stays put
    # Bank c's all alike: a strong prior (capped at 100); spread out: a weaker one.
    assert sum(tight) == pytest.approx(100)
    assert sum(wide) < 40
    # Answers that say little about c (large posterior variance) never loosen
    # the prior below the given one: learning only tightens it.
    vague = _learned_beta(np.full(200, 0.2), np.full(200, 0.05), 0.2, 22)
    assert sum(vague) == pytest.approx(22)


def test_learning_the_c_prior_spread_helps_a_bank_of_alike_guessing() -> None:
    # 150 items whose c all lie near .2: the learned prior is tighter than
    # Beta(5, 17) and recovers c better; a and b do not get worse.
    rng = np.random.default_rng(11)
    n_items = 150
    a = rng.uniform(0.8, 2.2, n_items)
    b = rng.normal(0, 1, n_items)
    c = rng.uniform(0.17, 0.23, n_items)
    theta = rng.normal(0, 1, 2500)
    x = (rng.random((2500, n_items)) < probability(theta, a, b, c)).astype(float)
    learned = calibrate(x)
    fixed = calibrate(x, empirical_c_prior=False)
    assert rmse(learned.c, c) < 0.8 * rmse(fixed.c, c)
    assert rmse(learned.b, b) <= rmse(fixed.b, b) + 0.01
    assert rmse(learned.a, a) <= rmse(fixed.a, a) + 0.01
