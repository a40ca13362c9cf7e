"""The checked policy: what compiler/check.py hands to the interpreter and the targets.

Unlike the AST, every name here is resolved (a fact, an enum value or a
provision), every expression is well typed, and the order of decision is
complete. Targets read this model only; they never see the AST's loose names.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from compiler import nodes

# -- Fact types -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Boolean:
    kind = "boolean"


@dataclass(frozen=True, slots=True)
class Integer:
    low: int
    high: int
    unit: str | None = None
    kind = "integer"


@dataclass(frozen=True, slots=True)
class Decimal:
    """A number with a fractional part, read and computed exactly: never a binary float."""

    low: decimal.Decimal
    high: decimal.Decimal
    unit: str | None = None
    kind = "decimal"


@dataclass(frozen=True, slots=True)
class Enum:
    values: tuple[str, ...]
    labels: tuple[str | None, ...]
    kind = "enum"


@dataclass(frozen=True, slots=True)
class EnumSet:
    values: tuple[str, ...]
    labels: tuple[str | None, ...]
    kind = "set"


@dataclass(frozen=True, slots=True)
class Date:
    kind = "date"


@dataclass(frozen=True, slots=True)
class String:
    pattern: str | None
    kind = "string"


@dataclass(frozen=True, slots=True)
class Code:
    """One code of a coding system (CPT, HCPCS, ICD10CM), such as the procedure code of a claim."""

    system: str
    kind = "code"


@dataclass(frozen=True, slots=True)
class Codes:
    """The codes a claim carries, of one coding system; may be empty."""

    system: str
    kind = "codes"


FactType = Boolean | Integer | Decimal | Enum | EnumSet | Date | String | Code | Codes

# The form of a code in each system, as a request must give it (ICD-10-CM with its dot).
CODE_SYSTEMS: dict[str, tuple[str, str]] = {
    "CPT": ("[0-9]{4}[0-9AFMTU]", "CPT (five characters: 43497, 0213T)"),
    "HCPCS": ("[A-V][0-9]{4}", "HCPCS Level II (a letter and four digits: E0601)"),
    "ICD10CM": ("[A-TV-Z][0-9][0-9A-Z](\\.[0-9A-Z]{1,4})?", "ICD-10-CM (G47.33, K22.0)"),
}


@dataclass(frozen=True, slots=True)
class CodeSet:
    """A named set of codes: `exact` codes and `prefixes` (from "E10.*") that cover every code under them."""

    name: str
    system: str
    title: str
    entries: tuple[tuple[str, str | None], ...]  # as written, with their labels, for the docs
    exact: tuple[str, ...]
    prefixes: tuple[str, ...]
    line: int

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and (code in self.exact or code.startswith(self.prefixes))


@dataclass(frozen=True, slots=True)
class Computed:
    """A value computed from facts, named by the policy: `bmi = weight_kg / (height_m * height_m)`."""

    name: str
    unit: str | None
    formula: str  # as written
    description: str
    facts: tuple[str, ...]
    line: int
    operand: Operand  # the formula, checked
    whole: bool  # whole numbers (or dates) only


@dataclass(frozen=True, slots=True)
class Fact:
    name: str
    type: FactType
    description: str
    sections: tuple[str, ...]  # the provisions whose conditions read it, in policy order
    line: int


# -- Expressions (Kleene three-valued) ------------------------------------------------

Scalar = bool | int | decimal.Decimal | str | datetime.date
Value = Scalar | tuple[Scalar, ...]


MIRRORED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}  # `3 <= x` is `x >= 3`


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


@dataclass(frozen=True, slots=True)
class Const:
    value: Value  # a set constant is a sorted tuple


@dataclass(frozen=True, slots=True)
class Arith:
    """Arithmetic on numbers, exact; the checker has made sure no divisor can be zero."""

    op: str  # + - * /
    left: Operand
    right: Operand
    divisor_sign: int = 0  # for `/`: 1 or -1, the sign of every value the divisor can take

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


def is_whole(operand: Operand) -> bool:
    """Whether a number is always whole: integer facts and literals, counts, and sums and products of them."""
    if isinstance(operand, Const):
        return not isinstance(operand.value, decimal.Decimal)
    if isinstance(operand, (Arith, ValueRef)):
        return operand.whole
    return not isinstance(operand, FactRef) or operand.decimal is False


def values_read(expr: Expr | Operand) -> tuple[str, ...]:
    """The computed values an expression reads, in order of first appearance (inner ones first)."""
    found: dict[str, None] = {}

    def visit(e: Expr | Operand) -> None:
        if isinstance(e, ValueRef):
            visit(e.operand)
            found[e.name] = None
        for child in _children(e):
            visit(child)

    visit(expr)
    return tuple(found)


@dataclass(frozen=True, slots=True)
class Shift:
    """A date moved by a duration: `therapy_start_date + 12 weeks` is Shift(.., 84, "days")."""

    date: Operand
    amount: int  # negative to move back
    unit: str  # "days" or "months" (weeks and years are turned into these)


@dataclass(frozen=True, slots=True)
class Call:
    """A built-in function of values: the whole days, months or years between two dates, a set's size."""

    function: str  # days_between, months_between, years_between or count
    arguments: tuple[Operand, ...]


@dataclass(frozen=True, slots=True)
class CodeSetRef:
    name: str


@dataclass(frozen=True, slots=True)
class Compare:
    op: str  # == != < <= > >=
    left: Operand
    right: Operand


@dataclass(frozen=True, slots=True)
class Member:
    element: Operand
    collection: Operand


@dataclass(frozen=True, slots=True)
class Intersects:
    """Two sets share a member; for codes, a claim's code falls in the code set."""

    left: Operand
    right: Operand


@dataclass(frozen=True, slots=True)
class Empty:
    operand: FactRef


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr


@dataclass(frozen=True, slots=True)
class Combine:
    """all (count = len), any (count = 1) or at least `count` of the operands."""

    kind: str  # "all", "any" or "at_least"
    count: int
    operands: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class ProvisionRef:
    label: str


Operand = FactRef | Const | Arith | Shift | Call | CodeSetRef | ValueRef
Expr = FactRef | Const | Compare | Member | Intersects | Empty | Not | Combine | ProvisionRef
LEAVES = (Compare, Member, Intersects, Empty)  # the tests whose operands are values, not conditions


def _children(e: Expr | Operand) -> tuple[Expr | Operand, ...]:
    """The sub-expressions and operands of an expression, without following provision references."""
    if isinstance(e, (Compare, Intersects, Arith)):
        return (e.left, e.right)
    if isinstance(e, Member):
        return (e.element, e.collection)
    if isinstance(e, (Empty, Not, ValueRef)):
        return (e.operand,)
    if isinstance(e, Shift):
        return (e.date,)
    if isinstance(e, Call):
        return e.arguments
    if isinstance(e, Combine):
        return e.operands
    return ()


def facts_read(expr: Expr | Operand) -> tuple[str, ...]:
    """The facts an expression reads directly, in order of first appearance."""
    found: dict[str, None] = {}

    def visit(e: Expr | Operand) -> None:
        if isinstance(e, FactRef):
            found[e.fact] = None
        for child in _children(e):
            visit(child)

    visit(expr)
    return tuple(found)


def provisions_referenced(expr: Expr) -> tuple[str, ...]:
    found: dict[str, None] = {}

    def visit(e: Expr) -> None:
        if isinstance(e, ProvisionRef):
            found[e.label] = None
        elif isinstance(e, Not):
            visit(e.operand)
        elif isinstance(e, Combine):
            for operand in e.operands:
                visit(operand)

    visit(expr)
    return tuple(found)


# -- Provisions, outcomes, the order of decision ----------------------------------------


@dataclass(frozen=True, slots=True)
class Provision:
    """A labelled statement of the policy: its wording and, for most kinds, a condition."""

    kind: str
    label: str
    wording: str
    line: int
    condition: Expr | None  # None for advisories and clarifications
    children: tuple[Provision, ...]
    facts: tuple[str, ...]  # every fact the condition reads, through sub-provisions too
    clarifies: str | None = None
    values: tuple[str, ...] = ()  # every computed value the condition reads, likewise
    wording_differs: str | None = None  # why the wording states other numbers than the condition, if it does


@dataclass(frozen=True, slots=True)
class Outcome:
    name: str
    description: str
    advisories: tuple[str, ...]


APPLICABILITY = "applicability"  # the label of the provision made from `applies_to`


@dataclass(frozen=True, slots=True)
class Rule:
    outcome: str
    condition: Expr
    section: str  # the provision the decision cites
    line: int

    @property
    def condition_text(self) -> str:
        """The condition as written: `D.III`, `not D.IV`, `not applicable`."""
        name = "applicable" if self.section == APPLICABILITY else self.section
        return ("not " if isinstance(self.condition, Not) else "") + name


@dataclass(frozen=True, slots=True)
class State:
    code: str
    name: str
    effective: datetime.date
    inactive: datetime.date | None


@dataclass(frozen=True, slots=True)
class Applicability:
    state_fact: str
    date_fact: str
    wording: str
    states: tuple[State, ...]


@dataclass(frozen=True, slots=True)
class Example:
    """A request (in JSON terms) that the docs show, and the outcome its author expects."""

    title: str
    facts: tuple[tuple[str, nodes.JsonValue], ...]
    expect: str | None
    line: int

    @property
    def request(self) -> dict[str, nodes.JsonValue]:
        return dict(self.facts)


@dataclass(frozen=True, slots=True)
class Revision:
    """One `decide`: the order of decision in force on dates of service from `start` (inclusive) to `end`."""

    start: datetime.date | None  # None: from the beginning
    end: datetime.date | None  # None: until further notice
    rules: tuple[Rule, ...]
    otherwise: str
    otherwise_section: str
    line: int

    @property
    def name(self) -> str:
        """How docs and decisions call it: `from 2024-01-16`, `before 2024-01-16`, or `current`."""
        if self.start is not None:
            return f"from {self.start.isoformat()}"
        return f"before {self.end.isoformat()}" if self.end is not None else "current"

    def covers(self, day: datetime.date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day < self.end)


REVISION = "revision"  # the section a decision cites when the date that picks the revision is unknown


@dataclass(frozen=True, slots=True)
class Policy:
    policy_id: str
    title: str
    effective: datetime.date
    meta: tuple[tuple[str, str], ...]  # other metadata, in source order, text folded
    applicability: Applicability | None
    facts: tuple[Fact, ...]
    provisions: tuple[Provision, ...]  # every provision, parents before children, in policy order
    outcomes: tuple[Outcome, ...]
    revisions: tuple[Revision, ...]  # latest first; one unless the policy holds several revisions
    revision_fact: str | None  # the date fact that picks the revision, when there are several
    unknown: str
    codesets: tuple[CodeSet, ...]
    computed: tuple[Computed, ...]
    sections: tuple[nodes.Section, ...]  # the statement's prose, for the docs
    examples: tuple[Example, ...]
    source_name: str
    source_sha256: str

    def fact(self, name: str) -> Fact:
        return next(f for f in self.facts if f.name == name)

    def provision(self, label: str) -> Provision:
        return next(p for p in self.provisions if p.label == label)

    def outcome(self, name: str) -> Outcome:
        return next(o for o in self.outcomes if o.name == name)

    def codeset(self, name: str) -> CodeSet:
        return next(c for c in self.codesets if c.name == name)

    def value(self, name: str) -> Computed:
        return next(c for c in self.computed if c.name == name)

    def revision_on(self, day: datetime.date) -> Revision | None:
        return next((r for r in self.revisions if r.covers(day)), None)

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Every rule of every revision, latest revision first."""
        return tuple(rule for revision in self.revisions for rule in revision.rules)

    def subtree(self, label: str) -> tuple[Provision, ...]:
        """A provision and all provisions below it, in policy order."""

        def walk(provision: Provision) -> tuple[Provision, ...]:
            return (provision, *(p for child in provision.children for p in walk(child)))

        return walk(self.provision(label))
