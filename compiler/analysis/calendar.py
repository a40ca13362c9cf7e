"""The calendar in SMT: day numbers (`date.toordinal()`, 0001-01-01 is 1) and their year, month and day.

The same proleptic Gregorian rules as `interpret` and the generated runtime, over every integer
day number: a date moved past year 9999 or before year 1 is still a day of some year. Integer
division here is SMT-LIB's, which for a positive divisor rounds down as Python's `//` does.
"""

from __future__ import annotations

import z3

_BEFORE_MONTH = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)  # days before each month, common year
_LENGTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def leap(year: z3.ArithRef) -> z3.BoolRef:
    return z3.Or(z3.And(year % 4 == 0, year % 100 != 0), year % 400 == 0)


def _by_month(month: z3.ArithRef, table: tuple[int, ...]) -> z3.ArithRef:
    found: z3.ArithRef = z3.IntVal(table[11])
    for index in range(10, -1, -1):
        found = z3.If(month == index + 1, table[index], found)
    return found


def month_length(year: z3.ArithRef, month: z3.ArithRef) -> z3.ArithRef:
    return _by_month(month, _LENGTH) + z3.If(z3.And(month == 2, leap(year)), 1, 0)


def day_number(year: z3.ArithRef, month: z3.ArithRef, day: z3.ArithRef) -> z3.ArithRef:
    before = year - 1
    days = before * 365 + before / 4 - before / 100 + before / 400
    return days + _by_month(month, _BEFORE_MONTH) + z3.If(z3.And(month > 2, leap(year)), 1, 0) + day


class Calendar:
    """The year, month and day of day numbers, as fresh variables that `facts` pin down exactly.

    Each day number is split once; the constraints hold for any integer, so adding them
    restricts nothing but the new variables."""

    def __init__(self) -> None:
        self.facts: list[z3.BoolRef] = []
        self._parts: dict[int, tuple[z3.ArithRef, z3.ArithRef, z3.ArithRef]] = {}

    def parts(self, number: z3.ArithRef) -> tuple[z3.ArithRef, z3.ArithRef, z3.ArithRef]:
        key = number.get_id()
        if key not in self._parts:
            n = len(self._parts)
            year, month, day = z3.Int(f"_year{n}"), z3.Int(f"_month{n}"), z3.Int(f"_day{n}")
            self.facts += [
                month >= 1,
                month <= 12,
                day >= 1,
                day <= month_length(year, month),
                day_number(year, month, day) == number,
            ]
            self._parts[key] = (year, month, day)
        return self._parts[key]

    def shift_months(self, number: z3.ArithRef, months: z3.ArithRef) -> z3.ArithRef:
        """The same day of the month, `months` later; the 31st becomes the month's last day."""
        year, month, day = self.parts(number)
        total = year * 12 + month - 1 + months
        to_year, to_month = total / 12, total % 12 + 1
        length = month_length(to_year, to_month)
        return day_number(to_year, to_month, z3.If(day < length, day, length))

    def calendar_months(self, start: z3.ArithRef, end: z3.ArithRef) -> z3.ArithRef:
        (start_year, start_month, _), (end_year, end_month, _) = self.parts(start), self.parts(end)
        return (end_year - start_year) * 12 + end_month - start_month

    def months_between(self, start: z3.ArithRef, end: z3.ArithRef) -> z3.ArithRef:
        """Whole calendar months from start to end, negative when end is earlier."""
        forward = self.calendar_months(start, end)
        forward = z3.If(self.shift_months(start, forward) <= end, forward, forward - 1)
        backward = self.calendar_months(end, start)
        backward = z3.If(self.shift_months(end, backward) <= start, backward, backward - 1)
        return z3.If(end < start, -backward, forward)

    def month_start(self, number: z3.ArithRef) -> z3.ArithRef:
        return number - self.parts(number)[2] + 1
