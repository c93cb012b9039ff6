"""The 3PL formulas: the D = 1 metric and information as P'^2 / (PQ)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from core.irt.model import ItemBank, default_grid, information, probability, random_bank


def test_probability_is_the_d1_logistic() -> None:
    theta, a, b, c = 0.7, 1.3, -0.2, 0.18
    expected = c + (1 - c) / (1 + np.exp(-a * (theta - b)))
    assert probability(theta, [a], [b], [c])[0] == np.float64(expected)


def test_probability_shape_is_abilities_by_items() -> None:
    bank = random_bank(7, seed=1)
    assert probability(np.zeros((3, 2)), bank.a, bank.b, bank.c).shape == (3, 2, 7)


@given(
    theta=st.floats(-4, 4),
    a=st.floats(0.3, 3.0),
    b=st.floats(-3, 3),
    c=st.floats(0.0, 0.35),
)
def test_information_equals_numerical_derivative_formula(
    theta: float, a: float, b: float, c: float
) -> None:
    h = 1e-5
    p = probability(theta, [a], [b], [c])[0]
    dp = (probability(theta + h, [a], [b], [c])[0] - probability(theta - h, [a], [b], [c])[0]) / (
        2 * h
    )
    numeric = dp**2 / (p * (1 - p))
    assert np.isclose(information(theta, [a], [b], [c])[0], numeric, rtol=1e-6, atol=1e-10)


def test_bank_tables_match_the_formulas() -> None:
    bank = random_bank(50, seed=2)
    grid = default_grid()
    assert np.allclose(bank.info_table, information(grid, bank.a, bank.b, bank.c))
    assert np.allclose(np.exp(bank.log_p), probability(grid, bank.a, bank.b, bank.c).T)
    assert np.allclose(np.exp(bank.log_p) + np.exp(bank.log_q), 1.0)


def test_bank_rejects_impossible_parameters() -> None:
    import pytest

    with pytest.raises(ValueError):
        ItemBank(np.array([1.0, -1.0]), np.zeros(2), np.zeros(2))
    with pytest.raises(ValueError):
        ItemBank(np.ones(2), np.zeros(3), np.zeros(2))
