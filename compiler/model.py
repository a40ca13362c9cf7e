"""The checked policy: what compiler/check.py hands to the interpreter and the targets.

Unlike the AST, every name here is resolved (a fact, an enum value or a
provision), every expression is well typed, and the order of decision is
complete. Targets read this model only; they never see the AST's loose names.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from compiler import nodes

# -- Fact types -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Boolean:
    kind = "boolean"


@dataclass(frozen=True, slots=True)
class Integer:
    low: int
    high: int
    kind = "integer"


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


FactType = Boolean | Integer | Enum | EnumSet | Date | String


@dataclass(frozen=True, slots=True)
class Fact:
    name: str
    type: FactType
    description: str
    sections: tuple[str, ...]  # the provisions whose conditions read it, in policy order
    line: int


# -- Expressions (Kleene three-valued) ------------------------------------------------

Scalar = bool | int | str | datetime.date
Value = Scalar | tuple[Scalar, ...]


def sorted_set(values: Iterable[Value]) -> tuple[Scalar, ...]:
    """A set constant as a sorted tuple, so that generated code is deterministic."""
    scalars = {v for v in values if not isinstance(v, tuple)}
    return tuple(sorted(scalars, key=lambda v: (type(v).__name__, v)))


@dataclass(frozen=True, slots=True)
class FactRef:
    fact: str


@dataclass(frozen=True, slots=True)
class Const:
    value: Value  # a set constant is a sorted tuple


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


Operand = FactRef | Const
Expr = FactRef | Const | Compare | Member | Empty | Not | Combine | ProvisionRef


def facts_read(expr: Expr) -> tuple[str, ...]:
    """The facts an expression reads directly, in order of first appearance."""
    found: dict[str, None] = {}

    def visit(e: Expr) -> None:
        if isinstance(e, FactRef):
            found[e.fact] = None
        elif isinstance(e, Compare):
            visit(e.left)
            visit(e.right)
        elif isinstance(e, Member):
            visit(e.element)
            visit(e.collection)
        elif isinstance(e, (Empty, Not)):
            visit(e.operand)
        elif isinstance(e, Combine):
            for operand in e.operands:
                visit(operand)

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
class Policy:
    policy_id: str
    title: str
    effective: datetime.date
    meta: tuple[tuple[str, str], ...]  # other metadata, in source order, text folded
    applicability: Applicability | None
    facts: tuple[Fact, ...]
    provisions: tuple[Provision, ...]  # every provision, parents before children, in policy order
    outcomes: tuple[Outcome, ...]
    rules: tuple[Rule, ...]
    otherwise: str
    otherwise_section: str
    unknown: str
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

    def subtree(self, label: str) -> tuple[Provision, ...]:
        """A provision and all provisions below it, in policy order."""

        def walk(provision: Provision) -> tuple[Provision, ...]:
            return (provision, *(p for child in provision.children for p in walk(child)))

        return walk(self.provision(label))
