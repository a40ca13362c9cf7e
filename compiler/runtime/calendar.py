"""Calendar: dates moved by months and years, and whole months and years between two dates.

Part of the evaluator runtime (see `compiler/runtime/__init__.py`). Every date of the Gregorian
calendar is a day number here, so a date moved past either end of `datetime.date` still compares.
"""

from __future__ import annotations

import datetime
from typing import Final

###{calendar ?calendar


# -- Calendar arithmetic, on day numbers: they run past either end of datetime.date's years ------


def _day_number(year: int, month: int, day: int) -> int:
    """`date(year, month, day).toordinal()` (0001-01-01 is day 1), for any year of the Gregorian calendar."""
    year -= month <= 2  # count from March, so that a leap day ends its year
    era, year_of_era = divmod(year, 400)
    day_of_year = (153 * (month + (9 if month <= 2 else -3)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 305


def _calendar_date(number: int) -> tuple[int, int, int]:
    """The (year, month, day) of a day number, for any year."""
    era, day_of_era = divmod(number + 305, 146097)
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36524 - day_of_era // 146096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    shifted_month = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * shifted_month + 2) // 5 + 1
    month = shifted_month + 3 if shifted_month < 10 else shifted_month - 9
    return era * 400 + year_of_era + (month <= 2), month, day


def _month_length(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _shift_months(number: int, months: int) -> int:
    """The same day of the month `months` later (earlier if negative), or that month's last day."""
    year, month, day = _calendar_date(number)
    year, month = divmod(year * 12 + month - 1 + months, 12)
    return _day_number(year, month + 1, min(day, _month_length(year, month + 1)))


def _month_start(number: int) -> int:
    """The first day of the month of day number `number`."""
    return number - _calendar_date(number)[2] + 1


def _calendar_months_between(start: int, end: int) -> int:
    """Months from the month of day number start to the month of end, whatever the days of the month."""
    (start_year, start_month, _), (end_year, end_month, _) = _calendar_date(start), _calendar_date(end)
    return (end_year - start_year) * 12 + end_month - start_month


def _months_between(start: int, end: int) -> int:
    """Whole calendar months from day number start to end; negative when end comes first."""
    if end < start:
        return -_months_between(end, start)
    (start_year, start_month, _), (end_year, end_month, _) = _calendar_date(start), _calendar_date(end)
    months = (end_year - start_year) * 12 + end_month - start_month
    return months if _shift_months(start, months) <= end else months - 1


def _years_between(start: int, end: int) -> int:
    """Whole years from start to end: an age, from a date of birth and a date of service."""
    months = _months_between(start, end)
    return months // 12 if months >= 0 else -(-months // 12)


def _date_or_text(number: int) -> datetime.date | str:
    """A computed date: a `datetime.date`, or YYYY-MM-DD text past either end of its years."""
    if 1 <= number <= _LAST_DAY:
        return datetime.date.fromordinal(number)
    year, month, day = _calendar_date(number)
    return f"{year:04d}-{month:02d}-{day:02d}"


_LAST_DAY: Final = datetime.date.max.toordinal()
###}
