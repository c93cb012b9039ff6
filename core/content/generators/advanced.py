"""Generators for the Advanced Math domain: equivalent expressions, nonlinear equations and functions.

The formatting and item-assembly toolkit lives in :mod:`core.content.generators.algebra`.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

from core.content.generators import Redraw, generator, retrying
from core.content.generators.algebra import (
    Wrong,
    build_item,
    nonzero,
    num,
    par,
    point,
    poly,
    shift,
    signed,
    sup,
    terms,
)
from core.content.item import Difficulty, Item


def mono(coef: int | Fraction, *powers: tuple[str, int]) -> str:
    """A monomial such as 6x⁵y² (coefficient 1 omitted, exponent 1 not written)."""
    body = "".join(v + (sup(e) if e != 1 else "") for v, e in powers if e != 0)
    c = Fraction(coef)
    if not body:
        return num(c)
    if abs(c) == 1:
        return ("−" if c < 0 else "") + body
    return num(c) + body


# ================================================================ equivalent_expressions


@generator("expression_expand", "equivalent_expressions")
@retrying
def expression_expand(rng: random.Random, difficulty: Difficulty) -> Item:
    """Expand and combine: distribute a difference (easy), multiply binomials (medium), a coefficient after squaring (hard)."""
    if difficulty == "easy":
        a, c = rng.sample(range(2, 10), 2)
        p, q = nonzero(rng, -9, 9), nonzero(rng, -9, 9)
        if p == -q:  # the same binomial twice would make the item a one-liner
            raise Redraw
        expr = f"{a}({shift('x', -p)}) − {c}({shift('x', q)})"
        stem = f"Which expression is equivalent to {expr}?"
        answer = terms((a - c, "x"), (a * p + c * q, ""))
        steps = [
            f"Distribute {a}: {terms((a, 'x'), (a * p, ''))}.",
            f"Distribute −{c} to both terms: {terms((-c, 'x'), (c * q, ''))}.",
            f"Combine like terms: {answer}.",
        ]
        wrongs = [
            Wrong(
                terms((a - c, "x"), (a * p - c * q, "")),
                f"multiplying {num(-q)} by {c} instead of by −{c}",
            ),
            Wrong(
                terms((a - c, "x"), (p + c * q, "")), f"distributing {a} to x but not to {num(p)}"
            ),
            Wrong(
                terms((a + c, "x"), (a * p + c * q, "")), f"adding {c}x instead of subtracting it"
            ),
            Wrong(terms((a - c, "x"), (a * p - q, "")), f"distributing −{c} to x only"),
        ]
        hints = [
            "Distribute each number outside the parentheses, then combine like terms.",
            f"The minus sign in front of {c} belongs to both terms in its parentheses.",
            f"Worked first step: {a}({shift('x', -p)}) = {terms((a, 'x'), (a * p, ''))}.",
        ]
        return build_item(
            rng, difficulty, stem=stem, answer=answer, steps=steps, wrongs=wrongs, hints=hints
        )
    if difficulty == "medium":
        a, c = rng.randint(1, 5), rng.randint(2, 5)
        b, d = nonzero(rng, -9, 9), nonzero(rng, -9, 9)
        if a * d + b * c == 0 or a * d == b * c:
            raise Redraw
        stem = f"Which expression is equivalent to ({terms((a, 'x'), (b, ''))})({terms((c, 'x'), (d, ''))})?"
        answer = poly(a * c, a * d + b * c, b * d)
        steps = [
            f"First: {mono(a, ('x', 1))}·{mono(c, ('x', 1))} = {mono(a * c, ('x', 2))}. Outer: {mono(a, ('x', 1))}·{par(d)} = {mono(a * d, ('x', 1))}.",
            f"Inner: {num(b)}·{mono(c, ('x', 1))} = {mono(b * c, ('x', 1))}. Last: {num(b)}·{par(d)} = {num(b * d)}.",
            f"Combine the middle terms: {answer}.",
        ]
        wrongs = [
            Wrong(
                poly(a * c, 0, b * d),
                "multiplying only first terms and last terms, dropping the middle term",
            ),
            Wrong(poly(a * c, a * d - b * c, b * d), "a sign slip in one of the middle products"),
            Wrong(
                poly(a * c, a * b + c * d, b * d), "pairing the wrong terms for the middle products"
            ),
            Wrong(poly(a + c, b + d), "adding the binomials instead of multiplying them"),
        ]
        hints = [
            "Every term of the first binomial multiplies every term of the second.",
            "There are four products; two of them are x-terms that combine.",
            f"Worked first step: {mono(a, ('x', 1))}·{mono(c, ('x', 1))} = {mono(a * c, ('x', 2))}.",
        ]
        return build_item(
            rng, difficulty, stem=stem, answer=answer, steps=steps, wrongs=wrongs, hints=hints
        )
    a, b = rng.randint(2, 6), nonzero(rng, -7, 7)
    k, d = rng.randint(2, 9), nonzero(rng, -9, 9)
    if k == a * a:
        raise Redraw
    q = 2 * a * b - k * d
    expr = f"({terms((a, 'x'), (b, ''))})² − {k}x({shift('x', -d)})"
    stem = (
        f"The expression {expr} can be written in the form px² + qx + r, where p, q and r are constants. "
        f"What is the value of q?"
    )
    answer = Fraction(q)
    steps = [
        f"Square the binomial: ({terms((a, 'x'), (b, ''))})² = {poly(a * a, 2 * a * b, b * b)} (the middle term is 2·{a}x·{par(b)}).",
        f"Distribute −{k}x: {poly(-k, -k * d, 0)}.",
        f"Combine the x-terms: {num(2 * a * b)} {signed(-k * d)} = {num(q)}, so q = {num(q)}.",
    ]
    wrongs = [
        Wrong(num(a * b - k * d), "forgetting the factor 2 in the middle term of a square"),
        Wrong(num(2 * a * b + k * d), f"not distributing the minus sign to the {num(d)}"),
        Wrong(
            num(-k * d), "squaring term by term, (a + b)² = a² + b², which loses the middle term"
        ),
        Wrong(num(a * a - k), "giving the coefficient of x² instead of x"),
    ]
    hints = [
        "Expand each part separately, then collect only the x-terms.",
        "A squared binomial has a middle term: (u + v)² = u² + 2uv + v².",
        f"Worked first step: ({terms((a, 'x'), (b, ''))})² = {poly(a * a, 2 * a * b, b * b)}.",
    ]
    return build_item(
        rng,
        difficulty,
        stem=stem,
        answer=num(answer),
        steps=steps,
        wrongs=wrongs,
        hints=hints,
        spr_value=answer,
    )


@generator("rational_expressions", "equivalent_expressions")
@retrying
def rational_expressions(rng: random.Random, difficulty: Difficulty) -> Item:
    """Rational expressions: cancel a common factor (easy), add (medium) or subtract (hard) two fractions."""
    if difficulty == "easy":
        p, q = nonzero(rng, -9, 9), nonzero(rng, -9, 9)
        if p == q or p == -q:
            raise Redraw
        top = poly(1, p + q, p * q)
        stem = f"For x ≠ {num(-p)}, which expression is equivalent to ({top})/({terms((1, 'x'), (p, ''))})?"
        answer = terms((1, "x"), (q, ""))
        steps = [
            f"Factor the numerator: {top} = ({terms((1, 'x'), (p, ''))})({terms((1, 'x'), (q, ''))}), "
            f"since {num(p)}·{par(q)} = {num(p * q)} and {num(p)} {signed(q)} = {num(p + q)}.",
            f"Cancel the common factor ({terms((1, 'x'), (p, ''))}), allowed because x ≠ {num(-p)}: {answer}.",
        ]
        wrongs = [
            Wrong(
                terms((1, "x"), (p, "")),
                "keeping the factor that should cancel and cancelling the other one",
            ),
            Wrong(terms((1, "x"), (-q, "")), "a sign slip when factoring the numerator"),
            Wrong(
                terms((1, "x"), (p + q, "")),
                "dividing the x-terms by x and dropping the constants, instead of cancelling a factor",
            ),
            Wrong(terms((1, "x"), (-p, "")), "keeping the wrong factor and flipping its sign"),
        ]
        hints = [
            "Only common factors cancel, never single terms; factor the numerator first.",
            f"Look for two numbers that multiply to {num(p * q)} and add to {num(p + q)}.",
            f"Worked first step: one of the factors of {top} is ({terms((1, 'x'), (p, ''))}).",
        ]
        return build_item(
            rng, difficulty, stem=stem, answer=answer, steps=steps, wrongs=wrongs, hints=hints
        )
    a, b = rng.randint(1, 9), rng.randint(1, 9)
    p = nonzero(rng, -7, 7)
    if difficulty == "medium":
        if a == b:
            raise Redraw
        den = f"x({terms((1, 'x'), (p, ''))})"
        stem = f"For x ≠ 0 and x ≠ {num(-p)}, which expression is equivalent to {a}/x + {b}/({terms((1, 'x'), (p, ''))})?"
        answer = f"({terms((a + b, 'x'), (a * p, ''))})/({den})"
        steps = [
            f"The common denominator is {den}.",
            f"Rewrite: {a}({terms((1, 'x'), (p, ''))})/({den}) + {terms((b, 'x'))}/({den}).",
            f"Add the numerators: {terms((a, 'x'), (a * p, ''), (b, 'x'))} = {terms((a + b, 'x'), (a * p, ''))}, so {answer}.",
        ]
        wrongs = [
            Wrong(
                f"{a + b}/({terms((2, 'x'), (p, ''))})",
                "adding the numerators and adding the denominators",
            ),
            Wrong(
                f"{a + b}/({den})", "using the common denominator without rescaling the numerators"
            ),
            Wrong(
                f"({terms((a + b, 'x'), (b * p, ''))})/({den})",
                f"multiplying {b} instead of {a} by the missing factor",
            ),
            Wrong(
                f"({terms((a + b, 'x'), (a * p, ''))})/({terms((2, 'x'), (p, ''))})",
                "adding the denominators instead of multiplying them",
            ),
        ]
        hints = [
            "Fractions add only over a common denominator.",
            f"Multiply the top and bottom of {a}/x by ({terms((1, 'x'), (p, ''))}), and of the other fraction by x.",
            f"Worked first step: the common denominator is {den}.",
        ]
        return build_item(
            rng, difficulty, stem=stem, answer=answer, steps=steps, wrongs=wrongs, hints=hints
        )
    q = nonzero(rng, -7, 7)
    if p == q or a == b or a * q - b * p == 0:
        raise Redraw
    d1, d2 = terms((1, "x"), (p, "")), terms((1, "x"), (q, ""))
    den = f"({d1})({d2})"
    stem = f"For x ≠ {num(-p)} and x ≠ {num(-q)}, which expression is equivalent to {a}/({d1}) − {b}/({d2})?"
    answer = f"({terms((a - b, 'x'), (a * q - b * p, ''))})/({den})"
    steps = [
        f"The common denominator is {den}.",
        f"Rescale: {a}({d2}) − {b}({d1}) over {den}.",
        f"Distribute, minding the minus sign: {terms((a, 'x'), (a * q, ''), (-b, 'x'), (-b * p, ''))} = {terms((a - b, 'x'), (a * q - b * p, ''))}.",
        f"So the difference is {answer}.",
    ]
    wrongs = [
        Wrong(
            f"({terms((a - b, 'x'), (a * q + b * p, ''))})/({den})",
            f"not distributing the minus sign to {b}·{par(p)}",
        ),
        Wrong(
            f"({terms((a - b, 'x'), (a * p - b * q, ''))})/({den})",
            "multiplying each numerator by its own denominator's constant",
        ),
        Wrong(
            f"{num(a - b)}/({den})", "using the common denominator without rescaling the numerators"
        ),
        Wrong(
            f"{num(a - b)}/({num(p - q)})" if p - q != 1 else f"{num(a - b)}/(2x {signed(p + q)})",
            "subtracting numerators and denominators separately",
        ),
    ]
    hints = [
        "Fractions subtract only over a common denominator.",
        "Multiply each numerator by the other fraction's denominator, and put the whole second numerator in parentheses.",
        f"Worked first step: the common denominator is {den}.",
    ]
    return build_item(
        rng, difficulty, stem=stem, answer=answer, steps=steps, wrongs=wrongs, hints=hints
    )


@generator("exponent_rules", "equivalent_expressions")
@retrying
def exponent_rules(rng: random.Random, difficulty: Difficulty) -> Item:
    """Exponent rules: a product (easy), a power of a product (medium), negative exponents and a quotient (hard)."""
    if difficulty == "easy":
        p, q = rng.randint(2, 9), rng.randint(2, 9)
        a, b = rng.randint(2, 7), rng.randint(2, 7)
        if a == b == 2:
            raise Redraw
        stem = f"Which expression is equivalent to ({mono(p, ('x', a))})({mono(q, ('x', b))})?"
        answer = mono(p * q, ("x", a + b))
        steps = [
            f"Multiply the coefficients: {p}·{q} = {p * q}.",
            f"Multiply powers of the same base by adding exponents: x{sup(a)}·x{sup(b)} = x{sup(a + b)}.",
            f"So the product is {answer}.",
        ]
        wrongs = [
            Wrong(mono(p * q, ("x", a * b)), "multiplying the exponents instead of adding them"),
            Wrong(mono(p + q, ("x", a + b)), "adding the coefficients instead of multiplying them"),
            Wrong(
                mono(p + q, ("x", a * b)),
                "swapping the operations: adding coefficients and multiplying exponents",
            ),
            Wrong(mono(p * q, ("x", abs(a - b) or 1)), "subtracting the exponents"),
        ]
        hints = [
            "Handle the numbers and the powers of x separately.",
            "When you multiply powers of the same base, the exponents add.",
            f"Worked first step: the coefficients give {p}·{q} = {p * q}.",
        ]
        return build_item(
            rng, difficulty, stem=stem, answer=answer, steps=steps, wrongs=wrongs, hints=hints
        )
    if difficulty == "medium":
        p, n = rng.randint(2, 5), rng.randint(2, 3)
        a, b = rng.randint(2, 6), rng.randint(1, 5)
        stem = f"Which expression is equivalent to ({mono(p, ('x', a), ('y', b))}){sup(n)}?"
        answer = mono(p**n, ("x", a * n), ("y", b * n))
        steps = [
            f"A power of a product raises every factor: {p}{sup(n)}, (x{sup(a)}){sup(n)} and ({mono(1, ('y', b))}){sup(n)}.",
            f"{p}{sup(n)} = {p**n}; a power of a power multiplies exponents: x{sup(a * n)} and {mono(1, ('y', b * n))}.",
            f"So the expression is {answer}.",
        ]
        wrongs = [
            Wrong(
                mono(p, ("x", a * n), ("y", b * n)),
                f"not raising the coefficient {p} to the power {n}",
            ),
            Wrong(
                mono(p * n, ("x", a * n), ("y", b * n)),
                f"multiplying the coefficient by {n} instead of raising it to the power {n}",
            ),
            Wrong(
                mono(p**n, ("x", a + n), ("y", b + n)),
                "adding the exponents instead of multiplying them",
            ),
            Wrong(
                mono(p**n, ("x", a * n), ("y", b)), "raising only the first variable to the power"
            ),
        ]
        hints = [
            f"The exponent {n} applies to every factor inside the parentheses, including the number.",
            "A power of a power multiplies the exponents.",
            f"Worked first step: the coefficient becomes {p}{sup(n)}.",
        ]
        return build_item(
            rng, difficulty, stem=stem, answer=answer, steps=steps, wrongs=wrongs, hints=hints
        )
    a, b, n = rng.randint(2, 5), rng.randint(1, 4), rng.randint(2, 3)
    c = rng.randint(1, a * n - 1)
    ex, ey = a * n - c, b * n + 1
    stem = (
        f"For nonzero x and y, which expression is equivalent to "
        f"(x{sup(a)}y{sup(-b)}){sup(n)}/({mono(1, ('x', c), ('y', 1))})?"
    )
    answer = f"{mono(1, ('x', ex))}/{mono(1, ('y', ey))}"
    steps = [
        f"Raise each factor to the power {n}: x{sup(a * n)}y{sup(-b * n)}.",
        f"Divide by {mono(1, ('x', c), ('y', 1))} by subtracting exponents: "
        f"x to the {a * n} − {c} = {ex}, and y to the {num(-b * n)} − 1 = {num(-ey)}.",
        f"A negative exponent means a reciprocal: y{sup(-ey)} = 1/{mono(1, ('y', ey))}, so the expression is {answer}.",
    ]
    wrongs = [
        Wrong(
            f"{mono(1, ('x', a + n - c))}/{mono(1, ('y', b + n + 1))}",
            "adding the outer exponent instead of multiplying",
        ),
        Wrong(f"{mono(1, ('x', ex), ('y', ey))}", "dropping the negative sign of the y exponent"),
        Wrong(
            f"{mono(1, ('x', a * n + c))}/{mono(1, ('y', b * n - 1))}",
            "adding the denominator's exponents instead of subtracting them",
        ),
        Wrong(
            f"{mono(1, ('x', ex))}/{mono(1, ('y', b + 1))}",
            f"forgetting to multiply the y exponent by {n}",
        ),
    ]
    hints = [
        "Work in order: the power first, then the division, then rewrite negative exponents.",
        f"Raising to the power {n} multiplies each exponent by {n}, including the negative one.",
        f"Worked first step: (x{sup(a)}y{sup(-b)}){sup(n)} = x{sup(a * n)}y{sup(-b * n)}.",
    ]
    return build_item(
        rng, difficulty, stem=stem, answer=answer, steps=steps, wrongs=wrongs, hints=hints
    )


# ================================================================ nonlinear_equations


@generator("quadratic_solve", "nonlinear_equations")
@retrying
def quadratic_solve(rng: random.Random, difficulty: Difficulty) -> Item:
    """Quadratic equations: the positive root by factoring (easy), sum of roots (medium), the quadratic formula (hard)."""
    if difficulty == "easy":
        r1, r2 = rng.randint(1, 12), -rng.randint(1, 12)
        if r1 == -r2:
            raise Redraw
        b, c = -(r1 + r2), r1 * r2
        stem = f"{poly(1, b, c)} = 0\nWhat is the positive solution to the equation above?"
        answer = Fraction(r1)
        steps = [
            f"Find two numbers with product {num(c)} and sum {num(b)}: {num(-r1)} and {num(-r2)}.",
            f"Factor: ({shift('x', r1)})({shift('x', r2)}) = 0, so x = {num(r1)} or x = {num(r2)}.",
            f"The positive solution is {num(r1)}.",
        ]
        wrongs = [
            Wrong(
                num(-r2),
                f"reading the solution straight off the factor ({shift('x', r2)}) without changing the sign",
            ),
            Wrong(num(abs(c)), "giving the constant term instead of a solution"),
            Wrong(num(r1 - r2), "adding the two factor numbers' sizes"),
            Wrong(
                num(abs(b)) if abs(b) != r1 else num(r1 + 1), "giving the size of the x-coefficient"
            ),
        ]
        hints = [
            "Try to factor the left side into two binomials.",
            f"You need two numbers that multiply to {num(c)} and add to {num(b)}.",
            f"Worked first step: the two numbers are {num(-r1)} and {num(-r2)}.",
        ]
        return build_item(
            rng,
            difficulty,
            stem=stem,
            answer=num(answer),
            steps=steps,
            wrongs=wrongs,
            hints=hints,
            spr_value=answer,
        )
    if difficulty == "medium":
        p, r = rng.randint(2, 5), nonzero(rng, -9, 9)
        q = nonzero(rng, -9, 9)
        if math.gcd(p, abs(q)) != 1:
            raise Redraw
        a, b, c = p, p * r + q, q * r  # (px + q)(x + r)
        total = Fraction(-b, a)
        stem = f"{poly(a, b, c)} = 0\nWhat is the sum of the solutions to the equation above?"
        steps = [
            f"Factor: ({terms((p, 'x'), (q, ''))})({terms((1, 'x'), (r, ''))}) = 0.",
            f"The solutions are x = {num(Fraction(-q, p))} and x = {num(-r)}.",
            f"Their sum is {num(total)} (which matches −b/a = {num(total)}).",
        ]
        wrongs = [
            Wrong(num(-total), "a sign slip: the sum of the solutions is −b/a, not b/a"),
            Wrong(num(-b), f"forgetting to divide by the leading coefficient {a}"),
            Wrong(num(Fraction(c, a)), "computing the product of the solutions instead of the sum"),
            Wrong(
                num(Fraction(q, p) + r),
                "reading the solutions off the factors without changing signs",
            ),
        ]
        hints = [
            "You can factor, or use the fact that for ax² + bx + c = 0 the solutions add to −b/a.",
            f"The leading coefficient is {a}, so factor as (({a})x + ?)(x + ?).",
            f"Worked first step: {poly(a, b, c)} = ({terms((p, 'x'), (q, ''))})({terms((1, 'x'), (r, ''))}).",
        ]
        return build_item(
            rng,
            difficulty,
            stem=stem,
            answer=num(total),
            steps=steps,
            wrongs=wrongs,
            hints=hints,
            spr_value=total,
        )
    h, c = nonzero(rng, -6, 6), nonzero(rng, -15, 15)
    disc = h * h - c
    if disc <= 1 or math.isqrt(disc) ** 2 == disc or disc > 60:
        raise Redraw
    stem = f"{poly(1, -2 * h, c)} = 0\nWhich of the following gives the solutions to the equation above?"
    answer = f"x = {num(h)} ± √{disc}"
    steps = [
        f"Quadratic formula with a = 1, b = {num(-2 * h)}, c = {num(c)}: x = ({num(2 * h)} ± √({num(4 * h * h)} {signed(-4 * c)}))/2.",
        f"The discriminant is {4 * disc} = 4·{disc}, and √(4·{disc}) = 2√{disc}.",
        f"Divide each term by 2: {answer}.",
    ]
    wrongs = [
        Wrong(
            f"x = {num(-h)} ± √{disc}",
            "a sign slip: the formula starts with −b, and b is negative here",
        ),
        Wrong(
            f"x = {num(h)} ± √{h * h + c}" if h * h + c > 0 else f"x = {num(h)} ± √{disc + 2}",
            "a sign slip in b² − 4ac",
        ),
        Wrong(f"x = {num(2 * h)} ± √{4 * disc}", "forgetting to divide by 2a"),
        Wrong(f"x = {num(h)} ± {disc}", "dropping the square root"),
    ]
    hints = [
        "The left side does not factor over the integers; use the quadratic formula or complete the square.",
        f"Completing the square: move {num(c)} to the right side and add {h * h} to both sides.",
        f"Worked first step: ({shift('x', h)})² = {disc}.",
    ]
    return build_item(
        rng, difficulty, stem=stem, answer=answer, steps=steps, wrongs=wrongs, hints=hints
    )


_COUNT2, _COUNT1, _COUNT0, _COUNT_INF = (
    "Exactly two real solutions",
    "Exactly one real solution",
    "No real solutions",
    "Infinitely many real solutions",
)


@generator("quadratic_discriminant", "nonlinear_equations")
@retrying
def quadratic_discriminant(rng: random.Random, difficulty: Difficulty) -> Item:
    """The discriminant: count real solutions (easy), a tangent constant (medium), a line meeting a parabola once (hard)."""
    if difficulty == "easy":
        a, b = nonzero(rng, -5, 5), nonzero(rng, -10, 10)
        kind = rng.choice([_COUNT2, _COUNT1, _COUNT0])
        if kind == _COUNT1:
            if b % 2 or (b * b) % (4 * a):
                raise Redraw
            c = Fraction(b * b, 4 * a)
        else:
            c = Fraction(nonzero(rng, -12, 12))
        disc = b * b - 4 * a * c
        if (kind == _COUNT2) != (disc > 0) or (kind == _COUNT0) != (disc < 0) or c.denominator != 1:
            raise Redraw
        stem = f"{poly(a, b, c)} = 0\nHow many real solutions does the equation above have?"
        steps = [
            f"The discriminant is b² − 4ac = {par(b)}² − 4·{par(a)}·{par(c)} = {num(disc)}.",
            {
                _COUNT2: "A positive discriminant means two real solutions.",
                _COUNT1: "A zero discriminant means exactly one real solution.",
                _COUNT0: "A negative discriminant means no real solutions.",
            }[kind],
        ]
        reasons = {
            _COUNT2: "a sign slip in b² − 4ac (a positive discriminant gives two solutions)",
            _COUNT1: "reading a zero discriminant where there is none",
            _COUNT0: "a sign slip in b² − 4ac (a negative discriminant gives none)",
            _COUNT_INF: "treating the quadratic like an identity; a quadratic equation has at most two solutions",
        }
        wrongs = [
            Wrong(k, reasons[k]) for k in (_COUNT2, _COUNT1, _COUNT0, _COUNT_INF) if k != kind
        ]
        hints = [
            "You do not need the solutions themselves, only how many there are.",
            "Compute the discriminant b² − 4ac and look at its sign.",
            f"Worked first step: a = {num(a)}, b = {num(b)}, c = {num(c)}.",
        ]
        return build_item(
            rng, difficulty, stem=stem, answer=kind, steps=steps, wrongs=wrongs, hints=hints
        )
    if difficulty == "medium":
        u, v = rng.randint(1, 4), rng.randint(1, 12)
        if math.gcd(u, v) != 1 or (u == 1 and v == 1):
            raise Redraw
        a, c = u * u, v * v
        stem = (
            f"{mono(a, ('x', 2))} + kx + {c} = 0\nIn the equation above, k is a positive constant. If the equation "
            f"has exactly one real solution, what is the value of k?"
        )
        answer = Fraction(2 * u * v)
        steps = [
            f"Exactly one real solution means the discriminant is 0: k² − 4·{a}·{c} = 0.",
            f"k² = {4 * a * c}, and k is positive, so k = √{4 * a * c} = {2 * u * v}.",
        ]
        wrongs = [
            Wrong(num(u * v), "leaving out the 4 in b² − 4ac"),
            Wrong(num(4 * a * c), "forgetting to take the square root of k²"),
            Wrong(num(2 * a * c), "doubling ac instead of taking the square root of 4ac"),
            Wrong(num(a + c), "adding the other two coefficients"),
        ]
        hints = [
            "Which part of the quadratic formula decides how many real solutions there are?",
            "Set the discriminant b² − 4ac equal to 0, with b = k.",
            f"Worked first step: k² − 4·{a}·{c} = 0.",
        ]
        return build_item(
            rng,
            difficulty,
            stem=stem,
            answer=num(answer),
            steps=steps,
            wrongs=wrongs,
            hints=hints,
            spr_value=answer,
        )
    b, m = nonzero(rng, -8, 8), nonzero(rng, -5, 5)
    c = rng.randint(-10, 10)
    e = b - m
    if e % 2 or e == 0:
        raise Redraw
    k = Fraction(c) - Fraction(e * e, 4)
    stem = (
        f"y = {poly(1, b, c)}\ny = {terms((m, 'x'))} + k\nIn the system of equations above, k is a constant. "
        f"For what value of k does the system have exactly one real solution?"
    )
    steps = [
        f"Set the expressions for y equal: {poly(1, b, c)} = {terms((m, 'x'))} + k, so {poly(1, e, 0)} + ({num(c)} − k) = 0.",
        f"One solution means the discriminant is 0: {par(e)}² − 4({num(c)} − k) = 0, so {e * e} = {num(4 * c)} − 4k.",
        f"k = {num(k)}.",
    ]
    wrongs = [
        Wrong(num(Fraction(c) + Fraction(e * e, 4)), "a sign slip when solving for k"),
        Wrong(num(c - e * e), "forgetting the 4 in b² − 4ac"),
        Wrong(
            num(Fraction(c) - Fraction((b + m) ** 2, 4)),
            "adding the line's slope to the parabola's x-coefficient instead of subtracting it",
        ),
        Wrong(num(c), "matching the constants instead of using the discriminant"),
    ]
    hints = [
        "A solution of the system is an x where the two expressions for y are equal.",
        "Set them equal, collect everything on one side, and ask when that quadratic has exactly one solution.",
        f"Worked first step: {poly(1, b, c)} = {terms((m, 'x'))} + k.",
    ]
    return build_item(
        rng,
        difficulty,
        stem=stem,
        answer=num(k),
        steps=steps,
        wrongs=wrongs,
        hints=hints,
        spr_value=k,
    )


@generator("line_parabola_system", "nonlinear_equations")
@retrying
def line_parabola_system(rng: random.Random, difficulty: Difficulty) -> Item:
    """A parabola and a line: a horizontal line (easy), one intersection's y (medium), the sum of the y's (hard)."""
    if difficulty == "easy":
        q, r = rng.randint(-20, 10), rng.randint(2, 9)
        n = q + r * r
        stem = f"y = {poly(1, 0, q)}\ny = {num(n)}\nIf (x, y) is a solution to the system of equations above and x > 0, what is the value of x?"
        answer = Fraction(r)
        steps = [
            f"Substitute y = {num(n)}: {poly(1, 0, q)} = {num(n)}.",
            f"x² = {num(n)} {signed(-q)} = {r * r}.",
            f"x = {r} (the positive square root).",
        ]
        wrongs = [
            Wrong(num(r * r), "stopping at x² without taking the square root"),
            Wrong(num(n), "giving the y-value instead of x"),
            Wrong(
                num(math.isqrt(abs(n + q))) if math.isqrt(abs(n + q)) != r else num(r + 1),
                f"adding {num(q)} instead of subtracting it",
            ),
            Wrong(num(-r), "taking the negative square root, although x > 0"),
        ]
        hints = [
            "Both equations give y; at a solution the two values agree.",
            f"Replace y in the first equation with {num(n)}.",
            f"Worked first step: {poly(1, 0, q)} = {num(n)}.",
        ]
        return build_item(
            rng,
            difficulty,
            stem=stem,
            answer=num(answer),
            steps=steps,
            wrongs=wrongs,
            hints=hints,
            spr_value=answer,
        )
    r1, r2 = rng.randint(1, 8), -rng.randint(1, 8)
    m, n = nonzero(rng, -5, 5), rng.randint(-12, 12)
    # x² + px + q − (mx + n) = (x − r1)(x − r2)
    p, q = m - (r1 + r2), n + r1 * r2
    if p == 0 or r1 == -r2:
        raise Redraw
    y1, y2 = m * r1 + n, m * r2 + n
    system = f"y = {poly(1, p, q)}\ny = {terms((m, 'x'), (n, ''))}"
    steps = [
        f"Set the right sides equal: {poly(1, p, q)} = {terms((m, 'x'), (n, ''))}.",
        f"Collect terms: {poly(1, p - m, q - n)} = 0, which factors as ({shift('x', r1)})({shift('x', r2)}) = 0.",
        f"So x = {num(r1)} or x = {num(r2)}, and the line gives y = {num(y1)} or y = {num(y2)}.",
    ]
    hints = [
        "At an intersection the two expressions for y are equal.",
        "Set them equal and move everything to one side to get a quadratic equal to 0.",
        f"Worked first step: {poly(1, p - m, q - n)} = 0.",
    ]
    if difficulty == "medium":
        stem = f"{system}\nThe graphs of the equations above intersect at two points. What is the y-coordinate of the point whose x-coordinate is positive?"
        answer = Fraction(y1)
        steps.append(f"The point with positive x is {point(r1, y1)}, so the answer is {num(y1)}.")
        wrongs = [
            Wrong(num(r1), "giving the x-coordinate instead of the y-coordinate"),
            Wrong(num(y2), "using the other intersection point"),
            Wrong(
                num(-m * r1 + n),
                f"reading the solution off the factor ({shift('x', r1)}) with the wrong sign",
            ),
            Wrong(num(r1 * r1 + q), "leaving out the x-term of the parabola when finding y"),
        ]
    else:
        stem = f"{system}\nThe graphs of the equations above intersect at the points (x₁, y₁) and (x₂, y₂). What is the value of y₁ + y₂?"
        answer = Fraction(y1 + y2)
        steps.append(f"y₁ + y₂ = {num(y1)} {signed(y2)} = {num(y1 + y2)}.")
        wrongs = [
            Wrong(num(r1 + r2), "adding the x-coordinates instead of the y-coordinates"),
            Wrong(
                num(-m * (r1 + r2) + 2 * n),
                "reading the solutions off the factors with the wrong signs",
            ),
            Wrong(num(y1 + y2 - n), "counting the line's constant term only once"),
            Wrong(num(y1 * y2), "multiplying the y-coordinates"),
        ]
    return build_item(
        rng,
        difficulty,
        stem=stem,
        answer=num(answer),
        steps=steps,
        wrongs=wrongs,
        hints=hints,
        spr_value=answer,
    )


# ================================================================ nonlinear_functions


@generator("exponential_model", "nonlinear_functions")
@retrying
def exponential_model(rng: random.Random, difficulty: Difficulty) -> Item:
    """Exponential models: read the percent from the factor (easy), build the model (medium), evaluate over periods (hard)."""
    if difficulty == "easy":
        pct = rng.choice([2, 3, 4, 5, 6, 8, 12, 15, 20, 25, 30, 35, 40])
        grow = rng.random() < 0.5
        factor = Fraction(100 + pct if grow else 100 - pct, 100)
        start = rng.randint(2, 90) * 50
        thing = rng.choice(
            ["the value of a painting", "the number of members of a club", "the mass of a sample"]
        )
        stem = f"The function f(t) = {start}({dec(factor)})ᵗ models {thing} t years after 2020. Which statement best describes how f changes?"
        verb, other = ("increases", "decreases") if grow else ("decreases", "increases")
        answer = f"It {verb} by {pct}% each year."
        steps = [
            f"A model P(r)ᵗ multiplies by r each year. Here r = {dec(factor)}, which is {'greater' if grow else 'less'} than 1.",
            f"{dec(factor)} = 1 {'+' if grow else '−'} {dec(Fraction(pct, 100))}, so the quantity {verb} by {pct}% each year.",
        ]
        wrongs = [
            Wrong(
                f"It {verb} by {100 + pct if grow else 100 - pct}% each year.",
                "reading the growth factor itself as the percent change",
            ),
            Wrong(
                f"It {other} by {pct}% each year.",
                f"mixing up growth and decay (a factor {'above' if grow else 'below'} 1 means the quantity {verb})",
            ),
            Wrong(
                f"It {verb} by {dec(Fraction(pct, 100))}% each year.",
                "forgetting to turn the decimal into a percent",
            ),
            Wrong(
                f"It {verb} by {start * pct // 100} each year.",
                "treating the change as a fixed amount rather than a percent",
            ),
        ]
        hints = [
            "Compare the number being raised to the power t with 1.",
            "Write the factor as 1 + r or 1 − r; r as a percent is the change per year.",
            f"Worked first step: {dec(factor)} = 1 {'+' if grow else '−'} {dec(Fraction(pct, 100))}.",
        ]
        return build_item(
            rng, difficulty, stem=stem, answer=answer, steps=steps, wrongs=wrongs, hints=hints
        )
    if difficulty == "medium":
        pct = rng.choice([2, 3, 4, 5, 6, 8, 9, 12, 15])
        grow = rng.random() < 0.5
        start = rng.randint(2, 60) * 100
        factor = Fraction(100 + pct if grow else 100 - pct, 100)
        what = "grows" if grow else "shrinks"
        stem = (
            f"A town had a population of {start} at the start of 2020, and its population {what} by {pct}% each year. "
            f"Which function gives the town's population t years after the start of 2020?"
        )
        answer = f"P(t) = {start}({dec(factor)})ᵗ"
        steps = [
            f"Each year the population is multiplied by 1 {'+' if grow else '−'} {dec(Fraction(pct, 100))} = {dec(factor)}.",
            f"After t years it has been multiplied t times: {answer}.",
        ]
        opp = Fraction(100 - pct if grow else 100 + pct, 100)
        wrongs = [
            Wrong(
                f"P(t) = {start}({dec(opp)})ᵗ",
                f"using {'decay' if grow else 'growth'} instead of {'growth' if grow else 'decay'}",
            ),
            Wrong(
                f"P(t) = {start}({dec(Fraction(pct, 100))})ᵗ",
                "using the percent change itself as the factor, instead of 1 plus or minus it",
            ),
            Wrong(
                f"P(t) = {start} {'+' if grow else '−'} {start * pct // 100}t",
                "modeling a percent change as a fixed change each year",
            ),
            Wrong(
                f"P(t) = {start}({dec(Fraction(100 + 10 * pct if grow else 100 - 10 * pct, 100))})ᵗ",
                "misplacing the decimal point of the percent",
            ),
        ]
        hints = [
            "A constant percent change each year means the same multiplier each year.",
            f"What number do you multiply by to {'add' if grow else 'take away'} {pct}%?",
            f"Worked first step: the yearly multiplier is 1 {'+' if grow else '−'} {dec(Fraction(pct, 100))}.",
        ]
        return build_item(
            rng, difficulty, stem=stem, answer=answer, steps=steps, wrongs=wrongs, hints=hints
        )
    base = rng.choice([2, 3])
    period = rng.choice([2, 3, 4, 5, 6])
    n = rng.randint(2, 4 if base == 2 else 3)
    start = rng.choice([50, 100, 120, 150, 200, 250, 300, 400, 500])
    total = period * n
    answer = Fraction(start * base**n)
    if answer >= 100000:
        raise Redraw
    word = "doubles" if base == 2 else "triples"
    stem = (
        f"A lab culture starts with {start} bacteria, and the number of bacteria {word} every {period} hours. "
        f"How many bacteria are in the culture {total} hours after it starts?"
    )
    steps = [
        f"In {total} hours there are {total}/{period} = {n} periods of {period} hours.",
        f"The count is multiplied by {base} once per period: {start}·{base}{sup(n)} = {start}·{base**n} = {num(answer)}.",
    ]
    wrongs = [
        Wrong(num(start * base ** (n - 1)), "counting one period too few"),
        Wrong(num(start * base * n), f"multiplying by {base}·{n} instead of by {base}{sup(n)}"),
        Wrong(
            num(start + start * (base - 1) * n),
            f"adding {start * (base - 1)} each period, as if the growth were linear",
        ),
        Wrong(num(start * base ** (n + 1)), "counting one period too many"),
    ]
    hints = [
        f"First work out how many {period}-hour periods fit into {total} hours.",
        f"Each period multiplies the count by {base}; repeated multiplication is a power.",
        f"Worked first step: {total}/{period} = {n} periods.",
    ]
    return build_item(
        rng,
        difficulty,
        stem=stem,
        answer=num(answer),
        steps=steps,
        wrongs=wrongs,
        hints=hints,
        spr_value=answer,
    )


def dec(f: Fraction) -> str:
    """A terminating fraction as a decimal without trailing zeros: 23/20 → 1.15."""
    text = f"{float(f):.4f}".rstrip("0").rstrip(".")
    return text


@generator("quadratic_vertex", "nonlinear_functions")
@retrying
def quadratic_vertex(rng: random.Random, difficulty: Difficulty) -> Item:
    """Extreme values of quadratics: vertex form (easy), standard form (medium), factored form with a graph (hard)."""
    if difficulty == "easy":
        a = rng.choice([-3, -2, -1, 1, 2, 3])
        h, k = nonzero(rng, -9, 9), nonzero(rng, -15, 15)
        if abs(h) == abs(k):
            raise Redraw
        kind = "minimum" if a > 0 else "maximum"
        lead = "" if a == 1 else "−" if a == -1 else num(a)
        stem = f"f(x) = {lead}({shift('x', h)})² {signed(k)}\nWhat is the {kind} value of the function f defined above?"
        answer = Fraction(k)
        steps = [
            f"In vertex form a(x − h)² + k, the vertex is (h, k); here it is {point(h, k)}.",
            f"Since a = {num(a)} is {'positive' if a > 0 else 'negative'}, the parabola opens {'up' if a > 0 else 'down'}, so the {kind} value is k = {num(k)}.",
        ]
        wrongs = [
            Wrong(num(h), "giving the x-coordinate of the vertex instead of the value of f"),
            Wrong(num(-h), "reading h with the wrong sign and giving it as the value"),
            Wrong(
                num(a * h * h + k), "computing f(0), the y-intercept, instead of the vertex value"
            ),
            Wrong(num(-k), "a sign slip on k"),
        ]
        hints = [
            "This form shows the vertex directly.",
            f"The squared term is never {'negative' if a > 0 else 'positive'}; what is it at the vertex?",
            f"Worked first step: ({shift('x', h)})² is 0 when x = {num(h)}.",
        ]
        return build_item(
            rng,
            difficulty,
            stem=stem,
            answer=num(answer),
            steps=steps,
            wrongs=wrongs,
            hints=hints,
            spr_value=answer,
        )
    if difficulty == "medium":
        h, c = nonzero(rng, -8, 8), rng.randint(-20, 30)
        b = -2 * h
        low = c - h * h
        stem = f"f(x) = {poly(1, b, c)}\nWhat is the minimum value of the function f defined above?"
        answer = Fraction(low)
        steps = [
            f"The vertex is at x = −b/(2a) = {num(-b)}/2 = {num(h)}.",
            f"f({num(h)}) = {par(h)}² {signed(b)}·{par(h)} {signed(c)} = {num(low)}.",
            f"(Completing the square gives the same: f(x) = ({shift('x', h)})² {signed(low)}.)",
        ]
        wrongs = [
            Wrong(num(c), "giving the y-intercept f(0)"),
            Wrong(num(h), "giving the x-coordinate of the vertex"),
            Wrong(num(c + h * h), "a sign slip when completing the square"),
            Wrong(
                num(c - b * b), "forgetting to halve b before squaring when completing the square"
            ),
        ]
        hints = [
            "The minimum of an upward parabola is at its vertex.",
            "The vertex's x-coordinate is −b/(2a); substitute it into f.",
            f"Worked first step: x = −({num(b)})/2 = {num(h)}.",
        ]
        return build_item(
            rng,
            difficulty,
            stem=stem,
            answer=num(answer),
            steps=steps,
            wrongs=wrongs,
            hints=hints,
            spr_value=answer,
        )
    a = rng.choice([1, 2, 3, -1, -2])
    p, q = rng.sample(range(-7, 9), 2)
    if (p + q) % 2 or p * q == 0:
        raise Redraw
    h = (p + q) // 2
    value = a * (h - p) * (h - q)
    kind = "minimum" if a > 0 else "maximum"
    lead = "" if a == 1 else "−" if a == -1 else num(a)
    stem = (
        f"f(x) = {lead}({shift('x', p)})({shift('x', q)})\n"
        f"The graph of y = f(x) is shown. What is the {kind} value of f?"
    )
    figure = {
        "kind": "function",
        "expr": f"{a}*(x - ({p}))*(x - ({q}))",
        "xmin": min(p, q) - 3,
        "xmax": max(p, q) + 3,
        "points": [[p, 0], [q, 0]],
        "title": "y = f(x)",
    }
    steps = [
        f"The zeros are x = {num(p)} and x = {num(q)}; by symmetry the vertex is midway: x = ({num(p)} {signed(q)})/2 = {num(h)}.",
        f"f({num(h)}) = {num(a)}·({num(h)} {signed(-p)})·({num(h)} {signed(-q)}) = {num(value)}.",
        f"The parabola opens {'up' if a > 0 else 'down'}, so this is the {kind}: {num(value)}.",
    ]
    wrongs = [
        Wrong(num(h), "giving the x-coordinate of the vertex"),
        Wrong(num(a * p * q), "giving the y-intercept f(0)"),
        Wrong(num(-value), "a sign slip in the final product"),
        Wrong(num((h - p) * (h - q)), f"leaving out the factor {num(a)}"),
    ]
    hints = [
        "A parabola is symmetric: its vertex is halfway between its zeros.",
        "Find the zeros from the factors, average them, then evaluate f there.",
        f"Worked first step: the zeros are {num(p)} and {num(q)}.",
    ]
    return build_item(
        rng,
        difficulty,
        stem=stem,
        answer=num(value),
        steps=steps,
        wrongs=wrongs,
        hints=hints,
        spr_value=Fraction(value),
        figure=figure,
    )


@generator("quadratic_from_graph", "nonlinear_functions")
@retrying
def quadratic_from_graph(rng: random.Random, difficulty: Difficulty) -> Item:
    """Read a quadratic from its graph: the factored form (easy, medium) or the zeros after a shift (hard)."""
    p, q = rng.sample(range(-6, 7), 2)
    if p == 0 or q == 0 or p == -q:
        raise Redraw
    a = 1 if difficulty == "easy" else rng.choice([-2, -1, 2, 3])
    yint = a * p * q
    figure = {
        "kind": "function",
        "expr": f"{a}*(x - ({p}))*(x - ({q}))",
        "xmin": min(p, q, 0) - 2,
        "xmax": max(p, q, 0) + 2,
        "points": [[p, 0], [q, 0], [0, yint]],
        "title": "y = f(x)",
    }
    lo, hi = sorted((p, q))
    described = (
        f"The graph of the quadratic function y = f(x) is shown. It crosses the x-axis at {point(lo, 0)} and "
        f"{point(hi, 0)} and the y-axis at {point(0, yint)}."
    )

    def form(c: int, r: int, s: int) -> str:
        lead = "" if c == 1 else "−" if c == -1 else num(c)
        return f"f(x) = {lead}({shift('x', r)})({shift('x', s)})"

    if difficulty != "hard":
        stem = f"{described}\nWhich equation could define f?"
        answer = form(a, lo, hi)
        steps = [
            f"Zeros at {num(lo)} and {num(hi)} give the factors ({shift('x', lo)}) and ({shift('x', hi)}).",
            f"So f(x) = a({shift('x', lo)})({shift('x', hi)}); at x = 0 this is a·{par(p * q)}, which must equal {num(yint)}, so a = {num(a)}.",
            f"Hence {answer}.",
        ]
        wrongs = [
            Wrong(form(a, -lo, -hi), "writing each zero as (x + zero) instead of (x − zero)"),
            Wrong(form(-a, lo, hi), "ignoring which way the parabola opens (the sign of a)"),
            Wrong(
                form(2 * a if a == 1 else 1, lo, hi),
                "ignoring the y-intercept when choosing the leading coefficient",
            ),
            Wrong(form(a, lo, -hi), "a sign slip in one factor"),
        ]
        hints = [
            "Each x-intercept r of the graph gives a factor of f.",
            "A zero at x = r gives the factor (x − r); then use the y-intercept to fix the leading coefficient.",
            f"Worked first step: the zero at {num(lo)} gives the factor ({shift('x', lo)}).",
        ]
        return build_item(
            rng,
            difficulty,
            stem=stem,
            answer=answer,
            steps=steps,
            wrongs=wrongs,
            hints=hints,
            figure=figure,
        )
    h = nonzero(rng, -5, 5)
    shift_text = f"f(x + {h})" if h > 0 else f"f(x − {-h})"
    stem = (
        f"{described}\nThe function g is defined by g(x) = {shift_text}. What are the zeros of g?"
    )

    def zeros(u: int, v: int) -> str:
        u, v = sorted((u, v))
        return f"{num(u)} and {num(v)}"

    answer = zeros(lo - h, hi - h)
    steps = [
        f"g(x) = 0 exactly when f(x {signed(h)}) = 0, that is when x {signed(h)} is a zero of f.",
        f"x {signed(h)} = {num(lo)} gives x = {num(lo - h)}; x {signed(h)} = {num(hi)} gives x = {num(hi - h)}.",
        f"Replacing x with x {signed(h)} shifts the graph {abs(h)} unit{'s' if abs(h) > 1 else ''} to the {'left' if h > 0 else 'right'}: the zeros are {answer}.",
    ]
    wrongs = [
        Wrong(zeros(lo + h, hi + h), "shifting the graph the wrong way"),
        Wrong(zeros(lo, hi), "assuming a horizontal shift leaves the zeros unchanged"),
        Wrong(zeros(-lo - h, -hi - h), "reading the zeros of f with the wrong signs"),
        Wrong(
            zeros(lo * h, hi * h) if h not in (1, -1) else zeros(lo - 2 * h, hi - 2 * h),
            "scaling the zeros instead of shifting them",
        ),
    ]
    hints = [
        "g(x) is zero exactly when the input of f is one of f's zeros.",
        f"Solve x {signed(h)} = (each zero of f).",
        f"Worked first step: f has zeros at {num(lo)} and {num(hi)}.",
    ]
    return build_item(
        rng,
        difficulty,
        stem=stem,
        answer=answer,
        steps=steps,
        wrongs=wrongs,
        hints=hints,
        figure=figure,
    )
