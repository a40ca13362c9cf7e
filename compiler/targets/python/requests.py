"""Requests: each fact's validation in the evaluator, from the contract, as `pyir`.

`validate` takes each fact in its usual form on a fast path (a few type tests); anything
else, valid or not, goes to `_validate_fully`, which calls the runtime's validator of the
fact's kind to find every error or convert the unusual form.
"""

from __future__ import annotations

import dataclasses
import decimal
from dataclasses import dataclass
from typing import assert_never

from compiler import contract
from compiler.contract import Shape
from compiler.targets.python import pyir
from compiler.targets.python.pyir import NONE, Expr, Stmt, call, fact
from compiler.targets.python.values import decimal_name

_V = pyir.Name("v")
_SLOW = pyir.Return(call("_validate_fully", pyir.Name("request")))


@dataclass(frozen=True)
class FactCode:
    name: str
    annotation: str
    check: Expr  # the runtime validator's call, which converts the value and reports its errors
    fast_path: tuple[Stmt, ...]  # the fact in its usual form into its name, else _validate_fully
    json: Expr  # the JSON of its value, "null" when unknown
    values: tuple[str, ...] | None = None  # an enum's or a set's values
    pattern: str | None = None  # a string fact's pattern
    fields: tuple[FactCode, ...] = ()  # a list's: each field of its records, named `list_field`
    record_class: str | None = None  # a list's: the class of one record
    absent: bool = False  # declared `or absent`: the request may say it does not exist

    @property
    def absent_fields(self) -> tuple[str, ...]:
        """A list's fields declared `or absent`: its record class holds the set of those a record says are."""
        return tuple(f.name.removeprefix(f"{self.name}_") for f in self.fields if f.absent)

    @property
    def values_name(self) -> str:
        return f"_{self.name.upper()}_VALUES"


def fact_code(field: contract.Field, key: str | None = None) -> FactCode:
    """A fact's annotation, validator, fast path and JSON, from the contract; `key` names it in its
    JSON object when that is not its name (a record's field, whose name has the list's in front)."""
    return dataclasses.replace(_fact_code(field, key), absent=field.absent)


def _fact_code(field: contract.Field, key: str | None) -> FactCode:
    shape, name = field.shape, pyir.Lit(key or field.name)
    values, got = (
        pyir.Name(f"_{field.name.upper()}_VALUES"),
        pyir.Compare("is not", pyir.Walrus("v", pyir.Call(pyir.Name("get"), (name,))), NONE),
    )
    request, errors = pyir.Name("request"), pyir.Name("errors")

    def code(check: Expr, bad: Expr, **more: object) -> FactCode:
        """A fact taken as it comes unless `bad` says its usual form is not what came."""
        tests = bad.values if isinstance(bad, pyir.BoolOp) and bad.op == "and" else (bad,)
        fast = (pyir.If(pyir.BoolOp("and", (got, *tests)), (_SLOW,)), pyir.Assign(field.name, _V))
        return FactCode(field.name, field.python_type, check, fast, _json(field), **more)  # type: ignore[arg-type]

    def type_is_not(python_type: str) -> Expr:
        return pyir.Compare("is not", call("type", _V), pyir.Name(python_type))

    bad: Expr
    if shape is Shape.BOOLEAN:
        bad = pyir.BoolOp(
            "and", (pyir.Compare("is not", _V, pyir.Lit(True)), pyir.Compare("is not", _V, pyir.Lit(False)))
        )
        return code(call("_boolean", request, name, errors), bad)
    if shape is Shape.INTEGER:
        assert isinstance(field.minimum, int) and isinstance(field.maximum, int)
        low, high = pyir.Lit(field.minimum), pyir.Lit(field.maximum)
        bad = pyir.BoolOp("or", (type_is_not("int"), pyir.Not(pyir.Between(low, _V, high))))
        return code(call("_integer", request, name, low, high, errors), bad)
    if shape is Shape.DECIMAL:
        return _decimal(field, got, name)
    if shape is Shape.CODE or shape is Shape.CODES:
        pattern = pyir.Name(f"_{field.code_system}_CODE")
        check = call("_code" if shape is Shape.CODE else "_codes", request, name, pyir.Lit(field.code_system), errors)
        if shape is Shape.CODE:
            matches = pyir.Call(pyir.Attr(pattern, "fullmatch"), (_V,))
            return code(check, pyir.BoolOp("or", (type_is_not("str"), pyir.Not(matches))))
        return code(check, pyir.Compare("is", pyir.Walrus("v", call("_fast_codes", _V, pattern)), NONE))
    if shape is Shape.ENUM:
        allowed = pyir.Name(f"{values.id}_SET")
        bad = pyir.BoolOp("or", (type_is_not("str"), pyir.Compare("not in", _V, allowed)))
        return code(call("_enum", request, name, values, errors), bad, values=field.values)
    if shape is Shape.SET:
        bad = pyir.Compare("is", pyir.Walrus("v", call("_fast_set", _V, pyir.Name(f"{values.id}_SET"))), NONE)
        return code(call("_enum_set", request, name, values, errors), bad, values=field.values)
    if shape is Shape.DATE:
        iso = pyir.Call(pyir.Attr(pyir.Name("_ISO_DATE"), "fullmatch"), (_V,))
        parse = pyir.Call(pyir.Attr(pyir.Attr(pyir.Name("datetime"), "date"), "fromisoformat"), (_V,))
        taken = (
            pyir.If(pyir.BoolOp("or", (type_is_not("str"), pyir.Not(iso))), (_SLOW,)),
            pyir.Try((pyir.Assign("v", parse),), "ValueError", (_SLOW,)),
        )
        fast = (pyir.If(got, taken), pyir.Assign(field.name, _V))
        return FactCode(field.name, field.python_type, call("_date", request, name, errors), fast, _json(field))
    if shape is Shape.STRING:
        if field.pattern is None:
            return code(call("_string", request, name, NONE, errors), type_is_not("str"))
        compiled = pyir.Name(f"_{field.name.upper()}_PATTERN")
        matches = pyir.Call(pyir.Attr(compiled, "fullmatch"), (_V,))
        bad = pyir.BoolOp("or", (type_is_not("str"), pyir.Not(matches)))
        return code(call("_string", request, name, compiled, errors), bad, pattern=field.pattern)
    if shape is Shape.RECORDS:  # records are checked field by field, on the full path
        fields = tuple(fact_code(dataclasses.replace(f, name=f"{field.name}_{f.name}"), f.name) for f in field.fields)
        checks = tuple(
            pyir.Tuple((pyir.Lit(f.name), pyir.Lambda(("request", "errors"), sub.check)))
            for f, sub in zip(field.fields, fields, strict=True)
        )
        record = pyir.Name(field.record_class)
        absentable = tuple(pyir.Lit(f.name) for f in field.fields if f.absent)
        may_be_absent: Expr = call("frozenset", pyir.Tuple(absentable)) if absentable else NONE
        check = call("_records", request, name, record, pyir.Tuple(checks), may_be_absent, errors)
        given = pyir.Compare("is not", pyir.Call(pyir.Name("get"), (name,)), NONE)
        fast = (pyir.If(given, (_SLOW,)), pyir.Assign(field.name, NONE))  # a list given: checked in full
        return FactCode(
            field.name, field.python_type, check, fast, _json(field), fields=fields, record_class=field.record_class
        )
    assert_never(shape)


def _decimal(field: contract.Field, got: Expr, name: pyir.Lit) -> FactCode:
    low, high = field.minimum, field.maximum
    assert isinstance(low, decimal.Decimal) and isinstance(high, decimal.Decimal)
    bounds = (pyir.Name(decimal_name(low)), pyir.Name(decimal_name(high)))
    check = call("_decimal", pyir.Name("request"), name, *bounds, pyir.Name("errors"))
    converted = pyir.Compare("is", pyir.Walrus(field.name, call("_fast_decimal", _V, *bounds)), NONE)
    if not (_float_exact(low) and _float_exact(high)):
        fast: tuple[Stmt, ...] = (
            pyir.If(
                pyir.BoolOp(
                    "and", (got, pyir.Compare("is", pyir.Walrus("v", call("_fast_decimal", _V, *bounds)), NONE))
                ),
                (_SLOW,),
            ),
            pyir.Assign(field.name, _V),
        )
    else:  # the usual form, a float, tested as one and taken as its shortest decimal: as written
        a_float = pyir.BoolOp(
            "and",
            (
                pyir.Compare("is", call("type", _V), pyir.Name("float")),
                pyir.Between(pyir.Lit(float(low)), _V, pyir.Lit(float(high))),
            ),
        )
        as_written = pyir.Assign(field.name, call("Decimal", call("repr", _V)))
        fast = (
            pyir.Assign(f"{field.name}: Decimal | None", NONE),
            pyir.If(got, (pyir.If(a_float, (as_written,), (pyir.If(converted, (_SLOW,)),)),)),
        )
    return FactCode(field.name, field.python_type, check, fast, _json(field))


def _float_exact(bound: decimal.Decimal) -> bool:
    """Whether a float compares with this bound exactly as its shortest decimal does: the bound is a
    float, and the shortest decimal of that float is the bound (so no shorter decimal rounds to it)."""
    return decimal.Decimal(float(bound)) == bound and decimal.Decimal(repr(float(bound))) == bound


def _json(field: contract.Field) -> Expr:
    """The JSON of the fact's value: "null" when unknown."""
    value = fact(field.name)
    shape = field.shape
    if shape is Shape.BOOLEAN:
        known: Expr = pyir.IfExp(value, pyir.Lit("true"), pyir.Lit("false"))
    elif shape is Shape.INTEGER or shape is Shape.DECIMAL:
        known = call("str", value)  # exact, as a JSON number: 89.6, 1E+2
    elif shape is Shape.CODE or shape is Shape.ENUM or shape is Shape.STRING:
        encoded = pyir.Call(pyir.Attr(pyir.Name("_STRING_JSON"), "get"), (value,))  # an enum's, encoded at import
        known = pyir.BoolOp("or", (encoded, call("_ENCODE", value)))
    elif shape is Shape.CODES or shape is Shape.SET:
        known = call("_set_json", value)
    elif shape is Shape.DATE:
        quoted = pyir.BinOp("+", pyir.Lit('"'), pyir.Call(pyir.Attr(value, "isoformat")))
        known = pyir.BinOp("+", quoted, pyir.Lit('"'))
    elif shape is Shape.RECORDS:
        known = call("_records_json", value)
    else:
        assert_never(shape)
    unknown: Expr = pyir.Lit("null")
    if field.absent:  # or said to be absent
        said = pyir.Compare("in", pyir.Lit(field.name), pyir.Attr(pyir.F, "absent"))
        unknown = pyir.IfExp(said, pyir.Lit('{"absent": true}'), unknown)
    return pyir.IfExp(pyir.is_none(value), unknown, known)
