"""Requests: how an evaluator checks each fact of a request and names every bad field.

Part of the evaluator runtime (see `compiler/runtime/__init__.py`): a validator is copied into an
evaluator whose policy has a fact of its kind.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any, Final, NamedTuple

# Stands in for the evaluator's table: each code system's pattern, and how messages name its codes.
_CODE_FORMS: Final = {"CPT": (re.compile("[0-9]{4}[0-9A-Z]"), "a CPT")}

###{errors


class FieldError(NamedTuple):
    field: str
    message: str


class InvalidRequest(ValueError):
    """The request breaks the contract; `errors` names every offending field."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = tuple(sorted(errors, key=lambda e: (e.field, e.message)))
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.errors))

    def to_dict(self) -> dict[str, Any]:
        return {
            "error": "invalid_request",
            "errors": [{"field": e.field, "message": e.message} for e in self.errors],
        }
###}
###{validators

def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)) or type(value).__name__ == "Decimal":
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def _quote(text: str) -> str:
    return '"' + (text if len(text) <= 40 else text[:40] + "...") + '"'


def _absences(
    request: Mapping[Any, object], names: Collection[str], allowed: frozenset[str], errors: list[FieldError]
) -> tuple[Mapping[Any, object], frozenset[str]]:
    """The facts (or a record's fields) a request says are absent, `{"absent": true}`, and the request
    without those markers, whose other values the validators then read."""
    marked = [k for k, v in request.items() if k in names and isinstance(v, Mapping) and "absent" in v]
    if not marked:
        return request, frozenset()
    absent = []
    for key in marked:
        marker: Any = request[key]
        if len(marker) != 1 or marker["absent"] is not True:
            errors.append(FieldError(key, 'an absent value is written {"absent": true}'))
        elif key not in allowed:
            errors.append(FieldError(key, "cannot be absent: the policy gives no meaning to its absence"))
        else:
            absent.append(key)
    return {k: v for k, v in request.items() if k not in marked}, frozenset(absent)
###{?boolean


def _boolean(request: Mapping[Any, object], name: str, errors: list[FieldError]) -> bool | None:
    value = request.get(name)
    if value is None or isinstance(value, bool):
        return value
    errors.append(FieldError(name, f"expected true or false, got {_json_type(value)}"))
    return None
###}
###{?integer


def _integer(
    request: Mapping[Any, object], name: str, low: int, high: int, errors: list[FieldError]
) -> int | None:
    value = request.get(name)
    if value is None:
        return None
    number: Any = value  # an int, a float or a Decimal, once _number_type has said "number"
    if isinstance(value, bool) or _number_type(value) != "number":
        errors.append(FieldError(name, f"expected an integer, got {_number_type(value)}"))
    elif not _whole(number):
        errors.append(FieldError(name, "expected an integer, got number"))  # JSON calls 6.0 an integer, too
    elif not low <= number <= high:
        errors.append(FieldError(name, f"must be an integer from {low} to {high}"))
    else:
        return int(number)
    return None
###}
###{?decimal


def _decimal(
    request: Mapping[Any, object], name: str, low: Decimal, high: Decimal, errors: list[FieldError]
) -> Decimal | None:
    value = request.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or _number_type(value) != "number":
        errors.append(FieldError(name, f"expected a number, got {_number_type(value)}"))
        return None
    assert isinstance(value, (int, float, Decimal))
    number = Decimal(repr(value)) if isinstance(value, float) else value  # a float as its writer wrote it
    if not low <= number <= high:
        errors.append(FieldError(name, f"must be a number from {low} to {high}"))
    elif isinstance(number, Decimal) and _places(number) > _MAX_PLACES:
        errors.append(FieldError(name, f"has more than {_MAX_PLACES} digits after the decimal point"))
    else:
        return Decimal(number)
    return None


_MAX_PLACES: Final = 100  # digits after the decimal point of a decimal fact: an input limit


def _places(number: Decimal) -> int:
    exponent = number.as_tuple().exponent
    return -exponent if isinstance(exponent, int) else 0


def _fast_decimal(value: object, low: Decimal, high: Decimal) -> Decimal | None:
    """A number in range, as an exact Decimal; None sends it to _validate_fully."""
    if type(value) is float:
        if value - value != 0:  # NaN or an infinity
            return None
        number = Decimal(repr(value))  # the shortest decimal that reads as this float: what its writer wrote
    elif type(value) is int:  # range first: a huge int is never converted
        return Decimal(value) if low <= value <= high else None
    elif type(value) is Decimal and value.is_finite() and _places(value) <= _MAX_PLACES:
        number = value
    else:
        return None
    return number if low <= number <= high else None
###}
###{?integer ?decimal


def _whole(number: Any) -> bool:
    """Whether a finite int, float or Decimal is a whole number."""
    if isinstance(number, int):
        return True
    return number.is_integer() if isinstance(number, float) else bool(number == number.to_integral_value())


def _number_type(value: object) -> str:
    """The JSON type of a value, naming NaN and the infinities, which JSON has no numbers for."""
    if isinstance(value, float) or type(value).__name__ == "Decimal":
        text = str(value).lower().lstrip("+-")
        if text in ("nan", "snan", "inf", "infinity"):
            return "an infinity" if text.startswith("inf") else "NaN"
    return _json_type(value)
###}
###{?code ?codes


def _check_code(item: object, field: str, system: str, errors: list[FieldError]) -> bool:
    pattern, description = _CODE_FORMS[system]
    if not isinstance(item, str):
        errors.append(FieldError(field, f"expected a string, got {_json_type(item)}"))
    elif not pattern.fullmatch(item):
        errors.append(FieldError(field, f"{_quote(item)} is not {description} code"))
    else:
        return True
    return False
###}
###{?code


def _code(request: Mapping[Any, object], name: str, system: str, errors: list[FieldError]) -> str | None:
    value = request.get(name)
    if value is None or not _check_code(value, name, system, errors):
        return None
    assert isinstance(value, str)
    return value
###}
###{?codes


def _codes(
    request: Mapping[Any, object], name: str, system: str, errors: list[FieldError]
) -> frozenset[str] | None:
    value = request.get(name)
    if value is None:
        return None
    if not isinstance(value, (list, tuple)):
        errors.append(FieldError(name, f"expected an array, got {_json_type(value)}"))
        return None
    seen: set[str] = set()
    for i, item in enumerate(value):
        field = f"{name}[{i}]"
        if not _check_code(item, field, system, errors):
            continue
        assert isinstance(item, str)
        if item in seen:
            errors.append(FieldError(field, f"{_quote(item)} is repeated"))
        seen.add(item)
    return frozenset(seen)


def _fast_codes(value: object, pattern: re.Pattern[str]) -> frozenset[str] | None:
    """A list of distinct well-formed codes as a frozenset; None sends it to _validate_fully."""
    if type(value) is not list or not all(type(v) is str and pattern.fullmatch(v) for v in value):
        return None
    codes = frozenset(value)
    return codes if len(codes) == len(value) else None
###}
###{?enum


def _enum(
    request: Mapping[Any, object], name: str, values: tuple[str, ...], errors: list[FieldError]
) -> str | None:
    value = request.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        errors.append(FieldError(name, f"expected a string, got {_json_type(value)}"))
    elif value not in values:
        errors.append(FieldError(name, f"{_quote(value)} is not one of: {', '.join(values)}"))
    else:
        return value
    return None
###}
###{?set


def _enum_set(
    request: Mapping[Any, object], name: str, values: tuple[str, ...], errors: list[FieldError]
) -> frozenset[str] | None:
    value = request.get(name)
    if value is None:
        return None
    if not isinstance(value, (list, tuple)):
        errors.append(FieldError(name, f"expected an array, got {_json_type(value)}"))
        return None
    seen: set[str] = set()
    for i, item in enumerate(value):
        field = f"{name}[{i}]"
        if not isinstance(item, str):
            errors.append(FieldError(field, f"expected a string, got {_json_type(item)}"))
        elif item not in values:
            errors.append(FieldError(field, f"{_quote(item)} is not one of: {', '.join(values)}"))
        elif item in seen:
            errors.append(FieldError(field, f"{_quote(item)} is repeated"))
        else:
            seen.add(item)
    return frozenset(seen)
###}
###{?set


def _fast_set(value: object, allowed: frozenset[str]) -> frozenset[str] | None:
    """A list of distinct allowed strings as a frozenset; None sends it to _validate_fully."""
    if type(value) is not list:
        return None
    try:
        values = frozenset(value)
    except TypeError:  # unhashable items
        return None
    return values if len(values) == len(value) and values <= allowed else None
###}
###{?date


def _date(request: Mapping[Any, object], name: str, errors: list[FieldError]) -> datetime.date | None:
    value = request.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        errors.append(FieldError(name, f"expected a date string YYYY-MM-DD, got {_json_type(value)}"))
    elif len(value) != 10 or not (value[:4] + value[5:7] + value[8:]).isascii() or not (
        value[:4] + value[5:7] + value[8:]
    ).isdigit() or value[4] != "-" or value[7] != "-":
        errors.append(FieldError(name, f"{_quote(value)} is not a date in the form YYYY-MM-DD"))
    else:
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            errors.append(FieldError(name, f"{_quote(value)} is not a real date"))
    return None
###}
###{?string


def _string(
    request: Mapping[Any, object], name: str, pattern: re.Pattern[str] | None, errors: list[FieldError]
) -> str | None:
    value = request.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        errors.append(FieldError(name, f"expected a string, got {_json_type(value)}"))
    elif pattern is not None and not pattern.fullmatch(value):
        errors.append(FieldError(name, f"{_quote(value)} does not match {pattern.pattern}"))
    else:
        return value
    return None
###}
###}
