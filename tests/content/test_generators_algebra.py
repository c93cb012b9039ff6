"""Algebra generators: every key re-derived independently from the item's own text.

The checks parse the stem (equations, tables, prices) and solve with sympy or
plain Fraction arithmetic; nothing here calls the generators' helpers.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

import pytest
import sympy as sp
from sympy.parsing.sympy_parser import (
    implicit_multiplication_application,
    parse_expr,
    standard_transformations,
)

from core.content.generators import by_skill, make
from core.content.item import Item
from tests.content.generator_shape import assert_item_shape

SKILLS = (
    "linear_one_var",
    "linear_two_var",
    "linear_functions",
    "linear_systems",
    "linear_inequalities",
)
NAMES = [
    g.name for skill in SKILLS for g in by_skill(skill) if g.fn.__module__.endswith(".algebra")
]
LEVELS = ("easy", "medium", "hard")
SEEDS = range(200)  # the structural checks run on every seed
SOLVE_SEEDS = range(40)  # sympy-backed key checks: fewer seeds keep the suite fast

X, Y, K, N = sp.symbols("x y k n")
_SUP = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_TRANSFORMS = (*standard_transformations, implicit_multiplication_application)


def expr(text: str) -> sp.Expr:
    """Parse student-facing Unicode math (3x − 5, 2(x + 1), x², (1/2)x) with sympy."""
    t = text.replace("−", "-").replace("·", "*").strip()
    t = re.sub(r"√(\d+)", r"sqrt(\1)", t)
    t = re.sub(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+", lambda m: "**(" + m.group(0).translate(_SUP) + ")", t)
    return parse_expr(t, local_dict={"x": X, "y": Y, "k": K, "n": N}, transformations=_TRANSFORMS)


def equation(line: str) -> sp.Expr:
    """'lhs = rhs' as the expression lhs − rhs."""
    lhs, rhs = line.split("=")
    return sp.expand(expr(lhs) - expr(rhs))


def value(text: str) -> Fraction:
    """A numeric choice or answer as an exact fraction."""
    return Fraction(text.replace("−", "-"))


def key_text(item: Item) -> str:
    """The correct answer as the student would read it (choice text, or first SPR entry)."""
    return item.choices[item.key] if item.type == "mcq" else item.key[0]


def key_value(item: Item) -> Fraction:
    return value(key_text(item))


def assert_only_key(item: Item, correct: Fraction) -> None:
    """The key equals ``correct`` and (for MCQ) no other choice has that value."""
    assert key_value(item) == correct, (item.id, item.stem, key_text(item), correct)
    if item.type == "mcq":
        others = [value(t) for letter, t in item.choices.items() if letter != item.key]
        assert correct not in others, (item.id, item.choices)


def items(name: str, seeds: range = SOLVE_SEEDS) -> list[Item]:
    return [make(name, s, d) for d in LEVELS for s in seeds]


# ---------------------------------------------------------------- shared properties


@pytest.mark.parametrize("name", NAMES)
def test_item_shape(name: str) -> None:
    for difficulty in LEVELS:
        seen = set()
        for seed in SEEDS:
            item = make(name, seed, difficulty)
            assert_item_shape(item, SKILLS, difficulty)
            seen.add((item.stem, tuple(sorted(item.choices.items()))))
            if seed % 4 == 0:  # same seed, same item (a sample keeps the suite fast)
                assert make(name, seed, difficulty) == item
        assert len(seen) > len(SEEDS) * 0.6, f"{name} {difficulty}: too few distinct items"


@pytest.mark.parametrize("name", NAMES)
def test_mix_of_key_positions_and_types(name: str) -> None:
    every = items(name, SEEDS)
    mcq = [i for i in every if i.type == "mcq"]
    assert {i.key for i in mcq} == {"A", "B", "C", "D"}


def test_about_a_quarter_spr() -> None:
    every = [i for name in NAMES for i in items(name, range(60))]
    share = sum(i.type == "spr" for i in every) / len(every)
    assert 0.15 < share < 0.4


def test_every_skill_has_two_generators() -> None:
    for skill in SKILLS:
        assert len([g for g in by_skill(skill) if g.fn.__module__.endswith(".algebra")]) >= 2


# ---------------------------------------------------------------- linear_one_var


def test_linear_solve_keys() -> None:
    for item in items("linear_solve"):
        solutions = sp.solve(equation(item.stem.splitlines()[0]), X)
        assert len(solutions) == 1
        assert_only_key(item, Fraction(str(solutions[0])))


def test_linear_solution_count_keys() -> None:
    for item in items("linear_solution_count"):
        diff = equation(item.stem.splitlines()[0])
        if item.difficulty == "hard":
            # No solution: the x-coefficient vanishes while the constant does not.
            ks = sp.solve(diff.coeff(X, 1), K)
            assert len(ks) == 1 and diff.subs({K: ks[0], X: 0}) != 0
            assert_only_key(item, Fraction(str(ks[0])))
            continue
        a, b = diff.coeff(X, 1), diff.subs(X, 0)
        expected = "Exactly one" if a != 0 else "No solution" if b != 0 else "Infinitely many"
        assert item.choices[item.key] == expected


def test_linear_word_problem_keys() -> None:
    for item in items("linear_word_problem", SEEDS):
        dollars = [int(v) for v in re.findall(r"\$(\d+)", item.stem)]
        if item.difficulty == "easy":
            fee, rate, total = dollars
            assert_only_key(item, Fraction(total - fee, rate))
        elif item.difficulty == "medium":
            if len(dollars) == 3:  # shop A has no base fee
                dollars.insert(0, 0)
            a, p, b, q = dollars
            assert_only_key(item, Fraction(b - a, p - q))
        else:
            spent, den = (int(v) for v in re.search(r"spent (\d+)/(\d+)", item.stem).groups())
            helmet, left = dollars
            # start − (spent/den)·start − helmet = left
            assert_only_key(item, Fraction(left + helmet) / (1 - Fraction(spent, den)))


# ---------------------------------------------------------------- linear_two_var


def test_linear_two_var_model_keys() -> None:
    for item in items("linear_two_var_model"):
        prices = [int(p) for p in re.findall(r"\$(\d+)", item.stem)]
        if item.difficulty == "medium":
            a, b, total = prices
            sold = int(re.search(r"sold (\d+)", item.stem).group(1))
            assert_only_key(item, Fraction(total - a * sold, b))
            continue
        u, v = re.search(r"where (\w) is the number .* and (\w) is the number", item.stem).groups()
        su, sv = sp.symbols(f"{u} {v}")
        key = key_text(item)
        lhs, rhs = key.split("=")
        model = parse_expr(lhs, {u: su, v: sv}, transformations=_TRANSFORMS) - int(rhs)
        a, b = prices[0], prices[1]
        fee = prices[2] if item.difficulty == "hard" else 0
        earned = prices[-1]
        # Any sale that earns the stated amount after the fee satisfies the key model.
        for cu in range(0, 30, 7):
            cv = sp.Rational(earned + fee - a * cu, b)
            assert model.subs({su: cu, sv: cv}) == 0, (item.stem, key)


def test_linear_two_var_graph_keys() -> None:
    for item in items("linear_two_var_graph"):
        line = re.search(r"graph of (.+?) = (\S+?)(?:,|\.? )", item.stem)
        eq = expr(line.group(1)) - expr(line.group(2))
        if item.difficulty == "easy":
            px = value(re.search(r"point \((\S+), k\)", item.stem).group(1))
            (k,) = sp.solve(eq.subs({X: sp.Rational(px.numerator, px.denominator), Y: K}), K)
            assert_only_key(item, Fraction(str(k)))
        elif item.difficulty == "medium":
            (xi,) = sp.solve(eq.subs(Y, 0), X)
            assert item.choices[item.key] == f"({str(xi).replace('-', '−')}, 0)"
        else:
            px, py = (value(v) for v in re.search(r"point \((\S+), (\S+)\)", item.stem).groups())
            (k,) = sp.solve(eq.subs({X: sp.nsimplify(px), Y: sp.nsimplify(py)}), K)
            slope = -eq.coeff(X, 1) / eq.subs(K, k).coeff(Y, 1)
            assert_only_key(item, Fraction(str(sp.nsimplify(slope))))


# ---------------------------------------------------------------- linear_functions


def test_linear_function_values_keys() -> None:
    for item in items("linear_function_values"):
        pairs = re.findall(r"x = (\S+): f\(x\) = (\S+)", item.stem) or re.findall(
            r"f\((\S+?)\) = (\S+?)(?:\.| and|$)", item.stem
        )
        pts = [(value(a), value(b)) for a, b in pairs]
        (x1, y1), (x2, y2) = pts[:2]
        slope = (y2 - y1) / (x2 - x1)
        for x3, y3 in pts[2:]:
            assert y3 == y1 + slope * (x3 - x1)  # the table is really linear
        t = value(re.search(r"value of f\((\S+)\)\?", item.stem).group(1))
        assert_only_key(item, y1 + slope * (t - x1))
        if item.figure:
            assert [[value(str(a)), value(str(b))] for a, b in item.figure["rows"]] == [
                list(p) for p in pts
            ]


RATE_KEYS = {
    "The charge for each mile driven",
    "The number of centimeters the sapling grows each week",
    "The amount Lena adds to the jar each day",
}
START_KEYS = {
    "The fixed charge at the start of every ride",
    "The height of the sapling when it was planted",
    "The amount in the jar when Lena started",
}


def test_linear_function_context_keys() -> None:
    for item in items("linear_function_context"):
        if item.difficulty == "easy":
            b, m = re.search(r"= (\d+) \+ (\d+)\w", item.stem).groups()
            asked = re.search(r"interpretation of (\d+)", item.stem).group(1)
            assert item.choices[item.key] in (RATE_KEYS if asked == m else START_KEYS)
            assert asked in (b, m) and b != m
        elif item.difficulty == "medium":
            full, rate = (int(v) for v in re.search(r"V\(t\) = (\d+) − (\d+)t", item.stem).groups())
            assert_only_key(item, Fraction(full, rate))
        else:
            readings = re.findall(
                r"(\d+) minutes after draining began, (?:the tank|it) held (\d+)", item.stem
            )
            (t1, v1), (t2, v2) = ((int(t), int(v)) for t, v in readings)
            rate = Fraction(v1 - v2, t2 - t1)
            assert_only_key(item, t1 + v1 / rate)


# ---------------------------------------------------------------- linear_systems


def test_linear_system_solve_keys() -> None:
    for item in items("linear_system_solve"):
        if item.difficulty == "hard":
            total_n = int(re.search(r"sold (\d+) tickets", item.stem).group(1))
            pa, pc, total_r = (int(v) for v in re.findall(r"\$(\d+)", item.stem))
            a, c = sp.symbols("a c")
            sol = sp.solve([a + c - total_n, pa * a + pc * c - total_r], [a, c])
            assert_only_key(item, Fraction(str(sol[a] - sol[c])))
            continue
        lines = item.stem.splitlines()
        sol = sp.solve([equation(lines[0]), equation(lines[1])], [X, Y])
        target = re.search(r"value of (.+)\?", lines[2]).group(1)
        assert_only_key(item, Fraction(str(expr(target).subs(sol))))


def _solution_count(eqs: list[sp.Expr]) -> str:
    sol = sp.linsolve(eqs, [X, Y])
    if sol == sp.EmptySet:
        return "No solution"
    (point,) = list(sol)
    return "Exactly one" if all(c.is_number for c in point) else "Infinitely many"


def test_linear_system_special_keys() -> None:
    for item in items("linear_system_special"):
        lines = item.stem.splitlines()
        eqs = [equation(lines[0]), equation(lines[1])]
        if item.difficulty == "easy":
            assert item.choices[item.key] == _solution_count(eqs)
            continue
        wanted = "No solution" if "no solution" in lines[2] else "Infinitely many"
        k = key_value(item)
        assert (
            _solution_count([e.subs(K, sp.Rational(k.numerator, k.denominator)) for e in eqs])
            == wanted
        )
        if item.type == "mcq":  # no other choice has the same property
            for letter, text in item.choices.items():
                if letter != item.key:
                    other = value(text)
                    got = _solution_count(
                        [e.subs(K, sp.Rational(other.numerator, other.denominator)) for e in eqs]
                    )
                    assert got != wanted, (item.stem, text)


# ---------------------------------------------------------------- linear_inequalities

_OPS = {
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "≤": lambda a, b: a <= b,
    "≥": lambda a, b: a >= b,
}


def _linear(line: str) -> tuple[str, Fraction, Fraction, Fraction]:
    """'lhs op rhs' as (op, a, b, c), meaning a·x + b·y + c op 0 (n counts as x)."""
    lhs, op, rhs = re.match(r"(.+?) ([<>≤≥]) (.+)", line).groups()
    side = sp.Poly((expr(lhs) - expr(rhs)).subs(N, X), X, Y)
    coeffs = (side.coeff_monomial(X), side.coeff_monomial(Y), side.coeff_monomial(1))
    a, b, c = (Fraction(str(v)) for v in coeffs)
    return op, a, b, c


def _satisfies(lines: list[str], px: Fraction, py: Fraction) -> bool:
    for line in lines:
        op, a, b, c = _linear(line)
        if not _OPS[op](a * px + b * py + c, 0):
            return False
    return True


def test_inequality_points_keys() -> None:
    for item in items("inequality_points"):
        lines = [ln for ln in item.stem.splitlines() if re.search(r"[<>≤≥]", ln)]
        good = []
        for letter, text in item.choices.items():
            px, py = (value(v) for v in text.strip("()").split(", "))
            if _satisfies(lines, px, py):
                good.append(letter)
        assert good == [item.key], (item.stem, item.choices, item.key)


def test_inequality_budget_keys() -> None:
    for item in items("inequality_budget"):
        if item.difficulty == "hard":
            op, a, _, c = _linear(item.stem.splitlines()[0])
            holds = [x for x in range(-200, 200) if _OPS[op](a * x + c, 0)]
            assert_only_key(item, Fraction(max(holds)))
            continue
        budget, fee, price = (int(v) for v in re.findall(r"\$(\d+)", item.stem))
        if item.difficulty == "easy":
            assert_only_key(item, Fraction((budget - fee) // price))
            continue
        # n counts whole items: the key allows exactly the affordable counts, each distractor not.
        truth = [fee + price * n <= budget for n in range(40)]
        for letter, text in item.choices.items():
            op, a, _, c = _linear(text)
            got = [_OPS[op](a * n + c, 0) for n in range(40)]
            assert (got == truth) == (letter == item.key), (item.stem, text)


def test_spr_keys_hold_both_forms_when_they_fit() -> None:
    for item in (i for name in NAMES for i in items(name, range(60)) if i.type == "spr"):
        v = value(item.key[0])
        if v.denominator in (2, 4, 5, 8, 10) and len(f"{float(v):g}") <= (6 if v < 0 else 5):
            assert any("." in e for e in item.key) and any("/" in e for e in item.key), item.key
        assert math.isfinite(float(v))
