"""Advanced Math generators: every key re-derived independently from the item's own text.

The checks parse the stem, the choices and the figure, and solve with sympy;
nothing here calls the generators' helpers.
"""

from __future__ import annotations

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

SKILLS = ("equivalent_expressions", "nonlinear_equations", "nonlinear_functions")
NAMES = [
    g.name for skill in SKILLS for g in by_skill(skill) if g.fn.__module__.endswith(".advanced")
]
LEVELS = ("easy", "medium", "hard")
SEEDS = range(200)  # the structural checks run on every seed
SOLVE_SEEDS = range(40)  # sympy-backed key checks: fewer seeds keep the suite fast

X = sp.Symbol("x")
Y, K, T = sp.symbols("y k t", positive=True)
_SUP = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_TRANSFORMS = (*standard_transformations, implicit_multiplication_application)


def expr(text: str) -> sp.Expr:
    """Parse student-facing Unicode math (x², √2, 3(x − 1), (1.08)ᵗ) with sympy."""
    t = text.replace("−", "-").replace("·", "*").replace("ᵗ", "**t").strip()
    t = re.sub(r"√(\d+)", r"sqrt(\1)", t)
    t = re.sub(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+", lambda m: "**(" + m.group(0).translate(_SUP) + ")", t)
    return parse_expr(t, local_dict={"x": X, "y": Y, "k": K, "t": T}, transformations=_TRANSFORMS)


def value(text: str) -> Fraction:
    return Fraction(text.replace("−", "-"))


def key_text(item: Item) -> str:
    return item.choices[item.key] if item.type == "mcq" else item.key[0]


def assert_only_key(item: Item, correct: sp.Expr | Fraction | int) -> None:
    """The numeric key equals ``correct`` and no other choice does."""
    correct = Fraction(str(sp.nsimplify(correct)))
    assert value(key_text(item)) == correct, (item.id, item.stem, key_text(item), correct)
    if item.type == "mcq":
        assert correct not in [value(t) for k, t in item.choices.items() if k != item.key], (
            item.choices
        )


def assert_only_key_matches(item: Item, same: object) -> None:
    """Exactly the keyed choice passes the predicate ``same``."""
    hits = [letter for letter, text in item.choices.items() if same(text)]
    assert hits == [item.key], (item.id, item.stem, item.choices, item.key, hits)


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
def test_key_positions_vary(name: str) -> None:
    assert {i.key for i in items(name, SEEDS) if i.type == "mcq"} == {"A", "B", "C", "D"}


def test_every_skill_has_two_generators() -> None:
    for skill in SKILLS:
        assert len([g for g in by_skill(skill) if g.fn.__module__.endswith(".advanced")]) >= 2


# ---------------------------------------------------------------- equivalent_expressions


def _equivalent(a: sp.Expr, b: sp.Expr) -> bool:
    return sp.cancel(sp.expand(a - b)) == 0


def test_expression_expand_keys() -> None:
    for item in items("expression_expand"):
        if item.difficulty == "hard":
            source = re.search(r"The expression (.+) can be written", item.stem).group(1)
            assert_only_key(item, sp.Poly(expr(source), X).coeff_monomial(X))
            continue
        source = expr(re.search(r"equivalent to (.+)\?", item.stem).group(1))
        assert_only_key_matches(item, lambda text, s=source: _equivalent(expr(text), s))


# Rational functions of degree ≤ 2 over degree ≤ 2 that agree at 5 points are identical.
_SAMPLE_X = [sp.Rational(n, 7) for n in (3, 10, 17, 25, 31)]


def test_rational_expressions_keys() -> None:
    for item in items("rational_expressions"):
        source = expr(re.search(r"equivalent to (.+)\?", item.stem).group(1))
        expected = [source.subs(X, v) for v in _SAMPLE_X]
        assert_only_key_matches(
            item, lambda text, e=expected: [expr(text).subs(X, v) for v in _SAMPLE_X] == e
        )


def test_exponent_rules_keys() -> None:
    # Monomials in x and y agree everywhere iff they agree at x = 13, y = 17: those
    # primes divide no coefficient, so unique factorisation pins down every exponent.
    at = {X: 13, Y: 17}
    for item in items("exponent_rules"):
        source = expr(re.search(r"equivalent to (.+)\?", item.stem).group(1)).subs(at)
        assert_only_key_matches(item, lambda text, s=source: expr(text).subs(at) == s)


# ---------------------------------------------------------------- nonlinear_equations


def _real_roots(quadratic: sp.Expr) -> list[float]:
    """The real roots of a quadratic in x, by the formula, in increasing order."""
    a, b, c = (float(v) for v in sp.Poly(quadratic, X).all_coeffs())
    disc = b * b - 4 * a * c
    if disc < 0:
        return []
    return sorted({(-b - disc**0.5) / (2 * a), (-b + disc**0.5) / (2 * a)})


def _plus_minus(text: str) -> list[float]:
    """'x = h ± √d' (or 'x = h ± d') as its two numbers, in increasing order."""
    h, root, d = re.fullmatch(r"x = (\S+) ± (√?)(\d+)", text).groups()
    spread = int(d) ** 0.5 if root else int(d)
    return sorted(float(value(h)) + sign * spread for sign in (-1, 1))


def test_quadratic_solve_keys() -> None:
    for item in items("quadratic_solve"):
        lhs = expr(item.stem.splitlines()[0].split("=")[0])
        if item.difficulty == "hard":
            roots = _real_roots(lhs)
            assert_only_key_matches(
                item,
                lambda text, rs=roots: all(
                    abs(p - r) < 1e-9 for p, r in zip(_plus_minus(text), rs, strict=True)
                ),
            )
            continue
        roots = sp.solve(lhs, X)
        if item.difficulty == "easy":
            (positive,) = [r for r in roots if r > 0]
            assert_only_key(item, positive)
        else:
            assert_only_key(item, sum(roots))


def test_quadratic_discriminant_keys() -> None:
    for item in items("quadratic_discriminant"):
        lines = item.stem.splitlines()
        if item.difficulty == "easy":
            roots = sp.solve(expr(lines[0].split("=")[0]), X)
            real = {r for r in roots if r.is_real}
            expected = {
                2: "Exactly two real solutions",
                1: "Exactly one real solution",
                0: "No real solutions",
            }
            assert item.choices[item.key] == expected[len(real)]
            continue
        if item.difficulty == "medium":
            quad = expr(lines[0].split("=")[0])
        else:
            quad = expr(lines[0].split("=")[1]) - expr(lines[1].split("=")[1])
        k = sp.Symbol("k")
        disc = sp.discriminant(sp.Poly(quad.subs(K, k), X))
        ks = [v for v in sp.solve(disc, k) if item.difficulty == "hard" or v > 0]
        assert len(ks) == 1
        assert_only_key(item, ks[0])
        # and with that k there really is exactly one intersection or root
        assert len(set(sp.solve(quad.subs(K, ks[0]), X))) == 1


def test_line_parabola_system_keys() -> None:
    for item in items("line_parabola_system"):
        lines = item.stem.splitlines()
        curve, line = (expr(ln.split("=")[1]) for ln in lines[:2])
        xs = sp.solve(curve - line, X)
        if item.difficulty == "easy":
            assert_only_key(item, next(r for r in xs if r > 0))
        elif item.difficulty == "medium":
            assert len(xs) == 2
            assert_only_key(item, line.subs(X, next(r for r in xs if r > 0)))
        else:
            assert len(xs) == 2
            assert_only_key(item, sum(line.subs(X, r) for r in xs))


# ---------------------------------------------------------------- nonlinear_functions


def test_exponential_model_keys() -> None:
    for item in items("exponential_model"):
        if item.difficulty == "easy":
            factor = Fraction(re.search(r"\(([\d.]+)\)ᵗ", item.stem).group(1))
            verb = "increases" if factor > 1 else "decreases"
            pct = abs(factor - 1) * 100
            assert pct.denominator == 1
            assert item.choices[item.key] == f"It {verb} by {pct.numerator}% each year."
        elif item.difficulty == "medium":
            start, pct = (
                int(v) for v in re.search(r"population of (\d+) .* by (\d+)%", item.stem).groups()
            )
            rate = sp.Rational(pct, 100) * (1 if "grows" in item.stem else -1)

            def same(text: str, s: int = start, r: sp.Rational = rate) -> bool:
                model = expr(text.split("=")[1])
                return all(
                    abs(float(model.subs(T, n)) - s * float(1 + r) ** n) < 1e-6 for n in (1, 2, 3)
                )

            assert_only_key_matches(item, same)
        else:
            start, period, hours = (
                int(v)
                for v in re.search(
                    r"with (\d+) bacteria.* every (\d+) hours.* culture (\d+) hours", item.stem
                ).groups()
            )
            base = 2 if "doubles" in item.stem else 3
            assert hours % period == 0
            assert_only_key(item, start * base ** (hours // period))


def test_quadratic_vertex_keys() -> None:
    for item in items("quadratic_vertex"):
        f = expr(item.stem.splitlines()[0].split("=")[1])
        (h,) = sp.solve(sp.diff(f, X), X)
        lead = sp.Poly(f, X).LC()
        asked = "minimum" if "minimum" in item.stem else "maximum"
        assert (lead > 0) == (asked == "minimum")
        assert_only_key(item, f.subs(X, h))
        if item.figure is not None:  # the picture shows the same function as the text
            drawn = sp.sympify(item.figure["expr"], locals={"x": X})
            assert sp.expand(drawn - f) == 0


def test_quadratic_from_graph_keys() -> None:
    for item in items("quadratic_from_graph"):
        f = sp.sympify(item.figure["expr"], locals={"x": X})
        for px, py in item.figure["points"]:
            assert f.subs(X, px) == py
        described = re.findall(r"\((−?\d+), (−?\d+)\)", item.stem)
        assert {(int(value(a)), int(value(b))) for a, b in described} == {
            tuple(p) for p in item.figure["points"]
        }
        if item.difficulty != "hard":
            assert_only_key_matches(
                item, lambda text, g=f: sp.expand(expr(text.split("=")[1]) - g) == 0
            )
            continue
        inner = re.search(r"g\(x\) = f\((.+?)\)\.", item.stem).group(1)
        g = f.subs(X, expr(inner))
        zeros = sorted(sp.solve(g, X))
        expected = " and ".join(str(z).replace("-", "−") for z in zeros)
        assert item.choices[item.key] == expected
