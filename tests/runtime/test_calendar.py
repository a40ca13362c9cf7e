"""Day numbers, held to `datetime` over its years and to themselves beyond them."""

from __future__ import annotations

import datetime
from typing import cast

from hypothesis import given
from hypothesis import strategies as st

from compiler import interpret, model
from compiler.runtime import calendar

dates = st.dates(datetime.date(1, 1, 1), datetime.date(9999, 12, 31))


@given(dates)
def test_day_numbers_are_datetime_ordinals(day: datetime.date) -> None:
    number = calendar._day_number(day.year, day.month, day.day)
    assert number == day.toordinal()
    assert calendar._calendar_date(number) == (day.year, day.month, day.day)


@given(st.integers(-(10**7), 10**7))
def test_day_numbers_round_trip_beyond_datetime(number: int) -> None:
    assert calendar._day_number(*calendar._calendar_date(number)) == number


def test_moving_by_months_keeps_the_day_or_takes_the_months_last() -> None:
    jan_31 = datetime.date(2024, 1, 31).toordinal()
    assert datetime.date.fromordinal(calendar._shift_months(jan_31, 1)) == datetime.date(2024, 2, 29)
    assert datetime.date.fromordinal(calendar._shift_months(jan_31, 13)) == datetime.date(2025, 2, 28)
    assert datetime.date.fromordinal(calendar._shift_months(jan_31, -2)) == datetime.date(2023, 11, 30)


@given(dates, dates)
def test_whole_years_between_are_an_age(start: datetime.date, end: datetime.date) -> None:
    years = calendar._years_between(start.toordinal(), end.toordinal())
    if end >= start:  # the age on `end` of someone born on `start`
        birthday_passed = (end.month, end.day) >= (start.month, start.day)
        expected = end.year - start.year - (not birthday_passed)
        if (start.month, start.day) == (2, 29) and (end.month, end.day) == (2, 28) and not _leap(end.year):
            expected += 1  # born on a leap day: a year older on the last day of February
        assert years == expected
    else:
        assert years == -calendar._years_between(end.toordinal(), start.toordinal())


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def test_a_date_past_either_end_is_text() -> None:
    assert calendar._date_or_text(0) == "0000-12-31"
    assert calendar._date_or_text(calendar._LAST_DAY + 1) == "10000-01-01"
    assert calendar._date_or_text(1) == datetime.date(1, 1, 1)


@given(dates, dates)
def test_calendar_months_count_months_whatever_the_days(start: datetime.date, end: datetime.date) -> None:
    """"At least 11 months have passed following the month of" an FOBT on 2023-01-20: from 2024-01-01."""
    months = calendar._calendar_months_between(start.toordinal(), end.toordinal())
    assert months == (end.year - start.year) * 12 + end.month - start.month
    assert interpret_months(start, end) == months


def interpret_months(start: datetime.date, end: datetime.date) -> int:
    """The interpreter's count, an operand of two constants: it reads no fact and no policy."""
    call = model.Call("calendar_months_between", (model.Const(start), model.Const(end)))
    return int(interpret.Evaluation(cast(model.Policy, None), {}).operand(call))
