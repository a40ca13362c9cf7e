"""Wording: the numbers a provision's wording states against those its condition uses (W104, W105).

A changed threshold must not leave the old one in the explanation, the page and the decision.
"""

from __future__ import annotations

import dataclasses
import re
from fractions import Fraction

from compiler.check.report import Report
from compiler.syntax import nodes


def check_wording_numbers(report: Report, provision: nodes.Provision, body: nodes.Condition) -> None:
    """The numbers of a condition and of its wording must agree, so that a changed threshold cannot
    leave the old one in the explanation, the page and the decision (W104, W105)."""
    used = _literal_numbers(body.expr)
    if not used:
        return
    stated: set[Fraction] = set()
    for number, percent in _stated_numbers(provision.wording):
        stated |= {number, number / 100} if percent else {number}  # 70% is also 0.70
    hint = 'fix the one that is wrong, or add `wording differs "why"` after the condition'
    # A negative threshold may be worded by its size: "fell by more than 5 percent" is `change < -5`.
    for text, value in used:
        if value not in stated and not (value < 0 and -value in stated):
            report.warning("W104", f"the condition uses {text}, which its wording does not state", body.span, hint)
    values = {value for _, value in used} | {-value for _, value in used if value < 0}
    digits = {_number(m.group(1)): m.group(1) for m in _STATED_NUMBER.finditer(provision.wording)}  # not words
    for number, written in sorted(digits.items()):
        if number not in values and number / 100 not in values:
            report.warning(
                "W105", f"the wording states {written}, which the condition does not use", provision.span, hint
            )


# 3, 0.70, 70%, 31st, 12-week, -5 (a sign only after a space or bracket: 18-64 is 18 and 64)
_STATED_NUMBER = re.compile(r"(?<![\w.])((?:[-\u2212](?=[0-9]))?[0-9]+(?:\.[0-9]+)?)(%)?")
_NUMBER_WORDS = {
    word: number
    for number, word in enumerate(
        ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"], start=1
    )
}


def _number(text: str) -> Fraction:
    return Fraction(text.replace("\u2212", "-"))  # a typeset minus sign is a minus


def _stated_numbers(wording: str) -> list[tuple[Fraction, bool]]:
    """The numbers a wording states, in digits or as words up to twelve, each with whether it is a percentage."""
    found = [(_number(m.group(1)), m.group(2) is not None) for m in _STATED_NUMBER.finditer(wording)]
    words = re.findall(r"[a-z]+", wording.lower())
    return found + [(Fraction(_NUMBER_WORDS[w]), False) for w in words if w in _NUMBER_WORDS]


def _literal_numbers(expr: nodes.Node) -> list[tuple[str, Fraction]]:
    """The numbers written in a condition, as written and as values: `35`, `0.70`, `12 weeks`."""
    found: list[tuple[str, Fraction]] = []
    if isinstance(expr, nodes.IntLit):
        found.append((str(expr.value), Fraction(expr.value)))
    elif isinstance(expr, nodes.DecimalLit):
        found.append((expr.text, Fraction(expr.value)))
    elif isinstance(expr, nodes.DurationLit):
        found.append((f"{expr.amount} {expr.unit}", Fraction(expr.amount)))
    elif dataclasses.is_dataclass(expr):
        for field in dataclasses.fields(expr):
            children = getattr(expr, field.name)
            for child in children if isinstance(children, tuple) else (children,):
                if isinstance(child, nodes.Node):
                    found.extend(_literal_numbers(child))
    return found
