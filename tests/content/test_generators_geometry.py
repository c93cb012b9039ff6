"""Geometry and Trigonometry generators: keys checked independently.

The solvers read the numbers back out of the stem and answer with sympy or
floating-point trigonometry, not with the generator's own arithmetic.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict
from fractions import Fraction

import pytest
import sympy as sp

from core.content.generators import by_skill, make
from core.content.item import Item
from core.content.spr import check_spr
from core.content.taxonomy import skills_of
from tests.content.generator_shape import assert_item_shape

SEEDS = range(200)
DIFFICULTIES = ("easy", "medium", "hard")
SKILLS = tuple(k.code for k in skills_of("geometry_trig"))
NAMES = (
    "solid_measure",
    "composite_area",
    "angle_relations",
    "right_triangle",
    "trig_relations",
    "circle_parts",
)
X = sp.Symbol("x")


def value(text: str) -> Fraction:
    cleaned = re.sub(r"[$,%°\s]", "", text).replace("−", "-")
    return Fraction(cleaned)


def pi_coef(text: str) -> Fraction:
    """``6π`` → 6, ``3π/2`` → 3/2, ``π/4`` → 1/4."""
    m = re.fullmatch(r"(−?)(\d*)π(?:/(\d+))?", text)
    assert m, text
    coef = Fraction(int(m[2] or 1), int(m[3] or 1))
    return -coef if m[1] else coef


def real(text: str) -> float:
    """The value of a choice such as ``120 + 8π``, ``324 − 81π``, ``81 − 81π/4``, ``6√3``."""
    expr = text.replace("−", "-").replace("π", "*pi").replace("√", "*sqrt")
    expr = re.sub(r"sqrt(\d+)", r"sqrt(\1)", expr)
    expr = re.sub(r"(^|[\s(+-])\*", r"\1", expr)  # a bare π or √ has coefficient 1
    return float(sp.sympify(expr))


def ints(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", text)]


def key_text(item: Item) -> str:
    assert isinstance(item.key, str)
    return item.choices[item.key]


def check_common(item: Item) -> None:
    """The quality bar every generated item meets (tests/content/generator_shape.py)."""
    assert_item_shape(item, SKILLS, item.difficulty)


# -- independent solvers -------------------------------------------------------


def solve_solid_measure(item: Item) -> Fraction:
    """Multiples of π for easy/medium; a plain number for hard."""
    s = item.stem
    if item.difficulty == "easy":
        r, h = ints(s)[:2]
        return Fraction(r * r * h)  # V = πr²h
    if item.difficulty == "medium":
        d, h = ints(s)[:2]
        return Fraction(d * d * h, 12)  # (1/3)π(d/2)²h
    k = Fraction(re.search(r"is (\d+(?:/\d+)?) times as long", s)[1])  # type: ignore[index]
    small = int(re.search(r"(?:area|volume) of (\d+)", s)[1])  # type: ignore[index]
    power = 2 if "area" in s else 3
    return small * k**power


def solve_angle_relations(item: Item) -> Fraction:
    s = item.stem
    if item.difficulty == "easy":
        a, b = ints(s)[:2]
        return Fraction(180 - a - b)
    if item.difficulty == "medium":
        exprs = re.findall(r"\((\d*)x ([+−]) (\d+)\)°", s)
        lin = [int(p or 1) * X + (1 if sign == "+" else -1) * int(q) for p, sign, q in exprs[:2]]
        if "alternate interior" in s:
            (x,) = sp.solve(sp.Eq(lin[0], lin[1]), X)
        else:
            (x,) = sp.solve(sp.Eq(lin[0] + lin[1], 180), X)
        angle = lin[0].subs(X, x)
        return Fraction(int(angle.p), int(angle.q))
    ad, db, de = (int(v) for v in re.findall(r"= (\d+)", s))
    return Fraction(de * (ad + db), ad)


def solve_right_triangle(item: Item) -> Fraction | float:
    s = item.stem
    sides = {k: int(v) for k, v in re.findall(r"\b(AC|BC|AB) = (\d+)", s)}
    if item.difficulty == "easy":
        if "AB" not in sides:
            return Fraction(math.isqrt(sides["AC"] ** 2 + sides["BC"] ** 2))
        leg2 = sides["AB"] ** 2 - sides["AC"] ** 2
        assert math.isqrt(leg2) ** 2 == leg2
        return Fraction(math.isqrt(leg2))
    if item.difficulty == "medium":
        func, vertex = re.search(r"value of (sin|cos|tan) ([AB])\?", s).groups()  # type: ignore[union-attr]
        assert sides["AB"] ** 2 == sides["AC"] ** 2 + sides["BC"] ** 2
        angle_a = math.atan2(sides["BC"], sides["AC"])  # BC is opposite A
        angle = angle_a if vertex == "A" else math.pi / 2 - angle_a
        return {"sin": math.sin, "cos": math.cos, "tan": math.tan}[func](angle)
    tan_a = Fraction(re.search(r"tan A = (\d+/\d+)", s)[1])  # type: ignore[index]
    hyp = sides["AB"]
    angle_a = math.atan(float(tan_a))
    asked = re.search(r"length of (BC|AC)\?", s)[1]  # type: ignore[index]
    leg = hyp * (math.sin(angle_a) if asked == "BC" else math.cos(angle_a))
    assert abs(leg - round(leg)) < 1e-9
    return Fraction(round(leg))


def solve_circle_parts(item: Item) -> Fraction:
    s = item.stem
    if item.difficulty == "easy":
        r = int(re.search(r"radius (\d+)", s)[1])  # type: ignore[index]
        theta = int(re.search(r"measures (\d+)°", s)[1])  # type: ignore[index]
        return Fraction(theta, 360) * 2 * r
    if item.difficulty == "medium":
        d = int(re.search(r"diameter of (\d+)", s)[1])  # type: ignore[index]
        theta = pi_coef(re.search(r"angle of (\S+) radians", s)[1])  # type: ignore[index]
        return Fraction(1, 2) * Fraction(d, 2) ** 2 * theta  # (1/2)r²θ, in units of π
    m = re.search(r"x² ([+−]) (\d+)x \+ y² ([+−]) (\d+)y ([+−]) (\d+) = 0", s)
    assert m, s
    d, e, f = (int(m[i + 1]) * (1 if m[i] == "+" else -1) for i in (1, 3, 5))
    x, y = sp.symbols("x y")
    expr = x**2 + d * x + y**2 + e * y + f
    # The centre is where the quadratic is smallest; r² is minus that minimum.
    centre = sp.solve([sp.diff(expr, x), sp.diff(expr, y)], [x, y])
    r2 = -expr.subs(centre)
    r = sp.sqrt(r2)
    assert r.is_Integer, (item.id, r2)
    return Fraction(int(r))


def solve_composite_area(item: Item) -> float:
    s = item.stem
    if item.difficulty == "easy":
        big_l, big_w, a, b = ints(s)[:4]
        return float(big_l * big_w - a * b)
    if item.difficulty == "medium":
        w, h = ints(s)[:2]
        return w * h + math.pi * (w / 2) ** 2 / 2
    side = ints(s)[0]
    return side**2 - math.pi * (side / 2) ** 2


def solve_trig_relations(item: Item) -> Fraction | float:
    s = item.stem
    if item.difficulty == "easy":
        f1, f2, k = re.search(r"(sin|cos)\(x°\) = (sin|cos)\((\d+)°\)", s).groups()  # type: ignore[union-attr]
        fn = {"sin": math.sin, "cos": math.cos}
        (x,) = [
            x
            for x in range(1, 90)
            if math.isclose(fn[f1](math.radians(x)), fn[f2](math.radians(int(k))))
        ]
        return Fraction(x)
    if item.difficulty == "medium":
        if "measures 30°" in s:
            hyp = int(re.search(r"length (\d+)", s)[1])  # type: ignore[index]
            return hyp * math.cos(math.radians(30))  # PQ is adjacent to the 30° angle
        leg = int(re.search(r"= (\d+)\.", s)[1])  # type: ignore[index]
        return math.hypot(leg, leg)
    m = re.search(r"sin\(\((\d*)x ([+−]) (\d+)\)°\) = cos\(\((\d*)x ([+−]) (\d+)\)°\)", s)
    assert m, s
    a, b = int(m[1] or 1), int(m[3]) * (1 if m[2] == "+" else -1)
    c, d = int(m[4] or 1), int(m[6]) * (1 if m[5] == "+" else -1)
    solutions = [
        x
        for x in range(-100, 200)
        if 0 < a * x + b < 90
        and 0 < c * x + d < 90
        and math.isclose(math.sin(math.radians(a * x + b)), math.cos(math.radians(c * x + d)))
    ]
    assert len(solutions) == 1, (item.id, solutions)
    return Fraction(solutions[0])


SOLVERS = {
    "solid_measure": solve_solid_measure,
    "composite_area": solve_composite_area,
    "trig_relations": solve_trig_relations,
    "angle_relations": solve_angle_relations,
    "right_triangle": solve_right_triangle,
    "circle_parts": solve_circle_parts,
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
            exact = str(expected.numerator) + (
                f"/{expected.denominator}" if expected.denominator != 1 else ""
            )
            assert check_spr(exact, item.key).correct, (item.id, expected, item.key)  # type: ignore[arg-type]
            continue
        text = key_text(item)
        others = [t for k, t in item.choices.items() if k != item.key]
        if isinstance(expected, float):
            assert math.isclose(real(text), expected, rel_tol=1e-9), (item.id, text, expected)
            assert not any(math.isclose(real(t), expected) for t in others), item.choices
        elif "π" in text:
            assert pi_coef(text) == expected, (item.id, text, expected)
            assert expected not in [pi_coef(t) for t in others]
        else:
            assert value(text) == expected, (item.id, text, expected)
            assert expected not in [value(t) for t in others]


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_item_and_seeds_vary(name: str) -> None:
    for difficulty in DIFFICULTIES:
        a = make(name, 11, difficulty)  # type: ignore[arg-type]
        b = make(name, 11, difficulty)  # type: ignore[arg-type]
        assert asdict(a) == asdict(b)
        stems = {make(name, s, difficulty).stem for s in range(60)}  # type: ignore[arg-type]
        assert len(stems) >= 40, (name, difficulty, len(stems))


@pytest.mark.parametrize("name", NAMES)
def test_key_position_is_spread(name: str) -> None:
    letters = {
        make(name, s, d).key  # type: ignore[arg-type]
        for d in DIFFICULTIES
        for s in range(40)
        if make(name, s, d).type == "mcq"  # type: ignore[arg-type]
    }
    assert letters == {"A", "B", "C", "D"}


def test_every_geometry_skill_has_a_generator() -> None:
    for skill in ("area_volume", "lines_angles_triangles", "right_triangles_trig", "circles"):
        assert by_skill(skill), skill
    assert len(by_skill("area_volume")) >= 2 and len(by_skill("right_triangles_trig")) >= 2


def test_figures_match_the_stem() -> None:
    """A drawn figure agrees with the numbers it illustrates."""
    for seed in range(50):
        tri = make("angle_relations", seed, "easy")
        a, b = ints(tri.stem)[:2]
        v = {k: sp.Matrix(p) for k, p in tri.figure["vertices"].items()}  # type: ignore[index]
        ab, ac = v["B"] - v["A"], v["C"] - v["A"]
        angle_a = math.degrees(math.acos(float(ab.dot(ac) / (ab.norm() * ac.norm()))))
        assert abs(angle_a - a) < 0.1, (tri.id, angle_a, a)
        ba, bc = v["A"] - v["B"], v["C"] - v["B"]
        angle_b = math.degrees(math.acos(float(ba.dot(bc) / (ba.norm() * bc.norm()))))
        assert abs(angle_b - b) < 0.1
        arc = make("circle_parts", seed, "easy")
        fig = arc.figure
        assert fig is not None
        q = fig["points"]["Q"]
        theta = int(re.search(r"measures (\d+)°", arc.stem)[1])  # type: ignore[index]
        assert abs(math.degrees(math.atan2(q[1], q[0])) % 360 - theta) < 0.1
