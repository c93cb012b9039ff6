"""Plain-chat math: ASCII leftovers become Unicode, prose stays as written."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.content.mathtext import has_latex, plain_math


@pytest.mark.parametrize(
    ("ascii_math", "unicode"),
    [
        ("x^2 + 3x", "x² + 3x"),
        ("x^3 - 1", "x³ - 1"),  # a binary minus may stay a hyphen
        ("(x + 1)^2", "(x + 1)²"),
        ("f(x) = 2^(10)", "f(x) = 2¹⁰"),
        ("x**2 - 4*x", "x² - 4*x"),
        ("x^-1", "x⁻¹"),
        ("a^n", "aⁿ"),
        ("sqrt(x)", "√(x)"),
        ("sqrt(x + 1)", "√(x + 1)"),
        ("sqrt(25) = 5", "√25 = 5"),
        ("2pi r", "2π r"),
        ("the area is 9pi", "the area is 9π"),
        ("pi/4", "π/4"),
        ("x <= 3", "x ≤ 3"),
        ("y >= -2", "y ≥ −2"),
        ("x != 0", "x ≠ 0"),
        ("3*4", "3·4"),
        ("3 * 4 = 12", "3 · 4 = 12"),
        ("(-2, 5)", "(−2, 5)"),
        ("x = -3.5", "x = −3.5"),
        ("x = -.5", "x = −.5"),
    ],
)
def test_plain_math(ascii_math: str, unicode: str) -> None:
    assert plain_math(ascii_math) == unicode


@pytest.mark.parametrize(
    "prose",
    [
        "The pipeline's spin on the topic was well-known.",
        "Pick a piano, a pizza or a pie; Pi Day is in March.",
        "Pages 10-12 of the 2019-2020 report",
        "She said - in passing - that it rained.",
        "- The first note\n- The second note",
        "An email@example.com address and a *starred* word",
        "Prices rose from $5 to $12.",
    ],
)
def test_prose_is_not_damaged(prose: str) -> None:
    assert plain_math(prose) == prose


@given(st.text(alphabet="x2^*()-=<>!sqrtpi 0.13abc"))
def test_idempotent(text: str) -> None:
    once = plain_math(text)
    assert plain_math(once) == once


@pytest.mark.parametrize(
    "text",
    [
        r"\frac{1}{2}",
        r"x = \sqrt{2}",
        r"$x^2$",
        r"$x + 1$",
        "x^{2}",
        "a_{n}",
        r"\(x\)",
        r"$$y = 2$$",
        r"3 \cdot 4",
        r"x \le 5",
        r"\pi r^2",
        r"\text{cm}",
    ],
)
def test_has_latex(text: str) -> None:
    assert has_latex(text)


@pytest.mark.parametrize(
    "text",
    [
        "x² + √(x) = π",
        "It costs $5 for a ticket and $12 for two.",
        "A $ sign, a price of $3.50, and 5 dollars.",
        "The ratio is 3/4 and x_1 is the first term.",
        "C:\\ is a path",
        "Prices: $5, $10 and $15.",
    ],
)
def test_not_latex(text: str) -> None:
    assert not has_latex(text)
