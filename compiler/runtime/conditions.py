"""Conditions: what a provision's condition calls at run time.

Three-valued logic (None is unknown), code sets, and exact decimal arithmetic. Part of the
evaluator runtime (see `compiler/runtime/__init__.py`).
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final, TypeVar

###{codeset


class _CodeSet:
    """A named set of codes: `exact` ones, and `prefixes` covering every code that starts with one."""

    __slots__ = ("exact", "prefixes")

    def __init__(self, exact: frozenset[str], prefixes: tuple[str, ...]) -> None:
        self.exact = exact
        self.prefixes = prefixes

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and (code in self.exact or code.startswith(self.prefixes))

    def meets(self, codes: frozenset[str]) -> bool:
        """Whether any of a claim's codes is in the set."""
        return any(code in self for code in codes)


###}
###{kleene


# -- Three-valued logic: True, False, or None for unknown -------------------------


def _not(value: bool | None) -> bool | None:
    return None if value is None else not value


def _all(*values: bool | None) -> bool | None:
    if False in values:
        return False
    return None if None in values else True


def _any(*values: bool | None) -> bool | None:
    if True in values:
        return True
    return None if None in values else False


def _at_least(count: int, *values: bool | None) -> bool | None:
    true = values.count(True)
    if true >= count:
        return True
    return False if true + values.count(None) < count else None
###}
###{exact ?exact


# -- Exact decimal arithmetic ---------------------------------------------------------

# Decimal arithmetic in a context of its own, wide enough that + - * never round, whatever
# context the caller has set; a quotient is never computed, but compared by cross-multiplying.
_EXACT: Final = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)
_ADD: Final = _EXACT.add
_SUBTRACT: Final = _EXACT.subtract
_MULTIPLY: Final = _EXACT.multiply
###}
###{quotient ?quotient


def _quotient(numerator: Decimal | int, denominator: Decimal | int) -> Decimal | Fraction:
    """The exact quotient: a Decimal when its decimal expansion ends, else a Fraction (625/18)."""
    exact = Fraction(numerator) / Fraction(denominator)
    factors = {2: 0, 5: 0}  # the expansion ends iff the denominator is 2**a * 5**b, after max(a, b) places
    rest = exact.denominator
    for prime in factors:
        while rest % prime == 0:
            rest //= prime
            factors[prime] += 1
    if rest != 1:
        return exact
    places = max(factors.values())
    return Decimal(exact.numerator * 10**places // exact.denominator).scaleb(-places, _EXACT)
###}
###{tables ?ranges

_Number = TypeVar("_Number")


def _look_up(rows: tuple[tuple[tuple[Any, ...], _Number], ...], values: tuple[Any, ...]) -> _Number:
    """A table's number for these values: the first row whose keys match them, a key being a value,
    a range (low, high) with both ends in, or None for any value."""
    for keys, number in rows:
        pairs = zip(keys, values, strict=True)
        if all(k is None or (k[0] <= v <= k[1] if type(k) is tuple else k == v) for k, v in pairs):
            return number
    raise LookupError(f"no row for {values}")  # never: the checker makes sure that a row matches
###}
