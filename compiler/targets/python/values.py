"""Values: numbers, dates, codes and constants of the checked model as `pyir`, exactly.

A quotient is never computed: a comparison with one is cross-multiplied (the checker has
proved each divisor's sign), and + - * on decimals run in a context of their own, so a
caller's decimal context cannot round them. A date moved by a duration is a day number.
Constants (dates, decimals, long sets and texts) become module-level names, collected here.
"""

from __future__ import annotations

import datetime
import decimal
import itertools
from dataclasses import dataclass, field
from typing import assert_never

from compiler import model
from compiler.targets.python import printer, pyir
from compiler.targets.python.pyir import Expr, call, fact

_ARITHMETIC = {"+": "_ADD", "-": "_SUBTRACT", "*": "_MULTIPLY"}  # exact, whatever the caller's decimal context
_LONG_SET = 48  # characters: a longer set of values is a module constant, made once
_LONG_TEXT = 42  # characters: a longer text is a module constant too, so conditions stay short


def date_name(value: datetime.date) -> str:
    return f"_DATE_{value.year:04d}_{value.month:02d}_{value.day:02d}"


def decimal_name(value: decimal.Decimal) -> str:
    """A decimal constant's module-level name: 1.0 -> _DECIMAL_1_0, -0.5 -> _DECIMAL_M0_5."""
    text = str(value).replace("-", "M").replace(".", "_").replace("+", "")
    return f"_DECIMAL_{text}"


def codeset_name(name: str) -> str:
    return f"_CODESET_{name.upper()}"


@dataclass(frozen=True, slots=True)
class _Ratio:
    """A number as numerator / denominator, both free of division, so that comparing is exact."""

    numerator: Expr
    whole: bool  # the numerator is an int
    denominator: Expr | None  # None: 1
    denominator_whole: bool
    sign: int  # the sign of every value the denominator takes


@dataclass
class Values:
    """Lowers operands and collects what the module must define for them."""

    policy: model.Policy
    slots: dict[str, str] = field(default_factory=dict)  # each hoisted quantifier or aggregate's Python type
    dates: set[datetime.date] = field(default_factory=set)
    decimals: set[decimal.Decimal] = field(default_factory=set)
    helpers: set[str] = field(default_factory=set)  # runtime features the code calls: exact, calendar...
    constants: dict[Expr, str] = field(default_factory=dict)  # a long set or text, and its module name
    # An aggregate that reads an enclosing record, by id: the name its value is bound to, where it is
    # tested (`(a1 := _count([...]))`), then read (`a1 < 3`).
    bound: dict[int, tuple[model.Aggregate, pyir.Name]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for f in self.policy.facts:
            types = [r.type for r in f.type.fields] if isinstance(f.type, model.RecordList) else [f.type]
            for t in types:
                if isinstance(t, model.Decimal):
                    self.decimals.update((t.low, t.high))

    def operand(self, operand: model.Operand) -> Expr:
        """The code for a value; every fact it reads is known here (a guard has tested them)."""
        if isinstance(operand, model.FactRef):
            return fact(operand.fact)
        if isinstance(operand, model.ValueRef):
            return self.operand(operand.operand)
        if isinstance(operand, model.CodeSetRef):
            self.helpers.add("codeset")
            return pyir.Name(codeset_name(operand.name))
        if isinstance(operand, model.Arith):
            if operand.op == "/":
                raise TypeError("a quotient is compared through ratio(), never computed in floating point")
            left, right = self.operand(operand.left), self.operand(operand.right)
            if operand.whole:
                return pyir.BinOp(operand.op, left, right)
            self.helpers.add("exact")
            return call(_ARITHMETIC[operand.op], left, right)
        if isinstance(operand, model.Shift):
            return self.day_number(operand)
        if isinstance(operand, model.Call):
            return self.function(operand)
        if isinstance(operand, model.Const):
            return self.constant(operand.value)
        if isinstance(operand, model.FieldRef):
            return pyir.Attr(pyir.Name(operand.record), operand.name)
        if isinstance(operand, model.Aggregate):
            found = self.bound.get(id(operand))
            if found is None or found[0] is not operand:
                raise TypeError("an aggregate is a property of Facts (records.hoist) or bound by in_place()")
            return found[1]
        if isinstance(operand, model.Lookup):
            return self.look_up(operand)
        if isinstance(operand, model.Choice):
            raise TypeError("a choice is a term an outcome carries, written as statements by the target's _term")
        assert_never(operand)

    def look_up(self, lookup: model.Lookup) -> Expr:
        """A table read by its facts: a module constant {values: number} where every fact is an enum,
        else the rows themselves, which `_look_up` reads in order (an integer by ranges)."""
        keys = [fact(k.fact) for k in lookup.keys]

        def number(c: model.Const) -> Expr:  # of one type throughout: a table with a fraction is all Decimals
            assert isinstance(c.value, int | decimal.Decimal)
            return self.constant(c.value if lookup.whole else decimal.Decimal(c.value))

        enums = [self.policy.fact(k.fact).type for k in lookup.keys]
        if all(isinstance(t, model.Enum) for t in enums):
            pairs = []
            for values in itertools.product(*(t.values for t in enums if isinstance(t, model.Enum))):
                key = pyir.Lit(values[0]) if len(values) == 1 else pyir.Tuple(tuple(map(pyir.Lit, values)))
                pairs.append(pyir.Tuple((key, number(lookup.row(values)))))
            table = self._hoisted(call("dict", pyir.Tuple(tuple(pairs))), "_TABLE")
            return pyir.Subscript(table, keys[0] if len(keys) == 1 else pyir.Tuple(tuple(keys)))
        self.helpers.add("ranges")
        rows = tuple(
            pyir.Tuple((pyir.Tuple(tuple(_table_key(k) for k in row_keys)), number(c)))
            for row_keys, c in lookup.rows
        )
        return call("_look_up", self._hoisted(pyir.Tuple(rows), "_TABLE"), pyir.Tuple(tuple(keys)))

    def function(self, operand: model.Call) -> Expr:
        if operand.function == "count":
            return call("len", self.operand(operand.arguments[0]))
        if operand.function == "month_start":  # a day number, as a moved date is
            self.helpers.add("calendar")
            return call("_month_start", self.day_number(operand.arguments[0]))
        if operand.function in ("max", "min"):  # of day numbers where a date is moved, else as they are
            lower = self.day_number if model.shifts(operand) else self.operand
            return call(operand.function, *(lower(a) for a in operand.arguments))
        if operand.function == "days_between" and not any(map(model.shifts, operand.arguments)):
            start, end = (self.operand(a) for a in operand.arguments)
            return pyir.Attr(pyir.BinOp("-", end, start), "days")
        start, end = (self.day_number(a) for a in operand.arguments)
        if operand.function == "days_between":
            return pyir.BinOp("-", end, start)
        self.helpers.add("calendar")
        return call(f"_{operand.function}", start, end)

    def in_place(self, aggregate: model.Aggregate, code: Expr) -> pyir.Walrus:
        """`(aN := code)`: an aggregate's value bound where its test first reads it."""
        name = pyir.Name(f"a{len(self.bound) + 1}")
        self.bound[id(aggregate)] = (aggregate, name)
        return pyir.Walrus(name.id, code)

    def constant(self, value: model.Value) -> Expr:
        if isinstance(value, datetime.date):
            self.dates.add(value)
            return pyir.Name(date_name(value))
        if isinstance(value, decimal.Decimal):
            self.decimals.add(value)
            return pyir.Name(decimal_name(value))
        if isinstance(value, tuple):
            items = tuple(pyir.Lit(v) if isinstance(v, str) else self.constant(v) for v in value)
            inline = pyir.Tuple(items)
            if len(printer.flat(inline)) <= _LONG_SET:
                return inline
            return self._hoisted(call("frozenset", pyir.Set(items)), "_SET")
        if isinstance(value, str) and len(value) > _LONG_TEXT:
            return self._hoisted(pyir.Lit(value), "_TEXT")
        assert not isinstance(value, datetime.date)
        return pyir.Lit(value)

    def _hoisted(self, code: Expr, prefix: str) -> Expr:
        return pyir.Name(self.constants.setdefault(code, f"{prefix}_{len(self.constants) + 1}"))

    # -- Exact comparison ------------------------------------------------------------------------

    def comparison(self, expr: model.Compare, op: model.CompareOp | None = None) -> Expr:
        """`left OP right`, exactly: a quotient is compared by cross-multiplying, never by dividing.

        a/b >= c/d is a*d >= c*b when b*d is positive, and a*d <= c*b when it is negative;
        the checker has proved the sign of every divisor from the declared ranges.
        """
        op = op or expr.op
        if model.shifts(expr.left) or model.shifts(expr.right):  # dates, one of them moved: compare day numbers
            return pyir.Compare(op, self.day_number(expr.left), self.day_number(expr.right))
        left, right = self.ratio(expr.left), self.ratio(expr.right)
        if left.sign * right.sign < 0:
            op = model.MIRRORED[op]
        a = self.product(left.numerator, left.whole, right.denominator, right.denominator_whole)
        b = self.product(right.numerator, right.whole, left.denominator, left.denominator_whole)
        return pyir.Compare(op, a, b)

    def ratio(self, operand: model.Operand) -> _Ratio:
        """An operand as a quotient of two division-free expressions."""
        while isinstance(operand, model.ValueRef):
            operand = operand.operand
        if not isinstance(operand, model.Arith) or not model.divides(operand):
            return _Ratio(self.operand(operand), model.is_whole(operand), None, True, 1)
        left, right = self.ratio(operand.left), self.ratio(operand.right)
        if operand.op == "/":  # (a/b) / (c/d) = (a*d) / (b*c); c has the divisor's sign times d's
            top = self.product(left.numerator, left.whole, right.denominator, right.denominator_whole)
            one = left.denominator or pyir.Lit(1)
            bottom = self.product(one, left.denominator_whole, right.numerator, right.whole)
            sign = left.sign * right.sign * operand.divisor_sign
            return _Ratio(top, left.whole and right.denominator_whole, bottom, False, sign)
        if operand.op == "*":
            top = self.product(left.numerator, left.whole, right.numerator, right.whole)
            whole = left.denominator_whole and right.denominator_whole
            under = self.optional_product(left.denominator, right.denominator, whole)
            return _Ratio(top, left.whole and right.whole, under, whole, left.sign * right.sign)
        # a/b + c/d = (a*d + c*b) / (b*d)
        a = self.product(left.numerator, left.whole, right.denominator, right.denominator_whole)
        c = self.product(right.numerator, right.whole, left.denominator, left.denominator_whole)
        whole = left.whole and right.whole and left.denominator_whole and right.denominator_whole
        if whole:
            numerator: Expr = pyir.BinOp(operand.op, a, c)
        else:
            self.helpers.add("exact")
            numerator = call(_ARITHMETIC[operand.op], a, c)
        denominator_whole = left.denominator_whole and right.denominator_whole
        under = self.optional_product(left.denominator, right.denominator, denominator_whole)
        return _Ratio(numerator, whole, under, denominator_whole, left.sign * right.sign)

    def product(self, a: Expr, a_whole: bool, b: Expr | None, b_whole: bool) -> Expr:
        """`a * b`, exactly; None and 1 stand for 1."""
        if b is None or b == pyir.Lit(1):
            return a
        if a == pyir.Lit(1):
            return b
        if a_whole and b_whole:
            return pyir.BinOp("*", a, b)
        self.helpers.add("exact")
        return call("_MULTIPLY", a, b)

    def optional_product(self, a: Expr | None, b: Expr | None, whole: bool) -> Expr | None:
        """The product of two denominators, None standing for 1."""
        if a is None or b is None:
            return a or b
        return self.product(a, whole, b, whole)

    def day_number(self, operand: model.Operand) -> Expr:
        """A date as its day number (0001-01-01 is 1): moved past 9999-12-31, it is still later than every date."""
        while isinstance(operand, model.ValueRef):
            operand = operand.operand
        if isinstance(operand, model.Call) and model.shifts(operand):  # month_start, or max of moved dates
            return self.function(operand)
        if not isinstance(operand, model.Shift):
            return pyir.Call(pyir.Attr(self.operand(operand), "toordinal"))
        by = abs(operand.amount) if operand.unit == "days" else operand.amount  # days: the sign is the operator
        amount: Expr = pyir.Lit(by)
        if operand.count is not None:  # `by` of the unit, `count` times
            count = self.operand(operand.count)
            amount = count if by == 1 else pyir.BinOp("*", pyir.Lit(by), count)
        if operand.unit == "days":
            op = "+" if operand.amount >= 0 else "-"
            return pyir.BinOp(op, self.day_number(operand.date), amount)
        self.helpers.add("calendar")
        return call("_shift_months", self.day_number(operand.date), amount)

    def is_date(self, operand: model.Operand) -> bool:
        while isinstance(operand, model.ValueRef):
            operand = operand.operand
        if isinstance(operand, model.FactRef) and operand.fact in self.slots:
            return self.slots[operand.fact] == "datetime.date"
        if isinstance(operand, model.FactRef):
            return isinstance(self.policy.fact(operand.fact).type, model.Date)
        if isinstance(operand, model.Const):
            return isinstance(operand.value, datetime.date)
        return isinstance(operand, model.Shift)


def _table_key(key: model.TableKey) -> Expr:
    if isinstance(key, tuple):
        return pyir.Tuple((pyir.Lit(key[0]), pyir.Lit(key[1])))
    return pyir.Lit(key)


