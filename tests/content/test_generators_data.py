"""Problem-Solving and Data Analysis generators: keys checked independently.

Each solver below reads the numbers back out of the stem (or the figure) and
works the problem with its own arithmetic, never with the generator's
helpers, so a wrong formula in a generator shows up as a wrong key.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import asdict
from fractions import Fraction
from pathlib import Path

import pytest

from core.content.generators import by_skill, make
from core.content.item import Item
from core.content.loader import load_items
from core.content.spr import check_spr, valid_key
from core.content.taxonomy import skills_of
from tests.content.generator_shape import assert_item_shape

SEEDS = range(200)
DIFFICULTIES = ("easy", "medium", "hard")
SKILLS = tuple(k.code for k in skills_of("data_analysis"))
NAMES = (
    "rate_scaling",
    "percent_change",
    "center_spread",
    "frequency_chart",
    "line_of_fit",
    "two_way_table",
    "sample_estimate",
    "study_design",
)


def value(text: str) -> Fraction:
    """A choice's number: ``$1,250.50``, ``−3.5``, ``7/2``, ``45%`` → Fraction."""
    cleaned = re.sub(r"[$,%°\s]", "", text).replace("−", "-")
    return Fraction(cleaned)


def ints(text: str) -> list[int]:
    return [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*\d|\d", text)]


def key_text(item: Item) -> str:
    assert isinstance(item.key, str)
    return item.choices[item.key]


def assert_spr(item: Item, expected: Fraction) -> None:
    """Every key is a valid entry, and the exact answer is accepted."""
    assert item.type == "spr"
    assert isinstance(item.key, list) and item.key
    for entry in item.key:
        assert valid_key(entry) is None, (item.id, entry)
        # Exact, or a decimal that fills the box (truncated or rounded).
        assert abs(value(entry) - expected) < Fraction(1, 1000), (item.id, entry, expected)
    assert any(value(e) == expected for e in item.key) or len(_exact(expected)) > 5
    exact = _exact(expected)
    if len(exact) <= (6 if expected < 0 else 5):
        assert check_spr(exact, item.key).correct, (item.id, expected, item.key)


def _exact(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"


def student_texts(item: Item) -> list[str]:
    return [item.stem, item.explanation, *item.hints, *item.choices.values()]


def check_common(item: Item) -> None:
    """The quality bar every generated item meets (tests/content/generator_shape.py)."""
    assert_item_shape(item, SKILLS, item.difficulty)


# -- independent solvers -------------------------------------------------------


def solve_rate_scaling(item: Item) -> Fraction:
    s = item.stem
    if item.difficulty == "easy":
        a, b, c = ints(s)[:3]
        return Fraction(a * c, b)
    if item.difficulty == "medium":
        v = ints(s)[0]
        if "kilometers per hour. What" in s:
            return Fraction(v * 1000, 3600)
        return Fraction(v * 3600, 1000)
    m = re.search(r"fills (\d+) bottles every (\d+) minutes.*fill ([\d,]+) bottles", s)
    assert m
    b, mins, n = (int(g.replace(",", "")) for g in m.groups())
    return Fraction(n, b) * mins / 60


def solve_percent_change(item: Item) -> Fraction:
    s = item.stem
    if item.difficulty == "easy":
        m = re.search(r"was \$([\d,]+)\. The price (increased|decreased) by (\d+)%", s)
        assert m
        price, p = int(m[1].replace(",", "")), int(m[3])
        sign = 1 if m[2] == "increased" else -1
        return price + sign * Fraction(price * p, 100)
    if item.difficulty == "medium":
        a, b = (int(x) for x in re.findall(r"by (\d+)%", s))
        return 100 * (1 + Fraction(a, 100)) * (1 - Fraction(b, 100))
    m = re.search(r"(\d+)% (discount|markup).*?\$([\d,]+(?:\.\d+)?)", s)
    assert m
    p, final = int(m[1]), Fraction(m[3].replace(",", ""))
    factor = 1 - Fraction(p, 100) if m[2] == "discount" else 1 + Fraction(p, 100)
    return final / factor


def solve_center_spread(item: Item) -> Fraction | str:
    s = item.stem
    if item.difficulty == "easy":
        data = [int(x) for x in s.split(" are ")[1].split(". What")[0].split(", ")]
        return Fraction(statistics.median(data))
    if item.difficulty == "medium":
        n, m, n1, m2 = ints(s)
        assert n1 == n + 1
        return Fraction(n1 * m2 - n * m)
    m = re.search(r"values (.+)\. If the value (\d+) is removed", s)
    assert m
    data = [int(x) for x in m[1].split(", ")]
    removed = int(m[2])
    rest = list(data)
    rest.remove(removed)
    d_mean = Fraction(sum(rest), len(rest)) - Fraction(sum(data), len(data))
    d_med = Fraction(statistics.median(rest)) - Fraction(statistics.median(data))
    truth = {
        "The mean and the median both decrease, and the mean decreases by more.": d_mean
        < d_med
        < 0,
        "The mean and the median both decrease, and the median decreases by more.": d_med
        < d_mean
        < 0,
        "The mean decreases, and the median does not change.": d_mean < 0 and d_med == 0,
        "The median decreases, and the mean does not change.": d_med < 0 and d_mean == 0,
        "The mean and the median both increase.": d_mean > 0 and d_med > 0,
    }
    true_choices = [t for t in item.choices.values() if truth[t]]
    assert len(true_choices) == 1, (item.id, d_mean, d_med)
    return true_choices[0]


def solve_frequency_chart(item: Item) -> Fraction:
    fig = item.figure
    assert fig is not None and fig["kind"] == "bar"
    data = [int(v) for v, c in zip(fig["labels"], fig["values"], strict=True) for _ in range(c)]
    if item.difficulty == "easy":
        t = int(re.search(r"more than (\d+)", item.stem)[1])  # type: ignore[index]
        return Fraction(sum(1 for v in data if v > t))
    if item.difficulty == "medium":
        return Fraction(statistics.median(data))
    return Fraction(sum(data), len(data))


def _line(stem: str) -> tuple[Fraction, Fraction]:
    m = re.search(r"y = (−?)([\d.]*)x ([+−]) ([\d.]+)", stem)
    assert m
    slope = Fraction(m[2] or "1") * (-1 if m[1] else 1)
    intercept = Fraction(m[4]) * (-1 if m[3] == "−" else 1)
    return slope, intercept


def solve_line_of_fit(item: Item) -> Fraction | str:
    slope, intercept = _line(item.stem)
    if item.difficulty == "easy":
        x0 = int(re.search(r"when x = (\d+)\?", item.stem)[1])  # type: ignore[index]
        return slope * x0 + intercept
    if item.difficulty == "medium":
        word = "increases" if slope > 0 else "decreases"
        size = re.sub(r"\.0$", "", str(float(abs(slope))))
        fits = [
            c
            for c in item.choices.values()
            if c.startswith("For each additional ")
            and " of " not in c.split(",")[0]
            and f"{word} by {size} " in c
        ]
        assert len(fits) == 1, item.choices
        return fits[0]
    m = re.search(r"x = (\d+) and an actual .+? of (−?[\d.]+)\.", item.stem)
    assert m
    actual = value(m[2])
    # The point plotted for that case must be the one the stem describes.
    assert [int(m[1]), float(actual)] in item.figure["points"]  # type: ignore[index]
    return actual - (slope * int(m[1]) + intercept)


def solve_two_way_table(item: Item) -> Fraction:
    fig = item.figure
    assert fig is not None
    cols = fig["columns"][1:3]
    body = [r for r in fig["rows"] if r[0] != "Total"]
    counts = {(r[0], cols[j]): r[1 + j] for r in body for j in range(2)}
    rows = [r[0] for r in body]
    total = sum(counts.values())
    s = item.stem

    def col_total(c: str) -> int:
        return sum(counts[(r, c)] for r in rows)

    if item.difficulty == "easy":
        (col,) = [c for c in cols if s.endswith(f"the one selected {c}?")]
        return Fraction(col_total(col), total)
    if item.difficulty == "medium":
        (row,) = [r for r in rows if f"One of the {r} is selected" in s]
        (col,) = [c for c in cols if s.endswith(f"the one selected {c}?")]
        return Fraction(counts[(row, col)], counts[(row, cols[0])] + counts[(row, cols[1])])
    (col,) = [c for c in cols if f" {c} is selected" in s]
    (row,) = [r for r in rows if s.endswith(f"one of the {r}?")]
    return Fraction(counts[(row, col)], col_total(col))


def solve_sample_estimate(item: Item) -> Fraction | str:
    s = item.stem
    if item.difficulty == "easy":
        est = int(re.search(r"found that (\d+)%", s)[1])  # type: ignore[index]
        moe = int(re.search(r"margin of error of (\d+)", s)[1])  # type: ignore[index]
        return f"Between {est - moe}% and {est + moe}%"
    if item.difficulty == "medium":
        m = re.search(r"sample of (\d+) .+?, (\d+) .+ There are ([\d,]+) ", s)
        assert m
        n, k, big = (int(g.replace(",", "")) for g in m.groups())
        return Fraction(k * big, n)
    m = re.search(r"selected \d+ (.+?) at random.*mean was ([\d.]+) hours.*error of ([\d.]+)", s)
    assert m
    group, mean, moe = m[1], Fraction(m[2]), Fraction(m[3])
    lo, hi = float(mean - moe), float(mean + moe)
    return f"It is plausible that the mean for all {group} is between {lo:.1f} and {hi:.1f} hours."


def solve_study_design(item: Item) -> str:
    """The one choice whose strength matches the design, found from the stem's wording."""
    s = item.stem
    assigned = "randomly assigned" in s
    sampled = re.search(r"at random from all (.+?)(?:\.| and asked)", s)
    population = sampled[1] if sampled else None

    def supported(choice: str) -> bool:
        if choice.startswith("No ") or "every one of" in choice:
            return False  # never supported by these designs
        causal = " likely " in choice
        if causal and not assigned:
            return False
        if population is not None:
            return choice.endswith(f"for {population}.") or choice.startswith(
                f"Among {population},"
            )
        return choice.endswith("similar to the volunteers in the study.")

    fits = [c for c in item.choices.values() if supported(c)]
    assert len(fits) == 1, (item.id, fits)
    return fits[0]


SOLVERS = {
    "rate_scaling": solve_rate_scaling,
    "percent_change": solve_percent_change,
    "center_spread": solve_center_spread,
    "frequency_chart": solve_frequency_chart,
    "line_of_fit": solve_line_of_fit,
    "two_way_table": solve_two_way_table,
    "sample_estimate": solve_sample_estimate,
    "study_design": solve_study_design,
}


# -- tests ---------------------------------------------------------------------


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
@pytest.mark.parametrize("name", NAMES)
def test_key_is_right_and_item_meets_the_bar(name: str, difficulty: str) -> None:
    for seed in SEEDS:
        item = make(name, seed, difficulty)  # type: ignore[arg-type]
        check_common(item)
        expected = SOLVERS[name](item)
        if item.type == "spr":
            assert isinstance(expected, Fraction)
            assert_spr(item, expected)
        elif isinstance(expected, str):
            assert key_text(item) == expected, (item.id, item.choices)
        else:
            assert value(key_text(item)) == expected, (item.id, key_text(item), expected)
            # No distractor may be the same number written differently.
            others = [value(t) for k, t in item.choices.items() if k != item.key]
            assert expected not in others, (item.id, item.choices)


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_item_and_seeds_vary(name: str) -> None:
    for difficulty in DIFFICULTIES:
        a = make(name, 7, difficulty)  # type: ignore[arg-type]
        b = make(name, 7, difficulty)  # type: ignore[arg-type]
        assert asdict(a) == asdict(b)
        stems = {make(name, s, difficulty).stem for s in range(60)}  # type: ignore[arg-type]
        # Design questions vary by context and wording more than by numbers.
        assert len(stems) >= (20 if name == "study_design" else 40), (name, difficulty, len(stems))


@pytest.mark.parametrize("name", NAMES)
def test_key_position_is_spread(name: str) -> None:
    letters = set()
    for difficulty in DIFFICULTIES:
        for seed in range(40):
            item = make(name, seed, difficulty)  # type: ignore[arg-type]
            if item.type == "mcq":
                letters.add(item.key)
    assert letters == {"A", "B", "C", "D"}


def test_every_data_skill_has_a_generator() -> None:
    skills = (
        "ratios_rates",
        "percentages",
        "one_var_data",
        "two_var_data",
        "probability",
        "sampling_inference",
        "statistical_claims",
    )
    for skill in skills:
        assert by_skill(skill), skill


def test_about_a_quarter_spr() -> None:
    items = [make(n, s, d) for n in NAMES for d in DIFFICULTIES for s in range(20)]  # type: ignore[arg-type]
    share = sum(i.type == "spr" for i in items) / len(items)
    assert 0.15 <= share <= 0.45, share


def test_statistical_claims_bank_loads_cleanly() -> None:
    """The hand-written claims items back up the generator: valid, mixed, about 25% SPR."""
    path = Path(__file__).parents[2] / "core/content/bank/math/statistical_claims.yaml"
    result = load_items(path)
    assert result.ok, [str(p) for p in result.problems]
    items = result.items
    assert len(items) >= 12
    assert {i.difficulty for i in items} == {"easy", "medium", "hard"}
    assert 0.2 <= sum(i.type == "spr" for i in items) / len(items) <= 0.35
    for item in items:
        check_common(item)
