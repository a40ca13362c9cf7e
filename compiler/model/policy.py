"""The checked policy as a whole: provisions, outcomes, the order of decision, examples and prose."""

from __future__ import annotations

import datetime
import decimal
from dataclasses import dataclass, field

from compiler.diagnostics import Span
from compiler.model.expr import Combine, Expr, Not, ProvisionRef
from compiler.model.types import CodeSet, Computed, Fact
from compiler.model.walk import provisions_referenced

JsonValue = str | int | decimal.Decimal | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


# -- The statement's prose, for the docs: its own words, in its own order ------------------------


@dataclass(frozen=True, slots=True)
class Paragraphs:
    paragraphs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Term:
    """A defined term, with the terms defined under it."""

    name: str
    text: str
    terms: tuple[Term, ...]


@dataclass(frozen=True, slots=True)
class ProvisionPlace:
    """Where a provision stands among the prose; the provision itself is `Policy.provision(label)`."""

    label: str


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """A line of the statement's revision history: `revised 2024-12-18: "Annual review."`."""

    kind: str  # issued, revised, effective or archived
    date: str | None  # as written
    action: str | None


@dataclass(frozen=True, slots=True)
class Citation:
    citation: str
    doi: str | None
    url: str | None


Prose = Paragraphs | Term | ProvisionPlace | HistoryEntry | Citation


@dataclass(frozen=True, slots=True)
class Section:
    label: str
    title: str
    items: tuple[Prose, ...]


# -- Provisions, outcomes, the order of decision -------------------------------------------------



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
    cited_as: str | None = None  # the policy's own label for it, when that is not `label`: "410.37(e)(3)"
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)  # where it is declared

    @property
    def citation(self) -> str:
        """How decisions and docs cite it: the policy's own label, else ours."""
        return self.cited_as or self.label


@dataclass(frozen=True, slots=True)
class Outcome:
    name: str
    description: str
    advisories: tuple[str, ...]
    terms: tuple[Computed, ...] = ()  # what a decision with this outcome carries: an approval period, a limit
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)  # where it is declared


APPLICABILITY = "applicability"  # the label of the provision made from `applies_to`


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule of the order of decision: an outcome when a condition on provisions holds.

    Its condition names one provision (`D.III`, `not D.IV`) or combines several (`B.6 and B.7`);
    the decision cites them all, `section` first."""

    outcome: str
    condition: Expr
    section: str  # the provision the decision cites first
    line: int
    sections: tuple[str, ...] = ()  # every provision the condition names, in order, when it names several
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)  # where it is declared

    @property
    def cited(self) -> tuple[str, ...]:
        """The provisions a decision by this rule cites."""
        return self.sections or (self.section,)

    @property
    def single(self) -> bool:
        """Whether the condition is one provision, or its negation."""
        inner = self.condition.operand if isinstance(self.condition, Not) else self.condition
        return isinstance(inner, ProvisionRef)

    @property
    def condition_text(self) -> str:
        """The condition as written: `D.III`, `not D.IV`, `not applicable`, `B.6 and B.7`."""
        return _provisions_text(self.condition)


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
class Interpretation:
    """A choice the encoding made where the statement is silent, awaiting clinical sign-off."""

    text: str
    sections: tuple[str, ...]  # the provisions it is about
    line: int
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Example:
    """A request (in JSON terms) that the docs show, and the outcome its author expects."""

    title: str
    facts: tuple[tuple[str, JsonValue], ...]
    expect: str | None
    line: int
    span: Span | None = field(default=None, compare=False, kw_only=True)
    expect_span: Span | None = field(default=None, compare=False, kw_only=True)  # of the outcome it expects

    @property
    def request(self) -> dict[str, JsonValue]:
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


def _provisions_text(expr: Expr) -> str:
    if isinstance(expr, ProvisionRef):
        return "applicable" if expr.label == APPLICABILITY else expr.label
    if isinstance(expr, Not):
        inner = _provisions_text(expr.operand)
        return f"not {inner}" if isinstance(expr.operand, ProvisionRef) else f"not ({inner})"
    if isinstance(expr, Combine) and expr.kind in ("all", "any"):
        joined = f" {'and' if expr.kind == 'all' else 'or'} "
        return joined.join(
            f"({_provisions_text(o)})" if isinstance(o, Combine) else _provisions_text(o) for o in expr.operands
        )
    if isinstance(expr, Combine):
        return f"at least {expr.count} of (" + ", ".join(_provisions_text(o) for o in expr.operands) + ")"
    raise TypeError(f"a rule's condition names provisions, not {type(expr).__name__}")


OUTCOME_KINDS = ("approval", "denial", "review", "unknown", "not_applicable")
OTHERWISE = "otherwise"  # the section a fallback cites when the policy names no provision for it
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
    sections: tuple[Section, ...]  # the statement's prose, for the docs
    examples: tuple[Example, ...]
    source_name: str
    source_sha256: str
    interpretations: tuple[Interpretation, ...] = ()  # the choices made where the statement is silent

    def fact(self, name: str) -> Fact:
        return next(f for f in self.facts if f.name == name)

    def provision(self, label: str) -> Provision:
        return next(p for p in self.provisions if p.label == label)

    def outcome(self, name: str) -> Outcome:
        return next(o for o in self.outcomes if o.name == name)

    def outcome_kind(self, name: str) -> str:
        """What an outcome says, read from its name: one of OUTCOME_KINDS. A name that says neither yes
        nor no is a review. (The diagram colours outcomes by it; CRD reports them by it.)"""
        if name == self.unknown:
            return "unknown"
        if name.startswith("not_applicable") or "not_addressed" in name:
            return "not_applicable"
        denial = ("not_", "non", "experimental", "investigational", "contraindicated", "denied", "exceeds", "excluded")
        if any(word in name for word in denial):
            return "denial"
        if any(word in name for word in ("covered", "approved", "medically_necessary")):
            return "approval"
        return "review"

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

    def rule_explained(self, rule: Rule) -> tuple[Provision, ...]:
        """What a decision by a rule lists: what each provision it cites lists, each provision once."""
        listed = {p.label: p for label in rule.cited for p in self.explained(label)}
        return tuple(listed.values())

    def explained(self, label: str) -> tuple[Provision, ...]:
        """What a decision by `label` lists: its subtree, then the subtree of each provision a condition
        in it refers to elsewhere in the policy (`criterion D.2 when D.1 and ...`), each once, in order."""
        listed: dict[str, Provision] = {}
        pending = [label]
        while pending:
            for provision in self.subtree(pending.pop(0)):
                if provision.label in listed:
                    continue
                listed[provision.label] = provision
                if provision.condition is not None:
                    pending += [ref for ref in provisions_referenced(provision.condition) if ref not in listed]
        return tuple(listed.values())

