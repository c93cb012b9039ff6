"""Generators for Problem-Solving and Data Analysis.

Each generator builds one item from the rng: the numbers are chosen first so
that the key is exact (an integer, a short decimal or a small fraction) and
every distractor is the result of one named student error. The small
building blocks here (number formatting, SPR keys, shuffled choices with a
per-distractor explanation) are shared with ``geometry.py``.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

from core.content.generators import GeneratorFn, Redraw, generator, retrying
from core.content.item import CHOICE_LETTERS, Difficulty, Item
from core.content.spr import accepted_forms

Number = int | Fraction

MINUS = "−"


def register(name: str, skill: str) -> Callable[[GeneratorFn], GeneratorFn]:
    """``@generator`` with retrying: the form every generator here uses."""

    def deco(fn: GeneratorFn) -> GeneratorFn:
        return generator(name, skill)(retrying(fn))

    return deco


# ---------------------------------------------------------------------------
# Number formatting for chat (Unicode minus, a/b fractions, π multiples)


def _decimal_text(value: Fraction) -> str | None:
    """The exact decimal of ``value`` if it terminates within 4 places, else None."""
    for places in range(5):
        scaled = value * 10**places
        if scaled.denominator == 1:
            digits = abs(scaled.numerator)
            whole, frac = divmod(digits, 10**places)
            text = str(whole) if places == 0 else f"{whole}.{frac:0{places}d}"
            return text
    return None


def num(value: Number) -> str:
    """Student-facing text of a number: ``12``, ``−3.5``, ``7/3`` (decimals when they end)."""
    value = Fraction(value)
    sign = MINUS if value < 0 else ""
    dec = _decimal_text(value)
    if dec is not None:
        return sign + dec
    mag = abs(value)
    return f"{sign}{mag.numerator}/{mag.denominator}"


def frac(value: Number) -> str:
    """A number as a reduced fraction (integers stay integers)."""
    value = Fraction(value)
    if value.denominator == 1:
        return num(value)
    sign = MINUS if value < 0 else ""
    return f"{sign}{abs(value.numerator)}/{value.denominator}"


def money(value: Number) -> str:
    """Dollars: ``$45`` or ``$45.50``."""
    value = Fraction(value)
    sign = MINUS if value < 0 else ""
    if value.denominator == 1:
        return f"{sign}${abs(value.numerator):,}"
    return f"{sign}${float(abs(value)):,.2f}"


def pi_text(coef: Number) -> str:
    """A multiple of π: ``π``, ``12π``, ``3π/2``, ``−π/4``."""
    coef = Fraction(coef)
    sign = MINUS if coef < 0 else ""
    mag = abs(coef)
    top = "π" if mag.numerator == 1 else f"{mag.numerator}π"
    return sign + (top if mag.denominator == 1 else f"{top}/{mag.denominator}")


def spr_key(value: Number) -> list[str]:
    """Accepted SPR entries for ``value`` (fraction and decimal forms that fit the box).

    Numbers that cannot be entered at all make the generator draw again.
    """
    forms = accepted_forms(Fraction(value))
    if not forms:
        raise Redraw
    return forms


# ---------------------------------------------------------------------------
# Item builders


def mcq(
    rng: random.Random,
    skill: str,
    difficulty: Difficulty,
    stem: str,
    key: str,
    distractors: Sequence[tuple[str, str]],
    work: str,
    hints: Sequence[str],
    figure: dict[str, Any] | None = None,
) -> Item:
    """A four-option item; ``distractors`` are (text, the error that produces it).

    The key's position is drawn from the rng, and the explanation ends with
    one sentence per distractor naming the error behind it.
    """
    texts = [key, *(text for text, _ in distractors)]
    if len(distractors) != 3 or len(set(texts)) != 4:
        raise Redraw
    order = list(range(4))
    rng.shuffle(order)
    choices: dict[str, str] = {}
    letter_of: dict[int, str] = {}
    for letter, idx in zip(CHOICE_LETTERS, order, strict=True):
        choices[letter] = texts[idx]
        letter_of[idx] = letter
    lines = [work.strip(), f"Choice {letter_of[0]} ({key}) is correct."]
    for idx, (text, why) in enumerate(distractors, start=1):
        lines.append(f"Choice {letter_of[idx]} ({text}) {why}.")
    return Item(
        id="",
        skill=skill,
        difficulty=difficulty,
        type="mcq",
        stem=stem,
        key=letter_of[0],
        choices=choices,
        explanation="\n".join(lines),
        hints=list(hints),
        figure=figure,
    )


def spr(
    skill: str,
    difficulty: Difficulty,
    stem: str,
    value: Number,
    work: str,
    traps: str,
    hints: Sequence[str],
    figure: dict[str, Any] | None = None,
) -> Item:
    """A student-produced-response item whose key lists the accepted entries of ``value``."""
    return Item(
        id="",
        skill=skill,
        difficulty=difficulty,
        type="spr",
        stem=stem,
        key=spr_key(value),
        explanation=f"{work.strip()}\n{traps.strip()}",
        hints=list(hints),
        figure=figure,
    )


# ---------------------------------------------------------------------------
# Ratios, rates, proportions and units

_RECIPES = (
    ("cups of flour", "pancakes"),
    ("ounces of paint", "birdhouses"),
    ("liters of juice", "punch bowls"),
    ("meters of ribbon", "gift bags"),
    ("pounds of clay", "vases"),
)


@register("rate_scaling", "ratios_rates")
def rate_scaling(rng: random.Random, difficulty: Difficulty) -> Item:
    """Proportions (easy), km/h ↔ m/s (medium, SPR), a rate with a unit change (hard)."""
    skill = "ratios_rates"
    if difficulty == "easy":
        amount, product = rng.choice(_RECIPES)
        b = rng.choice([4, 6, 8, 10, 12])
        a = rng.randint(2, 9)
        c = rng.choice([m for m in range(3, 40) if (a * m * 2) % b == 0 and m != b])
        key = Fraction(a * c, b)
        if a + c - b <= 0:
            raise Redraw  # the additive-thinking distractor must be a possible amount
        stem = (
            f"A craft shop uses {a} {amount} to make {b} {product}. At this rate, "
            f"how many {amount} are needed to make {c} {product}?"
        )
        work = (
            f"Set up a proportion with the same units on each side: {a}/{b} = x/{c}. "
            f"Cross-multiply: {b}x = {a}·{c} = {a * c}, so x = {a * c}/{b} = {num(key)}."
        )
        distractors = [
            (num(Fraction(a * b, c)), f"comes from flipping one ratio ({a}/{b} = {c}/x)"),
            (
                num(a + c - b),
                f"comes from adding the difference in {product} ({c} − {b}) instead of scaling",
            ),
            (num(a * c), f"comes from multiplying {a} by {c} and forgetting to divide by {b}"),
        ]
        hints = [
            f"Find how the amount of {amount.split(' of ')[-1]} compares with the number of {product}.",
            f"Write a proportion: {a} is to {b} as x is to {c}.",
            f"Cross-multiplying gives {b}x = {a}·{c}.",
        ]
        return mcq(rng, skill, difficulty, stem, num(key), distractors, work, hints)

    if difficulty == "medium":
        if rng.random() < 0.5:
            t = rng.randint(3, 25)
            v = 9 * t  # 9 km/h = 2.5 m/s, so the key is a multiple of 2.5
            key = Fraction(5 * t, 2)
            mover = rng.choice(["train", "ferry", "bus", "cyclist"])
            stem = (
                f"A {mover} travels at a constant speed of {v} kilometers per hour. What is "
                "this speed in meters per second? (1 kilometer = 1,000 meters)"
            )
            work = (
                f"{v} km/h means {v}·1,000 = {v * 1000:,} meters in 3,600 seconds. "
                f"{v * 1000:,}/3,600 = {num(key)} meters per second."
            )
            traps = (
                f"Dividing by 60 only once (minutes instead of seconds) gives "
                f"{num(Fraction(v * 1000, 60))}; multiplying by 3.6 instead of dividing gives "
                f"{num(Fraction(v * 36, 10))}."
            )
            hints = [
                "Change kilometers to meters and hours to seconds separately.",
                "One hour has 60·60 = 3,600 seconds.",
                f"In one hour the {mover} covers {v * 1000:,} meters.",
            ]
        else:
            v = rng.randint(4, 40)
            key = Fraction(v * 36, 10)
            stem = (
                f"A {rng.choice(['drone', 'sprinter', 'kite', 'toy car'])} moves at a constant speed of {v} meters per second. What is this "
                "speed in kilometers per hour? (1 kilometer = 1,000 meters)"
            )
            work = (
                f"In one hour (3,600 seconds) it covers {v}·3,600 = {v * 3600:,} meters, "
                f"which is {v * 3600:,}/1,000 = {num(key)} kilometers. So {num(key)} km/h."
            )
            traps = (
                f"Multiplying by 60 only once gives {num(Fraction(v * 60, 1000))}; dividing by "
                f"3.6 instead of multiplying gives {num(Fraction(v * 10, 36))}."
            )
            hints = [
                "Work out how far it goes in a whole hour.",
                "One hour has 3,600 seconds, and 1 kilometer is 1,000 meters.",
                f"In one hour it covers {v}·3,600 meters.",
            ]
        return spr(skill, difficulty, stem, key, work, traps, hints)

    # hard: a batch rate and a minutes-to-hours change
    m = rng.choice([3, 4, 5, 6, 8, 10, 12, 15])
    b = rng.randint(2, 9)
    hours = Fraction(rng.randint(4, 18), 2)
    n = hours * 60 * b / m
    if n.denominator != 1:
        raise Redraw
    n_int = int(n)
    stem = (
        f"A machine fills {b} bottles every {m} minutes. Working at this rate without "
        f"stopping, how many hours does the machine need to fill {n_int:,} bottles?"
    )
    minutes = Fraction(n_int * m, b)
    work = (
        f"The number of batches is {n_int:,}/{b} = {num(Fraction(n_int, b))}, and each batch "
        f"takes {m} minutes, so the job takes {num(Fraction(n_int, b))}·{m} = {num(minutes)} "
        f"minutes. Divide by 60: {num(minutes)}/60 = {num(hours)} hours."
    )
    distractors = [
        (num(minutes), "is the time in minutes: the last step, dividing by 60, was skipped"),
        (
            num(Fraction(n_int * b, m * 60)),
            f"comes from inverting the rate ({m}/{b} written as {b}/{m})",
        ),
        (
            num(Fraction(n_int, b * 60)),
            f"comes from treating each batch of {b} as taking 1 minute instead of {m}",
        ),
    ]
    hints = [
        "Find the time in minutes first; change units at the end.",
        f"How many groups of {b} bottles are in {n_int:,} bottles, and how long does each group take?",
        f"There are {n_int:,}/{b} batches of {m} minutes each.",
    ]
    return mcq(rng, skill, difficulty, stem, num(hours), distractors, work, hints)


# ---------------------------------------------------------------------------
# Percentages

_ITEMS_FOR_SALE = ("jacket", "bicycle", "lamp", "backpack", "tent", "speaker")


@register("percent_change", "percentages")
def percent_change(rng: random.Random, difficulty: Difficulty) -> Item:
    """One change (easy), two successive changes (medium), the original from the result (hard, SPR)."""
    skill = "percentages"
    thing = rng.choice(_ITEMS_FOR_SALE)
    if difficulty == "easy":
        price = rng.choice(range(60, 401, 20))  # above every p, so "$p off" stays positive
        p = rng.choice([5, 10, 15, 20, 25, 30, 40])
        up = rng.random() < 0.5
        word = "increased" if up else "decreased"
        change = Fraction(price * p, 100)
        new = price + change if up else price - change
        wrong_dir = price - change if up else price + change
        stem = f"The price of a {thing} was {money(price)}. The price {word} by {p}%. What is the new price?"
        op = "+" if up else "−"
        work = (
            f"{p}% of {money(price)} is {p}/100·{price} = {money(change)}. "
            f"The new price is {money(price)} {op} {money(change)} = {money(new)}."
        )
        distractors = [
            (money(price + p if up else price - p), f"comes from treating {p}% as {p} dollars"),
            (money(change), "is the amount of the change, not the new price"),
            (money(wrong_dir), "comes from changing the price in the wrong direction"),
        ]
        hints = [
            "Find the size of the change in dollars first.",
            f"{p}% of a number is {p}/100 times the number.",
            f"{p}/100·{price} = {money(change)}.",
        ]
        return mcq(rng, skill, difficulty, stem, money(new), distractors, work, hints)

    if difficulty == "medium":
        a = rng.choice([10, 20, 25, 30, 40, 50])
        b = rng.choice([x for x in (10, 20, 25, 30, 40, 50) if x != a])
        key = Fraction((100 + a) * (100 - b), 100)
        stem = (
            f"A store raised the price of a {thing} by {a}%. Later it lowered the new price "
            f"by {b}%. The final price is what percent of the original price?"
        )
        work = (
            f"Raising by {a}% multiplies the price by {num(Fraction(100 + a, 100))}; lowering by "
            f"{b}% multiplies it by {num(Fraction(100 - b, 100))}. Together: "
            f"{num(Fraction(100 + a, 100))}·{num(Fraction(100 - b, 100))} = {num(key / 100)}, "
            f"so the final price is {num(key)}% of the original."
        )
        distractors = [
            (
                f"{num(100 + a - b)}%",
                f"comes from adding the percents (100 + {a} − {b}) as if both applied to the original price",
            ),
            (
                f"{num(Fraction((100 - a) * (100 + b), 100))}%",
                "comes from lowering first and raising second, the wrong direction for each step",
            ),
            (
                f"{num(Fraction((100 + a) * b, 100))}%",
                f"is the size of the {b}% reduction, not the price left after it",
            ),
        ]
        hints = [
            "Pick an easy original price, such as $100, and follow it through both changes.",
            f"The second change is {b}% of the new price, not of the original.",
            f"After the raise, a $100 price becomes ${100 + a}.",
        ]
        return mcq(rng, skill, difficulty, stem, f"{num(key)}%", distractors, work, hints)

    # hard (SPR): undo a percent change
    p = rng.choice([10, 15, 20, 25, 30, 35, 40, 60, 75])
    discount = rng.random() < 0.6
    factor = Fraction(100 - p, 100) if discount else Fraction(100 + p, 100)
    original = rng.choice([o for o in range(20, 801, 4) if (o * factor * 100).denominator == 1])
    final = original * factor
    if discount:
        stem = (
            f"After a {p}% discount, the sale price of a {thing} is {money(final)}. "
            "What was the original price, in dollars?"
        )
        word, sign = "discount", "−"
    else:
        stem = (
            f"After a {p}% markup, a store sells a {thing} for {money(final)}. "
            "What did the store pay for it before the markup, in dollars?"
        )
        word, sign = "markup", "+"
    wrong = final * (1 + Fraction(p, 100)) if discount else final * (1 - Fraction(p, 100))
    work = (
        f"The {word} is a percent of the original price P, so {money(final)} = P·(1 {sign} "
        f"{num(Fraction(p, 100))}) = {num(factor)}P. Divide: P = {num(final)}/{num(factor)} = "
        f"{num(original)}."
    )
    traps = (
        f"A common error is taking {p}% of {money(final)} instead of the original price: "
        f"that gives {money(wrong)}, which is the percent of the wrong base."
    )
    hints = [
        f"The {p}% is a percent of the original price, which you do not know yet.",
        "Write the final price as a multiple of the original price P.",
        f"{money(final)} = {num(factor)}·P.",
    ]
    return spr(skill, difficulty, stem, original, work, traps, hints)


# ---------------------------------------------------------------------------
# One-variable data

_CONTEXTS_1VAR = (
    ("daily high temperatures, in °F, for one week", 58, 80),
    ("numbers of books read by seven club members this year", 2, 30),
    ("quiz scores of seven students", 60, 100),
    ("heights, in centimeters, of seven seedlings", 8, 40),
)


def _approx(value: Fraction) -> str:
    """`` = 12.5`` for a short decimal, `` ≈ 20.86`` otherwise (to follow a fraction)."""
    if _decimal_text(value) is not None:
        return f" = {num(value)}"
    return f" ≈ {float(value):.2f}"


def _list_text(values: Sequence[int]) -> str:
    return ", ".join(num(v) for v in values)


@register("center_spread", "one_var_data")
def center_spread(rng: random.Random, difficulty: Difficulty) -> Item:
    """Median of a list (easy), a missing value from means (medium, SPR), removing an outlier (hard)."""
    skill = "one_var_data"
    if difficulty == "easy":
        what, lo, hi = rng.choice(_CONTEXTS_1VAR)
        values = [rng.randint(lo, hi) for _ in range(7)]
        ordered = sorted(values)
        median = ordered[3]
        if values[3] == median:
            raise Redraw
        midrange = Fraction(ordered[0] + ordered[-1], 2)
        stem = f"The {what} are {_list_text(values)}. What is the median of these values?"
        work = (
            f"Put the values in order: {_list_text(ordered)}. With 7 values, the median is the "
            f"4th: {median}."
        )
        distractors = [
            (num(values[3]), "is the middle of the list as written, before sorting"),
            (
                num(ordered[-1] - ordered[0]),
                "is the range (largest − smallest), a measure of spread",
            ),
            (
                num(midrange),
                "is halfway between the smallest and largest values, not the middle value",
            ),
        ]
        hints = [
            "The median is the middle value, but only once the values are in order.",
            "Sort the seven values from least to greatest.",
            f"In order the list starts {ordered[0]}, {ordered[1]}, {ordered[2]}, …",
        ]
        return mcq(rng, skill, difficulty, stem, num(median), distractors, work, hints)

    if difficulty == "medium":
        n = rng.randint(4, 12)
        m = rng.randint(60, 90)
        m2 = m + rng.choice([-3, -2, -1, 1, 2, 3, 4])
        added = (n + 1) * m2 - n * m
        if not 0 < added < 1000:
            raise Redraw
        stem = (
            f"The mean score of {n} players in a game is {m}. After one more player's score "
            f"is included, the mean of all {n + 1} scores is {m2}. What is the score of the "
            "added player?"
        )
        work = (
            f"The first {n} scores add to {n}·{m} = {n * m}. All {n + 1} scores add to "
            f"{n + 1}·{m2} = {(n + 1) * m2}. The added score is {(n + 1) * m2} − {n * m} = {added}."
        )
        traps = (
            f"Subtracting the means ({m2} − {m}) gives {num(m2 - m)}, and averaging the two means "
            "ignores how many scores each one stands for; work with totals instead."
        )
        hints = [
            "A mean times the number of values gives the total.",
            f"Find the total of the first {n} scores and the total of all {n + 1} scores.",
            f"The first {n} scores add to {n * m}.",
        ]
        return spr(skill, difficulty, stem, added, work, traps, hints)

    # hard: remove an outlier; compare the effects on mean and median
    n = rng.choice([6, 7, 8, 9])
    base = sorted(rng.randint(10, 40) for _ in range(n - 1))
    outlier = rng.randint(90, 160)
    values = base + [outlier]
    rng.shuffle(values)
    old_mean = Fraction(sum(values), n)
    new_mean = Fraction(sum(base), n - 1)
    old_med = Fraction(statistics.median(values))
    new_med = Fraction(statistics.median(base))
    d_mean = old_mean - new_mean
    d_med = old_med - new_med
    if d_med == d_mean:
        raise Redraw
    both_more_mean = "The mean and the median both decrease, and the mean decreases by more."
    both_more_median = "The mean and the median both decrease, and the median decreases by more."
    mean_only = "The mean decreases, and the median does not change."
    median_only = "The median decreases, and the mean does not change."
    both_up = "The mean and the median both increase."
    if d_med == 0:
        key = mean_only
    elif d_mean > d_med:
        key = both_more_mean
    else:
        key = both_more_median
    why = {
        both_more_mean: "assumes the median moves whenever the data change",
        both_more_median: "underestimates how far one extreme value pulls the mean",
        mean_only: "assumes the median never moves, but removing a value shifts the middle position",
        median_only: "forgets that the mean uses every value, including the outlier",
        both_up: "gets the direction wrong: removing a value above the mean lowers the mean",
    }
    pool = [
        s for s in (both_more_mean, both_more_median, mean_only, median_only, both_up) if s != key
    ]
    rng.shuffle(pool)
    distractors = [(s, why[s]) for s in pool[:3]]
    ordered = sorted(values)
    stem = (
        f"A data set consists of the {n} values {_list_text(values)}. If the value {outlier} "
        "is removed from the data set, which statement about the mean and the median is true?"
    )
    work = (
        f"In order: {_list_text(ordered)}. Before: mean = {sum(values)}/{n}{_approx(old_mean)}, "
        f"median = {num(old_med)}. After removing {outlier}: mean = {sum(base)}/{n - 1}"
        f"{_approx(new_mean)}, median = {num(new_med)}. The mean drops by about "
        f"{float(d_mean):.2f}; the median "
        + ("does not change." if d_med == 0 else f"drops by {num(d_med)}.")
    )
    hints = [
        "An outlier pulls the mean toward itself far more than it moves the median.",
        "Find the median before and after: the middle position shifts when a value is removed.",
        f"Sorted, the original data are {_list_text(ordered)}.",
    ]
    return mcq(rng, skill, difficulty, stem, key, distractors, work, hints)


def _ordinal(k: int) -> str:
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


_FREQ_CONTEXTS = (
    # thing counted, who was counted, axis label, "more than t" phrase
    ("pets", "households", "Number of pets", "have more than {t} pets"),
    ("siblings", "students", "Number of siblings", "have more than {t} siblings"),
    (
        "books borrowed",
        "library members",
        "Books borrowed last month",
        "borrowed more than {t} books",
    ),
    ("goals scored", "games", "Goals scored in the game", "had more than {t} goals scored"),
)


@register("frequency_chart", "one_var_data")
def frequency_chart(rng: random.Random, difficulty: Difficulty) -> Item:
    """Read a frequency bar chart: a count (easy), the median (medium, SPR), the mean (hard)."""
    skill = "one_var_data"
    what, who, label, more_than = rng.choice(_FREQ_CONTEXTS)
    values = list(range(6))
    counts = [rng.randint(1, 12) for _ in values]
    n = sum(counts)
    figure = {
        "kind": "bar",
        "labels": [str(v) for v in values],
        "values": counts,
        "xlabel": label,
        "ylabel": f"Number of {who}",
    }
    listing = "; ".join(f"{v}: {c}" for v, c in zip(values, counts, strict=True))
    intro = (
        f"The bar chart shows the distribution of the number of {what} for {n} {who} "
        f"(value: number of {who} — {listing})."
    )
    if difficulty == "easy":
        t = rng.randint(1, 3)
        key = sum(c for v, c in zip(values, counts, strict=True) if v > t)
        stem = f"{intro} How many of the {who} {more_than.format(t=t)}?"
        work = (
            f"“More than {t}” means the bars for {', '.join(str(v) for v in values if v > t)}. "
            f"Add their heights: {' + '.join(str(c) for v, c in zip(values, counts, strict=True) if v > t)} = {key}."
        )
        distractors = [
            (
                str(key + counts[t]),
                f"includes the {who} with exactly {t}, but “more than” excludes them",
            ),
            (str(counts[t + 1]), f"reads only the bar for {t + 1} instead of every bar above {t}"),
            (str(n - key), f"counts the {who} with {t} or fewer, the opposite group"),
        ]
        hints = [
            f"Each bar's height is a number of {who}; the label under it is the value.",
            f"Which values are more than {t}? Is {t} itself included?",
            f"Start with the bar for {t + 1}, which has height {counts[t + 1]}.",
        ]
        return mcq(rng, skill, difficulty, stem, str(key), distractors, work, hints, figure)

    data = [v for v, c in zip(values, counts, strict=True) for _ in range(c)]
    if difficulty == "medium":
        if n % 2:
            median = Fraction(data[n // 2])
            where = f"the {_ordinal(n // 2 + 1)} value"
        else:
            median = Fraction(data[n // 2 - 1] + data[n // 2], 2)
            where = f"the average of the {_ordinal(n // 2)} and {_ordinal(n // 2 + 1)} values"
        stem = f"{intro} What is the median number of {what} for these {n} {who}?"
        running, cum = [], 0
        for v, c in zip(values, counts, strict=True):
            cum += c
            running.append(f"through {v}: {cum}")
        work = (
            f"There are {n} {who}, so the median is {where} in order. Running totals: "
            f"{', '.join(running)}. So the median is {num(median)}."
        )
        traps = (
            f"The median is a value on the horizontal axis, not a bar height: the median of the "
            f"bar heights is {num(Fraction(statistics.median(counts)))}, and the middle label, "
            "2.5, ignores how many are in each bar."
        )
        hints = [
            "The median is the middle of all the individual values, not the middle bar.",
            f"With {n} values, find which position(s) are in the middle.",
            f"Add bar heights from the left until the running total reaches {n // 2 + 1}.",
        ]
        return spr(skill, difficulty, stem, median, work, traps, hints, figure)

    # hard: the mean of a frequency distribution
    total = sum(v * c for v, c in zip(values, counts, strict=True))
    mean = Fraction(total, n)
    if _decimal_text(mean) is None or len(num(mean)) > 4:
        raise Redraw
    products = " + ".join(f"{v}·{c}" for v, c in zip(values, counts, strict=True))
    stem = f"{intro} What is the mean number of {what} for these {n} {who}?"
    work = (
        f"Each bar contributes value × count: {products} = {total}. Divide by the number of "
        f"{who}, {n}: {total}/{n} = {num(mean)}."
    )
    distractors = [
        (num(Fraction(n, 6)), "is the mean of the bar heights, which are counts, not values"),
        ("2.5", "averages the labels 0 to 5 and ignores how many are in each bar"),
        (num(Fraction(total, 6)), f"divides the total by the 6 bars instead of the {n} {who}"),
    ]
    hints = [
        f"The mean is the total number of {what} divided by the number of {who}.",
        "A bar of height c at value v stands for c copies of v.",
        f"The total is {products}.",
    ]
    return mcq(rng, skill, difficulty, stem, num(mean), distractors, work, hints, figure)


# ---------------------------------------------------------------------------
# Two-variable data

_SCATTER_CONTEXTS = (
    # x name, x unit (singular), y name, y unit, axis labels
    ("hours of practice", "hour", "test score", "points", "practice (hours)", "score (points)"),
    (
        "outdoor temperature",
        "degree Fahrenheit",
        "number of cold drinks sold",
        "drinks",
        "temperature (°F)",
        "cold drinks sold",
    ),
    ("age of a tree", "year", "height of the tree", "inches", "age (years)", "height (inches)"),
    (
        "distance from the city center",
        "mile",
        "monthly rent",
        "dollars",
        "distance from center (miles)",
        "monthly rent (dollars)",
    ),
)


def _scatter_points(
    rng: random.Random, intercept: Fraction, slope: Fraction, xs: Sequence[int]
) -> list[list[float]]:
    spread = max(1.0, abs(float(slope)) * 1.5)
    return [[x, round(float(intercept + slope * x) + rng.uniform(-spread, spread), 1)] for x in xs]


def _line_text(intercept: Fraction, slope: Fraction) -> str:
    sign = "+" if intercept >= 0 else MINUS
    coef = "" if slope == 1 else MINUS if slope == -1 else num(slope)
    return f"y = {coef}x {sign} {num(abs(intercept))}"


@register("line_of_fit", "two_var_data")
def line_of_fit(rng: random.Random, difficulty: Difficulty) -> Item:
    """Predict from a line of best fit (easy), interpret its slope (medium), a residual (hard, SPR)."""
    skill = "two_var_data"
    xname, xunit, yname, yunit, xlabel, ylabel = rng.choice(_SCATTER_CONTEXTS)
    slope = Fraction(rng.choice([5, 10, 15, 20, 25, 30, 40]), 10)
    if "rent" in yname:
        slope = -slope * 10
    intercept = Fraction(rng.randint(8, 60)) if slope > 0 else Fraction(rng.randint(9, 15) * 100)
    xs = sorted(rng.sample(range(1, 21), 10))
    line = _line_text(intercept, slope)
    figure = {
        "kind": "scatter",
        "points": _scatter_points(rng, intercept, slope, xs),
        "line": {"slope": float(slope), "intercept": float(intercept)},
        "xlabel": xlabel,
        "ylabel": ylabel,
    }
    intro = (
        f"The scatterplot shows {yname} (y) against {xname} (x) for 10 cases, with the line "
        f"of best fit {line}."
    )
    if difficulty == "easy":
        x0 = rng.randint(2, 20)
        pred = intercept + slope * x0
        stem = (
            f"{intro} Based on the line of best fit, what is the predicted {yname} when x = {x0}?"
        )
        work = f"Substitute x = {x0}: y = {num(slope)}·{x0} + {num(intercept)} = {num(pred)}."
        distractors = [
            (num(slope * x0), "comes from multiplying by the slope and forgetting the y-intercept"),
            (
                num(intercept + slope),
                f"comes from ignoring x = {x0} and adding the slope to the intercept",
            ),
            (
                num(intercept * x0 + slope),
                "swaps the roles of the slope and the y-intercept",
            ),
        ]
        hints = [
            "The line of best fit turns an x-value into a predicted y-value.",
            f"Put x = {x0} into the equation of the line.",
            f"y = {num(slope)}·{x0} + {num(intercept)}.",
        ]
        return mcq(rng, skill, difficulty, stem, num(pred), distractors, work, hints, figure)

    if difficulty == "medium":
        s, b = num(abs(slope)), num(intercept)
        direction = "increases" if slope > 0 else "decreases"
        key = f"For each additional {xunit}, the predicted {yname} {direction} by {s} {yunit}."
        distractors = [
            (
                f"For each additional {xunit}, the predicted {yname} {direction} by {b} {yunit}.",
                "uses the y-intercept as if it were the rate of change",
            ),
            (
                f"When x is 0, the predicted {yname} is {s} {yunit}.",
                "describes the y-intercept but uses the slope's value",
            ),
            (
                f"For each additional 1 of {yname}, the {xname} {direction} by {s}.",
                "reverses the roles of x and y: the slope is the change in y per unit of x",
            ),
        ]
        stem = f"{intro} Which statement best interprets the slope of the line of best fit?"
        work = (
            f"In y = mx + b the slope m = {num(slope)} is the change in predicted y for each "
            f"increase of 1 in x. Here y is {yname} and x is {xname}, so each additional {xunit} "
            f"goes with a change of {num(slope)} {yunit}."
        )
        hints = [
            "The slope is a rate: change in y per 1 unit of x.",
            f"Identify which number in {line} is the slope.",
            f"The slope is {num(slope)}; now say what x and y stand for.",
        ]
        return mcq(rng, skill, difficulty, stem, key, distractors, work, hints, figure)

    # hard (SPR): residual of a marked point
    x1 = rng.choice(xs)
    pred = intercept + slope * x1
    offset = Fraction(rng.choice([-1, 1]) * rng.randint(2, 30), rng.choice([1, 2]))
    actual = pred + offset
    figure["points"] = [p for p in figure["points"] if p[0] != x1] + [[x1, float(actual)]]
    stem = (
        f"{intro} One case has x = {x1} and an actual {yname} of {num(actual)}. What is the "
        "residual for this case (actual value minus predicted value)?"
    )
    work = (
        f"Predicted: y = {num(slope)}·{x1} + {num(intercept)} = {num(pred)}. "
        f"Residual = actual − predicted = {num(actual)} − {num(pred)} = {num(offset)}."
    )
    traps = (
        f"Subtracting the other way (predicted − actual) gives {num(-offset)}, the wrong sign; "
        "a residual is positive when the point lies above the line."
    )
    hints = [
        "A residual compares a real data point with the line's prediction.",
        f"Use the line to predict y at x = {x1}.",
        f"The predicted value is {num(slope)}·{x1} + {num(intercept)}.",
    ]
    return spr(skill, difficulty, stem, offset, work, traps, hints, figure)


# ---------------------------------------------------------------------------
# Probability and conditional probability

# (group, relative pronoun, row groups, column outcomes in the past tense)
_TABLES = (
    (
        "students",
        "who",
        ("ninth graders", "tenth graders"),
        ("chose the museum trip", "chose the zoo trip"),
    ),
    (
        "survey respondents",
        "who",
        ("adults", "teenagers"),
        ("ordered an e-book", "ordered a printed book"),
    ),
    (
        "seedlings",
        "that",
        ("sunny-bed seedlings", "shaded-bed seedlings"),
        ("flowered", "did not flower"),
    ),
    ("club members", "who", ("juniors", "seniors"), ("joined the band", "did not join the band")),
)


@register("two_way_table", "probability")
def two_way_table(rng: random.Random, difficulty: Difficulty) -> Item:
    """Probability from a two-way table: simple (easy), conditional (medium), conditional without totals (hard, SPR)."""
    skill = "probability"
    who, rel, rows, cols = rng.choice(_TABLES)
    cells = [[rng.randint(6, 60) for _ in range(2)] for _ in range(2)]
    row_tot = [sum(r) for r in cells]
    col_tot = [cells[0][j] + cells[1][j] for j in range(2)]
    total = sum(row_tot)
    if difficulty == "hard":
        figure = {
            "kind": "table",
            "columns": [who.capitalize(), cols[0], cols[1]],
            "rows": [[rows[i], cells[i][0], cells[i][1]] for i in range(2)],
        }
    else:
        figure = {
            "kind": "table",
            "columns": [who.capitalize(), cols[0], cols[1], "Total"],
            "rows": [[rows[i], cells[i][0], cells[i][1], row_tot[i]] for i in range(2)]
            + [["Total", col_tot[0], col_tot[1], total]],
        }
    table_text = "; ".join(
        f"{rows[i]}: {cells[i][0]} {cols[0]}, {cells[i][1]} {cols[1]}" for i in range(2)
    )
    intro = f"The table summarizes {total} {who} ({table_text})."

    def values_distinct(*fracs: Fraction) -> None:
        if len(set(fracs)) != len(fracs):
            raise Redraw

    if difficulty == "easy":
        j = rng.randrange(2)
        key = f"{col_tot[j]}/{total}"
        values_distinct(
            Fraction(col_tot[j], total),
            Fraction(col_tot[j], col_tot[1 - j]),
            Fraction(cells[0][j], total),
            Fraction(row_tot[0], total),
        )
        stem = f"{intro} If one of these {who} is selected at random, what is the probability that the one selected {cols[j]}?"
        work = (
            f"Favorable: all {who} {rel} {cols[j]}, {cells[0][j]} + {cells[1][j]} = {col_tot[j]}. "
            f"Possible: all {total}. Probability = {col_tot[j]}/{total}."
        )
        distractors = [
            (
                f"{col_tot[j]}/{col_tot[1 - j]}",
                "compares the two groups with each other (a part-to-part ratio), not with the whole",
            ),
            (f"{cells[0][j]}/{total}", f"counts only the {rows[0]} who {cols[j]}"),
            (
                f"{row_tot[0]}/{total}",
                f"is the probability of being one of the {rows[0]}, the wrong category",
            ),
        ]
        hints = [
            "Probability = favorable outcomes / all possible outcomes.",
            f"Count every one of the {who} {rel} {cols[j]}, in both rows.",
            f"{cells[0][j]} + {cells[1][j]} {who} {cols[j]}.",
        ]
        return mcq(rng, skill, difficulty, stem, key, distractors, work, hints, figure)

    i, j = rng.randrange(2), rng.randrange(2)
    if difficulty == "medium":
        values_distinct(
            Fraction(cells[i][j], row_tot[i]),
            Fraction(cells[i][j], total),
            Fraction(cells[i][j], col_tot[j]),
            Fraction(row_tot[i], total),
        )
        key = f"{cells[i][j]}/{row_tot[i]}"
        stem = (
            f"{intro} One of the {rows[i]} is selected at random. What is the probability "
            f"that the one selected {cols[j]}?"
        )
        work = (
            f"“One of the {rows[i]}” restricts the sample space to that row: {row_tot[i]} {who}. "
            f"Of these, {cells[i][j]} {cols[j]}, so the probability is {cells[i][j]}/{row_tot[i]}."
        )
        distractors = [
            (
                f"{cells[i][j]}/{total}",
                f"divides by all {total} {who} instead of only the {rows[i]}",
            ),
            (
                f"{cells[i][j]}/{col_tot[j]}",
                f"reverses the condition: it is the probability of being one of the {rows[i]} given that the one selected {cols[j]}",
            ),
            (
                f"{row_tot[i]}/{total}",
                f"is the probability of being one of the {rows[i]}, not the probability that the one selected {cols[j]}",
            ),
        ]
        hints = [
            "The condition tells you which group you are choosing from.",
            f"Your denominator is the number of {rows[i]}, not the grand total.",
            f"The {rows[i]} number {cells[i][0]} + {cells[i][1]} in all.",
        ]
        return mcq(rng, skill, difficulty, stem, key, distractors, work, hints, figure)

    # hard (SPR): condition on a column, no totals printed
    p = Fraction(cells[i][j], col_tot[j])
    if len(f"{p.numerator}/{p.denominator}") > 5:
        raise Redraw  # keep the fraction itself enterable
    stem = (
        f"{intro} One of the {who} {rel} {cols[j]} is selected at random. What is the "
        f"probability that the one selected is one of the {rows[i]}?"
    )
    work = (
        f"The condition is the column “{cols[j]}”: {cells[0][j]} + {cells[1][j]} = {col_tot[j]} {who}. "
        f"Of these, {cells[i][j]} are {rows[i]}. Probability = {cells[i][j]}/{col_tot[j]}"
        + (f" = {frac(p)}." if p.denominator != col_tot[j] else ".")
    )
    traps = (
        f"Using the row total ({row_tot[i]}) as the denominator reverses the condition and "
        f"gives {cells[i][j]}/{row_tot[i]}; using all {total} {who} gives {cells[i][j]}/{total}."
    )
    hints = [
        "Which group is the selection made from?",
        f"Only the {who} {rel} {cols[j]} count in the denominator.",
        f"Add the column: {cells[0][j]} + {cells[1][j]}.",
    ]
    return spr(skill, difficulty, stem, p, work, traps, hints, figure)


# ---------------------------------------------------------------------------
# Inference from samples and margin of error

_SURVEYS = (
    ("residents of Millbrook", "support building a new library", "residents"),
    ("students at Lakeview High School", "bike to school at least once a week", "students"),
    ("employees of Corvo Logistics", "would use an on-site gym", "employees"),
    ("registered voters in Ashe County", "favor a later start for the school day", "voters"),
)


@register("sample_estimate", "sampling_inference")
def sample_estimate(rng: random.Random, difficulty: Difficulty) -> Item:
    """A margin-of-error interval (easy), scaling a sample up (medium), what a survey supports (hard)."""
    skill = "sampling_inference"
    population, opinion, people = rng.choice(_SURVEYS)
    if difficulty == "easy":
        est = rng.randint(25, 70)
        moe = rng.choice([2, 3, 4, 5, 6])
        key = f"Between {est - moe}% and {est + moe}%"
        stem = (
            f"A survey of a random sample of {population} found that {est}% {opinion}, with a "
            f"margin of error of {moe} percentage points. Which range of values is plausible "
            f"for the percent of all {population} who {opinion}?"
        )
        work = (
            f"A margin of error gives the plausible range estimate ± margin: {est} − {moe} = "
            f"{est - moe} and {est} + {moe} = {est + moe}."
        )
        distractors = [
            (f"Between {est}% and {est + moe}%", "adds the margin on one side only"),
            (f"Between {est - 2 * moe}% and {est + 2 * moe}%", "doubles the margin of error"),
            (f"Exactly {est}%", "ignores the margin of error and treats the estimate as exact"),
        ]
        hints = [
            "A margin of error works in both directions from the estimate.",
            f"Subtract {moe} from {est}, and add {moe} to {est}.",
            f"The lower end is {est} − {moe}.",
        ]
        return mcq(rng, skill, difficulty, stem, key, distractors, work, hints)

    if difficulty == "medium":
        n = rng.choice([40, 50, 80, 100, 120, 150, 200, 250])
        k = rng.randint(n // 10, n * 9 // 10)
        big = rng.choice([2000, 2400, 3000, 4000, 4800, 6000, 8000, 12000])
        estimate = Fraction(k * big, n)
        if estimate.denominator != 1:
            raise Redraw
        stem = (
            f"In a random sample of {n} {population}, {k} {opinion}. There are {big:,} "
            f"{population} in all. Based on the sample, about how many of all the {people} "
            f"{opinion}?"
        )
        work = (
            f"In the sample the proportion is {k}/{n}. A random sample represents the "
            f"population, so the estimate is {k}/{n}·{big:,} = {int(estimate):,}."
        )
        distractors = [
            (
                f"{int(big - estimate):,}",
                f"estimates the {people} who do not hold that view (the complement)",
            ),
            (f"{k:,}", "is the count in the sample, not an estimate for everyone"),
            (
                f"{round(big * k / (n * 10)):,}",
                "misplaces a decimal: it uses ten times too small a proportion",
            ),
        ]
        hints = [
            "A random sample's proportion estimates the population's proportion.",
            f"What fraction of the sample {opinion}?",
            f"The sample proportion is {k}/{n}.",
        ]
        return mcq(rng, skill, difficulty, stem, f"{int(estimate):,}", distractors, work, hints)

    # hard: which conclusion does a random sample support?
    n = rng.choice([200, 300, 400, 500, 600])
    mean = rng.randint(20, 60) / 10 * 2
    moe = rng.choice([0.2, 0.3, 0.4, 0.5])
    lo, hi = round(mean - moe, 1), round(mean + moe, 1)
    topic = rng.choice(
        [
            (
                "hours per week they spend on homework",
                "students at Lakeview High School",
                "students at every high school in the state",
            ),
            (
                "hours per week they spend volunteering",
                "members of the Oakdale running club",
                "all adults in Oakdale",
            ),
            (
                "hours per night they sleep on weeknights",
                "employees of Brightline Software",
                "all workers in the country",
            ),
        ]
    )
    measure, group, wider = topic
    stem = (
        f"A researcher selected {n} {group} at random and asked each how many {measure}. "
        f"The sample mean was {mean:.1f} hours, with a margin of error of {moe:.1f} hours for "
        f"the mean of all {group}. Which conclusion is most appropriate?"
    )
    key = f"It is plausible that the mean for all {group} is between {lo:.1f} and {hi:.1f} hours."
    distractors = [
        (
            f"Every one of the {n} {group} in the sample reported between {lo:.1f} and {hi:.1f} hours.",
            "confuses an interval for a mean with the range of individual answers",
        ),
        (
            f"It is plausible that the mean for {wider} is between {lo:.1f} and {hi:.1f} hours.",
            f"generalizes beyond the population that was sampled ({group})",
        ),
        (
            f"The mean for all {group} is exactly {mean:.1f} hours.",
            "treats an estimate as certain; the margin of error says the true mean may differ",
        ),
    ]
    work = (
        f"A random sample of {group} supports conclusions about all {group}, and a margin of "
        f"error turns the sample mean into a plausible interval: {mean:.1f} ± {moe:.1f}, "
        f"from {lo:.1f} to {hi:.1f} hours."
    )
    hints = [
        "Ask two questions: which population was sampled, and what does a margin of error describe?",
        "A margin of error describes uncertainty about a population mean, not individual answers.",
        f"The interval is {mean:.1f} − {moe:.1f} to {mean:.1f} + {moe:.1f}.",
    ]
    return mcq(rng, skill, difficulty, stem, key, distractors, work, hints)


# ---------------------------------------------------------------------------
# Evaluating statistical claims

_STUDIES = (
    # population, people, gerund, "who ..." past phrase, causal verb phrase, outcome, wider group
    (
        "residents of Carver County",
        "residents",
        "following a daily stretching routine",
        "followed the routine",
        "reduces back pain",
        "less back pain",
        "all adults in the country",
    ),
    (
        "students at Westbrook High School",
        "students",
        "reviewing notes for 10 minutes before bed",
        "reviewed notes before bed",
        "raises quiz scores",
        "higher quiz scores",
        "all high school students in the state",
    ),
    (
        "employees of Halvorsen Bank",
        "employees",
        "taking a short walk after lunch",
        "took a walk after lunch",
        "improves afternoon focus",
        "better afternoon focus",
        "all office workers in the country",
    ),
    (
        "members of the Lakeside Library",
        "members",
        "reading aloud for 15 minutes a day",
        "read aloud daily",
        "improves reading speed",
        "faster reading speed",
        "all adults in the region",
    ),
    (
        "patients of the Riverside Clinic",
        "patients",
        "drinking a glass of water before each meal",
        "drank water before meals",
        "reduces afternoon headaches",
        "fewer afternoon headaches",
        "all adults in the state",
    ),
    (
        "players in the Northgate youth soccer league",
        "players",
        "doing a 5-minute balance drill before practice",
        "did the balance drill",
        "reduces ankle injuries",
        "fewer ankle injuries",
        "all youth athletes in the country",
    ),
)


@register("study_design", "statistical_claims")
def study_design(rng: random.Random, difficulty: Difficulty) -> Item:
    """Which conclusion a design supports: random sample and assignment (easy),
    volunteers with random assignment (medium), a random sample with self-chosen groups (hard)."""
    skill = "statistical_claims"
    population, people, gerund, did, causes, outcome, wider = rng.choice(_STUDIES)
    n = rng.choice([80, 100, 120, 150, 200, 240, 300])
    cap = gerund[0].upper() + gerund[1:]
    every = (
        f"{cap} {causes} for every one of the {population}.",
        "turns an average difference into a claim about every individual",
    )
    if difficulty == "easy":
        stem = (
            f"A researcher selected {n} {people} at random from all {population}. She randomly "
            f"assigned half of them to start {gerund} and the other half not to. After two months, "
            f"the {people} who {did} showed {outcome}, on average. Which conclusion is most "
            "appropriate?"
        )
        key = f"{cap} likely {causes} for {population}."
        distractors = [
            (
                f"{cap} likely {causes} for {wider}.",
                f"generalizes beyond the population that was sampled ({population})",
            ),
            every,
            (
                f"No cause can be concluded, because only {n} of the {population} took part.",
                "misunderstands sampling: a random sample of this size supports conclusions, and random assignment allows a causal one",
            ),
        ]
        work = (
            f"The design has random selection from {population} (so results generalize to "
            f"{population}) and random assignment to the two groups (so the difference can be "
            f"attributed to {gerund}). A causal conclusion about {population} is justified."
        )
        hints = [
            "Look for two things in the design: random selection and random assignment.",
            "Random selection decides who a result applies to; random assignment decides whether you can say “causes”.",
            "This study used both, with participants drawn from one specific population.",
        ]
    elif difficulty == "medium":
        stem = (
            f"A researcher asked for volunteers among {population}, and {n} signed up. She "
            f"randomly assigned half of the volunteers to start {gerund} and the other half not "
            f"to. After two months, the volunteers who {did} showed {outcome}, on average. "
            "Which conclusion is most appropriate?"
        )
        key = f"{cap} likely {causes} for people similar to the volunteers in the study."
        distractors = [
            (
                f"{cap} likely {causes} for all {population}.",
                "generalizes to the whole population, but volunteers are not a random sample of it",
            ),
            every,
            (
                "No cause can be concluded, because the volunteers were not selected at random.",
                "confuses random selection with random assignment; the groups were randomly assigned, which supports a causal claim",
            ),
        ]
        work = (
            "The volunteers were randomly assigned to the two groups, so a difference between "
            f"the groups can be attributed to {gerund}. But volunteers chose to take part, so "
            f"they may differ from {population} in general: the result applies to people like "
            "those in the study."
        )
        hints = [
            "Who took part, and how were they split into groups?",
            "Random assignment supports a causal claim; only random selection lets you generalize to a whole population.",
            "The groups were randomly assigned, but the participants chose to sign up.",
        ]
    else:
        stem = (
            f"A researcher selected {n} {people} at random from all {population} and asked "
            f"whether they were {gerund}. The {people} who {did} reported {outcome}, on "
            "average, than those who did not. Which conclusion is most appropriate?"
        )
        key = f"Among {population}, {gerund} is associated with {outcome}."
        distractors = [
            (
                f"{cap} likely {causes} for {population}.",
                f"claims a cause, but nobody was assigned to start {gerund}; the {people} chose for themselves",
            ),
            (
                f"Among {wider}, {gerund} is associated with {outcome}.",
                f"generalizes beyond the population that was sampled ({population})",
            ),
            (
                f"No conclusion about {population} is possible, because the {people} chose their own habits.",
                "confuses self-chosen habits with a non-random sample; the sample was random, so an association can be generalized",
            ),
        ]
        work = (
            f"The {people} were a random sample of {population}, so a pattern in the sample can "
            f"be generalized to {population}. But nobody was assigned to start {gerund}: the "
            "study is observational, so it shows an association, not a cause (other habits "
            "could explain the difference)."
        )
        hints = [
            "Did the researcher decide who would start the habit, or did the people decide?",
            "Without random assignment, a study shows an association, not a cause.",
            f"The sample itself was random, drawn from all {population}.",
        ]
    return mcq(rng, skill, difficulty, stem, key, distractors, work, hints)
