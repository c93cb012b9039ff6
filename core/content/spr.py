"""Student-produced-response (SPR) answers, checked by the Digital SAT rules.

The rules, as the test states them: only digits, ``.``, ``/`` and ``-``; up
to 5 characters for a positive answer and 6 for a negative one (the minus
sign counts); a fraction or a decimal; a decimal that does not fit is
entered truncated or rounded so that it fills the space (2/3 → .6666,
.6667, 0.666 or 0.667), and a shorter decimal (.66, 0.67) is wrong; a mixed
number (3 1/2) is not an answer at all. Equivalent forms are correct: 7/2,
3.5 and 3.50 are the same answer, and fractions need not be reduced.

:func:`parse_entry` says whether text is an entry at all (and, if not, what
the student should type instead); :func:`check_spr` also says whether it is
correct against an item's keys.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

log = logging.getLogger(__name__)

MAX_POSITIVE = 5  # characters of a positive entry
MAX_NEGATIVE = 6  # characters of a negative entry, the minus sign included
# Digits (and point) available once a minus sign is set aside: 5 either way.
_BODY = MAX_POSITIVE
# Longer text is refused before any number is built from it.
_SANITY = 40

EntryForm = Literal["integer", "decimal", "fraction"]

CHARSET_REASON = "Use only digits, a decimal point, a fraction bar / and a minus sign."

_MINUS_LOOKALIKES = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-", "\u2010": "-"})
_MIXED = re.compile(r"^(-?)(\d+)\s+(\d+)\s*/\s*(\d+)$", re.ASCII)
_ASSIGNMENT = re.compile(r"^[a-zA-Z]\w*\s*=\s*(.+)$", re.ASCII)
_INTEGER = re.compile(r"^\d+$", re.ASCII)
_DECIMAL = re.compile(r"^(\d*)\.(\d*)$", re.ASCII)
_FRACTION = re.compile(r"^(\d+)/(\d+)$", re.ASCII)


@dataclass(frozen=True)
class Entry:
    """A valid SPR entry: the text as entered, its exact value and its form."""

    text: str
    value: Fraction
    form: EntryForm

    @property
    def negative(self) -> bool:
        return self.text.startswith("-")


@dataclass(frozen=True)
class Rejection:
    """Text that is not an SPR entry, with a reason that says what to type."""

    text: str
    reason: str


@dataclass(frozen=True)
class SprResult:
    """The verdict on one entry.

    ``accepted_as_answer`` is False when the text is not a valid entry at
    all (``reason`` says why; the student may try again and it is not
    scored as wrong); ``correct`` is True when it matches a key.
    """

    accepted_as_answer: bool
    correct: bool
    reason: str | None = None
    entry: Entry | None = None


def parse_entry(text: str) -> Entry | Rejection:
    """Parse what a student typed into an :class:`Entry`, or say why it is not one."""
    raw = text if isinstance(text, str) else str(text)
    s = raw.strip().translate(_MINUS_LOOKALIKES)
    if not s:
        return Rejection(raw, "Type your answer: a number such as 7/2, 3.5 or -2.")
    if len(s) > _SANITY:
        return Rejection(
            raw, f"That is {len(s)} characters; an answer fits in 5 (6 with a minus sign)."
        )
    problem = _form_problem(s)
    if problem is not None:
        return Rejection(raw, problem)
    negative = s.startswith("-")
    body = s[1:] if negative else s
    value = _body_value(body)
    if value is None:  # the only way a well-formed body has no value
        return Rejection(raw, "Division by zero: the number below the fraction bar can't be 0.")
    if negative:
        value = -value
    limit = MAX_NEGATIVE if negative else MAX_POSITIVE
    if len(s) > limit:
        return Rejection(raw, _too_long(s, value, negative))
    form: EntryForm = "fraction" if "/" in body else "decimal" if "." in body else "integer"
    return Entry(s, value, form)


def check_spr(entry_text: str, accepted: list[str]) -> SprResult:
    """Check a student's entry against an item's accepted keys."""
    parsed = parse_entry(entry_text)
    if isinstance(parsed, Rejection):
        return SprResult(False, False, parsed.reason)
    for key in accepted:
        value = _key_value(key)
        if value is None:
            log.warning("SPR key %r is not a number; skipped", key)
            continue
        if parsed.value == value or _fills_space_for(parsed, value):
            return SprResult(True, True, None, parsed)
    return SprResult(True, False, None, parsed)


def valid_key(text: str) -> str | None:
    """None if ``text`` is a valid SPR entry (so usable as a key), else why not."""
    if not isinstance(text, str):
        return f'key {text!r} must be written as text, e.g. "7/2"'
    parsed = parse_entry(text)
    if isinstance(parsed, Rejection):
        return parsed.reason
    if parsed.text != text:
        return f"key {text!r} has extra spaces or a non-ASCII minus; write {parsed.text!r}"
    return None


def accepted_forms(value: Fraction) -> list[str]:
    """Typical entries that are correct for ``value`` (for feedback: "also 3.5").

    The reduced fraction (if it fits), then the decimal forms: the exact
    decimal if it fits, else the truncated and rounded ones that fill the
    space. Empty if the value cannot be entered at all.
    """
    forms: list[str] = []
    sign = "-" if value < 0 else ""
    mag = abs(value)
    frac = f"{sign}{mag.numerator}" + (f"/{mag.denominator}" if mag.denominator != 1 else "")
    if len(frac) - len(sign) <= _BODY:
        forms.append(frac)
    for body in _decimal_bodies(mag):
        text = sign + body
        if text not in forms:
            forms.append(text)
    return forms


# -- parsing -------------------------------------------------------------------


def _form_problem(s: str) -> str | None:
    """Why ``s`` (stripped) is not shaped like an entry, or None."""
    mixed = _MIXED.match(s)
    if mixed:
        return _mixed_reason(s, mixed)
    assignment = _ASSIGNMENT.match(s)
    if assignment and isinstance(parse_entry(assignment.group(1)), Entry):
        return f"Enter just the number, {assignment.group(1).strip()}, without the letter and =."
    if "%" in s:
        return "Leave out the % sign: enter just the number."
    if "$" in s:
        return "Leave out the $ sign: enter just the number."
    if "," in s:
        if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d*)?", s):
            return f"Leave out commas: enter {s.replace(',', '')}."
        return "Use a decimal point, not a comma (3.5, not 3,5)."
    if any(c.isspace() for c in s):
        squeezed = "".join(s.split())
        if all(c in "0123456789./-" for c in squeezed):
            return f"Leave out the spaces: enter {squeezed}."
        return CHARSET_REASON
    if any(c not in "0123456789./-" for c in s):
        return CHARSET_REASON
    body = s[1:] if s.startswith("-") else s
    if "-" in body:
        return "A minus sign can only come first, as in -3/4."
    if not body:
        return "A minus sign needs a number after it, as in -3/4."
    if body.count("/") > 1:
        return "Use one fraction bar, as in 7/2."
    if body.count(".") > 1:
        return "A number has at most one decimal point."
    if "/" in body:
        top, _, bottom = body.partition("/")
        if not top or not bottom:
            return "A fraction needs a number on both sides of the bar, as in 7/2."
        if "." in body:
            return "Use whole numbers above and below the fraction bar (3/4), or enter a decimal (.75)."
        return None
    if not any(c.isdigit() for c in body):
        return "A decimal point needs digits with it, as in .5 or 0.5."
    return None


def _mixed_reason(s: str, match: re.Match[str]) -> str:
    sign, whole, top, bottom = match.groups()
    if int(bottom) == 0:
        return "Division by zero: the number below the fraction bar can't be 0."
    value = int(whole) + Fraction(int(top), int(bottom))
    improper = f"{sign}{value.numerator}/{value.denominator}" if value.denominator != 1 else None
    options = []
    if improper and len(improper) - len(sign) <= _BODY:
        options.append(improper)
    options.extend(sign + b for b in _decimal_bodies(value)[:1])
    shown = " ".join(s.split())
    if not options:
        return f"{shown} is a mixed number, which can't be entered: write it as one fraction or decimal."
    return f"{shown} is a mixed number: enter {' or '.join(options)}."


def _body_value(body: str) -> Fraction | None:
    """The value of a well-formed unsigned body; None on division by zero."""
    if _INTEGER.match(body):
        return Fraction(int(body))
    dec = _DECIMAL.match(body)
    if dec:
        whole, frac = dec.groups()
        return Fraction(int(whole or "0")) + (
            Fraction(int(frac), 10 ** len(frac)) if frac else Fraction(0)
        )
    top, bottom = _FRACTION.match(body).groups()  # type: ignore[union-attr]
    if int(bottom) == 0:
        return None
    return Fraction(int(top), int(bottom))


def _key_value(key: object) -> Fraction | None:
    """A key's exact value; keys are validated entries, but be lenient here."""
    parsed = parse_entry(str(key))
    if isinstance(parsed, Entry):
        return parsed.value
    try:
        return Fraction(str(key).strip())
    except (ValueError, ZeroDivisionError):
        return None


def _too_long(s: str, value: Fraction, negative: bool) -> str:
    if negative:
        head = f"That is {len(s)} characters; a negative answer fits in {MAX_NEGATIVE}, counting the minus sign"
    else:
        head = f"That is {len(s)} characters; a positive answer fits in {MAX_POSITIVE}"
    forms = accepted_forms(value)
    if not forms:
        return head + "."
    return f"{head}: enter {' or '.join(forms[:2])}."


# -- decimals that do not fit ---------------------------------------------------


def _places(int_digits: int) -> int:
    """Decimal places left in the 5-character body after ``int_digits`` and a point."""
    return max(_BODY - int_digits - 1, 0)


def _shift(mag: Fraction, places: int, rounded: bool) -> int:
    """``mag`` × 10^places, truncated or rounded half up, as an integer."""
    scaled = mag * 10**places
    whole = scaled.numerator // scaled.denominator
    if rounded and scaled - whole >= Fraction(1, 2):
        whole += 1
    return whole


def _render(units: int, places: int, leading_zero: bool) -> str:
    """``units`` / 10^places as a decimal body with exactly ``places`` digits."""
    if places == 0:
        return str(units)
    digits = str(units).rjust(places + 1, "0")
    whole, frac = digits[:-places], digits[-places:]
    if whole == "0" and not leading_zero:
        whole = ""
    return f"{whole}.{frac}"


def _decimal_bodies(mag: Fraction) -> list[str]:
    """Decimal bodies (no sign) that are correct for the magnitude ``mag``."""
    bodies: list[str] = []
    # Exact decimal, if the value terminates and fits.
    for places in range(0, _BODY):
        units = mag * 10**places
        if units.denominator == 1:
            for zero in (False, True):
                text = _render(int(units), places, zero)
                if len(text) <= _BODY and text not in bodies:
                    bodies.append(text)
            if bodies:
                return bodies
            break
    # Otherwise truncated and rounded forms that fill the space.
    for zero in (False, True) if mag < 1 else (True,):
        int_digits = 1 if zero else 0
        if mag >= 1:
            int_digits = len(str(mag.numerator // mag.denominator))
        places = _places(int_digits)
        for rounded in (False, True):
            units = _shift(mag, places, rounded)
            text = _render(units, places, zero)
            if len(text) <= _BODY and text not in bodies:
                bodies.append(text)
    return bodies


def _fills_space_for(entry: Entry, key: Fraction) -> bool:
    """True if ``entry`` is ``key`` truncated or rounded so as to fill the space.

    The real test accepts such an entry only when it uses every available
    character (5 for a positive answer, 6 with the minus sign for a
    negative one), counting a single leading 0 or not: for 2/3 that is
    .6666, .6667, 0.666 and 0.667. Superfluous leading zeros don't count.
    """
    if entry.form == "fraction":
        return False
    if (entry.value < 0) != (key < 0) and entry.value != 0:
        return False
    body = entry.text.lstrip("-")
    whole, point, frac = body.partition(".")
    if len(whole) > 1 and whole.startswith("0"):
        return False
    if not point and len(whole) < _BODY - 1:
        return False  # a whole number fills the space only with 4 or 5 digits
    places = len(frac)
    if places != _places(len(whole)):
        return False  # with the point, this means exactly 5 characters
    mag = abs(key)
    target = abs(entry.value) * 10**places
    return target in (_shift(mag, places, False), _shift(mag, places, True))
