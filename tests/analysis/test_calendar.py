"""The calendar in SMT against Python's own calendar (datetime), on a grid of hard dates.

The ends of months and of February in leap and common years (1600, 1900, 2000, 2100), the
first and last days datetime knows, and day numbers past either end, which moved dates reach.
"""

from __future__ import annotations

import datetime
import itertools

import z3

from compiler import interpret
from compiler.analysis.calendar import Calendar

DAYS = [
    datetime.date(1, 1, 1),
    datetime.date(1600, 2, 29),
    datetime.date(1900, 2, 28),
    datetime.date(1900, 3, 1),
    datetime.date(2000, 2, 29),
    datetime.date(2023, 1, 31),
    datetime.date(2024, 1, 31),
    datetime.date(2024, 2, 29),
    datetime.date(2024, 12, 31),
    datetime.date(2100, 2, 28),
    datetime.date(9999, 12, 31),
]
NUMBERS = [d.toordinal() for d in DAYS] + [-800, 0, datetime.date.max.toordinal() + 400]


def value(expr: z3.ArithRef, calendar: Calendar) -> int:
    solver = z3.Solver()
    solver.add(*calendar.facts)
    assert solver.check() == z3.sat
    result: int = solver.model().eval(expr, model_completion=True).as_long()
    solver.add(expr != result)  # and no other value is possible
    assert solver.check() == z3.unsat
    return result


def test_year_month_and_day_of_any_day_number() -> None:
    for number in NUMBERS:
        calendar = Calendar()
        year, month, day = calendar.parts(z3.IntVal(number))
        expected = interpret.calendar_text(number)
        assert f"{value(year, calendar):04d}-{value(month, calendar):02d}-{value(day, calendar):02d}" == expected


def test_months_moved_and_months_between() -> None:
    for number, months in itertools.product(NUMBERS, (-13, -1, 1, 12, 25)):
        calendar = Calendar()
        assert value(calendar.shift_months(z3.IntVal(number), z3.IntVal(months)), calendar) == interpret.shift_months(
            number, months
        ), (number, months)
    for start, end in itertools.product(NUMBERS[1:11], repeat=2):
        calendar = Calendar()
        assert value(calendar.months_between(z3.IntVal(start), z3.IntVal(end)), calendar) == interpret.months_between(
            start, end
        ), (start, end)
        assert value(calendar.month_start(z3.IntVal(end)), calendar) == end - interpret._parts(end)[2] + 1
