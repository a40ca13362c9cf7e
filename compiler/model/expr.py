"""Expressions of the checked model: conditions (three-valued) and the operands they compare.

Every node carries the `span` of the source it was checked from (None where the checker made
it, as from `applies_to`); the span takes no part in equality: two conditions written alike
are the same condition.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal, get_args

from compiler.diagnostics import Span

CompareOp = Literal["==", "!=", "<", "<=", ">", ">="]
ArithOp = Literal["+", "-", "*", "/"]
CombineKind = Literal["all", "any", "at_least"]
Function = Literal[
    "days_between", "months_between", "years_between", "calendar_months_between", "count", "month_start", "max", "min"
]
TimeUnit = Literal["days", "months"]  # weeks and years are turned into these
QuantifierKind = Literal["any", "every", "no", "at_least"]
AggregateFunction = Literal["count", "sum", "min", "max", "latest", "earliest"]
AGGREGATE_FUNCTIONS: dict[str, AggregateFunction] = {name: name for name in get_args(AggregateFunction)}

# The checker reads operators as text from the syntax tree; these make them the model's own.
COMPARE_OPS: dict[str, CompareOp] = {op: op for op in get_args(CompareOp)}
ARITH_OPS: dict[str, ArithOp] = {op: op for op in get_args(ArithOp)}
FUNCTIONS: dict[str, Function] = {name: name for name in get_args(Function)}

Scalar = bool | int | decimal.Decimal | str | datetime.date
Value = Scalar | tuple[Scalar, ...]


# `3 <= x` is `x >= 3`
MIRRORED: dict[CompareOp, CompareOp] = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def finite_decimal(q: Fraction) -> decimal.Decimal | None:
    """`q` written out in decimals, exactly, when that ends (its denominator is 2**a * 5**b); else None."""
    rest, places = q.denominator, 0
    for prime in (2, 5):
        count = 0
        while rest % prime == 0:
            rest, count = rest // prime, count + 1
        places = max(places, count)
    if rest != 1:
        return None
    exact = decimal.Context(prec=decimal.MAX_PREC)
    return decimal.Decimal(q.numerator * 10**places // q.denominator).scaleb(-places, exact)


def sorted_set(values: Iterable[Value]) -> tuple[Scalar, ...]:
    """A set constant as a sorted tuple, so that generated code is deterministic."""
    scalars = {v for v in values if not isinstance(v, tuple)}
    return tuple(sorted(scalars, key=lambda v: (type(v).__name__, v)))



@dataclass(frozen=True, slots=True)
class FactRef:
    fact: str
    decimal: bool = False  # a decimal fact: its value is a `decimal.Decimal`, or an int
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class FieldRef:
    """A field of the record a quantifier or aggregate names: `trial.drug` is FieldRef("trial", "drug")."""

    record: str
    name: str
    decimal: bool = False  # a decimal field: its value is a `decimal.Decimal`, or an int
    absent: bool = False  # declared `or absent`: a record may say it has none
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)

    @property
    def dotted(self) -> str:
        return f"{self.record}.{self.name}"


@dataclass(frozen=True, slots=True)
class Records:
    """The records of the list fact `fact`, each named `record` in turn, that satisfy `where`."""

    fact: str
    record: str
    where: Expr | None  # None: every record
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Quantify:
    """`any | every | no | at least N` records satisfy `records.where`; `distinct` counts its values.

    Three-valued over the records: true as soon as enough records definitely satisfy it, false
    only when too few could; an unknown list is unknown, an empty one is known."""

    kind: QuantifierKind
    count: int  # for at_least; 1 otherwise
    records: Records
    distinct: Operand | None = None
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Aggregate:
    """A value over the selected records: their count, or the sum, min, max, latest or earliest of `value`.

    Unknown when the list, or whether a record is selected, or a selected value is unknown. With
    no record selected, count and sum are 0 and the others are `fallback` (which min, max,
    latest and earliest must have). latest and earliest order the records by `order`, a date field."""

    function: AggregateFunction
    records: Records
    value: Operand | None = None  # None for count
    fallback: Operand | None = None
    order: str | None = None  # the date field that orders records, for latest and earliest
    whole: bool = True  # its values are whole numbers, or dates, or not numbers
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Lookup:
    """A table of the policy read by facts' values: the number of the first row whose keys match
    them (`quantity_limit` by `drug`; an interval by test and risk class). The checker has made
    sure that a row matches every combination of values."""

    table: str
    keys: tuple[FactRef, ...]
    rows: tuple[tuple[tuple[TableKey, ...], Const], ...]  # in the policy's order, one key per fact
    whole: bool = True
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)

    def row(self, values: tuple[Scalar, ...]) -> Const:
        """The number for these values of the keys: the first row that matches them."""
        return next(c for keys, c in self.rows if all(map(key_matches, keys, values)))


TableKey = str | tuple[int, int] | None  # an enum value, an integer range (both ends in), or any value


def key_matches(key: TableKey, value: Scalar) -> bool:
    if key is None:
        return True
    if isinstance(key, tuple):
        return isinstance(value, int) and key[0] <= value <= key[1]
    return key == value


@dataclass(frozen=True, slots=True)
class Choice:
    """A term an outcome carries, chosen by a condition: `then` when it holds, else `otherwise`;
    unknown when the condition is, or when what it chooses is."""

    condition: Expr
    then: Operand
    otherwise: Operand
    whole: bool = True
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Const:
    value: Value  # a set constant is a sorted tuple
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Arith:
    """Arithmetic on numbers, exact; the checker has made sure no divisor can be zero."""

    op: ArithOp
    left: Operand
    right: Operand
    divisor_sign: int = 0  # for `/`: 1 or -1, the sign of every value the divisor can take
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)

    @property
    def whole(self) -> bool:
        """Whether the result is always a whole number (so plain integer arithmetic is exact)."""
        return self.op != "/" and is_whole(self.left) and is_whole(self.right)


@dataclass(frozen=True, slots=True)
class ValueRef:
    """A computed value named by the policy (`bmi`), with its formula over facts."""

    name: str
    operand: Operand
    whole: bool  # its values are whole numbers, or dates
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)


def shifts(operand: Operand) -> bool:
    """Whether a date is moved by a duration (so it may fall outside datetime.date's years): a day
    number, as is the first day of a month that `month_start` finds."""
    while isinstance(operand, ValueRef):
        operand = operand.operand
    if isinstance(operand, Choice):  # a day number if either may be one
        return shifts(operand.then) or shifts(operand.otherwise)
    if isinstance(operand, Call) and operand.function in ("max", "min"):  # of dates, one of them moved
        return any(map(shifts, operand.arguments))
    return isinstance(operand, Shift) or isinstance(operand, Call) and operand.function == "month_start"


def is_whole(operand: Operand) -> bool:
    """Whether a number is always whole: integer facts and literals, counts, and sums and products of them."""
    if isinstance(operand, Const):
        return not isinstance(operand.value, decimal.Decimal)
    if isinstance(operand, (Arith, ValueRef, Aggregate, Lookup, Choice)):
        return operand.whole
    if isinstance(operand, Call) and operand.function in ("max", "min"):
        return all(map(is_whole, operand.arguments))
    return not isinstance(operand, (FactRef, FieldRef)) or operand.decimal is False



@dataclass(frozen=True, slots=True)
class Shift:
    """A date moved by a duration: `therapy_start_date + 12 weeks` is Shift(.., 84, "days"); by a
    number of a time unit, `service_date + interval` (months) is Shift(.., 1, "months", interval)."""

    date: Operand
    amount: int  # negative to move back; times `count` when there is one
    unit: TimeUnit
    count: Operand | None = None  # a whole number, of `unit`s times `amount`
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Call:
    """A built-in function of values: the whole days, months or years between two dates, a set's size."""

    function: Function
    arguments: tuple[Operand, ...]
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class CodeSetRef:
    name: str
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Compare:
    op: CompareOp
    left: Operand
    right: Operand
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Member:
    element: Operand
    collection: Operand
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Intersects:
    """Two sets share a member; for codes, a claim's code falls in the code set."""

    left: Operand
    right: Operand
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Empty:
    operand: FactRef | FieldRef
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Known:
    """Whether a fact, or every fact a computed value reads, is known: true or false, never unknown."""

    operand: FactRef | FieldRef | ValueRef
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)

    @property
    def name(self) -> str:
        if isinstance(self.operand, FieldRef):
            return self.operand.dotted
        return self.operand.fact if isinstance(self.operand, FactRef) else self.operand.name


@dataclass(frozen=True, slots=True)
class Present:
    """Whether a fact or field declared `or absent` has a value: false when the request says it is
    absent, unknown when it says nothing."""

    operand: FactRef | FieldRef
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)

    @property
    def name(self) -> str:
        return self.operand.dotted if isinstance(self.operand, FieldRef) else self.operand.fact


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Combine:
    """all (count = len), any (count = 1) or at least `count` of the operands."""

    kind: CombineKind
    count: int
    operands: tuple[Expr, ...]
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class ProvisionRef:
    label: str
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)


Operand = FactRef | FieldRef | Const | Arith | Shift | Call | CodeSetRef | ValueRef | Aggregate | Lookup | Choice
Expr = (
    FactRef
    | FieldRef
    | Const
    | Compare
    | Member
    | Intersects
    | Empty
    | Known
    | Present
    | Not
    | Combine
    | ProvisionRef
    | Quantify
)
LEAVES = (Compare, Member, Intersects, Empty)  # the tests whose operands are values, not conditions
