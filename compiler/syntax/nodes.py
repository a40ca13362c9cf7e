"""The abstract syntax tree: what a policy file says, before any checking.

Every node is a small frozen dataclass carrying its source `span`. Class names
match the grammar rules in grammar/policy.lark that build them. Names are not
resolved here: `Name("age")` may turn out to be a fact, an enum value or
nothing at all; that is for compiler/check to decide.
"""

from __future__ import annotations

import datetime
import decimal
from dataclasses import dataclass

from compiler.diagnostics import Span


@dataclass(frozen=True, slots=True)
class Node:
    span: Span


# -- Expressions ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Name(Node):
    name: str


@dataclass(frozen=True, slots=True)
class SectionRef(Node):
    label: str


@dataclass(frozen=True, slots=True)
class IntLit(Node):
    value: int


@dataclass(frozen=True, slots=True)
class DecimalLit(Node):
    value: decimal.Decimal  # exact, as written: 1.60 is 160/100, never a binary float
    text: str  # as written, so the formatter gives back `0.70`, not `0.7`


@dataclass(frozen=True, slots=True)
class DurationLit(Node):
    amount: int
    unit: str  # days, weeks, months or years


@dataclass(frozen=True, slots=True)
class DateLit(Node):
    value: datetime.date | None  # None when the text is not a real date (reported by the parser)
    text: str

    @property
    def month_only(self) -> bool:
        """Given to the month (`2022-08`), as a policy may state a version: `value` is its first day."""
        return len(self.text) == 7


@dataclass(frozen=True, slots=True)
class StrLit(Node):
    value: str


@dataclass(frozen=True, slots=True)
class BoolLit(Node):
    value: bool


@dataclass(frozen=True, slots=True)
class SetLit(Node):
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Comparison(Node):
    op: str  # one of == != < <= > >=
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Membership(Node):
    element: Expr
    collection: Expr


@dataclass(frozen=True, slots=True)
class Emptiness(Node):
    operand: Expr


@dataclass(frozen=True, slots=True)
class Knownness(Node):
    """`arterial_blood_gas is known`: true or false, never unknown."""

    operand: Expr


@dataclass(frozen=True, slots=True)
class Presence(Node):
    """`abg_po2 is present`: true for a value, false when the request says it is absent, else unknown."""

    operand: Expr


@dataclass(frozen=True, slots=True)
class Intersection(Node):
    """`a intersects b`: the two sets (or a claim's codes and a code set) share a member."""

    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Arithmetic(Node):
    op: str  # one of + - * /
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A built-in function: `years_between(date_of_birth, service_date)`, `count(symptoms)`."""

    function: Name
    arguments: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Negation(Node):
    operand: Expr


@dataclass(frozen=True, slots=True)
class Conjunction(Node):
    operands: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Disjunction(Node):
    operands: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Quantifier(Node):
    kind: str  # "all", "any" or "at_least"
    count: int | None  # only for at_least


@dataclass(frozen=True, slots=True)
class Quantified(Node):
    quantifier: Quantifier
    operands: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Binding(Node):
    """`trial in medication_trials`: each record of a list fact, in turn, named `trial`."""

    record: str
    records: Name


@dataclass(frozen=True, slots=True)
class RecordsQuantified(Node):
    """`any | every | no trial in trials such that ...`, `at least 3 [distinct trial.drug for] trial in ...`."""

    kind: str  # "any", "every", "no" or "at_least"
    count: int  # for at_least
    distinct: Expr | None  # counts distinct values of this, for at_least
    binding: Binding
    where: Expr


@dataclass(frozen=True, slots=True)
class RecordsAggregate(Node):
    """`count(s in sessions such that ...)`, `max(s.date for s in sessions such that ...) else service_date`."""

    function: Name
    value: Expr | None  # None for count
    binding: Binding
    where: Expr | None
    fallback: Expr | None  # the value when no record is selected


@dataclass(frozen=True, slots=True)
class Choice(Node):
    """`a when CONDITION otherwise b`: a term an outcome carries, chosen by a condition."""

    then: Expr
    condition: Expr
    otherwise: Expr


Expr = (
    Name
    | SectionRef
    | IntLit
    | DecimalLit
    | DurationLit
    | DateLit
    | StrLit
    | BoolLit
    | SetLit
    | Comparison
    | Membership
    | Intersection
    | Emptiness
    | Knownness
    | Presence
    | Arithmetic
    | Call
    | Negation
    | Conjunction
    | Disjunction
    | Quantified
    | RecordsQuantified
    | RecordsAggregate
    | Choice
)


# -- Declarations ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Prose(Node):
    """Text in the policy's own words, folded into paragraphs."""

    paragraphs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Meta(Node):
    key: str
    value: Prose | DateLit


@dataclass(frozen=True, slots=True)
class Policy(Node):
    policy_id: str
    meta: tuple[Meta, ...]


@dataclass(frozen=True, slots=True)
class Jurisdiction(Node):
    code: str
    name: str
    effective: DateLit | None
    inactive: DateLit | None


@dataclass(frozen=True, slots=True)
class AppliesTo(Node):
    state_fact: Name
    date_fact: Name
    wording: str
    jurisdictions: tuple[Jurisdiction, ...]


@dataclass(frozen=True, slots=True)
class EnumValue(Node):
    name: str
    label: str | None


@dataclass(frozen=True, slots=True)
class BooleanType(Node):
    pass


@dataclass(frozen=True, slots=True)
class IntegerType(Node):
    low: int
    high: int
    unit: str | None


@dataclass(frozen=True, slots=True)
class DecimalType(Node):
    low: DecimalLit
    high: DecimalLit
    unit: str | None


@dataclass(frozen=True, slots=True)
class CodeType(Node):
    """One clinical code (`code ICD10CM`) or a claim's list of them (`codes ICD10CM`)."""

    system: Name
    multiple: bool


@dataclass(frozen=True, slots=True)
class EnumType(Node):
    values: tuple[EnumValue, ...]


@dataclass(frozen=True, slots=True)
class SetType(Node):
    values: tuple[EnumValue, ...]


@dataclass(frozen=True, slots=True)
class DateType(Node):
    pass


@dataclass(frozen=True, slots=True)
class StringType(Node):
    pattern: str | None


@dataclass(frozen=True, slots=True)
class RecordField(Node):
    name: str
    type: FactType
    description: str | None
    absent: bool = False  # `or absent`: a record may say it has none


@dataclass(frozen=True, slots=True)
class ListType(Node):
    """`list of { date: date, covered: boolean }`: a history of records, each field possibly unknown."""

    fields: tuple[RecordField, ...]


FactType = BooleanType | IntegerType | DecimalType | EnumType | SetType | DateType | StringType | CodeType | ListType


@dataclass(frozen=True, slots=True)
class Fact(Node):
    name: str
    type: FactType
    description: Prose
    absent: bool = False  # `or absent`: a request may say it is known not to exist


@dataclass(frozen=True, slots=True)
class Computed(Node):
    """`value bmi unit "kg/m2" = ...`: a value the policy computes from facts, named once."""

    name: str
    unit: str | None
    expr: Expr
    description: Prose


@dataclass(frozen=True, slots=True)
class TableRow(Node):
    keys: tuple[TableKey, ...]  # one per fact of the table, or a lone `else`
    value: DecimalLit


TableKey = str | tuple[int, int] | None  # an enum value, an integer range (both ends in), or `else`: any value


@dataclass(frozen=True, slots=True)
class Table(Node):
    """`table NAME [unit] "source" by FACT, ... { KEY, ...: NUMBER ... }`: a value looked up by facts."""

    name: str
    unit: str | None
    source: str
    keys: tuple[Name, ...]
    rows: tuple[TableRow, ...]


@dataclass(frozen=True, slots=True)
class CodeEntry(Node):
    code: str  # "E11.9", or "E10.*" for every code under E10
    label: str | None


@dataclass(frozen=True, slots=True)
class CodeSet(Node):
    name: str
    system: Name
    title: str
    entries: tuple[CodeEntry, ...]


@dataclass(frozen=True, slots=True)
class Outcome(Node):
    name: str
    description: str
    advise: tuple[SectionRef, ...]
    carries: tuple[Computed, ...] = ()  # the terms a decision with this outcome carries


@dataclass(frozen=True, slots=True)
class Interpretation(Node):
    """A choice the encoding made where the statement is silent: shown for clinical sign-off."""

    text: Prose
    about: tuple[SectionRef, ...]


@dataclass(frozen=True, slots=True)
class Rule(Node):
    outcome: Name
    condition: Expr


@dataclass(frozen=True, slots=True)
class InForce(Node):
    """`on service_date from 2024-01-16 before 2025-01-01`: the period a revision's `decide` governs."""

    date_fact: Name
    start: DateLit | None
    end: DateLit | None


@dataclass(frozen=True, slots=True)
class Otherwise(Node):
    """`otherwise not_covered by B.II`: the outcome when no rule decides, and the provision it rests on."""

    outcome: Name
    basis: SectionRef | None


@dataclass(frozen=True, slots=True)
class Decide(Node):
    in_force: InForce | None
    rules: tuple[Rule, ...]
    otherwise: Otherwise | None
    unknown: Name


@dataclass(frozen=True, slots=True)
class Term(Node):
    name: str
    text: Prose
    terms: tuple[Term, ...]


@dataclass(frozen=True, slots=True)
class Revision(Node):
    kind: str  # issued, revised, effective or archived
    date: DateLit | None
    action: str | None


@dataclass(frozen=True, slots=True)
class Reference(Node):
    citation: str
    doi: str | None
    url: str | None


@dataclass(frozen=True, slots=True)
class Condition(Node):
    expr: Expr
    wording_differs: str | None = None  # the author's reason, when the wording deliberately differs


@dataclass(frozen=True, slots=True)
class Group(Node):
    quantifier: Quantifier
    provisions: tuple[Provision, ...]


@dataclass(frozen=True, slots=True)
class Clarifies(Node):
    section: SectionRef
    facts: tuple[Name, ...]


ProvisionBody = Condition | Group | Clarifies


@dataclass(frozen=True, slots=True)
class Provision(Node):
    kind: str  # criteria, criterion, rule, contraindication(s), clarification, advisory
    label: str
    wording: str
    body: ProvisionBody | None
    cited_as: str | None = None  # the policy's own label for it: "410.37(e)(3)", "Step Therapy"


SectionItem = Prose | Term | Provision | Revision | Reference


@dataclass(frozen=True, slots=True)
class Section(Node):
    label: str
    title: str
    items: tuple[SectionItem, ...]


JsonValue = str | int | decimal.Decimal | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


@dataclass(frozen=True, slots=True)
class ExampleFact(Node):
    name: str
    value: JsonValue


@dataclass(frozen=True, slots=True)
class Example(Node):
    """A request in JSON terms, with the outcome the author expects for it."""

    title: str
    expect: Name | None
    facts: tuple[ExampleFact, ...]


Item = Policy | AppliesTo | Fact | Computed | Table | CodeSet | Outcome | Section | Decide | Example | Interpretation


@dataclass(frozen=True, slots=True)
class PolicyFile(Node):
    items: tuple[Item, ...]


# -- Test files -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Request(Node):
    """A named request (in JSON terms) that test cases start from."""

    name: str
    facts: tuple[ExampleFact, ...]


@dataclass(frozen=True, slots=True)
class Case(Node):
    """A test case: a request, and the outcome (and optionally section and missing facts) it must get."""

    title: str
    base: Name | None
    expect: Name
    section: Name | None  # a section label, or `applicability`
    missing: tuple[Name, ...] | None
    facts: tuple[ExampleFact, ...]
    terms: tuple[ExampleFact, ...] | None = None  # the terms the decision must carry


@dataclass(frozen=True, slots=True)
class TestFile(Node):
    items: tuple[Request | Case, ...]
