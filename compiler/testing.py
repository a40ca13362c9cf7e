"""Test cases written next to a policy (X.tests beside X.policy), and what they cover.

A case is a request, the outcome it must get and, optionally, the deciding
section and the missing facts. `run` decides each case with the generated
evaluator and with the reference interpreter: the two must agree with each
other and with the case. `coverage` then tells which rules and provisions the
cases made true, false and unknown, so an author sees what no case exercises.
"""

from __future__ import annotations

import decimal
import difflib
import re
import types
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from compiler import contract, interpret, model
from compiler.diagnostics import Diagnostic, Span, error, warning
from compiler.syntax import nodes
from compiler.syntax.parse import parse_tests

INVALID = "invalid"  # `expect invalid`: the evaluator must reject the request
SIDES = ("true", "false", "unknown")


@dataclass(frozen=True)
class Case:
    title: str
    request: dict[str, nodes.JsonValue]
    expect: str
    section: str | None
    missing: tuple[str, ...] | None
    span: Span
    terms: dict[str, nodes.JsonValue] | None = None  # the terms the decision must carry, as JSON


def tests_path(policy_path: Path) -> Path:
    """Where the cases of a policy live: MP-MM-1308.policy -> MP-MM-1308.tests."""
    return policy_path.with_suffix(".tests")


def load_cases(policy: model.Policy, text: str, file: str) -> tuple[list[Case], list[Diagnostic]]:
    """Parse a test file and check it against its policy: every name it uses must exist."""
    tree, diagnostics = parse_tests(text, file)
    if tree is None:
        return [], diagnostics
    requests: dict[str, nodes.Request] = {}
    for item in tree.items:
        if isinstance(item, nodes.Request):
            if item.name in requests:
                diagnostics.append(error("E701", f"request '{item.name}' is defined twice", item.span))
            requests[item.name] = item
    cases: list[Case] = []
    titles: set[str] = set()
    for item in tree.items:
        if isinstance(item, nodes.Case):
            if item.title in titles:
                diagnostics.append(error("E702", f'case "{item.title}" is defined twice', item.span))
            titles.add(item.title)
            case = _case(policy, item, requests, diagnostics)
            if case is not None:
                cases.append(case)
    return cases, list(dict.fromkeys(diagnostics))  # a request's warning once, however many cases use it


def _case(
    policy: model.Policy, item: nodes.Case, requests: dict[str, nodes.Request], diagnostics: list[Diagnostic]
) -> Case | None:
    ok = True

    def unknown(code: str, what: str, name: nodes.Name, candidates: list[str]) -> None:
        nonlocal ok
        ok = False
        close = difflib.get_close_matches(name.name, candidates, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else None
        diagnostics.append(error(code, f"'{name.name}' is not {what} of {policy.policy_id}", name.span, hint))

    given = list(item.facts)
    if item.base is not None:
        base = requests.get(item.base.name)
        if base is None:
            unknown("E703", "a request defined in this file for a case", item.base, list(requests))
        else:
            given = [*base.facts, *given]  # the case's own facts last: they override the base's
    request = {f.name: f.value for f in given}  # later facts override earlier ones
    request = {name: value for name, value in request.items() if value is not None}  # null: unknown
    outcomes = [o.name for o in policy.outcomes]
    if item.expect.name not in (*outcomes, INVALID):
        unknown("E704", "an outcome", item.expect, outcomes)
    labels = list(contract.decision(policy).sections)  # what a decision can cite
    if item.section is not None and item.section.name not in labels:
        unknown("E705", "a section", item.section, labels)
    facts = [f.name for f in policy.facts]
    for name in item.missing or ():
        if name.name not in facts:
            unknown("E706", "a fact", name, facts)
    if item.expect.name != INVALID:
        for fact in given:
            if fact.name not in facts:
                message = f"'{fact.name}' is not a fact of {policy.policy_id}: the evaluator will reject the request"
                diagnostics.append(warning("W701", message, fact.span, "expect invalid, if that is the point"))
    carried = next((o.terms for o in policy.outcomes if o.name == item.expect.name), ())
    for term in item.terms or ():
        if term.name not in [t.name for t in carried]:
            names = [t.name for t in carried]
            unknown("E707", f"a term of outcome '{item.expect.name}'", nodes.Name(term.span, term.name), names)
    if not ok:
        return None
    missing = None if item.missing is None else tuple(sorted(n.name for n in item.missing))
    section = None if item.section is None else item.section.name
    terms = None if item.terms is None else {t.name: t.value for t in item.terms}
    return Case(item.title, request, item.expect.name, section, missing, item.span, terms)


# -- Running ---------------------------------------------------------------------------------


@dataclass
class Result:
    case: Case
    problems: list[str]  # empty when the case passed
    decision: Any = None  # the generated evaluator's Decision (None for a rejected request)

    @property
    def passed(self) -> bool:
        return not self.problems


def run(policy: model.Policy, cases: list[Case], evaluator: types.ModuleType) -> list[Result]:
    """Decide every case with the generated evaluator and the interpreter, and compare."""
    results = []
    for case in cases:
        decision, ours = None, None
        try:
            decision = evaluator.evaluate(case.request)
            ours = (decision.outcome, decision.section, tuple(decision.missing))
        except evaluator.InvalidRequest as exc:
            rejected = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
        oracle: dict[str, Any] | None = None
        try:
            oracle = interpret.evaluate(policy, case.request)
            theirs = (oracle["outcome"], oracle["section"], tuple(oracle["missing"]))
        except interpret.InvalidRequest:
            theirs = None
        problems = []
        if ours != theirs:
            problems.append(f"the generated evaluator decided {ours}, the reference interpreter {theirs}")
        if ours is None:
            if case.expect != INVALID:
                problems.append(f"expected {case.expect}, but the request is invalid: {rejected}")
        elif case.expect == INVALID:
            problems.append(f"expected the request to be invalid, got {ours[0]} (by {ours[1]})")
        else:
            outcome, section, missing = ours
            if outcome != case.expect:
                problems.append(f"expected {case.expect}, got {outcome} (by {section})")
            if case.section is not None and section != case.section:
                problems.append(f"expected section {case.section}, got {section}")
            if case.missing is not None and missing != case.missing:
                problems.append(f"expected missing [{', '.join(case.missing)}], got [{', '.join(missing)}]")
            assert decision is not None
            carried = decision.to_dict()["terms"]
            if oracle is not None and exact_json(carried) != exact_json(oracle["terms"]):
                problems.append(f"the evaluator carried {carried}, the reference interpreter {oracle['terms']}")
            for name, value in (case.terms or {}).items():
                if exact_json(carried.get(name)) != exact_json(value):
                    problems.append(f"expected {name} {_text(value)}, got {_text(carried.get(name))}")
        results.append(Result(case, problems, decision))
    return results


def exact_json(value: Any) -> Any:
    """A JSON value compared as a value: 1, 1.0 and "2/2" are one number; a date is its text."""
    if isinstance(value, dict):
        return {k: exact_json(v) for k, v in value.items()}
    if isinstance(value, (int, float, decimal.Decimal, Fraction)) and not isinstance(value, bool):
        return Fraction(str(value)) if isinstance(value, float) else Fraction(value)
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+/[0-9]+", value):
        return Fraction(value)
    return value


def _text(value: Any) -> str:
    return "unknown" if value is None else str(value)


# -- Coverage --------------------------------------------------------------------------------


@dataclass
class Item:
    """A rule or a provision, and how many cases made its condition true, false and unknown."""

    kind: str  # "rule" or "provision"
    label: str
    line: int
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SIDES, 0))

    @property
    def uncovered(self) -> list[str]:
        return [side for side in SIDES if not self.counts[side]]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "label": self.label, "line": self.line, **self.counts}


@dataclass
class Coverage:
    items: list[Item]

    @property
    def covered(self) -> int:
        return sum(len(SIDES) - len(item.uncovered) for item in self.items)

    @property
    def total(self) -> int:
        return len(SIDES) * len(self.items)

    @property
    def percent(self) -> float:
        return 100.0 * self.covered / self.total if self.total else 100.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "percent": round(self.percent, 1),
            "covered": self.covered,
            "total": self.total,
            "items": [item.to_dict() for item in self.items],
        }


def coverage(policy: model.Policy, results: list[Result]) -> Coverage:
    """Each rule of `decide` and each provision with a condition: which of its three values the cases reached."""
    rules = [Item("rule", f"{rule.outcome} when {rule.condition_text}", rule.line) for rule in policy.rules]
    provisions = {p.label: Item("provision", p.label, p.line) for p in policy.provisions if p.condition is not None}
    for result in results:
        if result.decision is None:
            continue
        values = dict(zip(result.decision.evaluated, result.decision.results, strict=True))
        for label, value in values.items():
            provisions[label].counts[_side(value)] += 1
        for rule, item in zip(policy.rules, rules, strict=True):
            if all(label in values for label in rule.cited):
                item.counts[_side(_rule_value(rule.condition, values))] += 1
    return Coverage([*rules, *provisions.values()])


def _rule_value(condition: model.Expr, values: dict[str, bool | None]) -> bool | None:
    """A rule's condition, from the values of the provisions it names (Kleene logic)."""
    if isinstance(condition, model.ProvisionRef):
        return values[condition.label]
    if isinstance(condition, model.Not):
        inner = _rule_value(condition.operand, values)
        return None if inner is None else not inner
    assert isinstance(condition, model.Combine)
    found = [_rule_value(o, values) for o in condition.operands]
    true, unknown = found.count(True), found.count(None)
    return True if true >= condition.count else False if true + unknown < condition.count else None


def _side(value: bool | None) -> str:
    return "unknown" if value is None else "true" if value else "false"
