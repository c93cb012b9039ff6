"""Ability estimates: EAP against numerical integrals and mirt, MAP/ML, the incremental state."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from core.irt.estimate import (
    AbilityState,
    Estimate,
    eap,
    estimate_ability,
    group_abilities,
    log_likelihood,
    map_estimate,
    ml,
)
from core.irt.model import default_grid, probability, random_bank

BANK = random_bank(40, seed=11, a_range=(0.8, 2.2), c_range=(0.1, 0.3))


def quad_eap(x: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> tuple[float, float]:
    """Posterior mean and SD by adaptive quadrature over the real line (prior N(0, 1))."""

    def dens(t: float, k: int) -> float:
        return t**k * np.exp(log_likelihood(t, x, a, b, c) - 0.5 * t * t)

    opts = {"epsabs": 0, "epsrel": 1e-12, "limit": 200}
    z = integrate.quad(dens, -np.inf, np.inf, args=(0,), **opts)[0]
    m = integrate.quad(dens, -np.inf, np.inf, args=(1,), **opts)[0] / z
    v = integrate.quad(dens, -np.inf, np.inf, args=(2,), **opts)[0] / z - m * m
    return m, float(np.sqrt(v))


patterns = st.lists(st.integers(0, 1), min_size=0, max_size=12)


@settings(max_examples=15, deadline=None)
@given(patterns)
def test_eap_on_a_wide_grid_equals_the_integral_for_every_pattern(pattern: list[int]) -> None:
    # A 161-point grid on [-8, 8] holds the whole posterior, prior alone included.
    x = np.array(pattern, dtype=float)
    n = x.size
    a, b, c = BANK.a[:n], BANK.b[:n], BANK.c[:n]
    est = eap(x, a, b, c, grid=default_grid(161, -8, 8))
    m, s = quad_eap(x, a, b, c)
    assert abs(est.theta - m) < 1e-6
    assert abs(est.se - s) < 1e-6


@pytest.mark.parametrize("length", [0, 5, 15, 40])
@pytest.mark.parametrize("theta", [-2.5, -2.0, -0.5, 0.0, 1.0, 2.5])
def test_default_grid_eap_is_within_a_few_millionths_of_the_integral(
    theta: float, length: int
) -> None:
    # The default grid (61 points on [-6, 6]) misses only the posterior mass
    # beyond ±6; for a low scorer that is about 1e-6 of the SE, hence 5e-6.
    rng = np.random.default_rng(int(10 * theta) + 50 + length)
    a, b, c = BANK.a[:length], BANK.b[:length], BANK.c[:length]
    x = (rng.random(length) < probability(theta, a, b, c)).astype(float)
    est = eap(x, a, b, c)
    m, s = quad_eap(x, a, b, c)
    assert abs(est.theta - m) < 5e-6
    assert abs(est.se - s) < 5e-6


def test_eap_agrees_with_mirt() -> None:
    pytest.importorskip("mirt")
    from mirt import fscores
    from mirt.models.dichotomous import ThreeParameterLogistic

    model = ThreeParameterLogistic(BANK.a.size)
    model.set_parameters(discrimination=BANK.a, difficulty=BANK.b, guessing=BANK.c)
    model._is_fitted = True  # parameters are given, not estimated
    rng = np.random.default_rng(3)
    thetas = rng.normal(size=20)
    x = (rng.random((20, BANK.a.size)) < probability(thetas, BANK.a, BANK.b, BANK.c)).astype(float)
    x[:, 25:] = np.nan  # 25-item patterns, the rest not administered
    theirs = fscores(model, x, method="EAP", n_quadpts=61)
    for i in range(20):
        ours = eap(x[i], BANK.a, BANK.b, BANK.c)
        assert abs(ours.theta - np.ravel(theirs.theta)[i]) < 1e-3
        assert abs(ours.se - np.ravel(theirs.standard_error)[i]) < 1e-3


@settings(max_examples=60, deadline=None)
@given(patterns.filter(lambda p: len(p) > 0), st.sampled_from(["eap", "map", "ml"]))
def test_every_pattern_gives_a_finite_ability(pattern: list[int], method: str) -> None:
    n = len(pattern)
    est = estimate_ability(pattern, BANK.a[:n], BANK.b[:n], BANK.c[:n], method=method)
    assert np.isfinite(est.theta) and np.isfinite(est.se) and est.se > 0


@pytest.mark.parametrize("value", [0, 1])
def test_ml_falls_back_to_map_for_all_right_or_all_wrong(value: int) -> None:
    x = np.full(10, value)
    est = ml(x, BANK.a[:10], BANK.b[:10], BANK.c[:10])
    assert est.method == "map"
    assert est == map_estimate(x, BANK.a[:10], BANK.b[:10], BANK.c[:10])


def test_ml_and_map_find_the_mode() -> None:
    rng = np.random.default_rng(5)
    x = (rng.random(40) < probability(0.4, BANK.a, BANK.b, BANK.c)).astype(float)
    fine = np.linspace(-4, 4, 20001)
    ll = log_likelihood(fine, x, BANK.a, BANK.b, BANK.c)
    assert abs(ml(x, BANK.a, BANK.b, BANK.c).theta - fine[np.argmax(ll)]) < 1e-3
    lp = ll - 0.5 * fine**2
    assert abs(map_estimate(x, BANK.a, BANK.b, BANK.c).theta - fine[np.argmax(lp)]) < 1e-3


def test_incremental_state_equals_the_batch_estimate() -> None:
    bank = random_bank(30, seed=4)
    rng = np.random.default_rng(9)
    x = rng.integers(0, 2, 30)
    by_table = AbilityState(bank=bank)
    by_params = AbilityState(prior_mean=0.0, prior_sd=1.0)
    for j in range(30):
        e1 = by_table.update_item(j, bool(x[j]))
        e2 = by_params.update(bank.a[j], bank.b[j], bank.c[j], bool(x[j]))
    batch = eap(x, bank.a, bank.b, bank.c)
    assert abs(e1.theta - batch.theta) < 1e-9 and abs(e1.se - batch.se) < 1e-9
    assert abs(e2.theta - batch.theta) < 1e-9 and abs(e2.se - batch.se) < 1e-9
    assert by_table.estimate().n_items == 30


def test_missing_answers_are_ignored() -> None:
    x = np.array([1, np.nan, 0, -1, 1], dtype=float)
    keep = [0, 2, 4]
    a, b, c = BANK.a[:5], BANK.b[:5], BANK.c[:5]
    assert eap(x, a, b, c) == eap(x[keep], a[keep], b[keep], c[keep])


def test_skill_abilities_borrow_strength_from_the_section() -> None:
    section = Estimate(1.0, 0.25)
    # Three answers, all wrong, in skill 7: alone (N(0,1) prior) they pull far down.
    x = np.zeros(3)
    a, b, c = BANK.a[:3], BANK.b[:3], BANK.c[:3]
    skill = group_abilities(x, a, b, c, [7, 7, 7], section)[7]
    alone = eap(x, a, b, c)
    assert skill.theta > alone.theta
    assert 0.0 < skill.theta < section.theta
    assert skill.se < alone.se


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown ability method"):
        estimate_ability([1], [1.0], [0.0], [0.2], method="wle")
