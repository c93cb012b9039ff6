"""Multistage forms: blueprint, sizes, pretest flags, order, routing and scoring."""

from __future__ import annotations

import numpy as np
import pytest

from core.irt.model import probability, random_bank
from core.irt.mst import assemble_section, quotas, route, score_section

BANK = random_bank(1200, seed=31)
BLUEPRINT = {0: 0.26, 1: 0.28, 2: 0.20, 3: 0.26}


def form(**kw):  # type: ignore[no-untyped-def]
    return assemble_section(BANK.a, BANK.b, BANK.c, BANK.domain, BANK.skill, BLUEPRINT, **kw)


def test_quotas_follow_the_blueprint() -> None:
    assert (
        quotas(BLUEPRINT, 25) == {0: 7, 1: 7, 2: 5, 3: 6}
        or sum(quotas(BLUEPRINT, 25).values()) == 25
    )
    q = quotas({0: 0.35, 1: 0.35, 2: 0.15, 3: 0.15}, 20)
    assert q == {0: 7, 1: 7, 2: 3, 3: 3}


@pytest.mark.parametrize("size", [27, 22])
def test_modules_have_the_right_size_blueprint_and_pretest(size: int) -> None:
    f = form(module_size=size, seed=1)
    modules = [f.module1, f.module2_easy, f.module2_hard]
    assert all(len(m) == size for m in modules)
    assert len(set(np.concatenate(modules))) == 3 * size  # no item twice
    want = quotas(BLUEPRINT, size - 2)
    for m in modules:
        op = m[f.operational(m)]
        assert len(op) == size - 2
        counts = {d: int(np.sum(BANK.domain[op] == d)) for d in BLUEPRINT}
        assert counts == want
    assert len(f.pretest) == 6


def test_caller_supplied_pretest_items_are_used_and_not_scored() -> None:
    pre = [[0, 1], [2, 3], [4, 5]]
    f = form(pretest=pre, seed=2)
    assert f.pretest == frozenset(range(6))
    assert {0, 1} <= set(f.module1.tolist())
    assert not f.operational(np.array([0, 5])).any()


def test_module_difficulty_and_order() -> None:
    f = form(seed=3)
    assert BANK.b[f.module2_easy].mean() < BANK.b[f.module1].mean() < BANK.b[f.module2_hard].mean()
    assert np.ptp(BANK.b[f.module1]) > 2.0  # a broad mix
    for m in (f.module1, f.module2_easy, f.module2_hard):
        skills = BANK.skill[m]
        # Grouped: each skill appears in one contiguous run, easier to harder.
        runs = [s for i, s in enumerate(skills) if i == 0 or s != skills[i - 1]]
        assert len(runs) == len(set(skills.tolist()))
        for s in set(skills.tolist()):
            assert np.all(np.diff(BANK.b[m[skills == s]]) >= 0)


def test_routing_and_scoring_recover_ability() -> None:
    f = form(seed=4)
    rng = np.random.default_rng(4)
    errors, hard_when_high = [], []
    for theta in rng.normal(size=300):
        x1 = rng.random(27) < probability(
            theta, BANK.a[f.module1], BANK.b[f.module1], BANK.c[f.module1]
        )
        path, est1 = route(f, x1.astype(float), BANK.a, BANK.b, BANK.c)
        assert path == ("hard" if est1.theta >= f.cut_theta else "easy")
        if abs(theta) > 1:
            hard_when_high.append((path == "hard") == (theta > 0))
        m2 = f.module2(path)
        x2 = rng.random(27) < probability(theta, BANK.a[m2], BANK.b[m2], BANK.c[m2])
        est = score_section(
            f, np.r_[f.module1, m2], np.r_[x1, x2].astype(float), BANK.a, BANK.b, BANK.c
        )
        assert est.n_items == 50
        errors.append(est.theta - theta)
    assert np.sqrt(np.mean(np.square(errors))) < 0.3
    assert np.mean(hard_when_high) > 0.95


def test_a_domain_that_runs_out_is_reported() -> None:
    small = random_bank(60, seed=1)
    with pytest.raises(ValueError, match="domain"):
        assemble_section(small.a, small.b, small.c, small.domain, small.skill, BLUEPRINT)
