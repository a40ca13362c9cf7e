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
Function = Literal["days_between", "months_between", "years_between", "count"]
TimeUnit = Literal["days", "months"]  # weeks and years are turned into these

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


def is_whole(operand: Operand) -> bool:
    """Whether a number is always whole: integer facts and literals, counts, and sums and products of them."""
    if isinstance(operand, Const):
        return not isinstance(operand.value, decimal.Decimal)
    if isinstance(operand, (Arith, ValueRef)):
        return operand.whole
    return not isinstance(operand, FactRef) or operand.decimal is False



@dataclass(frozen=True, slots=True)
class Shift:
    """A date moved by a duration: `therapy_start_date + 12 weeks` is Shift(.., 84, "days")."""

    date: Operand
    amount: int  # negative to move back
    unit: TimeUnit
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
    operand: FactRef
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Known:
    """Whether a fact, or every fact a computed value reads, is known: true or false, never unknown."""

    operand: FactRef | ValueRef
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)

    @property
    def name(self) -> str:
        return self.operand.fact if isinstance(self.operand, FactRef) else self.operand.name


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


Operand = FactRef | Const | Arith | Shift | Call | CodeSetRef | ValueRef
Expr = FactRef | Const | Compare | Member | Intersects | Empty | Known | Not | Combine | ProvisionRef
LEAVES = (Compare, Member, Intersects, Empty)  # the tests whose operands are values, not conditions
