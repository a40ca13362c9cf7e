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

import datetime
import difflib
import re
from collections.abc import Iterable

from compiler import model, nodes
from compiler.diagnostics import Diagnostic, Span, error, has_errors, warning

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
CONDITION_KINDS = ("criteria", "criterion", "rule", "contraindications", "contraindication")
_ORDER_OPS = ("<", "<=", ">", ">=")


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
            decides, "a 'decide' block", "decide { OUTCOME when CONDITION ... otherwise OUTCOME unknown OUTCOME }"
        )
        if len(applies) > 1:
            self.error("E101", "more than one 'applies_to' block", applies[1].span)

        self.declare_facts([i for i in items if isinstance(i, nodes.Fact)])
        self.declare_outcomes([i for i in items if isinstance(i, nodes.Outcome)])
        self.declare_sections(sections)
        self.has_applicability = bool(applies)

        header = self.check_header(headers[0]) if headers else None
        applicability = self.check_applies_to(applies[0], header[1] if header else None) if applies else None
        provisions = self.check_provisions(sections)
        if applicability is not None:
            provisions = (applicability[1], *provisions)
        self.check_history(sections, header)
        decision = self.check_decide(decides[0]) if decides else None
        facts = self.check_usage(provisions)
        self.check_outcome_usage()

        examples = self.check_examples([i for i in items if isinstance(i, nodes.Example)])
        if header is None or decision is None or has_errors(self.diagnostics):
            return None
        (policy_id, effective, title, meta) = header
        rules, otherwise, otherwise_section, unknown = decision
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
            rules=rules,
            otherwise=otherwise,
            otherwise_section=otherwise_section,
            unknown=unknown,
            sections=sections,
            examples=examples,
            source_name=source_name,
            source_sha256=source_sha256,
        )

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
            return model.Integer(t.low, t.high)
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
            assert isinstance(source.body, nodes.Clarifies)
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
        if not isinstance(fact_type, model.EnumSet):
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
        left, right = expr.left, expr.right
        # Put the fact on the left so that `3 <= eckardt_score` reads as `eckardt_score >= 3`.
        op = expr.op
        if not self._is_fact(left) and self._is_fact(right):
            left, right = right, left
            op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
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
            if type(other) is not type(fact_type) or (
                isinstance(other, (model.Enum, model.EnumSet)) and other != fact_type
            ):
                self.error(
                    "E203",
                    f"cannot compare {fact_type.kind} fact '{left.name}' with {other.kind} fact '{right.name}'",
                    expr.span,
                )
                return None
            return model.Compare(op, model.FactRef(left.name), model.FactRef(right.name))
        value = self.check_value(right, fact_type, left.name)
        if value is None:
            return None
        if isinstance(fact_type, model.Integer):
            assert isinstance(value.value, int)
            self.check_satisfiable(expr, left.name, fact_type, op, value.value)
        return model.Compare(op, model.FactRef(left.name), value)

    def check_satisfiable(self, expr: nodes.Comparison, fact: str, t: model.Integer, op: str, n: int) -> None:
        holds = {
            "==": t.low <= n <= t.high,
            "!=": not (t.low == t.high == n),
            "<": t.low < n,
            "<=": t.low <= n,
            ">": t.high > n,
            ">=": t.high >= n,
        }[op]
        if not holds:
            self.error(
                "E204",
                f"'{fact} {op} {n}' can never be true: '{fact}' ranges over {t.low}..{t.high}",
                expr.span,
            )

    def check_membership(self, expr: nodes.Membership) -> model.Expr | None:
        element, collection = expr.element, expr.collection
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

    def check_decide(self, decide: nodes.Decide) -> tuple[tuple[model.Rule, ...], str, str, str] | None:
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
        if not ok or decide.otherwise is None:
            return None
        return tuple(rules), decide.otherwise.name, rules[-1].section, decide.unknown.name

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

    def check_usage(self, provisions: tuple[model.Provision, ...]) -> tuple[model.Fact, ...]:
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
            facts.append(model.Fact(name, self.fact_types[name], _fold(fact.description), sections, fact.span.line))
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
