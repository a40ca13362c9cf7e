"""The request table: one typed column per fact, as the SQL target reads requests.

A request in SQL is a row: a boolean fact is a BOOLEAN, an integer a BIGINT, a decimal an exact
DECIMAL of `SCALE` places, a date a DATE, an enum, code or string a VARCHAR, a set or a claim's
codes a list of VARCHAR, and a history a list of structs. NULL is unknown. The facts a request
says are absent (`{"absent": true}` in JSON) are named in the list column `absent`, and a
record's absent fields in its own `absent` field: `absent` is a reserved word of the language,
so no fact or field can take the name.
"""

from __future__ import annotations

import decimal

from sqlglot import exp

from compiler import model

SCALE = 6  # digits after the decimal point of a decimal fact in SQL: more is an error, never rounded
ABSENT = "absent"  # the column (and record field) naming what the request says is absent
ROW_ID = "row_id"


def digits(number: int | decimal.Decimal) -> int:
    """Digits before the decimal point of a number's magnitude (at least 1)."""
    return max(1, len(str(abs(int(number)))))


def decimal_type(t: model.Decimal) -> exp.DataType:
    return exp.DataType.build(f"DECIMAL({max(digits(t.low), digits(t.high)) + SCALE}, {SCALE})")


def scalar_type(t: model.ScalarType) -> exp.DataType:
    if isinstance(t, model.Boolean):
        return exp.DataType.build("BOOLEAN")
    if isinstance(t, model.Integer):
        return exp.DataType.build("BIGINT")
    if isinstance(t, model.Decimal):
        return decimal_type(t)
    if isinstance(t, model.Date):
        return exp.DataType.build("DATE")
    if isinstance(t, model.EnumSet | model.Codes):
        return exp.DataType.build("ARRAY<VARCHAR>")
    return exp.DataType.build("VARCHAR")  # enum, code, string


def fact_type(t: model.FactType) -> exp.DataType:
    if isinstance(t, model.RecordList):
        fields = [f"{_quote(f.name)} {scalar_type(f.type).sql('spark')}" for f in t.fields]
        fields.append(f"{ABSENT} ARRAY<STRING>")
        return exp.DataType.build(f"ARRAY<STRUCT<{', '.join(fields)}>>", dialect="spark")
    return scalar_type(t)


def _quote(name: str) -> str:
    return f"`{name}`"


def request_columns(policy: model.Policy) -> dict[str, exp.DataType]:
    """The columns a request table has, besides its row id: every fact, then `absent`."""
    columns = {fact.name: fact_type(fact.type) for fact in policy.facts}
    columns[ABSENT] = exp.DataType.build("ARRAY<VARCHAR>")
    return columns
