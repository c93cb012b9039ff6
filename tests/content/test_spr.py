"""SPR answer checking against the Digital SAT entry rules."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.content.spr import (
    Entry,
    Rejection,
    accepted_forms,
    check_spr,
    parse_entry,
    valid_key,
)


def correct(entry: str, keys: list[str]) -> bool:
    result = check_spr(entry, keys)
    assert result.accepted_as_answer, result.reason
    return result.correct


def reason(entry: str) -> str:
    parsed = parse_entry(entry)
    assert isinstance(parsed, Rejection), parsed
    return parsed.reason


# -- the official examples -----------------------------------------------------


@pytest.mark.parametrize("entry", ["7/2", "3.5", "3.50", "14/4", "03.5"])
def test_three_and_a_half_equivalent_forms(entry: str) -> None:
    assert correct(entry, ["7/2"])


@pytest.mark.parametrize("entry", [".6666", ".6667", "0.666", "0.667", "2/3", "4/6", "10/15"])
def test_two_thirds_accepted(entry: str) -> None:
    assert correct(entry, ["2/3"])


@pytest.mark.parametrize("entry", [".66", ".67", "0.66", "0.67", ".666", ".667", "0.6", ".7"])
def test_two_thirds_too_short_is_wrong(entry: str) -> None:
    assert not correct(entry, ["2/3"])


@pytest.mark.parametrize("entry", ["-1/3", "-.3333", "-0.333", "-2/6"])
def test_negative_third(entry: str) -> None:
    assert correct(entry, ["-1/3"])


@pytest.mark.parametrize("entry", ["-.33", "-0.33", ".3333", "1/3"])
def test_negative_third_wrong(entry: str) -> None:
    assert not correct(entry, ["-1/3"])


def test_negative_two_thirds_rounded_and_truncated() -> None:
    for entry in ("-.6666", "-.6667", "-0.666", "-0.667"):
        assert correct(entry, ["-2/3"]), entry


def test_equivalent_negative_forms() -> None:
    for entry in ("-2/4", "-1/2", "-.5", "-0.5", "-.50"):
        assert correct(entry, ["-.5"]), entry


def test_superfluous_leading_zeros_do_not_fill_the_space() -> None:
    assert not correct("00.67", ["2/3"])
    assert correct("0.667", ["2/3"])


def test_long_terminating_key_and_large_values() -> None:
    assert correct(".0312", ["1/32"])
    assert correct(".0313", ["1/32"])
    assert correct("0.031", ["1/32"])
    assert not correct(".031", ["1/32"])
    assert correct("33.33", ["100/3"])
    assert not correct("33.3", ["100/3"])
    assert correct("1234", ["2469/2"])
    assert correct("1235", ["2469/2"])
    assert not correct("123", ["2469/2"])


def test_any_key_may_match() -> None:
    assert correct("-2", ["2", "-2"])
    assert not correct("3", ["2", "-2"])


def test_correct_flag_false_for_wrong_value() -> None:
    result = check_spr("4", ["7/2"])
    assert result.accepted_as_answer and not result.correct
    assert result.entry == Entry("4", Fraction(4), "integer")


# -- rejections and their reasons ------------------------------------------------


def test_mixed_number_rejected_with_advice() -> None:
    assert reason("3 1/2") == "3 1/2 is a mixed number: enter 7/2 or 3.5."
    assert "-7/2 or -3.5" in reason("-3 1/2")
    assert not check_spr("3 1/2", ["7/2"]).accepted_as_answer


def test_mixed_number_that_does_not_fit_suggests_decimal() -> None:
    assert reason("12 2/3") == "12 2/3 is a mixed number: enter 38/3 or 12.66."


def test_characters() -> None:
    assert reason("3,5") == "Use a decimal point, not a comma (3.5, not 3,5)."
    assert reason("1,000") == "Leave out commas: enter 1000."
    assert "%" in reason("25%")
    assert "$" in reason("$12")
    assert reason("x^2") == "Use only digits, a decimal point, a fraction bar / and a minus sign."
    assert reason("½") == "Use only digits, a decimal point, a fraction bar / and a minus sign."
    assert reason("7 / 2") == "Leave out the spaces: enter 7/2."
    assert reason("x = 3") == "Enter just the number, 3, without the letter and =."
    assert reason("+3").startswith("Use only digits")


def test_structure() -> None:
    assert "Division by zero" in reason("3/0")
    assert "first" in reason("3-2")
    assert "one fraction bar" in reason("1/2/3")
    assert "one decimal point" in reason("1.2.3")
    assert "both sides" in reason("3/")
    assert "whole numbers" in reason("1.5/2")
    assert "needs a number" in reason("-")
    assert "digits" in reason(".")
    assert "Type your answer" in reason("   ")


def test_length_limits() -> None:
    assert reason("0.6667").startswith("That is 6 characters; a positive answer fits in 5")
    assert ".6667" in reason("0.6667")
    assert reason("-0.6667").startswith(
        "That is 7 characters; a negative answer fits in 6, counting the minus sign"
    )
    assert isinstance(parse_entry("-.6667"), Entry)
    assert isinstance(parse_entry("12345"), Entry)
    assert isinstance(parse_entry("-12345"), Entry)
    assert "10/3" in reason("100/30")


def test_unicode_minus_is_a_minus() -> None:
    parsed = parse_entry("\u22123/4")
    assert isinstance(parsed, Entry) and parsed.value == Fraction(-3, 4)


def test_valid_key() -> None:
    assert valid_key("7/2") is None
    assert valid_key("-.5") is None
    assert valid_key("3 1/2") is not None
    assert valid_key("0.6667") is not None
    assert valid_key(" 7/2") is not None
    assert valid_key(3.5) is not None  # type: ignore[arg-type]


def test_accepted_forms() -> None:
    assert accepted_forms(Fraction(2, 3)) == ["2/3", ".6666", ".6667", "0.666", "0.667"]
    assert accepted_forms(Fraction(-7, 2)) == ["-7/2", "-3.5"]
    assert accepted_forms(Fraction(1, 2)) == ["1/2", ".5", "0.5"]
    assert accepted_forms(Fraction(123456)) == []


# -- properties ------------------------------------------------------------------


def fits(text: str) -> bool:
    return len(text) <= (6 if text.startswith("-") else 5)


def reference_decimals(value: Fraction) -> list[str]:
    """Decimal renderings written independently of the module, with Decimal."""
    sign = "-" if value < 0 else ""
    mag = Decimal(abs(value).numerator) / Decimal(abs(value).denominator)
    out = []
    exact = abs(value)
    for places in range(5):
        if (exact * 10**places).denominator == 1:
            text = f"{mag:.{places}f}"
            out += [text, text.removeprefix("0")] if text.startswith("0.") else [text]
            return [sign + t for t in out if len(t) <= 5]
    whole = len(str(int(mag))) if mag >= 1 else None
    layouts = [(1, True), (0, False)] if whole is None else [(whole, True)]
    for digits, keep_zero in layouts:
        places = max(5 - digits - 1, 0)
        quantum = Decimal(1).scaleb(-places)
        for rounding in (ROUND_DOWN, ROUND_HALF_UP):
            text = f"{mag.quantize(quantum, rounding=rounding):f}"
            if not keep_zero:
                text = text.removeprefix("0")
            if len(text) <= 5:
                out.append(text)
    return [sign + t for t in out]


fractions_that_fit = st.builds(Fraction, st.integers(-9999, 99999), st.integers(1, 9999)).filter(
    lambda f: fits(str(f))
)


@settings(max_examples=200, deadline=None)
@given(fractions_that_fit)
def test_fraction_and_every_decimal_rendering_accepted(value: Fraction) -> None:
    key = str(value)
    assert correct(key, [key])
    if value.denominator != 1:
        unreduced = f"{value.numerator * 2}/{value.denominator * 2}"
        if fits(unreduced):
            assert correct(unreduced, [key])
    for text in reference_decimals(value):
        assert correct(text, [key]), text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789./-", min_size=1, max_size=12))
def test_nothing_over_the_limit_is_accepted(text: str) -> None:
    parsed = parse_entry(text)
    if not fits(text):
        assert isinstance(parsed, Rejection)
    if isinstance(parsed, Entry):
        assert fits(parsed.text)


@settings(max_examples=200, deadline=None)
@given(st.integers(-999, 999), st.integers(1, 99), st.integers(2, 99))
def test_no_mixed_number_accepted(whole: int, top: int, bottom: int) -> None:
    result = check_spr(f"{whole} {top}/{bottom}", [f"{whole * bottom + top}/{bottom}"])
    assert not result.accepted_as_answer
    assert result.reason


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_parser_never_raises(text: str) -> None:
    assert isinstance(parse_entry(text), Entry | Rejection)
    check_spr(text, ["7/2", "-1/3", "junk"])
