"""The scope: every name a policy declares, resolved once and then frozen.

`declare` builds it from the syntax tree (E106, E110-E116, E301-E303, E402); the
computed values are added by `values.declare_computed`. Every later pass is a `Pass`: it
reads the scope and writes only to the `Report`.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import assert_never

from compiler import model
from compiler.check.quantities import Quantity
from compiler.check.report import Report, a, suggest
from compiler.diagnostics import Span
from compiler.syntax import nodes

MAX_NAME_LENGTH = 40  # of a fact, value, code set, outcome or enum value


@dataclass(frozen=True, slots=True)
class ComputedValue:
    value: model.Computed
    operand: model.Operand
    quantity: Quantity
    span: Span


@dataclass(frozen=True, slots=True)
class Scope:
    facts: Mapping[str, nodes.Fact]  # only the facts whose type is sound
    fact_types: Mapping[str, model.FactType]
    codesets: Mapping[str, model.CodeSet]
    outcomes: Mapping[str, nodes.Outcome]
    provisions: Mapping[str, nodes.Provision]  # every provision by label, the first of a repeated label
    has_applicability: bool
    computed: Mapping[str, ComputedValue] = field(default_factory=lambda: MappingProxyType({}))


class Pass:
    """A phase of checking: it reads the frozen scope and writes only to the report."""

    def __init__(self, scope: Scope, report: Report) -> None:
        self.scope = scope
        self.report = report
        self.facts, self.fact_types, self.codesets = scope.facts, scope.fact_types, scope.codesets
        self.outcomes, self.provisions, self.computed = scope.outcomes, scope.provisions, scope.computed
        self.has_applicability = scope.has_applicability
        self.error, self.warning = report.error, report.warning


def declare(tree: nodes.PolicyFile, report: Report) -> Scope:
    declarations = _Declarations(report)
    items = tree.items
    declarations.check_name_lengths(items)
    declarations.declare_facts([i for i in items if isinstance(i, nodes.Fact)])
    declarations.declare_codesets([i for i in items if isinstance(i, nodes.CodeSet)])
    declarations.declare_outcomes([i for i in items if isinstance(i, nodes.Outcome)])
    declarations.declare_sections(tuple(i for i in items if isinstance(i, nodes.Section)))
    return Scope(
        MappingProxyType(declarations.facts),
        MappingProxyType(declarations.fact_types),
        MappingProxyType(declarations.codesets),
        MappingProxyType(declarations.outcomes),
        MappingProxyType(declarations.provisions),
        has_applicability=any(isinstance(i, nodes.AppliesTo) for i in items),
    )


def _reserved(name: str) -> str | None:
    """Why a fact, value or field may not have this name: the evaluator's classes use it, or Python does."""
    if keyword.iskeyword(name):
        return "it is a keyword of Python"
    if name.startswith("_"):
        return "it begins with '_'"
    if name == "absent":
        return "the evaluator lists the facts a request says are absent under that name"
    return None


def check_singletons(tree: nodes.PolicyFile, report: Report) -> None:
    """One header, one `decide` (or one per revision), at most one `applies_to` (E101)."""
    items = tree.items
    decides = [i for i in items if isinstance(i, nodes.Decide)]
    applies = [i for i in items if isinstance(i, nodes.AppliesTo)]
    _one_of(
        tree,
        report,
        [i for i in items if isinstance(i, nodes.Policy)],
        "'policy' header",
        'policy "ID" { title: "..." effective: YYYY-MM-DD }',
    )
    _one_of(
        tree,
        report,
        decides[:1] if all(d.in_force for d in decides) else decides,
        "'decide' block",
        "decide { OUTCOME when CONDITION ... otherwise OUTCOME unknown OUTCOME }",
    )
    if len(applies) > 1:
        report.error("E101", "more than one 'applies_to' block", applies[1].span)


def _one_of(
    tree: nodes.PolicyFile, report: Report, found: list[nodes.Policy] | list[nodes.Decide], what: str, example: str
) -> None:
    if not found:
        report.error("E101", f"the policy has no {what}", tree.span, hint=f"add {example}")
    for extra in found[1:]:
        report.error("E101", f"more than one {what}", extra.span)


class _Declarations:
    def __init__(self, report: Report) -> None:
        self.error = report.error
        self.facts: dict[str, nodes.Fact] = {}
        self.fact_types: dict[str, model.FactType] = {}
        self.codesets: dict[str, model.CodeSet] = {}
        self.outcomes: dict[str, nodes.Outcome] = {}
        self.provisions: dict[str, nodes.Provision] = {}

    def check_name_lengths(self, items: tuple[nodes.Item, ...]) -> None:
        """Names become identifiers and table keys in generated code: keep them short enough to read."""
        named: list[tuple[str, Span]] = []
        for item in items:
            if isinstance(item, (nodes.Fact, nodes.Computed, nodes.CodeSet, nodes.Outcome)):
                named.append((item.name, item.span))
            if isinstance(item, nodes.Fact) and isinstance(item.type, (nodes.EnumType, nodes.SetType)):
                named.extend((value.name, value.span) for value in item.type.values)
            identifiers = [item.name] if isinstance(item, (nodes.Fact, nodes.Computed)) else []
            if isinstance(item, nodes.Fact) and isinstance(item.type, nodes.ListType):
                identifiers += [f.name for f in item.type.fields]
            for name in identifiers:  # each names an attribute of the evaluator's classes
                reason = _reserved(name)
                if reason is not None:
                    self.error(
                        "E107",
                        f"'{name}' cannot name a fact, value or field: {reason}",
                        item.span,
                        hint="the evaluator reads it as an attribute: choose another name, such as 'drug_class'",
                    )
        for name, span in named:
            if len(name) > MAX_NAME_LENGTH:
                self.error("E106", f"'{name[:20]}...' is {len(name)} characters long; at most {MAX_NAME_LENGTH}", span)

    def declare_facts(self, facts: list[nodes.Fact]) -> None:
        for fact in facts:
            if fact.name in self.facts:
                self.error("E110", f"fact '{fact.name}' is declared twice", fact.span)
                continue
            many = {nodes.ListType: "a list", nodes.SetType: "a set"}.get(type(fact.type))
            if isinstance(fact.type, nodes.CodeType) and fact.type.multiple:
                many = "a list of codes"
            if fact.absent and many:
                self.error(
                    "E123",
                    f"'{fact.name}' is {many}, which may be empty: `or absent` is for a single value",
                    fact.span,
                    hint="drop `or absent`: a request gives [] when there is none",
                )
            fact_type = self.check_fact_type(fact)
            if fact_type is not None:
                self.facts[fact.name] = fact
                self.fact_types[fact.name] = fact_type

    def check_fact_type(self, fact: nodes.Fact) -> model.FactType | None:
        if isinstance(fact.type, nodes.ListType):
            return self.check_record_list(fact.name, fact.type)
        return self.check_scalar_type(fact.type, fact.name)

    def check_record_list(self, name: str, t: nodes.ListType) -> model.RecordList | None:
        """A list of records: each field once, of a type that is not a list itself (E117)."""
        fields: dict[str, model.RecordField] = {}
        for f in t.fields:
            if f.name in fields:
                self.error("E117", f"field '{f.name}' of '{name}' is declared twice", f.span)
                continue
            if isinstance(f.type, nodes.ListType):
                self.error("E117", f"field '{f.name}' of '{name}' is a list: a record holds no list", f.type.span)
                continue
            field_type = self.check_scalar_type(f.type, f"{name}.{f.name}")
            if field_type is not None:
                fields[f.name] = model.RecordField(f.name, field_type, f.description, f.absent)
        return model.RecordList(tuple(fields.values())) if len(fields) == len(t.fields) else None

    def check_scalar_type(self, t: nodes.FactType, name: str) -> model.ScalarType | None:
        if isinstance(t, nodes.BooleanType):
            return model.Boolean()
        if isinstance(t, nodes.IntegerType):
            if t.low > t.high:
                self.error("E112", f"integer range {t.low}..{t.high} of '{name}' is empty", t.span)
                return None
            return model.Integer(t.low, t.high, t.unit)
        if isinstance(t, nodes.DecimalType):
            if t.low.value > t.high.value:
                self.error("E112", f"decimal range {t.low.text}..{t.high.text} of '{name}' is empty", t.span)
                return None
            return model.Decimal(t.low.value, t.high.value, t.unit)
        if isinstance(t, nodes.CodeType):
            if t.system.name not in model.CODE_SYSTEMS:
                self.error(
                    "E114",
                    f"'{t.system.name}' is not a code system",
                    t.system.span,
                    suggest(t.system.name, model.CODE_SYSTEMS) or f"use one of {', '.join(model.CODE_SYSTEMS)}",
                )
                return None
            return model.Codes(t.system.name) if t.multiple else model.Code(t.system.name)
        if isinstance(t, (nodes.EnumType, nodes.SetType)):
            seen: set[str] = set()
            for value in t.values:
                if value.name in seen:
                    self.error("E111", f"value '{value.name}' is listed twice in '{name}'", value.span)
                seen.add(value.name)
            names = tuple(dict.fromkeys(v.name for v in t.values))
            labels = tuple(next(v.label for v in t.values if v.name == n) for n in names)
            return model.Enum(names, labels) if isinstance(t, nodes.EnumType) else model.EnumSet(names, labels)
        if isinstance(t, nodes.DateType):
            return model.Date()
        if isinstance(t, nodes.ListType):
            self.error("E117", f"'{name}' is a list within a list", t.span)
            return None
        if isinstance(t, nodes.StringType):
            if t.pattern is not None:
                try:
                    re.compile(t.pattern)
                except re.error as exc:
                    self.error("E113", f"pattern of '{name}' is not a valid regular expression: {exc}", t.span)
                    return None
            return model.String(t.pattern)
        assert_never(t)

    def declare_codesets(self, codesets: list[nodes.CodeSet]) -> None:
        for codeset in codesets:
            if codeset.name in self.codesets or codeset.name in self.facts:
                self.error("E116", f"'{codeset.name}' is already declared", codeset.span)
                continue
            system = codeset.system.name
            if system not in model.CODE_SYSTEMS:
                self.error(
                    "E114",
                    f"'{system}' is not a code system",
                    codeset.system.span,
                    suggest(system, model.CODE_SYSTEMS),
                )
                continue
            pattern, description = model.CODE_SYSTEMS[system]
            exact: list[str] = []
            prefixes: list[str] = []
            for entry in codeset.entries:
                code, wildcard = entry.code.removesuffix("*"), entry.code.endswith("*")
                # A prefix is any start of a valid code: "E10.*" or "E1*"; it is checked by its letters.
                valid = re.fullmatch(r"[0-9A-Z][0-9A-Z.]*", code) if wildcard else re.fullmatch(pattern, code)
                if not valid:
                    self.error("E115", f'"{entry.code}" is not {a(description)} code', entry.span)
                elif code in exact or code in prefixes:
                    self.error("E115", f"\"{entry.code}\" is listed twice in '{codeset.name}'", entry.span)
                else:
                    (prefixes if wildcard else exact).append(code)
            if not codeset.entries:
                self.error("E115", f"code set '{codeset.name}' lists no code", codeset.span)
            self.codesets[codeset.name] = model.CodeSet(
                codeset.name,
                system,
                codeset.title,
                tuple((e.code, e.label) for e in codeset.entries),
                tuple(sorted(exact)),
                tuple(sorted(prefixes)),
                codeset.span.line,
                span=codeset.span,
            )

    def declare_outcomes(self, outcomes: list[nodes.Outcome]) -> None:
        for outcome in outcomes:
            if outcome.name in self.outcomes:
                self.error("E402", f"outcome '{outcome.name}' is declared twice", outcome.span)
            else:
                self.outcomes[outcome.name] = outcome

    def declare_sections(self, sections: tuple[nodes.Section, ...]) -> None:
        labels: dict[str, Span] = {}

        def declare(label: str, span: Span) -> None:
            if label in labels:
                first = labels[label]
                self.error("E301", f"section label '{label}' is used twice (first at line {first.line})", span)
            else:
                labels[label] = span

        def declare_provision(provision: nodes.Provision, parent: str) -> None:
            declare(provision.label, provision.span)
            if not provision.label.startswith(parent + "."):
                self.error(
                    "E302",
                    f"provision '{provision.label}' is not numbered under '{parent}'",
                    provision.span,
                    hint=f"label it '{parent}.<something>'",
                )
            self.provisions.setdefault(provision.label, provision)
            if isinstance(provision.body, nodes.Group):
                for child in provision.body.provisions:
                    declare_provision(child, provision.label)

        for section in sections:
            if not re.fullmatch(r"[A-Z]", section.label):
                self.error("E303", f"section label '{section.label}' should be one capital letter", section.span)
            declare(section.label, section.span)
            for item in section.items:
                if isinstance(item, nodes.Provision):
                    declare_provision(item, section.label)
