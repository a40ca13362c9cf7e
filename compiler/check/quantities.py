"""Quantities: the type of a value in arithmetic, with its unit and the exact range it can take.

Pure functions over `Quantity`, used by the checker to prove a divisor never zero (E209), a
comparison reachable (E204) and units consistent (E208).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from compiler import model
from compiler.check.report import a as _a


@dataclass(frozen=True, slots=True)
class Quantity:
    """The type of a value in arithmetic: a number (with its unit and the range it can take) or a date.

    A duration literal (`12 weeks`) is a quantity too, but it only moves a date or meets a
    number counted in the same kind of time unit.
    """

    kind: str  # number, date, duration or collection
    unit: str | None = None
    low: Fraction | None = None  # None: unbounded; exact, so that a range test at a threshold is exact
    high: Fraction | None = None
    whole: bool = True

    def describe(self) -> str:
        return f"a number in {self.unit}" if self.kind == "number" and self.unit else _a(self.kind)


# Time units: days and weeks count days, months and years count months; the two never mix.
TIME_UNITS: dict[str, tuple[model.TimeUnit, int]] = {
    "days": ("days", 1),
    "weeks": ("days", 7),
    "months": ("months", 1),
    "years": ("months", 12),
}
FUNCTIONS = {
    "days_between": "the whole days from the first date to the second",
    "months_between": "the whole calendar months from the first date to the second",
    "years_between": "the whole years from the first date to the second (an age, from a date of birth)",
    "calendar_months_between": "the months from the first date's month to the second's, the days aside",
    "count": "how many members a set (or a claim's list of codes) has",
    "month_start": "the first day of a date's month",
    "max": "the greatest of two or more numbers of one unit, or the latest of two or more dates",
    "min": "the least of two or more numbers of one unit, or the earliest of two or more dates",
}


def can_hold(low: Fraction | int | None, high: Fraction | int | None, op: str, n: Fraction | int) -> bool:
    """Whether `x OP n` can be true for some x from low to high (None: unbounded), exactly."""
    above = low is None or low <= n  # some x <= n
    below = high is None or high >= n  # some x >= n
    return {
        "==": above and below,
        "!=": not (low == high == n),
        "<": low is None or low < n,
        "<=": above,
        ">": high is None or high > n,
        ">=": below,
    }[op]


# -- Ranges of computed numbers (None is unbounded), to prove a divisor is never zero ------------


def neg(bound: Fraction | None) -> Fraction | None:
    return None if bound is None else -bound


def add(a: Quantity, b: Quantity) -> tuple[Fraction | None, Fraction | None]:
    low = None if a.low is None or b.low is None else a.low + b.low
    high = None if a.high is None or b.high is None else a.high + b.high
    return low, high


def multiply(a: Quantity, b: Quantity, op: str) -> tuple[Fraction | None, Fraction | None]:
    bounds = (a.low, a.high, b.low, b.high)
    if any(x is None for x in bounds):
        return None, None
    assert a.low is not None and a.high is not None and b.low is not None and b.high is not None
    if op == "*":
        corners = [a.low * b.low, a.low * b.high, a.high * b.low, a.high * b.high]
    else:  # the divisor's range excludes zero
        corners = [a.low / b.low, a.low / b.high, a.high / b.low, a.high / b.high]
    return min(corners), max(corners)


def fmt_range(q: Quantity) -> str:
    def show(bound: Fraction | None, infinite: str) -> str:
        if bound is None:
            return infinite
        exact = model.finite_decimal(bound)
        return f"{exact:f}" if exact is not None else f"{float(bound):.6g}"

    return f"{show(q.low, '-inf')}..{show(q.high, 'inf')}" + (f" {q.unit}" if q.unit else "")


# -- Units: a unit is a product of named factors with whole exponents, `kg/m2` is kg^1 m^-2 ---------

# Compound units known by a name of their own.
NAMED_UNITS = {"pack-years": "packs*years/day"}


def _factors(unit: str | None) -> dict[str, int]:
    """`kg/m2` -> {kg: 1, m: -2}; `%` and no unit -> {}."""
    if unit is None or unit == "%":
        return {}
    unit = NAMED_UNITS.get(unit, unit)
    found: dict[str, int] = {}
    for i, part in enumerate(unit.replace(" ", "").split("/")):
        for factor in filter(None, part.split("*")):
            name, power = re.fullmatch(r"(.*?)([0-9]*)", factor).groups()  # type: ignore[union-attr]
            exponent = int(power or 1) * (1 if i == 0 else -1)
            found[name or factor] = found.get(name or factor, 0) + exponent
    return {name: power for name, power in found.items() if power}


def unit_product(a: str | None, b: str | None, power: int) -> str | None:
    """The unit of a * b (power 1) or a / b (power -1), written canonically: `kg/m2`, `packs*years/day`."""
    factors = _factors(a)
    for name, exponent in _factors(b).items():
        factors[name] = factors.get(name, 0) + power * exponent
    factors = {name: exponent for name, exponent in factors.items() if exponent}  # kg/kg: no unit
    if not factors:  # a percentage times or over a plain number stays a percentage
        return "%" if (a == "%" or (b == "%" and power == 1)) else None

    def written(names: list[str]) -> str:
        return "*".join(f"{n}{abs(factors[n]) if abs(factors[n]) > 1 else ''}" for n in names)

    over = sorted(n for n, e in factors.items() if e > 0)
    under = sorted(n for n, e in factors.items() if e < 0)
    return (written(over) or "1") + (f"/{written(under)}" if under else "")
