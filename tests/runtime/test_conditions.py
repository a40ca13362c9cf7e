"""Three-valued logic, code sets and exact quotients, held to their definitions."""

from __future__ import annotations

import itertools
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from compiler.runtime import conditions

VALUES = (True, False, None)


def _kleene(values: tuple[bool | None, ...], count: int) -> bool | None:
    """At least `count` true, by trying every way to decide each unknown: one answer for all, or unknown."""
    unknown = [i for i, v in enumerate(values) if v is None]
    answers = set()
    for choice in itertools.product((True, False), repeat=len(unknown)):
        filled = list(values)
        for i, value in zip(unknown, choice, strict=True):
            filled[i] = value
        answers.add(sum(bool(v) for v in filled) >= count)
    return answers.pop() if len(answers) == 1 else None


def test_all_any_and_at_least_agree_with_trying_every_unknown() -> None:
    for size in range(4):
        for values in itertools.product(VALUES, repeat=size):
            assert conditions._all(*values) is _kleene(values, size)
            assert conditions._any(*values) is _kleene(values, 1)
            for count in range(size + 2):
                assert conditions._at_least(count, *values) is _kleene(values, count)


def test_not_keeps_unknown_unknown() -> None:
    assert [conditions._not(v) for v in VALUES] == [False, True, None]


def test_a_code_set_holds_its_codes_and_every_code_under_a_prefix() -> None:
    codeset = conditions._CodeSet(frozenset({"K22.0"}), ("E10", "E11."))
    assert "K22.0" in codeset and "E10.9" in codeset and "E11.65" in codeset
    assert "E11" not in codeset and "K22.1" not in codeset and 22 not in codeset
    assert codeset.meets(frozenset({"Z00", "E10"})) and not codeset.meets(frozenset())


@given(st.integers(-(10**6), 10**6), st.integers(-(10**4), 10**4).filter(bool), st.integers(0, 6))
def test_a_quotient_is_exact(numerator: int, denominator: int, places: int) -> None:
    top = Decimal(numerator).scaleb(-places)
    quotient = conditions._quotient(top, denominator)
    assert Fraction(quotient) == Fraction(top) / denominator
    assert isinstance(quotient, Decimal) == _ends(Fraction(top) / denominator)


def _ends(exact: Fraction) -> bool:
    """Whether a number's decimal expansion ends: 10**k times it is whole for some k."""
    return any((exact * 10**k).denominator == 1 for k in range(40))


def test_exact_arithmetic_ignores_the_callers_context() -> None:
    import decimal

    with decimal.localcontext(decimal.Context(prec=3)):
        assert conditions._MULTIPLY(Decimal("1.23456"), Decimal("100")) == Decimal("123.456")
        assert conditions._ADD(Decimal("1e-30"), Decimal(1)) - 1 != 0
