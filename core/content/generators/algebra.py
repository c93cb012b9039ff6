"""Generators for the Algebra domain (linear equations, functions, systems, inequalities).

Also home of the small toolkit every Math generator shares: Unicode number
and polynomial formatting, SPR key forms, and :func:`build_item`, which turns
a computed answer plus error-driven distractors into a finished :class:`Item`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from core.content.generators import Redraw, generator, retrying
from core.content.item import CHOICE_LETTERS, Difficulty, Item
from core.content.spr import accepted_forms

Num = Fraction | int
MINUS = "−"
_SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")

# About a quarter of Math items on the real test are student-produced response.
# Only items with a numeric answer can be SPR (about half of ours), so those
# become SPR 40% of the time, which brings the overall share near 25%.
SPR_SHARE = 0.4


# ---------------------------------------------------------------- formatting


def sup(n: int) -> str:
    """An integer exponent in Unicode superscript digits (2 → ², −3 → ⁻³)."""
    return str(n).translate(_SUP)


def num(v: Num) -> str:
    """A rational number for students: 3, −3, 7/2, −7/2 (Unicode minus)."""
    f = Fraction(v)
    a = abs(f)
    body = str(a.numerator) if a.denominator == 1 else f"{a.numerator}/{a.denominator}"
    return MINUS + body if f < 0 else body


def terms(*pairs: tuple[Num, str]) -> str:
    """A sum of coefficient·variable terms ("" for a constant) as '3x − 5'."""
    out: list[str] = []
    for coef, var in pairs:
        c = Fraction(coef)
        if c == 0:
            continue
        mag = abs(c)
        if var and mag == 1:
            body = var
        elif var and mag.denominator != 1:
            body = f"({num(mag)}){var}"
        else:
            body = num(mag) + var
        if not out:
            out.append(MINUS + body if c < 0 else body)
        else:
            out.append((" − " if c < 0 else " + ") + body)
    return "".join(out) or "0"


def poly(*coeffs: Num, var: str = "x") -> str:
    """A polynomial from its coefficients, highest power first: poly(2, −3, 1) = '2x² − 3x + 1'."""
    top = len(coeffs) - 1
    pairs = []
    for i, c in enumerate(coeffs):
        p = top - i
        pairs.append((c, var + sup(p) if p > 1 else var if p == 1 else ""))
    return terms(*pairs)


def point(x: Num, y: Num) -> str:
    """An ordered pair: (3, −2)."""
    return f"({num(x)}, {num(y)})"


def par(v: Num) -> str:
    """A number ready to follow an operator: negatives in parentheses, (−3)."""
    return f"({num(v)})" if v < 0 else num(v)


def signed(v: Num) -> str:
    """A constant to append after a term: '+ 4' or '− 4'."""
    return f"+ {num(v)}" if v >= 0 else f"− {num(-Fraction(v))}"


def shift(var: str, h: Num) -> str:
    """The binomial (var − h) written the way students see it: x − 3 or x + 3."""
    return terms((1, var), (-Fraction(h), ""))


# ---------------------------------------------------------------- SPR keys


def spr_entries(v: Num) -> list[str] | None:
    """The SPR entries to accept for ``v`` (fraction and decimal forms), or None if none fits."""
    return accepted_forms(Fraction(v)) or None


# ---------------------------------------------------------------- item assembly


@dataclass(frozen=True)
class Wrong:
    """A distractor and the student error that produces it."""

    text: str
    error: str


def build_item(
    rng: random.Random,
    difficulty: Difficulty,
    *,
    stem: str,
    answer: str,
    steps: list[str],
    wrongs: list[Wrong],
    hints: list[str],
    spr_value: Num | None = None,
    figure: dict[str, Any] | None = None,
) -> Item:
    """Assemble an MCQ (or, for a numeric answer that fits, sometimes an SPR) item.

    ``wrongs`` lists candidate distractors in order of preference; the first
    three distinct ones that differ from ``answer`` are used, so a generator
    can offer a spare. Too few distinct distractors raises :class:`Redraw`.
    """
    picked: list[Wrong] = []
    seen = {answer}
    for w in wrongs:
        if w.text not in seen:
            picked.append(w)
            seen.add(w.text)
        if len(picked) == 3:
            break
    if len(picked) < 3:
        raise Redraw
    if len(hints) != 3:
        raise ValueError("a hint ladder has exactly three steps")
    keys = spr_entries(spr_value) if spr_value is not None else None
    work = "\n".join(steps)
    if keys and rng.random() < SPR_SHARE:
        traps = "\n".join(
            f"• {answer} is right; {w.text} would come from {w.error}." for w in picked
        )
        return Item(
            id="",
            skill="",
            difficulty=difficulty,
            type="spr",
            stem=stem,
            key=keys,
            explanation=f"{work}\nThe answer is {answer.rstrip('.')}.\nCommon slips:\n{traps}",
            hints=list(hints),
            figure=figure,
        )
    options = [answer] + [w.text for w in picked]
    order = list(range(4))
    rng.shuffle(order)
    choices = {CHOICE_LETTERS[pos]: options[i] for pos, i in enumerate(order)}
    key = CHOICE_LETTERS[order.index(0)]
    lines = [work, f"Choice {key} is correct: {answer.rstrip('.')}."]
    for pos, i in enumerate(order):
        if i == 0:
            continue
        w = picked[i - 1]
        shown = f" ({w.text})" if len(w.text) <= 30 else ""
        lines.append(f"Choice {CHOICE_LETTERS[pos]}{shown} comes from {w.error}.")
    return Item(
        id="",
        skill="",
        difficulty=difficulty,
        type="mcq",
        stem=stem,
        key=key,
        explanation="\n".join(lines),
        choices=choices,
        hints=list(hints),
        figure=figure,
    )


def nonzero(rng: random.Random, lo: int, hi: int) -> int:
    """A random nonzero integer in [lo, hi]."""
    while True:
        v = rng.randint(lo, hi)
        if v:
            return v


def ratio(n: Num, d: Num) -> Fraction:
    """n/d as a Fraction; a zero denominator means the draw is degenerate, so redraw."""
    if d == 0:
        raise Redraw
    return Fraction(n) / Fraction(d)


def small(f: Fraction, den: int = 9, size: int = 99) -> bool:
    """True when a fraction is tidy enough to be an answer (small denominator and size)."""
    return f.denominator <= den and abs(f) <= size


# ================================================================ linear_one_var


@generator("linear_solve", "linear_one_var")
@retrying
def linear_solve(rng: random.Random, difficulty: Difficulty) -> Item:
    """Solve a linear equation: two-step (easy), with distribution (medium), with fractions (hard)."""
    if difficulty == "easy":
        a, x, b = rng.randint(2, 9), nonzero(rng, -9, 12), nonzero(rng, -15, 15)
        c = a * x + b
        eq = f"{terms((a, 'x'), (b, ''))} = {num(c)}"
        answer = Fraction(x)
        steps = [
            f"{'Subtract' if b > 0 else 'Add'} {num(abs(b))} {'from' if b > 0 else 'to'} both sides: {a}x = {num(c - b)}.",
            f"Divide both sides by {a}: x = {num(answer)}.",
        ]
        wrongs = [
            Wrong(
                num(ratio(c + b, a)), f"moving {num(b)} to the other side without changing its sign"
            ),
            Wrong(num(ratio(c, a) - b), f"dividing only {num(c)} by {a}, not the whole right side"),
            Wrong(num(c - b - a), f"subtracting {a} instead of dividing by it"),
            Wrong(num(a * (c - b)), f"multiplying by {a} instead of dividing"),
        ]
        hints = [
            "Undo what is done to x in reverse order: the constant first, then the coefficient.",
            f"Remove the {num(b)} from the left side by doing the opposite operation on both sides.",
            f"Worked first step: {a}x = {num(c)} {'−' if b > 0 else '+'} {num(abs(b))} = {num(c - b)}.",
        ]
    elif difficulty == "medium":
        a, c = rng.randint(2, 7), rng.randint(1, 9)
        if a == c:
            raise Redraw
        p, q, x = nonzero(rng, -9, 9), nonzero(rng, -12, 12), nonzero(rng, -10, 10)
        d = a * (x - p) + q - c * x
        eq = f"{a}({shift('x', p)}) {signed(q)} = {terms((c, 'x'), (d, ''))}"
        answer = Fraction(d + a * p - q, a - c)
        steps = [
            f"Distribute {a}: {terms((a, 'x'), (-a * p + q, ''))} = {terms((c, 'x'), (d, ''))}.",
            f"Collect x-terms on the left and constants on the right: {terms((a - c, 'x'))} = {num(d + a * p - q)}.",
            f"Divide by {num(a - c)}: x = {num(answer)}.",
        ]
        wrongs = [
            Wrong(
                num(ratio(d + p - q, a - c)),
                f"forgetting to distribute {a} to the {num(-p)} inside the parentheses",
            ),
            Wrong(
                num(ratio(d - a * p + q, a - c)),
                "moving the constants across the equals sign without changing their signs",
            ),
            Wrong(
                num(ratio(d + a * p - q, a + c)),
                f"adding {terms((c, 'x'))} to the left side instead of subtracting it",
            ),
            Wrong(num(-answer), "a sign slip in the last division"),
        ]
        hints = [
            "Clear the parentheses first, then gather x-terms on one side.",
            f"The {a} multiplies both terms inside the parentheses, including the constant.",
            f"Worked first step: {a}({shift('x', p)}) {signed(q)} becomes {terms((a, 'x'), (-a * p + q, ''))}.",
        ]
    else:
        m, n = rng.sample(range(2, 7), 2)
        p, r, s = nonzero(rng, -9, 9), nonzero(rng, -9, 9), nonzero(rng, -4, 4)
        answer = Fraction(m * n * s - m * r - n * p, n - m)
        if not small(answer, 6, 60):
            raise Redraw
        eq = f"({shift('x', -p)})/{m} = ({shift('x', r)})/{n} {signed(s)}"
        steps = [
            f"Multiply every term by {m * n}, a common multiple of {m} and {n}: "
            f"{n}({shift('x', -p)}) = {m}({shift('x', r)}) {signed(m * n * s)}.",
            f"Distribute: {terms((n, 'x'), (n * p, ''))} = {terms((m, 'x'), (-m * r + m * n * s, ''))}.",
            f"Collect terms: {terms((n - m, 'x'))} = {num(m * n * s - m * r - n * p)}, so x = {num(answer)}.",
        ]
        wrongs = [
            Wrong(
                num(ratio(s - m * r - n * p, n - m)),
                f"multiplying the fractions by {m * n} but not the lone constant {num(s)}",
            ),
            Wrong(
                num(ratio(m * n * s + m * r - n * p, n - m)),
                f"losing the negative sign when distributing {m} over ({shift('x', r)})",
            ),
            Wrong(
                num(ratio(m * n * s - n * r - m * p, m - n)),
                "cross-multiplying each numerator by its own denominator instead of the other one",
            ),
            Wrong(num(-answer), "a sign slip when collecting terms"),
        ]
        hints = [
            "Fractions are easier to handle once they are gone: multiply both sides by a common denominator.",
            f"Multiply every term by {m * n}, including the constant {num(s)} that has no denominator.",
            f"Worked first step: {n}({shift('x', -p)}) = {m}({shift('x', r)}) {signed(m * n * s)}.",
        ]
    stem = f"{eq}\nWhat value of x is the solution to the equation above?"
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


@generator("linear_word_problem", "linear_one_var")
@retrying
def linear_word_problem(rng: random.Random, difficulty: Difficulty) -> Item:
    """Word problems that become one linear equation: a fee plus a rate (easy), two plans (medium), a fraction spent (hard)."""
    if difficulty == "easy":
        fee, rate, months = rng.randint(2, 12) * 5, rng.randint(8, 45), rng.randint(3, 14)
        total = fee + rate * months
        who = rng.choice(["Kai", "Rosa", "Imani", "Tomas"])
        stem = (
            f"A climbing gym charges a one-time fee of ${fee} plus ${rate} for each month of membership. "
            f"{who} has paid ${total} in all. For how many months has {who} been a member?"
        )
        answer = Fraction(months)
        steps = [
            f"Let m be the number of months: {fee} + {rate}m = {total}.",
            f"Subtract {fee}: {rate}m = {total - fee}.",
            f"Divide by {rate}: m = {months}.",
        ]
        wrongs = [
            Wrong(
                num(ratio(total, rate)),
                "dividing the total by the monthly rate without removing the one-time fee",
            ),
            Wrong(num(ratio(total + fee, rate)), "adding the fee instead of subtracting it"),
            Wrong(num(total - fee), "forgetting to divide by the monthly rate"),
            Wrong(
                num(ratio(total - rate, fee)), "swapping the roles of the fee and the monthly rate"
            ),
        ]
        hints = [
            "Write the total cost as the fee plus the monthly rate times the number of months.",
            f"The fee of ${fee} is paid once, so take it out of the total first.",
            f"Worked first step: {fee} + {rate}m = {total}.",
        ]
    elif difficulty == "medium":
        p, q = rng.sample(range(4, 30), 2)
        if p < q:
            p, q = q, p
        hours = rng.randint(2, 12)
        a = rng.randint(0, 6) * 5
        b = a + (p - q) * hours
        stem = (
            f"Repair shop A charges ${a} plus ${p} per hour of work. Repair shop B charges ${b} plus ${q} per hour. "
            f"For how many hours of work do the two shops charge the same amount?"
        )
        stem = stem.replace("$0 plus ", "no base fee plus ")
        answer = Fraction(hours)
        steps = [
            f"Let h be the number of hours: {terms((p, 'h'), (a, ''))} = {terms((q, 'h'), (b, ''))}.",
            f"Subtract {q}h{f' and {a}' if a else ''} from both sides: {p - q}h = {b - a}.",
            f"Divide by {p - q}: h = {hours}.",
        ]
        wrongs = [
            Wrong(num(ratio(b - a, p + q)), "adding the hourly rates instead of subtracting them"),
            Wrong(num(ratio(a + b, p - q)), "adding the base fees instead of subtracting them"),
            Wrong(num(b - a), "forgetting to divide by the difference in hourly rates"),
            Wrong(num(ratio(b, p)), "setting shop A's hourly charge equal to shop B's base fee"),
        ]
        hints = [
            "Write each shop's charge for h hours, then set the two charges equal.",
            "Collect the h-terms on one side and the fees on the other.",
            f"Worked first step: {terms((p, 'h'), (a, ''))} = {terms((q, 'h'), (b, ''))}.",
        ]
    else:
        den = rng.choice([3, 4, 5, 6, 8])
        spent = rng.randint(1, den - 1)
        if math.gcd(spent, den) != 1:
            raise Redraw
        whole = den * rng.randint(4, 30)
        kept = whole - whole * spent // den
        extra = rng.randint(2, kept // 5 + 2) * 2
        left = kept - extra
        if left <= 0:
            raise Redraw
        who = rng.choice(["Mira", "Jonah", "Ayla", "Dev"])
        stem = (
            f"{who} spent {spent}/{den} of a savings account on a bicycle and then ${extra} on a helmet. "
            f"After that, ${left} was left. How many dollars were in the account at first?"
        )
        answer = Fraction(whole)
        steps = [
            f"Let s be the starting amount: s − ({spent}/{den})s − {extra} = {left}.",
            f"Combine: ({den - spent}/{den})s = {left} + {extra} = {left + extra}.",
            f"Multiply by {num(Fraction(den, den - spent))}: s = {whole}.",
        ]
        wrongs = [
            Wrong(
                num(ratio((left + extra) * den, spent)),
                f"using the fraction spent, {spent}/{den}, instead of the fraction kept",
            ),
            Wrong(
                num(ratio((left - extra) * den, den - spent)),
                "subtracting the helmet cost from what was left instead of adding it back",
            ),
            Wrong(
                num(left + extra),
                "stopping after adding back the helmet, before undoing the fraction",
            ),
            Wrong(
                num(ratio(left * den, den - spent) + extra),
                "undoing the fraction before adding back the helmet",
            ),
        ]
        hints = [
            "Work with the starting amount as the unknown; each purchase takes something away from it.",
            f"After spending {spent}/{den} of it, the fraction that remains is {den - spent}/{den} of the starting amount.",
            f"Worked first step: s − ({spent}/{den})s − {extra} = {left}.",
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


_ONE, _NONE, _INF, _TWO = "Exactly one", "No solution", "Infinitely many", "Exactly two"


@generator("linear_solution_count", "linear_one_var")
@retrying
def linear_solution_count(rng: random.Random, difficulty: Difficulty) -> Item:
    """How many solutions a linear equation has (easy, medium), or the constant that removes them (hard)."""
    a, b = rng.randint(2, 6), nonzero(rng, -8, 8)
    p = nonzero(rng, -7, 7)
    if difficulty == "hard":
        d = nonzero(rng, -20, 20)
        if d == -a * p:
            raise Redraw
        k = a + b
        if k == 0:
            raise Redraw
        eq = f"{a}({shift('x', p)}) {'+' if b > 0 else '−'} {terms((abs(b), 'x'))} = kx {signed(d)}"
        stem = f"{eq}\nIn the equation above, k is a constant. If the equation has no solution, what is the value of k?"
        steps = [
            f"Simplify the left side: {terms((k, 'x'), (-a * p, ''))} = kx {signed(d)}.",
            "A linear equation has no solution when the x-terms match but the constants differ.",
            f"The constants {num(-a * p)} and {num(d)} differ, so the x-coefficients must match: k = {num(k)}.",
        ]
        wrongs = [
            Wrong(num(a - b), f"a sign slip on the {terms((b, 'x'))} term"),
            Wrong(num(a), f"ignoring the {terms((b, 'x'))} term"),
            Wrong(num(-k), "moving kx to the left side and keeping the sign change"),
            Wrong(
                num(ratio(d, -p) if -p else 0),
                "matching the constants instead of the x-coefficients",
            ),
        ]
        hints = [
            "Think about what the two sides look like when an equation is never true.",
            "Simplify the left side to the form (number)x + (number) and compare it with kx + constant.",
            f"Worked first step: the left side simplifies to {terms((k, 'x'), (-a * p, ''))}.",
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
    kind = rng.choice([_ONE, _NONE, _INF])
    # Left side a(x − p) + bx, i.e. (a + b)x − ap; the right side decides the count.
    coef_l, const_l = a + b, -a * p
    if coef_l == 0:
        raise Redraw
    if kind == _ONE:
        coef_r = coef_l + nonzero(rng, -3, 3)
        const_r = const_l + rng.randint(-5, 5)
    elif kind == _NONE:
        coef_r, const_r = coef_l, const_l + nonzero(rng, -9, 9)
    else:
        coef_r, const_r = coef_l, const_l
    if difficulty == "easy":
        left = f"{a}({shift('x', p)}) {'+' if b > 0 else '−'} {terms((abs(b), 'x'))}"
        right = terms((coef_r, "x"), (const_r, ""))
    else:
        # Medium hides the comparison behind distribution on both sides.
        c = rng.randint(2, 4)
        if coef_r % c or const_r % c:
            raise Redraw
        left = f"{a}({shift('x', p)}) {'+' if b > 0 else '−'} {terms((abs(b), 'x'))}"
        right = f"{c}({terms((coef_r // c, 'x'), (const_r // c, ''))})"
    stem = f"{left} = {right}\nHow many solutions does the equation above have?"
    simple = f"{terms((coef_l, 'x'), (const_l, ''))} = {terms((coef_r, 'x'), (const_r, ''))}"
    steps = [f"Distribute and combine like terms on each side: {simple}."]
    if kind == _ONE:
        steps.append(
            f"The x-coefficients differ ({num(coef_l)} and {num(coef_r)}), so exactly one x works."
        )
        wrongs = [
            Wrong(_NONE, "thinking the x-terms cancel without checking their coefficients"),
            Wrong(_INF, "comparing only the look of the two sides instead of the coefficients"),
            Wrong(
                _TWO,
                "treating the two sides as two solutions; a linear equation never has exactly two",
            ),
        ]
    elif kind == _NONE:
        steps.append(
            f"The x-terms match but the constants {num(const_l)} and {num(const_r)} differ: the equation is never true."
        )
        wrongs = [
            Wrong(_INF, "seeing matching x-terms and stopping before comparing the constants"),
            Wrong(_ONE, "assuming every linear equation has one solution"),
            Wrong(
                _TWO,
                "treating the two sides as two solutions; a linear equation never has exactly two",
            ),
        ]
    else:
        steps.append("Both sides are the same expression, so every x makes the equation true.")
        wrongs = [
            Wrong(_NONE, "seeing the x-terms cancel and concluding nothing is left to solve"),
            Wrong(_ONE, "forgetting to distribute, which makes the sides look different"),
            Wrong(
                _TWO,
                "treating the two sides as two solutions; a linear equation never has exactly two",
            ),
        ]
    hints = [
        "Simplify each side completely before deciding anything.",
        "Write each side as (number)x + (number), then compare the x-coefficients, then the constants.",
        f"Worked first step: the left side becomes {terms((coef_l, 'x'), (const_l, ''))}.",
    ]
    return build_item(
        rng, difficulty, stem=stem, answer=kind, steps=steps, wrongs=wrongs, hints=hints
    )


# ================================================================ linear_two_var

_SALES = [
    (
        "A bakery sells muffins for ${a} each and scones for ${b} each",
        "muffins",
        "scones",
        "m",
        "s",
        "took in",
    ),
    (
        "A school play charges ${a} per adult ticket and ${b} per student ticket",
        "adult tickets",
        "student tickets",
        "a",
        "s",
        "collected",
    ),
    (
        "A garden shop sells ferns for ${a} each and cacti for ${b} each",
        "ferns",
        "cacti",
        "f",
        "c",
        "took in",
    ),
    (
        "A food truck sells tacos for ${a} each and burritos for ${b} each",
        "tacos",
        "burritos",
        "t",
        "b",
        "took in",
    ),
]


@generator("linear_two_var_model", "linear_two_var")
@retrying
def linear_two_var_model(rng: random.Random, difficulty: Difficulty) -> Item:
    """A two-quantity sales context: pick the model (easy, hard with a fee) or solve for one count (medium)."""
    intro, first, second, u, v, verb = rng.choice(_SALES)
    a, b = rng.sample(range(2, 15), 2)
    intro = intro.format(a=a, b=b)
    if difficulty == "medium":
        k, other = rng.randint(5, 40), rng.randint(5, 40)
        total = a * k + b * other
        stem = f"{intro}. One day it {verb} ${total} from these two items. If it sold {k} {first}, how many {second} did it sell?"
        answer = Fraction(other)
        steps = [
            f"Let the number of {second} be n. Then {a}·{k} + {b}n = {total}.",
            f"{a}·{k} = {a * k}, so {b}n = {total} − {a * k} = {total - a * k}.",
            f"n = {total - a * k}/{b} = {other}.",
        ]
        wrongs = [
            Wrong(
                num(ratio(total - k, b)),
                f"subtracting the number of {first} instead of the money they brought in",
            ),
            Wrong(
                num(ratio(total + a * k, b)),
                f"adding the {first} revenue instead of subtracting it",
            ),
            Wrong(num(total - a * k), f"forgetting to divide by the price of {second}"),
            Wrong(
                num(ratio(total, b) - k),
                "dividing the total by one price and subtracting the count",
            ),
        ]
        hints = [
            "Write one equation: money from the first item plus money from the second equals the total.",
            f"The {k} {first} brought in {a} dollars each; take that amount out of the total first.",
            f"Worked first step: {a}·{k} + {b}n = {total}.",
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
    total = rng.randint(10, 60) * 10
    if difficulty == "easy":
        stem = (
            f"{intro}. One day it {verb} ${total} from these two items. Which equation represents this situation, "
            f"where {u} is the number of {first} sold and {v} is the number of {second} sold?"
        )
        answer = f"{a}{u} + {b}{v} = {total}"
        steps = [
            f"Money from {first} is {a}{u}; money from {second} is {b}{v}.",
            f"Together they make the day's total: {answer}.",
        ]
        wrongs = [
            Wrong(f"{b}{u} + {a}{v} = {total}", "attaching each price to the wrong item"),
            Wrong(f"{u} + {v} = {total}", "treating the dollar total as the number of items sold"),
            Wrong(
                f"{a}{u} = {b}{v} + {total}",
                "putting one item's revenue on the other side of the equation",
            ),
            Wrong(
                f"{a + b}({u} + {v}) = {total}", "adding the two prices as if every item cost both"
            ),
        ]
        hints = [
            "Each term of the model should be money: a price times a count.",
            f"Which variable counts {first}? Multiply it by the price of {first}.",
            f"Worked first step: the {first} bring in {a}{u} dollars.",
        ]
    else:
        fee = rng.randint(2, 9) * 5
        intro = f"{intro}. Each day, ${fee} of the money taken in goes to pay a fixed fee"
        stem = (
            f"{intro}. One day its earnings after paying the fee were ${total}. Which equation represents this "
            f"situation, where {u} is the number of {first} sold and {v} is the number of {second} sold?"
        )
        answer = f"{a}{u} + {b}{v} = {total + fee}"
        steps = [
            f"Sales revenue is {a}{u} + {b}{v}; earnings after the fee are {a}{u} + {b}{v} − {fee}.",
            f"Set that equal to {total}: {a}{u} + {b}{v} − {fee} = {total}, so {answer}.",
        ]
        wrongs = [
            Wrong(
                f"{a}{u} + {b}{v} = {total - fee}",
                "subtracting the fee from the earnings instead of adding it back",
            ),
            Wrong(f"{a}{u} + {b}{v} = {total}", "ignoring the fee"),
            Wrong(f"{b}{u} + {a}{v} = {total + fee}", "attaching each price to the wrong item"),
            Wrong(
                f"{a + b}({u} + {v}) = {total + fee}",
                "adding the two prices as if every item cost both",
            ),
        ]
        hints = [
            "Earnings after the fee are what is left of sales revenue once the fee is paid.",
            f"Write revenue − fee = {total}, then move the fee to the other side.",
            f"Worked first step: revenue is {a}{u} + {b}{v}, and revenue − {fee} = {total}.",
        ]
    return build_item(
        rng, difficulty, stem=stem, answer=answer, steps=steps, wrongs=wrongs, hints=hints
    )


@generator("linear_two_var_graph", "linear_two_var")
@retrying
def linear_two_var_graph(rng: random.Random, difficulty: Difficulty) -> Item:
    """Points and intercepts of ax + by = c: a missing coordinate, the x-intercept, a hidden coefficient."""
    a, b = nonzero(rng, -9, 9), nonzero(rng, -9, 9)
    if abs(a) == abs(b) or a < 0 and b < 0:
        raise Redraw
    if difficulty == "easy":
        p, k = nonzero(rng, -8, 8), nonzero(rng, -8, 8)
        c = a * p + b * k
        stem = f"In the xy-plane, the point ({num(p)}, k) lies on the graph of {terms((a, 'x'), (b, 'y'))} = {num(c)}. What is the value of k?"
        answer = Fraction(k)
        steps = [
            f"Substitute x = {num(p)}: {num(a)}·{par(p)} {'+' if b > 0 else '−'} {terms((abs(b), 'k'))} = {num(c)}, so {terms((a * p, ''), (b, 'k'))} = {num(c)}.",
            f"{terms((b, 'k'))} = {num(c - a * p)}, so k = {num(answer)}.",
        ]
        wrongs = [
            Wrong(
                num(ratio(c + a * p, b)),
                f"adding {num(a * p)} to both sides instead of subtracting it",
            ),
            Wrong(num(c - a * p), f"forgetting to divide by the coefficient {num(b)}"),
            Wrong(num(ratio(c - p, b)), f"substituting {num(p)} without multiplying by {num(a)}"),
            Wrong(num(ratio(c - b * p, a)), "substituting the given coordinate for y instead of x"),
        ]
        hints = [
            "A point lies on a graph exactly when its coordinates make the equation true.",
            f"Put x = {num(p)} into the equation and solve for the remaining unknown.",
            f"Worked first step: {terms((a, ''))}·{par(p)} {'+' if b > 0 else '−'} {terms((abs(b), 'k'))} = {num(c)}.",
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
        c = a * b * rng.choice([1, 2, -1, -2]) * rng.choice([1, 1, 2, 3]) // math.gcd(a, b)
        xi, yi = Fraction(c, a), Fraction(c, b)
        stem = f"The graph of {terms((a, 'x'), (b, 'y'))} = {num(c)} in the xy-plane has an x-intercept at which point?"
        answer = point(xi, 0)
        steps = [
            "The x-intercept is where the graph crosses the x-axis, so y = 0 there.",
            f"{terms((a, 'x'))} = {num(c)}, so x = {num(xi)}: the point {answer}.",
        ]
        wrongs = [
            Wrong(point(0, yi), "finding the y-intercept (setting x = 0) instead"),
            Wrong(
                point(yi, 0), f"dividing by the y-coefficient {num(b)} instead of the x-coefficient"
            ),
            Wrong(point(-xi, 0), f"a sign slip when dividing {num(c)} by {num(a)}"),
            Wrong(point(0, xi), "putting the x-intercept value in the y-coordinate"),
        ]
        hints = [
            "Every point on the x-axis has the same y-coordinate.",
            "Set y = 0 and solve the equation that is left for x.",
            f"Worked first step: with y = 0 the equation is {terms((a, 'x'))} = {num(c)}.",
        ]
        return build_item(
            rng, difficulty, stem=stem, answer=answer, steps=steps, wrongs=wrongs, hints=hints
        )
    k = nonzero(rng, -9, 9)
    p, q = nonzero(rng, -6, 6), nonzero(rng, -6, 6)
    if abs(k) == abs(a) or k == 1:
        raise Redraw
    c = a * p + k * q
    slope = Fraction(-a, k)
    stem = (
        f"In the xy-plane, the graph of {terms((a, 'x'))} + ky = {num(c)}, where k is a constant, passes through "
        f"the point {point(p, q)}. What is the slope of the graph?"
    )
    steps = [
        f"Substitute the point: {num(a)}·{par(p)} + k·{par(q)} = {num(c)}, which gives k = {num(k)}.",
        f"Solve {terms((a, 'x'), (k, 'y'))} = {num(c)} for y: y = {terms((slope, 'x'), (Fraction(c, k), ''))}.",
        f"The slope is −{num(a)}/{num(k)} = {num(slope)}.",
    ]
    wrongs = [
        Wrong(num(k), "stopping after finding k, which is not the slope"),
        Wrong(num(-slope), "forgetting the negative sign in −a/b"),
        Wrong(num(ratio(-k, a)), "inverting the slope: −b/a instead of −a/b"),
        Wrong(num(ratio(c, k)), "giving the y-intercept instead of the slope"),
    ]
    hints = [
        "There are two unknowns in play: first the constant k, then the slope.",
        "The point makes the equation true; substitute it to find k. Then solve for y.",
        f"Worked first step: {num(a)}·{par(p)} + k·{par(q)} = {num(c)}.",
    ]
    return build_item(
        rng,
        difficulty,
        stem=stem,
        answer=num(slope),
        steps=steps,
        wrongs=wrongs,
        hints=hints,
        spr_value=slope,
    )


# ================================================================ linear_functions


@generator("linear_function_values", "linear_functions")
@retrying
def linear_function_values(rng: random.Random, difficulty: Difficulty) -> Item:
    """Evaluate a linear function known from a table (easy, medium) or from two stated values (hard)."""
    m = Fraction(nonzero(rng, -6, 6))
    if difficulty == "hard":
        m = Fraction(nonzero(rng, -7, 7), rng.choice([2, 3, 4]))
        if m.denominator == 1:
            raise Redraw
    b = Fraction(nonzero(rng, -12, 12))
    xs = (
        sorted(rng.sample(range(-4, 10), 3))
        if difficulty != "easy"
        else sorted([0, *rng.sample(range(1, 7), 2)])
    )
    if difficulty == "hard":
        xs = [x for x in xs if (m * x).denominator == 1][:2]
        if len(xs) < 2:
            raise Redraw
    t = rng.choice([x for x in range(-6, 16) if x not in xs and (m * x).denominator == 1])
    ys = [m * x + b for x in xs]
    answer = m * t + b
    (x1, y1), (x2, y2) = (xs[0], ys[0]), (xs[1], ys[1])
    figure = None
    if difficulty == "hard":
        stem = f"For the linear function f, f({num(x1)}) = {num(y1)} and f({num(x2)}) = {num(y2)}. What is the value of f({num(t)})?"
    else:
        figure = {
            "kind": "table",
            "columns": ["x", "f(x)"],
            "rows": [[int(x), int(y)] for x, y in zip(xs, ys, strict=True)],
            "title": "Values of the linear function f",
        }
        table = "\n".join(f"x = {num(x)}: f(x) = {num(y)}" for x, y in zip(xs, ys, strict=True))
        stem = f"The table shows some values of the linear function f.\n{table}\nWhat is the value of f({num(t)})?"
    steps = [
        f"Slope: ({num(y2)} − {par(y1)})/({num(x2)} − {par(x1)}) = {num(m)}.",
        f"Intercept: f(x) = {terms((m, 'x'))} + b with f({num(x1)}) = {num(y1)} gives b = {num(b)}.",
        f"f({num(t)}) = {num(m)}·{par(t)} {signed(b)} = {num(answer)}.",
    ]
    inv = Fraction(1, 1) / m
    wrongs = [
        Wrong(num(y1 + inv * (t - x1)), "computing the slope as run over rise"),
        Wrong(
            num(m * t + y1) if x1 != 0 else num(m * t + y2),
            "using a listed output as the y-intercept",
        ),
        Wrong(num(y1 - m * (t - x1)), "a sign error in the slope"),
        Wrong(num(m * t), "leaving out the y-intercept"),
    ]
    hints = [
        "A linear function changes by the same amount for every step of 1 in x.",
        "Find the slope from two known points, then the value of f at 0.",
        f"Worked first step: the slope is ({num(y2)} − {par(y1)})/({num(x2)} − {par(x1)}).",
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
        figure=figure,
    )


_RATES = [
    # (function, input, output unit, start text, rate text, per-unit text, input unit)
    (
        "C",
        "m",
        "taxi fare, in dollars, for a ride of m miles",
        "the fixed charge at the start of every ride",
        "the charge for each mile driven",
        "the number of miles per dollar",
        "total fare for an m-mile ride",
    ),
    (
        "H",
        "w",
        "height, in centimeters, of a sapling w weeks after it was planted",
        "the height of the sapling when it was planted",
        "the number of centimeters the sapling grows each week",
        "the number of weeks for each centimeter of growth",
        "height of the sapling after w weeks",
    ),
    (
        "P",
        "d",
        "amount, in dollars, in a savings jar d days after Lena started saving",
        "the amount in the jar when Lena started",
        "the amount Lena adds to the jar each day",
        "the number of days for each dollar saved",
        "amount in the jar after d days",
    ),
]


def _capital(text: str) -> str:
    """Capitalise the first letter only (str.capitalize would lower-case names)."""
    return text[0].upper() + text[1:]


@generator("linear_function_context", "linear_functions")
@retrying
def linear_function_context(rng: random.Random, difficulty: Difficulty) -> Item:
    """Linear models in context: interpret a coefficient (easy), solve for an input (medium), build from data (hard)."""
    if difficulty == "easy":
        f, var, what, start, rate, inverse, total = rng.choice(_RATES)
        b, m = rng.randint(2, 30), rng.randint(2, 9)
        if b == m:  # "interpret 5" must point at one number only
            raise Redraw
        ask_rate = rng.random() < 0.5
        stem = (
            f"The function {f}({var}) = {b} + {m}{var} gives the {what}. "
            f"What is the best interpretation of {m if ask_rate else b} in this context?"
        )
        options = {
            "rate": _capital(rate),
            "start": _capital(start),
            "inverse": _capital(inverse),
            "total": _capital(total),
        }
        if ask_rate:
            answer = options["rate"]
            steps = [
                f"In {f}({var}) = {b} + {m}{var}, the number multiplying {var} is the change in {f} for each 1-unit increase in {var}."
            ]
            wrongs = [
                Wrong(
                    options["start"],
                    "mixing up the slope with the starting value (the constant term)",
                ),
                Wrong(
                    options["inverse"], "reading the rate upside down (input per unit of output)"
                ),
                Wrong(options["total"], "confusing a coefficient with the whole function's output"),
            ]
        else:
            answer = options["start"]
            steps = [
                f"In {f}({var}) = {b} + {m}{var}, the constant {b} is the value of {f} when {var} = 0: the starting amount."
            ]
            wrongs = [
                Wrong(options["rate"], "mixing up the starting value with the rate of change"),
                Wrong(
                    options["total"], "confusing the constant term with the whole function's output"
                ),
                Wrong(options["inverse"], "treating the constant as a rate of change"),
            ]
        hints = [
            f"Ask what {f}({var}) equals when {var} = 0, and how it changes when {var} grows by 1.",
            f"The coefficient of {var} is a rate; the constant term is a starting value.",
            f"Worked first step: {f}(0) = {b} + {m}·0 = {b}.",
        ]
        return build_item(
            rng, difficulty, stem=stem, answer=answer, steps=steps, wrongs=wrongs, hints=hints
        )
    rate = rng.randint(2, 12) * 5
    minutes = rng.randint(8, 40)
    full = rate * minutes
    if difficulty == "medium":
        stem = (
            f"A tank holds {full} liters of water when a valve is opened. The water drains at a constant rate, and "
            f"V(t) = {full} − {rate}t gives the volume, in liters, t minutes after the valve is opened. "
            f"How many minutes after the valve is opened will the tank be empty?"
        )
        answer = Fraction(minutes)
        steps = [
            f"The tank is empty when V(t) = 0: {full} − {rate}t = 0.",
            f"{rate}t = {full}, so t = {full}/{rate} = {minutes}.",
        ]
        wrongs = [
            Wrong(num(full - rate), f"subtracting {rate} instead of dividing by it"),
            Wrong(num(ratio(full, 2 * rate)), "finding when the tank is half full"),
            Wrong(num(ratio(full + rate, rate)), "a sign slip when moving the rate term"),
            Wrong(num(rate), "giving the rate instead of the time"),
        ]
        hints = [
            "What is V(t) when the tank is empty?",
            "Set the function equal to 0 and solve for t.",
            f"Worked first step: {full} − {rate}t = 0.",
        ]
    else:
        t1 = rng.randint(2, minutes // 2)
        t2 = rng.randint(t1 + 2, minutes - 1)
        v1, v2 = full - rate * t1, full - rate * t2
        stem = (
            f"Water drains from a tank at a constant rate. {t1} minutes after draining began, the tank held {v1} liters; "
            f"{t2} minutes after draining began, it held {v2} liters. How many minutes after draining began will the tank be empty?"
        )
        answer = Fraction(minutes)
        steps = [
            f"Rate: ({v1} − {v2})/({t2} − {t1}) = {rate} liters per minute.",
            f"Starting volume: {v1} + {rate}·{t1} = {full} liters, so V(t) = {full} − {rate}t.",
            f"Empty when {full} − {rate}t = 0: t = {minutes}.",
        ]
        wrongs = [
            Wrong(
                num(ratio(v2, rate)),
                f"finding the time left after minute {t2} rather than the time since draining began",
            ),
            Wrong(num(ratio(v1, rate)), f"starting the clock at minute {t1}"),
            Wrong(
                num(ratio(v1, rate) + t2),
                "mixing the two readings: the volume from one with the time from the other",
            ),
            Wrong(
                num(ratio(full, v1 - v2)),
                "using the total drop between readings as the per-minute rate",
            ),
        ]
        hints = [
            "Two readings give the rate; the rate and one reading give the starting volume.",
            f"Per minute the tank loses ({v1} − {v2}) liters divided by ({t2} − {t1}) minutes.",
            f"Worked first step: the rate is ({v1} − {v2})/({t2} − {t1}) liters per minute.",
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


# ================================================================ linear_systems


@generator("linear_system_solve", "linear_systems")
@retrying
def linear_system_solve(rng: random.Random, difficulty: Difficulty) -> Item:
    """Solve a system: substitution for x (easy), elimination for a combination (medium), a ticket word problem (hard)."""
    x, y = nonzero(rng, -9, 9), nonzero(rng, -9, 9)
    if difficulty == "easy":
        m, b = nonzero(rng, -5, 5), nonzero(rng, -9, 9)
        y = m * x + b
        a, c = nonzero(rng, -6, 6), nonzero(rng, -6, 6)
        if a + c * m == 0:
            raise Redraw
        d = a * x + c * y
        stem = (
            f"y = {terms((m, 'x'), (b, ''))}\n{terms((a, 'x'), (c, 'y'))} = {num(d)}\n"
            f"If (x, y) is the solution to the system of equations above, what is the value of x?"
        )
        answer = Fraction(x)
        steps = [
            f"Substitute y: {terms((a, 'x'))} {'+' if c > 0 else '−'} {num(abs(c))}({terms((m, 'x'), (b, ''))}) = {num(d)}.",
            f"Distribute and combine: {terms((a + c * m, 'x'), (c * b, ''))} = {num(d)}.",
            f"{terms((a + c * m, 'x'))} = {num(d - c * b)}, so x = {num(answer)}.",
        ]
        wrongs = [
            Wrong(num(y), "solving for y instead of x"),
            Wrong(
                num(ratio(d - b, a + c * m)),
                f"forgetting to multiply {num(b)} by {num(c)} when substituting",
            ),
            Wrong(num(ratio(d + c * b, a + c * m)), "a sign error when moving the constant"),
            Wrong(
                num(ratio(d - c * b, a + m)),
                f"forgetting to multiply {terms((m, 'x'))} by {num(c)}",
            ),
        ]
        hints = [
            "One equation already says what y equals.",
            "Replace y in the second equation with the expression from the first.",
            f"Worked first step: {terms((a, 'x'))} {'+' if c > 0 else '−'} {num(abs(c))}({terms((m, 'x'), (b, ''))}) = {num(d)}.",
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
        a1, b1, a2, b2 = (nonzero(rng, -7, 7) for _ in range(4))
        det = a1 * b2 - a2 * b1
        if det == 0 or x == y:
            raise Redraw
        c1, c2 = a1 * x + b1 * y, a2 * x + b2 * y
        target, value = rng.choice([("x + y", x + y), ("x − y", x - y), ("y", y)])
        stem = (
            f"{terms((a1, 'x'), (b1, 'y'))} = {num(c1)}\n{terms((a2, 'x'), (b2, 'y'))} = {num(c2)}\n"
            f"The solution to the system of equations above is (x, y). What is the value of {target}?"
        )
        answer = Fraction(value)
        steps = [
            f"Eliminate a variable: multiply the first equation by {num(b2)} and the second by {num(b1)}, then subtract.",
            f"That leaves {terms((det, 'x'))} = {num(c1 * b2 - c2 * b1)}, so x = {num(x)}.",
            f"Substitute back: y = {num(y)}. So {target} = {num(answer)}.",
        ]
        others = {"x + y": x + y, "x − y": x - y, "y": y, "x": x}
        wrongs = [
            Wrong(num(v), f"computing {name} instead of {target}")
            for name, v in others.items()
            if name != target
        ]
        wrongs.append(Wrong(num(-answer), "a sign slip during elimination"))
        hints = [
            "Make the coefficients of one variable opposites, then add the equations.",
            f"Multiplying the equations by {num(b2)} and {num(b1)} lines up the y-terms.",
            f"Worked first step: after eliminating y, {terms((det, 'x'))} = {num(c1 * b2 - c2 * b1)}.",
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
    p_adult, p_child = rng.sample(range(6, 19), 2)
    adults, kids = rng.sample(range(12, 80), 2)
    total_n, total_r = adults + kids, p_adult * adults + p_child * kids
    stem = (
        f"A museum sold {total_n} tickets on Sunday. Adult tickets cost ${p_adult} and child tickets cost ${p_child}, "
        f"and ticket sales totaled ${total_r}. How many more adult tickets than child tickets were sold? "
        f"(If fewer adult tickets were sold, the answer is negative.)"
    )
    answer = Fraction(adults - kids)
    steps = [
        f"Let a and c be the numbers of adult and child tickets: a + c = {total_n} and {p_adult}a + {p_child}c = {total_r}.",
        f"Substitute c = {total_n} − a: {p_adult}a + {p_child}({total_n} − a) = {total_r}, so {terms((p_adult - p_child, 'a'))} = {num(total_r - p_child * total_n)}.",
        f"a = {adults} and c = {kids}, so a − c = {num(answer)}.",
    ]
    wrongs = [
        Wrong(num(adults), "stopping at the number of adult tickets"),
        Wrong(num(kids), "stopping at the number of child tickets"),
        Wrong(num(-answer), "subtracting in the wrong order"),
        Wrong(num(total_n), "adding the counts instead of subtracting them"),
    ]
    hints = [
        "Two unknowns, two facts: the number of tickets and the money.",
        "Write one equation for the count and one for the dollars, then substitute.",
        f"Worked first step: a + c = {total_n} and {p_adult}a + {p_child}c = {total_r}.",
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


@generator("linear_system_special", "linear_systems")
@retrying
def linear_system_special(rng: random.Random, difficulty: Difficulty) -> Item:
    """Systems with no or infinitely many solutions: count them (easy) or find the constant (medium, hard)."""
    a, b = nonzero(rng, -6, 6), nonzero(rng, -6, 6)
    c = nonzero(rng, -12, 12)
    if abs(a) == abs(b):
        raise Redraw
    if difficulty == "easy":
        s = rng.choice([2, 3, -2, 4])
        kind = rng.choice([_ONE, _NONE, _INF])
        a2, b2, c2 = s * a, s * b, s * c
        if kind == _ONE:
            b2 += nonzero(rng, -2, 2)
        elif kind == _NONE:
            c2 += nonzero(rng, -5, 5)
        stem = f"{terms((a, 'x'), (b, 'y'))} = {num(c)}\n{terms((a2, 'x'), (b2, 'y'))} = {num(c2)}\nHow many solutions does the system of equations above have?"
        steps = [
            f"Multiply the first equation by {num(s)}: {terms((s * a, 'x'), (s * b, 'y'))} = {num(s * c)}."
        ]
        if kind == _ONE:
            steps.append(
                "The x- and y-coefficients are not in the same ratio, so the lines have different slopes and cross once."
            )
            wrongs = [
                Wrong(_NONE, "seeing similar numbers and assuming the lines are parallel"),
                Wrong(_INF, "matching only the x-coefficients"),
                Wrong(_TWO, "counting the two equations as two solutions"),
            ]
        elif kind == _NONE:
            steps.append(
                "The left sides now match but the right sides differ: parallel lines, never meeting."
            )
            wrongs = [
                Wrong(_INF, "matching the left sides and not checking the constants"),
                Wrong(_ONE, "assuming every system has one solution"),
                Wrong(_TWO, "counting the two equations as two solutions"),
            ]
        else:
            steps.append(
                "The result is exactly the second equation: the same line, so every point on it is a solution."
            )
            wrongs = [
                Wrong(_NONE, "thinking equal slopes always means parallel lines that never meet"),
                Wrong(_ONE, "assuming every system has one solution"),
                Wrong(_TWO, "counting the two equations as two solutions"),
            ]
        hints = [
            "Compare the two equations: is one a multiple of the other, fully or partly?",
            "Scale the first equation so its x-coefficient matches the second, then compare the rest.",
            f"Worked first step: {num(s)} times the first equation is {terms((s * a, 'x'), (s * b, 'y'))} = {num(s * c)}.",
        ]
        return build_item(
            rng, difficulty, stem=stem, answer=kind, steps=steps, wrongs=wrongs, hints=hints
        )
    if difficulty == "medium":
        s = Fraction(rng.choice([2, 3, 4, -2, -3]))
    else:
        s = Fraction(rng.choice([2, 3, 4, 5]), rng.choice([2, 3])) * rng.choice([1, -1])
        if s.denominator == 1 or any((s * v).denominator != 1 for v in (a, b, c)):
            raise Redraw
    b2 = s * b
    k = s * a
    if difficulty == "medium":
        c2 = s * c + nonzero(rng, -6, 6)
        stem = (
            f"{terms((a, 'x'), (b, 'y'))} = {num(c)}\nkx {'+' if b2 > 0 else '−'} {terms((abs(b2), 'y'))} = {num(c2)}\n"
            f"In the system of equations above, k is a constant. If the system has no solution, what is the value of k?"
        )
        steps = [
            "No solution means parallel lines: the x- and y-coefficients are in the same ratio, the constants are not.",
            f"The y-coefficients go from {num(b)} to {num(b2)}: a factor of {num(s)}.",
            f"So k = {num(s)}·{par(a)} = {num(k)} (and {num(s)}·{par(c)} ≠ {num(c2)}, so the lines are distinct).",
        ]
        answer = k
    else:
        kc = s * c
        stem = (
            f"{terms((a, 'x'), (b, 'y'))} = {num(c)}\n{terms((k, 'x'), (b2, 'y'))} = k\n"
            f"In the system of equations above, k is a constant. If the system has infinitely many solutions, what is the value of k?"
        )
        steps = [
            "Infinitely many solutions means the second equation is a multiple of the first.",
            f"The x-coefficients go from {num(a)} to {num(k)}: a factor of {num(s)} (the y-coefficients agree: {num(b)}·({num(s)}) = {num(b2)}).",
            f"So the constant must be ({num(s)})·{par(c)}: k = {num(kc)}.",
        ]
        answer = kc
        k = kc
    inv = Fraction(1) / s
    wrongs = [
        Wrong(
            num(a * inv) if difficulty == "medium" else num(c * inv),
            "scaling by the inverted ratio",
        ),
        Wrong(num(-answer), "a sign slip in the scale factor"),
        Wrong(
            num(a + b2 - b) if difficulty == "medium" else num(c + (b2 - b)),
            "adding the difference between coefficients instead of multiplying by the ratio",
        ),
        Wrong(num(s), "giving the scale factor itself"),
    ]
    hints = [
        "Think of the lines: when do two lines never meet, or coincide?",
        "Find the number that turns the first equation's y-coefficient into the second's.",
        # Not the quotient itself: when the x-coefficient is 1 it is the answer.
        f"Worked first step: write the ratio of the y-coefficients, {num(b2)}/{par(b)}; "
        "the x-coefficients must share it; then compare the constants.",
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


# ================================================================ linear_inequalities

_REL = {
    ">": lambda u, v: u > v,
    "<": lambda u, v: u < v,
    "≥": lambda u, v: u >= v,
    "≤": lambda u, v: u <= v,
}
_STRICT = {">": "≥", "<": "≤"}


@generator("inequality_points", "linear_inequalities")
@retrying
def inequality_points(rng: random.Random, difficulty: Difficulty) -> Item:
    """Which point satisfies an inequality (easy) or a system of two (medium; hard in standard form)."""
    m1, b1 = nonzero(rng, -3, 3), rng.randint(-5, 5)
    rel1 = rng.choice([">", "<"])
    if difficulty == "easy":
        ineqs = [(m1, b1, rel1)]
        text = f"y {rel1} {terms((m1, 'x'), (b1, ''))}"
    else:
        m2, b2 = nonzero(rng, -3, 3), rng.randint(-5, 5)
        if m2 == m1:
            raise Redraw
        rel2 = rng.choice(["≥", "≤"])
        ineqs = [(m1, b1, rel1), (m2, b2, rel2)]
        if difficulty == "medium":
            text = f"y {rel1} {terms((m1, 'x'), (b1, ''))}\ny {rel2} {terms((m2, 'x'), (b2, ''))}"
        else:
            # Written as k·(m x − y) rel' −k·b so solving for y means dividing by a negative number.
            k = rng.choice([2, 3])
            flip = {">": "<", "<": ">", "≥": "≤", "≤": "≥"}
            text = f"{terms((k * m1, 'x'), (-k, 'y'))} {flip[rel1]} {num(-k * b1)}\ny {rel2} {terms((m2, 'x'), (b2, ''))}"

    def holds(px: int, py: int, only: int | None = None) -> bool:
        return all(
            _REL[r](py, m * px + bb) for i, (m, bb, r) in enumerate(ineqs) if only in (None, i)
        )

    def find(pred: Callable[[tuple[int, int]], bool]) -> tuple[int, int]:
        hit = next((p for p in grid if pred(p)), None)
        if hit is None:
            raise Redraw
        return hit

    grid = [(px, py) for px in range(-6, 7) for py in range(-10, 11)]
    rng.shuffle(grid)
    good = find(lambda p: holds(*p))
    on_line = next(
        (
            p
            for p in grid
            if p[1] == m1 * p[0] + b1
            and all(_REL[r](p[1], m * p[0] + bb) for m, bb, r in ineqs[1:])
        ),
        None,
    )
    wrongs = []
    if on_line:
        wrongs.append(
            Wrong(
                point(*on_line),
                f"treating {rel1} as {_STRICT[rel1]}: this point lies on the boundary line",
            )
        )
    if difficulty == "easy":
        rev = find(lambda p: not holds(*p) and p[1] != m1 * p[0] + b1)
        wrongs.append(Wrong(point(*rev), "reading the inequality in the wrong direction"))
        swapped = (good[1], good[0])
        if not holds(*swapped) and swapped[1] != m1 * swapped[0] + b1:
            wrongs.append(Wrong(point(*swapped), "swapping the x- and y-coordinates"))
        wrongs.append(
            Wrong(
                point(*find(lambda p: not holds(*p) and p != rev)),
                "testing the point with a sign slip",
            )
        )
    else:
        only1 = find(lambda p: holds(*p, only=0) and not holds(*p, only=1))
        only2 = find(
            lambda p: holds(*p, only=1) and not holds(*p, only=0) and p[1] != m1 * p[0] + b1
        )
        err1 = (
            "checking only the first inequality"
            if difficulty == "medium"
            else "checking only the first inequality after rewriting it"
        )
        err2 = (
            "checking only the second inequality"
            if difficulty == "medium"
            else "forgetting to reverse the inequality sign when dividing by a negative number"
        )
        wrongs += [Wrong(point(*only1), err1), Wrong(point(*only2), err2)]
        neither = find(lambda p: not holds(*p, only=0) and not holds(*p, only=1))
        wrongs.append(Wrong(point(*neither), "a sign slip when substituting the coordinates"))
    if difficulty == "hard":
        wrongs.sort(key=lambda w: "reverse" not in w.error)  # keep the sign-flip trap
    stem = f"{text}\nWhich point (x, y) is a solution to the {'inequality' if difficulty == 'easy' else 'system of inequalities'} above?"
    answer = point(*good)
    steps = []
    if difficulty == "hard":
        steps.append(
            f"Rewrite the first inequality by solving for y; dividing by −{k} reverses the sign: y {rel1} {terms((m1, 'x'), (b1, ''))}."
        )
    for m, bb, r in ineqs:
        steps.append(
            f"Check {answer} in y {r} {terms((m, 'x'), (bb, ''))}: {num(good[1])} {r} {num(m * good[0] + bb)} is true."
        )
    steps.append("Each other choice fails at least one inequality (see below).")
    hints = [
        "A point is a solution only if it makes every inequality true.",
        "Substitute each point's x and y into the inequality and compare the two sides; watch strict signs.",
        "Worked first step: solve each inequality for y (reversing the sign if you divide by a negative), then test."
        if difficulty == "hard"
        else f"Worked first step: for a point (x, y), compute {terms((m1, 'x'), (b1, ''))} and compare it with y.",
    ]
    return build_item(
        rng, difficulty, stem=stem, answer=answer, steps=steps, wrongs=wrongs, hints=hints
    )


@generator("inequality_budget", "linear_inequalities")
@retrying
def inequality_budget(rng: random.Random, difficulty: Difficulty) -> Item:
    """Budget inequalities: the model (medium), the greatest whole count (easy), a strict inequality (hard)."""
    if difficulty == "hard":
        p, q, r = rng.randint(10, 60), rng.randint(2, 7), rng.randint(1, 6)
        s = nonzero(rng, -20, 20)
        bound = Fraction(p - s, q + r)
        if bound.denominator == 1 or bound <= 1:
            raise Redraw
        answer = Fraction(math.ceil(bound) - 1)
        stem = f"{p} − {q}x > {terms((r, 'x'), (s, ''))}\nWhat is the greatest integer value of x that satisfies the inequality above?"
        steps = [
            f"Add {q}x to both sides and {'subtract' if s > 0 else 'add'} {num(abs(s))}: {num(p - s)} > {q + r}x.",
            f"Divide by {q + r}: x < {num(bound)}.",
            f"The greatest integer less than {num(bound)} is {num(answer)}.",
        ]
        wrongs = [
            Wrong(
                num(math.ceil(bound)),
                "rounding the boundary up, which breaks the strict inequality",
            ),
            Wrong(
                num(math.floor(ratio(p + s, q + r))),
                f"moving {num(s)} across without changing its sign",
            ),
            Wrong(
                num(math.floor(ratio(p - s, abs(r - q) or 1))),
                f"subtracting {q}x from {terms((r, 'x'))} instead of adding the x-terms",
            ),
            Wrong(num(math.ceil(bound) + 1), "treating the boundary as the smallest allowed value"),
        ]
        hints = [
            "Solve it like an equation, but keep the inequality sign and its direction in view.",
            "Collect the x-terms on one side: add the x-term on the left to both sides.",
            f"Worked first step: {p} {signed(-s)} > {terms((r, 'x'), (q, 'x'))}.",
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
    budget = rng.randint(6, 20) * 5
    fee, price = rng.randint(3, 15), rng.randint(3, 9)
    if fee == price:  # the swapped-price distractor would be equivalent to the key
        raise Redraw
    room = budget - fee
    # n counts whole items, so two inequalities are only different models if they
    # allow different whole numbers: the strict "<" distractor needs an exact fit,
    # and the swapped or fee-added ones must change the greatest count.
    exact = difficulty == "medium"
    if (room % price == 0) != exact or room <= 0:
        raise Redraw
    if exact and room // price in ((budget - price) // fee, (budget + fee) // price):
        raise Redraw
    names = rng.choice(
        [
            ("Nadia", "a sketchbook", "pencils"),
            ("Omar", "a bus pass", "snacks"),
            ("Priya", "a phone case", "sticker sheets"),
        ]
    )
    who, once, item = names
    intro = f"{who} has ${budget} to spend. {who} buys {once} for ${fee} and then some {item} that cost ${price} each."
    if difficulty == "easy":
        answer = Fraction(room // price)
        stem = f"{intro} What is the greatest number of {item} {who} can buy?"
        steps = [
            f"Money left after {once}: {budget} − {fee} = {room}.",
            f"{price}n ≤ {room} gives n ≤ {num(Fraction(room, price))}.",
            f"n must be a whole number, so the greatest is {num(answer)}.",
        ]
        wrongs = [
            Wrong(num(math.ceil(ratio(room, price))), "rounding up, which goes over the budget"),
            Wrong(num(budget // price), f"forgetting to pay for {once} first"),
            Wrong(num((budget + fee) // price), f"adding the cost of {once} to the budget"),
            Wrong(num(room - price), f"subtracting the price of {item} instead of dividing by it"),
        ]
        hints = [
            "Pay for the one-time purchase first, then see how many of the others fit.",
            "Write total cost ≤ budget and solve; the count must be a whole number.",
            f"Worked first step: {fee} + {price}n ≤ {budget}.",
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
    stem = f"{intro} Which inequality represents the possible numbers n of {item} {who} can buy?"
    answer = f"{fee} + {price}n ≤ {budget}"
    steps = [
        f"The total cost is {fee} for {once} plus {price} for each of the n {item}: {fee} + {price}n.",
        f"Spending can be at most the ${budget} available: {answer}.",
    ]
    wrongs = [
        Wrong(f"{fee} + {price}n ≥ {budget}", "reversing the direction: at most means ≤"),
        Wrong(f"{fee}n + {price} ≤ {budget}", "attaching the count n to the wrong price"),
        Wrong(f"{price}n ≤ {budget} + {fee}", f"adding the cost of {once} to the budget"),
        Wrong(
            f"{fee} + {price}n < {budget}",
            "using < and ruling out spending exactly the whole budget",
        ),
    ]
    hints = [
        "Write the total cost first, then compare it with the money available.",
        f"Only the {item} depend on n; {once} is bought once.",
        f"Worked first step: the total cost is {fee} + {price}n dollars.",
    ]
    return build_item(
        rng, difficulty, stem=stem, answer=answer, steps=steps, wrongs=wrongs, hints=hints
    )
