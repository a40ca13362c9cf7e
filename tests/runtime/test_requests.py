"""Validators, one per fact kind: what each accepts, converts and names as wrong."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest

from compiler.runtime import requests
from compiler.runtime.requests import FieldError


def _check(validator: Any, value: object, *args: object) -> tuple[object, list[FieldError]]:
    errors: list[FieldError] = []
    return validator({"x": value}, "x", *args, errors), errors


def test_absent_and_null_are_unknown_for_every_kind() -> None:
    for validator, args in [
        (requests._boolean, ()), (requests._integer, (0, 9)), (requests._decimal, (Decimal(0), Decimal(9))),
        (requests._code, ("CPT",)), (requests._codes, ("CPT",)), (requests._enum, (("a",),)),
        (requests._enum_set, (("a",),)), (requests._date, ()), (requests._string, (None,)),
    ]:  # fmt: skip
        assert _check(validator, None, *args) == (None, [])


@pytest.mark.parametrize(
    ("value", "expected", "message"),
    [
        (5, 5, None), (5.0, 5, None), (Decimal("5.00"), 5, None),
        (5.5, None, "expected an integer, got number"), (True, None, "expected an integer, got boolean"),
        (10, None, "must be an integer from 0 to 9"), (float("nan"), None, "expected an integer, got NaN"),
        (Decimal("-Infinity"), None, "expected an integer, got an infinity"),
        ("5", None, "expected an integer, got string"),
    ],
)  # fmt: skip
def test_integer(value: object, expected: int | None, message: str | None) -> None:
    result, errors = _check(requests._integer, value, 0, 9)
    assert result == expected and type(result) is (int if expected is not None else type(None))
    assert [e.message for e in errors] == ([message] if message else [])


def test_a_decimal_is_what_its_writer_wrote() -> None:
    result, errors = _check(requests._decimal, 0.1, Decimal(0), Decimal(1))
    assert result == Decimal("0.1") and not errors
    assert requests._fast_decimal(0.1, Decimal(0), Decimal(1)) == Decimal("0.1")
    assert requests._fast_decimal(float("inf"), Decimal(0), Decimal(1)) is None
    assert requests._fast_decimal(10**400, Decimal(0), Decimal(1)) is None  # never converted
    _, errors = _check(requests._decimal, Decimal("0." + "1" * 101), Decimal(0), Decimal(1))
    assert [e.message for e in errors] == ["has more than 100 digits after the decimal point"]


def test_codes_name_each_bad_item_once() -> None:
    result, errors = _check(requests._codes, ["43497", 7, "43497", "nope"], "CPT")
    assert result == frozenset({"43497"})
    assert errors == [
        FieldError("x[1]", "expected a string, got number"),
        FieldError("x[2]", '"43497" is repeated'),
        FieldError("x[3]", '"nope" is not a CPT code'),
    ]
    assert requests._fast_codes(["43497"], re.compile("[0-9]{5}")) == frozenset({"43497"})
    assert requests._fast_codes(["43497", "43497"], re.compile("[0-9]{5}")) is None


def test_enum_and_set() -> None:
    assert _check(requests._enum, "b", ("a", "b")) == ("b", [])
    assert _check(requests._enum, "c", ("a", "b"))[1] == [FieldError("x", '"c" is not one of: a, b')]
    result, errors = _check(requests._enum_set, ["a", "a", "z"], ("a", "b"))
    assert result == frozenset({"a"}) and [e.field for e in errors] == ["x[1]", "x[2]"]
    assert requests._fast_set(["a", ["unhashable"]], frozenset({"a"})) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [("2024-02-30", "is not a real date"), ("2024-2-3", "is not a date in the form"),
     ("２０２４-01-01", "is not a date"), (20240101, "expected a date string YYYY-MM-DD, got number")],
)  # fmt: skip
def test_a_bad_date_says_why(value: object, message: str) -> None:
    result, errors = _check(requests._date, value)
    assert result is None and message in errors[0].message
    assert _check(requests._date, "2024-02-29") == (datetime.date(2024, 2, 29), [])


def test_a_string_matches_its_whole_pattern() -> None:
    assert _check(requests._string, "OH", re.compile("[A-Z]{2}")) == ("OH", [])
    assert _check(requests._string, "OHX", re.compile("[A-Z]{2}"))[1][0].message == '"OHX" does not match [A-Z]{2}'


def test_an_invalid_request_lists_its_errors_sorted_and_as_json() -> None:
    error = requests.InvalidRequest([FieldError("b", "two"), FieldError("a", "one")])
    assert str(error) == "a: one; b: two"
    assert error.to_dict()["errors"][0] == {"field": "a", "message": "one"}
    assert requests._quote("x" * 50) == '"' + "x" * 40 + '..."'
