"""Math that reads well in a plain chat message.

Items are written in plain Unicode (x², √, π, ≤); :func:`plain_math` tidies
the ASCII habits that slip through (x^2, sqrt(x), <=) and is careful with
prose: it only rewrites patterns that cannot be ordinary words.
:func:`has_latex` finds LaTeX, which no chat renders, for the validator.
"""

from __future__ import annotations

import re

_SUPERSCRIPT = str.maketrans("0123456789-+", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺")

_LATEX_COMMANDS = (
    "frac|dfrac|tfrac|sqrt|cdot|times|div|le|leq|ge|geq|ne|neq|pm|mp|pi|theta|alpha|beta|"
    "gamma|delta|lambda|mu|sigma|infty|angle|triangle|circ|degree|overline|overrightarrow|"
    "left|right|text|textbf|mathrm|mathbf|mathit|begin|end|sum|int|approx|sim|cong|parallel|"
    "perp|in|cup|cap|quad|qquad|displaystyle|dots|ldots|cdots|log|ln|sin|cos|tan"
)
_LATEX = re.compile(
    r"\\(?:" + _LATEX_COMMANDS + r")(?![A-Za-z])"  # a known command
    r"|\\[A-Za-z]+\{"  # any command with a braced argument
    r"|\\[(\[]"  # \( ... \) and \[ ... \]
    r"|\$\$"  # display math
    r"|[\^_]\{"  # x^{2}, a_{n}
    # $...$ math, but not money: "$5 and $10" opens on a digit.
    r"|(?<![\w$])\$(?![\d\s$.,])[^$\n]*?(?<![\s\\])\$(?!\d)"
)

_POWER = re.compile(r"(?<=[\w)\]])(?:\^|\*\*)(?:\((-?\d+)\)|(-?\d+))")
_POWER_N = re.compile(r"(?<=[\w)\]])\^n(?![A-Za-z])")
_SQRT_NUMBER = re.compile(r"\bsqrt\((\d+(?:\.\d+)?)\)")
_SQRT = re.compile(r"\bsqrt(?=\()")
_PI = re.compile(r"(?<![A-Za-z])pi(?![A-Za-z])")
_TIMES = re.compile(r"(?<=\d)(\s*)\*(\s*)(?=[\d.])")
_UNARY_MINUS = re.compile(r"(?:(?<=^)|(?<=[\s(\[=,<>≤≥]))-(?=\.?\d)", re.MULTILINE)


def has_latex(text: str) -> bool:
    """True if ``text`` contains LaTeX markup (``\\frac``, ``$x$``, ``x^{2}``…)."""
    return find_latex(text) is not None


def find_latex(text: str) -> str | None:
    """The first LaTeX markup in ``text`` (for an error message), or None."""
    match = _LATEX.search(text)
    return match.group(0) if match else None


def plain_math(text: str) -> str:
    """Rewrite leftover ASCII math (x^2, sqrt(x), pi, <=, 3*4) as Unicode.

    Idempotent, and ordinary prose (hyphens, "spin", "pipeline") is left alone.
    """
    text = _POWER.sub(_superscript, text)
    text = _POWER_N.sub("ⁿ", text)
    text = _SQRT_NUMBER.sub(r"√\1", text)
    text = _SQRT.sub("√", text)
    text = _PI.sub("π", text)
    text = text.replace("<=", "≤").replace(">=", "≥").replace("!=", "≠")
    text = _TIMES.sub(r"\1·\2", text)
    return _UNARY_MINUS.sub("−", text)


def _superscript(match: re.Match[str]) -> str:
    bracketed, bare = match.groups()
    return (bracketed or bare).translate(_SUPERSCRIPT)
