"""Simulation: the report and exposure control."""

from __future__ import annotations

import numpy as np

from core.irt.model import random_bank
from core.irt.select import StoppingRule
from core.irt.simulate import simulate, sympson_hetter_parameters


def test_report_and_format() -> None:
    report = simulate(n_examinees=200, bank=500, seed=1)
    assert 0 < report.rmse < 0.5
    assert abs(report.bias) < 0.1
    assert 5 <= report.mean_items <= 30
    assert report.max_exposure == 1.0  # plain max info: everyone gets the same first item
    text = report.format()
    for label in (
        "RMSE",
        "bias",
        "mean items used",
        "max item exposure",
        "mean SE",
        "RMSE at 20 items",
    ):
        assert label in text


def test_fixed_length_gives_that_length() -> None:
    report = simulate(n_examinees=100, bank=300, se_threshold=None, max_items=12, rmse_at=(12,))
    assert report.mean_items == 12
    assert report.rmse_at[12] == report.rmse


def test_sympson_hetter_caps_exposure() -> None:
    bank = random_bank(500, seed=2)
    stopping = StoppingRule(0.3, 5, 20)
    k = sympson_hetter_parameters(
        bank, 0.3, stopping=stopping, n_examinees=400, iterations=6, seed=3
    )
    assert k.min() < 1.0 and np.all((k > 0) & (k <= 1))
    report = simulate(400, bank, sympson_hetter=0.3, max_items=20, seed=4)
    assert report.max_exposure < 0.4


def test_given_true_abilities_are_used() -> None:
    report = simulate(n_examinees=3, bank=200, true_theta=[2.0, 2.0, 2.0], max_items=25)
    assert report.n_examinees == 3 and report.bias > -1.0


def test_practice_mode_runs() -> None:
    report = simulate(n_examinees=100, bank=300, method="target_p", se_threshold=None, max_items=10)
    assert np.isfinite(report.rmse) and report.mean_items == 10
