"""Generators for Geometry and Trigonometry.

Lengths come from scaled Pythagorean triples and angles from whole degrees,
so keys are exact; answers involving π are given as multiples of π, as the
test does. Figures, when given, are drawn to match the numbers in the stem.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

from core.content.generators import Redraw
from core.content.generators.data import (
    MINUS,
    Number,
    frac,
    mcq,
    num,
    pi_text,
    register,
    spr,
)
from core.content.item import Difficulty, Item

TRIPLES = ((3, 4, 5), (5, 12, 13), (8, 15, 17), (7, 24, 25), (20, 21, 29))


def _round_pts(*pts: tuple[float, float]) -> list[list[float]]:
    return [[round(x, 3), round(y, 3)] for x, y in pts]


# ---------------------------------------------------------------------------
# Area and volume


@register("solid_measure", "area_volume")
def solid_measure(rng: random.Random, difficulty: Difficulty) -> Item:
    """Cylinder volume (easy), cone volume from a diameter (medium), similar figures (hard, SPR)."""
    skill = "area_volume"
    if difficulty == "easy":
        r = rng.randint(2, 9)
        h = rng.randint(2, 12)
        if h == r:
            raise Redraw
        key = r * r * h
        unit = rng.choice(["centimeters", "inches", "meters", "feet"])
        thing = rng.choice(["water tank", "candle", "storage drum", "glass vase"])
        stem = (
            f"A {thing} is shaped like a right circular cylinder with a radius of {r} {unit} "
            f"and a height of {h} {unit}. What is the volume of the {thing}, in cubic {unit}?"
        )
        work = (
            f"Volume of a cylinder = πr²h = π·{r}²·{h} = π·{r * r}·{h} = {pi_text(key)} "
            f"cubic {unit}."
        )
        distractors = [
            (pi_text(2 * r * h), "is 2πrh, the area of the curved side, not the volume"),
            (pi_text(Fraction(key, 3)), "uses the cone formula (1/3)πr²h"),
            (pi_text(r * h), "forgets to square the radius (πrh)"),
        ]
        hints = [
            "A cylinder's volume is the area of its circular base times its height.",
            "The base is a circle, so its area is πr².",
            f"The base area is π·{r}² = {pi_text(r * r)}.",
        ]
        return mcq(rng, skill, difficulty, stem, pi_text(key), distractors, work, hints)

    if difficulty == "medium":
        d = 2 * rng.randint(2, 9)
        r = d // 2
        h = rng.choice([x for x in range(3, 25) if (r * r * x) % 3 == 0 and x != d])
        key = Fraction(r * r * h, 3)
        stem = (
            f"A right circular cone has a base with a diameter of {d} inches and a height of "
            f"{h} inches. What is the volume of the cone, in cubic inches?"
        )
        work = (
            f"The radius is half the diameter: r = {d}/2 = {r}. Volume of a cone = (1/3)πr²h "
            f"= (1/3)·π·{r * r}·{h} = {pi_text(key)} cubic inches."
        )
        distractors = [
            (pi_text(Fraction(d * d * h, 3)), f"uses the diameter {d} as the radius"),
            (pi_text(r * r * h), "forgets the factor 1/3 (that is the volume of a cylinder)"),
            (pi_text(Fraction(r * h, 3)), "forgets to square the radius"),
        ]
        hints = [
            "A cone holds one third of the cylinder with the same base and height.",
            "The formula needs the radius, and the problem gives the diameter.",
            f"r = {d}/2 = {r}, so r² = {r * r}.",
        ]
        return mcq(rng, skill, difficulty, stem, pi_text(key), distractors, work, hints)

    # hard (SPR): similar figures; lengths scale by k, areas by k², volumes by k³
    a, b = rng.choice([(1, 2), (1, 3), (2, 3), (3, 4), (2, 5), (3, 5), (4, 5)])
    if rng.random() < 0.5:
        small = rng.randint(2, 30) * a * a
        key = Fraction(small * b * b, a * a)
        stem = (
            f"Two triangles are similar. Each side of the larger triangle is {frac(Fraction(b, a))} "
            f"times as long as the corresponding side of the smaller triangle. The smaller "
            f"triangle has an area of {small} square units. What is the area of the larger "
            "triangle, in square units?"
        )
        power, what = 2, "Areas"
    else:
        small = rng.randint(1, 12) * a**3
        key = Fraction(small * b**3, a**3)
        stem = (
            f"Two rectangular boxes are similar. Each edge of the larger box is "
            f"{frac(Fraction(b, a))} times as long as the corresponding edge of the smaller "
            f"box. The smaller box has a volume of {small} cubic units. What is the volume of "
            "the larger box, in cubic units?"
        )
        power, what = 3, "Volumes"
    k = Fraction(b, a)
    work = (
        f"The scale factor for lengths is k = {frac(k)}. {what} scale by k{'²' if power == 2 else '³'} "
        f"= {frac(k**power)}. So the answer is {small}·{frac(k**power)} = {num(key)}."
    )
    traps = f"Multiplying by the length factor {frac(k)} only gives {num(small * k)}; " + (
        "areas grow with the square of the scale factor."
        if power == 2
        else f"squaring it gives {num(small * k * k)}, but volumes grow with the cube."
    )
    hints = [
        "Lengths, areas and volumes of similar figures scale differently.",
        "If lengths are multiplied by k, areas are multiplied by k² and volumes by k³.",
        f"Here k = {frac(k)}.",
    ]
    return spr(skill, difficulty, stem, key, work, traps, hints)


def _plus_pi(a: int, k: Number, op: str = "+") -> str:
    """``48 + 8π`` or ``64 − 16π``."""
    return f"{a} {op} {pi_text(k)}"


@register("composite_area", "area_volume")
def composite_area(rng: random.Random, difficulty: Difficulty) -> Item:
    """A rectangle minus a cut-out (easy), a rectangle with a semicircle (medium),
    a square minus its inscribed circle (hard)."""
    skill = "area_volume"
    if difficulty == "easy":
        big_l, big_w = rng.randint(12, 30), rng.randint(8, 20)
        a, b = rng.randint(3, big_l - 4), rng.randint(2, big_w - 4)
        key = big_l * big_w - a * b
        stem = (
            f"A rectangular garden measures {big_l} meters by {big_w} meters. A rectangular "
            f"patio that measures {a} meters by {b} meters is built inside the garden. What is "
            "the area, in square meters, of the part of the garden not covered by the patio?"
        )
        work = (
            f"Garden: {big_l}·{big_w} = {big_l * big_w} m². Patio: {a}·{b} = {a * b} m². "
            f"Uncovered: {big_l * big_w} − {a * b} = {key} m²."
        )
        distractors = [
            (str(big_l * big_w), "is the area of the whole garden: the patio was never subtracted"),
            (
                str((big_l - a) * (big_w - b)),
                "subtracts the lengths before multiplying, which removes too much",
            ),
            (
                str(2 * (big_l + big_w) - 2 * (a + b)),
                "uses perimeters instead of areas",
            ),
        ]
        hints = [
            "Area of the part left over = whole area − area of the piece taken out.",
            "Find the area of each rectangle separately.",
            f"The garden's area is {big_l}·{big_w} = {big_l * big_w} m².",
        ]
        return mcq(rng, skill, difficulty, stem, str(key), distractors, work, hints)

    if difficulty == "medium":
        w = 4 * rng.randint(1, 6)
        h = rng.randint(3, 20)
        rect = w * h
        k = Fraction(w * w, 8)  # (1/2)π(w/2)²
        stem = (
            f"A window is shaped like a rectangle {w} inches wide and {h} inches tall, with a "
            f"semicircle on top whose diameter is the {w}-inch top side. What is the area of "
            "the window, in square inches?"
        )
        work = (
            f"Rectangle: {w}·{h} = {rect}. The semicircle has radius {w}/2 = {w // 2}, so its "
            f"area is (1/2)·π·{w // 2}² = {pi_text(k)}. Total: {_plus_pi(rect, k)}."
        )
        distractors = [
            (_plus_pi(rect, 2 * k), "adds a whole circle instead of half of one"),
            (_plus_pi(rect, Fraction(w * w, 2)), f"uses the diameter {w} as the radius"),
            (
                _plus_pi(rect, Fraction(w, 2)),
                "uses half the circumference (an arc length) instead of an area",
            ),
        ]
        hints = [
            "Split the window into a rectangle and a half circle.",
            "The semicircle's radius is half of the rectangle's width.",
            f"The semicircle's radius is {w // 2}.",
        ]
        return mcq(rng, skill, difficulty, stem, _plus_pi(rect, k), distractors, work, hints)

    # hard: square minus its inscribed circle
    side = 2 * rng.randint(2, 15)
    r = side // 2
    square = side * side
    thing = rng.choice(["tile", "coaster", "garden plot", "quilt block"])
    unit = rng.choice(["centimeters", "inches", "feet"])
    stem = (
        f"A square {thing} has side length {side} {unit}. A circle drawn on it touches all "
        f"four sides of the square. What is the total area, in square {unit}, of the four "
        "regions inside the square but outside the circle?"
    )
    work = (
        f"Square: {side}² = {square}. The circle's diameter equals the side, so r = {r} and "
        f"the circle's area is π·{r}² = {pi_text(r * r)}. Outside the circle: "
        f"{_plus_pi(square, r * r, MINUS)}."
    )
    distractors = [
        (pi_text(r * r), "is the area of the circle, not of the region outside it"),
        (
            _plus_pi(square, side, MINUS),
            f"subtracts the circumference π·{side} instead of the area",
        ),
        (
            _plus_pi(square // 4, Fraction(r * r, 4), MINUS),
            "is only one of the four corner regions, not their total",
        ),
    ]
    hints = [
        "The shaded part is what is left of the square after the circle is removed.",
        "An inscribed circle's diameter equals the square's side.",
        f"The radius is {side}/2 = {r}.",
    ]
    return mcq(
        rng, skill, difficulty, stem, _plus_pi(square, r * r, MINUS), distractors, work, hints
    )


# ---------------------------------------------------------------------------
# Lines, angles and triangles


def _triangle_from_angles(a_deg: int, b_deg: int) -> dict[str, list[float]]:
    """Vertices of a triangle with angle A = a_deg at A and B = b_deg at B, AB = 10."""
    c_deg = 180 - a_deg - b_deg
    ac = 10 * math.sin(math.radians(b_deg)) / math.sin(math.radians(c_deg))
    cx, cy = ac * math.cos(math.radians(a_deg)), ac * math.sin(math.radians(a_deg))
    a_pt, b_pt, c_pt = _round_pts((0, 0), (10, 0), (cx, cy))
    return {"A": a_pt, "B": b_pt, "C": c_pt}


def _linear(p: int, q: int) -> str:
    """``(3x + 10)`` with Unicode minus."""
    coef = "" if p == 1 else str(p)
    sign = "+" if q >= 0 else MINUS
    return f"({coef}x {sign} {abs(q)})"


@register("angle_relations", "lines_angles_triangles")
def angle_relations(rng: random.Random, difficulty: Difficulty) -> Item:
    """Triangle angle sum (easy), parallel lines and a transversal (medium), similar triangles (hard, SPR)."""
    skill = "lines_angles_triangles"
    if difficulty == "easy":
        a = rng.randint(25, 95)
        b = rng.randint(25, 150 - a)
        c = 180 - a - b
        stem = (
            f"In triangle ABC, the measure of angle A is {a}° and the measure of angle B is "
            f"{b}°. What is the measure of angle C?"
        )
        work = f"The angles of a triangle add to 180°: {a}° + {b}° + C = 180°, so C = 180° − {a + b}° = {c}°."
        distractors = [
            (f"{180 - a}°", "subtracts only angle A from 180°"),
            (f"{360 - a - b}°", "uses 360°, the angle sum of a quadrilateral"),
            (f"{a + b}°", "adds the two given angles instead of subtracting their sum from 180°"),
        ]
        hints = [
            "What do the three angles of any triangle add up to?",
            "Angle C is what is left of 180° after angles A and B.",
            f"A + B = {a}° + {b}° = {a + b}°.",
        ]
        figure = {
            "kind": "triangle",
            "vertices": _triangle_from_angles(a, b),
            "angles": {"A": f"{a}°", "B": f"{b}°", "C": "?"},
        }
        return mcq(rng, skill, difficulty, stem, f"{c}°", distractors, work, hints, figure)

    if difficulty == "medium":
        equal = rng.random() < 0.5
        x = rng.randint(8, 40)
        p, r = rng.sample(range(1, 7), 2)
        angle1 = rng.randint(40, 140)
        q = angle1 - p * x
        angle2 = angle1 if equal else 180 - angle1
        s = angle2 - r * x
        if angle1 == 90 or q == 0 or s == 0:
            raise Redraw
        e1, e2 = _linear(p, q), _linear(r, s)
        if equal:
            kind = "alternate interior angles"
            relation = f"Alternate interior angles are equal: {e1[1:-1]} = {e2[1:-1]}"
            wrong_x = Fraction(180 - q - s, p + r)
            wrong_why = "adds the angles to 180°, but alternate interior angles are equal"
            third = (f"{180 - angle1}°", "is the supplement of the angle, not the angle")
        else:
            kind = "same-side interior angles"
            relation = f"Same-side interior angles are supplementary: {e1[1:-1]} + {e2[1:-1]} = 180"
            if p == r:
                raise Redraw
            wrong_x = Fraction(s - q, p - r)
            wrong_why = "sets the angles equal, but same-side interior angles add to 180°"
            third = (f"{angle2}°", f"is the measure of the other angle, {e2}°")
        wrong_angle = p * wrong_x + q
        if not (0 < wrong_angle < 180) or wrong_angle.denominator > 2:
            raise Redraw
        stem = (
            f"Parallel lines m and n are cut by a transversal t. Two {kind} formed have "
            f"measures {e1}° and {e2}°. What is the measure of the angle with measure {e1}°?"
        )
        work = (
            f"{relation}. Solving gives x = {x}. Then {e1} = {p}·{x} "
            f"{'+' if q >= 0 else MINUS} {abs(q)} = {angle1}, so the angle is {angle1}°."
        )
        distractors = [
            (f"{x}°", "is the value of x, not the measure of the angle"),
            (f"{num(wrong_angle)}°", wrong_why),
            third,
        ]
        hints = [
            f"Decide whether {kind} are equal or add to 180°.",
            "Write an equation in x from that relationship and solve it.",
            relation + ".",
        ]
        return mcq(rng, skill, difficulty, stem, f"{angle1}°", distractors, work, hints)

    # hard (SPR): a segment parallel to a side cuts off a similar triangle
    ad = rng.randint(2, 12)
    db = rng.randint(2, 15)
    de = rng.randint(3, 20)
    bc = Fraction(de * (ad + db), ad)
    if de == ad or bc.denominator not in (1, 2, 4):  # DE = AD would make BC = AB
        raise Redraw
    stem = (
        f"In triangle ABC, point D lies on side AB and point E lies on side AC so that DE is "
        f"parallel to BC. If AD = {ad}, DB = {db} and DE = {de}, what is the length of BC?"
    )
    work = (
        f"Because DE ∥ BC, triangle ADE is similar to triangle ABC (they share angle A, and "
        f"corresponding angles are equal). So BC/DE = AB/AD. AB = {ad} + {db} = {ad + db}, and "
        f"BC = {de}·{ad + db}/{ad} = {num(bc)}."
    )
    traps = (
        f"Using DB instead of AB in the ratio gives {de}·{db}/{ad} = {num(Fraction(de * db, ad))}; "
        "the sides of the large triangle are whole sides, from A to B, not the pieces."
    )
    hints = [
        "A segment parallel to one side of a triangle creates a smaller similar triangle.",
        "Match sides: AD goes with AB, and DE goes with BC.",
        f"AB = AD + DB = {ad + db}.",
    ]
    return spr(skill, difficulty, stem, bc, work, traps, hints)


# ---------------------------------------------------------------------------
# Right triangles and trigonometry


def _right_triangle_figure(ac: int, bc: int, labels: dict[str, str]) -> dict[str, object]:
    """Right angle at C, A on the x-axis, B on the y-axis."""
    scale = 8 / max(ac, bc)
    return {
        "kind": "triangle",
        "vertices": {
            "A": [round(ac * scale, 3), 0.0],
            "B": [0.0, round(bc * scale, 3)],
            "C": [0.0, 0.0],
        },
        "labels": labels,
        "right_angle": "C",
    }


@register("right_triangle", "right_triangles_trig")
def right_triangle(rng: random.Random, difficulty: Difficulty) -> Item:
    """Pythagorean theorem (easy, SPR), a trig ratio from sides (medium), a side from tan (hard, SPR)."""
    skill = "right_triangles_trig"
    a, b, c = rng.choice(TRIPLES)
    if rng.random() < 0.5:
        a, b = b, a
    if difficulty == "easy":
        k = rng.randint(1, 6)
        ac, bc, ab = a * k, b * k, c * k
        if rng.random() < 0.5:
            stem = (
                f"In right triangle ABC, angle C is the right angle, AC = {ac} and BC = {bc}. "
                "What is the length of AB?"
            )
            key = ab
            work = f"AB is the hypotenuse: AB² = AC² + BC² = {ac * ac} + {bc * bc} = {ab * ab}, so AB = √{ab * ab} = {ab}."
            traps = f"Adding the legs ({ac} + {bc} = {ac + bc}) ignores the squares; the hypotenuse is always shorter than that sum."
            labels = {"AC": str(ac), "BC": str(bc), "AB": "?"}
            step = f"AB² = {ac}² + {bc}²."
        else:
            stem = (
                f"In right triangle ABC, angle C is the right angle, AB = {ab} and AC = {ac}. "
                "What is the length of BC?"
            )
            key = bc
            work = f"AB is the hypotenuse: BC² = AB² − AC² = {ab * ab} − {ac * ac} = {bc * bc}, so BC = {bc}."
            traps = (
                f"Treating BC as the hypotenuse (BC² = {ab}² + {ac}²) gives about "
                f"{math.sqrt(ab * ab + ac * ac):.1f}, longer than the real hypotenuse AB."
            )
            labels = {"AB": str(ab), "AC": str(ac), "BC": "?"}
            step = f"BC² = {ab}² − {ac}²."
        hints = [
            "Which side is the hypotenuse? It is across from the right angle.",
            "Use the Pythagorean theorem: leg² + leg² = hypotenuse².",
            step,
        ]
        return spr(
            skill, difficulty, stem, key, work, traps, hints, _right_triangle_figure(ac, bc, labels)
        )

    if difficulty == "medium":
        k = rng.randint(1, 4)
        ac, bc, ab = a * k, b * k, c * k
        angle = rng.choice("AB")
        func = rng.choice(["sin", "cos", "tan"])
        opp, adj = (bc, ac) if angle == "A" else (ac, bc)
        value = {"sin": Fraction(opp, ab), "cos": Fraction(adj, ab), "tan": Fraction(opp, adj)}
        names = {
            "sin": "opposite/hypotenuse",
            "cos": "adjacent/hypotenuse",
            "tan": "opposite/adjacent",
        }
        key = frac(value[func])
        others = [f for f in ("sin", "cos", "tan") if f != func]
        distractors = [
            (frac(value[f]), f"is {f} {angle} ({names[f]}), not {func} {angle}") for f in others
        ]
        distractors.append(
            (frac(1 / value[func]), f"is the ratio {func} {angle} turned upside down")
        )
        stem = (
            f"In right triangle ABC, angle C is the right angle, AC = {ac}, BC = {bc} and AB = "
            f"{ab}. What is the value of {func} {angle}?"
        )
        opp_name, adj_name = ("BC", "AC") if angle == "A" else ("AC", "BC")
        raw = {"sin": f"{opp}/{ab}", "cos": f"{adj}/{ab}", "tan": f"{opp}/{adj}"}[func]
        work = (
            f"From angle {angle}, the opposite side is {opp_name} = {opp}, the adjacent side is "
            f"{adj_name} = {adj} and the hypotenuse is AB = {ab}. {func} {angle} = "
            f"{names[func]} = {raw}" + (f" = {key}." if raw != key else ".")
        )
        hints = [
            "SOH-CAH-TOA: sin = opposite/hypotenuse, cos = adjacent/hypotenuse, tan = opposite/adjacent.",
            f"Stand at angle {angle}: which leg is across from it, and which leg touches it?",
            f"The side opposite angle {angle} is {opp_name}.",
        ]
        return mcq(rng, skill, difficulty, stem, key, distractors, work, hints)

    # hard (SPR): tan A and the hypotenuse give a leg
    k = rng.randint(1, 9)
    opp, adj, hyp = a * k, b * k, c * k
    t = Fraction(a, b)
    if t.denominator != b:
        raise Redraw  # the triples are primitive, so this only guards the wording
    side, side_value, other, other_value = rng.choice(
        [("BC", opp, "AC", adj), ("AC", adj, "BC", opp)]
    )
    stem = (
        f"In right triangle ABC, angle C is the right angle and tan A = {frac(t)}. If AB = "
        f"{hyp}, what is the length of {side}?"
    )
    work = (
        f"tan A = BC/AC = {a}/{b}, so BC = {a}t and AC = {b}t for some t > 0. The hypotenuse is "
        f"√(({a}t)² + ({b}t)²) = √{a * a + b * b}·t = {c}t. Since AB = {hyp}, t = {k}, and "
        f"{side} = {a if side == 'BC' else b}·{k} = {side_value}."
    )
    traps = (
        f"Reading {side} straight off tan A ignores the scale: {a}, {b}, {c} are only "
        f"proportional to the sides. Mixing up the legs gives {other} = {other_value} instead."
    )
    hints = [
        "tan A fixes the shape of the triangle but not its size.",
        f"Write BC = {a}t and AC = {b}t, then express AB in terms of t.",
        f"AB = √(({a}t)² + ({b}t)²) = {c}t.",
    ]
    return spr(skill, difficulty, stem, side_value, work, traps, hints)


@register("trig_relations", "right_triangles_trig")
def trig_relations(rng: random.Random, difficulty: Difficulty) -> Item:
    """sin x° = cos k° (easy, SPR), special right triangles (medium), cofunctions with
    expressions (hard, SPR)."""
    skill = "right_triangles_trig"
    if difficulty == "easy":
        k = rng.randint(5, 85)
        if k == 45:
            raise Redraw
        func1, func2 = rng.choice([("sin", "cos"), ("cos", "sin")])
        stem = (
            f"In a right triangle, one acute angle measures x°, and {func1}(x°) = "
            f"{func2}({k}°). What is the value of x?"
        )
        work = (
            f"The acute angles of a right triangle are complementary, and the {func1} of one "
            f"equals the {func2} of the other: {func1}(x°) = {func2}((90 − x)°). So 90 − x = {k} "
            f"and x = {90 - k}."
        )
        traps = (
            f"Answering {k} treats sin and cos as the same function; answering {180 - k} uses "
            "supplementary angles (180°) instead of complementary ones (90°)."
        )
        hints = [
            "How are the two acute angles of a right triangle related?",
            f"The {func2} of one acute angle equals the {func1} of the other acute angle.",
            f"So x and {k} are the two acute angles: x + {k} = 90.",
        ]
        return spr(skill, difficulty, stem, 90 - k, work, traps, hints)

    if difficulty == "medium":
        # Vertex names vary so that the same numbers do not always read the same.
        p, q, r = rng.choice([("P", "Q", "R"), ("D", "E", "F"), ("X", "Y", "Z"), ("J", "K", "L")])
        s = rng.randint(2, 30)
        if rng.random() < 0.5:
            hyp = 2 * s
            stem = (
                f"In right triangle {p}{q}{r}, angle {q} is the right angle, angle {p} measures "
                f"30° and the hypotenuse {p}{r} has length {hyp}. What is the length of {p}{q}?"
            )
            key = f"{s}√3"
            work = (
                "In a 30°-60°-90° triangle the sides are in the ratio 1 : √3 : 2. The shortest "
                f"side, {q}{r}, is opposite the 30° angle: {hyp}/2 = {s}. {p}{q} is opposite the "
                f"60° angle at {r}, so {p}{q} = {s}√3."
            )
            distractors = [
                (str(s), f"is {q}{r}, the side opposite the 30° angle, not {p}{q}"),
                (f"{hyp}√3", "multiplies the hypotenuse by √3 instead of the shorter leg"),
                (f"{s}√2", "uses the 45°-45°-90° ratio"),
            ]
            hints = [
                "This is a 30°-60°-90° triangle; recall its side ratio.",
                "The side opposite 30° is half the hypotenuse; the side opposite 60° is √3 times that.",
                f"{p}{q} is across from angle {r}, which measures 60°.",
            ]
        else:
            stem = (
                f"In right triangle {p}{q}{r}, angle {q} is the right angle and {p}{q} = {q}{r} "
                f"= {s}. What is the length of {p}{r}?"
            )
            key = f"{s}√2"
            work = (
                "Equal legs make a 45°-45°-90° triangle, with sides in the ratio 1 : 1 : √2. So "
                f"{p}{r} = {s}√2 (check: {s}² + {s}² = {2 * s * s} = ({s}√2)²)."
            )
            distractors = [
                (str(2 * s), "adds the legs, but the hypotenuse is shorter than their sum"),
                (f"{s}√3", "uses the 30°-60°-90° ratio"),
                (str(2 * s * s), f"stops at {p}{r}², forgetting the square root"),
            ]
            hints = [
                "Two equal legs: which special right triangle is this?",
                "Use the Pythagorean theorem or the 1 : 1 : √2 ratio.",
                f"{p}{r}² = {s}² + {s}².",
            ]
        return mcq(rng, skill, difficulty, stem, key, distractors, work, hints)

    # hard (SPR): sin((ax + b)°) = cos((cx + d)°) with both angles acute
    a, c = rng.randint(1, 6), rng.randint(1, 6)
    x = rng.randint(2, 20)
    alpha = rng.randint(10, 80)
    b = alpha - a * x
    d = (90 - alpha) - c * x
    if b == 0 or d == 0 or a == c:
        raise Redraw
    stem = (
        f"In the equation sin(({_linear(a, b)[1:-1]})°) = cos(({_linear(c, d)[1:-1]})°), both "
        "angle measures are between 0° and 90°. What is the value of x?"
    )
    work = (
        "sin of an acute angle equals cos of its complement, so the two angles add to 90°: "
        f"{_linear(a, b)[1:-1]} + {_linear(c, d)[1:-1]} = 90, so {a + c}x "
        f"{'+' if b + d >= 0 else MINUS} {abs(b + d)} = 90 and x = {x}."
    )
    wrong = Fraction(d - b, a - c)
    traps = f"Setting the two angles equal instead of complementary gives x = {num(wrong)}."
    hints = [
        "When is the sine of one angle equal to the cosine of another?",
        "The two angle measures must add up to 90°.",
        f"Write {_linear(a, b)[1:-1]} + {_linear(c, d)[1:-1]} = 90.",
    ]
    return spr(skill, difficulty, stem, x, work, traps, hints)


# ---------------------------------------------------------------------------
# Circles


@register("circle_parts", "circles")
def circle_parts(rng: random.Random, difficulty: Difficulty) -> Item:
    """Arc length (easy), sector area with a radian angle (medium), radius by completing the square (hard, SPR)."""
    skill = "circles"
    if difficulty == "easy":
        theta = rng.choice([30, 40, 45, 60, 72, 80, 90, 120, 135, 150, 160])
        r = rng.randint(2, 18)
        key = Fraction(theta * 2 * r, 360)
        if key.denominator > 2:
            raise Redraw
        stem = (
            f"In a circle with center O and radius {r}, points P and Q lie on the circle and "
            f"central angle POQ measures {theta}°. What is the length of the minor arc PQ?"
        )
        work = (
            f"The arc is {theta}/360 of the circumference. Circumference = 2π·{r} = "
            f"{pi_text(2 * r)}. Arc = {frac(Fraction(theta, 360))}·{pi_text(2 * r)} = {pi_text(key)}."
        )
        distractors = [
            (
                pi_text(Fraction(theta * r * r, 360)),
                "is the area of the sector, which uses πr² instead of 2πr",
            ),
            (pi_text(2 * r), "is the whole circumference"),
            (
                pi_text(Fraction(theta * r, 360)),
                "uses πr for the circumference, forgetting the factor 2",
            ),
        ]
        hints = [
            "An arc is a fraction of the whole circumference.",
            f"The fraction is the central angle over 360°: {theta}/360.",
            f"The circumference is 2π·{r}.",
        ]
        rad = math.radians(theta)
        figure = {
            "kind": "circle",
            "center": [0, 0],
            "radius": r,
            "points": {
                "P": [r, 0],
                "Q": [round(r * math.cos(rad), 3), round(r * math.sin(rad), 3)],
            },
            "segments": [["O", "P"], ["O", "Q"]],
            "labels": {"OP": str(r)},
        }
        return mcq(rng, skill, difficulty, stem, pi_text(key), distractors, work, hints, figure)

    if difficulty == "medium":
        p, q = rng.choice(
            [(1, 6), (1, 4), (1, 3), (1, 2), (2, 3), (3, 4), (5, 6), (1, 1), (4, 3), (3, 2)]
        )
        d = 2 * rng.randint(2, 12)
        r = d // 2
        theta = Fraction(p, q)  # times π
        key = Fraction(r * r) * theta / 2
        if key.denominator > 2:
            raise Redraw
        unit = rng.choice(["centimeters", "inches", "meters"])
        stem = (
            f"A circle has a diameter of {d} {unit}. A sector of the circle has a central "
            f"angle of {pi_text(theta)} radians. What is the area of the sector, in square "
            f"{unit}?"
        )
        work = (
            f"The radius is {d}/2 = {r}. The sector is θ/(2π) of the circle: "
            f"({pi_text(theta)})/(2π) = {frac(theta / 2)} of π·{r}² = {pi_text(r * r)}. "
            f"Area = {frac(theta / 2)}·{pi_text(r * r)} = {pi_text(key)} (the same as (1/2)r²θ)."
        )
        distractors = [
            (pi_text(Fraction(d * d) * theta / 2), f"uses the diameter {d} as the radius"),
            (pi_text(r * theta), "is the arc length rθ, not the area"),
            (pi_text(Fraction(r * r) * theta), "forgets the 1/2 in (1/2)r²θ"),
        ]
        hints = [
            "A full turn is 2π radians; a sector is a fraction of the whole disk.",
            "Find the radius first; the problem gives the diameter.",
            f"The sector is ({pi_text(theta)})/(2π) = {frac(theta / 2)} of the circle.",
        ]
        return mcq(rng, skill, difficulty, stem, pi_text(key), distractors, work, hints)

    # hard (SPR): complete the square
    h = rng.randint(-9, 9)
    k = rng.randint(-9, 9)
    r = rng.randint(2, 12)
    if h == 0 or k == 0:
        raise Redraw
    big_d, big_e, big_f = -2 * h, -2 * k, h * h + k * k - r * r
    if big_f == 0:
        raise Redraw

    def term(coef: int, var: str) -> str:
        sign = "+" if coef > 0 else MINUS
        return f" {sign} {abs(coef)}{var}"

    eq = f"x²{term(big_d, 'x')} + y²{term(big_e, 'y')}{term(big_f, '')} = 0"
    stem = f"In the xy-plane, the graph of {eq} is a circle. What is the radius of the circle?"
    work = (
        f"Group and complete each square: x²{term(big_d, 'x')} = (x {'−' if h > 0 else '+'} {abs(h)})² − {h * h} "
        f"and y²{term(big_e, 'y')} = (y {'−' if k > 0 else '+'} {abs(k)})² − {k * k}. The equation "
        f"becomes (x {'−' if h > 0 else '+'} {abs(h)})² + (y {'−' if k > 0 else '+'} {abs(k)})² = "
        f"{h * h} + {k * k} − ({num(big_f)}) = {r * r}, so r² = {r * r} and r = {r}."
    )
    traps = (
        "Forgetting to add the completed squares to the right side leaves r² = "
        f"{num(-big_f)}, and stopping at r² gives {r * r} instead of the radius {r}."
    )
    hints = [
        "Rewrite the equation in the form (x − h)² + (y − k)² = r².",
        "Complete the square for the x-terms and for the y-terms separately.",
        f"Half of {num(big_d)} is {num(-h)}, so x²{term(big_d, 'x')} = (x {'−' if h > 0 else '+'} {abs(h)})² − {h * h}.",
    ]
    return spr(skill, difficulty, stem, r, work, traps, hints)
