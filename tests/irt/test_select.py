"""Item selection: masks, content balancing, exposure control, practice targeting, stopping."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.irt.model import ItemBank, information, probability, random_bank
from core.irt.select import AdaptiveTest, Selector, StoppingRule

BANK = random_bank(400, seed=21)
BLUEPRINT = {0: 0.26, 1: 0.28, 2: 0.20, 3: 0.26}


def nearest_column(bank: ItemBank, theta: float) -> float:
    return float(bank.grid[np.argmin(np.abs(bank.grid - theta))])


def test_max_info_picks_the_most_informative_unseen_item() -> None:
    selector = Selector(BANK)  # no blueprint: one pool
    seen = np.zeros(BANK.n_items, bool)
    theta = 0.27
    info = information(nearest_column(BANK, theta), BANK.a, BANK.b, BANK.c)
    first = selector.next_item(theta, seen)
    assert first == int(np.argmax(info))
    seen[first] = True
    info[first] = -np.inf
    assert selector.next_item(theta, seen) == int(np.argmax(info))


@settings(max_examples=30, deadline=None)
@given(
    theta=st.floats(-4, 4),
    seen_idx=st.lists(st.integers(0, 399), max_size=390),
    retired_idx=st.lists(st.integers(0, 399), max_size=50),
    randomesque=st.integers(1, 6),
    use_sh=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_selection_never_returns_a_masked_item(
    theta: float,
    seen_idx: list[int],
    retired_idx: list[int],
    randomesque: int,
    use_sh: bool,
    seed: int,
) -> None:
    retired = np.zeros(BANK.n_items, bool)
    retired[retired_idx] = True
    section = np.where(np.arange(BANK.n_items) % 5 == 0, 1, 0)  # every fifth item: other section
    bank = ItemBank(BANK.a, BANK.b, BANK.c, BANK.domain, BANK.skill, section, retired)
    exposure = np.random.default_rng(seed).uniform(0.05, 1.0, bank.n_items) if use_sh else None
    selector = Selector(bank, BLUEPRINT, randomesque=randomesque, exposure=exposure, section=0)
    seen = np.zeros(bank.n_items, bool)
    seen[seen_idx] = True
    allowed = ~seen & ~retired & (section == 0)
    rng = np.random.default_rng(seed)
    if not allowed.any():
        with pytest.raises(ValueError, match="no eligible item"):
            selector.next_item(theta, seen, np.zeros(4, np.int64), rng)
        return
    counts = np.random.default_rng(seed).integers(0, 5, 4)
    item = selector.next_item(theta, seen, counts, rng)
    assert allowed[item]
    # The batched rule used by simulation obeys the same masks.
    many = selector.next_items(
        np.full(3, theta), np.tile(seen, (3, 1)), np.tile(counts, (3, 1)), rng
    )
    assert allowed[many].all()


@settings(max_examples=40, deadline=None)
@given(
    shares=st.lists(st.floats(0.05, 1.0), min_size=2, max_size=5),
    length=st.integers(1, 30),
    seed=st.integers(0, 2**16),
)
def test_content_balancing_holds_to_the_blueprint_within_one_item(
    shares: list[float], length: int, seed: int
) -> None:
    k = len(shares)
    bank = random_bank(60 * k, seed=seed, domain_shares=np.ones(k))
    blueprint = dict(enumerate(shares))
    test = AdaptiveTest(
        Selector(bank, blueprint, randomesque=3),
        StoppingRule(None, length, length),
        seed=seed,
    )
    rng = np.random.default_rng(seed)
    target = np.array(shares) / sum(shares)
    while not test.done:
        item = test.next_item()
        test.record(item, bool(rng.random() < 0.5))
        # After every item, not only at the end of the module.
        n = len(test.items)
        assert np.all(np.abs(test.counts - target * n) < 1.0 + 1e-9)
    assert len(test.items) == length == len(set(test.items))


def test_randomesque_spreads_the_first_item() -> None:
    selector = Selector(BANK, BLUEPRINT, randomesque=5)
    seen = np.zeros(BANK.n_items, bool)
    rng = np.random.default_rng(0)
    firsts = {selector.next_item(0.0, seen, np.zeros(4, np.int64), rng) for _ in range(200)}
    assert len(firsts) == 5


def test_sympson_hetter_passes_over_items_by_their_exposure_parameter() -> None:
    exposure = np.ones(BANK.n_items)
    selector = Selector(BANK, exposure=exposure)
    seen = np.zeros(BANK.n_items, bool)
    best = selector.next_item(0.0, seen)
    exposure[best] = 0.25
    rng = np.random.default_rng(1)
    picks = [selector.next_item(0.0, seen, rng=rng) for _ in range(4000)]
    assert abs(np.mean(np.array(picks) == best) - 0.25) < 0.03
    rejected = np.zeros(BANK.n_items, bool)
    exposure[best] = 0.0
    assert selector.next_item(0.0, seen, rng=rng, rejected=rejected) != best
    assert rejected[best]


def test_practice_mode_targets_the_success_rate() -> None:
    selector = Selector(BANK, method="target_p", target_p=0.7)
    seen = np.zeros(BANK.n_items, bool)
    for theta in (-1.4, 0.0, 1.2):
        item = selector.next_item(theta, seen)
        p = probability(nearest_column(BANK, theta), BANK.a, BANK.b, BANK.c)
        assert item == int(np.argmin(np.abs(p - 0.7)))
        assert abs(p[item] - 0.7) < 0.02


def test_batched_selection_equals_the_scalar_rule() -> None:
    selector = Selector(BANK, BLUEPRINT)
    rng = np.random.default_rng(3)
    thetas = rng.normal(size=50)
    seen = rng.random((50, BANK.n_items)) < 0.2
    counts = rng.integers(0, 4, (50, 4))
    batch = selector.next_items(thetas, seen.copy(), counts, rng)
    for i in range(50):
        assert batch[i] == selector.next_item(float(thetas[i]), seen[i], counts[i])


def test_stopping_rule() -> None:
    rule = StoppingRule(se_threshold=0.3, min_items=5, max_items=20)
    assert not rule.done(4, 0.1)
    assert rule.done(5, 0.29)
    assert not rule.done(10, 0.31)
    assert rule.done(20, 0.9)
    assert not StoppingRule(None, 1, 30).done(29, 0.01)


def test_adaptive_test_runs_to_its_stopping_rule() -> None:
    bank = random_bank(600, seed=5)
    test = AdaptiveTest(Selector(bank, BLUEPRINT), StoppingRule(0.3, 5, 40), seed=2)
    rng = np.random.default_rng(2)
    while not test.done:
        item = test.next_item()
        test.record(
            item, bool(rng.random() < probability(1.0, bank.a[item], bank.b[item], bank.c[item]))
        )
    assert test.ability.se < 0.3 or len(test.items) == 40
    assert abs(test.ability.theta - 1.0) < 1.0


def test_unknown_method_and_bad_randomesque_are_refused() -> None:
    with pytest.raises(ValueError, match="selection method"):
        Selector(BANK, method="urry")
    with pytest.raises(ValueError, match="randomesque"):
        Selector(BANK, randomesque=0)
