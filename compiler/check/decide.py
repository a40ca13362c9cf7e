"""The order of decision: each revision's rules, the periods they are in force, and what is reachable.

A rule must cite the one provision it applies (E404) and name a declared outcome (E401);
a rule after one that always decides can never be reached (E403); revisions must cover every
day once (E408).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from compiler import model
from compiler.check.conditions import APPLICABILITY, ConditionCheck
from compiler.check.report import Report, a, closest, suggest, undeclared_outcome
from compiler.check.scope import Pass, Scope
from compiler.syntax import nodes


@dataclass(frozen=True, slots=True)
class Decision:
    revisions: tuple[model.Revision, ...]  # latest first
    revision_fact: str | None  # the date fact that picks a revision, when there are several
    unknown: str  # the outcome when a rule's condition is unknown


class DecideCheck(Pass):
    def __init__(self, scope: Scope, report: Report) -> None:
        super().__init__(scope, report)
        self.conditions = ConditionCheck(scope, report)

    def check_revisions(self, decides: list[nodes.Decide], effective: datetime.date | None) -> Decision | None:
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
            return Decision(tuple(revisions), None, unknowns.pop())
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
        date_type = self.conditions.lookup_fact(first.date_fact)
        if date_type is None:
            return None
        if not isinstance(date_type, model.Date):
            self.error(
                "E121",
                f"revisions are picked by a date fact, but '{first.date_fact.name}' is {a(date_type.kind)} fact",
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
        return Decision(tuple(ordered), first.date_fact.name, unknowns.pop())

    def check_decide(self, decide: nodes.Decide) -> tuple[model.Revision, str] | None:
        rules: list[model.Rule] = []
        ok = True
        seen_conditions: dict[model.Expr, int] = {}
        decided_at: int | None = None
        for rule in decide.rules:
            ok = self.check_outcome_name(rule.outcome) and ok
            condition = self.conditions.check_condition(rule.condition)
            cited = self.cited_sections(rule.condition)
            if condition is None or not cited:
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
            several = cited if len(cited) > 1 else ()
            rules.append(model.Rule(rule.outcome.name, condition, cited[0], rule.span.line, several, span=rule.span))
        if decide.otherwise is None:
            self.error(
                "E405",
                "'decide' has no 'otherwise' outcome for requests that no rule decides",
                decide.span,
                hint="add `otherwise OUTCOME` after the last rule",
            )
            ok = False
        else:
            ok = self.check_outcome_name(decide.otherwise.outcome) and ok
            basis = decide.otherwise.basis
            if basis is not None and basis.label not in self.provisions:
                hint = suggest(basis.label, self.provisions)
                self.error("E205", f"section '{basis.label}' is not declared", basis.span, hint)
                ok = False
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
        fallback = decide.otherwise.basis.label if decide.otherwise.basis else model.OTHERWISE
        revision = model.Revision(start, end, tuple(rules), decide.otherwise.outcome.name, fallback, decide.span.line)
        return revision, decide.unknown.name

    def cited_sections(self, expr: nodes.Expr) -> tuple[str, ...]:
        """The provisions a rule's decision cites: `when D.III`, `when not D.IV`, `when not applicable`,
        or several combined (`when B.6 and B.7`), each once, in order."""
        found: list[str] = []

        def walk(e: nodes.Expr) -> bool:
            if isinstance(e, nodes.SectionRef):
                found.append(e.label)
                return True
            if isinstance(e, nodes.Name) and e.name == "applicable" and self.has_applicability:
                found.append(APPLICABILITY)
                return True
            if isinstance(e, nodes.Negation):
                return walk(e.operand)
            if isinstance(e, nodes.Conjunction | nodes.Disjunction | nodes.Quantified):
                return all([walk(o) for o in e.operands])
            return False

        if walk(expr):
            return tuple(dict.fromkeys(found))
        label = next(iter(self.provisions), "A.1")  # one of this policy's own labels, for the example
        self.error(
            "E404",
            "a rule's condition must name the provisions it applies, so the decision can cite them",
            expr.span,
            hint=f"put the condition in a provision and write `when {label}` (or combine them: `when {label} and ...`)",
        )
        return ()

    def check_outcome_name(self, name: nodes.Name) -> bool:
        self.report.used_outcomes.add(name.name)
        if name.name not in self.outcomes:
            if self.report.first("E401", name.name):
                hint = undeclared_outcome(name.name, self.outcomes)
                self.error("E401", f"outcome '{name.name}' is not declared", name.span, hint)
            meant = closest(name.name, self.outcomes)
            if meant is not None:  # the misspelling is the cause: what it meant is not also "never decided"
                self.report.used_outcomes.add(meant)
            return False
        return True
