"""The lowering: conditions and values of the checked model as sqlglot expressions.

SQL's NULL is the language's unknown, and SQL's AND, OR and NOT are Kleene's, so most of a
condition is written as it reads. The traps are where SQL quietly decides: GREATEST skips NULLs,
Spark's SIZE(NULL) is -1, a lambda's NULL is taken for false by FILTER, and mixed decimals widen
to a float. Each is written around here, explicitly. Numbers are exact: a quotient is kept as a
numerator and a denominator (positive) and compared by cross-multiplying, and every DECIMAL is cast
to a precision known to hold it, which `Number.check` keeps within the 38 digits SQL engines have.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Sequence
from dataclasses import dataclass

from sqlglot import exp

from compiler import model
from compiler.targets.shared import Unwritable
from compiler.targets.sql.columns import ABSENT, SCALE, digits


class Unsupported(Unwritable):
    """What the SQL target cannot write exactly; the build warns and writes no SQL for the policy."""


MAX_DIGITS = 38  # DECIMAL's precision in DuckDB and Spark


@dataclass(frozen=True)
class Number:
    """A number: `value`, or `value / denominator` when it is a quotient. `decimal` says whether it is a
    DECIMAL (of `whole` digits before the point and `scale` after) or a BIGINT."""

    value: exp.Expr
    whole: int
    scale: int = 0
    decimal: bool = False
    denominator: Number | None = None

    def check(self) -> Number:
        if self.whole + self.scale > MAX_DIGITS:
            raise Unsupported(f"a number needs {self.whole + self.scale} digits, more than SQL's {MAX_DIGITS}")
        return self


Value = Number | exp.Expr  # a number, or anything else: a date, a text, a list


def lit(value: model.Value) -> exp.Expr:
    """A constant of the policy, always as data: text is a string literal, never SQL."""
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, datetime.date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("DATE"))
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, decimal.Decimal):
        return exp.Literal.number(str(value))
    return exp.Array(expressions=[lit(v) for v in value])


def number(value: int | decimal.Decimal) -> Number:
    if isinstance(value, int):
        return Number(exp.Literal.number(value), digits(value))
    exponent = value.as_tuple().exponent
    scale = max(0, -exponent) if isinstance(exponent, int) else 0
    whole = digits(value)
    return Number(_decimal(exp.Literal.number(str(value)), whole, scale), whole, scale, decimal=True)


def _decimal(value: exp.Expr, whole: int, scale: int) -> exp.Expr:
    return exp.cast(value, exp.DataType.build(f"DECIMAL({whole + scale}, {scale})"))


def as_decimal(n: Number, whole: int, scale: int) -> exp.Expr:
    """A number cast to DECIMAL(whole + scale, scale), which must hold it."""
    if n.decimal and (n.whole, n.scale) == (whole, scale):
        return n.value
    return _decimal(n.value, whole, scale)


def times(a: Number, b: Number) -> Number:
    if not a.decimal and not b.decimal and a.whole + b.whole <= 18:
        return Number(exp.Mul(this=_paren(a.value), expression=_paren(b.value)), a.whole + b.whole)
    whole, scale = a.whole + b.whole + 1, a.scale + b.scale  # Spark's rule: one more digit than the operands'
    product = exp.Mul(this=as_decimal(a, a.whole, a.scale), expression=as_decimal(b, b.whole, b.scale))
    return Number(product, whole, scale, decimal=True).check()


def plus(a: Number, b: Number, op: str) -> Number:
    node = exp.Add if op == "+" else exp.Sub
    whole, scale = max(a.whole, b.whole) + 1, max(a.scale, b.scale)
    if not a.decimal and not b.decimal and whole <= 18:
        return Number(node(this=_paren(a.value), expression=_paren(b.value)), whole)
    value = node(this=as_decimal(a, whole, scale), expression=as_decimal(b, whole, scale))
    return Number(value, whole + 1, scale, decimal=True).check()


def _paren(e: exp.Expr) -> exp.Expr:
    return e if isinstance(e, exp.Column | exp.Literal | exp.Cast | exp.Paren | exp.Dot) else exp.Paren(this=e)


def compare(op: model.CompareOp, a: Value, b: Value) -> exp.Binary:
    """`a op b`: numbers exactly, a quotient by cross-multiplying (denominators are positive)."""
    node: type[exp.Binary] = {"==": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}[op]
    if isinstance(a, Number) and isinstance(b, Number):
        left = _numerator(a) if b.denominator is None else times(_numerator(a), b.denominator)
        right = _numerator(b) if a.denominator is None else times(_numerator(b), a.denominator)
        if left.decimal or right.decimal:
            whole, scale = max(left.whole, right.whole), max(left.scale, right.scale)
            Number(exp.null(), whole, scale).check()
            return node(this=as_decimal(left, whole, scale), expression=as_decimal(right, whole, scale))
        return node(this=left.value, expression=right.value)
    assert not isinstance(a, Number) and not isinstance(b, Number), "a number compared with what is not one"
    return node(this=a, expression=b)


def _numerator(n: Number) -> Number:
    return Number(n.value, n.whole, n.scale, n.decimal)


def divide(a: Number, b: Number, sign: int) -> Number:
    """a / b as a quotient, its denominator positive: the checker knows the divisor's sign."""
    top = a if b.denominator is None else times(_numerator(a), b.denominator)
    bottom = _numerator(b) if a.denominator is None else times(_numerator(b), a.denominator)
    if sign < 0:
        top, bottom = negate(top), negate(bottom)
    return Number(top.value, top.whole, top.scale, top.decimal, denominator=bottom)


def negate(n: Number) -> Number:
    return Number(exp.Neg(this=_paren(n.value)), n.whole, n.scale, n.decimal, n.denominator)


def arith(op: model.ArithOp, a: Number, b: Number, sign: int) -> Number:
    if op == "/":
        return divide(a, b, sign)
    if op == "*":
        if a.denominator is None and b.denominator is None:
            return times(a, b)
        top = times(_numerator(a), _numerator(b))
        bottom = _denominator_times(a, b)
        return Number(top.value, top.whole, top.scale, top.decimal, denominator=bottom)
    if a.denominator is None and b.denominator is None:
        return plus(a, b, op)
    left = _numerator(a) if b.denominator is None else times(_numerator(a), b.denominator)
    right = _numerator(b) if a.denominator is None else times(_numerator(b), a.denominator)
    top = plus(left, right, op)
    return Number(top.value, top.whole, top.scale, top.decimal, denominator=_denominator_times(a, b))


def _denominator_times(a: Number, b: Number) -> Number | None:
    if a.denominator is None or b.denominator is None:
        return a.denominator or b.denominator
    return times(a.denominator, b.denominator)


def case(*branches: tuple[exp.Expr, exp.Expr], default: exp.Expr | None = None) -> exp.Case:
    node = exp.Case()
    for when, then in branches:
        node = node.when(when, then, copy=False)
    return node.else_(default, copy=False) if default is not None else node


def is_null(e: exp.Expr) -> exp.Expr:
    return exp.Is(this=_paren(e), expression=exp.null())


def not_null(e: exp.Expr) -> exp.Expr:
    return exp.Not(this=is_null(e))


def _grouped(e: exp.Expr) -> exp.Expr:
    """A test inside AND or OR: sqlglot writes the tree as it is, so an inner AND or OR gets parentheses."""
    return exp.Paren(this=e) if isinstance(e, exp.Connector) else e


def any_of(tests: Sequence[exp.Expr]) -> exp.Expr:
    if not tests:
        return exp.false()
    tests = [_grouped(t) for t in tests]
    result = tests[0]
    for test in tests[1:]:
        result = exp.Or(this=result, expression=test)
    return result


def all_of(tests: Sequence[exp.Expr]) -> exp.Expr:
    if not tests:
        return exp.true()
    tests = [_grouped(t) for t in tests]
    result = tests[0]
    for test in tests[1:]:
        result = exp.And(this=result, expression=test)
    return result


def concat(lists: Sequence[exp.Expr], empty: exp.Expr) -> exp.Expr:
    """The lists one after another; `empty` (typed: SQL cannot guess an empty list's type) when none."""
    if not lists:
        return empty
    return lists[0] if len(lists) == 1 else exp.ArrayConcat(this=lists[0], expressions=list(lists[1:]))


def size(e: exp.Expr) -> exp.Expr:
    return exp.ArraySize(this=e)


def lambda_(name: str, body: exp.Expr) -> exp.Lambda:
    return exp.Lambda(this=body, expressions=[exp.to_identifier(name)])


def filtered(items: exp.Expr, name: str, test: exp.Expr) -> exp.Expr:
    return exp.ArrayFilter(this=items, expression=lambda_(name, test))


def transformed(items: exp.Expr, name: str, value: exp.Expr) -> exp.Expr:
    return exp.Transform(this=items, expression=lambda_(name, value))


def contains(items: exp.Expr, item: exp.Expr) -> exp.Expr:
    return exp.ArrayContains(this=items, expression=item)


def either(value: exp.Expr, unknown: bool) -> exp.Expr:
    """A three-valued test as a two-valued one for FILTER: unknown taken as `unknown`, on purpose."""
    return exp.Coalesce(this=value, expressions=[exp.true() if unknown else exp.false()])


def record_name(record: str) -> str:
    """The lambda parameter a quantifier's record goes by. No fact begins with `_` (E107), and the
    query's own lambda parameters and columns (`_v`, `_errors`) never with `_r_`."""
    return f"_r_{record}"


def field(ref: model.FieldRef) -> exp.Expr:
    return exp.Dot(this=exp.column(record_name(ref.record)), expression=exp.to_identifier(ref.name))


def absent_marked(ref: model.FactRef | model.FieldRef) -> exp.Expr:
    """Whether the request says the fact or field is absent."""
    if isinstance(ref, model.FieldRef):
        names = exp.Dot(this=exp.column(record_name(ref.record)), expression=exp.to_identifier(ABSENT))
        return either(contains(names, exp.Literal.string(ref.name)), unknown=False)
    return either(contains(exp.column(ABSENT), exp.Literal.string(ref.fact)), unknown=False)


class Lowering:
    """Conditions and operands of one policy; provisions are columns of an earlier step."""

    def __init__(self, policy: model.Policy) -> None:
        self.policy = policy
        self.lists: dict[str, str] = {}  # the list fact of each record a quantifier or aggregate names

    # -- Conditions: NULL for unknown ----------------------------------------------------------

    def condition(self, e: model.Expr) -> exp.Expr:
        if isinstance(e, model.ProvisionRef):
            return exp.column(e.label)
        if isinstance(e, model.Const):
            return lit(e.value)
        if isinstance(e, model.FactRef | model.FieldRef):
            value = self.operand(e)
            assert not isinstance(value, Number)
            return value
        if isinstance(e, model.Not):
            return exp.Not(this=exp.Paren(this=self.condition(e.operand)))
        if isinstance(e, model.Combine):
            return self.combine(e)
        if isinstance(e, model.Compare):
            return compare(e.op, self.operand(e.left), self.operand(e.right))
        if isinstance(e, model.Member):
            return self.member(e)
        if isinstance(e, model.Intersects):
            return self.intersects(e)
        if isinstance(e, model.Empty):
            items = self.plain(e.operand)  # Spark's SIZE(NULL) is -1 unless in ANSI mode
            empty = exp.EQ(this=size(items), expression=exp.Literal.number(0))
            return case((is_null(items), exp.null()), default=empty)
        if isinstance(e, model.Known):
            return self.known(e)
        if isinstance(e, model.Present):
            value = self.plain(e.operand)
            return case((not_null(value), exp.true()), (absent_marked(e.operand), exp.false()))
        if isinstance(e, model.Quantify):
            return self.quantify(e)
        raise Unsupported(f"a condition of kind {type(e).__name__}")

    def combine(self, e: model.Combine) -> exp.Expr:
        operands = [self.condition(o) for o in e.operands]
        if e.kind != "at_least":
            joined = (all_of if e.kind == "all" else any_of)([exp.Paren(this=o) for o in operands])
            return exp.Paren(this=joined)
        met = _sum([case((o, exp.Literal.number(1)), default=exp.Literal.number(0)) for o in operands])
        open_ = _sum([case((is_null(o), exp.Literal.number(1)), default=exp.Literal.number(0)) for o in operands])
        count = exp.Literal.number(e.count)
        return case(
            (exp.GTE(this=met, expression=count), exp.true()),
            (exp.LT(this=exp.Add(this=met, expression=open_), expression=count), exp.false()),
        )

    def member(self, e: model.Member) -> exp.Expr:
        element = self.plain(e.element)
        if isinstance(e.collection, model.Const):
            assert isinstance(e.collection.value, tuple)
            return exp.In(this=element, expressions=[lit(v) for v in e.collection.value])
        if isinstance(e.collection, model.CodeSetRef):
            return self.in_codeset(element, e.collection.name)
        items = self.plain(e.collection)
        return case((any_of([is_null(element), is_null(items)]), exp.null()), default=contains(items, element))

    def in_codeset(self, code: exp.Expr, name: str) -> exp.Expr:
        codeset = self.policy.codeset(name)
        tests: list[exp.Expr] = []
        if codeset.exact:
            tests.append(exp.In(this=code, expressions=[lit(c) for c in codeset.exact]))
        tests += [exp.StartsWith(this=code, expression=lit(p)) for p in codeset.prefixes]
        return exp.Paren(this=any_of(tests))

    def intersects(self, e: model.Intersects) -> exp.Expr:
        items = self.plain(e.left)
        if isinstance(e.right, model.CodeSetRef):
            test = self.in_codeset(exp.column("_item"), e.right.name)
        elif isinstance(e.right, model.Const):
            assert isinstance(e.right.value, tuple)
            test = exp.In(this=exp.column("_item"), expressions=[lit(v) for v in e.right.value])
        else:
            other = self.plain(e.right)
            found = exp.GT(
                this=size(filtered(items, "_item", contains(other, exp.column("_item")))),
                expression=exp.Literal.number(0),
            )
            return case((any_of([is_null(items), is_null(other)]), exp.null()), default=found)
        found = exp.GT(this=size(filtered(items, "_item", test)), expression=exp.Literal.number(0))
        return case((is_null(items), exp.null()), default=found)

    def known(self, e: model.Known) -> exp.Expr:
        """A value, or said to be absent; of a computed value, every fact it reads."""
        refs: list[model.FactRef | model.FieldRef] = (
            [e.operand] if isinstance(e.operand, model.FieldRef) else [model.FactRef(f) for f in model.facts_read(e)]
        )
        tests = []
        for ref in refs:
            given = not_null(self.plain(ref))
            declared = ref.absent if isinstance(ref, model.FieldRef) else self.policy.fact(ref.fact).absent
            tests.append(exp.Paren(this=exp.Or(this=given, expression=absent_marked(ref))) if declared else given)
        return exp.Paren(this=all_of(tests))

    def quantify(self, e: model.Quantify) -> exp.Expr:
        """Three-valued over the records: true once enough certainly match, false once too few could."""
        items, name = exp.column(e.records.fact), record_name(e.records.record)
        self.lists[e.records.record] = e.records.fact
        where = exp.true() if e.records.where is None else self.condition(e.records.where)
        if e.kind == "every":
            fails = exp.GT(
                this=size(filtered(items, name, either(exp.Not(this=exp.Paren(this=where)), False))),
                expression=exp.Literal.number(0),
            )
            open_ = exp.GT(this=size(filtered(items, name, is_null(where))), expression=exp.Literal.number(0))
            return case((is_null(items), exp.null()), (fails, exp.false()), (open_, exp.null()), default=exp.true())
        if e.distinct is None:
            met = size(filtered(items, name, either(where, False)))
            possible = size(filtered(items, name, either(where, True)))
        else:
            value = self.plain(e.distinct)
            met = size(
                exp.ArrayDistinct(
                    this=filtered(
                        transformed(filtered(items, name, either(where, False)), name, value),
                        "_v",
                        not_null(exp.column("_v")),
                    )
                )
            )
            maybe = transformed(filtered(items, name, either(where, True)), name, value)
            known_values = size(exp.ArrayDistinct(this=filtered(maybe, "_v", not_null(exp.column("_v")))))
            possible = exp.Add(this=known_values, expression=size(filtered(maybe, "_v", is_null(exp.column("_v")))))
        count = exp.Literal.number(e.count)
        found, not_found = (exp.false(), exp.true()) if e.kind == "no" else (exp.true(), exp.false())
        return case(
            (is_null(items), exp.null()),
            (exp.GTE(this=met, expression=count), found),
            (exp.LT(this=possible, expression=count), not_found),
        )

    # -- Values: NULL for unknown ---------------------------------------------------------------

    def plain(self, operand: model.Operand) -> exp.Expr:
        """A value that is not a quotient: a date, a text, a list, or a number as SQL holds it."""
        value = self.operand(operand)
        if isinstance(value, Number):
            if value.denominator is not None:
                raise Unsupported("a quotient where a plain value is needed")
            return value.value
        return value

    def operand(self, o: model.Operand) -> Value:
        if isinstance(o, model.FactRef):
            return self._typed(exp.column(o.fact), self.policy.fact(o.fact).type)
        if isinstance(o, model.FieldRef):
            list_type = self.policy.fact(self.lists[o.record]).type
            assert isinstance(list_type, model.RecordList)
            return self._typed(field(o), list_type.field(o.name).type)
        if isinstance(o, model.Const):
            if isinstance(o.value, int | decimal.Decimal) and not isinstance(o.value, bool):
                return number(o.value)
            return lit(o.value)
        if isinstance(o, model.ValueRef):
            return self.operand(o.operand)
        if isinstance(o, model.Arith):
            a, b = self.operand(o.left), self.operand(o.right)
            assert isinstance(a, Number) and isinstance(b, Number)
            return arith(o.op, a, b, o.divisor_sign)
        if isinstance(o, model.Shift):
            return self.shift(o)
        if isinstance(o, model.Call):
            return self.call(o)
        if isinstance(o, model.Lookup):
            return self.lookup(o)
        if isinstance(o, model.Choice):
            return self.choice(o)
        if isinstance(o, model.Aggregate):
            return self.aggregate(o)
        raise Unsupported(f"a value of kind {type(o).__name__}")  # a code set is only ever tested against

    @staticmethod
    def _typed(value: exp.Expr, t: model.FactType) -> Value:
        if isinstance(t, model.Integer):
            return Number(value, max(digits(t.low), digits(t.high)))
        if isinstance(t, model.Decimal):
            return Number(value, max(digits(t.low), digits(t.high)), SCALE, decimal=True)
        return value

    def shift(self, o: model.Shift) -> exp.Expr:
        day = self.plain(o.date)
        amount: exp.Expr = exp.Literal.number(o.amount)
        if o.count is not None:
            amount = exp.Mul(this=amount, expression=_paren(self.plain(o.count)))
        return moved(day, amount, "DAY" if o.unit == "days" else "MONTH")

    def call(self, o: model.Call) -> Value:
        if o.function == "count":
            items = self.plain(o.arguments[0])
            return Number(case((is_null(items), exp.null()), default=size(items)), 10)
        if o.function == "month_start":
            day = self.plain(o.arguments[0])  # DuckDB truncates a DATE to a TIMESTAMP: cast back
            first = exp.DateTrunc(this=day, unit=exp.var("MONTH"))  # type: ignore[no-untyped-call]  # sqlglot's own
            return exp.cast(first, exp.DataType.build("DATE"))
        if o.function in ("max", "min"):
            return self.extreme(o)
        start, end = (self.plain(a) for a in o.arguments)
        if o.function == "days_between":
            return Number(exp.DateDiff(this=end, expression=start, unit=exp.var("DAY")), 7)
        calendar = _calendar_months(start, end)
        if o.function == "calendar_months_between":
            return Number(calendar, 6)
        months = case(
            (
                exp.GTE(this=end, expression=start),
                exp.Sub(
                    this=calendar,
                    expression=case(
                        (exp.GT(this=_months_later(start, calendar), expression=end), exp.Literal.number(1)),
                        default=exp.Literal.number(0),
                    ),
                ),
            ),
            default=exp.Add(
                this=calendar,
                expression=case(
                    (
                        exp.GT(this=_months_later(end, exp.Neg(this=exp.Paren(this=calendar))), expression=start),
                        exp.Literal.number(1),
                    ),
                    default=exp.Literal.number(0),
                ),
            ),
        )
        if o.function == "months_between":
            return Number(months, 6)
        return Number(exp.IntDiv(this=exp.Paren(this=months), expression=exp.Literal.number(12)), 5)  # toward zero

    def extreme(self, o: model.Call) -> Value:
        values = [self.operand(a) for a in o.arguments]
        node = exp.Greatest if o.function == "max" else exp.Least
        if all(isinstance(v, Number) for v in values):
            numbers = [v for v in values if isinstance(v, Number)]
            if any(n.denominator is not None for n in numbers):
                raise Unsupported(f"{o.function}() of quotients")
            whole, scale = max(n.whole for n in numbers), max(n.scale for n in numbers)
            decimal_ = any(n.decimal for n in numbers)
            args = [as_decimal(n, whole, scale) if decimal_ else n.value for n in numbers]
            unknown = any_of([is_null(a) for a in args])
            picked = case((unknown, exp.null()), default=node(this=args[0], expressions=args[1:]))
            return Number(picked, whole, scale, decimal_)
        plain = [v for v in values if not isinstance(v, Number)]
        unknown = any_of([is_null(v) for v in plain])  # GREATEST and LEAST skip NULLs: unknown is unknown
        return case((unknown, exp.null()), default=node(this=plain[0], expressions=plain[1:]))

    def lookup(self, o: model.Lookup) -> Value:
        keys = [self.plain(k) for k in o.keys]
        branches: list[tuple[exp.Expr, exp.Expr]] = [(any_of([is_null(k) for k in keys]), exp.null())]
        numbers = [number(c.value) if isinstance(c.value, int | decimal.Decimal) else None for _, c in o.rows]
        whole = max((n.whole for n in numbers if n), default=1)
        scale = max((n.scale for n in numbers if n), default=0)
        for (row, const), n in zip(o.rows, numbers, strict=True):
            tests = [_key_test(k, v) for k, v in zip(keys, row, strict=True) if v is not None]
            value = lit(const.value) if n is None else (as_decimal(n, whole, scale) if scale else n.value)
            branches.append((all_of(tests), value))
        result = case(*branches)
        if all(n is not None for n in numbers):
            return Number(result, whole, scale, decimal=scale > 0)
        return result

    def choice(self, o: model.Choice) -> Value:
        chosen = self.condition(o.condition)
        then, otherwise = self.operand(o.then), self.operand(o.otherwise)
        if isinstance(then, Number) and isinstance(otherwise, Number):
            if then.denominator is not None or otherwise.denominator is not None:
                raise Unsupported("a choice between quotients")
            whole, scale = max(then.whole, otherwise.whole), max(then.scale, otherwise.scale)
            decimal_ = then.decimal or otherwise.decimal
            a = as_decimal(then, whole, scale) if decimal_ else then.value
            b = as_decimal(otherwise, whole, scale) if decimal_ else otherwise.value
            return Number(case((is_null(chosen), exp.null()), (chosen, a), default=b), whole, scale, decimal_)
        assert not isinstance(then, Number) and not isinstance(otherwise, Number)
        return case((is_null(chosen), exp.null()), (chosen, then), default=otherwise)

    def aggregate(self, o: model.Aggregate) -> Value:
        """Unknown when the list, whether a record is selected, or a selected value is unknown."""
        items, name = exp.column(o.records.fact), record_name(o.records.record)
        self.lists[o.records.record] = o.records.fact
        where = exp.true() if o.records.where is None else self.condition(o.records.where)
        selected = items if o.records.where is None else filtered(items, name, either(where, False))
        open_ = exp.GT(this=size(filtered(items, name, is_null(where))), expression=exp.Literal.number(0))
        unknown = [is_null(items)] + ([open_] if o.records.where is not None else [])
        if o.function == "count":
            return Number(case((any_of(unknown), exp.null()), default=size(selected)), 10)
        assert o.value is not None
        value = self.operand(o.value)
        plain = value.value if isinstance(value, Number) else value
        values = transformed(selected, name, plain)
        unknown.append(
            exp.GT(this=size(filtered(values, "_v", is_null(exp.column("_v")))), expression=exp.Literal.number(0))
        )
        if o.function == "sum":
            assert isinstance(value, Number)
            total = Number(exp.null(), value.whole + 10, value.scale, value.decimal).check()
            zero = (
                as_decimal(number(0), total.whole, total.scale)
                if value.decimal
                else exp.cast(exp.Literal.number(0), exp.DataType.build("BIGINT"))
            )
            item = (
                as_decimal(Number(exp.column("_v"), value.whole, value.scale, True), total.whole, total.scale)
                if value.decimal
                else exp.column("_v")
            )
            merged = exp.Lambda(
                this=exp.Add(this=exp.column("_total"), expression=item),
                expressions=[exp.to_identifier("_total"), exp.to_identifier("_v")],
            )
            summed = exp.Reduce(this=values, initial=zero, merge=merged)
            return Number(case((any_of(unknown), exp.null()), default=summed), total.whole, total.scale, value.decimal)
        assert o.fallback is not None
        fallback = self.operand(o.fallback)
        fallback_plain = fallback.value if isinstance(fallback, Number) else fallback
        if isinstance(value, Number) and isinstance(fallback, Number) and value.decimal != fallback.decimal:
            raise Unsupported("an aggregate whose fallback is of another kind of number")
        if o.function in ("min", "max"):
            picked: exp.Expr = (exp.ArrayMin if o.function == "min" else exp.ArrayMax)(this=values)
        else:
            assert o.order is not None
            order = exp.Dot(this=exp.column(name), expression=exp.to_identifier(o.order))
            times_ = transformed(selected, name, order)
            unknown.append(
                exp.GT(this=size(filtered(times_, "_v", is_null(exp.column("_v")))), expression=exp.Literal.number(0))
            )
            last = (exp.ArrayMax if o.function == "latest" else exp.ArrayMin)(this=times_)
            at_last = exp.ArrayDistinct(
                this=transformed(filtered(selected, name, exp.EQ(this=order, expression=last)), name, plain)
            )
            # Records of the same date that disagree: which is the latest is not known.
            unknown.append(exp.GT(this=size(at_last), expression=exp.Literal.number(1)))
            picked = exp.Anonymous(this="ELEMENT_AT", expressions=[at_last.copy(), exp.Literal.number(1)])
        result = case(
            (any_of(unknown), exp.null()),
            (exp.EQ(this=size(selected), expression=exp.Literal.number(0)), fallback_plain),
            default=picked,
        )
        if isinstance(value, Number):
            whole = max(value.whole, fallback.whole if isinstance(fallback, Number) else 0)
            return Number(result, whole, value.scale, value.decimal)
        return result


def _key_test(key: exp.Expr, row: model.TableKey) -> exp.Expr:
    if isinstance(row, tuple):
        return exp.Between(this=key, low=exp.Literal.number(row[0]), high=exp.Literal.number(row[1]))
    assert row is not None  # a key of any value is no test at all
    return exp.EQ(this=key, expression=lit(row))


def _sum(terms: list[exp.Expr]) -> exp.Expr:
    total = terms[0]
    for term in terms[1:]:
        total = exp.Add(this=total, expression=term)
    return exp.Paren(this=total)


def _calendar_months(start: exp.Expr, end: exp.Expr) -> exp.Expr:
    """Months from the month of `start` to the month of `end`, whatever the days."""
    years = exp.Sub(this=exp.Year(this=end), expression=exp.Year(this=start))
    months = exp.Sub(this=exp.Month(this=end), expression=exp.Month(this=start))
    return exp.Paren(
        this=exp.Add(this=exp.Mul(this=exp.Paren(this=years), expression=exp.Literal.number(12)), expression=months)
    )


def _months_later(day: exp.Expr, months: exp.Expr) -> exp.Expr:
    """The same day of the month `months` later, or that month's last day: the calendar's rule."""
    return moved(day, months, "MONTH")


def moved(day: exp.Expr, count: exp.Expr, unit: str) -> exp.Expr:
    """A date `count` days or months later: a DATE still (DuckDB's date + interval is a TIMESTAMP)."""
    return exp.cast(exp.DateAdd(this=day, expression=count, unit=exp.var(unit)), exp.DataType.build("DATE"))
