"""Checking: `nodes.PolicyFile` -> `model.Policy`, plus diagnostics.

The checker resolves names, types every expression, desugars `applies_to`
into an ordinary provision, and looks for the mistakes a policy author makes:
undeclared or unused facts, type mismatches, unknown enum values, comparisons
that can never be true, duplicate section labels, rules that can never be
reached, undeclared outcomes, inconsistent dates. Every check appends to one
list so the author sees all problems at once; a model is returned only when
there are no errors.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from compiler import model, nodes
from compiler.diagnostics import Diagnostic, Span, error, has_errors, warning
from compiler.fmt import expression

# Metadata keys a policy header may carry; the first two are required.
REQUIRED_META = ("title", "effective")
DATE_META = ("effective", "issued")
KNOWN_META = (
    "title",
    "effective",
    "issued",
    "publisher",
    "policy_type",
    "line_of_business",
    "preamble",
    "approval",
    "review",
)
APPLICABILITY = model.APPLICABILITY
MAX_ID_LENGTH = 100
MAX_NAME_LENGTH = 40  # of a fact, value, code set, outcome or enum value
CONDITION_KINDS = ("criteria", "criterion", "rule", "contraindications", "contraindication")
_ORDER_OPS = ("<", "<=", ">", ">=")


@dataclass(frozen=True, slots=True)
class Quantity:
    """The type of a value in arithmetic: a number (with its unit and the range it can take) or a date.

    A duration literal (`12 weeks`) is a quantity too, but it only moves a date or meets a
    number counted in the same kind of time unit.
    """

    kind: str  # number, date, duration or collection
    unit: str | None = None
    low: Fraction | None = None  # None: unbounded; exact, so that a range test at a threshold is exact
    high: Fraction | None = None
    whole: bool = True

    def describe(self) -> str:
        return f"a number in {self.unit}" if self.kind == "number" and self.unit else _a(self.kind)


# Time units: days and weeks count days, months and years count months; the two never mix.
_TIME_UNITS = {"days": ("days", 1), "weeks": ("days", 7), "months": ("months", 1), "years": ("months", 12)}
FUNCTIONS = {
    "days_between": "the whole days from the first date to the second",
    "months_between": "the whole calendar months from the first date to the second",
    "years_between": "the whole years from the first date to the second (an age, from a date of birth)",
    "count": "how many members a set (or a claim's list of codes) has",
}


def check(tree: nodes.PolicyFile, source_name: str, source_sha256: str) -> tuple[model.Policy | None, list[Diagnostic]]:
    checker = Checker(tree)
    policy = checker.run(source_name, source_sha256)
    return (None if has_errors(checker.diagnostics) else policy), checker.diagnostics


def _suggest(name: str, candidates: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def _fold(prose: nodes.Prose) -> str:
    return "\n\n".join(prose.paragraphs)


class Checker:
    def __init__(self, tree: nodes.PolicyFile) -> None:
        self.tree = tree
        self.diagnostics: list[Diagnostic] = []
        self.facts: dict[str, nodes.Fact] = {}
        self.fact_types: dict[str, model.FactType] = {}
        self.provisions: dict[str, nodes.Provision] = {}
        self.outcomes: dict[str, nodes.Outcome] = {}
        self.used_facts: set[str] = set()
        self.used_outcomes: set[str] = set()
        self.has_applicability = False
        self.codesets: dict[str, model.CodeSet] = {}
        self.computed: dict[str, tuple[model.Computed, model.Operand, Quantity]] = {}
        self.used_computed: set[str] = set()
        self.computed_spans: dict[str, Span] = {}

    def error(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.diagnostics.append(error(code, message, span, hint))

    def warning(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.diagnostics.append(warning(code, message, span, hint))

    # -- Driver ---------------------------------------------------------------------

    def run(self, source_name: str, source_sha256: str) -> model.Policy | None:
        items = self.tree.items
        headers = [i for i in items if isinstance(i, nodes.Policy)]
        applies = [i for i in items if isinstance(i, nodes.AppliesTo)]
        decides = [i for i in items if isinstance(i, nodes.Decide)]
        sections = tuple(i for i in items if isinstance(i, nodes.Section))
        self._one_of(headers, "'policy' header", 'policy "ID" { title: "..." effective: YYYY-MM-DD }')
        self._one_of(
            decides[:1] if all(d.in_force for d in decides) else decides,
            "'decide' block",
            "decide { OUTCOME when CONDITION ... otherwise OUTCOME unknown OUTCOME }",
        )
        if len(applies) > 1:
            self.error("E101", "more than one 'applies_to' block", applies[1].span)

        self.check_name_lengths(items)
        self.declare_facts([i for i in items if isinstance(i, nodes.Fact)])
        self.declare_codesets([i for i in items if isinstance(i, nodes.CodeSet)])
        self.declare_computed([i for i in items if isinstance(i, nodes.Computed)])
        self.declare_outcomes([i for i in items if isinstance(i, nodes.Outcome)])
        self.declare_sections(sections)
        self.has_applicability = bool(applies)

        header = self.check_header(headers[0]) if headers else None
        applicability = self.check_applies_to(applies[0], header[1] if header else None) if applies else None
        provisions = self.check_provisions(sections)
        if applicability is not None:
            provisions = (applicability[1], *provisions)
        self.check_history(sections, header)
        decision = self.check_revisions(decides, header[1] if header else None) if decides else None
        facts = self.check_usage(provisions, decision[1] if decision else None)
        self.check_outcome_usage()

        examples = self.check_examples([i for i in items if isinstance(i, nodes.Example)])
        if header is None or decision is None or has_errors(self.diagnostics):
            return None
        (policy_id, effective, title, meta) = header
        revisions, revision_fact, unknown = decision
        return model.Policy(
            policy_id=policy_id,
            title=title,
            effective=effective,
            meta=meta,
            applicability=applicability[0] if applicability else None,
            facts=facts,
            provisions=provisions,
            outcomes=tuple(
                model.Outcome(o.name, o.description, tuple(a.label for a in o.advise)) for o in self.outcomes.values()
            ),
            revisions=revisions,
            revision_fact=revision_fact,
            unknown=unknown,
            codesets=tuple(self.codesets.values()),
            computed=tuple(c for c, _, _ in self.computed.values()),
            sections=sections,
            examples=examples,
            source_name=source_name,
            source_sha256=source_sha256,
        )

    def check_name_lengths(self, items: tuple[nodes.Item, ...]) -> None:
        """Names become identifiers and table keys in generated code: keep them short enough to read."""
        named: list[tuple[str, Span]] = []
        for item in items:
            if isinstance(item, (nodes.Fact, nodes.Computed, nodes.CodeSet, nodes.Outcome)):
                named.append((item.name, item.span))
            if isinstance(item, nodes.Fact) and isinstance(item.type, (nodes.EnumType, nodes.SetType)):
                named.extend((value.name, value.span) for value in item.type.values)
        for name, span in named:
            if len(name) > MAX_NAME_LENGTH:
                self.error("E106", f"'{name[:20]}...' is {len(name)} characters long; at most {MAX_NAME_LENGTH}", span)

    def _one_of(self, found: list[nodes.Policy] | list[nodes.Decide], what: str, example: str) -> None:
        if not found:
            self.error("E101", f"the policy has no {what}", self.tree.span, hint=f"add {example}")
        for extra in found[1:]:
            self.error("E101", f"more than one {what}", extra.span)

    # -- Declarations ------------------------------------------------------------------

    def declare_facts(self, facts: list[nodes.Fact]) -> None:
        for fact in facts:
            if fact.name in self.facts:
                self.error("E110", f"fact '{fact.name}' is declared twice", fact.span)
                continue
            fact_type = self.check_fact_type(fact)
            if fact_type is not None:
                self.facts[fact.name] = fact
                self.fact_types[fact.name] = fact_type

    def check_fact_type(self, fact: nodes.Fact) -> model.FactType | None:
        t = fact.type
        if isinstance(t, nodes.BooleanType):
            return model.Boolean()
        if isinstance(t, nodes.IntegerType):
            if t.low > t.high:
                self.error("E112", f"integer range {t.low}..{t.high} of '{fact.name}' is empty", t.span)
                return None
            return model.Integer(t.low, t.high, t.unit)
        if isinstance(t, nodes.DecimalType):
            if t.low.value > t.high.value:
                self.error("E112", f"decimal range {t.low.text}..{t.high.text} of '{fact.name}' is empty", t.span)
                return None
            return model.Decimal(t.low.value, t.high.value, t.unit)
        if isinstance(t, nodes.CodeType):
            if t.system.name not in model.CODE_SYSTEMS:
                self.error(
                    "E114",
                    f"'{t.system.name}' is not a code system",
                    t.system.span,
                    _suggest(t.system.name, model.CODE_SYSTEMS) or f"use one of {', '.join(model.CODE_SYSTEMS)}",
                )
                return None
            return model.Codes(t.system.name) if t.multiple else model.Code(t.system.name)
        if isinstance(t, (nodes.EnumType, nodes.SetType)):
            seen: set[str] = set()
            for value in t.values:
                if value.name in seen:
                    self.error("E111", f"value '{value.name}' is listed twice in '{fact.name}'", value.span)
                seen.add(value.name)
            names = tuple(dict.fromkeys(v.name for v in t.values))
            labels = tuple(next(v.label for v in t.values if v.name == n) for n in names)
            return model.Enum(names, labels) if isinstance(t, nodes.EnumType) else model.EnumSet(names, labels)
        if isinstance(t, nodes.DateType):
            return model.Date()
        if isinstance(t, nodes.StringType):
            if t.pattern is not None:
                try:
                    re.compile(t.pattern)
                except re.error as exc:
                    self.error("E113", f"pattern of '{fact.name}' is not a valid regular expression: {exc}", t.span)
                    return None
            return model.String(t.pattern)
        raise TypeError(f"unhandled fact type {type(t).__name__}")

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
                    _suggest(system, model.CODE_SYSTEMS),
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
                    self.error("E115", f'"{entry.code}" is not {_a(description)} code', entry.span)
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
            )

    def declare_computed(self, values: list[nodes.Computed]) -> None:
        """Values computed from facts; each may use the facts and the values declared before it."""
        for value in values:
            if value.name in self.facts or value.name in self.computed or value.name in self.codesets:
                self.error("E116", f"'{value.name}' is already declared", value.span)
                continue
            checked = self.quantity(value.expr)
            if checked is None:
                continue
            operand, quantity = checked
            if quantity.kind not in ("number", "date"):
                self.error("E203", f"value '{value.name}' must be a number or a date", value.expr.span)
                continue
            if value.unit is not None and quantity.kind == "number":
                derived, declared = quantity.unit, unit_product(value.unit, None, 1)
                cancelled = derived is None and any(self.unit_of(f) for f in model.facts_read(operand))
                if (derived is not None or cancelled) and derived != declared and not (
                    declared == "%" and derived is None
                ):
                    shown = derived or "no unit (its units cancel)"
                    self.error(
                        "E208",
                        f"value '{value.name}' is declared in {value.unit}, but its formula gives {shown}",
                        value.expr.span,
                        hint=f'declare it `unit "{derived}"`' if derived else 'a ratio of like units: `unit "%"`?',
                    )  # the value is still declared, as written, so that its uses are not errors too
                quantity = dataclasses.replace(quantity, unit=value.unit)
            computed = model.Computed(
                value.name,
                quantity.unit,
                expression(value.expr),  # the formula as written, in the formatter's layout
                _fold(value.description),
                model.facts_read(operand),
                value.span.line,
                operand,
                quantity.whole or quantity.kind == "date",
            )
            self.computed[value.name] = (computed, operand, quantity)
            self.computed_spans[value.name] = value.span

    def unit_of(self, fact: str) -> str | None:
        fact_type = self.fact_types.get(fact)
        return fact_type.unit if isinstance(fact_type, (model.Integer, model.Decimal)) else None

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

    # -- Header, applicability, history ---------------------------------------------------

    def check_header(self, header: nodes.Policy) -> tuple[str, datetime.date, str, tuple[tuple[str, str], ...]] | None:
        entries: dict[str, nodes.Meta] = {}
        for entry in header.meta:
            if entry.key not in KNOWN_META:
                self.error(
                    "E102", f"unknown metadata key '{entry.key}'", entry.span, hint=_suggest(entry.key, KNOWN_META)
                )
            elif entry.key in entries:
                self.error("E102", f"metadata key '{entry.key}' is given twice", entry.span)
            elif (entry.key in DATE_META) != isinstance(entry.value, nodes.DateLit):
                kind = "a date (YYYY-MM-DD)" if entry.key in DATE_META else "text"
                self.error("E104", f"metadata '{entry.key}' must be {kind}", entry.span)
            else:
                entries[entry.key] = entry
        for key in REQUIRED_META:
            if key not in entries and not any(e.key == key for e in header.meta):
                self.error("E103", f"the policy header has no '{key}'", header.span)
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", header.policy_id):
            self.error(
                "E105", f"policy id '{header.policy_id}' may use only letters, digits, '.', '_' and '-'", header.span
            )
        elif len(header.policy_id) > MAX_ID_LENGTH:  # it names files, whose names have a limit
            self.error("E105", f"policy id is {len(header.policy_id)} characters; at most {MAX_ID_LENGTH}", header.span)
        effective = entries.get("effective")
        title = entries.get("title")
        if effective is None or title is None:
            return None
        assert isinstance(effective.value, nodes.DateLit) and isinstance(title.value, nodes.Prose)
        if effective.value.value is None:
            return None
        meta = tuple(
            (key, e.value.text if isinstance(e.value, nodes.DateLit) else _fold(e.value))
            for key, e in entries.items()
            if key not in ("title", "effective")
        )
        return header.policy_id, effective.value.value, _fold(title.value), meta

    def check_applies_to(
        self, applies: nodes.AppliesTo, effective: datetime.date | None
    ) -> tuple[model.Applicability, model.Provision] | None:
        ok = True
        for name, wanted, kind in (
            (applies.state_fact, model.String, "string"),
            (applies.date_fact, model.Date, "date"),
        ):
            fact_type = self.fact_types.get(name.name)
            self.used_facts.add(name.name)
            if fact_type is None:
                self.error("E201", f"fact '{name.name}' is not declared", name.span, _suggest(name.name, self.facts))
                ok = False
            elif not isinstance(fact_type, wanted):
                self.error("E121", f"applies_to needs a {kind} fact, but '{name.name}' is {fact_type.kind}", name.span)
                ok = False
        states: list[model.State] = []
        for j in applies.jurisdictions:
            if not re.fullmatch(r"[A-Z]{2}", j.code):
                self.error("E120", f"'{j.code}' is not a two-letter state code", j.span)
            if any(s.code == j.code for s in states):
                self.error("E120", f"state '{j.code}' is listed twice", j.span)
                continue
            start = j.effective.value if j.effective else effective
            end = j.inactive.value if j.inactive else None
            if start is None or (j.inactive and end is None) or (j.effective and j.effective.value is None):
                ok = False
                continue
            if end is not None and end <= start:
                self.error("E122", f"{j.code} is inactive from {end} but only effective from {start}", j.span)
            states.append(model.State(j.code, j.name, start, end))
        if not states:
            self.error("E120", "applies_to lists no state", applies.span)
        if not ok or not states:
            return None
        state, date = model.FactRef(applies.state_fact.name), model.FactRef(applies.date_fact.name)
        # States that share their dates share one test: `state in {GA, IN} and date >= ...`.
        periods: dict[tuple[datetime.date, datetime.date | None], list[str]] = {}
        for s in states:
            periods.setdefault((s.effective, s.inactive), []).append(s.code)
        per_period: list[model.Expr] = []
        for (start, end), codes in periods.items():
            parts: list[model.Expr] = [
                model.Member(state, model.Const(model.sorted_set(codes))),
                model.Compare(">=", date, model.Const(start)),
            ]
            if end is not None:
                parts.append(model.Compare("<", date, model.Const(end)))
            per_period.append(model.Combine("all", len(parts), tuple(parts)))
        condition = model.Combine("any", 1, tuple(per_period))

        def describe(s: model.State) -> str:
            notes = []
            if s.effective != effective:
                notes.append(f"effective {s.effective.isoformat()}")
            if s.inactive is not None:
                notes.append(f"inactive as of {s.inactive.isoformat()}")
            return s.name + (f" ({', '.join(notes)})" if notes else "")

        wording = f"{applies.wording} {', '.join(describe(s) for s in states)}."
        applicability = model.Applicability(
            applies.state_fact.name, applies.date_fact.name, applies.wording, tuple(states)
        )
        provision = model.Provision(
            kind=APPLICABILITY,
            label=APPLICABILITY,
            wording=wording,
            line=applies.span.line,
            condition=condition,
            children=(),
            facts=model.facts_read(condition),
        )
        return applicability, provision

    def check_history(
        self,
        sections: tuple[nodes.Section, ...],
        header: tuple[str, datetime.date, str, tuple[tuple[str, str], ...]] | None,
    ) -> None:
        revisions = [i for s in sections for i in s.items if isinstance(i, nodes.Revision)]
        previous: nodes.Revision | None = None
        for revision in revisions:
            if revision.date is None or revision.date.value is None:
                continue
            if previous is not None and previous.date is not None and previous.date.value is not None:
                if revision.date.value < previous.date.value:
                    self.error(
                        "E501",
                        f"revision history goes back in time: {revision.date.text} after {previous.date.text}",
                        revision.date.span,
                    )
            previous = revision
            if revision.kind == "effective" and header is not None and revision.date.value != header[1]:
                self.error(
                    "E501",
                    f"revision history says effective {revision.date.text}, the header says {header[1].isoformat()}",
                    revision.date.span,
                )
        meta = dict(header[3]) if header else {}
        for revision in revisions:
            if (
                revision.kind == "issued"
                and revision.date
                and "issued" in meta
                and revision.date.text != meta["issued"]
            ):
                self.error(
                    "E501",
                    f"revision history says issued {revision.date.text}, the header says {meta['issued']}",
                    revision.date.span,
                )

    # -- Provisions -------------------------------------------------------------------------

    def check_provisions(self, sections: tuple[nodes.Section, ...]) -> tuple[model.Provision, ...]:
        """Every provision of the statement, parents before children, in policy order."""
        order: list[model.Provision] = []
        for section in sections:
            for item in section.items:
                if isinstance(item, nodes.Provision):
                    order.extend(_preorder(self.check_provision(item)))
        self.check_clarifications(order)
        return tuple(order)

    def check_provision(self, provision: nodes.Provision) -> model.Provision:
        children: tuple[model.Provision, ...] = ()
        condition: model.Expr | None = None
        clarifies: str | None = None
        body = provision.body
        if isinstance(body, nodes.Condition):
            condition = self.check_condition(body.expr)
            if body.wording_differs is None:
                self.check_wording_numbers(provision, body)
        elif isinstance(body, nodes.Group):
            children = tuple(self.check_provision(child) for child in body.provisions)
            for child in children:
                if child.condition is None:
                    self.error(
                        "E206",
                        f"'{child.label}' has no condition, so it cannot be part of '{provision.label}'",
                        self.provisions[child.label].span,
                    )
            operands = tuple(model.ProvisionRef(c.label) for c in children if c.condition is not None)
            condition = self.quantify(body.quantifier, operands)
        elif isinstance(body, nodes.Clarifies):
            clarifies = self.check_clarifies(body)

        wants_condition = provision.kind in CONDITION_KINDS
        if wants_condition and body is None:
            self.error(
                "E206",
                f"{provision.kind} '{provision.label}' has no condition",
                provision.span,
                hint="add `when CONDITION`",
            )
        elif not wants_condition and isinstance(body, (nodes.Condition, nodes.Group)):
            self.error("E206", f"{provision.kind} '{provision.label}' cannot have a condition", body.span)
        elif provision.kind == "clarification" and not isinstance(body, nodes.Clarifies):
            self.error(
                "E206",
                f"clarification '{provision.label}' must say what it clarifies",
                provision.span,
                hint="add `clarifies SECTION reads FACT`",
            )
        elif provision.kind != "clarification" and isinstance(body, nodes.Clarifies):
            self.error(
                "E206", f"only a clarification can clarify; '{provision.label}' is {_a(provision.kind)}", body.span
            )
        facts = _provision_facts(condition, children)
        values = dict.fromkeys(model.values_read(condition) if condition is not None else ())
        for child in children:
            values.update(dict.fromkeys(child.values))
        if isinstance(body, nodes.Clarifies):
            facts = tuple(dict.fromkeys(name.name for name in body.facts))
        return model.Provision(
            provision.kind,
            provision.label,
            provision.wording,
            provision.span.line,
            condition,
            children,
            facts,
            clarifies,
            tuple(values),
            body.wording_differs if isinstance(body, nodes.Condition) else None,
        )

    def check_wording_numbers(self, provision: nodes.Provision, body: nodes.Condition) -> None:
        """The numbers of a condition and of its wording must agree, so that a changed threshold cannot
        leave the old one in the explanation, the page and the decision (W104, W105)."""
        used = _literal_numbers(body.expr)
        if not used:
            return
        stated: set[Fraction] = set()
        for number, percent in _stated_numbers(provision.wording):
            stated |= {number, number / 100} if percent else {number}  # 70% is also 0.70
        hint = 'fix the one that is wrong, or add `wording differs "why"` after the condition'
        for text, value in used:
            if value not in stated:
                self.warning("W104", f"the condition uses {text}, which its wording does not state", body.span, hint)
        values = {value for _, value in used}
        digits = {Fraction(m.group(1)): m.group(1) for m in _STATED_NUMBER.finditer(provision.wording)}  # not words
        for number, written in sorted(digits.items()):
            if number not in values and number / 100 not in values:
                self.warning(
                    "W105", f"the wording states {written}, which the condition does not use", provision.span, hint
                )

    def check_clarifies(self, body: nodes.Clarifies) -> str | None:
        target = self.provisions.get(body.section.label)
        if target is None:
            self.error(
                "E205",
                f"section '{body.section.label}' is not declared",
                body.section.span,
                _suggest(body.section.label, self.provisions),
            )
            return None
        for name in body.facts:
            self.used_facts.add(name.name)
            if name.name not in self.facts:
                self.error("E201", f"fact '{name.name}' is not declared", name.span, _suggest(name.name, self.facts))
        return body.section.label

    def check_clarifications(self, provisions: list[model.Provision]) -> None:
        by_label = {p.label: p for p in provisions}
        for p in provisions:
            if p.clarifies is None or p.clarifies not in by_label:
                continue
            source = self.provisions[p.label]
            if not isinstance(source.body, nodes.Clarifies):  # its label repeats another's, reported already
                continue
            target = by_label[p.clarifies]
            for name in source.body.facts:
                if name.name in target.facts:
                    self.error(
                        "E407",
                        f"'{p.label}' says '{name.name}' does not bear on '{target.label}', "
                        f"but '{target.label}' reads it",
                        name.span,
                    )

    def quantify(self, quantifier: nodes.Quantifier, operands: tuple[model.Expr, ...]) -> model.Expr | None:
        if not operands:
            return None
        if quantifier.kind == "all":
            return model.Combine("all", len(operands), operands)
        if quantifier.kind == "any":
            return model.Combine("any", 1, operands)
        count = quantifier.count or 0
        if not 1 <= count <= len(operands):
            self.error(
                "E207", f"'at least {count} of' needs between 1 and {len(operands)} conditions here", quantifier.span
            )
            return None
        return model.Combine("at_least", count, operands)

    # -- Expressions ---------------------------------------------------------------------------

    def check_condition(self, expr: nodes.Expr) -> model.Expr | None:
        """Check an expression that must be a condition (true, false or unknown)."""
        if isinstance(expr, nodes.Name):
            if expr.name == "applicable" and self.has_applicability and expr.name not in self.facts:
                return model.ProvisionRef(APPLICABILITY)
            if expr.name in self.computed or expr.name in self.codesets:
                kind = "computed value" if expr.name in self.computed else "code set"
                self.error("E206", f"'{expr.name}' is a {kind}, not a condition", expr.span, hint="compare it")
                return None
            fact_type = self.lookup_fact(expr)
            if fact_type is None:
                return None
            if not isinstance(fact_type, model.Boolean):
                self.error(
                    "E206",
                    f"'{expr.name}' is {_a(fact_type.kind)} fact, not a condition",
                    expr.span,
                    hint="compare it, e.g. `age <= 18`",
                )
                return None
            return model.FactRef(expr.name)
        if isinstance(expr, nodes.SectionRef):
            target = self.provisions.get(expr.label)
            if target is None:
                self.error(
                    "E205", f"section '{expr.label}' is not declared", expr.span, _suggest(expr.label, self.provisions)
                )
                return None
            if target.kind not in CONDITION_KINDS:
                self.error("E206", f"'{expr.label}' is {_a(target.kind)}, which has no condition", expr.span)
                return None
            return model.ProvisionRef(expr.label)
        if isinstance(expr, nodes.BoolLit):
            return model.Const(expr.value)
        if isinstance(expr, nodes.Negation):
            operand = self.check_condition(expr.operand)
            return None if operand is None else model.Not(operand)
        if isinstance(expr, (nodes.Conjunction, nodes.Disjunction, nodes.Quantified)):
            operands = [self.check_condition(o) for o in expr.operands]
            if any(o is None for o in operands):
                return None
            checked = tuple(o for o in operands if o is not None)
            if isinstance(expr, nodes.Conjunction):
                return model.Combine("all", len(checked), checked)
            if isinstance(expr, nodes.Disjunction):
                return model.Combine("any", 1, checked)
            return self.quantify(expr.quantifier, checked)
        if isinstance(expr, nodes.Comparison):
            return self.check_comparison(expr)
        if isinstance(expr, nodes.Membership):
            return self.check_membership(expr)
        if isinstance(expr, nodes.Emptiness):
            return self.check_emptiness(expr)
        if isinstance(expr, nodes.Intersection):
            return self.check_intersection(expr)
        self.error("E206", "expected a condition, found a value", expr.span, hint="compare it with a fact")
        return None

    def check_emptiness(self, expr: nodes.Emptiness) -> model.Expr | None:
        subject = expr.operand
        if not isinstance(subject, nodes.Name):
            self.error("E203", "'is empty' needs a set fact", subject.span)
            return None
        fact_type = self.lookup_fact(subject)
        if fact_type is None:
            return None
        if not isinstance(fact_type, (model.EnumSet, model.Codes)):
            self.error(
                "E203", f"'is empty' needs a set fact, but '{subject.name}' is {_a(fact_type.kind)} fact", subject.span
            )
            return None
        return model.Empty(model.FactRef(subject.name))

    def lookup_fact(self, name: nodes.Name) -> model.FactType | None:
        fact_type = self.fact_types.get(name.name)
        if fact_type is None:
            if name.name not in self.facts:
                self.error("E201", f"fact '{name.name}' is not declared", name.span, _suggest(name.name, self.facts))
            return None
        self.used_facts.add(name.name)
        return fact_type

    def check_comparison(self, expr: nodes.Comparison) -> model.Expr | None:
        if self.needs_quantity(expr.left) or self.needs_quantity(expr.right):
            return self.compare_quantities(expr)
        left, right = expr.left, expr.right
        # Put the fact on the left so that `3 <= eckardt_score` reads as `eckardt_score >= 3`.
        op = expr.op
        if not self._is_fact(left) and self._is_fact(right):
            left, right = right, left
            op = model.MIRRORED[op]
        if not isinstance(left, nodes.Name) or not self._is_fact(left):
            if isinstance(left, nodes.Name) and not isinstance(right, nodes.Name):
                self.lookup_fact(left)  # reports the undeclared fact
            else:
                self.error("E203", "a comparison needs a fact on one side", expr.span)
            return None
        fact_type = self.lookup_fact(left)
        if fact_type is None:
            return None
        if op in _ORDER_OPS and not isinstance(fact_type, (model.Integer, model.Date)):
            self.error(
                "E203", f"'{op}' compares numbers or dates, but '{left.name}' is {_a(fact_type.kind)} fact", expr.span
            )
            return None
        if isinstance(right, nodes.Name) and self._is_fact(right):
            other = self.lookup_fact(right)
            if other is None:
                return None
            if isinstance(other, model.Integer) and isinstance(fact_type, model.Integer):
                if other.unit != fact_type.unit:
                    self.error("E208", f"cannot compare {fact_type.unit} with {other.unit}", expr.span)
                    return None
            elif type(other) is not type(fact_type) or (
                isinstance(other, (model.Enum, model.EnumSet)) and other != fact_type
            ):
                self.error(
                    "E203",
                    f"cannot compare {fact_type.kind} fact '{left.name}' with {other.kind} fact '{right.name}'",
                    expr.span,
                )
                return None
            return model.Compare(op, model.FactRef(left.name), model.FactRef(right.name))
        if isinstance(fact_type, model.EnumSet):
            self.error(
                "E203",
                f"'{left.name}' is a set fact; '{op}' compares a single value",
                expr.span,
                hint=f"write `VALUE in {left.name}`, or `{left.name} is empty`",
            )
            return None
        value = self.check_value(right, fact_type, left.name)
        if value is None:
            return None
        if isinstance(fact_type, model.Integer):
            assert isinstance(value.value, int)
            self.check_satisfiable(expr, left.name, fact_type, op, value.value)
        return model.Compare(op, model.FactRef(left.name), value)

    # -- Values: arithmetic, dates and durations, computed values, functions --------------------

    def needs_quantity(self, expr: nodes.Expr) -> bool:
        """Whether an operand is more than a fact or literal of the original kinds."""
        if isinstance(expr, (nodes.Arithmetic, nodes.Call, nodes.DecimalLit, nodes.DurationLit)):
            return True
        if isinstance(expr, nodes.Name):
            return expr.name in self.computed or isinstance(
                self.fact_types.get(expr.name), (model.Decimal, model.Code, model.Codes)
            )
        return False

    def quantity(self, expr: nodes.Expr) -> tuple[model.Operand, Quantity] | None:
        if isinstance(expr, nodes.IntLit):
            return model.Const(expr.value), Quantity("number", None, Fraction(expr.value), Fraction(expr.value))
        if isinstance(expr, nodes.DecimalLit):
            exact = Fraction(expr.value)
            if exact.denominator == 1:  # `35.0` is the whole number 35
                return model.Const(int(exact)), Quantity("number", None, exact, exact)
            return model.Const(expr.value), Quantity("number", None, exact, exact, whole=False)
        if isinstance(expr, nodes.DurationLit):
            amount = Fraction(expr.amount)
            return model.Const(expr.amount), Quantity("duration", expr.unit, amount, amount)
        if isinstance(expr, nodes.DateLit):
            return None if expr.value is None else (model.Const(expr.value), Quantity("date"))
        if isinstance(expr, nodes.Name):
            return self.named_quantity(expr)
        if isinstance(expr, nodes.Arithmetic):
            return self.arithmetic(expr)
        if isinstance(expr, nodes.Call):
            return self.call(expr)
        self.error("E203", f"expected a number or a date, found {_describe(expr)}", expr.span)
        return None

    def named_quantity(self, name: nodes.Name) -> tuple[model.Operand, Quantity] | None:
        if name.name in self.computed:
            self.used_computed.add(name.name)
            _, operand, quantity = self.computed[name.name]
            return model.ValueRef(name.name, operand, quantity.whole or quantity.kind == "date"), quantity
        if name.name in self.codesets:
            return model.CodeSetRef(name.name), Quantity("collection")
        fact_type = self.lookup_fact(name)
        if fact_type is None:
            return None
        ref = model.FactRef(name.name)
        if isinstance(fact_type, model.Integer):
            return ref, Quantity("number", fact_type.unit, Fraction(fact_type.low), Fraction(fact_type.high))
        if isinstance(fact_type, model.Decimal):
            low, high = Fraction(fact_type.low), Fraction(fact_type.high)
            return model.FactRef(name.name, decimal=True), Quantity("number", fact_type.unit, low, high, whole=False)
        if isinstance(fact_type, model.Date):
            return ref, Quantity("date")
        if isinstance(fact_type, (model.EnumSet, model.Codes)):
            size = Fraction(len(fact_type.values)) if isinstance(fact_type, model.EnumSet) else None
            return ref, Quantity("collection", None, Fraction(0), size)
        self.error("E203", f"'{name.name}' is {_a(fact_type.kind)} fact, not a number or a date", name.span)
        return None

    def arithmetic(self, expr: nodes.Arithmetic) -> tuple[model.Operand, Quantity] | None:
        left, right = self.quantity(expr.left), self.quantity(expr.right)
        if left is None or right is None:
            return None
        (a, qa), (b, qb) = left, right
        op = expr.op
        if qa.kind == "date" and qb.kind == "duration" and op in "+-":
            base, factor = _TIME_UNITS[qb.unit or "days"]
            assert isinstance(b, model.Const) and isinstance(b.value, int)
            amount = b.value * factor * (1 if op == "+" else -1)
            return model.Shift(a, amount, base), Quantity("date")
        if qa.kind == "date" and qb.kind == "date" and op == "-":
            self.error(
                "E203",
                "a date minus a date is not a number: say which count you mean",
                expr.span,
                hint="days_between(EARLIER, LATER), months_between(...) or years_between(...)",
            )
            return None
        if qa.kind != "number" or qb.kind != "number":
            self.error(
                "E203",
                f"cannot compute {qa.describe()} {op} {qb.describe()}",
                expr.span,
                hint="arithmetic works on numbers, and `DATE + N days|weeks|months|years` moves a date",
            )
            return None
        whole = qa.whole and qb.whole and op != "/"
        if op in "+-":
            if qa.unit and qb.unit and qa.unit != qb.unit:
                self.error("E208", f"cannot {'add' if op == '+' else 'subtract'} {qb.unit} and {qa.unit}", expr.span)
                return None
            bounds = _add(qa, qb) if op == "+" else _add(qa, Quantity("number", None, _neg(qb.high), _neg(qb.low)))
            return model.Arith(op, a, b), Quantity("number", qa.unit or qb.unit, *bounds, whole=whole)
        if op == "/" and (qb.low is None or qb.high is None or qb.low <= 0 <= qb.high):
            shown = fmt_range(qb)
            self.error(
                "E209",
                f"the divisor may be zero: it ranges over {shown}",
                expr.right.span,
                hint="divide by a fact whose declared range excludes 0",
            )
            return None
        unit = unit_product(qa.unit, qb.unit, 1 if op == "*" else -1)
        sign = 0 if op != "/" else 1 if qb.low is not None and qb.low > 0 else -1
        return model.Arith(op, a, b, sign), Quantity("number", unit, *_multiply(qa, qb, op), whole=whole)

    def call(self, expr: nodes.Call) -> tuple[model.Operand, Quantity] | None:
        name = expr.function.name
        if name not in FUNCTIONS:
            self.error("E210", f"'{name}' is not a function", expr.function.span, _suggest(name, FUNCTIONS))
            return None
        wanted = ("collection",) if name == "count" else ("date", "date")
        checked = [self.quantity(a) for a in expr.arguments]
        arguments = [a for a in checked if a is not None]
        if len(arguments) != len(checked):
            return None
        if tuple(q.kind for _, q in arguments) != wanted:
            shown = "a set fact or a list of codes" if name == "count" else "two dates"
            self.error("E203", f"{name}() takes {shown}", expr.span, hint=FUNCTIONS[name])
            return None
        operands = tuple(o for o, _ in arguments)
        if name == "count":
            return model.Call(name, operands), Quantity("number", None, Fraction(0), arguments[0][1].high)
        unit = name.removesuffix("_between")
        return model.Call(name, operands), Quantity("number", unit)

    def compare_quantities(self, expr: nodes.Comparison) -> model.Expr | None:
        left, right = self.quantity(expr.left), self.quantity(expr.right)
        if left is None or right is None:
            return None
        (a, qa), (b, qb) = left, right
        op = expr.op
        if qa.kind == "duration" and qb.kind != "duration":  # the number on the left: `12 weeks < days_between(...)`
            (a, qa), (b, qb) = (b, qb), (a, qa)
            op = model.MIRRORED[op]
        if qb.kind == "duration":
            base, factor = _TIME_UNITS[qb.unit or "days"]
            if qa.kind != "number" or qa.unit not in (("days",) if base == "days" else ("months", "years")):
                counted = f"counted in {qa.unit}" if qa.unit else "with no unit of time"
                self.error(
                    "E208",
                    f"cannot compare {qa.describe() if qa.kind != 'number' else 'a number ' + counted} with {qb.unit}",
                    expr.span,
                    hint="days and weeks compare with days_between(), months and years with months_between()",
                )
                return None
            assert isinstance(b, model.Const) and isinstance(b.value, int)
            amount = b.value * factor // (12 if qa.unit == "years" else 1)
            if qa.unit == "years" and (b.value * factor) % 12:
                self.error("E208", f"{b.value} {qb.unit} is not a whole number of years", expr.right.span)
                return None
            b, qb = model.Const(amount), Quantity("number", qa.unit, Fraction(amount), Fraction(amount))
        if qa.kind != qb.kind or qa.kind not in ("number", "date"):
            self.error("E203", f"cannot compare {qa.describe()} with {qb.describe()}", expr.span)
            return None
        if qa.unit and qb.unit and qa.unit != qb.unit:
            self.error("E208", f"cannot compare {qa.unit} with {qb.unit}", expr.span)
            return None
        if isinstance(a, model.Const) and not isinstance(b, model.Const):
            (a, qa), (b, qb) = (b, qb), (a, qa)
            op = model.MIRRORED[op]
        if isinstance(b, model.Const) and isinstance(b.value, (int, decimal.Decimal)) and not isinstance(b.value, bool):
            self.check_reachable_range(expr, qa, op, Fraction(b.value))
        return model.Compare(op, a, b)

    def check_reachable_range(self, expr: nodes.Comparison, q: Quantity, op: str, n: Fraction) -> None:
        if not _can_hold(q.low, q.high, op, n):
            self.error("E204", f"this comparison can never be true: the value ranges over {fmt_range(q)}", expr.span)

    def check_satisfiable(self, expr: nodes.Comparison, fact: str, t: model.Integer, op: str, n: int) -> None:
        if not _can_hold(t.low, t.high, op, n):
            self.error(
                "E204",
                f"'{fact} {op} {n}' can never be true: '{fact}' ranges over {t.low}..{t.high}",
                expr.span,
            )

    def check_intersection(self, expr: nodes.Intersection) -> model.Expr | None:
        left, right = expr.left, expr.right
        if isinstance(left, nodes.SetLit) or (isinstance(left, nodes.Name) and left.name in self.codesets):
            left, right = right, left  # the fact on the left
        if not isinstance(left, nodes.Name) or left.name in self.codesets:
            self.error("E203", "'intersects' needs a set fact or a list of codes on one side", expr.span)
            return None
        fact_type = self.lookup_fact(left)
        if fact_type is None:
            return None
        subject = model.FactRef(left.name)
        if isinstance(fact_type, model.Codes):
            if isinstance(right, nodes.Name) and right.name in self.codesets:
                codeset = self.codesets[right.name]
                if codeset.system != fact_type.system:
                    self.error(
                        "E203",
                        f"'{left.name}' holds {fact_type.system} codes; '{right.name}' is a {codeset.system} code set",
                        expr.span,
                    )
                    return None
                return model.Intersects(subject, model.CodeSetRef(right.name))
            self.error("E203", f"'{left.name}' is a list of codes; test it against a code set", right.span)
            return None
        if not isinstance(fact_type, model.EnumSet):
            self.error("E203", f"'intersects' needs a set, but '{left.name}' is {_a(fact_type.kind)} fact", left.span)
            return None
        if isinstance(right, nodes.Name) and right.name in self.facts:
            other = self.lookup_fact(right)
            if other != fact_type:
                self.error("E203", f"'{left.name}' and '{right.name}' are not sets of the same values", expr.span)
                return None
            return model.Intersects(subject, model.FactRef(right.name))
        if not isinstance(right, nodes.SetLit) or not right.items:
            self.error("E203", "'intersects' needs a set such as {a, b} or a set fact on its right", right.span)
            return None
        member_type = model.Enum(fact_type.values, fact_type.labels)
        values = [self.check_value(item, member_type, left.name) for item in right.items]
        if any(v is None for v in values):
            return None
        return model.Intersects(subject, model.Const(model.sorted_set(v.value for v in values if v is not None)))

    def check_membership(self, expr: nodes.Membership) -> model.Expr | None:
        element, collection = expr.element, expr.collection
        if isinstance(collection, nodes.Name) and collection.name in self.codesets:
            codeset = self.codesets[collection.name]
            fact_type = self.lookup_fact(element) if isinstance(element, nodes.Name) else None
            if isinstance(element, nodes.Name) and fact_type is None:
                return None
            if not isinstance(fact_type, model.Code) or fact_type.system != codeset.system:
                self.error(
                    "E203",
                    f"'in {collection.name}' needs a {codeset.system} code fact on its left",
                    element.span,
                    hint="for a claim's list of codes, write `CODES intersects CODESET`",
                )
                return None
            assert isinstance(element, nodes.Name)
            return model.Member(model.FactRef(element.name), model.CodeSetRef(collection.name))
        if isinstance(collection, nodes.Name) and self._is_fact(collection):
            set_type = self.lookup_fact(collection)
            if set_type is None:
                return None
            if not isinstance(set_type, model.EnumSet):
                self.error(
                    "E203",
                    f"'in' needs a set on its right, but '{collection.name}' is {_a(set_type.kind)} fact",
                    collection.span,
                )
                return None
            value = self.check_value(element, model.Enum(set_type.values, set_type.labels), collection.name)
            return None if value is None else model.Member(value, model.FactRef(collection.name))
        if not isinstance(collection, nodes.SetLit):
            if isinstance(collection, nodes.Name):
                self.lookup_fact(collection)
            else:
                self.error("E203", "'in' needs a set fact or a set such as {a, b} on its right", collection.span)
            return None
        if not isinstance(element, nodes.Name) or not self._is_fact(element):
            if isinstance(element, nodes.Name):
                self.lookup_fact(element)
            else:
                self.error("E203", "'in {...}' needs a fact on its left", element.span)
            return None
        fact_type = self.lookup_fact(element)
        if fact_type is None:
            return None
        if isinstance(fact_type, (model.EnumSet, model.Boolean)):
            self.error(
                "E203",
                f"'{element.name}' is {_a(fact_type.kind)} fact; 'in {{...}}' tests a single value",
                element.span,
            )
            return None
        if isinstance(fact_type, (model.Code, model.Codes, model.Decimal)):
            hint = "declare a code set and write `FACT in CODESET`" if fact_type.kind != "decimal" else None
            self.error("E203", f"'in {{...}}' does not take {_a(fact_type.kind)} fact", element.span, hint)
            return None
        values = [self.check_value(item, fact_type, element.name) for item in collection.items]
        if any(v is None for v in values):
            return None
        if not values:
            self.error("E204", f"'{element.name} in {{}}' can never be true: the set is empty", expr.span)
            return None
        if isinstance(fact_type, model.Integer):
            if not any(isinstance(v.value, int) and fact_type.low <= v.value <= fact_type.high for v in values if v):
                self.error(
                    "E204",
                    f"'{element.name}' ranges over {fact_type.low}..{fact_type.high}; no value of this set is in range",
                    collection.span,
                )
                return None
        constants = model.Const(model.sorted_set(v.value for v in values if v is not None))
        return model.Member(model.FactRef(element.name), constants)

    def check_value(self, expr: nodes.Expr, fact_type: model.FactType, fact: str) -> model.Const | None:
        """A literal compared with a fact of `fact_type`."""
        if isinstance(fact_type, model.Enum):
            if isinstance(expr, nodes.Name) and expr.name not in self.facts:
                if expr.name not in fact_type.values:
                    self.error(
                        "E202",
                        f"'{expr.name}' is not a value of '{fact}'",
                        expr.span,
                        _suggest(expr.name, fact_type.values) or f"its values are {', '.join(fact_type.values)}",
                    )
                    return None
                return model.Const(expr.name)
            self.error(
                "E203",
                f"'{fact}' is an enum; compare it with one of its values ({', '.join(fact_type.values)})",
                expr.span,
            )
            return None
        expected = {
            model.Boolean: (nodes.BoolLit, "true or false"),
            model.Integer: (nodes.IntLit, "a whole number"),
            model.Date: (nodes.DateLit, "a date (YYYY-MM-DD)"),
            model.String: (nodes.StrLit, "a string"),
        }
        node_type, description = expected[type(fact_type)]
        if not isinstance(expr, node_type):
            if isinstance(expr, nodes.Name) and not self._is_fact(expr) and not isinstance(fact_type, model.Enum):
                hint = _suggest(expr.name, self.facts)
                if hint:
                    self.error("E201", f"fact '{expr.name}' is not declared", expr.span, hint)
                    return None
            self.error(
                "E203",
                f"'{fact}' is {_a(fact_type.kind)} fact; expected {description}, found {_describe(expr)}",
                expr.span,
            )
            return None
        if isinstance(expr, nodes.DateLit):
            return None if expr.value is None else model.Const(expr.value)
        assert isinstance(expr, (nodes.BoolLit, nodes.IntLit, nodes.StrLit))
        if isinstance(fact_type, model.String) and fact_type.pattern and isinstance(expr, nodes.StrLit):
            if not re.fullmatch(fact_type.pattern, expr.value):
                self.error(
                    "E204", f"\"{expr.value}\" never matches the pattern of '{fact}' ({fact_type.pattern})", expr.span
                )
                return None
        return model.Const(expr.value)

    def _is_fact(self, expr: nodes.Expr) -> bool:
        return isinstance(expr, nodes.Name) and (expr.name in self.facts or not self._is_value_name(expr.name))

    def _is_value_name(self, name: str) -> bool:
        return any(isinstance(t, (model.Enum, model.EnumSet)) and name in t.values for t in self.fact_types.values())

    # -- The order of decision --------------------------------------------------------------------

    def check_revisions(
        self, decides: list[nodes.Decide], effective: datetime.date | None
    ) -> tuple[tuple[model.Revision, ...], str | None, str] | None:
        """One `decide` per revision; several must each say when they are in force, and together cover every day."""
        checked = [self.check_decide(d) for d in decides]
        if any(c is None for c in checked):
            return None
        revisions = [c[0] for c in checked if c is not None]
        unknowns = {c[1] for c in checked if c is not None}
        if len(decides) == 1:
            if decides[0].in_force is not None:
                self.error("E408", "a policy with one revision needs no 'on ... from' period", decides[0].in_force.span)
                return None
            return tuple(revisions), None, unknowns.pop()
        if len(unknowns) > 1:
            self.error("E408", "every revision must stop with the same 'unknown' outcome", decides[1].unknown.span)
            return None
        facts = {d.in_force.date_fact.name for d in decides if d.in_force}
        first = decides[0].in_force
        if first is None or any(d.in_force is None for d in decides):  # E101 has said so
            return None
        if len(facts) > 1:
            self.error("E408", "every revision must be picked by the same date fact", decides[1].span)
            return None
        date_type = self.lookup_fact(first.date_fact)
        if date_type is None:
            return None
        if not isinstance(date_type, model.Date):
            self.error(
                "E121",
                f"revisions are picked by a date fact, but '{first.date_fact.name}' is {_a(date_type.kind)} fact",
                first.date_fact.span,
            )
            return None
        ordered = sorted(revisions, key=lambda r: r.start or datetime.date.min, reverse=True)
        if ordered[-1].start is not None:
            self.error(
                "E408",
                f"no revision covers dates of service before {ordered[-1].start.isoformat()}",
                decides[0].span,
                hint=f"give the earliest revision `on {first.date_fact.name} before DATE`, and decide there",
            )
        if ordered[0].end is not None:
            self.error(
                "E408", f"no revision covers dates of service from {ordered[0].end.isoformat()}", decides[0].span
            )
        for later, earlier in zip(ordered, ordered[1:], strict=False):
            if earlier.end != later.start:
                what = (
                    "overlaps"
                    if earlier.end is None or (later.start and earlier.end > later.start)
                    else "leaves a gap before"
                )
                self.error(
                    "E408",
                    f"the revision {earlier.name} (line {earlier.line}) {what} the revision {later.name}",
                    decides[0].span,
                    hint=f"end it with `before {later.start.isoformat() if later.start else ''}`",
                )
        if effective is not None and ordered[0].start not in (None, effective):
            self.error(
                "E501",
                f"the latest revision is in force from {ordered[0].start}, the header says effective {effective}",
                decides[0].span,
            )
        return tuple(ordered), first.date_fact.name, unknowns.pop()

    def check_decide(self, decide: nodes.Decide) -> tuple[model.Revision, str] | None:
        rules: list[model.Rule] = []
        ok = True
        seen_conditions: dict[model.Expr, int] = {}
        decided_at: int | None = None
        for rule in decide.rules:
            ok = self.check_outcome_name(rule.outcome) and ok
            condition = self.check_condition(rule.condition)
            section = self.cited_section(rule.condition)
            if condition is None or section is None:
                ok = False
                continue
            if decided_at is not None:
                self.error(
                    "E403",
                    f"rule for '{rule.outcome.name}' can never be reached: "
                    f"the rule at line {decided_at} always decides",
                    rule.span,
                )
            elif condition in seen_conditions:
                self.error(
                    "E403",
                    f"rule for '{rule.outcome.name}' can never be reached: "
                    f"line {seen_conditions[condition]} has the same condition",
                    rule.span,
                )
            elif condition == model.Const(False):
                self.error(
                    "E403", f"rule for '{rule.outcome.name}' can never decide: its condition is always false", rule.span
                )
            if condition == model.Const(True) and decided_at is None:
                decided_at = rule.span.line
            seen_conditions.setdefault(condition, rule.span.line)
            rules.append(model.Rule(rule.outcome.name, condition, section, rule.span.line))
        if decide.otherwise is None:
            self.error(
                "E405",
                "'decide' has no 'otherwise' outcome for requests that no rule decides",
                decide.span,
                hint="add `otherwise OUTCOME` after the last rule",
            )
            ok = False
        else:
            ok = self.check_outcome_name(decide.otherwise) and ok
            if decided_at is not None:
                self.error(
                    "E403",
                    f"'otherwise' can never be reached: the rule at line {decided_at} always decides",
                    decide.otherwise.span,
                )
        ok = self.check_outcome_name(decide.unknown) and ok
        if not rules and ok:
            self.error("E405", "'decide' has no rules", decide.span)
            ok = False
        start = end = None
        if decide.in_force is not None:
            start = decide.in_force.start.value if decide.in_force.start else None
            end = decide.in_force.end.value if decide.in_force.end else None
            if start is not None and end is not None and end <= start:
                self.error("E408", f"a revision in force from {start} cannot end at {end}", decide.in_force.span)
                ok = False
            if (decide.in_force.start and start is None) or (decide.in_force.end and end is None):
                ok = False  # an unreal date, reported by the parser
        if not ok or decide.otherwise is None:
            return None
        revision = model.Revision(start, end, tuple(rules), decide.otherwise.name, rules[-1].section, decide.span.line)
        return revision, decide.unknown.name

    def cited_section(self, expr: nodes.Expr) -> str | None:
        """The provision a rule's decision cites: `when D.III`, `when not D.IV`, `when not applicable`."""
        inner = expr.operand if isinstance(expr, nodes.Negation) else expr
        if isinstance(inner, nodes.SectionRef):
            return inner.label
        if isinstance(inner, nodes.Name) and inner.name == "applicable" and self.has_applicability:
            return APPLICABILITY
        self.error(
            "E404",
            "a rule's condition must name the one provision it applies, so the decision can cite it",
            expr.span,
            hint="put the condition in a provision of section D and write `when D.X`",
        )
        return None

    def check_outcome_name(self, name: nodes.Name) -> bool:
        self.used_outcomes.add(name.name)
        if name.name not in self.outcomes:
            self.error("E401", f"outcome '{name.name}' is not declared", name.span, _suggest(name.name, self.outcomes))
            return False
        return True

    # -- Examples -------------------------------------------------------------------------------

    def check_examples(self, examples: list[nodes.Example]) -> tuple[model.Example, ...]:
        checked: list[model.Example] = []
        titles: set[str] = set()
        for example in examples:
            if example.title in titles:
                self.error("E601", f"example '{example.title}' is given twice", example.span)
            titles.add(example.title)
            names: set[str] = set()
            for fact in example.facts:
                if fact.name in names:
                    self.error("E601", f"example '{example.title}' gives '{fact.name}' twice", fact.span)
                names.add(fact.name)
            if example.expect is not None and example.expect.name not in self.outcomes:
                self.error(
                    "E401",
                    f"outcome '{example.expect.name}' is not declared",
                    example.expect.span,
                    _suggest(example.expect.name, self.outcomes),
                )
            facts = tuple((f.name, f.value) for f in example.facts)
            expect = example.expect.name if example.expect else None
            checked.append(model.Example(example.title, facts, expect, example.span.line))
        return tuple(checked)

    # -- Usage --------------------------------------------------------------------------------------

    def check_usage(self, provisions: tuple[model.Provision, ...], revision_fact: str | None) -> tuple[model.Fact, ...]:
        for outcome in self.outcomes.values():
            for ref in outcome.advise:
                target = self.provisions.get(ref.label)
                if target is None:
                    self.error(
                        "E205", f"section '{ref.label}' is not declared", ref.span, _suggest(ref.label, self.provisions)
                    )
                elif target.kind != "advisory":
                    self.error("E406", f"'{ref.label}' is {_a(target.kind)}, not an advisory", ref.span)
        facts: list[model.Fact] = []
        for name, fact in self.facts.items():
            if name not in self.used_facts:
                self.warning("W101", f"fact '{name}' is declared but never read", fact.span)
            sections = tuple(p.label for p in provisions if name in _direct_facts(p))
            if name == revision_fact:
                sections = (model.REVISION, *sections)
            facts.append(model.Fact(name, self.fact_types[name], _fold(fact.description), sections, fact.span.line))

        for name, span in self.computed_spans.items():
            if name not in self.used_computed:
                self.warning("W103", f"value '{name}' is computed but never read", span)
        return tuple(facts)

    def check_outcome_usage(self) -> None:
        for name, outcome in self.outcomes.items():
            if name not in self.used_outcomes:
                self.warning("W102", f"outcome '{name}' is declared but no rule decides it", outcome.span)


def _provision_facts(condition: model.Expr | None, children: tuple[model.Provision, ...]) -> tuple[str, ...]:
    found = dict.fromkeys(model.facts_read(condition) if condition is not None else ())
    for child in children:
        found.update(dict.fromkeys(child.facts))
    return tuple(found)


def _direct_facts(provision: model.Provision) -> tuple[str, ...]:
    """The facts a provision reads itself: its own condition, or what a clarification reads."""
    if provision.kind == "clarification":
        return provision.facts
    return model.facts_read(provision.condition) if provision.condition is not None else ()


def _preorder(root: model.Provision) -> list[model.Provision]:
    return [root, *(p for child in root.children for p in _preorder(child))]


def _a(kind: str) -> str:
    return ("an " if kind[0] in "aeiou" else "a ") + kind


def _describe(expr: nodes.Expr) -> str:
    if isinstance(expr, nodes.Name):
        return f"'{expr.name}'"
    if isinstance(expr, nodes.IntLit):
        return f"the number {expr.value}"
    if isinstance(expr, nodes.BoolLit):
        return "true" if expr.value else "false"
    if isinstance(expr, nodes.DateLit):
        return f"the date {expr.text}"
    if isinstance(expr, nodes.StrLit):
        return f'the string "{expr.value}"'
    return "an expression"


def _can_hold(low: Fraction | int | None, high: Fraction | int | None, op: str, n: Fraction | int) -> bool:
    """Whether `x OP n` can be true for some x from low to high (None: unbounded), exactly."""
    above = low is None or low <= n  # some x <= n
    below = high is None or high >= n  # some x >= n
    return {
        "==": above and below,
        "!=": not (low == high == n),
        "<": low is None or low < n,
        "<=": above,
        ">": high is None or high > n,
        ">=": below,
    }[op]


# -- Ranges of computed numbers (None is unbounded), to prove a divisor is never zero ------------


def _neg(bound: Fraction | None) -> Fraction | None:
    return None if bound is None else -bound


def _add(a: Quantity, b: Quantity) -> tuple[Fraction | None, Fraction | None]:
    low = None if a.low is None or b.low is None else a.low + b.low
    high = None if a.high is None or b.high is None else a.high + b.high
    return low, high


def _multiply(a: Quantity, b: Quantity, op: str) -> tuple[Fraction | None, Fraction | None]:
    bounds = (a.low, a.high, b.low, b.high)
    if any(x is None for x in bounds):
        return None, None
    assert a.low is not None and a.high is not None and b.low is not None and b.high is not None
    if op == "*":
        corners = [a.low * b.low, a.low * b.high, a.high * b.low, a.high * b.high]
    else:  # the divisor's range excludes zero
        corners = [a.low / b.low, a.low / b.high, a.high / b.low, a.high / b.high]
    return min(corners), max(corners)


def fmt_range(q: Quantity) -> str:
    def show(bound: Fraction | None, infinite: str) -> str:
        if bound is None:
            return infinite
        exact = model.finite_decimal(bound)
        return f"{exact:f}" if exact is not None else f"{float(bound):.6g}"

    return f"{show(q.low, '-inf')}..{show(q.high, 'inf')}" + (f" {q.unit}" if q.unit else "")


# -- Units: a unit is a product of named factors with whole exponents, `kg/m2` is kg^1 m^-2 ---------

# Compound units known by a name of their own.
NAMED_UNITS = {"pack-years": "packs*years/day"}


def _factors(unit: str | None) -> dict[str, int]:
    """`kg/m2` -> {kg: 1, m: -2}; `%` and no unit -> {}."""
    if unit is None or unit == "%":
        return {}
    unit = NAMED_UNITS.get(unit, unit)
    found: dict[str, int] = {}
    for i, part in enumerate(unit.replace(" ", "").split("/")):
        for factor in filter(None, part.split("*")):
            name, power = re.fullmatch(r"(.*?)([0-9]*)", factor).groups()  # type: ignore[union-attr]
            exponent = int(power or 1) * (1 if i == 0 else -1)
            found[name or factor] = found.get(name or factor, 0) + exponent
    return {name: power for name, power in found.items() if power}


def unit_product(a: str | None, b: str | None, power: int) -> str | None:
    """The unit of a * b (power 1) or a / b (power -1), written canonically: `kg/m2`, `packs*years/day`."""
    factors = _factors(a)
    for name, exponent in _factors(b).items():
        factors[name] = factors.get(name, 0) + power * exponent
    factors = {name: exponent for name, exponent in factors.items() if exponent}  # kg/kg: no unit
    if not factors:  # a percentage times or over a plain number stays a percentage
        return "%" if (a == "%" or (b == "%" and power == 1)) else None

    def written(names: list[str]) -> str:
        return "*".join(f"{n}{abs(factors[n]) if abs(factors[n]) > 1 else ''}" for n in names)

    over = sorted(n for n, e in factors.items() if e > 0)
    under = sorted(n for n, e in factors.items() if e < 0)
    return (written(over) or "1") + (f"/{written(under)}" if under else "")


_STATED_NUMBER = re.compile(r"(?<![\w.])([0-9]+(?:\.[0-9]+)?)(%)?")  # 3, 0.70, 70%, 31st, 12-week
_NUMBER_WORDS = {
    word: number
    for number, word in enumerate(
        ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"], start=1
    )
}


def _stated_numbers(wording: str) -> list[tuple[Fraction, bool]]:
    """The numbers a wording states, in digits or as words up to twelve, each with whether it is a percentage."""
    found = [(Fraction(m.group(1)), m.group(2) is not None) for m in _STATED_NUMBER.finditer(wording)]
    words = re.findall(r"[a-z]+", wording.lower())
    return found + [(Fraction(_NUMBER_WORDS[w]), False) for w in words if w in _NUMBER_WORDS]


def _literal_numbers(expr: nodes.Node) -> list[tuple[str, Fraction]]:
    """The numbers written in a condition, as written and as values: `35`, `0.70`, `12 weeks`."""
    found: list[tuple[str, Fraction]] = []
    if isinstance(expr, nodes.IntLit):
        found.append((str(expr.value), Fraction(expr.value)))
    elif isinstance(expr, nodes.DecimalLit):
        found.append((expr.text, Fraction(expr.value)))
    elif isinstance(expr, nodes.DurationLit):
        found.append((f"{expr.amount} {expr.unit}", Fraction(expr.amount)))
    elif dataclasses.is_dataclass(expr):
        for field in dataclasses.fields(expr):
            children = getattr(expr, field.name)
            for child in children if isinstance(children, tuple) else (children,):
                if isinstance(child, nodes.Node):
                    found.extend(_literal_numbers(child))
    return found
